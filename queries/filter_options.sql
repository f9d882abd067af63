-- Distinct (year, department, funding source) combinations: the choices of the sidebar filters.
SELECT DISTINCT year, department, coalesce(funding_source, '未填写') AS funding_source
FROM projects
ORDER BY year, department, funding_source
