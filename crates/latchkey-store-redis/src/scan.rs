//! Purging: `SCAN` over one kind of key under the prefix, one purge script
//! per key found (pipelined a page at a time), each deciding for its own
//! key. Every round trip has its own timeout.

use latchkey_core::StoreError;
use redis::Script;

use crate::RedisStore;

/// Keys asked for per `SCAN` round trip.
const SCAN_COUNT: u64 = 1_000;

impl RedisStore {
    /// Runs `script` with `arg` on every key matching `pattern`; returns
    /// the sum of its answers (how many records it deleted).
    pub(crate) async fn purge_each(
        &self,
        pattern: &str,
        script: &Script,
        arg: i64,
    ) -> Result<u64, StoreError> {
        let mut conn = self.conn();
        // Loaded once, so the pipelined EVALSHAs find it.
        let hash: String = self.run(script.load_async(&mut conn)).await?;
        let (mut cursor, mut purged) = (0_u64, 0_u64);
        loop {
            let (next, keys): (u64, Vec<String>) = self
                .run(
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(SCAN_COUNT)
                        .query_async(&mut conn),
                )
                .await?;
            if !keys.is_empty() {
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.cmd("EVALSHA").arg(&hash).arg(1).arg(key).arg(arg);
                }
                let counts: Vec<u64> = self.run(pipe.query_async(&mut conn)).await?;
                purged = purged.saturating_add(counts.iter().sum());
            }
            if next == 0 {
                return Ok(purged);
            }
            cursor = next;
        }
    }
}
