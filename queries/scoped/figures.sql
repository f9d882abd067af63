-- Every count the overview and the deviations page show for the filtered projects, in one row:
-- totals, deviation counts, indicator counts, data-quality counts and the row counts of the tables.
WITH f AS (
    SELECT * FROM scoped_flags($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
), ind AS (
    SELECT i.status, i.deviation_note
    FROM indicators i
    WHERE i.project_id IN (SELECT id FROM f)
), pf AS (
    SELECT count(*) AS projects,
           coalesce(sum(budget), 0) AS budget_wan,
           coalesce(sum(spent), 0) AS spent_wan,
           count(*) FILTER (in_deviation) AS deviation_projects,
           count(*) FILTER (budget_deviation) AS budget_deviation_projects,
           count(*) FILTER (indicator_deviations > 0) AS indicator_deviation_projects,
           count(*) FILTER (rate_mismatch) AS rate_mismatch,
           count(*) FILTER (budget_deviation AND blank_text(deviation_reason)) AS budget_no_reason,
           coalesce(list(DISTINCT department ORDER BY department), []::VARCHAR[]) AS departments
    FROM f
), inf AS (
    SELECT count(*) AS all_indicators,
           count(*) FILTER (status <> 'na') AS indicators_total,
           count(*) FILTER (status = 'met') AS indicators_met,
           count(*) FILTER (status = 'pending') AS indicators_pending,
           count(*) FILTER (indicator_deviation(status)) AS deviating_indicators,
           count(*) FILTER (status = 'missing') AS missing_actual,
           count(*) FILTER (status = 'no_target') AS missing_target,
           count(*) FILTER (status = 'unmet' AND blank_text(deviation_note)) AS unmet_no_reason
    FROM ind
)
SELECT * FROM pf, inf
