-- Scoring inputs of the projects under the sidebar filters, numbers only: one row per project, in the
-- projects query's order (year, department, id). The WHERE clauses are projects.sql's, the light included;
-- tests/test_scoring_fast.py checks both queries select the same projects for every kind of filter.
WITH p AS (
    SELECT p.id, p.year, p.department, p.budget, p.spent, p.execution_weight, p.execution_reported_score,
           p.reported_total_score,
           CASE WHEN p.budget > 0 THEN p.spent / p.budget END AS execution_rate
    FROM projects p
    WHERE ($year IS NULL OR p.year = $year)
      AND ($departments IS NULL OR list_contains($departments, p.department))
      AND ($funding_sources IS NULL OR list_contains($funding_sources, coalesce(p.funding_source, '未填写')))
      AND ($search IS NULL OR contains(lower(p.name), lower($search)))
)
SELECT id, budget, spent, execution_weight, execution_reported_score, reported_total_score
FROM p
WHERE ($lights IS NULL OR list_contains($lights,
           CASE WHEN execution_rate IS NULL THEN '无预算'
                WHEN execution_rate > 1 + 1e-9 THEN '超预算'
                WHEN execution_rate >= $green - 1e-12 THEN '绿'
                WHEN execution_rate >= $yellow - 1e-12 THEN '黄'
                ELSE '红' END))
ORDER BY year, department, id
