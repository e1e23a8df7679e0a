use std::error::Error as StdError;

use latchkey_core::StoreError;

/// A boxed cause, kept as an error's source so that the argon2 crate's
/// error types stay out of our public API.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong in latchkey-credentials.
///
/// A wrong password is not an error: it is
/// [`Verification::Mismatch`](crate::Verification::Mismatch) or
/// [`CheckOutcome::Denied`](crate::CheckOutcome::Denied). No message
/// quotes a password or a stored hash: they name the parameter at fault,
/// and the underlying library's error is kept as the [`source`].
///
/// [`source`]: std::error::Error::source
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Every hashing slot is taken and the queue before them is full
    /// ([`CredentialChecker::verify`](crate::CredentialChecker::verify)
    /// without an [`Admission`](crate::Admission)): try again in a moment.
    #[error("every hashing slot is busy and the queue is full; try again in a moment")]
    Busy,
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
    /// Hash settings, or a salt, that Argon2 itself refuses.
    #[error("invalid Argon2 settings: {reason}")]
    InvalidSettings {
        /// Which setting is wrong, and how.
        reason: &'static str,
        /// The argon2 crate's error, when it is the one that refused.
        #[source]
        source: Option<BoxError>,
    },
    /// The stored hash is not a PHC string latchkey can verify.
    #[error("malformed password hash: {reason}")]
    MalformedHash {
        /// What is wrong with it, without quoting it.
        reason: &'static str,
        /// The PHC parser's error, when it is the one that refused.
        #[source]
        source: Option<BoxError>,
    },
    /// The stored hash asks for more work than the verifier allows.
    #[error(
        "password hash exceeds the verifier's limits: {parameter}={value}{} is over the limit of {limit}{}",
        unit(.parameter),
        unit(.parameter)
    )]
    HashTooExpensive {
        /// The Argon2 parameter over its limit: `m` (memory in KiB), `t`
        /// (passes) or `p` (lanes).
        parameter: &'static str,
        /// What the stored hash asks for.
        value: u32,
        /// The most the verifier's [`VerifyLimits`](crate::VerifyLimits)
        /// allow.
        limit: u32,
    },
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
    #[error("Argon2 failed")]
    Hashing(#[source] BoxError),
    /// The operating system's random number generator failed.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
    /// The blocking executor did not run a hash to completion.
    #[error(transparent)]
    Executor(#[from] latchkey_core::executor::ExecutorError),
    /// The credential store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    /// [`Error::InvalidSettings`] without an underlying error.
    pub(crate) fn invalid_settings(reason: &'static str) -> Self {
        Self::InvalidSettings {
            reason,
            source: None,
        }
    }

    /// [`Error::MalformedHash`] without an underlying error.
    pub(crate) fn malformed(reason: &'static str) -> Self {
        Self::MalformedHash {
            reason,
            source: None,
        }
    }
}

/// The unit a cost parameter is counted in, as its messages print it.
fn unit(parameter: &str) -> &'static str {
    if parameter == "m" { " KiB" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_parameter_and_keep_the_cause() {
        let too_expensive = Error::HashTooExpensive {
            parameter: "m",
            value: 4_194_304,
            limit: 1 << 20,
        };
        assert_eq!(
            too_expensive.to_string(),
            "password hash exceeds the verifier's limits: m=4194304 KiB is over the limit of 1048576 KiB"
        );
        let passes = Error::HashTooExpensive {
            parameter: "t",
            value: 65,
            limit: 64,
        };
        assert_eq!(
            passes.to_string(),
            "password hash exceeds the verifier's limits: t=65 is over the limit of 64"
        );
        let hashing = Error::Hashing(Box::new(argon2::Error::OutOfMemory));
        assert_eq!(hashing.to_string(), "Argon2 failed");
        assert_eq!(
            StdError::source(&hashing).map(ToString::to_string),
            Some("out of memory".to_owned())
        );
    }
}
