-- Filtered projects worst first (severity, then deviating indicators, then id), a page at a time:
-- `$kind` picks the rows: 'budget' (budget deviation), 'rate_mismatch', 'budget_no_reason' (budget
-- deviation without a stated reason). The 需关注 list (in deviation at all) is figures.sql's.
-- $limit NULL: every row. The row counts of each kind are in figures.sql.
SELECT id, year, department, name, budget, spent, execution_rate, reported_rate, rate_mismatch, light,
       budget_deviation, indicator_deviations, in_deviation, severity, deviation_reason, improvement
FROM scoped_flags($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
WHERE CASE $kind WHEN 'budget' THEN budget_deviation
                 WHEN 'rate_mismatch' THEN rate_mismatch
                 WHEN 'budget_no_reason' THEN budget_deviation AND blank_text(deviation_reason) END
ORDER BY severity DESC, indicator_deviations DESC, id
LIMIT $limit OFFSET $offset
