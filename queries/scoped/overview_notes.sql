-- The parts of the overview a note decides (perfboard.overview.overview_notes; everything else is
-- overview_figures, whose cache a save of notes only keeps): the two 数据检查 counts that read notes, counted
-- exactly as figures.sql counts them, and the 偏离原因 / 改进措施 of the 需关注 projects in the registered
-- table `project_ids` (column id).
WITH sp AS (
    SELECT id, budget_deviation, deviation_reason
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
)
SELECT (SELECT count(*) FROM sp WHERE budget_deviation AND blank_text(deviation_reason)) AS budget_no_reason,
       (SELECT count(*) FROM indicators i
        WHERE i.status = 'unmet' AND blank_text(i.deviation_note)
          AND i.project_id IN (SELECT id FROM sp)) AS unmet_no_reason,
       (SELECT coalesce(list({'id': p.id, 'deviation_reason': p.deviation_reason, 'improvement': p.improvement}
                             ORDER BY p.id), [])
        FROM projects p JOIN project_ids a ON a.id = p.id) AS texts
