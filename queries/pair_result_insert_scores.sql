-- Rows of a pair's result (perfboard.pair_results.save) from the registered table _pair_result_scores.
INSERT INTO year_pair_result_scores (pair_base, pair_year, threshold, year, seq, id, total, grade, estimated)
SELECT pair_base, pair_year, threshold, year, seq, id, total, grade, estimated
FROM _pair_result_scores
