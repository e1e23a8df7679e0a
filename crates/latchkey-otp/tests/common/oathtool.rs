//! `oathtool`, the OATH Toolkit CLI (C), as a peer. Secrets reach it on
//! stdin in base32, never through a shell or argv.

use latchkey_otp::Algorithm;
use latchkey_testkit::peers;

/// `oathtool --totp=ALG -b -d DIGITS -s PERIODs -N @TIME`.
pub fn oathtool_totp(
    secret: &str,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    time: i64,
) -> String {
    let mode = format!("--totp={algorithm}");
    let digits = digits.to_string();
    let period = format!("{period}s");
    let now = format!("@{time}");
    let lines = peers::oathtool(
        &[&mode, "-b", "-d", &digits, "-s", &period, "-N", &now],
        secret,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines.len(), 1, "one code from oathtool: {lines:?}");
    lines[0].clone()
}

/// `oathtool --hotp -b -d DIGITS -c COUNTER -w WINDOW`: the codes for
/// `counter..=counter + window`.
pub fn oathtool_hotp(secret: &str, digits: u32, counter: u64, window: u64) -> Vec<String> {
    let digits = digits.to_string();
    let counter = counter.to_string();
    let extra = window.to_string();
    let lines = peers::oathtool(
        &["--hotp", "-b", "-d", &digits, "-c", &counter, "-w", &extra],
        secret,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        lines.len() as u64,
        window + 1,
        "codes from oathtool: {lines:?}"
    );
    lines
}
