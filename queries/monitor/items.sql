-- `monitor --json`: every project of the snapshot under the filters (department, name order) with its
-- indicators (form order) as a list of structs.
WITH ind AS (
    SELECT project_id,
           list({'name': level3, 'target': target_text, 'actual_to_date': actual_text, 'forecast': forecast_text,
                 'light': light, 'likelihood': likelihood, 'reasons': reasons} ORDER BY position) AS indicators
    FROM monitor_indicator_rows($year, $period, $departments, $search, $lights, $yellow_gap, $floor, $red, $yellow, $blue)
    GROUP BY project_id
)
SELECT s.id, s.name, s.department, s.budget, s.spent_to_date, s.execution_rate, s.forecast_spent, s.light,
       s.at_risk, s.risk_reasons, coalesce(ind.indicators, []) AS indicators
FROM monitor_scope($year, $period, $departments, $search, $lights, $yellow_gap, $floor) s
LEFT JOIN ind ON ind.project_id = s.id
ORDER BY s.department, s.name, s.id
