//! Where Argon2 runs: off the async executor, so a sign-in never stalls
//! the tasks around it.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

/// A job for [`BlockingExecutor::run_blocking`].
pub type BlockingJob = Box<dyn FnOnce() + Send + 'static>;

/// The blocking job did not run to completion (it panicked, or the
/// executor shut down). The executor's own error is kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("a blocking job did not complete")]
pub struct ExecutorError(#[source] pub Box<dyn std::error::Error + Send + Sync + 'static>);

impl ExecutorError {
    /// Wraps the executor's error.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Self(source.into())
    }
}

/// Runs CPU-heavy jobs (password hashing) where they cannot stall the
/// async executor. The `latchkey` facade's `TokioBlocking` uses tokio's
/// blocking pool; hosts on another runtime implement this, or use
/// [`Inline`] where blocking the caller is fine.
///
/// How many hashes run at once, and so how much memory they take, is
/// bounded by the hasher's in-flight limit (`latchkey_credentials::VerifyLimits`),
/// whatever the executor.
#[async_trait]
pub trait BlockingExecutor: fmt::Debug + Send + Sync + 'static {
    /// Runs `job` to completion.
    async fn run_blocking(&self, job: BlockingJob) -> Result<(), ExecutorError>;
}

/// Runs jobs on the calling thread (tests, CLIs, single-threaded hosts).
#[derive(Clone, Copy, Debug, Default)]
pub struct Inline;

#[async_trait]
impl BlockingExecutor for Inline {
    async fn run_blocking(&self, job: BlockingJob) -> Result<(), ExecutorError> {
        job();
        Ok(())
    }
}

/// Runs `f` on `executor` and returns its result.
///
/// ```
/// use latchkey_core::executor::{Inline, offload};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert_eq!(offload(&Inline, || 6 * 7).await?, 42);
/// # Ok::<(), latchkey_core::executor::ExecutorError>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// When the job did not run to completion.
pub async fn offload<T, F>(executor: &dyn BlockingExecutor, f: F) -> Result<T, ExecutorError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let slot = Arc::new(Mutex::new(None));
    let out = slot.clone();
    executor
        .run_blocking(Box::new(move || {
            let value = f();
            *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
        }))
        .await?;
    let value = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    value.ok_or_else(|| ExecutorError::new("the executor returned without running the job"))
}
