-- Every project of the given $years with what year-over-year matching needs (year, department,
-- code, name) and what the comparison filters and sums afterwards: funding source ('未填写' when
-- blank), money, rate and light. Matching runs on whole years (every department, no light or search
-- filter), so a project that turned red this year is not mistaken for a new one, and the matching is
-- computed once per pair of years (perfboard.compare caches it); the sidebar filters apply afterwards.
-- The CTEs p and lit are queries/projects.sql's, copied verbatim (tests/test_compare.py checks it);
-- bind $year, $departments, $funding_sources and $search NULL.
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
SELECT id, year, department, project_code AS code, name, coalesce(funding_source, '未填写') AS funding_source,
       budget, spent, execution_rate, light
FROM lit
WHERE list_contains($years, year)
ORDER BY year, department, id
