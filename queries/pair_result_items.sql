-- The stored items of a pair (perfboard.pair_results) with their order (seq; no ORDER BY: DuckDB keeps the
-- insertion order of a scan, and sorting 220,000 rows of text doubled the read's CPU; pair_results.read sorts
-- when they are not in order): every one when $all, else those whose project of the year is in the registered
-- table cur_ids or whose base-year project is in base_ids (the projects under the sidebar filters:
-- queries/scoped/compare_projects.sql).
SELECT seq, base_id, target_id, match, status, department, funding_source, code, name, base_name,
       budget, base_budget, spent, base_spent, execution_rate, base_execution_rate,
       met, indicators, base_met, base_indicators
FROM year_pair_result_items
WHERE pair_base = $base_year AND pair_year = $year AND threshold = $threshold
  AND ($all OR target_id IN (SELECT id FROM cur_ids) OR base_id IN (SELECT id FROM base_ids))
