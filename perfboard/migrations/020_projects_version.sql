-- 同比分析 (perfboard.year_pairs): the stored matching of a year pair kept across writes that cannot change it.
--
-- projects_version: one row, moved by Store.transaction (both stores) only when the transaction may have changed
-- what the matching reads: a project inserted or deleted, or an UPDATE of projects naming id, year, department,
-- project_code or name (perfboard.db.Writes; a SET list it cannot read counts too). An edit of amounts, texts,
-- indicators, settings, users, audit rows, review notes or a match decision leaves it.
CREATE TABLE projects_version (version BIGINT NOT NULL);
INSERT INTO projects_version VALUES (0);

-- year_pairs / year_pair_parts (migration 008) keyed on the projects version instead of the data version: an entry
-- serves exactly the projects version it was computed at; match decisions no longer carry it forward (they leave
-- the projects version alone). The entries of migration 008 are derived rows keyed on data versions: dropped,
-- computed again once.
DROP TABLE year_pair_parts;
DROP TABLE year_pairs;
CREATE TABLE year_pairs (
    projects_version  BIGINT NOT NULL,
    base_year         INTEGER NOT NULL,
    year              INTEGER NOT NULL,
    threshold         DOUBLE NOT NULL
);

-- The rows of each stored matching, written once and never updated: `part` names a frame of
-- perfboard.matching.Prepared (1 by_code, 2 amb_code, 3 name_pairs, 4 name_ok, 5 name_amb, 6 fuzzy), `seq` its
-- row order.
CREATE TABLE year_pair_parts (
    projects_version  BIGINT NOT NULL,
    base_year         INTEGER NOT NULL,
    year              INTEGER NOT NULL,
    threshold         DOUBLE NOT NULL,
    part              SMALLINT NOT NULL,
    seq               INTEGER NOT NULL,
    base_id           BIGINT NOT NULL,
    target_id         BIGINT NOT NULL,
    score             DOUBLE
);
