-- Budget split rows (本年财政拨款 / 上年结转资金 / 其他资金) of the projects in the registered table
-- `project_ids` (column id): one row per project and kind.
SELECT f.project_id, f.kind, f.initial_budget, f.budget, f.spent
FROM project_funds f
JOIN project_ids p ON p.id = f.project_id
ORDER BY f.project_id, f.kind
