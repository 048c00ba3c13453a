-- The saved crawl frontier of a site in progress within a sweep (see migrations/sqlite).
CREATE TABLE frontier (
    sweep_id   BIGINT NOT NULL REFERENCES sweeps (id),
    site_id    BIGINT NOT NULL REFERENCES sites (id),
    state      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sweep_id, site_id)
);
