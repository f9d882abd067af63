-- The distinct 一级指标 and 判定 texts among the indicators of the projects with ids in [$lo, $hi], each with
-- its hash: scoring reads each text once in Python (class_of, the judgement's coefficient) and finds every
-- row's text by the hash score_indicators.sql returns.
SELECT DISTINCT 'level1' AS kind, i.level1 AS text, hash(i.level1) AS h
FROM indicators i
WHERE i.project_id BETWEEN $lo AND $hi
UNION ALL
SELECT DISTINCT 'judgement', i.judgement, hash(i.judgement)
FROM indicators i
WHERE i.project_id BETWEEN $lo AND $hi
