-- The stored matching of (base_year, year, threshold) at projects version $version (migration 020): one row
-- when there is one, else none. Only the exact version: an entry of any other version is stale.
SELECT projects_version
FROM year_pairs
WHERE projects_version = $version AND base_year = $base_year AND year = $year AND threshold = $threshold
LIMIT 1
