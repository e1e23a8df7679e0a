//! Overload: hashes in flight are bounded and so is the queue before
//! them, so a sign-in beyond both is answered `Busy` at once, before any
//! look-up, count or hash (issue 16's storm).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::World;
use latchkey::credentials::{HashSettings, Hasher};
use latchkey::testing::PASSWORD;
use latchkey::{BlockingExecutor, BlockingJob, ExecutorError, SignInStep, TokioBlocking};

/// Holds every job until the test lets one through, so a hash can be
/// kept in flight.
#[derive(Debug)]
struct Gate(tokio::sync::Semaphore);

#[latchkey::async_trait]
impl BlockingExecutor for Gate {
    async fn run_blocking(&self, job: BlockingJob) -> Result<(), ExecutorError> {
        self.0.acquire().await.expect("never closed").forget();
        TokioBlocking.run_blocking(job).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_busy_at_once_and_counts_nothing() {
    // One permit lets jane's registration hash through.
    let gate = Arc::new(Gate(tokio::sync::Semaphore::new(1)));
    let hasher =
        Hasher::new(HashSettings::below_floor(256, 1, 1).expect("settings")).with_max_in_flight(1);
    let w = Arc::new(
        World::with({
            let gate = gate.clone();
            move |b| b.hasher(hasher).hash_queue_limit(1).executor(gate)
        })
        .await,
    );
    let start = |password: &'static str| {
        let w = w.clone();
        tokio::spawn(async move { w.flow.start(&w.login, password, &w.client()).await })
    };
    // One sign-in holds the slot (its hash waits at the gate), one waits
    // in the queue of one.
    let running = start(PASSWORD);
    let waiting = start("a wrong password");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let runs = w.flow.hasher().runs();
    w.events.take();

    let refused = tokio::time::timeout(
        Duration::from_secs(5),
        w.flow.start(&w.login, "another wrong one", &w.client()),
    )
    .await
    .expect("answered at once, not queued")
    .expect("busy is an answer, not an error");
    let SignInStep::Busy { retry_at } = refused else {
        panic!("a third sign-in beyond one running and one waiting is busy, got {refused:?}");
    };
    assert!(retry_at > w.flow.now(), "retry later");
    assert_eq!(
        w.flow.hasher().runs(),
        runs,
        "no hash for a refused sign-in"
    );
    assert!(
        w.events.take().is_empty(),
        "a refused sign-in is neither denied nor throttled"
    );

    gate.0.add_permits(2);
    let first = running.await.expect("joins").expect("signs in");
    assert!(!matches!(first, SignInStep::Busy { .. }), "{first:?}");
    let second = waiting.await.expect("joins").expect("answers");
    assert!(matches!(second, SignInStep::Denied), "{second:?}");

    // Room again: the next sign-in is checked.
    gate.0.add_permits(1);
    let again = w
        .flow
        .start(&w.login, "a wrong password", &w.client())
        .await
        .expect("answers");
    assert!(matches!(again, SignInStep::Denied), "{again:?}");
}
