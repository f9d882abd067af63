-- Before a matching of data version $version is stored: entries of other (older) versions are never asked
-- for again; parts no entry points to go with them.
DELETE FROM year_pairs WHERE data_version <> $version
