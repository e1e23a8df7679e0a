//! Fuzzes `otpauth://` Key URI parsing.
//!
//! Any input is an `Ok` or an `Err`, never a panic; a URI that parses
//! builds back to text that parses to the same value, and gives a working
//! TOTP.
#![no_main]

use latchkey_otp::KeyUri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = text.parse::<KeyUri>() {
        let again: KeyUri = uri.to_string().parse().expect("what we build parses");
        assert_eq!(again, uri);
        let totp = uri.totp().expect("a parsed URI describes a valid TOTP");
        let _ = totp.code_for_step(1);
    }
});
