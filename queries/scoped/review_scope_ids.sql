-- 自评复核 (perfboard.review): the ids and departments of the filtered projects, to narrow a year's cached
-- findings to the filters (a funding source, a light or a name search) without running the rules again.
SELECT id, department
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
