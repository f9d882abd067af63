-- The scope definitions every figure query of the overview and the deviations page reads
-- (queries/scoped/*.sql, run by perfboard.scope after this file, on the same cursor):
--   scoped_projects(filters, bands) = the rows of queries/projects.sql: its WHERE and traffic light copied
--       verbatim (tests/test_scope.py checks the text and the rows), plus
--     rate_mismatch       as projects.sql
--     budget_deviation    = light 黄 / 红 / 超预算 (perfboard.deviations.BUDGET_DEVIATION_LIGHTS, tested equal)
--     severity            = |1 - rate| of a budget deviation, 0 otherwise (the worst-first key)
--   scoped_flags(...)     = scoped_projects + indicator_deviations (count) and in_deviation
--   indicator_deviation(s) = status unmet / missing (perfboard.deviations.INDICATOR_DEVIATION_STATUS)
--   blank_text(t)         = perfboard.deviations.blank(): NULL or only (Unicode) whitespace
-- Temporary macros: they live only on the cursor that runs the query, and DuckDB inlines them, so the
-- filters still reach the scans. Arguments are the bound $params of the calling query.
CREATE OR REPLACE TEMP MACRO blank_text(t) AS
    t IS NULL OR regexp_full_match(t, '[\s\x{0B}\x{1C}-\x{1F}\x{85}\p{Z}]*');
CREATE OR REPLACE TEMP MACRO indicator_deviation(s) AS s IN ('unmet', 'missing');
CREATE OR REPLACE TEMP MACRO scoped_projects(f_year, f_departments, f_funding_sources, f_search, f_lights,
                                             f_green, f_yellow) AS TABLE
WITH p AS (
    SELECT p.*,
           CASE WHEN p.budget > 0 THEN p.spent / p.budget END AS execution_rate
    FROM projects p
    WHERE (f_year IS NULL OR p.year = f_year)
      AND (f_departments IS NULL OR list_contains(f_departments, p.department))
      AND (f_funding_sources IS NULL OR list_contains(f_funding_sources, coalesce(p.funding_source, '未填写')))
      AND (f_search IS NULL OR contains(lower(p.name), lower(f_search)))
), lit AS (
    SELECT p.*,
           CASE WHEN execution_rate IS NULL THEN '无预算'
                WHEN execution_rate > 1 + 1e-9 THEN '超预算'
                WHEN execution_rate >= f_green - 1e-12 THEN '绿'
                WHEN execution_rate >= f_yellow - 1e-12 THEN '黄'
                ELSE '红' END AS light
    FROM p
)
SELECT lit.*,
       lit.reported_rate IS NOT NULL AND lit.execution_rate IS NOT NULL
           AND abs(lit.reported_rate - lit.execution_rate) > 0.0005 AS rate_mismatch,
       lit.light IN ('黄', '红', '超预算') AS budget_deviation,
       CASE WHEN lit.light IN ('黄', '红', '超预算') THEN abs(1.0 - lit.execution_rate) ELSE 0.0 END AS severity
FROM lit
WHERE (f_lights IS NULL OR list_contains(f_lights, lit.light));
-- Projects under the filters with their indicator deviations: the count, whether the project is in
-- deviation at all, and the worst-first order key (severity, then deviating indicators, then id).
CREATE OR REPLACE TEMP MACRO scoped_flags(f_year, f_departments, f_funding_sources, f_search, f_lights,
                                          f_green, f_yellow) AS TABLE
SELECT sp.*,
       coalesce(d.n, 0) AS indicator_deviations,
       sp.budget_deviation OR coalesce(d.n, 0) > 0 AS in_deviation
FROM scoped_projects(f_year, f_departments, f_funding_sources, f_search, f_lights, f_green, f_yellow) sp
LEFT JOIN (SELECT project_id, count(*) AS n FROM indicators
           WHERE indicator_deviation(status)
             AND project_id IN (SELECT id FROM scoped_projects(f_year, f_departments, f_funding_sources, f_search,
                                                               f_lights, f_green, f_yellow))
           GROUP BY project_id) d ON d.project_id = sp.id;
