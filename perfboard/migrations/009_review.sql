-- 自评复核 (issue 18): a reviewer's decision on a finding of perfboard.review, and its history.
-- A finding is named by a key (perfboard.review: md5 of the rule code, year, department, project code and
-- name, the indicator's 一级/二级/三级 and the evidence values), not by row ids: a re-import of unchanged rows
-- gives new ids but the same key, so a decision survives it; changed evidence is a new finding to review.
-- Identity columns are copied for reading the history after the finding is gone.
CREATE TABLE review_decisions (
    finding_key   VARCHAR PRIMARY KEY,
    code          VARCHAR NOT NULL,
    year          INTEGER,
    department    VARCHAR NOT NULL,
    project_name  VARCHAR,
    indicator     VARCHAR,
    status        VARCHAR NOT NULL CHECK (status IN ('verified', 'rejected')),   -- 已核实 / 不采纳
    reason        VARCHAR,
    decided_by    VARCHAR NOT NULL,
    decided_at    TIMESTAMP NOT NULL
);

-- One row per change of a decision (set, changed, or withdrawn back to open), never updated.
CREATE TABLE review_decision_log (
    id            BIGINT PRIMARY KEY,
    changed_at    TIMESTAMP NOT NULL,
    user_name     VARCHAR NOT NULL,
    finding_key   VARCHAR NOT NULL,
    code          VARCHAR NOT NULL,
    year          INTEGER,
    department    VARCHAR NOT NULL,
    project_name  VARCHAR,
    indicator     VARCHAR,
    old_status    VARCHAR,              -- NULL / 'open' = not decided before
    new_status    VARCHAR NOT NULL,     -- 'verified' | 'rejected' | 'open' (withdrawn)
    reason        VARCHAR
);
