-- The projects a picker lists (指标填报, 修改记录, 报表导出): the first $limit under the filters in the
-- projects query's order, with the total, and always the project $keep (a link may open one past the cap).
WITH scoped AS (
    SELECT id, year, department, name
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
), ranked AS (
    SELECT id, year, department, name, row_number() OVER (ORDER BY year, department, id) AS n,
           count(*) OVER () AS total
    FROM scoped
)
SELECT id, year, department, name, total
FROM ranked
WHERE n <= $limit OR id = $keep
ORDER BY n
