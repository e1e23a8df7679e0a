-- latchkey's tables on PostgreSQL. Times are unix nanoseconds (BIGINT), ids and
-- digests are BYTEA, secrets stay as they come: PHC strings, keyed digests,
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
    id              BYTEA   NOT NULL,
    digest          BYTEA   NOT NULL,
    expires_at      BIGINT  NOT NULL,
    max_attempts    BIGINT  NOT NULL,
    failed_attempts BIGINT  NOT NULL,
    PRIMARY KEY (account, purpose)
);
CREATE TABLE latchkey_code_sends (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account        TEXT    NOT NULL,
    sent_at        BIGINT  NOT NULL,
    holds_cooldown BOOLEAN NOT NULL
);
CREATE INDEX latchkey_code_sends_account ON latchkey_code_sends (account, sent_at);

-- TwoFactorStore
CREATE TABLE latchkey_authenticators (
    account        TEXT    PRIMARY KEY,
    id             BYTEA   NOT NULL,
    mode           TEXT    NOT NULL,
    key_id         TEXT    NOT NULL,
    nonce          BYTEA   NOT NULL,
    ciphertext     BYTEA   NOT NULL,
    algorithm      TEXT    NOT NULL,
    digits         BIGINT  NOT NULL,
    period         BIGINT  NOT NULL,
    last_used_step BIGINT  NOT NULL,
    drift          BIGINT  NOT NULL,
    enabled_at     BIGINT  NOT NULL
);
CREATE TABLE latchkey_pending_enrolments (
    account    TEXT    PRIMARY KEY,
    id         BYTEA   NOT NULL,
    key_id     TEXT    NOT NULL,
    nonce      BYTEA   NOT NULL,
    ciphertext BYTEA   NOT NULL,
    algorithm  TEXT    NOT NULL,
    digits     BIGINT  NOT NULL,
    period     BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE TABLE latchkey_recovery_codes (
    account TEXT NOT NULL,
    digest  BYTEA NOT NULL,
    PRIMARY KEY (account, digest)
);
CREATE TABLE latchkey_twofactor_counters (
    account               TEXT    PRIMARY KEY,
    failed_attempts       BIGINT  NOT NULL DEFAULT 0,
    last_attempt_at       BIGINT,
    last_replay_notice_at BIGINT 
);
CREATE TABLE latchkey_used_approvals (
    account    TEXT    NOT NULL,
    id         BYTEA   NOT NULL,
    expires_at BIGINT  NOT NULL,
    PRIMARY KEY (account, id)
);

-- TicketStore
CREATE TABLE latchkey_ticket_submissions (
    submission_key TEXT    NOT NULL,
    at             BIGINT  NOT NULL
);
CREATE INDEX latchkey_ticket_submissions_key ON latchkey_ticket_submissions (submission_key, at);
CREATE TABLE latchkey_drafts (
    id         BYTEA   PRIMARY KEY,
    login      TEXT    NOT NULL,
    contact    TEXT    NOT NULL,
    topic      TEXT    NOT NULL,
    details    TEXT,
    expires_at BIGINT  NOT NULL
);
CREATE TABLE latchkey_draft_identities (
    draft_id    BYTEA   NOT NULL REFERENCES latchkey_drafts (id) ON DELETE CASCADE,
    position    BIGINT  NOT NULL,
    provider    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    handle      TEXT    NOT NULL,
    verified_at BIGINT  NOT NULL,
    PRIMARY KEY (draft_id, position)
);
CREATE TABLE latchkey_tickets (
    id            BYTEA   PRIMARY KEY,
    login         TEXT    NOT NULL,
    account       TEXT,
    contact       TEXT    NOT NULL,
    topic         TEXT    NOT NULL,
    details       TEXT,
    state         TEXT    NOT NULL,
    version       BIGINT  NOT NULL,
    submitted_at  BIGINT  NOT NULL,
    approved_at   BIGINT,
    cancel_digest BYTEA
);
CREATE TABLE latchkey_ticket_approvals (
    ticket_id BYTEA   NOT NULL REFERENCES latchkey_tickets (id),
    position  BIGINT  NOT NULL,
    staff     TEXT    NOT NULL,
    PRIMARY KEY (ticket_id, position)
);
CREATE TABLE latchkey_ticket_evidence (
    ticket_id   BYTEA   NOT NULL REFERENCES latchkey_tickets (id),
    position    BIGINT  NOT NULL,
    provider    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    handle      TEXT    NOT NULL,
    verified_at BIGINT  NOT NULL,
    finding     TEXT    NOT NULL,
    linked_at   BIGINT,
    PRIMARY KEY (ticket_id, position)
);
-- Append-only: `seq` orders the trail (rows are never updated or deleted).
CREATE TABLE latchkey_ticket_audit (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  BYTEA   NOT NULL REFERENCES latchkey_tickets (id),
    at         BIGINT  NOT NULL,
    actor      TEXT    NOT NULL,
    staff      TEXT,
    action     TEXT    NOT NULL,
    transition TEXT,
    note       TEXT
);
CREATE INDEX latchkey_ticket_audit_ticket ON latchkey_ticket_audit (ticket_id, seq);

-- ChallengeStore (crate `latchkey`)
CREATE TABLE latchkey_challenges (
    challenge_key BYTEA   PRIMARY KEY,
    account       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    operation     BYTEA,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    max_attempts  BIGINT  NOT NULL,
    attempts      BIGINT  NOT NULL
);
CREATE INDEX latchkey_challenges_expiry ON latchkey_challenges (expires_at);

-- Rows that PostgreSQL transactions lock (SELECT ... FOR UPDATE) before a
-- decision that spans several rows: one per account for mailed-code sends,
-- one per key for ticket submissions.
CREATE TABLE latchkey_locks (
    scope TEXT NOT NULL,
    name  TEXT NOT NULL,
    PRIMARY KEY (scope, name)
);

-- ThrottleStore (crate `latchkey`)
CREATE TABLE latchkey_throttle_backoff (
    throttle_key BYTEA   PRIMARY KEY,
    attempts     BIGINT  NOT NULL,
    last_at      BIGINT  NOT NULL
);
CREATE TABLE latchkey_throttle_windows (
    throttle_key BYTEA   PRIMARY KEY,
    hits         BIGINT  NOT NULL,
    resets_at    BIGINT  NOT NULL
);
