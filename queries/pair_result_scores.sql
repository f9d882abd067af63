-- The stored scores (perfboard.scoring.project_scores) of the pair's projects under the filters: of the year
-- those in the registered table cur_ids, of the base year those in base_ids (every one when $all), with
-- each year's order (seq, as pair_result_items.sql).
SELECT year, seq, id, total, grade, estimated
FROM year_pair_result_scores
WHERE pair_base = $base_year AND pair_year = $year AND threshold = $threshold
  AND ($all OR (year = $year AND id IN (SELECT id FROM cur_ids)) OR (year = $base_year AND id IN (SELECT id FROM base_ids)))
