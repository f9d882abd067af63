-- Distinct (year, department, funding source) combinations: the choices of the sidebar filters. Departments that
-- only have monitoring snapshots (monitor_projects, issue 17) are offered too (monitor_only: their rows give no year
-- and no funding source to the other pickers).
SELECT DISTINCT year, department, coalesce(funding_source, '未填写') AS funding_source, false AS monitor_only
FROM projects
UNION
SELECT DISTINCT year, department, NULL AS funding_source, true AS monitor_only
FROM monitor_projects
ORDER BY year, department, funding_source
