-- Context in the detector (#17): a finding whose match is not the site's own claim (a
-- quotation, a trademark or company name, a government or news page's report) is kept,
-- marked with why. A suppressed finding never becomes a clue and counts in no figure; people
-- review the rule that made it.

-- 'quotation', 'trademark' or 'genre'; NULL for a finding that counts.
ALTER TABLE findings ADD COLUMN suppressed TEXT;
-- The quoted span, the trademark or name, or the page's genre.
ALTER TABLE findings ADD COLUMN suppressed_detail TEXT;

CREATE INDEX findings_suppressed ON findings (suppressed) WHERE suppressed IS NOT NULL;
