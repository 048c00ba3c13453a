-- bench/credit.sh's agreement check: the peer's scores (peer_scores, made by peer.sql) against
-- wangjian's (credit_scores, written by `wangjian credit rescore --all`) in the same database.
-- Prints `key value` lines, then up to 5 example rows of each kind of disagreement.
-- The peer's table has no index of its own (CREATE TABLE … AS): one for the lookups below.
CREATE INDEX IF NOT EXISTS peer_scores_entity ON peer_scores (entity_id);
.mode list
.separator ' '
SELECT 'peer_rows', count(*) FROM peer_scores;
SELECT 'wangjian_rows', count(*) FROM credit_scores;
SELECT 'only_peer', count(*) FROM peer_scores p
    WHERE NOT EXISTS (SELECT 1 FROM credit_scores c WHERE c.entity_id = p.entity_id);
SELECT 'only_wangjian', count(*) FROM credit_scores c
    WHERE NOT EXISTS (SELECT 1 FROM peer_scores p WHERE p.entity_id = c.entity_id);
SELECT 'class_mismatches', count(*) FROM peer_scores p JOIN credit_scores c USING (entity_id)
    WHERE p.class <> c.class;
SELECT 'score_class_mismatches', count(*) FROM peer_scores p JOIN credit_scores c USING (entity_id)
    WHERE p.score_class <> c.score_class;
SELECT 'score_over_1e-6', count(*) FROM peer_scores p JOIN credit_scores c USING (entity_id)
    WHERE abs(p.score - c.score) > 1e-6;
SELECT 'override_mismatches', count(*) FROM peer_scores p JOIN credit_scores c USING (entity_id)
    WHERE p.override IS NOT c.override;
SELECT 'max_score_diff', printf('%.3e', coalesce(max(abs(p.score - c.score)), 0))
    FROM peer_scores p JOIN credit_scores c USING (entity_id);
SELECT 'index_versions', group_concat(v, ',') FROM (SELECT DISTINCT index_version AS v FROM credit_scores);
SELECT 'classes', group_concat(class || '=' || n, ',') FROM (SELECT class, count(*) AS n FROM credit_scores GROUP BY class ORDER BY class);
SELECT 'peer_classes', group_concat(class || '=' || n, ',') FROM (SELECT class, count(*) AS n FROM peer_scores GROUP BY class ORDER BY class);
SELECT 'overrides', group_concat(coalesce(override, 'none') || '=' || n, ',') FROM (SELECT override, count(*) AS n FROM credit_scores GROUP BY override ORDER BY override);
SELECT 'grades', count(*) FROM credit_grades;
.mode line
SELECT 'class or score differs' AS example, e.id AS entity_id, e.uscc, e.status,
       printf('%.12f', p.score) AS peer_score, p.score_class AS peer_score_class, p.class AS peer_class,
       printf('%.12f', c.score) AS wangjian_score, c.score_class AS wangjian_score_class,
       p.override AS peer_override, c.class AS wangjian_class, c.override AS wangjian_override, c.points AS wangjian_points
FROM peer_scores p JOIN credit_scores c USING (entity_id) JOIN entities e ON e.id = p.entity_id
WHERE p.class <> c.class OR p.score_class <> c.score_class OR abs(p.score - c.score) > 1e-6
ORDER BY e.id LIMIT 5;
SELECT 'scored by the peer only' AS example, p.entity_id, p.score, p.class
FROM peer_scores p WHERE NOT EXISTS (SELECT 1 FROM credit_scores c WHERE c.entity_id = p.entity_id)
ORDER BY p.entity_id LIMIT 5;
SELECT 'scored by wangjian only' AS example, c.entity_id, c.score, c.class
FROM credit_scores c WHERE NOT EXISTS (SELECT 1 FROM peer_scores p WHERE p.entity_id = c.entity_id)
ORDER BY c.entity_id LIMIT 5;
