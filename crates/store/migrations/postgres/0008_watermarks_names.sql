-- Watermarks handed out in commit order, and former names as rows (see migrations/sqlite).
CREATE TABLE counters (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) SELECT 'entity_rev', COALESCE(MAX(rev), 0) FROM entities;

ALTER TABLE fetches ADD COLUMN seq BIGINT;
UPDATE fetches SET seq = id;
INSERT INTO counters (name, value) SELECT 'fetch_seq', COALESCE(MAX(id), 0) FROM fetches;
CREATE UNIQUE INDEX fetches_seq ON fetches (seq);

CREATE TABLE entity_names (
    entity_id BIGINT NOT NULL REFERENCES entities (id),
    name      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (entity_id, name)
);
CREATE INDEX entity_names_name ON entity_names (name);
INSERT INTO entity_names (entity_id, name)
    SELECT DISTINCT e.id, j.value FROM entities e, json_array_elements_text(e.former_names::json) j(value);
