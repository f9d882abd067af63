-- The overview's 监控轨迹: projects of $year with a monitoring snapshot, their execution rate at each snapshot
-- and the year-end rate of the self-evaluation project with the same department and code (else name);
-- $limit projects, the ones with most snapshots first, then by name. NULL filters mean all.
WITH m AS (
    SELECT department, coalesce(project_code, regexp_replace(name, '\s', '', 'g')) AS k, any_value(name) AS name,
           list({'month': period_month, 'rate': CASE WHEN budget > 0 THEN spent_to_date / budget END}
                ORDER BY period_month) AS snapshots
    FROM monitor_projects
    WHERE year = $year
      AND ($departments IS NULL OR list_contains($departments, department))
      AND ($search IS NULL OR contains(lower(name), lower($search)))
    GROUP BY department, coalesce(project_code, regexp_replace(name, '\s', '', 'g'))
), y AS (
    SELECT department, coalesce(project_code, regexp_replace(name, '\s', '', 'g')) AS k,
           any_value(CASE WHEN budget > 0 THEN spent / budget END) AS year_end_rate
    FROM projects
    WHERE year = $year AND ($departments IS NULL OR list_contains($departments, department))
    GROUP BY ALL
)
SELECT m.name, m.department, m.snapshots, y.year_end_rate, count(*) OVER () AS total
FROM m LEFT JOIN y USING (department, k)
ORDER BY len(m.snapshots) DESC, m.name
LIMIT $limit
