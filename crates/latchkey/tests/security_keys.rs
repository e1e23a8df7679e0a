//! Security keys through the whole flow, against kanidm's independent
//! software authenticator (`SoftPasskey`): the first key turns 2FA on
//! with recovery codes and a notice; sign-in then asks for the key (never
//! a mailed code); a replayed, cross-origin or cloned-key assertion is
//! refused and counted; a key approves one write; adding and removing
//! keys needs a fresh authentication; the last factor goes only with
//! 2FA itself.

use latchkey::prelude::*;
use latchkey::testing::{Fixture, ORIGIN, PASSWORD};
use latchkey::webauthn::{
    KeyUse, PublicKeyCredential, RegistrationBegin, SecurityKeyStore, Url, parse_assertion,
    parse_registration,
};
use latchkey::{Factors, TwoFactorChange};
use time::Duration;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

struct World {
    f: Fixture,
    jane: AccountId,
}

fn client() -> ClientContext {
    ClientContext::new().with_client("203.0.113.7")
}

fn url(origin: &str) -> Url {
    Url::parse(origin).expect("an origin")
}

async fn world() -> World {
    let f = Fixture::new().expect("fixture");
    let jane = f.register("jane").await.expect("register");
    World { f, jane }
}

impl World {
    /// A fresh authentication of jane's, by the mailed code.
    async fn signed_in(&self) -> Authentication {
        self.f.clock.advance(Duration::minutes(2));
        let SignInStep::MailedCodeSent { challenge, .. } = self
            .f
            .flow
            .start("jane", PASSWORD, &client())
            .await
            .expect("start")
        else {
            panic!("no 2FA yet: a code is mailed");
        };
        let code = self.f.mailer.last_code().expect("a code");
        match self
            .f
            .flow
            .submit(&challenge, Answer::MailedCode(&code), &client())
            .await
            .expect("submit")
        {
            Submitted::SignedIn(done) => done.authentication,
            other => panic!("signed in, not {other:?}"),
        }
    }

    /// Adds a key made by `device`; the flow's answer.
    async fn add_key(
        &self,
        auth: &Authentication,
        device: &mut SoftPasskey,
        name: &str,
    ) -> Sensitive<KeyAdded> {
        let Sensitive::Done {
            outcome: RegistrationBegin::Started(started),
            ..
        } = self
            .f
            .flow
            .begin_security_key(auth, "jane", name)
            .await
            .expect("begin")
        else {
            panic!("a fresh authentication may add a key");
        };
        let made = device
            .do_registration(url(ORIGIN), started.options)
            .expect("the authenticator makes a credential");
        let answer = parse_registration(&serde_json::to_string(&made).expect("json"))
            .expect("a browser's answer parses");
        self.f
            .flow
            .finish_security_key(auth, &started.ceremony, &answer)
            .await
            .expect("finish")
    }

    /// Signs jane in up to the second factor; the challenge and factors.
    async fn second_factor(&self) -> (ChallengeId, Factors) {
        self.f.clock.advance(Duration::minutes(2));
        match self
            .f
            .flow
            .start("jane", PASSWORD, &client())
            .await
            .expect("start")
        {
            SignInStep::SecondFactorRequired {
                challenge, factors, ..
            } => (challenge, factors),
            other => panic!("2FA is on: a second factor is asked for, not {other:?}"),
        }
    }

    async fn submit_key(
        &self,
        challenge: &ChallengeId,
        ceremony: &CeremonyId,
        credential: &PublicKeyCredential,
    ) -> Submitted {
        self.f
            .flow
            .submit(
                challenge,
                Answer::SecurityKey {
                    ceremony,
                    credential,
                },
                &client(),
            )
            .await
            .expect("submit")
    }
}

/// The browser's assertion by `device` for `options`, from `origin`.
fn sign(
    device: &mut SoftPasskey,
    origin: &str,
    options: latchkey::webauthn::RequestChallengeResponse,
) -> PublicKeyCredential {
    let signed = device
        .do_authentication(url(origin), options)
        .expect("the authenticator signs");
    parse_assertion(&serde_json::to_string(&signed).expect("json")).expect("parses")
}

/// Jane with one key (2FA on by it); her device and recovery codes.
async fn with_key() -> (World, SoftPasskey, Vec<String>) {
    let w = world().await;
    let mut device = SoftPasskey::new(true);
    let auth = w.signed_in().await;
    let Sensitive::Done {
        outcome: KeyAdded::Added {
            recovery_codes: Some(codes),
            ..
        },
        ..
    } = w.add_key(&auth, &mut device, "YubiKey 5C").await
    else {
        panic!("the first key is added with recovery codes");
    };
    let codes = codes.iter().map(ToOwned::to_owned).collect();
    (w, device, codes)
}

#[tokio::test]
async fn the_first_key_turns_two_factor_on_with_recovery_codes_a_notice_and_a_new_stamp() {
    let w = world().await;
    let auth = w.signed_in().await;
    let mut device = SoftPasskey::new(true);
    w.f.mailer.take();
    w.f.events.take();
    let Sensitive::Done {
        outcome:
            KeyAdded::Added {
                key,
                recovery_codes: Some(codes),
            },
        authentication,
    } = w.add_key(&auth, &mut device, "YubiKey 5C").await
    else {
        panic!("the first key is added and turns 2FA on");
    };
    assert_eq!(key.name, "YubiKey 5C");
    assert_eq!(
        codes.iter().count(),
        10,
        "ten recovery codes back the key up"
    );
    let mails = w.f.mailer.take();
    assert_eq!(mails.len(), 1, "one notice: {mails:?}");
    assert_eq!(mails[0].subject, "Two-factor authentication is on");
    let events = w.f.events.take();
    for change in [TwoFactorChange::Enabled, TwoFactorChange::SecurityKeyAdded] {
        assert!(
            events.contains(&SecurityEvent::TwoFactorChanged {
                account: w.jane.clone(),
                change
            }),
            "{change:?} in {events:?}"
        );
    }
    // The stamp changed: the old authentication ended, the renewed one
    // goes on.
    assert!(!w.f.flow.is_current(&auth).await.expect("stamp"));
    assert!(w.f.flow.is_current(&authentication).await.expect("stamp"));

    // With 2FA on, the mailed-code sign-in is no longer enough to add a
    // factor, fresh or not: a stolen session and the password must not
    // plant a key of their own.
    assert!(matches!(
        w.f.flow
            .begin_security_key(&authentication, "jane", "Phone")
            .await
            .expect("begin"),
        Sensitive::NeedsFreshAuthentication
    ));
    let password = Reauthenticate::Password {
        login: "jane",
        password: PASSWORD,
    };
    let Reauthenticated::Fresh(by_password) =
        w.f.flow
            .reauthenticate(&authentication, password)
            .await
            .expect("reauth")
    else {
        panic!("the password is right");
    };
    assert!(matches!(
        w.f.flow
            .begin_security_key(&by_password, "jane", "Phone")
            .await
            .expect("begin"),
        Sensitive::NeedsFreshAuthentication
    ));
    // Proven with the key itself, it may.
    let request =
        w.f.flow
            .reauthentication_key_request(&by_password)
            .await
            .expect("request")
            .expect("she has a key");
    let credential = sign(&mut device, ORIGIN, request.options);
    let proof = Reauthenticate::SecurityKey {
        ceremony: &request.ceremony,
        credential: &credential,
    };
    let Reauthenticated::Fresh(by_key) =
        w.f.flow
            .reauthenticate(&by_password, proof)
            .await
            .expect("reauth")
    else {
        panic!("the key proves it");
    };
    assert_eq!(by_key.method(), Method::SecurityKey);

    // A second key adds no codes and mails its own notice.
    let mut other = SoftPasskey::new(true);
    let Sensitive::Done {
        outcome: KeyAdded::Added {
            recovery_codes: None,
            ..
        },
        ..
    } = w.add_key(&by_key, &mut other, "Phone").await
    else {
        panic!("a second key is added without new codes");
    };
    assert_eq!(
        w.f.mailer.last().expect("a notice").subject,
        "A security key was added"
    );
    let names: Vec<_> =
        w.f.flow
            .security_keys(&w.jane)
            .await
            .expect("list")
            .into_iter()
            .map(|k| k.name)
            .collect();
    assert_eq!(names, ["YubiKey 5C", "Phone"]);
}

#[tokio::test]
async fn sign_in_asks_for_the_key_and_the_key_signs_in() {
    let (w, mut device, _) = with_key().await;
    w.f.mailer.take();
    let (challenge, factors) = w.second_factor().await;
    assert!(
        w.f.mailer.messages().is_empty(),
        "no mailed code for an account with 2FA"
    );
    assert!(!factors.authenticator_app);
    assert!(factors.recovery_codes);
    let request = factors.security_key.expect("the key's options");
    let options = serde_json::to_value(&request.options).expect("json");
    assert_eq!(options["publicKey"]["rpId"], "example.com");
    assert_eq!(
        options["publicKey"]["userVerification"], "required",
        "the key must verify its user"
    );
    let credential = sign(&mut device, ORIGIN, request.options);
    let Submitted::SignedIn(done) = w
        .submit_key(&challenge, &request.ceremony, &credential)
        .await
    else {
        panic!("the key signs in");
    };
    assert_eq!(done.method, Method::SecurityKey);
    assert_eq!(done.account, w.jane);
    assert!(
        done.device_token.is_some(),
        "a verified factor remembers the device"
    );
    let key = &w.f.flow.security_keys(&w.jane).await.expect("list")[0];
    assert!(key.last_used_at.is_some(), "its use is recorded");
}

#[tokio::test]
async fn a_replayed_assertion_is_refused_and_counted() {
    let (w, mut device, _) = with_key().await;
    let (first, factors) = w.second_factor().await;
    let request = factors.security_key.expect("options");
    let credential = sign(&mut device, ORIGIN, request.options);
    assert!(matches!(
        w.submit_key(&first, &request.ceremony, &credential).await,
        Submitted::SignedIn(_)
    ));
    // The same assertion, on a new sign-in: its ceremony is used up, and
    // a new ceremony's challenge is not the one it signed.
    let (second, factors) = w.second_factor().await;
    let fresh = factors.security_key.expect("options");
    for ceremony in [&request.ceremony, &fresh.ceremony] {
        let Submitted::Wrong { attempts_left } = w.submit_key(&second, ceremony, &credential).await
        else {
            panic!("a replayed assertion is a wrong answer");
        };
        assert!(attempts_left < 5, "it counts: {attempts_left} left");
    }
    assert!(w.f.events.events().contains(&SecurityEvent::CodeFailed {
        account: w.jane.clone(),
        method: Method::SecurityKey
    }));
    // The live challenge can ask for new options, and they work.
    let again =
        w.f.flow
            .security_key_request(&second)
            .await
            .expect("request")
            .expect("a live second-factor challenge gets new options");
    let credential = sign(&mut device, ORIGIN, again.options);
    assert!(matches!(
        w.submit_key(&second, &again.ceremony, &credential).await,
        Submitted::SignedIn(_)
    ));
}

#[tokio::test]
async fn an_assertion_made_for_another_origin_is_refused() {
    let (w, mut device, _) = with_key().await;
    let (challenge, factors) = w.second_factor().await;
    let request = factors.security_key.expect("options");
    // A page on another host of the RP's domain (say, one with an XSS
    // hole) relays the options: the browser lets it ask, and reports its
    // own origin in the signed client data, which is not the service's.
    let credential = sign(&mut device, "https://login.example.com", request.options);
    assert!(matches!(
        w.submit_key(&challenge, &request.ceremony, &credential)
            .await,
        Submitted::Wrong { .. }
    ));
}

#[tokio::test]
async fn a_counter_that_goes_backwards_is_refused_and_raised() {
    let (w, mut device, _) = with_key().await;
    let stored =
        w.f.flow
            .security_keys(&w.jane)
            .await
            .expect("list")
            .remove(0);
    // A copy of the key signed in many times elsewhere.
    let mut ahead: serde_json::Value = serde_json::from_str(&stored.passkey).expect("json");
    ahead["cred"]["counter"] = serde_json::json!(1000);
    assert!(
        w.f.store
            .record_key_use(
                &w.jane,
                &stored.credential_id,
                stored.counter,
                KeyUse {
                    passkey: ahead.to_string(),
                    counter: 1000,
                    backed_up: false,
                    backup_eligible: false,
                    at: w.f.flow.now(),
                },
            )
            .await
            .expect("store")
    );
    let (challenge, factors) = w.second_factor().await;
    let request = factors.security_key.expect("options");
    let credential = sign(&mut device, ORIGIN, request.options);
    assert!(matches!(
        w.submit_key(&challenge, &request.ceremony, &credential)
            .await,
        Submitted::Wrong { .. }
    ));
    assert!(
        w.f.events
            .events()
            .contains(&SecurityEvent::SecurityKeyCounterRegressed {
                account: w.jane.clone(),
                credential_id: stored.credential_id_text(),
            }),
        "a possible clone is raised"
    );
}

#[tokio::test]
async fn of_64_concurrent_answers_with_one_assertion_one_signs_in() {
    let (w, mut device, _) = with_key().await;
    let (challenge, factors) = w.second_factor().await;
    let request = factors.security_key.expect("options");
    let credential = sign(&mut device, ORIGIN, request.options);
    let flow = w.f.flow.clone();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (flow, barrier) = (flow.clone(), barrier.clone());
            let (challenge, ceremony, credential) = (
                challenge.clone(),
                request.ceremony.clone(),
                credential.clone(),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                flow.submit(
                    &challenge,
                    Answer::SecurityKey {
                        ceremony: &ceremony,
                        credential: &credential,
                    },
                    &client(),
                )
                .await
                .expect("submit")
            })
        })
        .collect();
    let mut signed_in = 0;
    for task in tasks {
        if matches!(task.await.expect("task"), Submitted::SignedIn(_)) {
            signed_in += 1;
        }
    }
    assert_eq!(signed_in, 1, "one assertion signs in once");
}

#[tokio::test]
async fn a_key_approves_one_write_bound_to_its_digest() {
    let (w, mut device, codes) = with_key().await;
    let address = EmailAddress::parse("jane@example.com").expect("address");
    let two_factor = w.f.flow.two_factor().expect("2FA");
    assert!(matches!(
        two_factor
            .set_mode(
                &w.jane,
                &address,
                latchkey::twofactor::Mode::AuthAndWrites,
                SecondFactor::RecoveryCode(&codes[0]),
            )
            .await
            .expect("mode"),
        latchkey::twofactor::ChangeOutcome::Done(())
    ));
    let publish = [1u8; 32];
    let other = [2u8; 32];
    let StepUp::Challenge {
        challenge,
        security_key: Some(request),
        ..
    } = w.f.flow.step_up(&w.jane, &publish).await.expect("step up")
    else {
        panic!("a write asks for the key");
    };
    let credential = sign(&mut device, ORIGIN, request.options);
    let answer = Answer::SecurityKey {
        ceremony: &request.ceremony,
        credential: &credential,
    };
    // Not for another write: that write's challenge finds nothing.
    assert!(matches!(
        w.f.flow
            .submit_step_up(&challenge, answer, &client(), &w.jane, &other)
            .await
            .expect("step up"),
        StepUpAnswer::Expired
    ));
    let StepUpAnswer::Approved(approval) =
        w.f.flow
            .submit_step_up(&challenge, answer, &client(), &w.jane, &publish)
            .await
            .expect("step up")
    else {
        panic!("the key approves the write");
    };
    assert!(
        !two_factor
            .redeem_approval(&approval, &w.jane, &other)
            .await
            .expect("redeem")
    );
    assert!(
        two_factor
            .redeem_approval(&approval, &w.jane, &publish)
            .await
            .expect("redeem")
    );
    assert!(
        !two_factor
            .redeem_approval(&approval, &w.jane, &publish)
            .await
            .expect("redeem"),
        "an approval works once"
    );

    // A sign-in ceremony's assertion cannot approve a write.
    let StepUp::Challenge { challenge, .. } =
        w.f.flow.step_up(&w.jane, &publish).await.expect("step up")
    else {
        panic!("a write asks for a factor");
    };
    let (_, factors) = w.second_factor().await;
    let sign_in = factors.security_key.expect("options");
    let credential = sign(&mut device, ORIGIN, sign_in.options);
    assert!(matches!(
        w.f.flow
            .submit_step_up(
                &challenge,
                Answer::SecurityKey {
                    ceremony: &sign_in.ceremony,
                    credential: &credential
                },
                &client(),
                &w.jane,
                &publish
            )
            .await
            .expect("step up"),
        StepUpAnswer::Wrong { .. }
    ));
}

#[tokio::test]
async fn adding_and_removing_keys_needs_a_fresh_authentication() {
    let (w, mut device, _) = with_key().await;
    let auth = w.signed_in_with_key(&mut device).await;
    w.f.clock.advance(Duration::minutes(11));
    let stale = &auth;
    assert!(matches!(
        w.f.flow
            .begin_security_key(stale, "jane", "Phone")
            .await
            .expect("begin"),
        Sensitive::NeedsFreshAuthentication
    ));
    let key =
        w.f.flow
            .security_keys(&w.jane)
            .await
            .expect("list")
            .remove(0);
    assert!(matches!(
        w.f.flow
            .remove_security_key(stale, &key.credential_id)
            .await
            .expect("remove"),
        Sensitive::NeedsFreshAuthentication
    ));
}

#[tokio::test]
async fn the_last_key_goes_only_with_two_factor_and_a_fresh_factor() {
    let (w, mut device, codes) = with_key().await;
    let auth = w.signed_in_with_key(&mut device).await;
    let mut phone = SoftPasskey::new(true);
    let Sensitive::Done {
        authentication: auth,
        ..
    } = w.add_key(&auth, &mut phone, "Phone").await
    else {
        panic!("fresh");
    };
    let keys = w.f.flow.security_keys(&w.jane).await.expect("list");
    w.f.mailer.take();
    let Sensitive::Done {
        outcome: KeyRemoved::Removed,
        authentication: auth,
    } =
        w.f.flow
            .remove_security_key(&auth, &keys[0].credential_id)
            .await
            .expect("remove")
    else {
        panic!("a key with another beside it is removed");
    };
    assert_eq!(
        w.f.mailer.last().expect("a notice").subject,
        "A security key was removed"
    );
    let Sensitive::Done {
        outcome: KeyRemoved::LastFactor,
        authentication: auth,
    } =
        w.f.flow
            .remove_security_key(&auth, &keys[1].credential_id)
            .await
            .expect("remove")
    else {
        panic!("fresh");
    };
    assert_eq!(
        w.f.flow.security_keys(&w.jane).await.expect("list").len(),
        1
    );
    // Turning 2FA off takes a fresh factor, and every key goes with it.
    let Sensitive::Done { outcome, .. } =
        w.f.flow
            .disable_two_factor(&auth, SecondFactor::RecoveryCode(&codes[0]))
            .await
            .expect("disable")
    else {
        panic!("fresh");
    };
    assert!(matches!(
        outcome,
        latchkey::twofactor::ChangeOutcome::Done(())
    ));
    assert!(
        w.f.flow
            .security_keys(&w.jane)
            .await
            .expect("list")
            .is_empty()
    );
    w.f.clock.advance(Duration::minutes(2));
    assert!(
        matches!(
            w.f.flow
                .start("jane", PASSWORD, &client())
                .await
                .expect("start"),
            SignInStep::MailedCodeSent { .. }
        ),
        "with 2FA off, the mailed code is back"
    );
}

#[tokio::test]
async fn a_recovery_code_signs_in_when_the_key_is_lost() {
    let (w, _lost, codes) = with_key().await;
    let (challenge, _) = w.second_factor().await;
    let Submitted::SignedIn(done) =
        w.f.flow
            .submit(&challenge, Answer::RecoveryCode(&codes[3]), &client())
            .await
            .expect("submit")
    else {
        panic!("a recovery code backs the key up");
    };
    assert_eq!(done.method, Method::RecoveryCode);
    assert_eq!(done.recovery_codes_left, Some(9));
    // An authenticator-app code cannot answer: there is no app.
    let (challenge, _) = w.second_factor().await;
    assert!(matches!(
        w.f.flow
            .submit(&challenge, Answer::Totp("123456"), &client())
            .await
            .expect("submit"),
        Submitted::Wrong { .. }
    ));
}

impl World {
    /// A fresh authentication of jane's by her key.
    async fn signed_in_with_key(&self, device: &mut SoftPasskey) -> Authentication {
        let (challenge, factors) = self.second_factor().await;
        let request = factors.security_key.expect("options");
        let credential = sign(device, ORIGIN, request.options);
        match self
            .submit_key(&challenge, &request.ceremony, &credential)
            .await
        {
            Submitted::SignedIn(done) => done.authentication,
            other => panic!("the key signs in, not {other:?}"),
        }
    }
}

/// REQ-33: an approved "Reset my email" ticket changes the address, and
/// nothing else: the account's key is still asked for, and still works.
#[tokio::test]
async fn req33_an_email_reset_never_bypasses_the_security_key() {
    use latchkey::recovery::{CompleteOutcome, ConfirmOutcome, StartOutcome, TicketForm};
    let (w, mut device, _) = with_key().await;
    let (challenge, _) = w.second_factor().await;
    let form = TicketForm {
        login: "jane".to_owned(),
        contact_email: "jane@new.example".to_owned(),
        reset_email: true,
        details: String::new(),
        identities: Vec::new(),
    };
    let Recovering::Started(StartOutcome::CodeSent { draft, .. }) =
        w.f.flow
            .recover(&challenge, &form, &client())
            .await
            .expect("recover")
    else {
        panic!("\"Try recovering your account\" from the second-factor form opens a ticket");
    };
    let ConfirmOutcome::Submitted { reference } =
        w.f.flow
            .confirm_recovery(&draft, &latchkey_testkit::code_in_last_mail(&w.f.mailer))
            .await
            .expect("confirm")
    else {
        panic!("the contact code confirms the ticket");
    };
    let desk = w.f.flow.recovery().expect("recovery");
    let _ = desk
        .start_review(&reference, "alice", None)
        .await
        .expect("review");
    let _ = desk
        .approve(&reference, "alice", None)
        .await
        .expect("approve");
    let CompleteOutcome::Completed(_) = desk.complete(&reference, "alice").await.expect("complete")
    else {
        panic!("completed");
    };
    assert_eq!(
        Accounts::address(&*w.f.accounts, &w.jane)
            .await
            .expect("address")
            .expect("one")
            .as_str(),
        "jane@new.example"
    );
    // The password is still not enough, and no code is mailed instead.
    let (challenge, factors) = w.second_factor().await;
    let request = factors.security_key.expect("the key is still asked for");
    let credential = sign(&mut device, ORIGIN, request.options);
    assert!(matches!(
        w.submit_key(&challenge, &request.ceremony, &credential)
            .await,
        Submitted::SignedIn(_)
    ));
}

/// With keys only, 2FA is on for the 2FA service too; no app can be
/// added beside the keys (it would replace their recovery codes), and
/// turning 2FA off on the service directly takes the keys with it.
#[tokio::test]
async fn the_two_factor_service_sees_keys_only_two_factor_and_its_end_removes_the_keys() {
    let (w, mut device, codes) = with_key().await;
    let two_factor = w.f.flow.two_factor().expect("2FA");
    assert_eq!(
        two_factor.mode(&w.jane).await.expect("mode"),
        latchkey::twofactor::Mode::AuthOnly
    );
    assert!(
        two_factor
            .requires_code(&w.jane, latchkey::twofactor::Action::SignIn)
            .await
            .expect("requires")
    );
    let auth = w.signed_in_with_key(&mut device).await;
    let Sensitive::Done {
        outcome: enrolment, ..
    } =
        w.f.flow
            .begin_two_factor(&auth, "jane")
            .await
            .expect("begin")
    else {
        panic!("a key sign-in is a fresh factor");
    };
    let code = enrolment
        .uri
        .totp()
        .expect("totp")
        .code_at(w.f.flow.now())
        .expect("code");
    let Sensitive::Done { outcome, .. } =
        w.f.flow
            .confirm_two_factor(&auth, &code)
            .await
            .expect("confirm")
    else {
        panic!("fresh");
    };
    assert!(
        matches!(outcome, latchkey::twofactor::ConfirmOutcome::AlreadyEnabled),
        "no app beside keys: {outcome:?}"
    );
    let address = EmailAddress::parse("jane@example.com").expect("address");
    assert!(matches!(
        two_factor
            .disable(&w.jane, &address, SecondFactor::RecoveryCode(&codes[1]))
            .await
            .expect("disable"),
        latchkey::twofactor::ChangeOutcome::Done(())
    ));
    assert!(
        w.f.flow
            .security_keys(&w.jane)
            .await
            .expect("list")
            .is_empty(),
        "2FA off on the service itself removes the keys"
    );
}
