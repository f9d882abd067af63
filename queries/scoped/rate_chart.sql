-- The execution-rate chart's rows: the $top projects with a rate furthest from 100% (ties in the
-- project list's order: year, department, id), then one row (rk NULL) for the rest: how many, their
-- budget and spent. perfboard.charts draws exactly these (cap_projects folds the rest the same way).
WITH r AS (
    SELECT id, year, department, name, budget, spent, execution_rate, reported_rate, light
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
    WHERE execution_rate IS NOT NULL
), top AS (
    SELECT *, row_number() OVER (ORDER BY abs(execution_rate - 1) DESC, year, department, id) AS rk
    FROM (SELECT * FROM r ORDER BY abs(execution_rate - 1) DESC, year, department, id LIMIT $top)
)
SELECT id, department, name, budget, spent, execution_rate, reported_rate, light, rk, 1 AS n
FROM top
UNION ALL
SELECT NULL, NULL, NULL, a.budget - t.budget, a.spent - t.spent, NULL, NULL, NULL, NULL, a.n - t.n
FROM (SELECT count(*) AS n, sum(budget) AS budget, sum(spent) AS spent FROM r) a,
     (SELECT count(*) AS n, sum(budget) AS budget, sum(spent) AS spent FROM top) t
WHERE a.n > t.n
ORDER BY rk NULLS LAST
