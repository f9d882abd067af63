-- 自评复核 (perfboard.review): the filtered projects that break a project rule, with a flag per rule.
--   missing_level1   missing-level1: no 产出 / 效益 / 满意度 indicator (those of $need_* that are true;
--                    一级 classed as scoring.class_of does with the default classes: 成本 counts as 产出)
--   thin             thin-indicators: fewer than $thin_min 产出 indicators (projects with none: missing-level1)
--   weights_sum      weights-sum: 分值 given and summing to other than $total - the money block's 分值
--                    ($execution_weight when the form gives none), as scoring's weights-sum
--   no_improvement   missing-improvement: in deviation (budget light 黄/红/超预算, or an indicator unmet or
--                    missing) and no 改进措施
--   no_reason        missing-reason: a budget deviation with no 偏离原因 (figures.sql's budget_no_reason)
--   rate_mismatch    reported-vs-computed: the stated 执行率 differs from spent ÷ budget (scope.sql)
WITH sp AS (
    SELECT * FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
    WHERE id BETWEEN $lo AND $hi          -- a slice of the projects at a time (perfboard.review: memory)
), ic AS (
    SELECT project_id, count(*) AS n_indicators,
           count(*) FILTER (cls = '产出') AS n_output,
           count(*) FILTER (cls = '效益') AS n_benefit,
           count(*) FILTER (cls = '满意度') AS n_satisfaction,
           count(weight) AS n_weighted,
           sum(CASE WHEN isfinite(weight) THEN weight ELSE 0 END) AS weight_sum,
           count(*) FILTER (indicator_deviation(status)) AS n_deviating
    FROM (SELECT project_id, weight, status,
                 CASE WHEN contains(l1, '产出') OR contains(l1, '成本') THEN '产出'
                      WHEN contains(l1, '效益') THEN '效益'
                      WHEN contains(l1, '满意') THEN '满意度' END AS cls
          FROM (SELECT project_id, weight, status,
                       regexp_replace(coalesce(level1, ''), '[（(【\[].*?[）)】\]]', '', 'g') AS l1
                FROM indicators WHERE project_id IN (SELECT id FROM sp)))
    GROUP BY project_id
), p AS (
    SELECT sp.id AS project_id, sp.year, sp.department, sp.project_code, sp.name AS project, sp.budget, sp.spent,
           sp.execution_rate, sp.reported_rate, sp.light, sp.rate_mismatch, sp.budget_deviation,
           coalesce(ic.n_indicators, 0) AS n_indicators, coalesce(ic.n_output, 0) AS n_output,
           coalesce(ic.n_benefit, 0) AS n_benefit, coalesce(ic.n_satisfaction, 0) AS n_satisfaction,
           coalesce(ic.n_deviating, 0) AS n_deviating, coalesce(ic.n_weighted, 0) AS n_weighted,
           coalesce(ic.weight_sum, 0) AS weight_sum,
           $total - coalesce(sp.execution_weight, $execution_weight) AS weight_due,
           blank_text(sp.deviation_reason) AS reason_blank, blank_text(sp.improvement) AS improvement_blank
    FROM sp LEFT JOIN ic ON ic.project_id = sp.id
), flagged AS (
    SELECT p.*,
           ($need_output AND n_output = 0) OR ($need_benefit AND n_benefit = 0)
               OR ($need_satisfaction AND n_satisfaction = 0) AS missing_level1,
           n_output > 0 AND n_output < $thin_min AS thin,
           n_weighted > 0 AND abs(weight_sum - weight_due) > 0.005 AS weights_sum,
           (budget_deviation OR n_deviating > 0) AND improvement_blank AS no_improvement,
           budget_deviation AND reason_blank AS no_reason
    FROM p
)
SELECT * EXCLUDE (reason_blank, improvement_blank)
FROM flagged
WHERE missing_level1 OR thin OR weights_sum OR no_improvement OR no_reason OR rate_mismatch
ORDER BY year, department, project_id
