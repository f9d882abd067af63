-- A page of the filtered projects for the 预算执行 table (and the budget chart's largest ones):
-- display columns only (no long texts, no indicator count), in the order of queries/projects.sql
-- (year, department, id), or largest budget first when $by_budget; $limit NULL = every row.
-- The CTEs p and lit are queries/projects.sql's, copied verbatim (tests/test_execution.py checks it).
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
SELECT id, name, department, coalesce(funding_source, '未填写') AS funding_source, budget, spent,
       execution_rate, reported_rate, light
FROM lit
WHERE ($lights IS NULL OR list_contains($lights, lit.light))
ORDER BY CASE WHEN $by_budget THEN budget END DESC NULLS LAST, year, department, id
LIMIT $limit OFFSET $offset
