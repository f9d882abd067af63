-- Rows of a pair's result (perfboard.pair_results.save) from the registered table _pair_result_candidates.
INSERT INTO year_pair_result_candidates (pair_base, pair_year, threshold, seq, base_id, target_id, via, score, ambiguous, base_year, base_department, base_key, base_name, target_year, target_department, target_key, target_name, department)
SELECT pair_base, pair_year, threshold, seq, base_id, target_id, via, score, ambiguous, base_year, base_department, base_key, base_name, target_year, target_department, target_key, target_name, department
FROM _pair_result_candidates
