-- 自评复核 (perfboard.review): the findings of the indicator rules over the filtered projects, built here
-- (one row per rule an indicator breaks: its message, fact, evidence as JSON and its key), so that only
-- findings leave DuckDB. The rules:
--   full-score-below-target  the numbers miss the target (targets.judge on the stored numbers, ignoring a
--                            person's judgement) while 得分 = 分值 (within $score_tolerance) or the judgement is 达成
--   cost-direction           a 成本 indicator (一级 or 二级 says 成本) stored as ≥ / > and written with such an
--                            operator (a plain "5万元" is stored as ≥ but says nothing)
--   unit-mismatch            target and actual both carry a unit and the (normalised) units differ
--   vague-target             a target that cannot be checked: $vague_regex words; a quantitative 二级
--                            ($quant_regex) or a satisfaction indicator whose target is not a number
--   missing-reason           status unmet and no 偏差原因 (as figures.sql's unmet_no_reason)
--   zero-without-reason      an actual of 0 and no 偏差原因
--   missing-actual           no 实际完成值 (status missing: the overview's 缺实际完成值 check)
--   missing-target           no 年度指标值 and no judgement (status no_target: the overview's 缺指标值未判定 check)
--   pending-judgement        the numbers cannot decide (a qualitative target, units or direction not comparable)
--                            and nobody has judged (status pending); with missing-target: the brief's 待判定指标
-- Run for projects $lo..$hi (ids) at a time: the strings built here for a province at once took ~1 GB.
-- key = md5 of code | year | department | project identity ('code:' code, else 'name:' name without
-- whitespace) | 一级 | 二级 | 三级 | evidence: the same finding again after a re-import of unchanged rows.
WITH sp AS (
    SELECT id, year, department, project_code, name,
           CASE WHEN nullif(trim(project_code), '') IS NOT NULL THEN 'code:' || trim(project_code)
                ELSE 'name:' || regexp_replace(name, '\s', '', 'g') END AS identity
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
    WHERE id BETWEEN $lo AND $hi          -- a slice of the projects at a time (perfboard.review: memory)
), i AS (
    SELECT i.id, i.project_id, i.position, i.level1, i.level2, i.level3, i.direction, i.target_value,
           coalesce(i.target_unit, '') AS target_unit, i.actual_value, coalesce(i.actual_unit, '') AS actual_unit,
           trim(coalesce(i.target_text, '')) AS t, trim(coalesce(i.actual_text, '')) AS a,
           i.weight, i.reported_score, trim(i.judgement) AS judgement, i.status,
           blank_text(i.deviation_note) AS no_note,
           regexp_replace(coalesce(i.level1, ''), '[（(【\[].*?[）)】\]]', '', 'g') AS l1,
           coalesce(i.level2, '') AS l2
    FROM indicators i
    WHERE i.project_id IN (SELECT id FROM sp)
), judged AS (
    SELECT i.*,
           CASE WHEN i.target_value IS NOT NULL AND i.actual_value IS NOT NULL
                     AND isfinite(i.target_value) AND isfinite(i.actual_value)
                     AND (i.target_unit = i.actual_unit OR i.target_unit = '' OR i.actual_unit = '')
                     AND coalesce(i.direction, '≥') IN ('≥', '>', '≤', '<', '=')
                THEN NOT CASE coalesce(i.direction, '≥')
                         WHEN '≥' THEN i.actual_value >= i.target_value
                         WHEN '>' THEN i.actual_value > i.target_value
                         WHEN '≤' THEN i.actual_value <= i.target_value
                         WHEN '<' THEN i.actual_value < i.target_value
                         ELSE abs(i.actual_value - i.target_value) <= 1e-9 * greatest(1.0, abs(i.target_value)) END
                ELSE false END AS numbers_unmet,
           i.weight > 0 AND i.reported_score >= i.weight - $score_tolerance AS full_score
    FROM i
), flagged AS (
    SELECT j.*,
           j.numbers_unmet AND (coalesce(j.full_score, false) OR coalesce(j.judgement = '达成', false)) AS below_target,
           (contains(j.l1, '成本') OR contains(j.l2, '成本')) AND j.direction IN ('≥', '>')
               AND regexp_matches(j.t, '[≥>＞≧⩾]|不少于|不低于|不小于|至少|最少|大于|高于|超过|多于|以上|余|多') AS cost_direction,
           j.target_value IS NOT NULL AND j.actual_value IS NOT NULL AND j.target_unit <> '' AND j.actual_unit <> ''
               AND j.target_unit <> j.actual_unit AS unit_mismatch,
           j.t <> '' AND NOT blank_text(j.t) AND (
               regexp_matches(j.t, $vague_regex)
               OR (j.target_value IS NULL AND (regexp_matches(j.l2, $quant_regex)
                                               OR contains(j.l1 || j.l2 || coalesce(j.level3, ''), '满意')))) AS vague,
           j.status = 'unmet' AND j.no_note AS no_reason,
           j.actual_value = 0 AND j.no_note AS zero_no_reason,
           j.status = 'missing' AS no_actual,
           j.status = 'no_target' AS no_target,
           j.status = 'pending' AS pending,
           CASE WHEN j.t = '' THEN '（未填写）' ELSE j.t END AS shown_t
    FROM judged j
), rows AS (
    SELECT f.*, sp.year, sp.department, sp.project_code, sp.name AS project, sp.identity
    FROM flagged f JOIN sp ON sp.id = f.project_id
    WHERE coalesce(f.below_target OR f.cost_direction OR f.unit_mismatch OR f.vague OR f.no_reason
                   OR f.zero_no_reason OR f.no_actual OR f.no_target OR f.pending, false)
), findings AS (
    SELECT *, 'full-score-below-target' AS code,
           '实际完成值未达到年度指标值，但' || how AS message,
           '年度指标值 ' || t || '，实际完成值 ' || a || '，未达到目标，但' || how || '。未完成的定量指标应按完成比例计分。' AS fact,
           to_json({'target': t, 'actual': a, 'weight': weight, 'reported_score': reported_score,
                    'judgement': judgement}) AS evidence
    FROM (SELECT *, CASE WHEN coalesce(full_score, false)
                         THEN '得分 ' || printf('%g', reported_score) || ' 分等于分值 ' || printf('%g', weight) || ' 分'
                         ELSE '判定为“达成”' END AS how
          FROM rows WHERE below_target)
    UNION ALL BY NAME
    SELECT *, 'cost-direction' AS code, '成本指标的年度指标值写为“' || direction || '”' AS message,
           '“' || coalesce(level3, '') || '”的年度指标值为 ' || t || '：成本指标是支出上限，应写作“≤”或“=”。' AS fact,
           to_json({'level2': level2, 'target': t, 'direction': direction}) AS evidence
    FROM rows WHERE cost_direction
    UNION ALL BY NAME
    SELECT *, 'unit-mismatch' AS code,
           '年度指标值与实际完成值的计量单位不一致（' || target_unit || ' 与 ' || actual_unit || '）' AS message,
           '年度指标值 ' || t || '（单位“' || target_unit || '”），实际完成值 ' || a || '（单位“' || actual_unit
               || '”）：单位不同，无法直接比较是否达成。' AS fact,
           to_json({'target': t, 'actual': a, 'target_unit': target_unit, 'actual_unit': actual_unit}) AS evidence
    FROM rows WHERE unit_mismatch
    UNION ALL BY NAME
    SELECT *, 'vague-target' AS code, '年度指标值“' || t || '”无法考核' AS message,
           '年度指标值“' || t || '”' || CASE WHEN regexp_matches(t, $vague_regex) THEN '为模糊表述，无法衡量是否完成'
                                            WHEN regexp_matches(l2, $quant_regex)
                                                THEN '属于' || l2 || '，却没有可计量的数值和单位'
                                            ELSE '是满意度指标，却没有数值目标（满意度应以调查结果衡量）' END || '。' AS fact,
           to_json({'target': t, 'level2': level2}) AS evidence
    FROM rows WHERE vague
    UNION ALL BY NAME
    SELECT *, 'missing-reason' AS code, '指标未达成但未填写偏差原因' AS message,
           '年度指标值 ' || shown_t || '，实际完成值 ' || a || '，判定未达成；“偏差原因分析及改进措施”为空。' AS fact,
           to_json({'target': t, 'actual': a}) AS evidence
    FROM rows WHERE no_reason
    UNION ALL BY NAME
    SELECT *, 'zero-without-reason' AS code, '实际完成值为 0 且未说明原因' AS message,
           '实际完成值 ' || a || '（年度指标值 ' || shown_t || '），未说明原因。' AS fact,
           to_json({'target': t, 'actual': a}) AS evidence
    FROM rows WHERE zero_no_reason
    UNION ALL BY NAME
    SELECT *, 'missing-actual' AS code, '指标缺少实际完成值' AS message,
           '年度指标值 ' || shown_t || '，“实际完成值”为空，无法判断是否达成。' AS fact,
           to_json({'target': t}) AS evidence
    FROM rows WHERE no_actual
    UNION ALL BY NAME
    SELECT *, 'missing-target' AS code, '指标缺少年度指标值，且未人工判定' AS message,
           '实际完成值 ' || CASE WHEN a = '' THEN '（未填写）' ELSE a END
               || '，“年度指标值”为空，无法判断是否达成。' AS fact,
           to_json({'actual': a}) AS evidence
    FROM rows WHERE no_target
    UNION ALL BY NAME
    SELECT *, 'pending-judgement' AS code, '指标待人工判定是否达成' AS message,
           '年度指标值 ' || shown_t || '，实际完成值 ' || a || '：无法按数值自动判定，且未人工判定是否达成。' AS fact,
           to_json({'target': t, 'actual': a}) AS evidence
    FROM rows WHERE pending
)
SELECT code, year, department, project_id, project, project_code, id AS indicator_id,
       coalesce(level3, '') AS indicator,
       concat_ws(' › ', nullif(trim(level1), ''), nullif(trim(level2), ''), nullif(trim(level3), '')) AS location,
       message, fact, evidence,
       md5(concat_ws('|', code, year::VARCHAR, department, identity, coalesce(level1, ''), coalesce(level2, ''),
                     coalesce(level3, ''), evidence)) AS key
FROM findings
ORDER BY year, department, project_id, position, indicator_id, code
