-- 自评复核 (perfboard.review_store.counts): a year's stored findings (review_findings; the caller checked in
-- review_findings_runs that they are current) under the filters and the page's choices (queries/review_scope.sql's
-- stored_findings), counted per unit, severity, 维度 and review status: the page's figures and its table of units
-- come from these few rows instead of the year's findings in pandas.
SELECT year, department, severity, dimension, status, count(*) AS n
FROM stored_findings($year, $departments, $funding_sources, $search, $lights, $green, $yellow,
                     $narrow, $codes, $severities)
WHERE $statuses IS NULL OR list_contains($statuses, status)
GROUP BY ALL
ORDER BY year, department, severity, dimension, status
