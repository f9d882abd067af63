-- 自评复核 (perfboard.review), copied-text: the 实际完成情况 and 偏离原因 texts of the filtered projects that
-- are at least $min_chars characters long once whitespace is removed, one row per (project, field), the text as compared (norm).
WITH sp AS (
    SELECT id, year, department, project_code, name, achievement, deviation_reason
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
), t AS (
    SELECT id AS project_id, year, department, project_code, name AS project, 'achievement' AS field, achievement AS text
    FROM sp
    UNION ALL
    SELECT id, year, department, project_code, name, 'deviation_reason', deviation_reason
    FROM sp
)
SELECT * EXCLUDE (text)
FROM (SELECT *, regexp_replace(text, '[\s\p{P}\p{S}]', '', 'g') AS norm FROM t WHERE text IS NOT NULL)
WHERE length(norm) >= $min_chars
ORDER BY year, department, project_id, field
