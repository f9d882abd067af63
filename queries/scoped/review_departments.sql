-- 自评复核 (perfboard.review): the departments (units) of the filtered projects and how many projects each has,
-- so the rules can run over groups of whole units at a time (memory at a province's scale). In the order of
-- their first project's id: a file imports unit after unit, so a group's projects are one range of ids and its
-- slices of review_indicators.sql read that range only.
SELECT department, count(*) AS projects
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
GROUP BY department
ORDER BY min(id), department
