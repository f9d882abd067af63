-- Indicator rows of the filtered projects, a page at a time, in the deviations page's order: projects
-- worst first (as flags.sql), then form order. `$kind` picks the rows: 'all_indicators', 'indicators'
-- (deviations: unmet or missing), 'pending', 'missing_actual', 'missing_target', 'unmet_no_reason'
-- (unmet without a stated reason). $limit NULL: every row. The page is picked on the sort keys alone
-- and only its rows' texts are read.
-- Keyset paging: $after_* is the sort key of the last row already shown (NULL: the first page), so page
-- N sorts only the rows after it, `limit` at a time, and costs what page 1 costs (no OFFSET heap).
-- The key (severity DESC, indicator_deviations DESC, project_id, position, id) is total: id is unique.
-- Projects before the cursor's project are dropped before the join; the cursor's own project keeps
-- its indicators after (position, id).
WITH f AS (
    SELECT id, name, severity, indicator_deviations
    FROM scoped_flags($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
    WHERE $after_project IS NULL
       OR severity < $after_severity
       OR (severity = $after_severity AND (indicator_deviations < $after_deviations
           OR (indicator_deviations = $after_deviations AND id >= $after_project)))
), page AS (
    SELECT i.id, i.project_id, f.name AS project_name, f.severity, f.indicator_deviations, i.position
    FROM indicators i
    JOIN f ON f.id = i.project_id
    WHERE CASE $kind WHEN 'all_indicators' THEN true
                     WHEN 'indicators' THEN indicator_deviation(i.status)
                     WHEN 'pending' THEN i.status = 'pending'
                     WHEN 'missing_actual' THEN i.status = 'missing'
                     WHEN 'missing_target' THEN i.status = 'no_target'
                     WHEN 'unmet_no_reason' THEN i.status = 'unmet' AND blank_text(i.deviation_note) END
      AND ($after_project IS NULL OR i.project_id <> $after_project
           OR i.position > $after_position OR (i.position = $after_position AND i.id > $after_id))
    ORDER BY f.severity DESC, f.indicator_deviations DESC, i.project_id, i.position, i.id
    LIMIT $limit OFFSET $offset
)
SELECT i.id, page.project_id, page.project_name, i.position, i.level1, i.level2, i.level3,
       i.target_text, i.actual_text, i.judgement, i.deviation_note, i.status,
       page.severity, page.indicator_deviations
FROM page
JOIN indicators i ON i.id = page.id
ORDER BY page.severity DESC, page.indicator_deviations DESC, page.project_id, page.position, page.id
