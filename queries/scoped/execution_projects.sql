-- A page of the filtered projects for the 预算执行 table (and the budget chart's largest ones):
-- display columns only (no long texts, no indicator count), in the order of queries/projects.sql
-- (year, department, id), or largest budget first when $by_budget; $limit NULL = every row.
-- The filters, rate and light are queries/scope.sql's scoped_projects (projects.sql's, tested so).
SELECT id, name, department, coalesce(funding_source, '未填写') AS funding_source, budget, spent,
       execution_rate, reported_rate, light
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
ORDER BY CASE WHEN $by_budget THEN budget END DESC NULLS LAST, year, department, id
LIMIT $limit OFFSET $offset
