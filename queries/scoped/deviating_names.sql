-- The deviating indicators (unmet or missing) of the projects in the registered table `project_ids`
-- (column id), in form order: the 需关注 list names them.
SELECT i.project_id, i.level3, i.status
FROM indicators i
JOIN project_ids p ON p.id = i.project_id
WHERE indicator_deviation(i.status)
ORDER BY i.project_id, i.position, i.id
