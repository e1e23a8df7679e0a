//! The keys counters live under: keyed digests of what is counted.

use std::fmt;

use latchkey_core::{AccountId, KeyedHmac, Pepper};

/// A throttling counter's key: a keyed digest (HMAC-SHA256 under the
/// pepper) of what is counted, such as an account or a client address.
/// Stores never see a login as typed (people type passwords into login
/// fields), an address, nor a client. `Debug` shows the first four bytes,
/// enough to correlate log lines.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThrottleKey(pub [u8; 32]);

impl fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ThrottleKey({}…)",
            data_encoding::HEXLOWER.encode(&self.0[..4])
        )
    }
}

/// Which lane of a password counter an attempt counts in: devices that
/// present a valid remembered-device token have their own, so a
/// stranger's wrong guesses cannot lock the owner out of her own devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceLane {
    /// Any device.
    Any,
    /// A device the account remembers.
    Remembered,
}

/// Derives every counter's key from the pepper, one name per thing
/// counted, so each crate that counts the same thing uses the same key
/// (2FA and the sign-in flow share an account's code counter, so an
/// unlock is one clear).
#[derive(Clone, Debug)]
pub struct ThrottleKeys(KeyedHmac);

impl ThrottleKeys {
    /// Keys derived from `pepper`.
    #[must_use]
    pub fn new(pepper: &Pepper) -> Self {
        Self(KeyedHmac::derive(pepper, b"latchkey throttle key v1"))
    }

    /// An account's counter for its password: every spelling of the login
    /// that leads to the account counts here (REQ-37). The id enters
    /// padded to [`AccountId::MAX_LEN`], so every account's key costs the
    /// same to derive.
    #[must_use]
    pub fn account_password(&self, account: &AccountId, lane: DeviceLane) -> ThrottleKey {
        ThrottleKey(self.account_password_of(account.as_str().as_bytes(), lane))
    }

    fn account_password_of(&self, id: &[u8], lane: DeviceLane) -> [u8; 32] {
        let mut padded = [0u8; AccountId::MAX_LEN];
        let len = id.len().min(AccountId::MAX_LEN);
        padded[..len].copy_from_slice(&id[..len]);
        let len = u8::try_from(len).expect("AccountId::MAX_LEN fits a byte");
        self.0
            .mac(&[b"account", b"password", lane_name(lane), &[len], &padded])
    }

    /// The password counter of a login that leads to no account, as typed
    /// (so an unknown login is throttled like a known one).
    #[must_use]
    pub fn unknown_login(&self, login: &str) -> ThrottleKey {
        ThrottleKey(self.0.mac(&[b"login", b"any-device", login.as_bytes()]))
    }

    /// The password counter a sign-in counts against:
    /// [`account_password`](Self::account_password) when the login led to
    /// `account`, else [`unknown_login`](Self::unknown_login). Both are
    /// derived either way (REQ-38: the work must not tell a known login
    /// from an unknown one), and one is kept.
    #[must_use]
    pub fn sign_in_password(
        &self,
        login: &str,
        account: Option<&AccountId>,
        lane: DeviceLane,
    ) -> ThrottleKey {
        let id = account.map_or(&b""[..], |a| a.as_str().as_bytes());
        let known = self.account_password_of(std::hint::black_box(id), lane);
        let unknown = self.unknown_login(login).0;
        ThrottleKey(if account.is_some() { known } else { unknown })
    }

    /// An account's counter for codes: mailed codes, TOTP and recovery
    /// codes, answered at sign-in, step-up or a change.
    #[must_use]
    pub fn account_codes(&self, account: &AccountId) -> ThrottleKey {
        ThrottleKey(
            self.0
                .mac(&[b"account", b"code", account.as_str().as_bytes()]),
        )
    }

    /// A client's request window (an IP address or a network prefix).
    #[must_use]
    pub fn client(&self, client: &str) -> ThrottleKey {
        ThrottleKey(self.0.mac(&[b"client", client.as_bytes()]))
    }

    /// Any other counter: `scope` names the thing counted, `parts` the
    /// value (hash it first if it is not already normalized).
    #[must_use]
    pub fn other(&self, scope: &[u8], parts: &[&[u8]]) -> ThrottleKey {
        let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 2);
        all.push(b"other");
        all.push(scope);
        all.extend_from_slice(parts);
        ThrottleKey(self.0.mac(&all))
    }
}

fn lane_name(lane: DeviceLane) -> &'static [u8] {
    match lane {
        DeviceLane::Any => b"any-device",
        DeviceLane::Remembered => b"known-device",
    }
}

#[cfg(test)]
mod tests {
    use latchkey_core::{AccountId, Pepper};

    use super::{DeviceLane, ThrottleKeys};

    #[test]
    fn each_lane_of_an_account_has_its_own_password_counter() {
        let keys = ThrottleKeys::new(&Pepper::from_bytes(&[5; 32]).expect("pepper"));
        let jane = AccountId::new("jane").expect("id");
        let any = keys.account_password(&jane, DeviceLane::Any);
        let known = keys.account_password(&jane, DeviceLane::Remembered);
        assert_ne!(
            any, known,
            "a stranger's failures must not spend the owner's device lane"
        );
        assert_eq!(any, keys.account_password(&jane, DeviceLane::Any), "stable");
        assert_eq!(
            any,
            keys.sign_in_password("Jane@Example.com", Some(&jane), DeviceLane::Any),
            "a sign-in counts against the account it found"
        );
        assert_eq!(
            keys.unknown_login("nobody"),
            keys.sign_in_password("nobody", None, DeviceLane::Any),
            "and against the login as typed when it found none"
        );
        assert_ne!(
            any,
            keys.account_codes(&jane),
            "passwords and codes count apart"
        );
    }
}
