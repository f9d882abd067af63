-- The written report's aggregate figures per (year, department) of the filtered projects, one row each, in
-- the report's order (year, department): the count, money, and how many projects deviate, are undecided
-- or met everything, with the same meaning as perfboard.export.report._deviates:
--   deviates  = the rate differs from 100% (|rate - 1| > 1e-9), or an indicator is unmet, or a deviation
--               reason is written;
--   undecided = not deviating, but an indicator is pending, without a target or without an actual;
--   ok        = the rest.
WITH sp AS (
    SELECT * FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
), st AS (          -- per project: any unmet / undecided indicator (one pass over the filtered indicators)
    SELECT project_id,
           bool_or(status = 'unmet') AS unmet,
           bool_or(status IN ('pending', 'no_target', 'missing')) AS open
    FROM indicators
    WHERE project_id IN (SELECT id FROM sp)
    GROUP BY project_id
), flags AS (
    SELECT sp.year, sp.department, sp.budget, sp.spent,
           (sp.execution_rate IS NOT NULL AND abs(sp.execution_rate - 1) > 1e-9)
               OR coalesce(st.unmet, false) OR NOT blank_text(sp.deviation_reason) AS deviates,
           coalesce(st.open, false) AS open
    FROM sp LEFT JOIN st ON st.project_id = sp.id
)
SELECT year, department, count(*) AS projects,
       coalesce(sum(budget), 0) AS budget, coalesce(sum(spent), 0) AS spent,
       count(*) FILTER (deviates) AS deviating,
       count(*) FILTER (NOT deviates AND open) AS undecided,
       count(*) FILTER (NOT deviates AND NOT open) AS ok
FROM flags
GROUP BY year, department
ORDER BY year, department
