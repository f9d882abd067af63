-- Per indicator of the projects with ids in [$lo, $hi] (scoring keeps the filtered ones), only the numbers
-- scoring needs, no long texts: the stored status as a code, the 一级 and 判定 texts as their place in
-- $level1_texts / $judgement_texts (score_labels.sql; 0: NULL, -1: not in the list), the direction as
-- 0 (≥ >, and anything read as ≥) / 1 (≤ <) / 2 (=), and whether a 偏差原因 is written ($spaces: the characters Python's str.strip() removes).
-- No ORDER BY: a plain scan keeps the table's order, which the importer writes by project and position;
-- scoring checks that and sorts only when it does not hold (cheaper than sorting millions of rows here).
-- score_indicators_of.sql is the same for a registered table of project ids (a sparse filter).
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
WHERE i.project_id BETWEEN $lo AND $hi
