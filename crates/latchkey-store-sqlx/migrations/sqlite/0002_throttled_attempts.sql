-- Second-factor attempts are counted by the ThrottleStore now (in
-- latchkey_throttle_backoff, under a keyed digest of the account), so
-- latchkey_twofactor_counters loses its attempt columns; what it still
-- held, the replay-notice claims, moves to a table of its own.
--
-- Counts of failed second-factor attempts are not carried over: the
-- throttle keys are digests under the pepper, which the database never
-- sees.
--
-- Used write approvals already live in their own table,
-- latchkey_used_approvals, which disabling 2FA never touches: an approval
-- stays used when 2FA is disabled and enabled again.
CREATE TABLE latchkey_replay_notices (
    account     TEXT    PRIMARY KEY,
    notified_at INTEGER NOT NULL
);
INSERT INTO latchkey_replay_notices (account, notified_at)
    SELECT account, last_replay_notice_at FROM latchkey_twofactor_counters
    WHERE last_replay_notice_at IS NOT NULL;
DROP TABLE latchkey_twofactor_counters;
