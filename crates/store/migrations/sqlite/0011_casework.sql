-- Casework (see ../shared/spec/casework.md): clues with a life, cases through their stages,
-- and the outcomes a case ends in. Every time limit is computed from `wangjian.toml` when a
-- row is written and stored as a date, so a changed limit never moves a deadline already set.
--
-- A clue belongs to the district it is dispatched to (`clues.district`); before dispatch, to
-- the district of its site's entity, and with neither only the city sees it. A case belongs
-- to its district likewise.

-- Clues get a life: where they came from, how they were grouped, where they were sent, by
-- when they must be verified, and how they ended.
ALTER TABLE clues ADD COLUMN source TEXT NOT NULL DEFAULT 'manual'
    CHECK (source IN ('monitoring', 'manual', 'complaint', 'referral', 'assignment', 'field'));
-- Automatic grouping: '<site id>:<category group>:<window start>' — the same key for every
-- sweep that finds the same group of violations in the same window, so later sweeps add to
-- the clue instead of making a new one. NULL for clues made by hand.
ALTER TABLE clues ADD COLUMN group_key TEXT;
ALTER TABLE clues ADD COLUMN severity TEXT NOT NULL DEFAULT 'low'
    CHECK (severity IN ('low', 'medium', 'high', 'critical'));
ALTER TABLE clues ADD COLUMN state TEXT NOT NULL DEFAULT 'new'
    CHECK (state IN ('new', 'dispatched', 'verified', 'case_opened', 'not_verified', 'transferred'));
ALTER TABLE clues ADD COLUMN district TEXT;
ALTER TABLE clues ADD COLUMN dispatched_at TEXT;
-- The district's deadline (by severity) and the statutory verification limit (working days).
ALTER TABLE clues ADD COLUMN due_on TEXT;
ALTER TABLE clues ADD COLUMN verify_by TEXT;
ALTER TABLE clues ADD COLUMN extended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clues ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clues ADD COLUMN closed_at TEXT;
-- For not_verified: no_violation, insufficient_evidence, first_minor_corrected, time_barred;
-- for transferred: to whom; free text beside it.
ALTER TABLE clues ADD COLUMN close_reason TEXT;
ALTER TABLE clues ADD COLUMN close_note TEXT;
CREATE UNIQUE INDEX clues_group_key ON clues (group_key) WHERE group_key IS NOT NULL;
CREATE INDEX clues_state ON clues (state, district);
CREATE INDEX clue_findings_finding ON clue_findings (finding_id);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    -- The bureau's case number, unique, e.g. 南市监网案〔2026〕7号 (format in casework).
    number          TEXT NOT NULL UNIQUE,
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    entity_id       INTEGER REFERENCES entities (id),
    district        TEXT NOT NULL,
    stage           TEXT NOT NULL DEFAULT 'registered'
        CHECK (stage IN ('registered', 'investigating', 'decided', 'closed')),
    summary         TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    -- Who opened it: the actor's name (`user:NAME`, or the command line's operator), like
    -- `clues.created_by`.
    opened_by       TEXT NOT NULL,
    -- Decision within the limit from opening; extended with approval (days added).
    decide_by       TEXT NOT NULL,
    extended_days   INTEGER NOT NULL DEFAULT 0 CHECK (extended_days >= 0),
    decided_at      TEXT,
    closed_at       TEXT,
    reopened        INTEGER NOT NULL DEFAULT 0 CHECK (reopened >= 0)
);
CREATE INDEX cases_district ON cases (district, stage);
CREATE INDEX cases_site ON cases (site_id);

-- A clue feeds at most one case.
CREATE TABLE case_clues (
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    clue_id     INTEGER NOT NULL UNIQUE REFERENCES clues (id),
    PRIMARY KEY (case_id, clue_id)
);

-- The law-enforcement officers of a case (at least two before it is decided).
CREATE TABLE case_officers (
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (case_id, user_id)
);

-- What a case ends in, several per case where the law allows. Columns by kind:
--   penalty:          decision_no, legal_basis, fine_fen, confiscation
--   rectification:    due_on, urls (JSON array), then recheck_sweep_id, rechecked_at, compliant
--   referral:         referred_to, reason
--   warning:          reason
--   abnormal_listing: listing_cause, then removed_at, removed_reason
--   dismissal:        reason
CREATE TABLE outcomes (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases (id),
    kind             TEXT NOT NULL
        CHECK (kind IN ('penalty', 'rectification', 'referral', 'warning', 'abnormal_listing', 'dismissal')),
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    decision_no      TEXT,
    legal_basis      TEXT,
    fine_fen         INTEGER CHECK (fine_fen IS NULL OR fine_fen >= 0),
    confiscation     TEXT,
    due_on           TEXT,
    urls             TEXT,
    recheck_sweep_id INTEGER REFERENCES sweeps (id),
    rechecked_at     TEXT,
    compliant        INTEGER,
    referred_to      TEXT,
    reason           TEXT,
    listing_cause    TEXT,
    removed_at       TEXT,
    removed_reason   TEXT
);
CREATE INDEX outcomes_case ON outcomes (case_id);
CREATE INDEX outcomes_due ON outcomes (kind, due_on) WHERE rechecked_at IS NULL;
