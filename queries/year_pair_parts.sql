-- The rows of a stored prepared matching (perfboard.year_pairs.load), frame by frame in their order.
SELECT part, base_id, target_id, score
FROM year_pair_parts
WHERE projects_version = $version AND base_year = $base_year AND year = $year AND threshold = $threshold
ORDER BY part, seq
