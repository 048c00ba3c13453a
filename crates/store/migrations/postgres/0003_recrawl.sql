-- Recrawl: validators, and "the previous fetch of this URL of this site".
ALTER TABLE fetches ADD COLUMN etag TEXT;
ALTER TABLE fetches ADD COLUMN last_modified TEXT;
CREATE INDEX fetches_site_url ON fetches (site_id, url, sweep_id, id);
