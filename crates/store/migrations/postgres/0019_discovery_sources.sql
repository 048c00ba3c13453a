-- Discovery beyond one hop (#21): the same as SQLite's 0019 (see there for the columns).

ALTER TABLE discovered_sites ALTER COLUMN first_sweep DROP NOT NULL;
ALTER TABLE discovered_sites ADD COLUMN source TEXT COLLATE "C" NOT NULL DEFAULT 'link';
ALTER TABLE discovered_sites ADD COLUMN hops BIGINT NOT NULL DEFAULT 1 CHECK (hops >= 1);
ALTER TABLE discovered_sites ADD COLUMN indicators TEXT NOT NULL DEFAULT '[]';
ALTER TABLE discovered_sites ADD COLUMN imitates_entity_id BIGINT REFERENCES entities (id);
ALTER TABLE discovered_sites ADD COLUMN imitation TEXT;
CREATE INDEX discovered_sites_source ON discovered_sites (source, state);
CREATE INDEX discovered_sites_site ON discovered_sites (site_id);

CREATE TABLE ct_logs (
    name           TEXT COLLATE "C" PRIMARY KEY,
    url            TEXT NOT NULL,
    log_id         TEXT NOT NULL,
    position       TEXT,
    entries_read   BIGINT NOT NULL DEFAULT 0,
    candidates     BIGINT NOT NULL DEFAULT 0,
    skipped        BIGINT NOT NULL DEFAULT 0,
    polled_at      TIMESTAMPTZ,
    verified_at    TIMESTAMPTZ,
    failures       BIGINT NOT NULL DEFAULT 0,
    failure_code   TEXT,
    failure_detail TEXT,
    failed_at      TIMESTAMPTZ
);
