//! The conformance suites' stores: several `RedisStore`s, each with its
//! own connection, under one fresh key prefix on the server in
//! `LATCHKEY_TEST_REDIS_URL`, taking turns call by call through the
//! testkit's `CountingStore::spread`. Every case, the 64-way races
//! included, so runs as if on several service instances; the prefix's keys
//! are deleted when the case's store goes.

use std::sync::Arc;

use latchkey_store_redis::{RedisStore, testing};
use latchkey_testkit::CountingStore;

/// Separate connections (so separate stores) per test store.
pub const CONNECTIONS: usize = 4;

/// [`CONNECTIONS`] stores on the server at `url` under a fresh prefix,
/// deleted when the last one goes.
pub async fn store(url: String) -> Arc<CountingStore<RedisStore>> {
    let prefix = testing::fresh_prefix();
    let cleanup = testing::Cleanup::new(&url, &prefix);
    let mut stores = Vec::new();
    for _ in 0..CONNECTIONS {
        let store = RedisStore::connect(&url, &prefix)
            .await
            .expect("connect to the test Redis");
        stores.push(Arc::new(store));
    }
    Arc::new(CountingStore::spread(stores).holding(cleanup))
}
