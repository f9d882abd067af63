-- The execution-rate chart's rows: the $top projects with a rate furthest from 100% (ties in the
-- project list's order), then one row (rk NULL) summing the rest: n projects, their budget and spent.
-- perfboard.charts draws exactly these (cap_projects folds the rest into "其他 n 个项目" the same way).
WITH r AS (
    SELECT id, year, department, name, budget, spent, execution_rate, reported_rate, light,
           row_number() OVER (ORDER BY abs(execution_rate - 1) DESC, year, department, id) AS rk
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
    WHERE execution_rate IS NOT NULL
)
SELECT id, department, name, budget, spent, execution_rate, reported_rate, light, rk, 1 AS n
FROM r WHERE rk <= $top
UNION ALL
SELECT NULL, NULL, NULL, sum(budget), sum(spent), NULL, NULL, NULL, NULL, count(*)
FROM r WHERE rk > $top
ORDER BY rk NULLS LAST
