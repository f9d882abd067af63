-- 同比分析 (issue 19): the decision-independent matching of two whole years (perfboard.matching.Prepared:
-- the code tier, the name tier before rejections, the fuzzy candidates), persisted so a new pair is
-- computed once per import, not once per process or session. A derived cache: never edited, never
-- exported; a stale entry is never served because it is found by the exact data version.
--
-- year_pairs: "at data version `data_version`, the matching of (base_year, year, threshold) is the one
-- computed at `prepared_version`". A match decision changes no project, so perfboard.matching.decide/undo
-- move the entries of the version before them to the version after, in their own transaction; any other
-- write leaves them behind (never asked for again) and the next pair written clears them.
CREATE TABLE year_pairs (
    data_version      BIGINT NOT NULL,
    base_year         INTEGER NOT NULL,
    year              INTEGER NOT NULL,
    threshold         DOUBLE NOT NULL,
    prepared_version  BIGINT NOT NULL
);

-- The rows of each prepared matching, written once and never updated: `part` names a frame of Prepared
-- (1 by_code, 2 amb_code, 3 name_pairs, 4 name_ok, 5 name_amb, 6 fuzzy), `seq` its row order.
CREATE TABLE year_pair_parts (
    prepared_version  BIGINT NOT NULL,
    base_year         INTEGER NOT NULL,
    year              INTEGER NOT NULL,
    threshold         DOUBLE NOT NULL,
    part              SMALLINT NOT NULL,
    seq               INTEGER NOT NULL,
    base_id           BIGINT NOT NULL,
    target_id         BIGINT NOT NULL,
    score             DOUBLE
);
