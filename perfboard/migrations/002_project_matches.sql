-- Person decisions on cross-year project pairs (year-over-year matching, issue 5).
-- A pair is named by the projects' stable identities, not by row ids: a re-import replaces a
-- (year, department) scope and gives its rows new ids, but a decision made once must survive it.
-- Identity = (year, department, key), key = 'code:' || project_code when the project has a code,
-- else 'name:' || the name in NFKC with all whitespace removed (perfboard.matching.project_key).
-- Undo deletes the row, which puts the pair back among the candidates.
CREATE TABLE project_matches (
    base_year         INTEGER NOT NULL,
    base_department   VARCHAR NOT NULL,
    base_key          VARCHAR NOT NULL,
    target_year       INTEGER NOT NULL,
    target_department VARCHAR NOT NULL,
    target_key        VARCHAR NOT NULL,
    base_name         VARCHAR,            -- names as shown when decided, for the history
    target_name       VARCHAR,
    decision          VARCHAR NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
    score             DOUBLE,             -- similarity shown to the person (0-100)
    decided_by        VARCHAR,
    decided_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (base_year, base_department, base_key, target_year, target_department, target_key)
);
