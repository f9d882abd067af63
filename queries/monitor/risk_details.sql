-- For the at-risk cards: per project of $ids, every 偏差原因 its indicators state (distinct, sorted) and the
-- 完成目标可能性 of each indicator that has one.
SELECT project_id,
       list_sort(list_distinct(flatten(list(monitor_reasons(reason_funding, reason_system, reason_staff,
                                                            reason_hardware, reason_other))))) AS causes,
       list(likelihood) FILTER (WHERE likelihood IS NOT NULL) AS likelihoods
FROM monitor_indicators
WHERE list_contains($ids, project_id)
GROUP BY project_id
