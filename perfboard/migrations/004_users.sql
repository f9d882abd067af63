-- Users, roles and department scope (issue 10). Passwords are stored only as bcrypt hashes.
-- departments is a JSON array of 主管部门 names ("*" = every department); admins ignore it.
CREATE TABLE users (
    name            VARCHAR PRIMARY KEY,
    password_hash   VARCHAR NOT NULL,
    role            VARCHAR NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    departments     VARCHAR NOT NULL DEFAULT '[]',
    disabled        BOOLEAN NOT NULL DEFAULT false,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
