-- summary.totals() per year under the sidebar filters (every year; $year is bound NULL), oldest first.
-- The filters, rate and light are queries/scope.sql's scoped_projects (projects.sql's, tested so).
SELECT year, count(*) AS projects, coalesce(sum(budget), 0) AS budget_wan, coalesce(sum(spent), 0) AS spent_wan
FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)
GROUP BY year
ORDER BY year
