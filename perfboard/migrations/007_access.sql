-- Access control (issue 20).
-- match_log: every person's decision on a cross-year project pair (确认 / 拒绝 / 撤销 on 同比分析), who and
-- when, shown in 修改记录 next to saves and imports. project_matches keeps only the current decision.
CREATE TABLE match_log (
    id                BIGINT PRIMARY KEY,
    decided_at        TIMESTAMP NOT NULL,
    user_name         VARCHAR NOT NULL,
    action            VARCHAR NOT NULL CHECK (action IN ('confirmed', 'rejected', 'undone')),
    base_year         INTEGER NOT NULL,
    base_department   VARCHAR NOT NULL,
    base_key          VARCHAR NOT NULL,
    base_name         VARCHAR,
    target_year       INTEGER NOT NULL,
    target_department VARCHAR NOT NULL,
    target_key        VARCHAR NOT NULL,
    target_name       VARCHAR,
    score             DOUBLE
);

-- sessions: one row per login. Every page run and every download checks its row, so ending it (logout,
-- idle expiry, an administrator disabling the account) ends it in every open tab at once.
CREATE TABLE sessions (
    id          VARCHAR PRIMARY KEY,      -- random token, kept only in the server-side Streamlit session
    user_name   VARCHAR NOT NULL,
    address     VARCHAR,                  -- client address at login (NULL: this machine)
    created_at  TIMESTAMP NOT NULL,
    last_seen   TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    end_reason  VARCHAR                   -- 'logout' | 'idle' | 'disabled' | 'password'
);

-- login_failures: wrong passwords per client address, so one address cannot lock every account (the
-- per-account lock-out in users stays). Stored here, not in a session, so a new tab does not reset it.
CREATE TABLE login_failures (
    address       VARCHAR PRIMARY KEY,
    failures      INTEGER NOT NULL,
    first_failure TIMESTAMP NOT NULL,
    locked_until  TIMESTAMP
);
