-- `summary --json`'s items: the filtered projects of queries/projects.sql (its filters, rate, mismatch and
-- indicator count; scoped_projects is projects.sql's, tested so) with only the columns the items carry,
-- in projects.sql's order (year, department, id). perfboard.summary streams it a piece at a time.
SELECT sp.year, sp.department, sp.name, sp.project_code AS code, sp.budget, sp.spent, sp.execution_rate,
       sp.reported_rate, sp.rate_mismatch, coalesce(i.n, 0) AS indicators
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow) sp
LEFT JOIN (SELECT project_id, count(*) AS n FROM indicators GROUP BY project_id) i ON i.project_id = sp.id
ORDER BY sp.year, sp.department, sp.id
