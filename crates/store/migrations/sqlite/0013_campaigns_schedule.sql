-- Special campaigns (专项行动) and the scheduler's runs.
--
-- A campaign has a period, targets (site kinds, districts, finding categories, keywords in
-- captured text, an explicit list of sites: JSON, see store::campaign::CampaignTargets), the
-- rule packs its sweeps scan with (JSON array of pack names) and a cron schedule of its own
-- ('' = run by hand only). Its targets are resolved to sites when it is created
-- (`campaign_sites`); its sweeps cover those sites.
CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    targets     TEXT NOT NULL,
    packs       TEXT NOT NULL,
    schedule    TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'closed')),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    closed_at   TEXT,
    CHECK (ends_on >= starts_on)
);

CREATE TABLE campaign_sites (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    PRIMARY KEY (campaign_id, site_id)
);
CREATE INDEX campaign_sites_site ON campaign_sites (site_id);

-- A campaign's sweep names its campaign. Sweeps of kind 'recheck' fetch exactly the URLs of a
-- rectification order (no link following) and are never resumed as a crawl.
ALTER TABLE sweeps ADD COLUMN campaign_id INTEGER REFERENCES campaigns (id);
CREATE INDEX sweeps_campaign ON sweeps (campaign_id);

-- What a re-check sweep saw: every finding its pages showed, new or found before (findings are
-- stored once per site, rule and excerpt, so a violation still there is not a new finding row).
CREATE TABLE recheck_findings (
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    finding_id  INTEGER NOT NULL REFERENCES findings (id),
    fetch_id    INTEGER NOT NULL REFERENCES fetches (id),
    PRIMARY KEY (sweep_id, finding_id, fetch_id)
);

-- The scheduler's runs: one row per job and due time, so a due run is never run twice and a
-- run cut off by a stop is continued first. `job` is 'city', 'campaign:<id>' or 'recheck'.
CREATE TABLE schedule_runs (
    id          INTEGER PRIMARY KEY,
    job         TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    sweep_id    INTEGER REFERENCES sweeps (id),
    error       TEXT,
    UNIQUE (job, due_at)
);
CREATE INDEX schedule_runs_open ON schedule_runs (finished_at);
