-- `monitor --json`: every project of the snapshot under the filters (department, name order) as one JSON object
-- each (DuckDB writes the JSON: 200,000 projects with a million indicators would take tens of seconds as Python
-- objects), its indicators in form order.
WITH ind AS (
    SELECT project_id,
           list({'name': level3, 'target': target_text, 'actual_to_date': actual_text, 'forecast': forecast_text,
                 'light': light, 'likelihood': likelihood, 'reasons': reasons} ORDER BY position) AS indicators
    FROM monitor_indicator_rows($year, $period, $departments, $search, $lights, $yellow_gap, $floor, $red, $yellow, $blue)
    GROUP BY project_id
)
SELECT to_json({'name': s.name, 'department': s.department, 'budget_wan': s.budget::DOUBLE,
                'spent_to_date_wan': s.spent_to_date::DOUBLE, 'execution_rate': s.execution_rate::DOUBLE,
                'forecast_spent_wan': s.forecast_spent::DOUBLE, 'light': s.light, 'at_risk': s.at_risk,
                'risk_reasons': s.risk_reasons, 'indicators': coalesce(ind.indicators, [])})::VARCHAR AS item
FROM monitor_scope($year, $period, $departments, $search, $lights, $yellow_gap, $floor) s
LEFT JOIN ind ON ind.project_id = s.id
ORDER BY s.department, s.name, s.id
