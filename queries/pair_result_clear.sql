-- Before a pair's result computed at figures version $version is stored (perfboard.pair_results.save): the
-- pair's earlier result and every result of another (older) version go; rows no result names go with them.
DELETE FROM year_pair_results
WHERE figures_version <> $version OR (base_year = $base_year AND year = $year AND threshold = $threshold)
