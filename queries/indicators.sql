-- Indicator rows of the projects listed in the registered table `project_ids` (column id),
-- in form order, with the project's name, year and department for display.
SELECT i.id, i.project_id, p.year, p.department, p.name AS project_name, i.position,
       i.level1, i.level2, i.level3, i.direction, i.target_value, i.target_unit, i.actual_value, i.actual_unit,
       i.target_text, i.actual_text, i.weight, i.reported_score, i.judgement, i.deviation_note,
       i.source_sheet, i.source_row, i.status
FROM indicators i
JOIN project_ids f ON f.id = i.project_id
JOIN projects p ON p.id = i.project_id
ORDER BY p.year, p.department, i.project_id, i.position
