//! Fuzzes base32 secret decoding (RFC 4648 with normalization).
//!
//! Any input is an `Ok` or an `Err`, never a panic; a decoded secret
//! encodes back to text that decodes to the same bytes.
#![no_main]

use latchkey_otp::OtpSecret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(secret) = OtpSecret::from_base32(&text) {
        let encoded = secret.to_base32();
        let again = OtpSecret::from_base32(&encoded).expect("what we encode decodes");
        assert_eq!(again.expose(), secret.expose());
    }
});
