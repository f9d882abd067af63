-- The texts of the few indicators (ids in the list $ids) scoring cannot read from numbers alone: an unmet
-- row whose target or actual number was not stored, or a row without a stored status.
SELECT i.id, i.direction, i.target_value, i.target_unit, i.actual_value, i.actual_unit, i.target_text,
       i.actual_text, i.judgement
FROM indicators i
JOIN (SELECT unnest($ids) AS id) r ON r.id = i.id
