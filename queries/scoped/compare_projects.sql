-- Every project of the given $years with what year-over-year matching needs (year, department,
-- code, name) and what the comparison filters and sums afterwards: funding source ('未填写' when
-- blank), money, rate and light. Matching runs on whole years (every department, no light or search
-- filter), so a project that turned red this year is not mistaken for a new one, and the matching is
-- computed once per pair of years (perfboard.compare caches it); the sidebar filters apply afterwards.
-- The filters, rate and light are queries/scope.sql's scoped_projects (projects.sql's, tested so); run
-- it with no year, funding source, search or light filter (departments only, for match_years).
SELECT id, year, department, project_code AS code, name, coalesce(funding_source, '未填写') AS funding_source,
       budget, spent, execution_rate, light
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
WHERE list_contains($years, year)
ORDER BY year, department, id
