//! A Redis that goes away mid-flow gives clear errors within the timeout,
//! never panics nor hangs, never accepts a code twice nor loses a counted
//! failure, and the same store works again once Redis is back.
//!
//! Each test starts a `redis-server` of its own (see `server`) and skips,
//! saying so, when it is not installed. "Paused" is `SIGSTOP`: connections
//! stay open and nothing answers, so calls time out; what was sent still
//! runs, in order, once the server resumes with its memory intact. "Killed
//! and restarted" is a server without persistence coming back empty: every
//! record is gone (users ask for a new code, backoff starts again), which
//! is the loss the crate docs describe; nothing is lost beyond it.

mod server;

use std::time::{Duration as StdDuration, Instant};

use latchkey_challenge::{ChallengeId, ChallengeKey, ChallengeStore};
use latchkey_cli_login::CliLoginStore;
use latchkey_core::{AccountId, StoreError};
use latchkey_devices::{DeviceId, DeviceStore};
use latchkey_otp::{CodeRecord, FailureCount, OtpStore, Purpose, SendReservation};
use latchkey_store_redis::{Error, RedisStore, TimedOut, testing};
use latchkey_testkit::fresh_account;
use latchkey_throttle::{AttemptPolicy, ThrottleKey, ThrottleReservation, ThrottleStore};
use time::{Duration, OffsetDateTime};

use server::Server;

/// The store's timeout in these tests.
const TIMEOUT: StdDuration = StdDuration::from_millis(300);

/// How much later than the timeout a call may answer.
const SLACK: StdDuration = StdDuration::from_millis(700);

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

fn code(account: &AccountId, id: u8, max_attempts: u32) -> CodeRecord {
    CodeRecord {
        id: [id; 16],
        account: account.clone(),
        purpose: Purpose::SIGN_IN,
        digest: [id; 32],
        expires_at: t0() + Duration::minutes(10),
        max_attempts,
        failed_attempts: 0,
    }
}

fn fresh_throttle_key() -> ThrottleKey {
    let mut key = [0u8; 32];
    latchkey_core::random::fill(&mut key).expect("random");
    ThrottleKey(key)
}

async fn store_on(server: &Server) -> RedisStore {
    RedisStore::connect(&server.url(), &testing::fresh_prefix())
        .await
        .expect("connect to the test's redis-server")
        .with_timeout(TIMEOUT)
}

/// Runs `call`, checking it answered within the timeout (and slack), and
/// returns its result.
async fn timed<T>(call: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = call.await;
    let took = started.elapsed();
    assert!(
        took <= TIMEOUT + SLACK,
        "a call took {took:?}, past the timeout of {TIMEOUT:?}"
    );
    result
}

/// An `Unavailable` error whose source says the call timed out.
fn assert_timed_out<T: std::fmt::Debug>(result: &Result<T, StoreError>, call: &str) {
    let Err(StoreError::Unavailable(source)) = result else {
        panic!("{call} on a paused server must be Unavailable, got {result:?}");
    };
    assert_eq!(
        source.downcast_ref::<TimedOut>(),
        Some(&TimedOut(TIMEOUT)),
        "{call}: the error's source must say it timed out, got {source}"
    );
}

fn assert_unavailable<T: std::fmt::Debug>(result: &Result<T, StoreError>, call: &str) {
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{call} on a dead server must be Unavailable, got {result:?}"
    );
}

/// Waits until the store answers again (the connection manager has
/// reconnected), at most 15 s.
async fn until_back(store: &RedisStore) {
    let deadline = Instant::now() + StdDuration::from_secs(15);
    while OtpStore::get(store, &fresh_account(), &Purpose::SIGN_IN)
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the store did not reconnect within 15 s"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

/// Paused mid-flow: every call times out with a clear error; once the
/// server resumes, what was sent during the pause has run exactly once
/// (the consume took the code, the failure was counted), so a retry
/// neither accepts the code a second time nor finds budget that was
/// spent, and counts from before the pause are intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_server_times_out_and_loses_no_decision() {
    if !server::available() {
        return;
    }
    let server = Server::start();
    let store = store_on(&server).await;
    let (failing, consumed) = (fresh_account(), fresh_account());
    let key = fresh_throttle_key();
    let policy = AttemptPolicy::default();

    store.put(code(&failing, 1, 3)).await.expect("put");
    store.put(code(&consumed, 2, 3)).await.expect("put");
    for n in 1..=2 {
        assert_eq!(
            store
                .record_failure(&failing, &Purpose::SIGN_IN, &[1; 16])
                .await
                .expect("record_failure"),
            FailureCount::Counted { failed_attempts: n }
        );
        assert_eq!(
            store.reserve(&key, t0(), policy).await.expect("reserve"),
            ThrottleReservation::Allowed { attempts: n }
        );
    }

    // Each script the pause interrupts has run before, so the server
    // knows it: a script it does not know answers NOSCRIPT on waking, and
    // the caller, gone, never loads it and sends it again (nothing runs:
    // also safe, but not what this test follows).
    assert!(
        !store
            .consume(&consumed, &Purpose::SIGN_IN, &[9; 16], t0())
            .await
            .expect("consume of another id")
    );

    server.pause();
    let failure = timed(store.record_failure(&failing, &Purpose::SIGN_IN, &[1; 16])).await;
    assert_timed_out(&failure, "record_failure");
    let first_consume = timed(store.consume(&consumed, &Purpose::SIGN_IN, &[2; 16], t0())).await;
    assert_timed_out(&first_consume, "consume");
    assert_timed_out(&timed(store.reserve(&key, t0(), policy)).await, "reserve");
    assert_timed_out(
        &timed(OtpStore::get(&store, &failing, &Purpose::SIGN_IN)).await,
        "get",
    );
    assert_timed_out(
        &timed(store.reserve_send(&failing, t0(), Duration::MINUTE, 3)).await,
        "reserve_send",
    );
    assert_timed_out(
        &timed(store.consume_challenge(&ChallengeKey([1; 32]), t0())).await,
        "consume_challenge",
    );
    assert_timed_out(
        &timed(store.get_device(&DeviceId([1; 16]))).await,
        "get_device",
    );
    assert_timed_out(&timed(store.purge_idle(t0())).await, "purge_idle");
    server.resume();

    // The pause lost nothing: the two failures from before it and the one
    // sent during it are counted, once each, and the budget is spent.
    let record = OtpStore::get(&store, &failing, &Purpose::SIGN_IN)
        .await
        .expect("get after the pause")
        .expect("the code is still there");
    assert_eq!(
        record.failed_attempts, 3,
        "the failure sent during the pause ran once, after the two before it"
    );
    assert_eq!(
        store
            .record_failure(&failing, &Purpose::SIGN_IN, &[1; 16])
            .await
            .expect("record_failure"),
        FailureCount::Exhausted
    );
    assert!(
        !store
            .consume(&failing, &Purpose::SIGN_IN, &[1; 16], t0())
            .await
            .expect("consume"),
        "a code whose budget was spent across the pause must not be consumed"
    );
    // The consume that timed out took the code when the server woke: the
    // caller saw an error (so did not sign in), and a retry is refused.
    assert!(
        !store
            .consume(&consumed, &Purpose::SIGN_IN, &[2; 16], t0())
            .await
            .expect("consume"),
        "a code must never be accepted twice, even when the first acceptance timed out"
    );
    assert!(
        OtpStore::get(&store, &consumed, &Purpose::SIGN_IN)
            .await
            .expect("get")
            .is_none()
    );
    // The reservation sent during the pause counted too.
    assert_eq!(
        store.reserve(&key, t0(), policy).await.expect("reserve"),
        ThrottleReservation::Allowed { attempts: 4 },
        "counts from before and during the pause are intact"
    );
}

/// Killed mid-flow: calls fail fast with clear errors; the connection
/// manager reconnects once a server is back on the port; a server without
/// persistence comes back empty, so the code reserved before the stop is
/// gone (it can never be accepted, let alone twice) and counters start
/// again, and the store works as before (its scripts loaded again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_gives_errors_and_the_store_works_again_when_it_is_back() {
    if !server::available() {
        return;
    }
    let mut server = Server::start();
    let store = store_on(&server).await;
    let account = fresh_account();
    let key = fresh_throttle_key();
    let challenge = ChallengeKey::sign_in(&ChallengeId::generate().expect("id"));
    store.put(code(&account, 1, 5)).await.expect("put");
    assert_eq!(
        store
            .reserve_send(&account, t0(), Duration::MINUTE, 3)
            .await
            .expect("reserve_send"),
        SendReservation::Reserved
    );
    store
        .reserve(&key, t0(), AttemptPolicy::default())
        .await
        .expect("reserve");

    server.kill();
    for _ in 0..3 {
        assert_unavailable(
            &timed(store.consume(&account, &Purpose::SIGN_IN, &[1; 16], t0())).await,
            "consume",
        );
        assert_unavailable(
            &timed(store.record_failure(&account, &Purpose::SIGN_IN, &[1; 16])).await,
            "record_failure",
        );
        assert_unavailable(
            &timed(store.reserve_attempt(&challenge, t0())).await,
            "reserve_attempt",
        );
        assert_unavailable(&timed(store.hit(&key, t0(), Duration::MINUTE)).await, "hit");
    }

    server.restart();
    until_back(&store).await;
    assert!(
        !store
            .consume(&account, &Purpose::SIGN_IN, &[1; 16], t0())
            .await
            .expect("consume after the restart"),
        "the code from before the restart is gone: never accepted"
    );
    assert_eq!(
        store
            .reserve(&key, t0(), AttemptPolicy::default())
            .await
            .expect("reserve after the restart"),
        ThrottleReservation::Allowed { attempts: 1 },
        "a server restarted without persistence has lost its counters (documented)"
    );
    assert_eq!(
        store
            .reserve_send(&account, t0(), Duration::MINUTE, 3)
            .await
            .expect("reserve_send after the restart"),
        SendReservation::Reserved,
        "the cooldown starts again after an empty restart (documented)"
    );
    // And the store works as before.
    store.put(code(&account, 2, 5)).await.expect("put");
    assert!(
        store
            .consume(&account, &Purpose::SIGN_IN, &[2; 16], t0())
            .await
            .expect("consume")
    );
    assert!(
        !store
            .consume(&account, &Purpose::SIGN_IN, &[2; 16], t0())
            .await
            .expect("consume")
    );
}

/// Nothing listening: `connect` fails within its timeout with a clear
/// error, and a store made before the server went away errors per call.
#[tokio::test]
async fn connecting_to_nothing_is_a_clear_error() {
    if !server::available() {
        return;
    }
    let mut server = Server::start();
    let url = server.url();
    server.kill();
    let started = Instant::now();
    let result = RedisStore::connect(&url, "latchkey-test:nothing").await;
    assert!(
        started.elapsed() <= latchkey_store_redis::DEFAULT_TIMEOUT + SLACK,
        "connect must give up within its timeout"
    );
    let err = result.expect_err("nothing listens there");
    assert!(matches!(err, Error::Unreachable(_)), "{err:?}");
    assert_eq!(err.to_string(), "Redis is unreachable");
    assert!(std::error::Error::source(&err).is_some());
    assert!(matches!(
        RedisStore::connect("not a url", "p").await,
        Err(Error::InvalidUrl(_))
    ));
    assert!(matches!(
        RedisStore::connect(&url, "bad prefix").await,
        Err(Error::InvalidPrefix(_))
    ));
}

/// A record that does not read back is `StoreError::Corrupt`, naming the
/// field and never its value.
#[tokio::test]
async fn records_that_do_not_read_back_are_corrupt_errors() {
    if !server::available() {
        return;
    }
    let server = Server::start();
    let store = store_on(&server).await;
    let challenge = ChallengeKey([9; 32]);
    let account = fresh_account();
    let mut conn = store.manager().clone();
    let _: () = redis::cmd("HSET")
        .arg(store.keys().challenge(&challenge))
        .arg(&[
            "acct",
            "jane",
            "kind",
            "mailed-code",
            "created",
            "secret-ish",
        ])
        .query_async(&mut conn)
        .await
        .expect("HSET");
    let _: () = redis::cmd("HSET")
        .arg(store.keys().codes(&account))
        .arg(latchkey_store_redis::Keys::purpose_tag(&Purpose::SIGN_IN) + ":id")
        .arg("zz")
        .query_async(&mut conn)
        .await
        .expect("HSET");
    let got = store.get_challenge(&challenge).await;
    let Err(StoreError::Corrupt { what, .. }) = &got else {
        panic!("a malformed challenge must be Corrupt, got {got:?}");
    };
    assert!(
        what.contains("challenge") && !what.contains("secret-ish"),
        "{what}"
    );
    let got = OtpStore::get(&store, &account, &Purpose::SIGN_IN).await;
    assert!(matches!(got, Err(StoreError::Corrupt { .. })), "{got:?}");

    // A command-line login whose user code is none, and a poll token's
    // index naming no session digest.
    let _: () = redis::cmd("HSET")
        .arg(store.keys().cli_login(&[0; 32]))
        .arg(&[
            "state",
            "pending",
            "exp_us",
            "9000000000000000",
            "code",
            "secret-ish",
        ])
        .query_async(&mut conn)
        .await
        .expect("HSET");
    let _: () = redis::cmd("HSET")
        .arg(store.keys().cli_login_poll(&[0; 32]))
        .arg(&["id", "zz"])
        .query_async(&mut conn)
        .await
        .expect("HSET");
    let got = store.pending_cli_login(&[0; 32], t0()).await;
    let Err(StoreError::Corrupt { what, .. }) = &got else {
        panic!("a malformed command-line login must be Corrupt, got {got:?}");
    };
    assert!(
        what.contains("command-line login") && !what.contains("secret-ish"),
        "{what}"
    );
    let got = store.poll_cli_login(&[0; 32], t0(), Duration::ZERO).await;
    assert!(matches!(got, Err(StoreError::Corrupt { .. })), "{got:?}");
}
