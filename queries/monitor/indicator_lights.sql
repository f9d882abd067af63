-- Every indicator of the snapshot under the filters counted per light (NULL = cannot judge) and likelihood.
SELECT light, likelihood, count(*) AS n
FROM monitor_indicator_rows($year, $period, $departments, $search, $lights, $yellow_gap, $floor, $red, $yellow, $blue)
GROUP BY ALL
