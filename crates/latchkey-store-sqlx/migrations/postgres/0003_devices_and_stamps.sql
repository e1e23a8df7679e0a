-- Remembered devices and security stamps (crate latchkey-devices), and the
-- stamp each challenge is made under.

-- DeviceStore: one row per remembered device, by its random id. The
-- browser's token secret is never stored, only its SHA-256.
CREATE TABLE latchkey_devices (
    id            BYTEA   PRIMARY KEY,
    account       TEXT    NOT NULL,
    secret_digest BYTEA   NOT NULL,
    stamp         BYTEA   NOT NULL,
    label         TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    last_client   TEXT,
    expires_at    BIGINT  NOT NULL
);
-- An account's devices, oldest first (list, revoke all).
CREATE INDEX latchkey_devices_account ON latchkey_devices (account, created_at);
CREATE INDEX latchkey_devices_expiry ON latchkey_devices (expires_at);

-- StampStore: each account's current security stamp.
CREATE TABLE latchkey_stamps (
    account TEXT  PRIMARY KEY,
    stamp   BYTEA NOT NULL
);

-- ChallengeStore: the account's stamp when the challenge was made.
-- Challenges made before this migration get sixteen zero bytes, which is
-- no account's stamp (stamps are 128 random bits): they stop matching,
-- as they would after a credential change. The default is for those rows
-- only: new rows must say their stamp.
ALTER TABLE latchkey_challenges
    ADD COLUMN stamp BYTEA NOT NULL DEFAULT decode('00000000000000000000000000000000', 'hex');
ALTER TABLE latchkey_challenges ALTER COLUMN stamp DROP DEFAULT;
