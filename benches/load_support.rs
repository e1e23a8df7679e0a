//! What the load benches share: mailboxes that keep each address's last
//! code, the process's peak memory, and what this machine's cores can
//! hash.

use std::time::Instant;

use latchkey::credentials::Hasher;
use latchkey_core::{MailError, Mailer, Message};

/// The password every bench account has.
pub const PASSWORD: &str = "violet umbrella sky";

/// Keeps the last code per address, as many mailboxes would.
#[derive(Debug, Default)]
pub struct Mailboxes(std::sync::Mutex<std::collections::HashMap<String, String>>);

impl Mailboxes {
    /// The last code mailed to `address`.
    pub fn code(&self, address: &str) -> String {
        self.0
            .lock()
            .expect("lock")
            .get(address)
            .cloned()
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Mailer for Mailboxes {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        let first = message.text.lines().next().unwrap_or_default();
        let code: String = first.chars().filter(char::is_ascii_digit).collect();
        self.0
            .lock()
            .expect("lock")
            .insert(message.to.as_str().to_owned(), code);
        Ok(())
    }
}

/// The process's peak resident memory (VmHWM), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak (VmHWM) to the memory in use now, so that a later
/// [`peak_rss_kib`] sees only what came after (Linux's `clear_refs`).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// What the default Argon2id costs here.
#[derive(Clone, Copy, Debug)]
pub struct Capacity {
    /// Cores.
    pub cores: usize,
    /// One verification alone, in seconds.
    pub hash_time: f64,
    /// Verifications per second with every core hashing at once (memory
    /// bandwidth and clock speed do not scale with cores).
    pub all_cores: f64,
}

impl Capacity {
    /// Measures it (about a second per core) with `hasher`: the flow's
    /// own, so the work memory its pool keeps is the memory the run
    /// reuses (a second hasher would leave its own behind).
    pub fn measure(hasher: &Hasher) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let phc = hasher.hash(PASSWORD).expect("hash");
        let started = Instant::now();
        for _ in 0..10 {
            let _ = std::hint::black_box(hasher.verify(PASSWORD, &phc).expect("verify"));
        }
        let hash_time = started.elapsed().as_secs_f64() / 10.0;
        let per_core = 20;
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..cores {
                scope.spawn(|| {
                    for _ in 0..per_core {
                        let _ =
                            std::hint::black_box(hasher.verify(PASSWORD, &phc).expect("verify"));
                    }
                });
            }
        });
        let all_cores = (cores * per_core) as f64 / started.elapsed().as_secs_f64();
        Self {
            cores,
            hash_time,
            all_cores,
        }
    }

    /// The CPU bound: cores / one hash's time.
    pub fn bound(&self) -> f64 {
        self.cores as f64 / self.hash_time
    }
}
