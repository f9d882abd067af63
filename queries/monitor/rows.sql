-- A page of the snapshot's projects: table order (department, name) or worst first ($worst_first: at risk,
-- then furthest behind 序时进度); $at_risk_only keeps the at-risk ones; $limit NULL = every row.
SELECT id, name, department, unit, budget, spent_to_date, execution_rate, reported_rate, forecast_spent,
       time_progress, gap_pp, light, at_risk, risk_reasons, impossible
FROM monitor_scope($year, $period, $departments, $search, $lights, $yellow_gap, $floor)
WHERE NOT $at_risk_only OR at_risk
ORDER BY CASE WHEN $worst_first THEN severity END DESC NULLS LAST, department, name, id
LIMIT $limit OFFSET $offset
