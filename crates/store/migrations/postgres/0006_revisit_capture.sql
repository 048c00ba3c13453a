-- Revisits and captures (see migrations/sqlite).
ALTER TABLE fetches ADD COLUMN warc_record_id TEXT;
ALTER TABLE fetches ADD COLUMN revisit_of BIGINT REFERENCES fetches (id);
ALTER TABLE sweeps ADD COLUMN kind TEXT COLLATE "C" NOT NULL DEFAULT 'sweep';
