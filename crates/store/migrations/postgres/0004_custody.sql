-- Chain of custody: append-only and hash-chained (format: `store::custody_hash`). The
-- triggers make an UPDATE or DELETE through SQL fail; `store::verify_custody_chain` detects one
-- done behind the server's back.
CREATE TABLE custody (
    id        BIGINT PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT COLLATE "C" NOT NULL,
    subject   TEXT COLLATE "C" NOT NULL,
    reason    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);
CREATE INDEX custody_subject ON custody (subject, id);

CREATE FUNCTION wangjian_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the % log is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER custody_no_update BEFORE UPDATE OR DELETE ON custody
    FOR EACH ROW EXECUTE FUNCTION wangjian_append_only();
CREATE TRIGGER custody_no_truncate BEFORE TRUNCATE ON custody
    FOR EACH STATEMENT EXECUTE FUNCTION wangjian_append_only();
