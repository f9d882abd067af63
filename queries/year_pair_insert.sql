-- Store a prepared matching (perfboard.year_pairs.save) from two registered tables: _year_pair_entry, the one
-- year_pairs row, and _year_pair_rows, its parts.
INSERT INTO year_pairs (projects_version, base_year, year, threshold)
SELECT projects_version, base_year, year, threshold FROM _year_pair_entry
