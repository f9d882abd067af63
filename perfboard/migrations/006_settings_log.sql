-- Who changed which setting, when, from what to what (issue 10): one row per change of the settings
-- table made by a person (rate bands, scoring constants, session idle time ...) and per change of a
-- user account made by an administrator (key 'user:<name>'; no password or hash is ever written).
-- Values are JSON text, as in the settings table; NULL old_value = the setting was not stored before.
CREATE TABLE settings_log (
    id          BIGINT PRIMARY KEY,
    changed_at  TIMESTAMP NOT NULL,
    user_name   VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    old_value   VARCHAR,
    new_value   VARCHAR
);

-- Shown on 用户管理; set by a successful login.
ALTER TABLE users ADD COLUMN last_login TIMESTAMP;
