//! Fuzzes what a browser sends back from `navigator.credentials`: the
//! JSON of a registration and of an assertion, through latchkey's
//! parsers and, when they parse, through the whole check (client data,
//! CBOR attestation and authenticator data, COSE keys, signatures)
//! against live ceremonies. None may panic, and no forged answer may add
//! a key or verify.
#![no_main]

use std::sync::{Arc, LazyLock};

use latchkey_core::{AccountId, Pepper, SystemClock};
use latchkey_store_memory::MemoryStore;
use latchkey_webauthn::{
    Asserted, CeremonyPurpose, Registered, RegistrationBegin, RelyingParty, SecurityKeys, Url,
    parse_assertion, parse_registration,
};
use libfuzzer_sys::fuzz_target;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

struct World {
    runtime: tokio::runtime::Runtime,
    keys: SecurityKeys,
    jane: AccountId,
}

/// A service where jane has one key (made by a software authenticator).
static WORLD: LazyLock<World> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let rp = RelyingParty::new("example.com", "https://example.com", "Example").expect("rp");
    let pepper = Pepper::from_bytes(&[5; 32]).expect("pepper");
    let keys = SecurityKeys::new(rp, Arc::new(MemoryStore::new()), Arc::new(SystemClock), &pepper);
    let jane = AccountId::new("jane").expect("id");
    runtime.block_on(async {
        let RegistrationBegin::Started(started) = keys
            .begin_registration(&jane, "jane", "key")
            .await
            .expect("begin")
        else {
            panic!("a first key")
        };
        let answer = SoftPasskey::new(true)
            .do_registration(Url::parse("https://example.com").expect("url"), started.options)
            .expect("registers");
        let added = keys
            .finish_registration(&started.ceremony, &jane, &answer)
            .await
            .expect("finish");
        assert!(matches!(added, Registered::Added(_)));
    });
    World { runtime, keys, jane }
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let w = &*WORLD;
    if let Ok(answer) = parse_registration(text) {
        w.runtime.block_on(async {
            let RegistrationBegin::Started(started) = w
                .keys
                .begin_registration(&w.jane, "jane", "fuzzed")
                .await
                .expect("begin")
            else {
                return;
            };
            let outcome = w
                .keys
                .finish_registration(&started.ceremony, &w.jane, &answer)
                .await
                .expect("finish");
            assert!(!matches!(outcome, Registered::Added(_)), "a forged key was added");
        });
    }
    if let Ok(answer) = parse_assertion(text) {
        w.runtime.block_on(async {
            let purpose = CeremonyPurpose::SecondFactor;
            let started = w
                .keys
                .begin_assertion(&w.jane, purpose.clone())
                .await
                .expect("begin")
                .expect("jane has a key");
            let outcome = w
                .keys
                .finish_assertion(&started.ceremony, &w.jane, &purpose, &answer)
                .await
                .expect("finish");
            assert!(!matches!(outcome, Asserted::Verified { .. }), "a forged assertion verified");
        });
    }
});
