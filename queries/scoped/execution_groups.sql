-- Every aggregate of the 预算执行 page under the sidebar filters, in one scan of the projects:
--   grouped_by 'total'          one row: projects, budget, spent, deviating (the 合计 rows)
--   grouped_by 'department'     one row per 主管部门
--   grouped_by 'funding_source' one row per 资金来源 ('未填写' when blank)
--   grouped_by 'bucket'         one row per execution-rate bucket and light (charts.rate_bucket;
--                               bucket NULL = no rate), with the first $names project names
-- deviating counts projects whose light is in $deviating (deviations.BUDGET_DEVIATION_LIGHTS).
-- Groups come largest budget first, ties in the order of their first project (year, department, id).
-- The filters, rate and light are queries/scope.sql's scoped_projects (projects.sql's, tested so).
WITH f AS (
    SELECT year, id, department, coalesce(funding_source, '未填写') AS funding_source, name, budget, spent, light,
           CASE WHEN execution_rate IS NULL THEN NULL
                WHEN abs(execution_rate - 1) <= 1e-9 THEN '100%'
                WHEN execution_rate > 1 THEN '>100%'
                WHEN execution_rate < 0.5 THEN '<50%'
                WHEN execution_rate < 0.7 THEN '50–70%'
                WHEN execution_rate < 0.8 THEN '70–80%'
                WHEN execution_rate < 0.9 THEN '80–90%'
                WHEN execution_rate < 0.95 THEN '90–95%'
                ELSE '95–100%' END AS bucket
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
)
SELECT CASE WHEN grouping(department) = 0 THEN 'department'
            WHEN grouping(funding_source) = 0 THEN 'funding_source'
            WHEN grouping(bucket) = 0 THEN 'bucket'
            ELSE 'total' END AS grouped_by,
       department, funding_source, bucket, light,
       count(*) AS projects, coalesce(sum(budget), 0) AS budget, coalesce(sum(spent), 0) AS spent,
       count(*) FILTER (WHERE list_contains($deviating, light)) AS deviating,
       min_by(name, (year, department, id), $names) AS names
FROM f
GROUP BY GROUPING SETS ((department), (funding_source), (bucket, light), ())
ORDER BY grouped_by, budget DESC, min((year, department, id))
