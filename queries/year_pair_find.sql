-- The stored matching serving (base_year, year, threshold) at data version $version (migration 008):
-- its prepared_version, or no row. Only the exact version: an entry of any other version is stale.
SELECT max(prepared_version) AS prepared_version
FROM year_pairs
WHERE data_version = $version AND base_year = $base_year AND year = $year AND threshold = $threshold
HAVING count(*) > 0
