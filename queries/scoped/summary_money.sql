-- `summary --json`'s head: year, budget and spent of every filtered project, in queries/projects.sql's
-- order (year, department, id), so summary.totals() adds them up in the order it always did (the same
-- float sums to the last bit) without the projects' texts.
SELECT year, budget, spent
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
ORDER BY year, department, id
