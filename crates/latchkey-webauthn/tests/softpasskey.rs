//! End to end against an independent software authenticator: kanidm's
//! `SoftPasskey` (webauthn-authenticator-rs) makes real credentials and
//! signs real assertions, and latchkey checks them.

use std::sync::Arc;

use latchkey_core::{AccountId, ManualClock, Pepper};
use latchkey_store_memory::MemoryStore;
use latchkey_webauthn::{
    Asserted, AssertionStarted, CeremonyId, CeremonyPurpose, KeyUse, PublicKeyCredential, Refusal,
    Registered, RegistrationBegin, RelyingParty, SecurityKeyStore, SecurityKeys, Url,
    parse_assertion, parse_registration,
};
use time::{Duration, OffsetDateTime};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const ORIGIN: &str = "https://example.com";

struct World {
    keys: SecurityKeys,
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    jane: AccountId,
}

fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time"),
    ));
    let rp = RelyingParty::new("example.com", ORIGIN, "Example").expect("rp");
    let pepper = Pepper::from_bytes(&[7; 32]).expect("pepper");
    World {
        keys: SecurityKeys::new(rp, store.clone(), clock.clone(), &pepper),
        store,
        clock,
        jane: AccountId::new("jane").expect("id"),
    }
}

fn origin() -> Url {
    Url::parse(ORIGIN).expect("origin")
}

/// A software authenticator that verifies its user (a PIN, say).
fn authenticator() -> SoftPasskey {
    SoftPasskey::new(true)
}

/// Registers a key named `name` made by `device` for jane.
async fn register(w: &World, device: &mut SoftPasskey, name: &str) -> Registered {
    let RegistrationBegin::Started(started) = w
        .keys
        .begin_registration(&w.jane, "jane", name)
        .await
        .expect("begin")
    else {
        panic!("a key may be added");
    };
    let answer = device
        .do_registration(origin(), started.options)
        .expect("the authenticator makes a credential");
    // Through JSON, as a browser's answer arrives.
    let json = serde_json::to_string(&answer).expect("json");
    let answer = parse_registration(&json).expect("parses");
    w.keys
        .finish_registration(&started.ceremony, &w.jane, &answer)
        .await
        .expect("finish")
}

/// One assertion by `device` for `purpose`, from `from` (the page's
/// origin as the browser reports it).
async fn assert_with(
    w: &World,
    device: &mut SoftPasskey,
    purpose: CeremonyPurpose,
    from: &str,
) -> Asserted {
    let started = w.begin(purpose.clone()).await;
    let answer = device
        .do_authentication(Url::parse(from).expect("url"), started.options)
        .expect("the authenticator signs");
    let answer = parse_assertion(&serde_json::to_string(&answer).expect("json")).expect("parses");
    w.finish(&started.ceremony, &w.jane, &purpose, &answer)
        .await
}

#[tokio::test]
async fn a_key_registers_and_then_signs_in() {
    let w = world();
    let mut device = authenticator();
    let Registered::Added(key) = register(&w, &mut device, "YubiKey 5C").await else {
        panic!("registration succeeds");
    };
    assert_eq!(key.name, "YubiKey 5C");
    assert_eq!(key.account, w.jane);
    let listed = w.keys.list(&w.jane).await.expect("list");
    assert_eq!(listed, std::slice::from_ref(&key));

    w.clock.advance(Duration::minutes(1));
    let asserted = assert_with(&w, &mut device, CeremonyPurpose::SecondFactor, ORIGIN).await;
    assert_eq!(
        asserted,
        Asserted::Verified {
            credential_id: key.credential_id.clone(),
            name: "YubiKey 5C".to_owned(),
            user_verified: true,
            backed_up: false,
        }
    );
    let after = w.keys.list(&w.jane).await.expect("list");
    assert_eq!(after[0].last_used_at, Some(w.clock_now()));
    assert!(after[0].counter >= key.counter, "the counter is kept");
}

impl World {
    fn clock_now(&self) -> OffsetDateTime {
        latchkey_core::Clock::now(&*self.clock)
    }

    /// An assertion ceremony of jane's for `purpose` (she has a key).
    async fn begin(&self, purpose: CeremonyPurpose) -> AssertionStarted {
        self.keys
            .begin_assertion(&self.jane, purpose)
            .await
            .expect("begin")
            .expect("jane has a key")
    }

    /// Finishes `ceremony` as `who`, for `purpose`, with `answer`.
    async fn finish(
        &self,
        ceremony: &CeremonyId,
        who: &AccountId,
        purpose: &CeremonyPurpose,
        answer: &PublicKeyCredential,
    ) -> Asserted {
        self.keys
            .finish_assertion(ceremony, who, purpose, answer)
            .await
            .expect("finish")
    }
}

/// An assertion made for these options by `device` on a page at `page`
/// that claims the RP id `rp_id` (as a phishing page's browser would
/// report them), finished by the service.
async fn forged(w: &World, device: &mut SoftPasskey, page: &str, rp_id: &str) -> Asserted {
    let purpose = CeremonyPurpose::SecondFactor;
    let started = w.begin(purpose.clone()).await;
    let mut options = started.options;
    options.public_key.rp_id = rp_id.to_owned();
    let answer = device
        .do_authentication(Url::parse(page).expect("url"), options)
        .expect("the authenticator signs what its client asks");
    w.finish(&started.ceremony, &w.jane, &purpose, &answer)
        .await
}

#[tokio::test]
async fn an_answer_from_another_origin_is_refused() {
    let w = world();
    let mut device = authenticator();
    assert!(matches!(
        register(&w, &mut device, "key").await,
        Registered::Added(_)
    ));
    let phished = forged(&w, &mut device, "https://examp1e.com", "examp1e.com").await;
    assert_eq!(phished, Asserted::Refused(Refusal::WrongOrigin));
    let sibling = forged(
        &w,
        &mut device,
        "https://login.example.com",
        "login.example.com",
    )
    .await;
    assert_eq!(
        sibling,
        Asserted::Refused(Refusal::WrongOrigin),
        "a subdomain is another origin unless allowed"
    );
}

#[tokio::test]
async fn an_answer_signed_for_another_relying_party_is_refused() {
    let w = world();
    let mut device = authenticator();
    assert!(matches!(
        register(&w, &mut device, "key").await,
        Registered::Added(_)
    ));
    // The right origin, but signed over another RP id's hash.
    let outcome = forged(&w, &mut device, ORIGIN, "com").await;
    assert_eq!(outcome, Asserted::Refused(Refusal::WrongRelyingParty));
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let w = world();
    let mut device = authenticator();
    assert!(matches!(
        register(&w, &mut device, "key").await,
        Registered::Added(_)
    ));
    let purpose = CeremonyPurpose::SecondFactor;
    let started = w.begin(purpose.clone()).await;
    let answer = device
        .do_authentication(origin(), started.options)
        .expect("signs");
    let first = w
        .finish(&started.ceremony, &w.jane, &purpose, &answer)
        .await;
    assert!(matches!(first, Asserted::Verified { .. }));
    let again = w
        .finish(&started.ceremony, &w.jane, &purpose, &answer)
        .await;
    assert_eq!(again, Asserted::Expired, "the ceremony is taken once");
    let fresh = w.begin(purpose.clone()).await;
    let replayed = w.finish(&fresh.ceremony, &w.jane, &purpose, &answer).await;
    assert_eq!(replayed, Asserted::Refused(Refusal::WrongChallenge));
}

#[tokio::test]
async fn a_counter_that_goes_backwards_is_reported_as_a_cloned_key() {
    let w = world();
    let mut device = authenticator();
    let Registered::Added(key) = register(&w, &mut device, "key").await else {
        panic!("registers");
    };
    // Someone else's copy of the key signed in many times: the stored
    // counter is ahead of this device's.
    let stored = w.keys.list(&w.jane).await.expect("list").remove(0);
    let mut ahead: serde_json::Value = serde_json::from_str(&stored.passkey).expect("json");
    ahead["cred"]["counter"] = serde_json::json!(1000);
    assert!(
        w.store
            .record_key_use(
                &w.jane,
                &key.credential_id,
                stored.counter,
                KeyUse {
                    passkey: ahead.to_string(),
                    counter: 1000,
                    backed_up: false,
                    backup_eligible: false,
                    at: w.clock_now(),
                },
            )
            .await
            .expect("store")
    );
    let outcome = assert_with(&w, &mut device, CeremonyPurpose::SecondFactor, ORIGIN).await;
    assert_eq!(
        outcome,
        Asserted::CounterRegressed {
            credential_id: key.credential_id
        }
    );
}

#[tokio::test]
async fn a_ceremony_is_dead_after_five_minutes_and_only_for_its_account_and_purpose() {
    let w = world();
    let mut device = authenticator();
    assert!(matches!(
        register(&w, &mut device, "key").await,
        Registered::Added(_)
    ));
    let purpose = CeremonyPurpose::StepUp { operation: [1; 32] };
    for (who, asked, late) in [
        (
            w.jane.clone(),
            CeremonyPurpose::StepUp { operation: [2; 32] },
            false,
        ),
        (AccountId::new("joe").expect("id"), purpose.clone(), false),
        (w.jane.clone(), purpose.clone(), true),
    ] {
        let started = w.begin(purpose.clone()).await;
        let answer = device
            .do_authentication(origin(), started.options)
            .expect("signs");
        if late {
            w.clock.advance(Duration::minutes(5));
        }
        let outcome = w.finish(&started.ceremony, &who, &asked, &answer).await;
        assert_eq!(outcome, Asserted::Expired, "{who:?} {asked:?} late={late}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_sixty_four_finishes_of_one_registration_one_adds_the_key() {
    let w = Arc::new(world());
    let mut device = authenticator();
    let RegistrationBegin::Started(started) = w
        .keys
        .begin_registration(&w.jane, "jane", "key")
        .await
        .expect("begin")
    else {
        panic!("may add");
    };
    let answer = device
        .do_registration(origin(), started.options)
        .expect("a credential");
    let ceremony = started.ceremony.to_string();
    let outcomes = futures_race(&w, &ceremony, &answer).await;
    let added = outcomes
        .iter()
        .filter(|o| matches!(o, Registered::Added(_)))
        .count();
    assert_eq!(added, 1, "{outcomes:?}");
    assert_eq!(w.keys.list(&w.jane).await.expect("list").len(), 1);
}

async fn futures_race(
    w: &Arc<World>,
    ceremony: &str,
    answer: &latchkey_webauthn::RegisterPublicKeyCredential,
) -> Vec<Registered> {
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (w, barrier, answer) = (w.clone(), barrier.clone(), answer.clone());
            let ceremony: CeremonyId = ceremony.parse().expect("id");
            tokio::spawn(async move {
                barrier.wait().await;
                w.keys
                    .finish_registration(&ceremony, &w.jane, &answer)
                    .await
                    .expect("finish")
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task"));
    }
    outcomes
}

#[tokio::test]
async fn a_second_registration_excludes_the_accounts_keys() {
    let w = world();
    let mut device = authenticator();
    let Registered::Added(key) = register(&w, &mut device, "first").await else {
        panic!("registers");
    };
    let RegistrationBegin::Started(started) = w
        .keys
        .begin_registration(&w.jane, "jane", "second")
        .await
        .expect("begin")
    else {
        panic!("may add");
    };
    let excluded: Vec<Vec<u8>> = started
        .options
        .public_key
        .exclude_credentials
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id.to_vec())
        .collect();
    assert_eq!(excluded, [key.credential_id]);
    for bad in ["", " padded ", "tab\there", &"x".repeat(65)] {
        assert!(matches!(
            w.keys
                .begin_registration(&w.jane, "jane", bad)
                .await
                .expect("begin"),
            RegistrationBegin::NameRefused
        ));
    }
}
