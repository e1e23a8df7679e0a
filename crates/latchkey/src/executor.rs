//! Where Argon2 runs by default: tokio's blocking pool.

use std::sync::Arc;

#[cfg(feature = "tokio")]
use async_trait::async_trait;
use latchkey_core::executor::BlockingExecutor;
#[cfg(not(feature = "tokio"))]
use latchkey_core::executor::Inline;
#[cfg(feature = "tokio")]
use latchkey_core::executor::{BlockingJob, ExecutorError};

/// Runs jobs on tokio's blocking pool (`tokio::task::spawn_blocking`).
#[cfg(feature = "tokio")]
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioBlocking;

#[cfg(feature = "tokio")]
#[async_trait]
impl BlockingExecutor for TokioBlocking {
    async fn run_blocking(&self, job: BlockingJob) -> Result<(), ExecutorError> {
        tokio::task::spawn_blocking(job)
            .await
            .map_err(ExecutorError::new)
    }
}

/// The default executor: [`TokioBlocking`] with the `tokio` feature,
/// otherwise [`Inline`](latchkey_core::executor::Inline).
#[must_use]
pub fn default_executor() -> Arc<dyn BlockingExecutor> {
    #[cfg(feature = "tokio")]
    {
        Arc::new(TokioBlocking)
    }
    #[cfg(not(feature = "tokio"))]
    {
        Arc::new(Inline)
    }
}
