-- Field inspections (现场检查): an on-site check of an entity, optionally for a case, by one or
-- more inspectors, with its result and notes; photos and scans attached. An attachment's bytes
-- live in the data directory under their SHA-256 (`attachments/<first two hex>/<hex>`), never
-- in the database; storing and every later export is logged in the chain of custody.
CREATE TABLE inspections (
    id              INTEGER PRIMARY KEY,
    entity_id       INTEGER NOT NULL REFERENCES entities (id),
    case_id         INTEGER REFERENCES cases (id),
    district        TEXT NOT NULL,
    inspected_at    TEXT NOT NULL,
    place           TEXT NOT NULL,
    result          TEXT NOT NULL
        CHECK (result IN ('compliant', 'violation', 'not_contactable', 'other')),
    notes           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      INTEGER NOT NULL REFERENCES users (id)
);
CREATE INDEX inspections_entity ON inspections (entity_id);
CREATE INDEX inspections_case ON inspections (case_id);
CREATE INDEX inspections_district ON inspections (district, inspected_at);

-- Who inspected (at least one; the recorder need not be among them).
CREATE TABLE inspection_officers (
    inspection_id   INTEGER NOT NULL REFERENCES inspections (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (inspection_id, user_id)
);

CREATE TABLE attachments (
    id              INTEGER PRIMARY KEY,
    inspection_id   INTEGER NOT NULL REFERENCES inspections (id),
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL CHECK (size >= 0),
    media_type      TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    stored_at       TEXT NOT NULL,
    stored_by       INTEGER NOT NULL REFERENCES users (id)
);
CREATE INDEX attachments_inspection ON attachments (inspection_id);
CREATE INDEX attachments_sha256 ON attachments (sha256);
