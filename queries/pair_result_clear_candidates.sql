-- Rows of year_pair_result_candidates no year_pair_results row names any more (after pair_result_clear.sql).
DELETE FROM year_pair_result_candidates
WHERE NOT EXISTS (SELECT 1 FROM year_pair_results r
                  WHERE r.base_year = year_pair_result_candidates.pair_base AND r.year = year_pair_result_candidates.pair_year
                    AND r.threshold = year_pair_result_candidates.threshold)
