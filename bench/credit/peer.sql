-- bench/credit.sh's peer: the shipped default credit index (crates/credit/index/default.toml,
-- version 2026.1) as ONE SQL statement in the sqlite3 shell, over the same database wangjian
-- scores. {{AS_OF}} (YYYY-MM-DD) is replaced by credit.sh; "within D days" = on or after
-- AS_OF − D days (a timestamp's date part compared as text), "today" = AS_OF.
--
-- Leaves (weight on the path = family weight × leaf weight; points):
--   A01 register.age_years  0.15×0.4   steps [0,40] [1,60] [3,80] [5,100], missing 40
--   A02 register.capital_wan 0.15×0.3  steps [0,50] [10,70] [100,90] [1000,100], missing 50
--   A03 permits.expired     0.15×0.3   decay 50
--   B01 findings 365 d, high+ 0.35×0.5 decay 25
--   B02 findings 365 d, low+  0.35×0.3 decay 5
--   B03 rectifications.met 730 d 0.35×0.2 steps [0,70] [1,100]
--   C01 cases 1095 d        0.35×0.25  decay 20
--   C02 fines.yuan 1095 d   0.35×0.2   steps [0,100] [1,80] [10000,50] [100000,20]
--                           (penalties of the entity's cases opened within the window)
--   C03 rectifications.missed 1095 d 0.35×0.2 decay 50
--   C04 list.abnormal       0.35×0.2   yes 0 no 100
--   C05 list.serious        0.35×0.15  yes 0 no 100
--   D01 evaluation.score 730 d 0.15×0.7 value, missing 70
--   D02 commitment.kept     0.15×0.3   yes 100 no 60
-- Score = the sum over the leaves in file order of (path weight × points); class by min scores
-- A 85, B 70, C 55; then the hard rules: serious_violation (open listing or register status)
-- → D; abnormal → at least C; `override` names the rule when it changed the class.
-- Every arithmetic step is the one wangjian's scoring does, in its order (leaf weight = family
-- weight × leaf weight, Σ in file order from 0, fen × 0.01, yuan × 0.0001), so the scores agree
-- to the last bit and a score on a class threshold falls on the same side.
DROP TABLE IF EXISTS peer_scores;
CREATE TABLE peer_scores AS
WITH
p AS (
    SELECT '{{AS_OF}}' AS as_of,
           date('{{AS_OF}}', '-365 days') AS d365,
           date('{{AS_OF}}', '-730 days') AS d730,
           date('{{AS_OF}}', '-1095 days') AS d1095
),
-- findings on the entity's sites found within 365 days, not dismissed nor false positives
fnd AS (
    SELECT s.entity_id AS eid,
           count(*) AS low_n,
           sum(f.severity IN ('high', 'critical')) AS high_n
    FROM findings f JOIN sites s ON s.id = f.site_id, p
    WHERE s.entity_id IS NOT NULL AND f.found_at >= p.d365
      AND f.triage NOT IN ('dismissed', 'false_positive')
    GROUP BY s.entity_id
),
-- cases opened within 1095 days
cs AS (
    SELECT c.entity_id AS eid, count(*) AS n
    FROM cases c, p
    WHERE c.entity_id IS NOT NULL AND c.opened_at >= p.d1095
    GROUP BY c.entity_id
),
-- outcomes of the entity's cases: fines (fen × 0.01 yuan) of penalties of cases opened within
-- 1095 days; rectifications re-checked compliant within 730 days, not compliant within 1095 days
oc AS (
    SELECT c.entity_id AS eid,
           sum(CASE WHEN o.kind = 'penalty' AND c.opened_at >= p.d1095
                    THEN coalesce(o.fine_fen, 0) ELSE 0 END) * 0.01 AS fines,
           sum(o.kind = 'rectification' AND o.compliant = 1 AND o.rechecked_at >= p.d730) AS met,
           sum(o.kind = 'rectification' AND o.compliant = 0 AND o.rechecked_at >= p.d1095) AS missed
    FROM outcomes o JOIN cases c ON c.id = o.case_id, p
    WHERE c.entity_id IS NOT NULL
    GROUP BY c.entity_id
),
-- filings joined to the entity that expired before today
pm AS (
    SELECT fl.entity_id AS eid, count(*) AS expired
    FROM filings fl, p
    WHERE fl.entity_id IS NOT NULL AND fl.valid_until < p.as_of
    GROUP BY fl.entity_id
),
-- open listings
li AS (
    SELECT entity_id AS eid,
           max(list = 'abnormal') AS abnormal,
           max(list = 'serious_violation') AS serious
    FROM credit_listings
    WHERE removed_on IS NULL
    GROUP BY entity_id
),
-- the latest evaluation within 730 days
ev AS (
    SELECT eid, score FROM (
        SELECT v.entity_id AS eid, v.score,
               row_number() OVER (PARTITION BY v.entity_id ORDER BY v.evaluated_on DESC, v.id DESC) AS rn
        FROM credit_evaluations v, p
        WHERE v.evaluated_on >= p.d730
    ) WHERE rn = 1
),
-- a commitment that is not broken
cm AS (
    SELECT entity_id AS eid, max(broken_on IS NULL) AS kept
    FROM credit_commitments
    GROUP BY entity_id
),
-- registered capital in 万元: "X万元", "X万", "X元" (× 0.0001) or a bare number (万); other
-- text: none (missing)
capt AS (
    SELECT id,
           CASE WHEN t LIKE '%万元' THEN substr(t, 1, length(t) - 2)
                WHEN t LIKE '%万' THEN substr(t, 1, length(t) - 1)
                WHEN t LIKE '%元' THEN substr(t, 1, length(t) - 1)
                ELSE t END AS num,
           t LIKE '%元' AND t NOT LIKE '%万元' AS in_yuan
    FROM (SELECT id, trim(registered_capital) AS t FROM entities)
),
facts AS MATERIALIZED (
    SELECT e.id,
           CASE WHEN e.established IS NULL THEN NULL
                ELSE (julianday(p.as_of) - julianday(e.established)) / 365.25 END AS age,
           CASE WHEN k.num IS NULL OR k.num = '' OR k.num GLOB '*[^0-9.]*' OR k.num NOT GLOB '*[0-9]*'
                THEN NULL
                WHEN k.in_yuan THEN CAST(k.num AS REAL) * 0.0001
                ELSE CAST(k.num AS REAL) END AS cap,
           coalesce(pm.expired, 0) AS expired,
           coalesce(fnd.high_n, 0) AS high_n,
           coalesce(fnd.low_n, 0) AS low_n,
           coalesce(oc.met, 0) AS met,
           coalesce(cs.n, 0) AS cases_n,
           coalesce(oc.fines, 0.0) AS fines,
           coalesce(oc.missed, 0) AS missed,
           (coalesce(li.abnormal, 0) = 1 OR e.status = 'abnormal') AS abnormal,
           (coalesce(li.serious, 0) = 1 OR e.status = 'serious_violation') AS serious,
           ev.score AS eval,
           coalesce(cm.kept, 0) AS kept
    FROM entities e
    CROSS JOIN p
    JOIN capt k ON k.id = e.id
    LEFT JOIN fnd ON fnd.eid = e.id
    LEFT JOIN cs ON cs.eid = e.id
    LEFT JOIN oc ON oc.eid = e.id
    LEFT JOIN pm ON pm.eid = e.id
    LEFT JOIN li ON li.eid = e.id
    LEFT JOIN ev ON ev.eid = e.id
    LEFT JOIN cm ON cm.eid = e.id
),
pts AS MATERIALIZED (
    SELECT id, abnormal, serious,
           CASE WHEN age IS NULL THEN 40 WHEN age >= 5 THEN 100 WHEN age >= 3 THEN 80
                WHEN age >= 1 THEN 60 WHEN age >= 0 THEN 40 ELSE 0 END AS a01,
           CASE WHEN cap IS NULL THEN 50 WHEN cap >= 1000 THEN 100 WHEN cap >= 100 THEN 90
                WHEN cap >= 10 THEN 70 WHEN cap >= 0 THEN 50 ELSE 0 END AS a02,
           max(0.0, 100.0 - 50.0 * expired) AS a03,
           max(0.0, 100.0 - 25.0 * high_n) AS b01,
           max(0.0, 100.0 - 5.0 * low_n) AS b02,
           CASE WHEN met >= 1 THEN 100 WHEN met >= 0 THEN 70 ELSE 0 END AS b03,
           max(0.0, 100.0 - 20.0 * cases_n) AS c01,
           CASE WHEN fines >= 100000 THEN 20 WHEN fines >= 10000 THEN 50 WHEN fines >= 1 THEN 80
                WHEN fines >= 0 THEN 100 ELSE 0 END AS c02,
           max(0.0, 100.0 - 50.0 * missed) AS c03,
           CASE WHEN abnormal THEN 0 ELSE 100 END AS c04,
           CASE WHEN serious THEN 0 ELSE 100 END AS c05,
           CASE WHEN eval IS NULL THEN 70 ELSE min(100.0, max(0.0, eval)) END AS d01,
           CASE WHEN kept THEN 100 ELSE 60 END AS d02
    FROM facts
),
sc AS MATERIALIZED (
    SELECT id, abnormal, serious,
           0.15 * 0.4 * a01 + 0.15 * 0.3 * a02 + 0.15 * 0.3 * a03
           + 0.35 * 0.5 * b01 + 0.35 * 0.3 * b02 + 0.35 * 0.2 * b03
           + 0.35 * 0.25 * c01 + 0.35 * 0.2 * c02 + 0.35 * 0.2 * c03 + 0.35 * 0.2 * c04 + 0.35 * 0.15 * c05
           + 0.15 * 0.7 * d01 + 0.15 * 0.3 * d02 AS raw
    FROM pts
),
rounded AS MATERIALIZED (
    -- Rounded to 9 decimals, as wangjian does, so that a score on a threshold reaches it.
    SELECT id, abnormal, serious, ROUND(MIN(MAX(raw, 0.0), 100.0), 9) AS score FROM sc
),
cl AS (
    SELECT id AS entity_id, score, serious, abnormal,
           CASE WHEN score >= 85.0 THEN 'A' WHEN score >= 70.0 THEN 'B'
                WHEN score >= 55.0 THEN 'C' ELSE 'D' END AS score_class
    FROM rounded
)
SELECT entity_id, score, score_class,
       CASE WHEN serious THEN 'D'
            WHEN abnormal AND score_class IN ('A', 'B') THEN 'C'
            ELSE score_class END AS class,
       -- the hard rule that changed the class, if one did
       CASE WHEN serious AND score_class <> 'D' THEN 'serious_violation'
            WHEN NOT serious AND abnormal AND score_class IN ('A', 'B') THEN 'abnormal' END AS override
FROM cl;
