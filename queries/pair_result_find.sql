-- The stored result of 同比分析's pair ($base_year, $year, $threshold) computed at figures version $version with
-- scoring settings $md5 (perfboard.pair_results, migration 019): its row counts, or no row. Only the exact
-- version and settings: a result of any other is stale.
SELECT items, candidates, scores
FROM year_pair_results
WHERE base_year = $base_year AND year = $year AND threshold = $threshold
  AND figures_version = $version AND settings_md5 = $md5
