-- Every project of the given $years (within $departments, NULL = all): identity for year-over-year
-- matching (year, department, code, name) and the money of both sides of a pair. Matching runs on
-- whole years, not on the sidebar's light/search filters, so a project that turned red this year is
-- not mistaken for a new one; the comparison applies those filters afterwards.
SELECT id, year, department, project_code AS code, name, coalesce(funding_source, '未填写') AS funding_source,
       budget, spent, CASE WHEN budget > 0 THEN spent / budget END AS execution_rate
FROM projects
WHERE list_contains($years, year)
  AND ($departments IS NULL OR list_contains($departments, department))
ORDER BY year, department, id
