-- 自评复核 (perfboard.review): the smallest and largest id of the filtered projects (NULLs when none), so the
-- indicator rules can run a slice of ids at a time.
SELECT min(id) AS lo, max(id) AS hi
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
