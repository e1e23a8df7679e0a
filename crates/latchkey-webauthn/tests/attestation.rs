//! A relying party that accepts only attested authenticators (REQ-46's
//! host policy): kanidm's `SoftToken` attests with its own CA, which the
//! policy trusts; `SoftPasskey`'s credential carries no attestation from
//! that CA and is refused, as is an empty trust list.

use std::sync::Arc;

use latchkey_core::{AccountId, ManualClock, Pepper};
use latchkey_store_memory::MemoryStore;
use latchkey_webauthn::{
    AttestationCaList, AttestationCaListBuilder, Refusal, Registered, RegistrationBegin,
    RelyingParty, SecurityKeys, Url, parse_registration,
};
use time::OffsetDateTime;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::softtoken::{AAGUID, SoftToken};

const ORIGIN: &str = "https://example.com";

/// A service trusting only what `trusted` lists.
fn attested_only(trusted: AttestationCaList) -> SecurityKeys {
    let rp = RelyingParty::new("example.com", ORIGIN, "Example")
        .expect("rp")
        .with_attestation(trusted)
        .expect("a non-empty list");
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time"),
    ));
    let pepper = Pepper::from_bytes(&[8; 32]).expect("pepper");
    SecurityKeys::new(rp, Arc::new(MemoryStore::new()), clock, &pepper)
}

async fn register(keys: &SecurityKeys, device: &mut impl WebauthnAuthenticator) -> Registered {
    let jane = AccountId::new("jane").expect("id");
    let RegistrationBegin::Started(started) = keys
        .begin_registration(&jane, "jane", "work key")
        .await
        .expect("begin")
    else {
        panic!("may add a key");
    };
    let options = serde_json::to_value(&started.options).expect("json");
    assert_ne!(
        options["publicKey"]["attestation"], "none",
        "the policy asks the authenticator to attest"
    );
    let made = device
        .do_registration(Url::parse(ORIGIN).expect("origin"), started.options)
        .expect("the authenticator answers");
    let answer = parse_registration(&serde_json::to_string(&made).expect("json")).expect("parses");
    keys.finish_registration(&started.ceremony, &jane, &answer)
        .await
        .expect("finish")
}

#[tokio::test]
async fn only_an_authenticator_from_a_trusted_maker_registers() {
    let (mut token, ca) = SoftToken::new(true).expect("a soft token");
    let mut trusted = AttestationCaListBuilder::new();
    trusted
        .insert_device_x509(ca, AAGUID, "softtoken".to_owned(), Default::default())
        .expect("the CA is a certificate");
    let keys = attested_only(trusted.build());
    assert!(
        matches!(register(&keys, &mut token).await, Registered::Added(_)),
        "the trusted maker's token registers"
    );
    let mut other = SoftPasskey::new(true);
    let refused = register(&keys, &mut other).await;
    assert!(
        matches!(refused, Registered::Refused(Refusal::Unattested)),
        "an authenticator the policy does not trust is refused: {refused:?}"
    );
    let (mut stranger, _their_ca) = SoftToken::new(true).expect("another soft token");
    let refused = register(&keys, &mut stranger).await;
    assert!(
        matches!(refused, Registered::Refused(Refusal::Unattested)),
        "another CA's token is refused: {refused:?}"
    );
}

#[test]
fn an_empty_trust_list_is_refused() {
    let rp = RelyingParty::new("example.com", ORIGIN, "Example").expect("rp");
    assert!(
        rp.with_attestation(AttestationCaListBuilder::new().build())
            .is_err()
    );
}
