-- A sweep's findings are read site by site, a page at a time (`sweep_findings_after`, when
-- they are grouped into clues): in this order, a page is read from the index, where it sorted
-- every finding of the sweep. It serves the lookups by sweep alone as well.
CREATE INDEX findings_sweep_site ON findings (sweep_id, site_id, id);
DROP INDEX findings_sweep;
