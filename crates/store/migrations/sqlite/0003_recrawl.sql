-- Recrawl: the validators a fetch received (`ETag`, `Last-Modified`), sent back as a conditional
-- GET on the next sweep, and an index for "the previous fetch of this URL of this site", which
-- both the validator lookup and the change history ask for.
ALTER TABLE fetches ADD COLUMN etag TEXT;
ALTER TABLE fetches ADD COLUMN last_modified TEXT;
CREATE INDEX fetches_site_url ON fetches (site_id, url, sweep_id, id);
