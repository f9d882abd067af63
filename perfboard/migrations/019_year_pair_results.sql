-- 同比分析 (issue 19): the finished comparison of a whole year pair (every item, every pending candidate,
-- both years' scores), kept so the page's first render of a pair in a fresh process reads only the rows it
-- shows instead of matching, building 200,000 items and scoring two years (perfboard.pair_results). Derived
-- rows, never edited or exported. Keyed as review_findings (migration 015): a result is current only while
-- year_pair_results names the current data version and the settings md5 it was computed with; any write
-- (an import, an edit, a match decision, a settings save) moves the data version, so a stale result is never
-- read, and the next result written clears it.
CREATE TABLE year_pair_results (
    base_year     INTEGER NOT NULL,
    year          INTEGER NOT NULL,
    threshold     DOUBLE NOT NULL,      -- match_threshold the matching used
    data_version  BIGINT NOT NULL,      -- data_version.version the result was computed at
    settings_md5  VARCHAR NOT NULL,     -- md5 of the scoring settings the scores were computed with
    items         BIGINT NOT NULL,      -- rows year_pair_result_items holds for the pair
    candidates    BIGINT NOT NULL,      -- rows year_pair_result_candidates holds
    scores        BIGINT NOT NULL,      -- rows year_pair_result_scores holds (both years)
    computed_at   TIMESTAMP NOT NULL
);

-- One row per item (perfboard.compare.YearPair.items, in its order: seq) with what is not derived from
-- other columns on reading (changes, size, candidate counts: perfboard.compare computes them again).
CREATE TABLE year_pair_result_items (
    pair_base            INTEGER NOT NULL,
    pair_year            INTEGER NOT NULL,
    threshold            DOUBLE NOT NULL,
    seq                  BIGINT NOT NULL,
    base_id              BIGINT,
    target_id            BIGINT,
    match                VARCHAR,
    status               VARCHAR,
    department           VARCHAR,
    funding_source       VARCHAR,
    code                 VARCHAR,
    name                 VARCHAR,
    base_name            VARCHAR,
    budget               DOUBLE,
    base_budget          DOUBLE,
    spent                DOUBLE,
    base_spent           DOUBLE,
    execution_rate       DOUBLE,
    base_execution_rate  DOUBLE,
    met                  DOUBLE,
    indicators           DOUBLE,
    base_met             DOUBLE,
    base_indicators      DOUBLE
);

-- The pending candidates of the pair (perfboard.matching.Matches.candidates, in its order: seq).
CREATE TABLE year_pair_result_candidates (
    pair_base          INTEGER NOT NULL,
    pair_year          INTEGER NOT NULL,
    threshold          DOUBLE NOT NULL,
    seq                BIGINT NOT NULL,
    base_id            BIGINT,
    target_id          BIGINT,
    via                VARCHAR,
    score              DOUBLE,
    ambiguous          BOOLEAN,
    base_year          INTEGER,
    base_department    VARCHAR,
    base_key           VARCHAR,
    base_name          VARCHAR,
    target_year        INTEGER,
    target_department  VARCHAR,
    target_key         VARCHAR,
    target_name        VARCHAR,
    department         VARCHAR
);

-- perfboard.scoring.project_scores of each year of the pair (the page's grade lines and score columns), in
-- its order per year (seq).
CREATE TABLE year_pair_result_scores (
    pair_base   INTEGER NOT NULL,
    pair_year   INTEGER NOT NULL,
    threshold   DOUBLE NOT NULL,
    year        INTEGER NOT NULL,
    seq         BIGINT NOT NULL,
    id          BIGINT NOT NULL,
    total       DOUBLE,
    grade       VARCHAR,
    estimated   BOOLEAN
);
