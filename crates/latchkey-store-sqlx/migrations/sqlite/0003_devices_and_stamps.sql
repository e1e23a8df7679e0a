-- Remembered devices and security stamps (crate latchkey-devices), and the
-- stamp each challenge is made under.

-- DeviceStore: one row per remembered device, by its random id. The
-- browser's token secret is never stored, only its SHA-256.
CREATE TABLE latchkey_devices (
    id            BLOB    PRIMARY KEY,
    account       TEXT    NOT NULL,
    secret_digest BLOB    NOT NULL,
    stamp         BLOB    NOT NULL,
    label         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    last_client   TEXT,
    expires_at    INTEGER NOT NULL
);
-- An account's devices, oldest first (list, revoke all).
CREATE INDEX latchkey_devices_account ON latchkey_devices (account, created_at);
CREATE INDEX latchkey_devices_expiry ON latchkey_devices (expires_at);

-- StampStore: each account's current security stamp.
CREATE TABLE latchkey_stamps (
    account TEXT PRIMARY KEY,
    stamp   BLOB NOT NULL
);

-- ChallengeStore: the account's stamp when the challenge was made.
-- Challenges made before this migration get sixteen zero bytes, which is
-- no account's stamp (stamps are 128 random bits): they stop matching,
-- as they would after a credential change. (SQLite cannot drop a
-- column's default without rebuilding the table: the default stays, and
-- the store always writes the stamp.)
ALTER TABLE latchkey_challenges
    ADD COLUMN stamp BLOB NOT NULL DEFAULT x'00000000000000000000000000000000';
