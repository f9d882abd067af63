-- The monitoring rules (issue 17), as temporary macros every queries/monitor/*.sql reads (perfboard.monitoring
-- runs this file on the query's cursor first). One definition of the rate, the lights and "at risk":
--   monitor_scope(year, period, departments, search, lights, yellow_gap, floor)
--       the projects of one snapshot under the filters, with
--       time_progress   = period / 12 (序时进度)
--       execution_rate  = spent_to_date / budget (NULL without a budget)
--       light           绿 rate >= 序时进度; 黄 behind by less than yellow_gap; 红 behind by yellow_gap or more;
--                       无预算 without a budget
--       gap_pp          (序时进度 - rate) in percentage points, > 0 = behind
--       forecast_short  全年预计执行数 < floor x budget
--       impossible      indicators whose 完成目标可能性 is 完全不可能 (and their names)
--       at_risk         light 红, or any indicator 完全不可能, or forecast_short
--       risk_reasons    one Chinese line per reason
--   monitor_indicator_light(...) the indicator light (绿 黄 红 蓝, NULL = cannot judge):
--       reverse (≤ <): 绿 within the target, else 红 (not prorated)
--       质量/时效/成本 indicators: 绿 within range, else 红 (not prorated)
--       other quantitative (≥ > =): actual / (target x month / 12): < red 红, < yellow 黄, < blue 绿, else 蓝
--       qualitative: 达到 绿, 部分达到 黄, 未达到 红 (the 1—M月执行情况 text)
CREATE OR REPLACE TEMP MACRO monitor_squash(t) AS regexp_replace(coalesce(t, ''), '[\s　]', '', 'g');
CREATE OR REPLACE TEMP MACRO monitor_word_light(t) AS
    CASE WHEN monitor_squash(t) IN ('达到', '已达到', '达成', '已达成', '完成', '已完成', '全部达到') THEN '绿'
         WHEN monitor_squash(t) IN ('部分达到', '部分达成', '基本达到', '部分完成', '基本完成') THEN '黄'
         WHEN monitor_squash(t) IN ('未达到', '未达成', '未完成', '没有达到') THEN '红' END;
CREATE OR REPLACE TEMP MACRO monitor_indicator_light(direction, level1, level2, target, actual, actual_text, month,
                                                     f_red, f_yellow, f_blue) AS
    CASE WHEN direction = '定性' OR target IS NULL OR actual IS NULL THEN monitor_word_light(actual_text)
         WHEN direction = '≤' THEN CASE WHEN actual <= target + 1e-9 * greatest(1, abs(target)) THEN '绿' ELSE '红' END
         WHEN direction = '<' THEN CASE WHEN actual < target THEN '绿' ELSE '红' END
         WHEN contains(coalesce(level2, ''), '质量') OR contains(coalesce(level2, ''), '时效')
              OR contains(coalesce(level2, '') || coalesce(level1, ''), '成本') THEN
             CASE WHEN direction = '=' THEN
                      CASE WHEN abs(actual - target) <= 1e-9 * greatest(1, abs(target)) THEN '绿' ELSE '红' END
                  WHEN direction = '>' THEN CASE WHEN actual > target THEN '绿' ELSE '红' END
                  ELSE CASE WHEN actual >= target - 1e-9 * greatest(1, abs(target)) THEN '绿' ELSE '红' END END
         WHEN target <= 0 THEN NULL
         WHEN actual / (target * month / 12.0) < f_red - 1e-12 THEN '红'
         WHEN actual / (target * month / 12.0) < f_yellow - 1e-12 THEN '黄'
         WHEN actual / (target * month / 12.0) < f_blue - 1e-12 THEN '绿'
         ELSE '蓝' END;
CREATE OR REPLACE TEMP MACRO monitor_scope(f_year, f_period, f_departments, f_search, f_lights, f_yellow_gap, f_floor)
    AS TABLE
WITH p AS (
    SELECT mp.*, mp.period_month / 12.0 AS time_progress,
           CASE WHEN mp.budget > 0 THEN mp.spent_to_date / mp.budget END AS execution_rate
    FROM monitor_projects mp
    WHERE mp.year = f_year AND mp.period_month = f_period
      AND (f_departments IS NULL OR list_contains(f_departments, mp.department))
      AND (f_search IS NULL OR contains(lower(mp.name), lower(f_search)))
), lit AS (
    SELECT p.*,
           CASE WHEN execution_rate IS NULL THEN '无预算'
                WHEN execution_rate >= time_progress - 1e-9 THEN '绿'
                WHEN time_progress - execution_rate < f_yellow_gap - 1e-9 THEN '黄'
                ELSE '红' END AS light,
           (time_progress - execution_rate) * 100 AS gap_pp,
           coalesce(forecast_spent < f_floor * budget - 1e-9 AND budget > 0, false) AS forecast_short
    FROM p
), imp AS (
    SELECT project_id, count(*) AS n, string_agg(level3, '、' ORDER BY position) AS names
    FROM monitor_indicators
    WHERE likelihood = '完全不可能' AND project_id IN (SELECT id FROM p)
    GROUP BY project_id
)
SELECT lit.*, coalesce(imp.n, 0) AS impossible, imp.names AS impossible_names,
       lit.light = '红' OR coalesce(imp.n, 0) > 0 OR lit.forecast_short AS at_risk,
       list_filter([
           CASE WHEN lit.light = '红' THEN printf('执行进度落后序时进度 %.1f 个百分点（执行率 %.1f%%，序时进度 %.1f%%）',
                                                 lit.gap_pp, lit.execution_rate * 100, lit.time_progress * 100) END,
           CASE WHEN imp.n > 0 THEN printf('%d 个指标完成目标可能性为“完全不可能”：%s', imp.n, imp.names) END,
           CASE WHEN lit.forecast_short THEN printf('全年预计执行数 %.2f 万元，为预算的 %.1f%%（低于 %.0f%%）',
                                                    lit.forecast_spent, lit.forecast_spent / lit.budget * 100,
                                                    f_floor * 100) END],
           lambda x: x IS NOT NULL) AS risk_reasons,
       -- worst first: at risk, then red, then furthest behind
       (CASE WHEN lit.light = '红' OR coalesce(imp.n, 0) > 0 OR lit.forecast_short THEN 1 ELSE 0 END) * 1000
           + coalesce(lit.gap_pp, 0) AS severity
FROM lit LEFT JOIN imp ON imp.project_id = lit.id
WHERE f_lights IS NULL OR list_contains(f_lights, lit.light);
-- The 偏差原因 of an indicator as a list: the ticked causes, then the 其他 text.
CREATE OR REPLACE TEMP MACRO monitor_reasons(funding, system, staff, hardware, other) AS
    list_filter([CASE WHEN funding THEN '经费保障' END, CASE WHEN system THEN '制度保障' END,
                 CASE WHEN staff THEN '人员保障' END, CASE WHEN hardware THEN '硬件条件保障' END, other],
                lambda x: x IS NOT NULL);
-- The indicators of the projects in scope with their lights and reasons (ticked causes, then 其他).
CREATE OR REPLACE TEMP MACRO monitor_indicator_rows(f_year, f_period, f_departments, f_search, f_lights,
                                                    f_yellow_gap, f_floor, f_red, f_yellow, f_blue) AS TABLE
SELECT i.*, s.name AS project_name, s.department,
       monitor_indicator_light(i.direction, i.level1, i.level2, i.target_value, i.actual_value, i.actual_text,
                               s.period_month, f_red, f_yellow, f_blue) AS light,
       monitor_reasons(i.reason_funding, i.reason_system, i.reason_staff, i.reason_hardware, i.reason_other) AS reasons
FROM monitor_indicators i
JOIN monitor_scope(f_year, f_period, f_departments, f_search, f_lights, f_yellow_gap, f_floor) s ON s.id = i.project_id;
