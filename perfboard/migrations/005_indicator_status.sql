-- The judged status of every indicator (met / unmet / missing / no_target / pending / na), stored so that
-- pages can count and filter in SQL at a province's scale instead of judging millions of rows in Python.
-- It is derived data: perfboard.indicators.compute_status writes it on every insert and edit, equal to
-- status_of(row); rows from before this migration are filled by Store on open (refresh_status).
ALTER TABLE indicators ADD COLUMN status VARCHAR;
