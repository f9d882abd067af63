-- Every monitoring snapshot held: year, period_month and its project count, newest first.
SELECT year, period_month, count(*) AS projects
FROM monitor_projects
GROUP BY year, period_month
ORDER BY year DESC, period_month DESC
