-- Initial schema: projects, their fund split, indicators, the import log, settings.
-- Ids are assigned by the writer inside its transaction (db.next_id), so bulk inserts from a
-- DataFrame need no per-row sequence calls.

CREATE TABLE projects (
    id                BIGINT PRIMARY KEY,
    year              INTEGER NOT NULL,
    department        VARCHAR NOT NULL,   -- 主管部门
    unit              VARCHAR,            -- 实施单位
    project_code      VARCHAR,            -- 项目编码
    name              VARCHAR NOT NULL,   -- 项目名称
    funding_source    VARCHAR,            -- 资金来源
    initial_budget    DOUBLE,             -- 年初预算数, 万元
    budget            DOUBLE NOT NULL,    -- 全年预算数, 万元 (denominator of the rate)
    spent             DOUBLE NOT NULL,    -- 全年执行数, 万元
    reported_rate     DOUBLE,             -- 执行率 as stated in the file, fraction
    overview          VARCHAR,            -- 项目概况
    goal              VARCHAR,            -- 年度总体目标
    achievement       VARCHAR,            -- 实际完成情况
    deviation_reason  VARCHAR,            -- 偏离原因
    improvement       VARCHAR,            -- 改进措施
    execution_weight  DOUBLE,             -- 分值 of the money block (forms)
    execution_reported_score DOUBLE,      -- 得分 of the money block (forms)
    reported_total_score DOUBLE,          -- 总分 as stated on a form
    source_file       VARCHAR,
    source_sheet      VARCHAR,
    source_row        INTEGER,
    import_id         BIGINT,
    imported_at       TIMESTAMP
);

-- Budget split rows of the money block (本年财政拨款 / 上年结转资金 / 其他资金).
CREATE TABLE project_funds (
    project_id     BIGINT NOT NULL,
    kind           VARCHAR NOT NULL,   -- 'current' | 'carryover' | 'other'
    initial_budget DOUBLE,
    budget         DOUBLE,
    spent          DOUBLE
);

CREATE TABLE indicators (
    id              BIGINT PRIMARY KEY,
    project_id      BIGINT NOT NULL,
    position        INTEGER NOT NULL,  -- order on the form
    level1          VARCHAR,           -- 一级指标
    level2          VARCHAR,           -- 二级指标
    level3          VARCHAR,           -- 三级指标
    direction       VARCHAR,           -- ≥ > ≤ < = 定性, NULL when no target
    target_value    DOUBLE,
    target_unit     VARCHAR,
    actual_value    DOUBLE,
    actual_unit     VARCHAR,
    target_text     VARCHAR,           -- 年度指标值 exactly as written
    actual_text     VARCHAR,           -- 实际完成值 exactly as written
    weight          DOUBLE,            -- 分值
    reported_score  DOUBLE,            -- 得分 as stated
    judgement       VARCHAR,           -- 达成 / 部分达成 / 未达成 / 不适用 (a person's call)
    deviation_note  VARCHAR,           -- 偏差原因分析及改进措施
    source_sheet    VARCHAR,
    source_row      INTEGER
);

CREATE TABLE import_log (
    id            BIGINT PRIMARY KEY,
    file_name     VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    imported_at   TIMESTAMP NOT NULL,
    outcome       VARCHAR NOT NULL,    -- 'imported' | 'replaced' | 'refused'
    projects      INTEGER NOT NULL DEFAULT 0,
    indicators    INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    warnings      INTEGER NOT NULL DEFAULT 0,
    scope         VARCHAR,             -- 'year department' pairs touched, for the history
    message       VARCHAR,
    user_name     VARCHAR
);

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL             -- JSON
);

-- One row; bumped by every write so caches keyed on it never serve stale figures.
CREATE TABLE data_version (version BIGINT NOT NULL);
INSERT INTO data_version VALUES (0);
