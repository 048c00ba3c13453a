-- bench/credit.sh's generator: fills a freshly migrated wangjian database (made by the wangjian
-- binary, so the schema is the build's own) with N entities and the records the default credit
-- index reads. Run by the sqlite3 shell after credit.sh replaced the placeholders:
--   {{N}}          number of entities
--   {{AS_OF}}      the scoring date (YYYY-MM-DD); every generated record lies before it
--   {{DISTRICTS}}  VALUES rows (i, code, name) of the districts in force (from
--                  crates/domain/data/nanning-districts.tsv), i from 0
-- Deterministic: every choice is a hash of a row's id, no random(). One transaction.
--
-- Hash: R(x, c, A) = ((x * (x + c)) % P * A) % P with P = 2^31 - 1 (quadratic in x, then a
-- Park–Miller-style multiplier; values in [0, P)). Written out where used.
--
-- What is made (for N = 1,000,000; everything scales with N):
--   entities   N: 13 districts, kinds (50 % non-trading, 30 % trading, 20 % platform shops,
--              0.1 % platforms), legal forms (60 % enterprise, 35 % individual, 3 % cooperative,
--              2 % other), established 0–20 years before AS_OF (4 % none), registered capital as
--              "X万元" / "X万" / "Y元" / "X" (万) with X in 1 … 10000 and some X.5, or none;
--              status 1.5 % abnormal, 0.5 % serious_violation, 1 % deregistered
--   sites      one per entity (platform shops under mall-K.test/shop/ID), plus N/100 sites of no
--              entity (their findings count for nobody)
--   findings   ≈ 3 per entity (40 % none, a tail up to 22) over the 2 years before AS_OF,
--              22 rules with their severities (low-severity rule most common), 85 % open,
--              5 % confirmed, 6 % dismissed, 4 % false_positive
--   cases      N/20 over ≈ 4 years, outcomes 0–2 each: penalties (fines 0 … 200,000 yuan),
--              warnings, rectifications (50 % re-checked compliant, 30 % not, 20 % pending),
--              dismissals
--   listings   N/100 open (80 % abnormal, 20 % serious_violation) + N/300 removed
--   evaluations N/10 entities evaluated, N/40 of them twice (distinct dates), over ≈ 3 years
--   commitments N/20 entities, 10 % broken; N/200 of them also hold a second, kept one
--   filings    N/5 + N/20 (food permits and ICP filings), 35 % valid_until in the past,
--              some exactly AS_OF, 5 % without an entity
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA temp_store = MEMORY;
BEGIN;

CREATE TEMP TABLE dist (i INTEGER PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL);
INSERT INTO dist (i, code, name) VALUES {{DISTRICTS}};

CREATE TEMP TABLE rules (i INTEGER PRIMARY KEY, category TEXT NOT NULL, severity TEXT NOT NULL);
INSERT INTO rules (i, category, severity) VALUES
    (0, 'icp.not_displayed', 'low'), (1, 'icp.not_displayed', 'low'),
    (2, 'icp.not_displayed', 'low'), (3, 'icp.not_displayed', 'low'),
    (4, 'icp.not_displayed', 'low'), (5, 'icp.not_displayed', 'low'),
    (6, 'license.not_displayed', 'medium'), (7, 'license.not_displayed', 'medium'),
    (8, 'license.not_displayed', 'medium'), (9, 'ad.absolute_term', 'medium'),
    (10, 'ad.absolute_term', 'medium'), (11, 'ad.absolute_term', 'medium'),
    (12, 'icp.mismatch', 'medium'), (13, 'food.address_mismatch', 'medium'),
    (14, 'ad.real_estate_promise', 'medium'), (15, 'ad.agri_guarantee', 'medium'),
    (16, 'ad.education_guarantee', 'medium'), (17, 'contract.unfair_clause', 'medium'),
    (18, 'privacy.no_policy', 'medium'), (19, 'privacy.no_policy', 'medium'),
    (20, 'license.uscc_invalid', 'high'), (21, 'license.uscc_mismatch', 'high'),
    (22, 'license.unregistered', 'high'), (23, 'food.permit_not_displayed', 'high'),
    (24, 'ad.state_endorsement', 'high'), (25, 'ad.medical_claim', 'high'),
    (26, 'ad.health_food_claim', 'high'), (27, 'ad.investment_guarantee', 'high'),
    (28, 'badge.invalid', 'high'), (29, 'content.gambling', 'critical'),
    (30, 'site.hijacked', 'critical'), (31, 'goods.prohibited', 'critical');

-- 1 … N and small counters.
CREATE TEMP TABLE seq (k INTEGER PRIMARY KEY);
WITH RECURSIVE s (k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < {{N}} + {{N}} / 100)
INSERT INTO seq (k) SELECT k FROM s;

-- Per-entity hashes.
CREATE TEMP TABLE ge AS
SELECT k AS id,
       ((k * (k + 1)) % 2147483647 * 48271) % 2147483647 AS r1,
       ((k * (k + 3)) % 2147483647 * 69621) % 2147483647 AS r2,
       ((k * (k + 7)) % 2147483647 * 16807) % 2147483647 AS r3,
       ((k * (k + 11)) % 2147483647 * 39373) % 2147483647 AS r4,
       ((k * (k + 13)) % 2147483647 * 40692) % 2147483647 AS r5,
       ((k * (k + 17)) % 2147483647 * 40014) % 2147483647 AS r6,
       ((k * (k + 19)) % 2147483647 * 630360016) % 2147483647 AS r7,
       ((k * (k + 23)) % 2147483647 * 742938285) % 2147483647 AS r8,
       ((k * (k + 29)) % 2147483647 * 950706376) % 2147483647 AS r9,
       ((k * (k + 31)) % 2147483647 * 1226874159) % 2147483647 AS r10,
       ((k * (k + 37)) % 2147483647 * 1343714438) % 2147483647 AS r11,
       ((k * (k + 41)) % 2147483647 * 397204094) % 2147483647 AS r12
FROM seq WHERE k <= {{N}};

INSERT INTO users (id, username, display_name, role, password_hash, created_at)
VALUES (1, 'bench-evaluator', '第三方评价机构（测试）', 'evaluator', '!', '2024-01-01T00:00:00+00:00');

INSERT INTO sweeps (id, state, started_at, finished_at, sites, pages, findings)
VALUES (1, 'finished', '2024-11-01T00:00:00+00:00', '2024-11-02T00:00:00+00:00', 0, 0, 0);

-- Entities.
CREATE TEMP TABLE gent AS
SELECT g.id,
       d.code AS district, d.name AS dname,
       CASE WHEN g.r2 % 1000 < 500 THEN 'non_trading_site'
            WHEN g.r2 % 1000 < 800 THEN 'trading_site'
            WHEN g.r2 % 1000 < 999 THEN 'platform_shop'
            ELSE 'platform' END AS kind,
       CASE WHEN g.r3 % 100 < 60 THEN 'enterprise'
            WHEN g.r3 % 100 < 95 THEN 'individual'
            WHEN g.r3 % 100 < 98 THEN 'cooperative'
            ELSE 'other' END AS legal_form,
       CASE WHEN g.r4 % 100 < 4 THEN NULL
            ELSE date('{{AS_OF}}', printf('-%d days', 1 + g.r5 % 7305)) END AS established,
       -- capital in 万元: one of 12 amounts, 5 % of them plus a half
       (CASE g.r6 % 12 WHEN 0 THEN 1 WHEN 1 THEN 3 WHEN 2 THEN 5 WHEN 3 THEN 10 WHEN 4 THEN 20
            WHEN 5 THEN 50 WHEN 6 THEN 100 WHEN 7 THEN 200 WHEN 8 THEN 500 WHEN 9 THEN 1000
            WHEN 10 THEN 3000 ELSE 10000 END) * 2 + (g.r12 % 20 = 0) AS cap2,
       g.r7 % 10 AS capfmt,
       CASE WHEN g.r8 % 1000 < 15 THEN 'abnormal'
            WHEN g.r8 % 1000 < 20 THEN 'serious_violation'
            WHEN g.r8 % 1000 < 30 THEN 'deregistered'
            ELSE 'active' END AS status,
       g.r4 AS r4
FROM ge g JOIN dist d ON d.i = g.r1 % (SELECT count(*) FROM dist);

INSERT INTO entities (id, uscc, name, kind, district, domains, legal_form, registered_capital,
                      established, status, created_at, updated_at, rev)
SELECT id,
       CASE legal_form WHEN 'enterprise' THEN '91' WHEN 'individual' THEN '92'
            WHEN 'cooperative' THEN '93' ELSE '12' END
           || district || printf('%09d', id)
           || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', 1 + r4 % 31, 1),
       CASE legal_form WHEN 'individual' THEN printf('%s%07d号网店', dname, id)
            ELSE printf('广西%s网络科技%07d有限公司', dname, id) END,
       kind, district,
       CASE WHEN kind = 'platform_shop' THEN printf('["mall-%d.test/shop/%d"]', id % 50, id)
            ELSE printf('["e%d.test"]', id) END,
       legal_form,
       CASE WHEN capfmt = 8 OR (capfmt = 9 AND legal_form = 'individual') THEN NULL
            -- X万元 / X万 / X元 × 10000 / X (万) with X = cap2 / 2
            WHEN capfmt IN (0, 1, 2, 9) THEN
                (CASE WHEN cap2 % 2 = 0 THEN printf('%d', cap2 / 2) ELSE printf('%d.5', cap2 / 2) END) || '万元'
            WHEN capfmt IN (3, 4) THEN
                (CASE WHEN cap2 % 2 = 0 THEN printf('%d', cap2 / 2) ELSE printf('%d.5', cap2 / 2) END) || '万'
            WHEN capfmt IN (5, 6) THEN printf('%d元', cap2 * 5000)
            ELSE (CASE WHEN cap2 % 2 = 0 THEN printf('%d', cap2 / 2) ELSE printf('%d.5', cap2 / 2) END)
       END,
       established, status,
       '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', id
FROM gent ORDER BY id;

-- Sites: one per entity (same id), then N/100 sites no entity owns.
INSERT INTO sites (id, entity_id, host, path_prefix, kind, created_at, origin)
SELECT id, id,
       CASE WHEN kind = 'platform_shop' THEN printf('mall-%d.test', id % 50) ELSE printf('e%d.test', id) END,
       CASE WHEN kind = 'platform_shop' THEN printf('/shop/%d', id) ELSE '' END,
       kind, '2026-01-01T00:00:00+00:00', 'register'
FROM gent ORDER BY id;
INSERT INTO sites (id, entity_id, host, path_prefix, kind, created_at, origin)
SELECT k, NULL, printf('x%d.test', k), '', 'trading_site', '2026-01-01T00:00:00+00:00', 'discovered'
FROM seq WHERE k > {{N}};

-- Findings: a count per site (40 % none, 30 % 0–3, 20 % 3–8, 10 % 8–22; mean ≈ 3), then one
-- row per (site, k).
CREATE TEMP TABLE gsite AS
SELECT s.k AS site_id,
       CASE WHEN h % 10 < 4 THEN 0
            WHEN h % 10 < 7 THEN (h / 10) % 4
            WHEN h % 10 < 9 THEN 3 + (h / 10) % 6
            ELSE 8 + (h / 10) % 15 END AS nf
FROM (SELECT k, ((k * (k + 43)) % 2147483647 * 1583458089) % 2147483647 AS h FROM seq) s;

INSERT INTO findings (sweep_id, site_id, url, category, rule_id, rule_pack, severity, excerpt,
                      location, found_at, triage)
SELECT 1, x.site_id,
       'https://' || st.host || st.path_prefix || '/p' || x.k,
       r.category, 'builtin.' || r.category, 'builtin', r.severity,
       '摘录 ' || x.k, 'body',
       date('{{AS_OF}}', printf('-%d days', 1 + x.h2 % 730))
           || printf('T%02d:%02d:%02d+00:00', x.h % 24, x.h2 % 60, (x.h / 7) % 60),
       CASE WHEN (x.h / 100) % 100 < 85 THEN 'open'
            WHEN (x.h / 100) % 100 < 90 THEN 'confirmed'
            WHEN (x.h / 100) % 100 < 96 THEN 'dismissed'
            ELSE 'false_positive' END
FROM (SELECT g.site_id, q.k,
             (((g.site_id * 32 + q.k) * (g.site_id * 32 + q.k + 47)) % 2147483647 * 48271) % 2147483647 AS h,
             (((g.site_id * 32 + q.k) * (g.site_id * 32 + q.k + 53)) % 2147483647 * 69621) % 2147483647 AS h2
      FROM gsite g JOIN seq q ON q.k <= g.nf) x
JOIN sites st ON st.id = x.site_id
JOIN rules r ON r.i = x.h % 32
ORDER BY x.site_id, x.k;

-- Cases: N/20, 1 % on sites of no entity; opened 90 … 1489 days before AS_OF.
CREATE TEMP TABLE gcase AS
SELECT k AS id,
       CASE WHEN h % 100 = 0 THEN {{N}} + 1 + h2 % ({{N}} / 100) ELSE 1 + h2 % {{N}} END AS site_id,
       date('{{AS_OF}}', printf('-%d days', 90 + h % 1400)) AS opened_on,
       h, h2
FROM (SELECT k,
             ((k * (k + 59)) % 2147483647 * 48271) % 2147483647 AS h,
             ((k * (k + 61)) % 2147483647 * 742938285) % 2147483647 AS h2
      FROM seq WHERE k <= {{N}} / 20);

INSERT INTO cases (id, number, site_id, entity_id, district, stage, summary, opened_at, opened_by,
                   decide_by, decided_at, closed_at)
SELECT c.id, printf('南市监网案〔%s〕%d号', substr(c.opened_on, 1, 4), c.id), c.site_id, s.entity_id,
       coalesce(e.district, '450103'), 'closed', '网络交易违法行为', c.opened_on || 'T09:30:00+00:00',
       'user:bench', date(c.opened_on, '+90 days'),
       date(c.opened_on, '+60 days') || 'T10:00:00+00:00', date(c.opened_on, '+80 days') || 'T10:00:00+00:00'
FROM gcase c JOIN sites s ON s.id = c.site_id LEFT JOIN entities e ON e.id = s.entity_id
ORDER BY c.id;

-- Outcomes: 0 (10 %), 1 (60 %) or 2 (30 %) per case, created 5 … 54 days after opening.
INSERT INTO outcomes (case_id, kind, created_at, created_by, decision_no, legal_basis, fine_fen,
                      due_on, urls, recheck_sweep_id, rechecked_at, compliant, reason)
SELECT o.case_id, o.kind, o.created_on || 'T11:00:00+00:00', 'user:bench',
       CASE o.kind WHEN 'penalty' THEN printf('南市监罚〔%s〕%d-%d号', substr(o.created_on, 1, 4), o.case_id, o.j) END,
       CASE o.kind WHEN 'penalty' THEN '《中华人民共和国电子商务法》第七十六条' END,
       CASE o.kind WHEN 'penalty' THEN
           CASE o.h3 % 10 WHEN 0 THEN 0 WHEN 1 THEN 50 WHEN 2 THEN 100 WHEN 3 THEN 5000
                WHEN 4 THEN 100000 WHEN 5 THEN 500000 WHEN 6 THEN 1000000 WHEN 7 THEN 2500000
                WHEN 8 THEN 10000000 ELSE 20000000 END END,
       CASE o.kind WHEN 'rectification' THEN date(o.created_on, '+15 days') END,
       CASE o.kind WHEN 'rectification' THEN '[]' END,
       CASE WHEN o.kind = 'rectification' AND o.h3 % 10 < 8 THEN 1 END,
       CASE WHEN o.kind = 'rectification' AND o.h3 % 10 < 8
            THEN date(o.created_on, '+20 days') || 'T15:00:00+00:00' END,
       CASE WHEN o.kind = 'rectification' AND o.h3 % 10 < 5 THEN 1
            WHEN o.kind = 'rectification' AND o.h3 % 10 < 8 THEN 0 END,
       CASE o.kind WHEN 'warning' THEN '首次轻微违法，予以警告' WHEN 'dismissal' THEN '违法事实不成立' END
FROM (SELECT c.id AS case_id, q.k AS j,
             date(c.opened_on, printf('+%d days', 5 + (c.h / (7 * q.k)) % 50)) AS created_on,
             CASE WHEN (c.h2 / (11 * q.k)) % 100 < 40 THEN 'penalty'
                  WHEN (c.h2 / (11 * q.k)) % 100 < 60 THEN 'warning'
                  WHEN (c.h2 / (11 * q.k)) % 100 < 95 THEN 'rectification'
                  ELSE 'dismissal' END AS kind,
             (c.h / (13 * q.k)) % 1000003 AS h3
      FROM gcase c JOIN seq q ON q.k <= CASE WHEN (c.h / 1000) % 10 = 0 THEN 0
                                              WHEN (c.h / 1000) % 10 < 7 THEN 1 ELSE 2 END) o
ORDER BY o.case_id, o.j;

-- The dishonesty lists: N/100 open listings on distinct entities, N/300 removed ones.
INSERT INTO credit_listings (entity_id, list, cause, decision_no, listed_on, listed_at, listed_by)
SELECT 1 + (k * 7919) % {{N}},
       CASE WHEN k % 5 = 0 THEN 'serious_violation' ELSE 'abnormal' END,
       CASE WHEN k % 5 = 0 THEN '因虚假宣传受到较重行政处罚' ELSE 'not_contactable' END,
       printf('南市监列〔2026〕%d号', k),
       date('{{AS_OF}}', printf('-%d days', 1 + (k * 48271) % 700)),
       date('{{AS_OF}}', printf('-%d days', 1 + (k * 48271) % 700)) || 'T08:00:00+00:00',
       'user:bench'
FROM seq WHERE k <= {{N}} / 100;
INSERT INTO credit_listings (entity_id, list, cause, listed_on, listed_at, listed_by, removed_on,
                             removed_reason, removed_by)
SELECT 1 + (k * 15485863) % {{N}},
       CASE WHEN k % 4 = 0 THEN 'serious_violation' ELSE 'abnormal' END,
       CASE WHEN k % 4 = 0 THEN '严重违法失信' ELSE 'not_contactable' END,
       date('{{AS_OF}}', printf('-%d days', 400 + (k * 48271) % 700)),
       date('{{AS_OF}}', printf('-%d days', 400 + (k * 48271) % 700)) || 'T08:00:00+00:00',
       'user:bench',
       date('{{AS_OF}}', printf('-%d days', 1 + (k * 69621) % 300)),
       CASE WHEN k % 3 = 0 THEN 'repaired' ELSE 'corrected' END, 'user:bench'
FROM seq WHERE k <= {{N}} / 300;

-- Third-party evaluations: N/10 entities 0 … 999 days before AS_OF; N/40 of them a second one on
-- another day (so "the latest" is never a tie).
INSERT INTO credit_evaluations (entity_id, evaluator_id, score, evaluated_on, summary, created_at)
SELECT e, 1, h2 % 101, date('{{AS_OF}}', printf('-%d days', 1 + d)), '第三方评价', date('{{AS_OF}}', printf('-%d days', 1 + d)) || 'T09:00:00+00:00'
FROM (SELECT 1 + (k * 104729) % {{N}} AS e,
             ((k * (k + 67)) % 2147483647 * 48271) % 2147483647 % 1000 AS d,
             ((k * (k + 71)) % 2147483647 * 69621) % 2147483647 AS h2
      FROM seq WHERE k <= {{N}} / 10);
INSERT INTO credit_evaluations (entity_id, evaluator_id, score, evaluated_on, summary, created_at)
SELECT e, 1, h2 % 101, date('{{AS_OF}}', printf('-%d days', 1 + d)), '第三方评价（复评）', date('{{AS_OF}}', printf('-%d days', 1 + d)) || 'T09:00:00+00:00'
FROM (SELECT 1 + (k * 104729) % {{N}} AS e,
             -- any day but the first evaluation's
             (((k * (k + 67)) % 2147483647 * 48271) % 2147483647 % 1000
              + 1 + ((k * (k + 73)) % 2147483647 * 16807) % 2147483647 % 999) % 1000 AS d,
             ((k * (k + 79)) % 2147483647 * 39373) % 2147483647 AS h2
      FROM seq WHERE k <= {{N}} / 40);

-- Honest-operation commitments: N/20 entities, 10 % broken; N/200 of them a second, kept one.
INSERT INTO credit_commitments (entity_id, made_on, text, recorded_at, recorded_by, broken_on, broken_reason)
SELECT 1 + (k * 32452843) % {{N}}, made_on, '诚信经营承诺书', made_on || 'T10:00:00+00:00', 'user:bench',
       CASE WHEN k % 10 = 3 THEN date(made_on, '+30 days') END,
       CASE WHEN k % 10 = 3 THEN '承诺期内受到行政处罚' END
FROM (SELECT k, date('{{AS_OF}}', printf('-%d days', 40 + (k * 48271) % 1000)) AS made_on
      FROM seq WHERE k <= {{N}} / 20);
INSERT INTO credit_commitments (entity_id, made_on, text, recorded_at, recorded_by)
SELECT 1 + (k * 32452843) % {{N}}, date('{{AS_OF}}', printf('-%d days', 1 + (k * 69621) % 30)),
       '诚信经营承诺书（续）', date('{{AS_OF}}', printf('-%d days', 1 + (k * 69621) % 30)) || 'T10:00:00+00:00', 'user:bench'
FROM seq WHERE k <= {{N}} / 200;

-- Other departments' filings joined to entities: N/5 first filings, N/20 second ones for some
-- of the same entities; valid_until none (5 %), past (35 %), exactly AS_OF (5 %) or future.
INSERT INTO filings (source, record_key, kind, uscc, domain, name, number, valid_from, valid_until,
                     status, entity_id, joined_by, imported_at, updated_at)
SELECT CASE WHEN f.k % 2 = 0 THEN 'food' ELSE 'icp' END, f.tag || f.k,
       CASE WHEN f.k % 2 = 0 THEN 'food_permit' ELSE 'icp' END,
       CASE WHEN f.linked THEN e.uscc END, NULL, e.name,
       CASE WHEN f.k % 2 = 0 THEN printf('JY245010%08d', f.k) ELSE printf('桂ICP备%08d号-1', f.k) END,
       date('{{AS_OF}}', printf('-%d days', 1500 + f.h % 1000)),
       CASE WHEN f.h % 20 = 0 THEN NULL
            WHEN f.h % 20 < 8 THEN date('{{AS_OF}}', printf('-%d days', 1 + (f.h / 20) % 1500))
            WHEN f.h % 20 = 8 THEN '{{AS_OF}}'
            ELSE date('{{AS_OF}}', printf('+%d days', 1 + (f.h / 20) % 1500)) END,
       'valid',
       CASE WHEN f.linked THEN e.id END, CASE WHEN f.linked THEN 'uscc' END,
       '2026-06-01T00:00:00+00:00', '2026-06-01T00:00:00+00:00'
FROM (SELECT k, 'F' AS tag, 1 + (k * 49979687) % {{N}} AS eid,
             ((k * (k + 83)) % 2147483647 * 48271) % 2147483647 AS h,
             ((k * (k + 89)) % 2147483647 * 69621) % 2147483647 % 20 <> 0 AS linked
      FROM seq WHERE k <= {{N}} / 5
      UNION ALL
      SELECT k, 'G', 1 + (k * 49979687) % {{N}},
             ((k * (k + 97)) % 2147483647 * 40692) % 2147483647,
             1
      FROM seq WHERE k <= {{N}} / 20) f
JOIN entities e ON e.id = f.eid;

COMMIT;
ANALYZE;
