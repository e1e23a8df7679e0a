-- Security keys and passkeys, and their ceremonies (crate latchkey-webauthn).

-- SecurityKeyStore: one row per registered key, by the credential id the
-- authenticator chose (unique across every account). Only public
-- material: `passkey` is webauthn-rs's `Passkey` as JSON; `counter` is
-- the signature counter last seen (0 to 2^32 - 1).
CREATE TABLE latchkey_security_keys (
    credential_id   BYTEA   PRIMARY KEY,
    account         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    passkey         TEXT    NOT NULL,
    counter         BIGINT  NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backed_up       BOOLEAN NOT NULL,
    created_at      BIGINT  NOT NULL,
    last_used_at    BIGINT
);
-- An account's keys, oldest first.
CREATE INDEX latchkey_security_keys_account ON latchkey_security_keys (account, created_at);

-- SecurityKeyStore: one row per ceremony in flight, by the SHA-256 of its
-- id (the id itself is not stored). `purpose` is registration (with the
-- key's `name`), second-factor, or step-up (with the write's `operation`
-- digest); `state` is webauthn-rs's server-side state as JSON.
CREATE TABLE latchkey_webauthn_ceremonies (
    id_digest  BYTEA   PRIMARY KEY,
    account    TEXT    NOT NULL,
    purpose    TEXT    NOT NULL,
    name       TEXT,
    operation  BYTEA,
    state      TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX latchkey_webauthn_ceremonies_expiry ON latchkey_webauthn_ceremonies (expires_at);
