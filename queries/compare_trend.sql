-- summary.totals() per year under the sidebar filters (every year; $year is bound NULL), oldest first.
-- The CTEs p and lit are queries/projects.sql's, copied verbatim (tests/test_compare.py checks it).
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
SELECT year, count(*) AS projects, coalesce(sum(budget), 0) AS budget_wan, coalesce(sum(spent), 0) AS spent_wan
FROM lit
WHERE ($lights IS NULL OR list_contains($lights, lit.light))
GROUP BY year
ORDER BY year
