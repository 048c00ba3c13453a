-- Chain of custody: who viewed or exported which evidence, when and why. Append-only and
-- hash-chained: each row's `hash` is SHA-256 over a canonical serialisation of its fields and
-- the previous row's hash (format: `store::custody_hash`). The triggers make an UPDATE or
-- DELETE through SQL fail; the chain makes one done behind SQLite's back (editing the file)
-- detectable by `store::verify_custody_chain`.
CREATE TABLE custody (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);
CREATE INDEX custody_subject ON custody (subject, id);
CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody
BEGIN
    SELECT RAISE(ABORT, 'the custody log is append-only');
END;
CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody
BEGIN
    SELECT RAISE(ABORT, 'the custody log is append-only');
END;
