-- The parts of a prepared matching (perfboard.year_pairs.save), from the registered table _year_pair_rows.
INSERT INTO year_pair_parts (projects_version, base_year, year, threshold, part, seq, base_id, target_id, score)
SELECT projects_version, base_year, year, threshold, part, seq, base_id, target_id, score FROM _year_pair_rows
