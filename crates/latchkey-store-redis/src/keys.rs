//! Where each record lives: the key layout.

use std::fmt;
use std::sync::Arc;

use data_encoding::HEXLOWER;
use latchkey_challenge::ChallengeKey;
use latchkey_core::AccountId;
use latchkey_devices::DeviceId;
use latchkey_throttle::ThrottleKey;
use sha2::{Digest, Sha256};

use crate::Error;

/// The longest key prefix accepted, in bytes.
pub const MAX_PREFIX_LEN: usize = 64;

/// The key layout under one prefix. Every key is
/// `<prefix>:<kind>:{<tag>}[:<what>]`:
///
/// | key | holds | tag |
/// | --- | --- | --- |
/// | `<prefix>:otp:{A}:codes` | hash: the account's mailed codes, 8 fields per purpose (`<P>:id`, `<P>:exp`, ...) | account |
/// | `<prefix>:otp:{A}:sends` | string: the account's sends of the last hour | account |
/// | `<prefix>:chal:{K}` | hash: one challenge | challenge key |
/// | `<prefix>:thr:{T}` | hash: a backoff counter (`att`, `last`) | throttle key |
/// | `<prefix>:win:{T}` | hash: a fixed window (`end`, `n`) | throttle key |
/// | `<prefix>:dev:{A}` | hash: the account's devices, 10 or so fields per device (`<I>:acct`, ...) | account |
/// | `<prefix>:devid:{I}` | string: which account's hash holds device `I` (its tag `A`) | device id |
/// | `<prefix>:cli:{L}` | hash: one command-line login session | its id's digest |
/// | `<prefix>:clipoll:{Q}` | hash: which session (`id`: its `L`) has poll token `Q`, and its expiry | its poll token's digest |
///
/// `A` is 32 hex digits of a SHA-256 of the account id (so no key names a
/// login or an address), `P` the same of a code's purpose (purposes may
/// be scoped by a challenge), `K` and `T` the hex of the challenge and
/// throttle keys (already digests), `I` the hex of a device id (not a
/// secret), `L` and `Q` the hex of a command-line login's id and poll
/// token digests (SHA-256 of the secrets, never the secrets). The hash
/// tag `{…}` puts everything one script touches in one Redis Cluster
/// slot: an account's codes and sends share `A`.
///
/// ```
/// use latchkey_core::AccountId;
/// use latchkey_store_redis::Keys;
/// let keys = Keys::new("myapp")?;
/// let jane = AccountId::new("jane@example.com")?;
/// let codes = keys.codes(&jane);
/// assert!(codes.starts_with("myapp:otp:{") && codes.ends_with("}:codes"));
/// assert!(!codes.contains("jane"));
/// assert_eq!(keys.codes(&jane), codes);
/// assert!(Keys::new("my app").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: Arc<str>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Keys").field(&&*self.prefix).finish()
    }
}

impl Keys {
    /// The layout under `prefix`: 1 to [`MAX_PREFIX_LEN`] bytes of ASCII
    /// letters, digits and `-_.:/` (no braces, which would move the hash
    /// tag, and nothing `SCAN` patterns treat specially).
    ///
    /// # Errors
    /// [`Error::InvalidPrefix`] saying what is wrong.
    pub fn new(prefix: &str) -> Result<Self, Error> {
        if prefix.is_empty() {
            return Err(Error::InvalidPrefix("it is empty"));
        }
        if prefix.len() > MAX_PREFIX_LEN {
            return Err(Error::InvalidPrefix("it is longer than 64 bytes"));
        }
        if !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
        {
            return Err(Error::InvalidPrefix(
                "only ASCII letters, digits and -_.:/ are allowed",
            ));
        }
        Ok(Self {
            prefix: prefix.into(),
        })
    }

    /// The prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// An account's tag `A`: 32 hex digits of SHA-256 over a fixed label
    /// and the id.
    #[must_use]
    pub fn account_tag(account: &AccountId) -> String {
        digest_tag(b"latchkey-store-redis account v1\0", account.as_str())
    }

    /// A purpose's tag `P` (the field prefix of its code in the account's
    /// codes hash).
    #[must_use]
    pub fn purpose_tag(purpose: &latchkey_otp::Purpose) -> String {
        digest_tag(b"latchkey-store-redis purpose v1\0", purpose.as_str())
    }

    /// The account's mailed codes.
    #[must_use]
    pub fn codes(&self, account: &AccountId) -> String {
        format!(
            "{}:otp:{{{}}}:codes",
            self.prefix,
            Self::account_tag(account)
        )
    }

    /// The account's recent sends (cooldown and hourly cap).
    #[must_use]
    pub fn sends(&self, account: &AccountId) -> String {
        format!(
            "{}:otp:{{{}}}:sends",
            self.prefix,
            Self::account_tag(account)
        )
    }

    /// One challenge.
    #[must_use]
    pub fn challenge(&self, key: &ChallengeKey) -> String {
        format!("{}:chal:{{{}}}", self.prefix, HEXLOWER.encode(&key.0))
    }

    /// A backoff counter.
    #[must_use]
    pub fn backoff(&self, key: &ThrottleKey) -> String {
        format!("{}:thr:{{{}}}", self.prefix, HEXLOWER.encode(&key.0))
    }

    /// A fixed window.
    #[must_use]
    pub fn window(&self, key: &ThrottleKey) -> String {
        format!("{}:win:{{{}}}", self.prefix, HEXLOWER.encode(&key.0))
    }

    /// The account's remembered devices.
    #[must_use]
    pub fn devices(&self, account: &AccountId) -> String {
        self.devices_of_tag(&Self::account_tag(account))
    }

    /// The devices hash of an account tag (as a device's owner key holds it).
    pub(crate) fn devices_of_tag(&self, tag: &str) -> String {
        format!("{}:dev:{{{tag}}}", self.prefix)
    }

    /// Which account's devices hash holds device `id`.
    #[must_use]
    pub fn device_owner(&self, id: &DeviceId) -> String {
        format!("{}:devid:{{{id}}}", self.prefix)
    }

    /// One command-line login session, by the digest of its id.
    #[must_use]
    pub fn cli_login(&self, id_digest: &[u8; 32]) -> String {
        format!("{}:cli:{{{}}}", self.prefix, HEXLOWER.encode(id_digest))
    }

    /// Which command-line login session has the poll token of this digest.
    #[must_use]
    pub fn cli_login_poll(&self, poll_digest: &[u8; 32]) -> String {
        format!(
            "{}:clipoll:{{{}}}",
            self.prefix,
            HEXLOWER.encode(poll_digest)
        )
    }

    /// Every key that holds an account's own data, for erasing it: its
    /// codes, sends and devices. (Its challenges and command-line logins
    /// are found by their key only, and expire within minutes; its
    /// counters are keyed digests under the host's pepper.)
    #[must_use]
    pub fn account_keys(&self, account: &AccountId) -> Vec<String> {
        vec![
            self.codes(account),
            self.sends(account),
            self.devices(account),
        ]
    }

    /// The `SCAN` pattern of one kind's keys (`chal`, `thr`, `win`, `dev`,
    /// `cli`, `clipoll`).
    pub(crate) fn pattern(&self, kind: &str) -> String {
        format!("{}:{kind}:{{*", self.prefix)
    }

    /// The prefix's every key, as a `SCAN` pattern.
    #[must_use]
    pub fn all_pattern(&self) -> String {
        format!("{}:*", self.prefix)
    }
}

fn digest_tag(label: &[u8], value: &str) -> String {
    let digest: [u8; 32] = Sha256::new()
        .chain_update(label)
        .chain_update(value.as_bytes())
        .finalize()
        .into();
    HEXLOWER.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash tag Redis Cluster hashes: between the first `{` and the
    /// next `}`.
    fn tag(key: &str) -> &str {
        let open = key.find('{').expect("a key has a tag");
        let close = key[open..].find('}').expect("a tag closes") + open;
        &key[open + 1..close]
    }

    #[test]
    fn an_accounts_codes_sends_and_devices_share_one_slot() {
        let keys = Keys::new("app:v1").expect("prefix");
        let jane = AccountId::new("jane").expect("id");
        let (codes, sends, devices) = (keys.codes(&jane), keys.sends(&jane), keys.devices(&jane));
        assert_eq!(tag(&codes), tag(&sends));
        assert_eq!(tag(&codes), tag(&devices));
        assert_eq!(tag(&codes).len(), 32);
        assert_ne!(
            tag(&codes),
            tag(&keys.codes(&AccountId::new("john").expect("id")))
        );
        let id = DeviceId([0xab; 16]);
        assert_eq!(tag(&keys.device_owner(&id)), id.to_string());
        assert_eq!(keys.devices_of_tag(tag(&devices)), devices);
    }

    #[test]
    fn keys_name_no_account_and_patterns_match_only_their_kind() {
        let keys = Keys::new("p").expect("prefix");
        let jane = AccountId::new("jane@example.com").expect("id");
        for key in keys.account_keys(&jane) {
            assert!(!key.contains("jane"), "{key}");
        }
        assert_eq!(keys.pattern("dev"), "p:dev:{*");
        assert!(!keys.device_owner(&DeviceId([1; 16])).starts_with("p:dev:{"));
        assert_eq!(keys.pattern("cli"), "p:cli:{*");
        assert!(!keys.cli_login_poll(&[1; 32]).starts_with("p:cli:{"));
        assert_eq!(
            keys.cli_login(&[0xab; 32]),
            format!("p:cli:{{{}}}", "ab".repeat(32))
        );
        assert_eq!(
            keys.backoff(&ThrottleKey([0xff; 32])),
            format!("p:thr:{{{}}}", "ff".repeat(32))
        );
    }

    #[test]
    fn prefixes_are_checked() {
        assert!(Keys::new("").is_err());
        assert!(Keys::new("a{b}").is_err());
        assert!(Keys::new("a*").is_err());
        assert!(Keys::new(&"x".repeat(65)).is_err());
        assert!(Keys::new("latchkey-test:0123/abc_x.y").is_ok());
        assert_eq!(
            format!("{:?}", Keys::new("p").expect("prefix")),
            "Keys(\"p\")"
        );
    }
}
