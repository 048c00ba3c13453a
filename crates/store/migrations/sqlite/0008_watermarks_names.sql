-- Watermarks handed out in commit order, and former names as rows.
--
-- Derived data (the search index) catches up from watermarks: the entities' `rev` and the
-- fetches' `seq`. Each comes from a row of `counters`, taken inside the writing transaction,
-- whose lock is held to commit: a reader that has seen a value has seen every smaller one.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) SELECT 'entity_rev', COALESCE(MAX(rev), 0) FROM entities;

ALTER TABLE fetches ADD COLUMN seq INTEGER;
UPDATE fetches SET seq = id;
INSERT INTO counters (name, value) SELECT 'fetch_seq', COALESCE(MAX(id), 0) FROM fetches;
CREATE UNIQUE INDEX fetches_seq ON fetches (seq);

-- An entity's former names, one row each (the entity's `former_names` keeps their order), so
-- that a search by name is an equality on an index, not a pattern over JSON text.
CREATE TABLE entity_names (
    entity_id INTEGER NOT NULL REFERENCES entities (id),
    name      TEXT NOT NULL,
    PRIMARY KEY (entity_id, name)
);
CREATE INDEX entity_names_name ON entity_names (name);
INSERT INTO entity_names (entity_id, name)
    SELECT DISTINCT e.id, j.value FROM entities e, json_each(e.former_names) j;
