-- 2FA turned on by a first security key, with no authenticator app
-- (TwoFactorStore::enable_without_app). An account with an app keeps its
-- mode on the app's row in latchkey_authenticators; an account without
-- one keeps it here. A row lives only while 2FA is on and no app row
-- exists: activating an app moves the mode there, and disabling deletes
-- both.
CREATE TABLE latchkey_two_factor_without_app (
    account TEXT PRIMARY KEY,
    mode    TEXT NOT NULL
);
