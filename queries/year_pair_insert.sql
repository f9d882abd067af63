-- Store an entry: (base_year, year, threshold) at data version $version is served by $prepared_version.
INSERT INTO year_pairs (data_version, base_year, year, threshold, prepared_version)
VALUES ($version, $base_year, $year, $threshold, $prepared_version)
