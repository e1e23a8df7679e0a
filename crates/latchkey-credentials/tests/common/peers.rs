//! The reference Argon2 implementations as peers: argon2-cffi (Python,
//! over the reference C code) and the Debian `argon2` CLI, how to tell
//! whether they are installed, and how to talk to argon2-cffi.
//!
//! Passwords travel to the peers as raw bytes (hex-encoded for Python, on
//! stdin without a newline for the CLI), never through a shell.

use latchkey_testkit::peers::{self, Peer};

pub static CFFI: Peer = Peer::new("argon2-cffi", "pip install argon2-cffi", probe_cffi);

pub static CLI: Peer = Peer::new("argon2 CLI", "apt-get install argon2", probe_cli);

fn probe_cffi() -> bool {
    peers::python_imports("argon2.low_level, argon2.exceptions")
}

fn probe_cli() -> bool {
    peers::run(
        "argon2",
        &["saltsalt", "-id", "-t", "1", "-k", "8", "-p", "1", "-e"],
        b"x",
    )
    .is_ok_and(|lines| lines.first().is_some_and(|l| l.starts_with("$argon2id$")))
}

/// Reads one request a line and answers one line each. Byte strings come
/// as hex behind an `x` (so an empty one is still a field).
///
/// - `hash VARIANT VERSION T M P LEN xPASSWORD xSALT` -> the PHC string
///   from `argon2.low_level.hash_secret`
/// - `ph xPASSWORD` -> `argon2.PasswordHasher().hash(password)` (defaults)
/// - `verify PHC xPASSWORD` -> `match`, `mismatch` or `error NAME` from
///   `argon2.PasswordHasher().verify`
const CFFI_SCRIPT: &str = r#"
import sys
from argon2 import PasswordHasher, exceptions
from argon2.low_level import Type, hash_secret

TYPES = {"i": Type.I, "d": Type.D, "id": Type.ID}

def unhex(field):
    assert field.startswith("x"), field
    return bytes.fromhex(field[1:])

for line in sys.stdin:
    f = line.split()
    if not f:
        continue
    if f[0] == "hash":
        out = hash_secret(
            unhex(f[7]),
            unhex(f[8]),
            time_cost=int(f[3]),
            memory_cost=int(f[4]),
            parallelism=int(f[5]),
            hash_len=int(f[6]),
            type=TYPES[f[1]],
            version=int(f[2]),
        ).decode("ascii")
    elif f[0] == "ph":
        out = PasswordHasher().hash(unhex(f[1]))
    elif f[0] == "verify":
        try:
            PasswordHasher().verify(f[1], unhex(f[2]))
            out = "match"
        except exceptions.VerifyMismatchError:
            out = "mismatch"
        except Exception as e:
            out = "error " + type(e).__name__
    else:
        raise SystemExit("unknown request: " + line)
    print(out, flush=True)
"#;

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `requests` through one argon2-cffi process; one answer each.
pub fn cffi(requests: &[String]) -> Vec<String> {
    let mut input = requests.join("\n");
    input.push('\n');
    let answers = peers::run(&peers::python(), &["-c", CFFI_SCRIPT], input.as_bytes())
        .unwrap_or_else(|e| panic!("argon2-cffi script: {e}"));
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
}

pub fn cffi_verify_request(phc: &str, password: &str) -> String {
    format!("verify {phc} x{}", hex(password.as_bytes()))
}
