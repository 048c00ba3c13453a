-- People: users with a role, the districts or entities their role is scoped to, server-side
-- sessions, failed logins (for throttling), API tokens; the audit log of every change a person
-- makes; and triage decisions on findings.
--
-- Users are never deleted (audit, custody and casework rows name them): they are disabled.
-- Session ids and API tokens are stored as SHA-256 hashes only; a stolen database does not
-- hand out live sessions.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    locked_until    TEXT
);

CREATE TABLE user_districts (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    district    TEXT NOT NULL,
    PRIMARY KEY (user_id, district)
);

CREATE TABLE user_entities (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    entity_id   INTEGER NOT NULL REFERENCES entities (id),
    PRIMARY KEY (user_id, entity_id)
);

CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    csrf            TEXT NOT NULL,
    client          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id          INTEGER PRIMARY KEY,
    username    TEXT NOT NULL,
    client      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_client ON login_failures (client, at);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- Append-only: who changed what, when, in which request, from which value to which.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER REFERENCES users (id),
    actor       TEXT NOT NULL,
    request_id  TEXT,
    object      TEXT NOT NULL,
    action      TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT
);
CREATE INDEX audit_object ON audit (object, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Triage: the latest decision on a finding is on the finding; every decision is in the audit.
ALTER TABLE findings ADD COLUMN triage TEXT NOT NULL DEFAULT 'open';
ALTER TABLE findings ADD COLUMN triage_reason TEXT;
ALTER TABLE findings ADD COLUMN triaged_by INTEGER REFERENCES users (id);
ALTER TABLE findings ADD COLUMN triaged_at TEXT;
CREATE INDEX findings_triage ON findings (rule_id, triage);
