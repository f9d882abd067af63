-- The page's aggregates in one scan: grouped_by 'total' (one row) and 'department' (one per 主管部门), each with
-- projects, budget, spent (to date), forecast, the count per light and at-risk projects; largest budget first.
SELECT CASE WHEN grouping(department) = 0 THEN 'department' ELSE 'total' END AS grouped_by, department,
       count(*) AS projects, coalesce(sum(budget), 0) AS budget, coalesce(sum(spent_to_date), 0) AS spent,
       sum(forecast_spent) AS forecast, count(forecast_spent) AS with_forecast,
       count(*) FILTER (WHERE light = '绿') AS green, count(*) FILTER (WHERE light = '黄') AS yellow,
       count(*) FILTER (WHERE light = '红') AS red, count(*) FILTER (WHERE light = '无预算') AS no_budget,
       count(*) FILTER (WHERE at_risk) AS at_risk
FROM monitor_scope($year, $period, $departments, $search, $lights, $yellow_gap, $floor)
GROUP BY GROUPING SETS ((department), ())
ORDER BY grouped_by DESC, budget DESC, department
