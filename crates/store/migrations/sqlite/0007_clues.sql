-- Clues: suspected violations of one site handed on for work, grouping some of its findings.
-- The evidence of a clue is the evidence its findings point at plus the evidence captures
-- taken for it (sweeps of kind 'capture' with clue_id set). Clues, like findings, belong to
-- the district of their site's entity.
CREATE TABLE clues (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    summary     TEXT NOT NULL
);
CREATE INDEX clues_site ON clues (site_id);

CREATE TABLE clue_findings (
    clue_id     INTEGER NOT NULL REFERENCES clues (id),
    finding_id  INTEGER NOT NULL REFERENCES findings (id),
    PRIMARY KEY (clue_id, finding_id)
);

ALTER TABLE sweeps ADD COLUMN clue_id INTEGER REFERENCES clues (id);
CREATE INDEX fetches_evidence ON fetches (warc_file, warc_offset);
