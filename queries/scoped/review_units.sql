-- 自评复核 (perfboard.review), score-inflation: per unit (year and 主管部门) of the filtered projects, how
-- many projects, how many state a 总分 and the lowest stated, and how many indicators a person judged and
-- how many of those 达成. Only units with at least $min_projects projects.
WITH sp AS (
    SELECT id, year, department, reported_total_score
    FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
), j AS (
    SELECT project_id, count(*) AS n_judged, count(*) FILTER (trim(judgement) = '达成') AS n_judged_met
    FROM indicators
    WHERE project_id IN (SELECT id FROM sp) AND NOT blank_text(judgement)
    GROUP BY project_id
)
SELECT sp.year, sp.department, count(*) AS n_projects,
       count(sp.reported_total_score) AS n_reported, min(sp.reported_total_score) AS min_reported,
       coalesce(sum(j.n_judged), 0) AS n_judged, coalesce(sum(j.n_judged_met), 0) AS n_judged_met
FROM sp LEFT JOIN j ON j.project_id = sp.id
GROUP BY sp.year, sp.department
HAVING count(*) >= $min_projects
ORDER BY sp.year, sp.department
