-- In-year monitoring (绩效运行监控, issue 17): snapshots of execution and indicator progress as units report
-- them mid-year (项目支出绩效目标执行监控表, or the flat monitoring sheet). A snapshot is (year, period_month,
-- department): a re-import of the same period replaces it, other periods of the year stay. Kept apart from
-- `projects` (the year-end self-evaluation): a monitoring import never touches self-evaluation data.
-- Ids are assigned by the writer inside its transaction, like projects.
CREATE TABLE monitor_projects (
    id              BIGINT PRIMARY KEY,
    year            INTEGER NOT NULL,
    period_month    INTEGER NOT NULL CHECK (period_month BETWEEN 1 AND 12),   -- 1—M月: figures up to month M
    department      VARCHAR NOT NULL,   -- 主管部门 (the form's 主管部门及代码 without the code)
    unit            VARCHAR,            -- 实施单位
    project_code    VARCHAR,
    name            VARCHAR NOT NULL,
    initial_budget  DOUBLE,             -- 年初预算数, 万元
    budget          DOUBLE,             -- 调整后预算数 when given, else 年初预算数: the denominator
    spent_to_date   DOUBLE,             -- 1—M月执行数, 万元
    reported_rate   DOUBLE,             -- 1—M月执行率 as written, fraction
    forecast_spent  DOUBLE,             -- 全年预计执行数, 万元
    goal            VARCHAR,            -- 年度总体目标
    source_file     VARCHAR,
    source_sheet    VARCHAR,
    source_row      INTEGER,
    import_id       BIGINT,
    imported_at     TIMESTAMP
);

-- Rows of the money block under 年度资金总额: 'fiscal' (其中：财政拨款 / 财政资金) and 'other' (其他资金).
CREATE TABLE monitor_funds (
    project_id      BIGINT NOT NULL,
    kind            VARCHAR NOT NULL,
    initial_budget  DOUBLE,
    budget          DOUBLE,
    spent_to_date   DOUBLE,
    forecast_spent  DOUBLE
);

CREATE TABLE monitor_indicators (
    id              BIGINT PRIMARY KEY,
    project_id      BIGINT NOT NULL,
    position        INTEGER NOT NULL,
    level1          VARCHAR,
    level2          VARCHAR,
    level3          VARCHAR,
    direction       VARCHAR,            -- ≥ > ≤ < = 定性 (of the 年度指标值), as indicators.direction
    target_value    DOUBLE,
    target_unit     VARCHAR,
    target_text     VARCHAR,            -- 年度指标值 as written
    actual_value    DOUBLE,
    actual_text     VARCHAR,            -- 1—M月执行情况 as written
    forecast_value  DOUBLE,
    forecast_text   VARCHAR,            -- 全年预计完成情况 as written
    reason_funding  BOOLEAN NOT NULL DEFAULT false,   -- 偏差原因分析: 经费保障 ticked
    reason_system   BOOLEAN NOT NULL DEFAULT false,   -- 制度保障
    reason_staff    BOOLEAN NOT NULL DEFAULT false,   -- 人员保障
    reason_hardware BOOLEAN NOT NULL DEFAULT false,   -- 硬件条件保障
    reason_other    VARCHAR,                          -- 其他 (text)
    likelihood      VARCHAR CHECK (likelihood IN ('确定能', '有可能', '完全不可能')),   -- 完成目标可能性
    note            VARCHAR,            -- 备注
    source_sheet    VARCHAR,
    source_row      INTEGER
);
