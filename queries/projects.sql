-- Projects under the sidebar filters: money, computed and reported rate, traffic light, indicator count.
-- Returns one row per project ordered by year, department, id.
WITH p AS (
    SELECT p.*,
           CASE WHEN p.budget > 0 THEN p.spent / p.budget END AS execution_rate
    FROM projects p
    WHERE ($year IS NULL OR p.year = $year)
      AND ($departments IS NULL OR list_contains($departments, p.department))
      AND ($funding_sources IS NULL OR list_contains($funding_sources, coalesce(p.funding_source, '未填写')))
      AND ($search IS NULL OR contains(lower(p.name), lower($search)))
), lit AS (
    SELECT p.*,
           CASE WHEN execution_rate IS NULL THEN '无预算'
                WHEN execution_rate > 1 + 1e-9 THEN '超预算'
                WHEN execution_rate >= $green - 1e-12 THEN '绿'
                WHEN execution_rate >= $yellow - 1e-12 THEN '黄'
                ELSE '红' END AS light
    FROM p
)
SELECT lit.id, lit.year, lit.department, lit.unit, lit.project_code AS code, lit.name, lit.funding_source,
       lit.initial_budget, lit.budget, lit.spent, lit.execution_rate, lit.reported_rate,
       lit.reported_rate IS NOT NULL AND lit.execution_rate IS NOT NULL
           AND abs(lit.reported_rate - lit.execution_rate) > 0.0005 AS rate_mismatch,
       lit.light, coalesce(i.n, 0) AS indicators,
       lit.overview, lit.goal, lit.achievement, lit.deviation_reason, lit.improvement,
       lit.source_file, lit.source_sheet, lit.source_row
FROM lit
LEFT JOIN (SELECT project_id, count(*) AS n FROM indicators GROUP BY project_id) i ON i.project_id = lit.id
WHERE ($lights IS NULL OR list_contains($lights, lit.light))
ORDER BY lit.year, lit.department, lit.id
