-- Before a matching of projects version $version is stored: entries of other (older) versions are never asked
-- for again; their parts go with them (year_pair_clear_parts).
DELETE FROM year_pairs WHERE projects_version <> $version
