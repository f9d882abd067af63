-- The execution chart's bars: the $top projects furthest behind 序时进度 (with a budget), and the rest summed
-- into one row (id -1; its rate the weighted one).
WITH s AS (
    SELECT id, name, department, budget, spent_to_date, execution_rate, light,
           row_number() OVER (ORDER BY gap_pp DESC, id) AS rk
    FROM monitor_scope($year, $period, $departments, $search, $lights, $yellow_gap, $floor)
    WHERE execution_rate IS NOT NULL
)
SELECT id, name, department, budget, spent_to_date, execution_rate, light FROM s WHERE rk <= $top
UNION ALL
SELECT -1, printf('其他 %d 个项目', count(*)), '', sum(budget), sum(spent_to_date),
       sum(spent_to_date) / nullif(sum(budget), 0), '其他'
FROM s WHERE rk > $top HAVING count(*) > 0
