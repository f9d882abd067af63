-- Who each scored project is, for `score --json` and the scores export: one row per project under the
-- sidebar filters, in score_projects.sql's (the projects query's) order.
SELECT id, year, department, name, budget, spent
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
ORDER BY year, department, id
