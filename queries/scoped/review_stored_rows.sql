-- 自评复核 (perfboard.review_store.rows): the rows the page shows of a year's stored findings under the filters
-- and the page's choices (queries/review_scope.sql's stored_findings, as review_stored_counts.sql counts them),
-- with each one's decision: one severity's table a page at a time, in the page's order (维度, rule, then the
-- rules' own order: seq), or the one finding picked ($key). The page's rows are chosen on the narrow columns
-- first (page), then only those are read whole: only they leave DuckDB, never the year's, and the texts of the
-- rows not shown are never read.
WITH page AS (
    SELECT seq
    FROM stored_findings($year, $departments, $funding_sources, $search, $lights, $green, $yellow,
                         $narrow, $codes, $severities)
    WHERE ($severity IS NULL OR severity = $severity)
      AND ($key IS NULL OR key = $key)
      AND ($statuses IS NULL OR list_contains($statuses, status))
    ORDER BY dimension, code, seq
    LIMIT $limit OFFSET $offset
)
SELECT f.key, f.code, f.severity, f.dimension, f.year, f.department, f.project_id, f.project, f.project_code,
       f.indicator_id, f.indicator, f.location, f.message, f.fact, f.evidence,
       coalesce(d.status, 'open') AS status, d.reason, d.decided_by, d.decided_at
FROM review_findings f
LEFT JOIN review_decisions d ON d.finding_key = f.key
WHERE f.year = $year AND f.seq IN (SELECT seq FROM page)
ORDER BY f.dimension, f.code, f.seq
