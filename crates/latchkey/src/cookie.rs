//! Remembered-device cookies: one per device, so a browser signed in to
//! several accounts keeps a token for each.

use latchkey_devices::DeviceToken;
use time::Duration;

/// Builds and reads the cookies that carry remembered-device tokens.
///
/// Each token gets a cookie of its own, named after its device record
/// (`__Host-latchkey-device-<8 hex digits>`), so a browser that signs in
/// to several accounts keeps each account's token beside the others, and
/// revoking one device clears only its cookie. The cookie is `HttpOnly`
/// (no script reads it), `SameSite=Lax`, `Path=/`, and `Secure` with the
/// `__Host-` prefix (which pins it to this host) except on plain-HTTP
/// loopback during development, where browsers refuse `Secure`.
///
/// ```
/// use latchkey::DeviceCookie;
/// use time::Duration;
/// let token = "lkd1.00112233445566778899aabbccddeeff.AAAAAAAAAAAAAAAAAAAAAA";
/// let header = DeviceCookie::set_cookie(token, Duration::days(90), true).unwrap();
/// assert_eq!(
///     header,
///     "__Host-latchkey-device-00112233=lkd1.00112233445566778899aabbccddeeff.AAAAAAAAAAAAAAAAAAAAAA; \
///      Max-Age=7776000; Path=/; Secure; HttpOnly; SameSite=Lax"
/// );
/// let request = format!("session=abc; {}; theme=dark", header.split(';').next().unwrap());
/// assert_eq!(DeviceCookie::tokens(&request, true), vec![token.to_owned()]);
/// // Over HTTPS a planted cookie without the __Host- prefix does not count.
/// let planted = format!("latchkey-device-00112233={token}");
/// assert!(DeviceCookie::tokens(&planted, true).is_empty());
/// assert!(DeviceCookie::set_cookie("not a token", Duration::days(1), true).is_none());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DeviceCookie;

impl DeviceCookie {
    /// The cookie names' common part.
    pub const NAME: &'static str = "latchkey-device-";

    fn name(token: &DeviceToken, secure: bool) -> String {
        let id = token.id().to_string();
        let prefix = if secure { "__Host-" } else { "" };
        format!("{prefix}{}{}", Self::NAME, &id[..8])
    }

    /// The `Set-Cookie` header value that keeps `token` for `max_age`
    /// (the flow's device lifetime); `None` when `token` is not one.
    /// `secure` is false only for plain-HTTP loopback in development.
    #[must_use]
    pub fn set_cookie(token: &str, max_age: Duration, secure: bool) -> Option<String> {
        let parsed: DeviceToken = token.parse().ok()?;
        let secure_attr = if secure { " Secure;" } else { "" };
        Some(format!(
            "{}={token}; Max-Age={}; Path=/;{secure_attr} HttpOnly; SameSite=Lax",
            Self::name(&parsed, secure),
            max_age.whole_seconds().max(0)
        ))
    }

    /// The `Set-Cookie` header value that deletes `token`'s cookie (after
    /// revoking its device, or at sign-out of a shared computer).
    #[must_use]
    pub fn clear(token: &str, secure: bool) -> Option<String> {
        let parsed: DeviceToken = token.parse().ok()?;
        let secure_attr = if secure { " Secure;" } else { "" };
        Some(format!(
            "{}=; Max-Age=0; Path=/;{secure_attr} HttpOnly; SameSite=Lax",
            Self::name(&parsed, secure)
        ))
    }

    /// Every remembered-device token in a request's `Cookie` header (the
    /// values of our cookies that parse as tokens), for
    /// [`ClientContext::with_device_tokens`](crate::ClientContext::with_device_tokens).
    /// With `secure`, only `__Host-` cookies count: a sibling subdomain or
    /// a plain-HTTP attacker can plant cookies of other names, but not
    /// those, so planted cookies cannot crowd out the owner's token.
    #[must_use]
    pub fn tokens(cookie_header: &str, secure: bool) -> Vec<String> {
        let prefix = if secure { "__Host-" } else { "" };
        cookie_header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| {
                name.strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with(Self::NAME))
            })
            .map(|(_, value)| value.trim())
            .filter(|value| value.parse::<DeviceToken>().is_ok())
            .map(str::to_owned)
            .collect()
    }
}
