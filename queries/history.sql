-- The change history, newest first: saves and undos (table saves) merged with imports (import_log) and
-- 同比分析's match decisions (match_log: kind 'match', named by the target-year project; a department
-- filter matches either side of the pair).
-- Filters are NULL for "all". src/src_id name the row (0 save, 1 import, 2 match decision; its table's id). A project is named by its identity (year, department, name) so its
-- history survives re-imports; an import belongs to a project when its scope holds the project's
-- "year department" pair.
WITH h AS (
    SELECT s.id AS save_id, NULL::BIGINT AS import_id, s.saved_at AS saved_at, s.user_name, s.kind,
           s.year, s.department, s.project_name, s.summary, s.changes, s.reverted_by, s.reverts,
           NULL::VARCHAR AS scope, 0 AS src, s.id AS src_id
    FROM saves s
    UNION ALL
    SELECT NULL::BIGINT, l.id, l.imported_at, coalesce(l.user_name, '匿名'), 'import',
           NULL::INTEGER, NULL::VARCHAR, NULL::VARCHAR,
           l.file_name || '：' || coalesce(l.message, '') ||
               CASE WHEN l.outcome = 'replaced' THEN '（替换已有数据）' ELSE '' END,
           l.projects + l.indicators, NULL::BIGINT, NULL::BIGINT, l.scope, 1, l.id
    FROM import_log l
    WHERE l.outcome <> 'refused'
    UNION ALL
    SELECT NULL::BIGINT, NULL::BIGINT, m.decided_at, m.user_name, 'match',
           m.target_year, m.target_department, m.target_name,
           CASE m.action WHEN 'confirmed' THEN '确认为同一项目：' WHEN 'rejected' THEN '拒绝匹配：'
                ELSE '撤销匹配决定：' END
               || coalesce(m.base_name, m.base_key) || '（' || m.base_year || ' 年度，' || m.base_department || '）→ '
               || coalesce(m.target_name, m.target_key) || '（' || m.target_year || ' 年度，' || m.target_department || '）',
           1, NULL::BIGINT, NULL::BIGINT,
           m.base_year || ' ' || m.base_department, 2, m.id
    FROM match_log m
)
SELECT save_id, import_id, saved_at, user_name, kind, year, department, project_name, summary, changes,
       reverted_by, reverts, scope, src, src_id
FROM h
WHERE ($year IS NULL OR year = $year OR (kind = 'match' AND scope LIKE CAST($year AS VARCHAR) || ' %') OR (kind = 'import' AND contains(scope, CAST($year AS VARCHAR) || ' ')))
  AND ($departments IS NULL OR list_contains($departments, department)
       OR (kind = 'match' AND list_contains($departments, regexp_replace(scope, '^\d+ ', '')))
       OR (kind = 'import' AND list_has_any($departments, list_transform(string_split(scope, '；'),
                                                         lambda x: regexp_replace(x, '^\d+ ', '')))))
  AND ($p_year IS NULL OR (year = $p_year AND department = $p_department AND project_name = $p_name)
       OR (kind = 'import' AND contains(scope, CAST($p_year AS VARCHAR) || ' ' || $p_department)))
  AND ($users IS NULL OR list_contains($users, user_name))
  AND ($kinds IS NULL OR list_contains($kinds, kind))
  AND ($since IS NULL OR saved_at >= $since)
  AND ($until IS NULL OR saved_at < $until)
  AND ($search IS NULL OR contains(lower(coalesce(project_name, '') || ' ' || coalesce(summary, '')), lower($search)))
  -- keyset paging: the rows after the last one shown ($after_*: NULL for the first page), in the order below
  AND ($after_at IS NULL OR saved_at < $after_at
       OR (saved_at = $after_at AND (src > $after_src OR (src = $after_src AND src_id < $after_id))))
-- a total order (source and its id break ties of the time): a page starts exactly where the last one ended
ORDER BY saved_at DESC, src, src_id DESC
LIMIT $limit
