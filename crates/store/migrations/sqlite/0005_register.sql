-- The register in full: the entity model, its history, other departments' filings, sites found
-- by sweeps, and each site's classification from its pages.

-- The rest of the entity model (spec/registry-import.md lists the import columns).
ALTER TABLE entities ADD COLUMN legal_form TEXT NOT NULL DEFAULT 'enterprise';
ALTER TABLE entities ADD COLUMN former_names TEXT NOT NULL DEFAULT '[]';
ALTER TABLE entities ADD COLUMN business_address TEXT;
ALTER TABLE entities ADD COLUMN registered_capital TEXT;
ALTER TABLE entities ADD COLUMN established TEXT;
ALTER TABLE entities ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
-- Increases with every insert and update of the row (the largest in the table plus one), so
-- that derived data (the search index) can catch up from a watermark.
ALTER TABLE entities ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
UPDATE entities SET rev = id;
CREATE INDEX entities_rev ON entities (rev);
CREATE INDEX entities_icp ON entities (icp);
CREATE INDEX entities_name ON entities (name);

-- Every change to an entity: one row per changed field (the values as JSON text for lists),
-- with where the change came from. Append-only.
CREATE TABLE entity_history (
    id         INTEGER PRIMARY KEY,
    entity_id  INTEGER NOT NULL REFERENCES entities (id),
    changed_at TEXT NOT NULL,
    source     TEXT NOT NULL,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT
);
CREATE INDEX entity_history_entity ON entity_history (entity_id, id);
CREATE TRIGGER entity_history_no_update BEFORE UPDATE ON entity_history
BEGIN
    SELECT RAISE(ABORT, 'entity history is append-only');
END;
CREATE TRIGGER entity_history_no_delete BEFORE DELETE ON entity_history
BEGIN
    SELECT RAISE(ABORT, 'entity history is append-only');
END;

-- Other departments' records (telecom filings, food permits, finance licenses, tax status),
-- one row per source and record key, as the source's mapping file reads them. Joined to an
-- entity by USCC, else by domain; never merged into the entity's own columns.
CREATE TABLE filings (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    uscc        TEXT,
    domain      TEXT,
    name        TEXT,
    number      TEXT,
    scope       TEXT,
    valid_from  TEXT,
    valid_until TEXT,
    status      TEXT,
    address     TEXT,
    -- Every column of the row (JSON object of strings), mapped or not.
    fields      TEXT NOT NULL DEFAULT '{}',
    entity_id   INTEGER REFERENCES entities (id),
    -- 'uscc' or 'domain': how `entity_id` was found; NULL when no entity matched.
    joined_by   TEXT,
    imported_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (source, record_key)
);
CREATE INDEX filings_entity ON filings (entity_id);
CREATE INDEX filings_uscc ON filings (uscc);
CREATE INDEX filings_domain ON filings (domain);

-- Where a site came from and how its pages classify it.
ALTER TABLE sites ADD COLUMN origin TEXT NOT NULL DEFAULT 'register';
ALTER TABLE sites ADD COLUMN classified_kind TEXT;
ALTER TABLE sites ADD COLUMN class_reason TEXT;
ALTER TABLE sites ADD COLUMN classified_sweep INTEGER REFERENCES sweeps (id);

-- Hosts and shops that sweeps saw (linked from registered sites' pages) and that match no
-- registered site, with the evidence of why, the entity a matcher proposes and a person's
-- decision.
CREATE TABLE discovered_sites (
    id                 INTEGER PRIMARY KEY,
    host               TEXT NOT NULL,
    path_prefix        TEXT NOT NULL DEFAULT '',
    first_sweep        INTEGER NOT NULL REFERENCES sweeps (id),
    first_seen         TEXT NOT NULL,
    last_seen          TEXT NOT NULL,
    -- JSON array of {from_url, anchor, hidden, warc_file, warc_offset}, the first few sightings.
    evidence           TEXT NOT NULL DEFAULT '[]',
    sightings          INTEGER NOT NULL DEFAULT 0,
    -- What the site's own pages show (JSON {usccs, icps, names}), for the matcher.
    shown              TEXT NOT NULL DEFAULT '{}',
    -- The site row created for it (crawled from then on), once promoted.
    site_id            INTEGER REFERENCES sites (id),
    proposed_entity_id INTEGER REFERENCES entities (id),
    proposal_reason    TEXT,
    -- 'new', 'confirmed' or 'rejected'.
    state              TEXT NOT NULL DEFAULT 'new',
    decided_by         TEXT,
    decided_at         TEXT,
    UNIQUE (host, path_prefix)
);
CREATE INDEX discovered_sites_state ON discovered_sites (state);
