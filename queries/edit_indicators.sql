-- Every stored column of one project's indicators, in form order (perfboard.editing).
SELECT id, position, level1, level2, level3, direction, target_value, target_unit, actual_value, actual_unit,
       target_text, actual_text, weight, reported_score, judgement, deviation_note, source_sheet, source_row
FROM indicators
WHERE project_id = $project_id
ORDER BY position, id
