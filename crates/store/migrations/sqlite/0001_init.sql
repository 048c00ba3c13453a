-- wangjian records, SQLite flavour. The PostgreSQL migrations mirror this file with BIGSERIAL ids,
-- TIMESTAMPTZ times and BIGINT counters; queries are written to run unchanged on both.
-- Times are UTC (RFC 3339 text in SQLite). Ids are integers.

-- The register: one row per entity, keyed by USCC.
CREATE TABLE entities (
    id           INTEGER PRIMARY KEY,
    uscc         TEXT NOT NULL UNIQUE,
    -- Why a legacy code failing its check characters needs review; NULL when valid.
    needs_review TEXT,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    district     TEXT NOT NULL,
    address      TEXT,
    -- The register's domains as imported (JSON array of canonical `host[/prefix]` strings);
    -- the sites table is synced from it.
    domains      TEXT NOT NULL DEFAULT '[]',
    icp          TEXT,
    food_permit  TEXT,
    legal_rep    TEXT,
    phone        TEXT,
    -- Unknown import columns (JSON object of strings).
    extra        TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX entities_district ON entities (district);

-- A site to crawl: a host, or a shop URL prefix on a platform. `entity_id` is NULL for a site
-- seen but not (or no longer) registered.
CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    entity_id   INTEGER REFERENCES entities (id),
    host        TEXT NOT NULL,
    path_prefix TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (host, path_prefix)
);
CREATE INDEX sites_entity ON sites (entity_id);

CREATE TABLE sweeps (
    id          INTEGER PRIMARY KEY,
    state       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    sites       INTEGER NOT NULL DEFAULT 0,
    pages       INTEGER NOT NULL DEFAULT 0,
    findings    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sweeps_state ON sweeps (state);

-- The state of each site within a sweep, so that an interrupted sweep resumes.
CREATE TABLE sweep_sites (
    sweep_id INTEGER NOT NULL REFERENCES sweeps (id),
    site_id  INTEGER NOT NULL REFERENCES sites (id),
    state    TEXT NOT NULL,
    reason   TEXT,
    PRIMARY KEY (sweep_id, site_id)
);
CREATE INDEX sweep_sites_state ON sweep_sites (sweep_id, state);

CREATE TABLE fetches (
    id             INTEGER PRIMARY KEY,
    sweep_id       INTEGER NOT NULL REFERENCES sweeps (id),
    site_id        INTEGER NOT NULL REFERENCES sites (id),
    url            TEXT NOT NULL,
    fetched_at     TEXT NOT NULL,
    status         INTEGER,
    content_type   TEXT,
    bytes          INTEGER NOT NULL,
    payload_digest TEXT,
    error          TEXT,
    warc_file      TEXT,
    warc_offset    INTEGER,
    warc_digest    TEXT
);
CREATE INDEX fetches_sweep_site ON fetches (sweep_id, site_id);
CREATE INDEX fetches_site ON fetches (site_id, fetched_at);

-- Suspected violations. The same rule matching the same excerpt on the same site is stored once
-- (the first time it was found), whatever sweep or page finds it again.
CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    fetch_id    INTEGER REFERENCES fetches (id),
    url         TEXT NOT NULL,
    category    TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    rule_pack   TEXT NOT NULL,
    severity    TEXT NOT NULL,
    excerpt     TEXT NOT NULL,
    location    TEXT NOT NULL,
    warc_file   TEXT,
    warc_offset INTEGER,
    warc_digest TEXT,
    found_at    TEXT NOT NULL,
    UNIQUE (site_id, rule_id, excerpt)
);
CREATE INDEX findings_category ON findings (category);
CREATE INDEX findings_site ON findings (site_id);
CREATE INDEX findings_sweep ON findings (sweep_id);
CREATE INDEX findings_severity ON findings (severity);
