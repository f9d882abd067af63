-- Scoring inputs of the projects in the registered table `project_ids` (column id) that the
-- projects query does not return: the money block's 分值/得分 and the form's 总分.
SELECT p.id, p.execution_weight, p.execution_reported_score, p.reported_total_score
FROM projects p
JOIN project_ids f ON f.id = p.id
