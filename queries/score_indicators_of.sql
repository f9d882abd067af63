-- score_indicators.sql for the projects in the registered table `project_ids` (column id): used when the
-- filtered projects are a small share of their id range (a department across years), so the scan would
-- fetch mostly rows scoring drops. Same columns (tests/test_scoring_fast.py checks), in no order.
SELECT i.project_id, i.position, i.id,
       CASE i.status WHEN 'met' THEN 0 WHEN 'unmet' THEN 1 WHEN 'missing' THEN 2 WHEN 'no_target' THEN 3
                     WHEN 'pending' THEN 4 WHEN 'na' THEN 5 ELSE -1 END AS status,
       CASE WHEN i.level1 IS NULL THEN 0 ELSE coalesce(list_position($level1_texts, i.level1), -1) END AS level1,
       CASE WHEN i.judgement IS NULL THEN 0 ELSE coalesce(list_position($judgement_texts, i.judgement), -1) END
           AS judgement,
       CASE WHEN i.direction IN ('≤', '<') THEN 1 WHEN i.direction = '=' THEN 2 ELSE 0 END AS direction,
       i.target_value, i.actual_value, i.weight, i.reported_score,
       coalesce(trim(i.deviation_note, $spaces) <> '', false) AS note
FROM indicators i
JOIN project_ids f ON f.id = i.project_id
