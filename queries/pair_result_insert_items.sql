-- Rows of a pair's result (perfboard.pair_results.save) from the registered table _pair_result_items.
INSERT INTO year_pair_result_items (pair_base, pair_year, threshold, seq, base_id, target_id, match, status, department, funding_source, code, name, base_name, budget, base_budget, spent, base_spent, execution_rate, base_execution_rate, met, indicators, base_met, base_indicators)
SELECT pair_base, pair_year, threshold, seq, base_id, target_id, match, status, department, funding_source, code, name, base_name, budget, base_budget, spent, base_spent, execution_rate, base_execution_rate, met, indicators, base_met, base_indicators
FROM _pair_result_items
