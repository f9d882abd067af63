-- 自评复核 (issue 19): the rules' findings of a whole year, kept so that every process and session (the app,
-- the CLI) computes them once per data version and settings, not once per filter or per process
-- (perfboard.review_store). Not a record: derived rows, replaced whenever the year is computed again; rows of
-- an older data version or other settings are never read (review_findings_runs says which ones are current).
CREATE TABLE review_findings_runs (
    year          INTEGER PRIMARY KEY,
    data_version  BIGINT NOT NULL,      -- data_version.version the findings were computed at
    settings_md5  VARCHAR NOT NULL,     -- md5 of the review and scoring settings they were computed with
    findings      BIGINT NOT NULL,      -- how many rows review_findings holds for the year
    computed_at   TIMESTAMP NOT NULL
);

-- One row per finding (perfboard.review._RULE_COLUMNS), in the rules' order (seq).
CREATE TABLE review_findings (
    year          INTEGER NOT NULL,
    seq           BIGINT NOT NULL,
    key           VARCHAR NOT NULL,
    code          VARCHAR NOT NULL,
    severity      VARCHAR,
    dimension     VARCHAR,
    department    VARCHAR,
    project_id    BIGINT,
    project       VARCHAR,
    project_code  VARCHAR,
    indicator_id  BIGINT,
    indicator     VARCHAR,
    location      VARCHAR,
    message       VARCHAR,
    fact          VARCHAR,
    evidence      VARCHAR
);
