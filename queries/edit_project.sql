-- One project as loaded for editing (perfboard.editing): identity, editable fields, the form's scores.
SELECT id, year, department, unit, project_code, name, initial_budget, budget, spent, reported_rate,
       goal, achievement, deviation_reason, improvement,
       execution_weight, execution_reported_score, reported_total_score
FROM projects
WHERE id = $project_id
