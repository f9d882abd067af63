-- 自评复核 (perfboard.review): the departments (units) of the filtered projects and how many projects each has,
-- in department order, so the rules can run over groups of whole units at a time (memory at a province's scale).
SELECT department, count(*) AS projects
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
GROUP BY department
ORDER BY department
