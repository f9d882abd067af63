-- The distinct 一级指标 and 判定 texts among the indicators of the projects in the registered table
-- `project_ids` (column id): scoring reads them once each in Python (class_of, the judgement coefficient)
-- and joins the results back as numbers (score_indicators.sql).
SELECT DISTINCT i.level1, i.judgement
FROM indicators i
JOIN project_ids f ON f.id = i.project_id
