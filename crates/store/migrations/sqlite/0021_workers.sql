-- Many workers on one sweep (#20): leases of a sweep's hosts, the leaves workers submit to the
-- transparency log's one sequencer, and the workers seen.

-- A sweep done by workers (`wangjian worker`): never run in one process beside them.
ALTER TABLE sweeps ADD COLUMN by_workers INTEGER NOT NULL DEFAULT 0;

-- A host of a sweep leased by one worker; `token` grows with each lease, and a worker's
-- progress commits name it (a commit under an older token is refused).
CREATE TABLE host_leases (
    sweep_id INTEGER NOT NULL REFERENCES sweeps (id),
    host     TEXT NOT NULL,
    owner    TEXT NOT NULL,
    token    INTEGER NOT NULL,
    until    TEXT NOT NULL,
    -- Given back by its holder (not cut off): whoever leases the host next takes nothing over.
    released INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sweep_id, host)
);

-- The homepage probes of a site were recorded in this sweep (a retried host is not probed
-- again, so its probes' findings are never recorded twice).
ALTER TABLE sweep_sites ADD COLUMN probed INTEGER NOT NULL DEFAULT 0;

-- Leaves submitted by workers (the RFC 6962 leaf hash, hex), sequenced into the log in id
-- order by the one sequencer, which writes each one's index back.
CREATE TABLE log_leaves (
    id           INTEGER PRIMARY KEY,
    leaf         TEXT NOT NULL,
    worker       TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    log_index    INTEGER UNIQUE
);
CREATE INDEX log_leaves_pending ON log_leaves (id) WHERE log_index IS NULL;
-- Which records of a dead worker's last file reached the log (the sequencer's repair).
CREATE INDEX log_leaves_leaf ON log_leaves (leaf);

-- Workers as last seen: for the console's progress and the finishing worker's repair of a
-- dead worker's files.
CREATE TABLE workers (
    name       TEXT PRIMARY KEY,
    -- This run of the worker (a token it chose when it started; its WARC files carry it).
    run        TEXT NOT NULL,
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    sweep_id   INTEGER REFERENCES sweeps (id),
    -- Every record this run wrote has its leaf in `log_leaves`, and it holds no lease: the
    -- sequencer may end its sweep without waiting for it, and never repairs its files.
    idle       INTEGER NOT NULL DEFAULT 0
);
