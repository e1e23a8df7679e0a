-- latchkey's tables on SQLite. Times are unix nanoseconds (INTEGER), ids and
-- digests are BLOBs, secrets stay as they come: PHC strings, keyed digests,
-- sealed (encrypted) TOTP secrets.

-- CredentialStore
CREATE TABLE latchkey_credentials (
    account TEXT PRIMARY KEY,
    login   TEXT NOT NULL UNIQUE,
    phc     TEXT NOT NULL
);

-- OtpStore: at most one code per (account, purpose); sends for cooldown and cap.
CREATE TABLE latchkey_codes (
    account         TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    id              BLOB    NOT NULL,
    digest          BLOB    NOT NULL,
    expires_at      INTEGER NOT NULL,
    max_attempts    INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL,
    PRIMARY KEY (account, purpose)
);
CREATE TABLE latchkey_code_sends (
    seq            INTEGER PRIMARY KEY,
    account        TEXT    NOT NULL,
    sent_at        INTEGER NOT NULL,
    holds_cooldown BOOLEAN NOT NULL
);
CREATE INDEX latchkey_code_sends_account ON latchkey_code_sends (account, sent_at);

-- TwoFactorStore
CREATE TABLE latchkey_authenticators (
    account        TEXT    PRIMARY KEY,
    id             BLOB    NOT NULL,
    mode           TEXT    NOT NULL,
    key_id         TEXT    NOT NULL,
    nonce          BLOB    NOT NULL,
    ciphertext     BLOB    NOT NULL,
    algorithm      TEXT    NOT NULL,
    digits         INTEGER NOT NULL,
    period         INTEGER NOT NULL,
    last_used_step INTEGER NOT NULL,
    drift          INTEGER NOT NULL,
    enabled_at     INTEGER NOT NULL
);
CREATE TABLE latchkey_pending_enrolments (
    account    TEXT    PRIMARY KEY,
    id         BLOB    NOT NULL,
    key_id     TEXT    NOT NULL,
    nonce      BLOB    NOT NULL,
    ciphertext BLOB    NOT NULL,
    algorithm  TEXT    NOT NULL,
    digits     INTEGER NOT NULL,
    period     INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE latchkey_recovery_codes (
    account TEXT NOT NULL,
    digest  BLOB NOT NULL,
    PRIMARY KEY (account, digest)
);
CREATE TABLE latchkey_twofactor_counters (
    account               TEXT    PRIMARY KEY,
    failed_attempts       INTEGER NOT NULL DEFAULT 0,
    last_attempt_at       INTEGER,
    last_replay_notice_at INTEGER
);
CREATE TABLE latchkey_used_approvals (
    account    TEXT    NOT NULL,
    id         BLOB    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account, id)
);

-- TicketStore
CREATE TABLE latchkey_ticket_submissions (
    submission_key TEXT    NOT NULL,
    at             INTEGER NOT NULL
);
CREATE INDEX latchkey_ticket_submissions_key ON latchkey_ticket_submissions (submission_key, at);
CREATE TABLE latchkey_drafts (
    id         BLOB    PRIMARY KEY,
    login      TEXT    NOT NULL,
    contact    TEXT    NOT NULL,
    topic      TEXT    NOT NULL,
    details    TEXT,
    expires_at INTEGER NOT NULL
);
CREATE TABLE latchkey_draft_identities (
    draft_id    BLOB    NOT NULL REFERENCES latchkey_drafts (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    provider    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    handle      TEXT    NOT NULL,
    verified_at INTEGER NOT NULL,
    PRIMARY KEY (draft_id, position)
);
CREATE TABLE latchkey_tickets (
    id            BLOB    PRIMARY KEY,
    login         TEXT    NOT NULL,
    account       TEXT,
    contact       TEXT    NOT NULL,
    topic         TEXT    NOT NULL,
    details       TEXT,
    state         TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    submitted_at  INTEGER NOT NULL,
    approved_at   INTEGER,
    cancel_digest BLOB
);
CREATE TABLE latchkey_ticket_approvals (
    ticket_id BLOB    NOT NULL REFERENCES latchkey_tickets (id),
    position  INTEGER NOT NULL,
    staff     TEXT    NOT NULL,
    PRIMARY KEY (ticket_id, position)
);
CREATE TABLE latchkey_ticket_evidence (
    ticket_id   BLOB    NOT NULL REFERENCES latchkey_tickets (id),
    position    INTEGER NOT NULL,
    provider    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    handle      TEXT    NOT NULL,
    verified_at INTEGER NOT NULL,
    finding     TEXT    NOT NULL,
    linked_at   INTEGER,
    PRIMARY KEY (ticket_id, position)
);
-- Append-only: `seq` orders the trail (rows are never updated or deleted).
CREATE TABLE latchkey_ticket_audit (
    seq        INTEGER PRIMARY KEY,
    ticket_id  BLOB    NOT NULL REFERENCES latchkey_tickets (id),
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    staff      TEXT,
    action     TEXT    NOT NULL,
    transition TEXT,
    note       TEXT
);
CREATE INDEX latchkey_ticket_audit_ticket ON latchkey_ticket_audit (ticket_id, seq);

-- ChallengeStore (crate `latchkey`)
CREATE TABLE latchkey_challenges (
    challenge_key BLOB    PRIMARY KEY,
    account       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    operation     BLOB,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    max_attempts  INTEGER NOT NULL,
    attempts      INTEGER NOT NULL
);
CREATE INDEX latchkey_challenges_expiry ON latchkey_challenges (expires_at);

-- ThrottleStore (crate `latchkey`)
CREATE TABLE latchkey_throttle_backoff (
    throttle_key BLOB    PRIMARY KEY,
    attempts     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL
);
CREATE TABLE latchkey_throttle_windows (
    throttle_key BLOB    PRIMARY KEY,
    hits         INTEGER NOT NULL,
    resets_at    INTEGER NOT NULL
);
