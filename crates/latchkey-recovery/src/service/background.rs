//! Work the recovery service hands off the request path: the owner's
//! "a ticket was opened" notice (REQ-31, REQ-34).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

#[cfg(doc)]
use super::Recovery;

/// A job for [`Background::spawn`]: it owns everything it needs and never
/// fails (a failure is dropped inside the job, never returned to the
/// requester).
pub type BackgroundJob = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs jobs off the request path, on whatever runtime the host has.
///
/// [`Recovery::confirm`] sends the owner's "a ticket was opened" notice
/// through it, so that neither the time that mail takes nor its failure
/// shows in the requester's answer: the answer is the same, after the same
/// work, whether or not the login exists (REQ-31). Install one with
/// [`Recovery::with_background`]; with tokio:
///
/// ```
/// use latchkey_recovery::{Background, BackgroundJob};
///
/// #[derive(Debug)]
/// struct Tokio(tokio::runtime::Handle);
///
/// impl Background for Tokio {
///     fn spawn(&self, job: BackgroundJob) {
///         drop(self.0.spawn(job));
///     }
/// }
/// ```
///
/// `spawn` must return without waiting for the job, and must not block.
pub trait Background: fmt::Debug + Send + Sync + 'static {
    /// Starts `job` and returns at once; the job runs to completion later.
    fn spawn(&self, job: BackgroundJob);
}
