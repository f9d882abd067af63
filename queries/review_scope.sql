-- 自评复核's stored findings under the filters and the page's choices, as one definition both
-- queries/scoped/review_stored_counts.sql and review_stored_rows.sql read (run after queries/scope.sql, on the
-- same cursor: perfboard.scope.MORE). Kept apart from scope.sql because DuckDB binds a
-- macro's tables when it is defined, and every figure query runs scope.sql.
--   stored_findings(filters, bands, narrow, codes, severities) = the year's rows of review_findings with each
--       one's decision (status 'open' without one, reason, decided_by, decided_at), narrowed as
--       perfboard.review.narrow_findings narrows a year's findings: to the departments; with a funding source,
--       a light or a name search (f_narrow) to the findings of the filtered projects and the unit findings (no
--       project) of their departments; then to the rules (f_codes) and severities chosen.
CREATE OR REPLACE TEMP MACRO stored_findings(f_year, f_departments, f_funding_sources, f_search, f_lights,
                                             f_green, f_yellow, f_narrow, f_codes, f_severities) AS TABLE
WITH scope_ids AS (
    SELECT id, department
    FROM scoped_projects(f_year, f_departments, f_funding_sources, f_search, f_lights, f_green, f_yellow)
    WHERE f_narrow
)
SELECT f.*, coalesce(d.status, 'open') AS status, d.reason, d.decided_by, d.decided_at
FROM review_findings f
LEFT JOIN review_decisions d ON d.finding_key = f.key
WHERE f.year = f_year
  AND (f_departments IS NULL OR list_contains(f_departments, f.department))
  AND (NOT f_narrow OR f.project_id IN (SELECT id FROM scope_ids)
       OR (f.project_id IS NULL AND f.department IN (SELECT department FROM scope_ids)))
  AND (f_codes IS NULL OR list_contains(f_codes, f.code))
  AND (f_severities IS NULL OR list_contains(f_severities, f.severity));
