-- Revisits: a fetch whose payload is identical to an earlier capture of the same URL is written
-- as a WARC `revisit` record that refers to the earlier `response` record by its record id.
-- `warc_record_id` is the `WARC-Record-ID` of the fetch's own evidence record; `revisit_of` is
-- the fetch whose response record holds the payload (always an original, never a revisit), so
-- an export can bring the original along and a viewer can show the content.
ALTER TABLE fetches ADD COLUMN warc_record_id TEXT;
ALTER TABLE fetches ADD COLUMN revisit_of INTEGER REFERENCES fetches (id);

-- Captures: an inspector's evidence capture of one URL (with a screenshot) is a sweep of one
-- site with kind 'capture'. It never resumes as a crawl: an interrupted capture stays
-- unfinished, and sweeps resume only sweeps of kind 'sweep'.
ALTER TABLE sweeps ADD COLUMN kind TEXT NOT NULL DEFAULT 'sweep';
