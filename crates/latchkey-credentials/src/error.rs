use latchkey_core::StoreError;

/// What went wrong in latchkey-credentials.
///
/// A wrong password is not an error: it is
/// [`Verification::Mismatch`](crate::Verification::Mismatch) or
/// [`CheckOutcome::Denied`](crate::CheckOutcome::Denied).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Hash settings below the OWASP floor, without the explicit opt-in.
    #[error(
        "Argon2 settings m={memory_kib} KiB, t={iterations}, p={parallelism} are below the floor \
         (m >= 19456 KiB, t >= 2, p >= 1); use HashSettings::below_floor to opt in explicitly"
    )]
    BelowFloor {
        /// Memory in KiB.
        memory_kib: u32,
        /// Passes over memory.
        iterations: u32,
        /// Lanes.
        parallelism: u32,
    },
    /// Hash settings that Argon2 itself refuses.
    #[error("invalid Argon2 settings: {0}")]
    InvalidSettings(String),
    /// The stored hash is not a PHC string latchkey can verify.
    #[error("malformed password hash: {0}")]
    MalformedHash(String),
    /// The stored hash asks for more work than the verifier allows.
    #[error("password hash exceeds the verifier's limits: {0}")]
    HashTooExpensive(String),
    /// The password is longer than 128 code points (REQ-02), or its raw
    /// input is longer than 4096 bytes.
    #[error("password too long: at most {max} characters are accepted")]
    PasswordTooLong {
        /// The most code points accepted.
        max: usize,
    },
    /// The login is empty or longer than the store accepts.
    #[error("invalid login: {0}")]
    InvalidLogin(&'static str),
    /// Argon2 failed while hashing (out of memory, say).
    #[error("Argon2 failed: {0}")]
    Hashing(String),
    /// The operating system's random number generator failed.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
    /// The credential store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
