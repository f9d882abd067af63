-- 自评复核 (perfboard.review_store.counts): a year's stored findings (review_findings; the caller checked in
-- review_findings_runs that they are current) under the filters and the page's choices, counted per unit,
-- severity, 维度 and review status: the page's figures and its table of units come from these few rows instead
-- of the year's findings in pandas. Narrowed as perfboard.review.narrow_findings narrows a year's findings: to
-- the departments; with a funding source, a light or a name search ($narrow) to the findings of the filtered
-- projects and the unit findings (no project) of their departments. A finding without a decision is 'open'.
WITH scope_ids AS (
    SELECT id, department
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
    WHERE $narrow
), found AS (
    SELECT f.year, f.department, f.severity, f.dimension, coalesce(d.status, 'open') AS status
    FROM review_findings f
    LEFT JOIN review_decisions d ON d.finding_key = f.key
    WHERE f.year = $year
      AND ($departments IS NULL OR list_contains($departments, f.department))
      AND (NOT $narrow OR f.project_id IN (SELECT id FROM scope_ids)
           OR (f.project_id IS NULL AND f.department IN (SELECT department FROM scope_ids)))
      AND ($codes IS NULL OR list_contains($codes, f.code))
      AND ($severities IS NULL OR list_contains($severities, f.severity))
)
SELECT year, department, severity, dimension, status, count(*) AS n
FROM found
WHERE $statuses IS NULL OR list_contains($statuses, status)
GROUP BY ALL
ORDER BY year, department, severity, dimension, status
