-- The filtered projects' ids, departments and names for the aggregate report (grades per department and
-- the compact per-project table): numbers and short text only, in the projects query's order.
SELECT id, department, name
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
ORDER BY year, department, id
