-- Person decisions on project pairs between years $base_year and $year, in either orientation
-- (matching.decisions turns the reversed ones around).
SELECT base_year, base_department, base_key, base_name, target_year, target_department, target_key, target_name,
       decision, score, decided_by, decided_at
FROM project_matches
WHERE (base_year = $base_year AND target_year = $year) OR (base_year = $year AND target_year = $base_year)
ORDER BY decided_at DESC
