-- The stored pending candidates of a pair (perfboard.pair_results) with their order (seq, as
-- pair_result_items.sql), narrowed as pair_result_items.sql narrows the items.
SELECT seq, base_id, target_id, via, score, ambiguous, base_year, base_department, base_key, base_name,
       target_year, target_department, target_key, target_name, department
FROM year_pair_result_candidates
WHERE pair_base = $base_year AND pair_year = $year AND threshold = $threshold
  AND ($all OR target_id IN (SELECT id FROM cur_ids) OR base_id IN (SELECT id FROM base_ids))
