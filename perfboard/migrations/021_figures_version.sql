-- Issue 19 (20 sessions with saves): a second data version that a save of explanatory text alone leaves.
--
-- figures_version: one row, moved by Store.transaction (both stores) with the data version, except when every
-- writing statement of the transaction is provably notes-only (perfboard.db.Writes.figures): an UPDATE of
-- indicators or projects whose SET list names only the note columns no figure reads (db.NOTE_COLUMNS:
-- 偏差原因分析及改进措施 of an indicator; 项目概况, 年度总体目标, 实际完成情况, 偏离原因, 改进措施 of a project),
-- or a write into the change log (db.LOG_TABLES: saves, audit_log). Anything it cannot read moves it.
-- ui.state.load keys a function's cache on it only when the function is declared not to read those columns
-- or tables (perfboard.versions.notes_blind); every other function keeps the data version.
CREATE TABLE figures_version (version BIGINT NOT NULL);
INSERT INTO figures_version SELECT version FROM data_version;

-- 同比分析's stored result of a year pair (migration 019) names the figures version it was computed at instead
-- of the data version (the items, candidates and scores read no note): a save of a 偏差原因 keeps it current.
-- The stored rows name data versions: dropped, computed again once.
DELETE FROM year_pair_result_items;
DELETE FROM year_pair_result_candidates;
DELETE FROM year_pair_result_scores;
DELETE FROM year_pair_results;
ALTER TABLE year_pair_results RENAME COLUMN data_version TO figures_version;
