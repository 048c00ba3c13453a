-- Discovery beyond one hop (#21): a discovered site comes from a link (a registered site's page,
-- or a discovered site's page, `hops` away from the register), from another department's
-- filing, or from a certificate transparency log; a site found by none of the sweeps has no
-- first sweep. City indicators gate the sites two or more hops away; a host that imitates a
-- registered one is marked with the entity it imitates.

CREATE TABLE discovered_sites_new (
    id                 INTEGER PRIMARY KEY,
    host               TEXT NOT NULL,
    path_prefix        TEXT NOT NULL DEFAULT '',
    -- 'link', 'filing' or 'ct': how the site was first found.
    source             TEXT NOT NULL DEFAULT 'link',
    -- Steps from the register: 1 for a site a registered site links to (or a filing or a
    -- certificate names), 2 for a site such a site links to, and so on.
    hops               INTEGER NOT NULL DEFAULT 1 CHECK (hops >= 1),
    first_sweep        INTEGER REFERENCES sweeps (id),
    first_seen         TEXT NOT NULL,
    last_seen          TEXT NOT NULL,
    -- JSON array of the first few sightings: a page and its link, a filing row, a certificate.
    evidence           TEXT NOT NULL DEFAULT '[]',
    sightings          INTEGER NOT NULL DEFAULT 0,
    shown              TEXT NOT NULL DEFAULT '{}',
    -- JSON array of the city indicators the site's pages, filing or certificate show.
    indicators         TEXT NOT NULL DEFAULT '[]',
    site_id            INTEGER REFERENCES sites (id),
    proposed_entity_id INTEGER REFERENCES entities (id),
    proposal_reason    TEXT,
    -- The registered entity whose domain this host imitates, and how (JSON).
    imitates_entity_id INTEGER REFERENCES entities (id),
    imitation          TEXT,
    -- 'unverified' (two or more hops away, not yet crawled), 'new', 'confirmed', 'rejected',
    -- 'remote' (crawled and showing no sign of being in the city: never proposed).
    state              TEXT NOT NULL DEFAULT 'new',
    decided_by         TEXT,
    decided_at         TEXT,
    UNIQUE (host, path_prefix)
);

INSERT INTO discovered_sites_new (id, host, path_prefix, source, hops, first_sweep, first_seen,
    last_seen, evidence, sightings, shown, site_id, proposed_entity_id, proposal_reason, state,
    decided_by, decided_at)
SELECT id, host, path_prefix, 'link', 1, first_sweep, first_seen, last_seen, evidence,
    sightings, shown, site_id, proposed_entity_id, proposal_reason, state, decided_by, decided_at
FROM discovered_sites;

DROP TABLE discovered_sites;
ALTER TABLE discovered_sites_new RENAME TO discovered_sites;
CREATE INDEX discovered_sites_state ON discovered_sites (state);
CREATE INDEX discovered_sites_source ON discovered_sites (source, state);
CREATE INDEX discovered_sites_site ON discovered_sites (site_id);

-- Certificate transparency logs the bureau watches: how far each has been read and verified
-- (the monitor's position, JSON), and the last failure (a log whose tree head or proof fails
-- is never trusted: its position does not move).
CREATE TABLE ct_logs (
    name           TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    log_id         TEXT NOT NULL,
    position       TEXT,
    entries_read   INTEGER NOT NULL DEFAULT 0,
    candidates     INTEGER NOT NULL DEFAULT 0,
    skipped        INTEGER NOT NULL DEFAULT 0,
    polled_at      TEXT,
    verified_at    TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    failure_code   TEXT,
    failure_detail TEXT,
    failed_at      TEXT
);
