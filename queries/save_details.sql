-- The audit rows of one save, in the order they were written.
SELECT id, indicator_id, indicator_name, action, field, old_value, new_value
FROM audit_log
WHERE save_id = $save_id
ORDER BY id
