-- Every count the overview and the deviations page show for the filtered projects, in one row:
-- totals, deviation counts, indicator counts, data-quality counts, the row counts of the tables, and
-- the overview's 需关注 list (the $attention projects in deviation worst first; 0: none, NULL: all).
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
), by_status AS (  -- counting by status (a handful of groups) beats eight filters per row
    SELECT i.status, count(*) AS n,
           count(*) FILTER (i.status = 'unmet' AND blank_text(i.deviation_note)) AS unmet_no_reason
    FROM indicators i
    WHERE i.project_id IN (SELECT id FROM sp)
    GROUP BY i.status
), inf AS (
    SELECT coalesce(sum(n), 0) AS all_indicators,
           coalesce(sum(n) FILTER (status <> 'na'), 0) AS indicators_total,
           coalesce(sum(n) FILTER (status = 'met'), 0) AS indicators_met,
           coalesce(sum(n) FILTER (status = 'pending'), 0) AS indicators_pending,
           coalesce(sum(n) FILTER (indicator_deviation(status)), 0) AS deviating_indicators,
           coalesce(sum(n) FILTER (status = 'missing'), 0) AS missing_actual,
           coalesce(sum(n) FILTER (status = 'no_target'), 0) AS missing_target,
           coalesce(sum(unmet_no_reason), 0) AS unmet_no_reason
    FROM by_status
), devc AS (      -- deviating indicators per project (a few of the indicators: grouping them is cheap)
    SELECT project_id, count(*) AS n
    FROM indicators
    WHERE indicator_deviation(status) AND project_id IN (SELECT id FROM sp)
    GROUP BY project_id
), flagged AS (    -- the projects in deviation (budget or indicators): the 需关注 list
    SELECT sp.*, coalesce(devc.n, 0) AS indicator_deviations
    FROM sp
    LEFT JOIN devc ON devc.project_id = sp.id
    WHERE sp.budget_deviation OR devc.n IS NOT NULL
), dv AS (
    SELECT count(*) AS deviation_projects,
           count(*) FILTER (indicator_deviations > 0) AS indicator_deviation_projects
    FROM flagged
), top AS (        -- the $attention worst (NULL: all), as flags.sql orders them
    SELECT coalesce(list({'id': id, 'year': year, 'name': name, 'department': department, 'light': light,
                          'execution_rate': execution_rate, 'reported_rate': reported_rate,
                          'rate_mismatch': rate_mismatch, 'budget_deviation': budget_deviation,
                          'indicator_deviations': indicator_deviations, 'deviation_reason': deviation_reason,
                          'improvement': improvement}
                         ORDER BY severity DESC, indicator_deviations DESC, id), []) AS attention
    FROM (SELECT * FROM flagged ORDER BY severity DESC, indicator_deviations DESC, id LIMIT $attention)
)
SELECT pf.*, inf.*, dv.*, top.attention
FROM pf, inf, dv, top
