//! `otpauth://` Key URIs, the format authenticator apps scan (REQ-26).

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::{Algorithm, Error, OtpSecret, Totp};

/// Characters left as they are in a label or parameter: RFC 3986
/// unreserved. Everything else, `:` and `@` included, is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A TOTP Key URI: `otpauth://totp/Issuer:account?secret=…&issuer=Issuer`.
///
/// Building prints `algorithm`, `digits` and `period` only when they differ
/// from SHA1, 6 and 30, since common apps ignore them (REQ-26). Parsing is
/// strict: anything malformed, or an issuer in the label that differs from
/// the `issuer` parameter, is an error that says what is wrong.
///
/// ```
/// use latchkey_otp::{Algorithm, KeyUri, OtpSecret};
/// let secret = OtpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")?;
/// let uri = KeyUri::new("npm", "jane@example.com", secret);
/// assert_eq!(
///     uri.to_string(),
///     "otpauth://totp/npm:jane%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=npm"
/// );
/// let parsed: KeyUri = uri.to_string().parse()?;
/// assert_eq!(parsed, uri);
/// assert!("otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=B"
///     .parse::<KeyUri>().is_err());
/// # Ok::<(), latchkey_otp::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct KeyUri {
    /// Who issued the secret (the service's name).
    pub issuer: String,
    /// The account the secret belongs to.
    pub account: String,
    /// The shared secret.
    pub secret: OtpSecret,
    /// The hash (default SHA1).
    pub algorithm: Algorithm,
    /// Digits per code (default 6).
    pub digits: u32,
    /// Seconds per step (default 30).
    pub period: u64,
}

impl fmt::Debug for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyUri")
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("secret", &self.secret)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .finish()
    }
}

impl KeyUri {
    /// A URI with the default algorithm, digits and period.
    #[must_use]
    pub fn new(issuer: impl Into<String>, account: impl Into<String>, secret: OtpSecret) -> Self {
        Self {
            issuer: issuer.into(),
            account: account.into(),
            secret,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: Totp::DEFAULT_PERIOD,
        }
    }

    /// The TOTP this URI describes.
    ///
    /// # Errors
    /// As [`Totp::new`].
    pub fn totp(&self) -> Result<Totp, Error> {
        Totp::new(&self.secret, self.algorithm, self.digits, self.period)
    }

    /// The URI as an SVG image of its QR code.
    #[cfg(feature = "qr")]
    #[must_use]
    pub fn qr_svg(&self) -> String {
        use qrcode::render::svg;
        self.qr()
            .render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build()
    }

    /// The URI's QR code as text for a terminal (Unicode half blocks).
    #[cfg(feature = "qr")]
    #[must_use]
    pub fn qr_terminal(&self) -> String {
        use qrcode::render::unicode::Dense1x2;
        self.qr()
            .render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build()
    }

    #[cfg(feature = "qr")]
    fn qr(&self) -> qrcode::QrCode {
        // A Key URI is far below the largest QR code's capacity (about
        // 2,900 bytes at level M), so encoding cannot fail for any URI
        // this type can hold short of megabyte-long names.
        qrcode::QrCode::with_error_correction_level(self.to_string(), qrcode::EcLevel::M)
            .or_else(|_| qrcode::QrCode::new(b"otpauth://totp/"))
            .unwrap_or_else(|_| unreachable!("a 15-byte QR code always encodes"))
    }
}

impl fmt::Display for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuer = utf8_percent_encode(&self.issuer, COMPONENT);
        let account = utf8_percent_encode(&self.account, COMPONENT);
        if self.issuer.is_empty() {
            // A ':' inside the account would read as a separator (encoded
            // or not) without a literal one before it.
            let separator = if self.account.contains(':') { ":" } else { "" };
            write!(
                f,
                "otpauth://totp/{separator}{account}?secret={}",
                self.secret.to_base32()
            )?;
        } else {
            write!(
                f,
                "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}",
                self.secret.to_base32()
            )?;
        }
        if self.algorithm != Algorithm::Sha1 {
            write!(f, "&algorithm={}", self.algorithm)?;
        }
        if self.digits != 6 {
            write!(f, "&digits={}", self.digits)?;
        }
        if self.period != Totp::DEFAULT_PERIOD {
            write!(f, "&period={}", self.period)?;
        }
        Ok(())
    }
}

fn invalid(why: impl Into<String>) -> Error {
    Error::InvalidUri(why.into())
}

fn decode(text: &str, what: &str) -> Result<String, Error> {
    let decoded = percent_decode_str(text)
        .decode_utf8()
        .map_err(|_| invalid(format!("the {what} is not UTF-8 after percent-decoding")))?;
    if decoded.chars().any(char::is_control) {
        return Err(invalid(format!("the {what} contains a control character")));
    }
    Ok(decoded.into_owned())
}

impl std::str::FromStr for KeyUri {
    type Err = Error;

    fn from_str(uri: &str) -> Result<Self, Error> {
        let rest = uri
            .strip_prefix("otpauth://")
            .ok_or_else(|| invalid("it does not start with otpauth://"))?;
        let (kind, rest) = rest
            .split_once('/')
            .ok_or_else(|| invalid("no label after the type"))?;
        match kind {
            "totp" => {}
            "hotp" => return Err(invalid("HOTP URIs are not supported; use a TOTP URI")),
            other => return Err(invalid(format!("unknown type {other:?}, expected totp"))),
        }
        let (label, query) = rest
            .split_once('?')
            .ok_or_else(|| invalid("no parameters"))?;
        if query.contains('#') {
            return Err(invalid("a fragment (#) is not allowed"));
        }
        // Split before decoding, so an encoded ':' inside a name stays in
        // that name; with no literal ':', an encoded one separates.
        let (raw_issuer, raw_account) = match label.split_once(':') {
            Some((issuer, account)) => (Some(issuer), account),
            None => match label.to_ascii_lowercase().find("%3a") {
                Some(at) => (Some(&label[..at]), &label[at + 3..]),
                None => (None, label),
            },
        };
        if raw_account.contains(':') {
            return Err(invalid("the label has more than one ':'"));
        }
        let label_issuer = raw_issuer
            .map(|i| decode(i, "label's issuer"))
            .transpose()?;
        // Spaces may precede the account name; builders encode a real
        // leading space as %20, which is kept.
        let account = decode(raw_account.trim_start_matches(' '), "account name")?;
        if account.is_empty() {
            return Err(invalid("the account name is empty"));
        }

        let (mut secret, mut issuer, mut algorithm, mut digits, mut period) =
            (None, None, None, None, None);
        // A pair that is not a known parameter is named by its position,
        // never quoted: it may be the secret, pasted without `secret=`
        // (REQ-41).
        for (index, pair) in query.split('&').enumerate() {
            let position = index + 1;
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid(format!("query parameter {position} has no '='")))?;
            let (name, slot) = match key {
                "secret" => ("secret", &mut secret),
                "issuer" => ("issuer", &mut issuer),
                "algorithm" => ("algorithm", &mut algorithm),
                "digits" => ("digits", &mut digits),
                "period" => ("period", &mut period),
                // Some generators add a logo; apps may show it, we ignore it.
                "image" => {
                    decode(value, "image")?;
                    continue;
                }
                _ => {
                    return Err(invalid(format!(
                        "unknown parameter at position {position} \
                         (expected secret, issuer, algorithm, digits, period or image)"
                    )));
                }
            };
            let value = decode(value, name)?;
            if slot.replace(value).is_some() {
                return Err(invalid(format!("parameter {name:?} appears twice")));
            }
        }

        let secret =
            OtpSecret::from_base32(&secret.ok_or_else(|| invalid("no secret parameter"))?)?;
        let issuer = match (label_issuer, issuer) {
            (Some(a), Some(b)) if a != b => {
                return Err(invalid(format!(
                    "the label's issuer {a:?} differs from the issuer parameter {b:?}"
                )));
            }
            (Some(a), _) => a,
            (None, Some(b)) => b,
            (None, None) => String::new(),
        };
        let algorithm = algorithm.map_or(Ok(Algorithm::Sha1), |a| a.parse())?;
        let digits = match digits {
            None => 6,
            Some(d) => match d.parse::<u32>() {
                Ok(n @ 6..=8) if !d.starts_with('+') => n,
                _ => return Err(invalid(format!("digits must be 6, 7 or 8, not {d:?}"))),
            },
        };
        let period = match period {
            None => Totp::DEFAULT_PERIOD,
            Some(p) => match p.parse::<u64>() {
                Ok(n) if n >= 1 && !p.starts_with('+') => n,
                _ => {
                    return Err(invalid(format!(
                        "period must be a whole number of seconds >= 1, not {p:?}"
                    )));
                }
            },
        };
        Ok(Self {
            issuer,
            account,
            secret,
            algorithm,
            digits,
            period,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn uri() -> KeyUri {
        KeyUri::new(
            "ACME Co",
            "jane@example.com",
            OtpSecret::from_base32(SEED).unwrap(),
        )
    }

    #[test]
    fn req_26_defaults_are_left_out_and_others_printed() {
        let text = uri().to_string();
        assert_eq!(
            text,
            format!("otpauth://totp/ACME%20Co:jane%40example.com?secret={SEED}&issuer=ACME%20Co")
        );
        let mut custom = uri();
        custom.algorithm = Algorithm::Sha256;
        custom.digits = 8;
        custom.period = 60;
        assert!(
            custom
                .to_string()
                .ends_with("&algorithm=SHA256&digits=8&period=60")
        );
    }

    #[test]
    fn round_trips_every_algorithm_digit_count_and_unicode_names() {
        for algorithm in Algorithm::ALL {
            for digits in 6..=8 {
                let mut u = uri();
                u.issuer = "Ünïcode Inc. & Sons".into();
                u.account = "josé+tag@例子.广告".into();
                u.algorithm = algorithm;
                u.digits = digits;
                u.period = 45;
                assert_eq!(u.to_string().parse::<KeyUri>().unwrap(), u);
            }
        }
    }

    #[test]
    fn encoded_colons_inside_names_round_trip() {
        let mut u = uri();
        u.issuer = "A:B".into();
        u.account = "x:y".into();
        assert_eq!(u.to_string().parse::<KeyUri>().unwrap(), u);
        let mut colon_no_issuer = uri();
        colon_no_issuer.issuer = String::new();
        colon_no_issuer.account = "x:y".into();
        assert_eq!(
            colon_no_issuer.to_string().parse::<KeyUri>().unwrap(),
            colon_no_issuer
        );
        let mut spaced = uri();
        spaced.account = "  bob".into();
        assert_eq!(spaced.to_string().parse::<KeyUri>().unwrap(), spaced);
        let literal: KeyUri = format!("otpauth://totp/A:  bob?secret={SEED}")
            .parse()
            .unwrap();
        assert_eq!(literal.account, "bob");
        let mut no_issuer = uri();
        no_issuer.issuer = String::new();
        assert!(
            no_issuer
                .to_string()
                .starts_with("otpauth://totp/jane%40example.com?secret=")
        );
        assert_eq!(no_issuer.to_string().parse::<KeyUri>().unwrap(), no_issuer);
    }

    #[test]
    fn parses_what_other_generators_write() {
        // Issuer in label and parameter, separated by an encoded colon (the
        // Key URI format allows it; pyotp writes a literal one).
        let p: KeyUri =
            format!("otpauth://totp/ACME%20Co%3Ajane%40example.com?secret={SEED}&issuer=ACME%20Co")
                .parse()
                .unwrap();
        assert_eq!(
            (p.issuer.as_str(), p.account.as_str()),
            ("ACME Co", "jane@example.com")
        );
        // Literal space after the colon (dropped), lower-case secret, image
        // param. An encoded %20 is part of the name, so names round-trip.
        let q: KeyUri = "otpauth://totp/Issuer: bob?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojq&image=https%3A%2F%2Fx"
            .parse()
            .unwrap();
        assert_eq!((q.issuer.as_str(), q.account.as_str()), ("Issuer", "bob"));
        // No issuer at all.
        let r: KeyUri = format!("otpauth://totp/bob?secret={SEED}").parse().unwrap();
        assert_eq!((r.issuer.as_str(), r.account.as_str()), ("", "bob"));
    }

    #[test]
    fn malformed_uris_are_refused_with_a_reason() {
        let cases = [
            ("http://totp/a?secret=X", "otpauth://"),
            ("otpauth://hotp/a?secret=X&counter=1", "HOTP"),
            ("otpauth://totp?secret=X", "no label"),
            (
                &format!("otpauth://totp/a:b?secret={SEED}&issuer=c") as &str,
                "differs",
            ),
            (&format!("otpauth://totp/a:?secret={SEED}"), "empty"),
            (
                &format!("otpauth://totp/a:b:c?secret={SEED}"),
                "more than one",
            ),
            ("otpauth://totp/a:b", "no parameters"),
            ("otpauth://totp/a:b?issuer=a", "no secret"),
            (
                &format!("otpauth://totp/a:b?secret={SEED}&secret={SEED}"),
                "twice",
            ),
            (
                &format!("otpauth://totp/a:b?secret={SEED}&digits=9"),
                "digits",
            ),
            (
                &format!("otpauth://totp/a:b?secret={SEED}&digits=+6"),
                "digits",
            ),
            (
                &format!("otpauth://totp/a:b?secret={SEED}&period=0"),
                "period",
            ),
            (
                &format!("otpauth://totp/a:b?secret={SEED}&algorithm=MD5"),
                "algorithm",
            ),
            (
                &format!("otpauth://totp/a:b?secret={SEED}&foo=1"),
                "unknown parameter",
            ),
            (&format!("otpauth://totp/a:b?secret={SEED}&flag"), "no '='"),
            (&format!("otpauth://totp/a%FF:b?secret={SEED}"), "UTF-8"),
            (&format!("otpauth://totp/a%0A:b?secret={SEED}"), "control"),
            ("otpauth://totp/a:b?secret=not-base32", "base32"),
        ];
        for (text, why) in cases {
            let err = text.parse::<KeyUri>().expect_err(text).to_string();
            assert!(
                err.to_lowercase().contains(&why.to_lowercase()),
                "{text}: {err}"
            );
        }
    }

    /// REQ-41: whatever is wrong with a URI, its error names the part at
    /// fault and never holds the secret, in `Display` or `Debug`.
    #[test]
    fn req_41_uri_errors_never_show_the_secret() {
        let lower = SEED.to_lowercase();
        let cases = [
            // The secret pasted without `secret=`: a pair with no '='.
            (
                format!("otpauth://totp/a:b?issuer=a&{SEED}"),
                "parameter 2 has no '='",
            ),
            (
                format!("otpauth://totp/a:b?secret:{SEED}"),
                "parameter 1 has no '='",
            ),
            // With its padding: read as an unknown parameter.
            (
                format!("otpauth://totp/a:b?{SEED}==&issuer=a"),
                "unknown parameter at position 1",
            ),
            (
                format!("otpauth://totp/a:b?issuer=a&{lower}%FF=x"),
                "unknown parameter at position 2",
            ),
            // Malformed secrets.
            (format!("otpauth://totp/a:b?secret={SEED}1"), "base32"),
            (
                format!("otpauth://totp/a:b?secret={lower}%0A"),
                "secret contains a control",
            ),
            (
                format!("otpauth://totp/a:b?secret={SEED}%FF"),
                "secret is not UTF-8",
            ),
        ];
        for (text, why) in cases {
            let err = text.parse::<KeyUri>().expect_err(&text);
            let shown = format!("{err} | {err:?} | {err:#?}");
            assert!(shown.contains(why), "{text}: {shown}");
            for secret in [SEED, &SEED[..8], &lower, &lower[..8]] {
                assert!(!shown.contains(secret), "{text}: {shown}");
            }
        }
    }

    #[cfg(feature = "qr")]
    #[test]
    fn qr_renders_as_svg_and_terminal_text() {
        let svg = uri().qr_svg();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
        let text = uri().qr_terminal();
        assert!(text.lines().count() > 10);
    }
}
