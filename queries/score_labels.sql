-- The distinct 一级指标 and 判定 texts among the indicators of the projects with ids in [$lo, $hi]: scoring
-- reads each once in Python (class_of, the judgement's coefficient) and gets every row's text back as its
-- place in these lists (score_indicators.sql).
SELECT DISTINCT 'level1' AS kind, i.level1 AS text
FROM indicators i
WHERE i.project_id BETWEEN $lo AND $hi AND i.level1 IS NOT NULL
UNION ALL
SELECT DISTINCT 'judgement', i.judgement
FROM indicators i
WHERE i.project_id BETWEEN $lo AND $hi AND i.judgement IS NOT NULL
