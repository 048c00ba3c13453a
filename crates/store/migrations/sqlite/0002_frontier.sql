-- The saved crawl frontier of a site in progress within a sweep, so that a killed sweep resumes
-- the site where it stopped instead of starting it again. `state` is the crawler's own JSON
-- snapshot; the store does not look inside it. A row is written only after the WARC records of
-- the pages it marks fetched reached the disk, and is deleted when the site is finished.
CREATE TABLE frontier (
    sweep_id   INTEGER NOT NULL REFERENCES sweeps (id),
    site_id    INTEGER NOT NULL REFERENCES sites (id),
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (sweep_id, site_id)
);
