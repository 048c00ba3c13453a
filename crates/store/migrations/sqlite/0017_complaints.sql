-- Complaints (投诉) and reports (举报) from the public portal or the hotline (12315). A
-- complaint belongs to the district it was assigned or dispatched to (`district`), else to
-- its entity's; with neither only the city sees it. The complainant's name, phone and e-mail
-- are personal data: shown to staff in scope only, never to the business or the public.
-- Deadlines are dates computed from `[casework]` when a row is written.
CREATE TABLE complaints (
    id                  INTEGER PRIMARY KEY,
    -- TS<yyyymmdd>-XXXX-XXXX-XXXX, 60 random bits, canonical (upper case).
    tracking_number     TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL CHECK (kind IN ('complaint', 'report', 'both')),
    state               TEXT NOT NULL CHECK (state IN ('received', 'accepted', 'refused',
        'mediating', 'mediated', 'mediation_failed', 'verified', 'not_verified', 'closed')),
    channel             TEXT NOT NULL CHECK (channel IN ('portal', 'hotline')),
    received_at         TEXT NOT NULL,
    -- The business as the complainant named it, and what it was matched to.
    subject_name        TEXT NOT NULL,
    subject_uscc        TEXT,
    subject_url         TEXT,
    subject_address     TEXT,
    entity_id           INTEGER REFERENCES entities (id),
    site_id             INTEGER REFERENCES sites (id),
    district            TEXT,
    body                TEXT NOT NULL,
    complainant_name    TEXT NOT NULL,
    complainant_phone   TEXT,
    complainant_email   TEXT,
    -- SHA-256 of the normalized contact, subject and text: the same within minutes is refused.
    dedup_hash          TEXT NOT NULL,
    accept_by           TEXT NOT NULL,
    mediation_ends_by   TEXT,
    verify_by           TEXT,
    accepted_at         TEXT,
    clue_id             INTEGER REFERENCES clues (id),
    case_id             INTEGER REFERENCES cases (id),
    outcome             TEXT CHECK (outcome IN ('mediated', 'not_mediated', 'case_opened',
        'corrected', 'no_violation', 'transferred', 'refused')),
    outcome_text        TEXT,
    published_at        TEXT,
    upheld              INTEGER NOT NULL DEFAULT 0,
    closed_at           TEXT
);
CREATE INDEX complaints_dedup ON complaints (dedup_hash, received_at);
CREATE INDEX complaints_entity ON complaints (entity_id);
CREATE INDEX complaints_district ON complaints (district, received_at);

-- A complaint's history: every step with the state it left the complaint in. The public
-- status page shows the dates and states, never `actor` or `note`.
CREATE TABLE complaint_events (
    id              INTEGER PRIMARY KEY,
    complaint_id    INTEGER NOT NULL REFERENCES complaints (id),
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    state           TEXT NOT NULL,
    note            TEXT
);
CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, id);
