-- Every count the overview and the deviations page show for the filtered projects, in one row:
-- totals, deviation counts, indicator counts, data-quality counts and the row counts of the tables.
WITH sp AS (
    SELECT * FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
), pf AS (
    SELECT count(*) AS projects,
           coalesce(sum(budget), 0) AS budget_wan,
           coalesce(sum(spent), 0) AS spent_wan,
           count(*) FILTER (budget_deviation) AS budget_deviation_projects,
           count(*) FILTER (rate_mismatch) AS rate_mismatch,
           count(*) FILTER (budget_deviation AND blank_text(deviation_reason)) AS budget_no_reason,
           coalesce(list(DISTINCT department ORDER BY department), []::VARCHAR[]) AS departments
    FROM sp
), inf AS (
    SELECT count(*) AS all_indicators,
           count(*) FILTER (i.status <> 'na') AS indicators_total,
           count(*) FILTER (i.status = 'met') AS indicators_met,
           count(*) FILTER (i.status = 'pending') AS indicators_pending,
           count(*) FILTER (indicator_deviation(i.status)) AS deviating_indicators,
           count(*) FILTER (i.status = 'missing') AS missing_actual,
           count(*) FILTER (i.status = 'no_target') AS missing_target,
           count(*) FILTER (i.status = 'unmet' AND blank_text(i.deviation_note)) AS unmet_no_reason
    FROM indicators i
    WHERE i.project_id IN (SELECT id FROM sp)
), devp AS (      -- projects with a deviating indicator (a few of the indicators: grouping them is cheap)
    SELECT sp.budget_deviation
    FROM sp
    JOIN (SELECT DISTINCT project_id FROM indicators
          WHERE indicator_deviation(status) AND project_id IN (SELECT id FROM sp)) d ON d.project_id = sp.id
), dv AS (
    SELECT count(*) AS indicator_deviation_projects,
           count(*) FILTER (NOT budget_deviation) AS indicator_only_projects
    FROM devp
)
SELECT pf.*, inf.*, dv.indicator_deviation_projects,
       pf.budget_deviation_projects + dv.indicator_only_projects AS deviation_projects
FROM pf, inf, dv
