-- Inside a match decision's write transaction (which bumps the data version from $before to $before + 1):
-- the stored matchings of the version before serve the version after too (a decision changes no project).
UPDATE year_pairs SET data_version = $before + 1 WHERE data_version = $before
