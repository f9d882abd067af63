-- One indicator row by id with its project (undo checks the row still holds what a save wrote).
SELECT id, project_id, position, level1, level2, level3, direction, target_value, target_unit, actual_value,
       actual_unit, target_text, actual_text, weight, reported_score, judgement, deviation_note, source_sheet,
       source_row
FROM indicators
WHERE id = $indicator_id
