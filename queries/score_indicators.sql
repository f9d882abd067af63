-- Per indicator of the projects in the registered table `project_ids` (id, k = the project's row in the
-- scoring frame), only the numbers scoring needs, in form order: the stored status as a code, the 一级's
-- class and group and the judgement's coefficient from the registered tables `level1_map` and
-- `judgement_map`, and whether a 偏差原因 is written ($spaces: the characters Python's str.strip() removes).
SELECT f.k, i.id,
       CASE i.status WHEN 'met' THEN 0 WHEN 'unmet' THEN 1 WHEN 'missing' THEN 2 WHEN 'no_target' THEN 3
                     WHEN 'pending' THEN 4 WHEN 'na' THEN 5 ELSE -1 END AS status,
       coalesce(l.cls, -1) AS cls, coalesce(l.grp, -1) AS grp, j.coefficient,
       CASE WHEN i.direction IN ('≤', '<') THEN 1 WHEN i.direction = '=' THEN 2 ELSE 0 END AS direction,
       i.target_value, i.actual_value, i.weight, i.reported_score,
       coalesce(trim(i.deviation_note, $spaces) <> '', false) AS note
FROM indicators i
JOIN project_ids f ON f.id = i.project_id
LEFT JOIN level1_map l ON l.level1 = i.level1
LEFT JOIN judgement_map j ON j.judgement = i.judgement
ORDER BY f.k, i.position, i.id
