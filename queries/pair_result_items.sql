-- The stored items of a pair (perfboard.pair_results) in their order: every one when $all, else those whose
-- project of the year is in the registered table cur_ids or whose base-year project is in base_ids (the
-- projects under the sidebar filters: queries/scoped/compare_projects.sql).
SELECT base_id, target_id, match, status, department, funding_source, code, name, base_name,
       budget, base_budget, spent, base_spent, execution_rate, base_execution_rate,
       met, indicators, base_met, base_indicators
FROM year_pair_result_items
WHERE pair_base = $base_year AND pair_year = $year AND threshold = $threshold
  AND ($all OR target_id IN (SELECT id FROM cur_ids) OR base_id IN (SELECT id FROM base_ids))
ORDER BY seq
