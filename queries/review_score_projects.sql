-- 自评复核 (perfboard.review): identity and stated 总分 of the projects in the registered table project_ids(id).
SELECT id, year, department, project_code, name AS project, reported_total_score
FROM projects
WHERE id IN (SELECT id FROM project_ids)
