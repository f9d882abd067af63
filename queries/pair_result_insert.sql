-- The row that makes a pair's stored result current (perfboard.pair_results.save, written last), from the
-- registered one-row table _pair_result_run.
INSERT INTO year_pair_results (base_year, year, threshold, figures_version, settings_md5, items, candidates, scores,
                               computed_at)
SELECT base_year, year, threshold, figures_version, settings_md5, items, candidates, scores, computed_at
FROM _pair_result_run
