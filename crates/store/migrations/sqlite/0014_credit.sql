-- Credit (see ../shared/spec/credit.md): the index system's versions, each entity's current
-- score and class with the indicators behind it, the archive of every grade, the dishonesty
-- lists with credit repair, third-party evaluations and honest-operation commitments.

-- Every index system (a TOML file, validated whole before it is stored) that was ever in
-- force; the one in force is the latest row. A version string names one content for ever.
CREATE TABLE credit_index_versions (
    id          INTEGER PRIMARY KEY,
    version     TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    -- SHA-256 (hex) of `body`.
    sha256      TEXT NOT NULL,
    body        TEXT NOT NULL,
    loaded_at   TEXT NOT NULL,
    loaded_by   TEXT NOT NULL
);

-- Each entity's current credit: the score (0–100, higher is better), the class the score
-- gives, the class after the hard rules (`override`: 'serious_violation' → D, 'abnormal' → at
-- least C), the index version it was computed with and every leaf indicator's points
-- (`points`: JSON, as `credit` writes it).
CREATE TABLE credit_scores (
    entity_id     INTEGER PRIMARY KEY REFERENCES entities (id),
    score         REAL NOT NULL,
    score_class   TEXT NOT NULL CHECK (score_class IN ('A', 'B', 'C', 'D')),
    class         TEXT NOT NULL CHECK (class IN ('A', 'B', 'C', 'D')),
    override      TEXT CHECK (override IS NULL OR override IN ('abnormal', 'serious_violation')),
    index_version TEXT NOT NULL,
    points        TEXT NOT NULL,
    computed_at   TEXT NOT NULL
);
CREATE INDEX credit_scores_class ON credit_scores (class);

-- The credit archive (信用档案): a row each time an entity's grade changes — its score, class
-- or the index version. Append-only.
CREATE TABLE credit_grades (
    id            INTEGER PRIMARY KEY,
    entity_id     INTEGER NOT NULL REFERENCES entities (id),
    score         REAL NOT NULL,
    score_class   TEXT NOT NULL CHECK (score_class IN ('A', 'B', 'C', 'D')),
    class         TEXT NOT NULL CHECK (class IN ('A', 'B', 'C', 'D')),
    override      TEXT CHECK (override IS NULL OR override IN ('abnormal', 'serious_violation')),
    index_version TEXT NOT NULL,
    points        TEXT NOT NULL,
    computed_at   TEXT NOT NULL
);
CREATE INDEX credit_grades_entity ON credit_grades (entity_id, id);
CREATE TRIGGER credit_grades_no_update BEFORE UPDATE ON credit_grades
BEGIN
    SELECT RAISE(ABORT, 'the credit archive is append-only');
END;
CREATE TRIGGER credit_grades_no_delete BEFORE DELETE ON credit_grades
BEGIN
    SELECT RAISE(ABORT, 'the credit archive is append-only');
END;

-- Entities whose records changed since they were last scored (a finding, an outcome, a
-- listing, an evaluation, …): written in the transaction that changes the records, emptied
-- by the re-scoring that reads them.
CREATE TABLE credit_stale (
    entity_id   INTEGER PRIMARY KEY REFERENCES entities (id),
    since       TEXT NOT NULL
);

-- The dishonesty lists: an entity listed with cause and date, from a case's outcome
-- (`outcome_id`), the register's import or a person's decision; removed with a reason.
CREATE TABLE credit_listings (
    id             INTEGER PRIMARY KEY,
    entity_id      INTEGER NOT NULL REFERENCES entities (id),
    list           TEXT NOT NULL CHECK (list IN ('abnormal', 'serious_violation')),
    -- For 'abnormal' a `domain::ListingCause` code; for 'serious_violation' free text.
    cause          TEXT NOT NULL,
    decision_no    TEXT,
    outcome_id     INTEGER UNIQUE REFERENCES outcomes (id),
    listed_on      TEXT NOT NULL,
    listed_at      TEXT NOT NULL,
    listed_by      TEXT NOT NULL,
    removed_on     TEXT,
    removed_reason TEXT CHECK (removed_reason IS NULL
        OR removed_reason IN ('corrected', 'repaired', 'expired', 'mistaken')),
    removed_note   TEXT,
    removed_by     TEXT
);
CREATE INDEX credit_listings_entity ON credit_listings (entity_id, list);
-- One open listing per entity and list.
CREATE UNIQUE INDEX credit_listings_open ON credit_listings (entity_id, list)
    WHERE removed_on IS NULL;
-- The abnormal listings cases already made.
INSERT INTO credit_listings (entity_id, list, cause, outcome_id, listed_on, listed_at,
                             listed_by, removed_on, removed_reason, removed_note, removed_by)
SELECT c.entity_id, 'abnormal', COALESCE(o.listing_cause, 'not_contactable'), o.id,
       substr(o.created_at, 1, 10), o.created_at, o.created_by,
       substr(o.removed_at, 1, 10), CASE WHEN o.removed_at IS NULL THEN NULL ELSE 'corrected' END,
       o.removed_reason, CASE WHEN o.removed_at IS NULL THEN NULL ELSE o.created_by END
FROM outcomes o JOIN cases c ON c.id = o.case_id
WHERE o.kind = 'abnormal_listing' AND c.entity_id IS NOT NULL;

-- Credit-repair applications (信用修复) for one listing; an approved one removes it.
CREATE TABLE credit_repairs (
    id          INTEGER PRIMARY KEY,
    listing_id  INTEGER NOT NULL REFERENCES credit_listings (id),
    applied_on  TEXT NOT NULL,
    applicant   TEXT NOT NULL,
    statement   TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'approved', 'refused')),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT,
    reason      TEXT
);
CREATE INDEX credit_repairs_listing ON credit_repairs (listing_id);

-- Third-party evaluations (第三方评价): an evaluator's score (0–100) of an entity assigned
-- to them.
CREATE TABLE credit_evaluations (
    id           INTEGER PRIMARY KEY,
    entity_id    INTEGER NOT NULL REFERENCES entities (id),
    evaluator_id INTEGER NOT NULL REFERENCES users (id),
    score        INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    evaluated_on TEXT NOT NULL,
    summary      TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX credit_evaluations_entity ON credit_evaluations (entity_id, evaluated_on);

-- Honest-operation commitments (诚信经营承诺): made on a date, broken (with why) or kept.
CREATE TABLE credit_commitments (
    id            INTEGER PRIMARY KEY,
    entity_id     INTEGER NOT NULL REFERENCES entities (id),
    made_on       TEXT NOT NULL,
    text          TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    broken_on     TEXT,
    broken_reason TEXT
);
CREATE INDEX credit_commitments_entity ON credit_commitments (entity_id);

-- Credit facts read per entity: findings by site and time, outcomes by case.
CREATE INDEX findings_site_found ON findings (site_id, found_at);
CREATE INDEX cases_entity ON cases (entity_id);
