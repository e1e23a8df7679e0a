-- Command-line login sessions (crate latchkey-cli-login).

-- CliLoginStore: one row per session, by the SHA-256 of its id (the
-- browser's secret); the command line's poll token is found by its own
-- SHA-256. Neither secret is stored. `state` is pending, approved, denied
-- or claimed; an approval sets `account` and `stamp`.
CREATE TABLE latchkey_cli_logins (
    id_digest    BYTEA   PRIMARY KEY,
    poll_digest  BYTEA   NOT NULL UNIQUE,
    user_code    TEXT    NOT NULL,
    client       TEXT,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    state        TEXT    NOT NULL,
    account      TEXT,
    stamp        BYTEA,
    last_poll_at BIGINT
);
CREATE INDEX latchkey_cli_logins_expiry ON latchkey_cli_logins (expires_at);
