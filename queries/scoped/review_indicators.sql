-- 自评复核 (perfboard.review): the indicator rows of the filtered projects that break an indicator rule, one
-- row each with a flag per rule and the values the finding shows. Only flagged rows leave DuckDB.
--   below_target   full-score-below-target: the numbers miss the target (targets.judge on the stored
--                  numbers, ignoring a person's judgement) while 得分 = 分值 or the judgement is 达成
--   cost_direction cost-direction: a 成本 indicator (一级 or 二级 says 成本) with target ≥ / >
--   unit_mismatch  unit-mismatch: target and actual both carry a unit and the (normalised) units differ
--   vague          vague-target: a target that cannot be checked ($vague_regex words; a quantitative
--                  二级 ($quant_regex) or a satisfaction indicator with a target that is not a number)
--   no_reason      missing-reason: status unmet and no 偏差原因 (as figures.sql's unmet_no_reason)
--   zero_no_reason zero-without-reason: an actual of 0 and no 偏差原因
WITH sp AS (
    SELECT id, year, department, project_code, name
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
), i AS (
    SELECT i.id, i.project_id, i.position, i.level1, i.level2, i.level3, i.direction, i.target_value,
           coalesce(i.target_unit, '') AS target_unit, i.actual_value, coalesce(i.actual_unit, '') AS actual_unit,
           i.target_text, i.actual_text, i.weight, i.reported_score, trim(i.judgement) AS judgement, i.status,
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
                ELSE false END AS numbers_unmet
    FROM i
), flagged AS (
    SELECT j.*,
           j.numbers_unmet AND ((j.weight > 0 AND j.reported_score >= j.weight - $score_tolerance)
                                OR j.judgement = '达成') AS below_target,
           (contains(j.l1, '成本') OR contains(j.l2, '成本')) AND j.direction IN ('≥', '>') AS cost_direction,
           j.target_value IS NOT NULL AND j.actual_value IS NOT NULL AND j.target_unit <> '' AND j.actual_unit <> ''
               AND j.target_unit <> j.actual_unit AS unit_mismatch,
           NOT blank_text(j.target_text) AND (
               regexp_matches(j.target_text, $vague_regex)
               OR (j.target_value IS NULL AND (regexp_matches(j.l2, $quant_regex)
                                               OR contains(j.l1 || j.l2 || coalesce(j.level3, ''), '满意')))) AS vague,
           j.status = 'unmet' AND j.no_note AS no_reason,
           j.actual_value = 0 AND j.no_note AS zero_no_reason
    FROM judged j
)
SELECT f.id AS indicator_id, f.project_id, sp.year, sp.department, sp.project_code, sp.name AS project,
       f.position, f.level1, f.level2, f.level3, f.direction, f.target_value, f.target_unit, f.actual_value,
       f.actual_unit, f.target_text, f.actual_text, f.weight, f.reported_score, f.judgement, f.status,
       f.below_target, f.cost_direction, f.unit_mismatch, f.vague, f.no_reason, f.zero_no_reason
FROM flagged f
JOIN sp ON sp.id = f.project_id
WHERE f.below_target OR f.cost_direction OR f.unit_mismatch OR f.vague OR f.no_reason OR f.zero_no_reason
ORDER BY sp.year, sp.department, f.project_id, f.position, f.id
