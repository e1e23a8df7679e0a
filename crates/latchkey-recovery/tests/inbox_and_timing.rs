//! Hardening of the requester's side: every spelling of a contact address
//! shares one cap and one cooldown (REQ-17, REQ-34), and the owner's
//! notice neither delays nor fails the requester's answer (REQ-31).

mod support;

use std::time::{Duration as StdDuration, Instant};

use latchkey_recovery::{ConfirmOutcome, RecoverySettings, StartOutcome};
use support::{Fixture, OWNER, OwnerMode};
use time::Duration;

const SPELLINGS: [&str; 3] = [
    "Victim@example.com",
    "victim@example.com",
    "VICTIM@EXAMPLE.COM",
];

#[tokio::test]
async fn req_17_every_spelling_of_a_contact_address_shares_one_submission_cap() {
    let f = Fixture::new(RecoverySettings::default());
    for (i, contact) in SPELLINGS.iter().enumerate() {
        // Past the code's cooldown and hourly cap: only the submission cap
        // (3 a day) can refuse.
        f.clock.advance(Duration::minutes(61));
        let outcome = f.start(&format!("user{i}"), contact).await;
        assert!(
            matches!(outcome, StartOutcome::CodeSent { .. }),
            "{contact}: {outcome:?}"
        );
    }
    f.clock.advance(Duration::minutes(61));
    assert_eq!(
        f.start("user9", "vIctim@Example.com").await,
        StartOutcome::Throttled,
        "a fourth spelling is the same inbox"
    );
    let sent: Vec<String> = f
        .mailer
        .inner
        .messages()
        .into_iter()
        .map(|m| m.to.as_str().to_owned())
        .collect();
    assert_eq!(sent, SPELLINGS, "three codes, each to the address as typed");
}

#[tokio::test]
async fn req_17_codes_mailed_to_every_spelling_share_one_cooldown() {
    // A cap high enough that only the code's cooldown can refuse.
    let f = Fixture::new(RecoverySettings {
        submissions_per_window: 10,
        ..RecoverySettings::default()
    });
    let first = f.start("user0", SPELLINGS[0]).await;
    assert!(matches!(first, StartOutcome::CodeSent { .. }), "{first:?}");
    for (i, contact) in SPELLINGS.iter().enumerate().skip(1) {
        f.clock.advance(Duration::seconds(10));
        assert_eq!(
            f.start(&format!("user{i}"), contact).await,
            StartOutcome::Throttled,
            "{contact} is within the first code's cooldown"
        );
    }
    assert_eq!(f.mailer.inner.messages().len(), 1, "one code, one mail");
    f.clock.advance(Duration::seconds(61));
    let later = f.start("user9", SPELLINGS[2]).await;
    assert!(matches!(later, StartOutcome::CodeSent { .. }), "{later:?}");
}

#[tokio::test]
async fn a_contact_code_proves_the_address_in_any_spelling_and_the_ticket_keeps_the_typed_one() {
    let f = Fixture::new(RecoverySettings::default());
    let reference = f.submit("jane", "Jane.New@Example.com").await;
    let ticket = f.recovery.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(ticket.contact.as_str(), "Jane.New@Example.com");
    assert_eq!(f.mails_to("Jane.New@Example.com").len(), 2, "code and ack");
}

#[tokio::test]
async fn req_31_a_failing_owner_notice_never_reaches_the_requester_even_inline() {
    let f = Fixture::new(RecoverySettings::default());
    f.mailer.set_mode(OwnerMode::Fail);
    let (draft, code) = f.started("jane", "jane@new.example").await;
    let outcome = f.recovery.confirm(&draft, &code).await.unwrap();
    assert!(
        matches!(outcome, ConfirmOutcome::Submitted { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn req_31_the_owner_notice_is_handed_off_so_a_known_login_answers_no_later() {
    let f = Fixture::new(RecoverySettings::default()).with_background();
    f.mailer
        .set_mode(OwnerMode::Slow(StdDuration::from_millis(400)));

    let (draft, code) = f.started("nobody", "b@new.example").await;
    let begun = Instant::now();
    let unknown = f.recovery.confirm(&draft, &code).await.unwrap();
    let unknown_took = begun.elapsed();
    assert!(matches!(unknown, ConfirmOutcome::Submitted { .. }));
    assert_eq!(f.jobs.count(), 1, "the same hand-off for an unknown login");
    f.jobs.run_all().await;

    let (draft, code) = f.started("jane", "a@new.example").await;
    let begun = Instant::now();
    let known = tokio::time::timeout(StdDuration::from_secs(5), f.recovery.confirm(&draft, &code))
        .await
        .expect("confirm waited for the owner's notice")
        .unwrap();
    let known_took = begun.elapsed();
    assert!(matches!(known, ConfirmOutcome::Submitted { .. }));
    assert!(
        known_took < StdDuration::from_millis(300)
            && known_took <= unknown_took + StdDuration::from_millis(150),
        "known {known_took:?}, unknown {unknown_took:?}"
    );

    assert_eq!(f.jobs.count(), 1, "the notice was handed off ...");
    assert!(f.mails_to(OWNER).is_empty(), "... not sent while we waited");
    f.jobs.run_all().await;
    let told: Vec<String> = f.mails_to(OWNER).into_iter().map(|m| m.subject).collect();
    assert_eq!(told, ["Someone asked to recover your account"]);
    assert!(!f.cancel_token().is_empty());
}

#[tokio::test]
async fn req_31_a_failing_owner_notice_in_the_background_is_dropped_there() {
    let f = Fixture::new(RecoverySettings::default()).with_background();
    f.mailer.set_mode(OwnerMode::Fail);
    let (draft, code) = f.started("jane", "jane@new.example").await;
    let outcome = f.recovery.confirm(&draft, &code).await.unwrap();
    assert!(
        matches!(outcome, ConfirmOutcome::Submitted { .. }),
        "{outcome:?}"
    );
    assert_eq!(f.jobs.count(), 1);
    f.jobs.run_all().await;
    assert!(f.mails_to(OWNER).is_empty());
}
