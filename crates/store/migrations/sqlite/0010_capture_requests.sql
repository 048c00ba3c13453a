-- Two-person evidence capture: one inspector asks for a capture (a URL of a known site, or a
-- clue, and a reason); a second user confirms it, and only then is it taken. The requester can
-- never be the confirmer (checked by the store and by the CHECK below). Every step is in the
-- audit log (object `capture_request:<id>`); rows are never deleted.
CREATE TABLE capture_requests (
    id              INTEGER PRIMARY KEY,
    requested_by    INTEGER NOT NULL REFERENCES users (id),
    requested_at    TEXT NOT NULL,
    url             TEXT NOT NULL,
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    clue_id         INTEGER REFERENCES clues (id),
    reason          TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'confirmed', 'done', 'failed', 'cancelled')),
    confirmed_by    INTEGER REFERENCES users (id),
    confirmed_at    TEXT,
    finished_at     TEXT,
    sweep_id        INTEGER REFERENCES sweeps (id),
    error           TEXT,
    CHECK (confirmed_by IS NULL OR confirmed_by <> requested_by)
);
CREATE INDEX capture_requests_state ON capture_requests (state, id);
