-- The public portal: notices the bureau publishes (and may withdraw), the sites designated as
-- model sites (示范网店), and visit counts per page and day. No visitor's address, cookie or
-- user agent is stored anywhere.

CREATE TABLE portal_notices (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL,
    -- Plain text; paragraphs separated by blank lines.
    body             TEXT NOT NULL,
    published_at     TEXT NOT NULL,
    published_by     TEXT NOT NULL,
    withdrawn_at     TEXT,
    withdrawn_by     TEXT,
    withdrawn_reason TEXT,
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);

-- A site designated as a model site; shown publicly while its entity is class A.
CREATE TABLE portal_model_sites (
    site_id       INTEGER PRIMARY KEY REFERENCES sites (id),
    note          TEXT,
    designated_at TEXT NOT NULL,
    designated_by TEXT NOT NULL
);

-- Responses per route pattern (never a raw path) and Beijing day.
CREATE TABLE portal_visits (
    day   TEXT NOT NULL,
    page  TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (day, page)
);
