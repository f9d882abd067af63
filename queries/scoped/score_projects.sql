-- Scoring inputs of the projects under the sidebar filters, numbers only: one row per project, in the
-- projects query's order (year, department, id). The filters and light are queries/scope.sql's
-- scoped_projects (projects.sql's, tested so).
SELECT id, budget, spent, execution_weight, execution_reported_score, reported_total_score
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
ORDER BY year, department, id
