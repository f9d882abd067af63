-- Edit history (issue 6): one `saves` row per save / undo, one `audit_log` row per changed field.
-- Values are JSON text so an undo restores exactly what was there (floats round-trip through
-- repr, NULL is the JSON null). Project identity (year, department, name) is copied onto every
-- row because a re-import replaces project ids; imports themselves stay in import_log and the
-- history view merges both.

CREATE TABLE saves (
    id            BIGINT PRIMARY KEY,
    saved_at      TIMESTAMP NOT NULL,
    user_name     VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,     -- 'edit' | 'undo' ('import' rows come from import_log)
    project_id    BIGINT,               -- the project saved (ids change on re-import: see identity)
    year          INTEGER,
    department    VARCHAR,
    project_name  VARCHAR,
    summary       VARCHAR,              -- one Chinese line for the history list
    changes       INTEGER NOT NULL DEFAULT 0,  -- user-visible changes ("已保存：N 处修改")
    reverts       BIGINT,               -- for an undo: the save it reverted
    reverted_by   BIGINT                -- set on a save once an undo reverted it
);

CREATE TABLE audit_log (
    id            BIGINT PRIMARY KEY,
    save_id       BIGINT NOT NULL,
    changed_at    TIMESTAMP NOT NULL,
    user_name     VARCHAR NOT NULL,
    project_id    BIGINT,
    year          INTEGER,
    department    VARCHAR,
    project_name  VARCHAR,
    indicator_id  BIGINT,               -- NULL for a project-level field
    indicator_name VARCHAR,             -- 三级指标 at the time, for reading the history
    action        VARCHAR NOT NULL,     -- 'update' | 'insert' | 'delete' (insert/delete: field '*', whole row)
    field         VARCHAR NOT NULL,     -- column of projects / indicators, or '*'
    old_value     VARCHAR,              -- JSON
    new_value     VARCHAR               -- JSON
);

CREATE INDEX audit_log_save ON audit_log (save_id);
