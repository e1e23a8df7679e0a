//! Command-line sign-in through the browser: begin, approve in a signed-in
//! browser with a fresh authentication, and collect exactly once.

mod common;

use std::sync::Arc;

use common::{World, done, needs_fresh};
use latchkey::cli_login::{CliLoginId, PollToken};
use latchkey::core::SecretString;
use latchkey::testing::{Fixture, PASSWORD};
use latchkey::{
    Authentication, CliLoginBegin, CliLoginDecided, CliLoginStarted, CliLoginStatus, ClientContext,
    Error, PasswordChanged, SecurityEvent, SignIn,
};
use time::Duration;

async fn begin(w: &World) -> CliLoginStarted {
    match w
        .flow
        .begin_cli_login(&w.client(), Some("registry-cli 0.1"))
        .await
        .expect("begin")
    {
        CliLoginBegin::Started(started) => started,
        other => panic!("expected a session, got {other:?}"),
    }
}

async fn poll(w: &World, token: &PollToken) -> CliLoginStatus {
    w.flow
        .poll_cli_login(token, &w.client())
        .await
        .expect("poll")
}

/// The approval's outcome (the authentication is fresh enough to try).
async fn approve(w: &World, auth: &Authentication, id: &CliLoginId) -> CliLoginDecided {
    done(w.flow.approve_cli_login(auth, id).await.expect("approve")).0
}

/// Waits the poll interval, so the next poll is in time.
fn wait(w: &World, started: &CliLoginStarted) {
    w.clock.advance(started.interval);
}

#[tokio::test]
async fn the_whole_handshake_hands_the_account_over_once() {
    let w = World::new().await;
    let started = begin(&w).await;
    assert_eq!(started.expires_at, w.flow.now() + Duration::minutes(10));
    assert_eq!(started.interval, Duration::seconds(5));
    let page = w
        .flow
        .cli_login_request(&started.id)
        .await
        .expect("request")
        .expect("pending");
    assert_eq!(page.user_code, started.user_code);
    assert_eq!(page.client.as_deref(), Some("registry-cli 0.1"));
    assert_eq!(
        poll(&w, &started.poll).await,
        CliLoginStatus::Pending {
            retry_after: started.interval
        }
    );

    let auth = w.authentication().await;
    let decided = approve(&w, &auth, &started.id).await;
    assert_eq!(decided, CliLoginDecided::Recorded);
    assert_eq!(
        w.flow
            .cli_login_request(&started.id)
            .await
            .expect("request"),
        None,
        "a decided session no longer has a page"
    );
    wait(&w, &started);
    assert_eq!(
        poll(&w, &started.poll).await,
        CliLoginStatus::Approved {
            account: w.jane.clone(),
            stamp: auth.stamp(),
        }
    );
    assert!(
        w.flow
            .stamp_is_current(&w.jane, &auth.stamp())
            .await
            .expect("stamp"),
        "the token's stamp is current until a credential changes"
    );
    wait(&w, &started);
    assert_eq!(
        poll(&w, &started.poll).await,
        CliLoginStatus::Expired,
        "the approval is collected once"
    );
    let events = w.events.events();
    assert!(events.contains(&SecurityEvent::CliLoginApproved {
        account: w.jane.clone()
    }));
    assert!(events.contains(&SecurityEvent::CliLoginCollected {
        account: w.jane.clone()
    }));
}

#[tokio::test]
async fn approving_needs_a_fresh_authentication() {
    let w = World::with(|b| b.fresh_window(Duration::minutes(2))).await;
    let auth = w.authentication().await;
    let started = begin(&w).await;
    w.clock.advance(Duration::minutes(3));
    let answer = w
        .flow
        .approve_cli_login(&auth, &started.id)
        .await
        .expect("approve");
    assert!(
        needs_fresh(&answer),
        "an 11-minute-old sign-in is not fresh"
    );
    assert!(
        w.flow
            .cli_login_request(&started.id)
            .await
            .expect("request")
            .is_some(),
        "a refused approval leaves the session pending"
    );
    assert!(matches!(
        poll(&w, &started.poll).await,
        CliLoginStatus::Pending { .. }
    ));
}

#[tokio::test]
async fn a_denial_is_reported_and_cannot_be_overturned() {
    let w = World::new().await;
    let started = begin(&w).await;
    let auth = w.authentication().await;
    let (decided, _) = done(
        w.flow
            .deny_cli_login(&auth, &started.id)
            .await
            .expect("deny"),
    );
    assert_eq!(decided, CliLoginDecided::Recorded);
    let again = approve(&w, &auth, &started.id).await;
    assert_eq!(again, CliLoginDecided::Gone);
    assert_eq!(poll(&w, &started.poll).await, CliLoginStatus::Denied);
}

#[tokio::test]
async fn polling_faster_than_the_interval_is_told_to_slow_down() {
    let w = World::new().await;
    let started = begin(&w).await;
    assert!(matches!(
        poll(&w, &started.poll).await,
        CliLoginStatus::Pending { .. }
    ));
    w.clock.advance(Duration::seconds(3));
    assert_eq!(
        poll(&w, &started.poll).await,
        CliLoginStatus::SlowDown {
            retry_after: started.interval
        }
    );
    // Four fifths of the interval after the refused poll is in time.
    w.clock.advance(Duration::seconds(4));
    assert!(matches!(
        poll(&w, &started.poll).await,
        CliLoginStatus::Pending { .. }
    ));
}

#[tokio::test]
async fn a_password_change_before_collection_voids_the_approval() {
    let w = World::new().await;
    let started = begin(&w).await;
    let auth = w.authentication().await;
    let decided = approve(&w, &auth, &started.id).await;
    assert_eq!(decided, CliLoginDecided::Recorded);
    let (changed, _) = done(
        w.flow
            .change_password(
                &auth,
                &w.login,
                &SecretString::new(PASSWORD.to_owned()),
                &SecretString::new("a wholly new passphrase".to_owned()),
            )
            .await
            .expect("change"),
    );
    assert_eq!(changed, PasswordChanged::Changed);
    assert_eq!(poll(&w, &started.poll).await, CliLoginStatus::Expired);
    assert!(
        !w.flow
            .stamp_is_current(&w.jane, &auth.stamp())
            .await
            .expect("stamp"),
        "a token minted under the old stamp would be dead too"
    );
}

#[tokio::test]
async fn an_expired_session_can_be_neither_shown_approved_nor_collected() {
    let w = World::new().await;
    let started = begin(&w).await;
    w.clock.advance(Duration::minutes(10));
    assert_eq!(
        w.flow
            .cli_login_request(&started.id)
            .await
            .expect("request"),
        None
    );
    // A fresh sign-in now, so only the expiry can refuse.
    let auth = w.sign_in_from(&w.client()).await.authentication;
    let decided = approve(&w, &auth, &started.id).await;
    assert_eq!(decided, CliLoginDecided::Gone);
    assert_eq!(poll(&w, &started.poll).await, CliLoginStatus::Expired);
    assert!(w.flow.purge_expired_cli_logins().await.expect("purge") >= 1);
}

#[tokio::test]
async fn the_browsers_id_cannot_collect_and_the_poll_token_cannot_approve() {
    let w = World::new().await;
    let started = begin(&w).await;
    let auth = w.authentication().await;
    let poll_as_id: CliLoginId = started.poll.to_string().parse().expect("same shape");
    let decided = approve(&w, &auth, &poll_as_id).await;
    assert_eq!(decided, CliLoginDecided::Gone);
    let decided = approve(&w, &auth, &started.id).await;
    assert_eq!(decided, CliLoginDecided::Recorded);
    let id_as_poll: PollToken = started.id.to_string().parse().expect("same shape");
    assert_eq!(poll(&w, &id_as_poll).await, CliLoginStatus::Expired);
    assert!(matches!(
        poll(&w, &started.poll).await,
        CliLoginStatus::Approved { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_sixty_four_concurrent_polls_after_approval_one_collects() {
    let w = Arc::new(World::new().await);
    let started = begin(&w).await;
    let auth = w.authentication().await;
    assert_eq!(
        approve(&w, &auth, &started.id).await,
        CliLoginDecided::Recorded
    );
    let token = started.poll.to_string();
    let outcomes = latchkey_testkit::race(64, |_| {
        let (w, token) = (w.clone(), token.clone());
        async move {
            let token: PollToken = token.parse().expect("token");
            w.flow
                .poll_cli_login(&token, &ClientContext::new())
                .await
                .expect("poll")
        }
    })
    .await;
    let collected = outcomes
        .iter()
        .filter(|o| matches!(o, CliLoginStatus::Approved { .. }))
        .count();
    assert_eq!(collected, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            CliLoginStatus::Approved { .. } | CliLoginStatus::SlowDown { .. }
        )),
        "the others are told to slow down: {outcomes:?}"
    );
}

#[tokio::test]
async fn beginning_counts_against_the_clients_budget() {
    let w = World::with(|b| b.client_budget(3, Duration::minutes(15))).await;
    for _ in 0..3 {
        begin(&w).await;
    }
    assert!(matches!(
        w.flow
            .begin_cli_login(&w.client(), None)
            .await
            .expect("begin"),
        CliLoginBegin::Throttled { .. }
    ));
}

#[tokio::test]
async fn without_a_store_the_handshake_is_not_configured() {
    let f = Fixture::new().expect("fixture");
    let builder = || {
        SignIn::builder("npm", latchkey::testing::keys())
            .store(f.store.clone())
            .accounts(f.accounts.clone())
            .mailer(f.mailer.clone())
    };
    let bare = builder().build().expect("build");
    assert!(matches!(
        bare.begin_cli_login(&ClientContext::new(), None).await,
        Err(Error::NotConfigured(_))
    ));
    let too_eager = builder()
        .cli_login_store(f.store.clone())
        .cli_login_poll_interval(Duration::milliseconds(500))
        .build();
    assert!(matches!(too_eager, Err(Error::InvalidSettings(_))));
}
