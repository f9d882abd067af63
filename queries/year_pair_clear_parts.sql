-- Parts of stored matchings no year_pairs entry serves any more (after year_pair_clear).
DELETE FROM year_pair_parts
WHERE NOT EXISTS (SELECT 1 FROM year_pairs y
                  WHERE y.projects_version = year_pair_parts.projects_version AND y.base_year = year_pair_parts.base_year
                    AND y.year = year_pair_parts.year AND y.threshold = year_pair_parts.threshold)
