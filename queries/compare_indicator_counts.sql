-- Indicators met / counted per project of the given $years, from the stored judged status
-- (indicators.status, perfboard.indicators.compute_status): 'na' rows do not count; `unjudged`
-- rows (status not stored yet) make perfboard.compare judge that project's indicators in Python.
SELECT i.project_id,
       count(*) FILTER (WHERE i.status = 'met') AS met,
       count(*) FILTER (WHERE i.status IS NULL OR i.status <> 'na') AS indicators,
       count(*) FILTER (WHERE i.status IS NULL) AS unjudged
FROM indicators i
JOIN projects p ON p.id = i.project_id
WHERE list_contains($years, p.year)
GROUP BY i.project_id
