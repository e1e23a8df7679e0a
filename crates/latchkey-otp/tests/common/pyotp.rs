//! `pyotp` (Python) as a peer, driven by a script that answers one request
//! a line. Secrets reach it as hex-encoded fields on stdin, never through
//! a shell or argv. `LATCHKEY_PYTHON` picks the interpreter (default
//! `python3`).

use latchkey_otp::Algorithm;
use latchkey_testkit::peers;

/// Reads one request a line and answers one line each, fields separated by
/// spaces. Strings travel as UTF-8 hex behind an `x` (so an empty one is
/// still a field); `-` is `None`; numbers are decimal.
///
/// - `totp xSECRET DIGITS DIGEST INTERVAL T,T,...` -> the codes of
///   `pyotp.TOTP(...).at(t)`
/// - `hotp xSECRET DIGITS DIGEST C,C,...` -> the codes of
///   `pyotp.HOTP(...).at(c)`
/// - `parse xURI T` -> `KIND xSECRET xISSUER|- xNAME DIGITS INTERVAL DIGEST
///   CODE`: `pyotp.parse_uri(uri)` and its code at `T`
/// - `build xSECRET|- xNAME xISSUER|- DIGITS DIGEST INTERVAL T` -> `xURI
///   xSECRET CODE`: `pyotp.TOTP(...).provisioning_uri(name=, issuer_name=)`
///   (a `pyotp.random_base32()` secret for `-`) and the code at `T`
const PYOTP_SCRIPT: &str = r#"
import hashlib
import sys

import pyotp

def unhex(field):
    assert field.startswith("x"), field
    return bytes.fromhex(field[1:]).decode("utf-8")

def opt(field):
    return None if field == "-" else unhex(field)

def tohex(text):
    return "-" if text is None else "x" + text.encode("utf-8").hex()

for line in sys.stdin:
    f = line.split()
    if not f:
        continue
    if f[0] == "totp":
        otp = pyotp.TOTP(unhex(f[1]), digits=int(f[2]), digest=getattr(hashlib, f[3]), interval=int(f[4]))
        out = " ".join(otp.at(int(t)) for t in f[5].split(","))
    elif f[0] == "hotp":
        otp = pyotp.HOTP(unhex(f[1]), digits=int(f[2]), digest=getattr(hashlib, f[3]))
        out = " ".join(otp.at(int(c)) for c in f[4].split(","))
    elif f[0] == "parse":
        otp = pyotp.parse_uri(unhex(f[1]))
        kind = type(otp).__name__
        out = " ".join([
            kind,
            tohex(otp.secret),
            tohex(otp.issuer),
            tohex(otp.name),
            str(otp.digits),
            str(getattr(otp, "interval", 0)),
            otp.digest().name,
            otp.at(int(f[2])),
        ])
    elif f[0] == "build":
        secret = opt(f[1])
        if secret is None:
            secret = pyotp.random_base32()
        otp = pyotp.TOTP(secret, digits=int(f[4]), digest=getattr(hashlib, f[5]), interval=int(f[6]))
        uri = otp.provisioning_uri(name=unhex(f[2]), issuer_name=opt(f[3]))
        out = " ".join([tohex(uri), tohex(secret), otp.at(int(f[7]))])
    else:
        raise SystemExit("unknown request: " + line)
    print(out, flush=True)
"#;

pub fn hex(text: &str) -> String {
    let mut out = String::from("x");
    for b in text.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub fn unhex(field: &str) -> String {
    let digits = field
        .strip_prefix('x')
        .unwrap_or_else(|| panic!("not a hex field: {field:?}"));
    let bytes: Vec<u8> = (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex from pyotp script"))
        .collect();
    String::from_utf8(bytes).expect("UTF-8 from pyotp script")
}

/// `None` for `-`, else the hex field decoded.
pub fn unhex_opt(field: &str) -> Option<String> {
    (field != "-").then(|| unhex(field))
}

/// Runs `requests` through one pyotp process; the fields of each answer.
pub fn pyotp(requests: &[String]) -> Vec<Vec<String>> {
    let mut input = requests.join("\n");
    input.push('\n');
    let answers: Vec<Vec<String>> =
        peers::run(&peers::python(), &["-c", PYOTP_SCRIPT], input.as_bytes())
            .unwrap_or_else(|e| panic!("pyotp script: {e}"))
            .iter()
            .map(|line| line.split(' ').map(str::to_owned).collect())
            .collect();
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
}

/// The `hashlib` name of an algorithm.
pub fn digest_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Sha1 => "sha1",
        Algorithm::Sha256 => "sha256",
        Algorithm::Sha512 => "sha512",
    }
}

pub fn join<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
