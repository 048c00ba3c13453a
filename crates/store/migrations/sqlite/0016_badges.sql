-- The electronic license badge (亮照, docs/badge.md): one row per application, which becomes
-- the badge when staff issue it. Its id is the badge's serial.
--
-- A badge belongs to its entity's district (read in a scope through the entity). `contact`
-- is personal data: shown to staff only, never on the portal's verification page.

CREATE TABLE badges (
    id            INTEGER PRIMARY KEY,
    entity_id     INTEGER NOT NULL REFERENCES entities (id),
    -- The bound domain: a site key's host (lower case, no `www.`).
    domain        TEXT NOT NULL,
    contact       TEXT NOT NULL,
    method        TEXT NOT NULL CHECK (method IN ('well_known', 'dns_txt')),
    -- The applicant's tracking code (random, unguessable) and the proof token to publish.
    tracking      TEXT NOT NULL UNIQUE,
    proof_token   TEXT NOT NULL,
    -- The last proof attempt: a `domain::ProofResult` code, its detail (an HTTP status, a
    -- DNS error kind) and when.
    proof_result  TEXT CHECK (proof_result IN ('proven', 'unreachable', 'not_found',
                      'wrong_content', 'dns_no_record', 'dns_failed')),
    proof_detail  TEXT,
    proved_at     TEXT,
    state         TEXT NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'proven',
                      'issued', 'suspended', 'revoked', 'refused')),
    applied_at    TEXT NOT NULL,
    reviewed_by   TEXT,
    issued_at     TEXT,
    -- The signed badge token (domain::badge), set when issued.
    token         TEXT,
    -- Why suspended, revoked or refused: a `domain::BadgeCause` code and a note.
    cause         TEXT CHECK (cause IN ('credit_class', 'license', 'abnormal_listing', 'staff')),
    cause_note    TEXT,
    changed_at    TEXT NOT NULL,
    changed_by    TEXT NOT NULL,
    -- The last sweep's check of the bound site's homepage (`domain::BadgeVerdict`).
    check_verdict TEXT CHECK (check_verdict IN ('valid', 'missing', 'bad_signature',
                      'other_domain', 'suspended', 'revoked', 'unknown_serial')),
    check_url     TEXT,
    checked_at    TEXT,
    CHECK (state NOT IN ('issued', 'suspended', 'revoked') OR token IS NOT NULL)
);
-- One badge at a time holds a domain (an unproven application holds nothing).
CREATE UNIQUE INDEX badges_domain_held ON badges (domain)
    WHERE state IN ('proven', 'issued', 'suspended');
CREATE INDEX badges_entity ON badges (entity_id);
CREATE INDEX badges_state ON badges (state, id);
