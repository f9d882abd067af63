-- The indicators of one project of the snapshot ($project), with lights and reasons, in form order; or
-- ($project NULL) the count of every indicator in scope per light.
SELECT position, level1, level2, level3, target_text, actual_text, forecast_text, light, likelihood, reasons, note
FROM monitor_indicator_rows($year, $period, $departments, $search, $lights, $yellow_gap, $floor, $red, $yellow, $blue)
WHERE project_id = $project
ORDER BY position
