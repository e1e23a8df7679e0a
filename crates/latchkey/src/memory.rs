//! A whole flow in process, for tests, examples and trying latchkey out.

use std::sync::Arc;

use latchkey_core::RecordingMailer;
use latchkey_store_memory::MemoryStore;

use crate::{Error, InMemoryAccounts, Keys, SignIn};

impl SignIn {
    /// A whole working flow in one line, **for tests and examples only**:
    /// every store in memory, an in-memory account book, random keys that
    /// die with the process, and a mailer that keeps each mail for you to
    /// read (returned beside the flow). Sign up with
    /// [`register`](Self::register).
    ///
    /// ```
    /// use latchkey::prelude::*;
    /// let (flow, mail) = SignIn::in_memory("Example")?;
    /// # let _ = (flow, mail);
    /// # Ok::<(), latchkey::Error>(())
    /// ```
    ///
    /// # Errors
    /// When the OS random generator or Argon2 fails.
    pub fn in_memory(issuer: &str) -> Result<(Self, Arc<RecordingMailer>), Error> {
        let mailer = Arc::new(RecordingMailer::new());
        let store = Arc::new(MemoryStore::new());
        let flow = Self::builder(issuer, Keys::ephemeral()?)
            .store(store.clone())
            .cli_login_store(store)
            .accounts(Arc::new(InMemoryAccounts::new()))
            .mailer(mailer.clone())
            .build()?;
        Ok((flow, mailer))
    }
}
