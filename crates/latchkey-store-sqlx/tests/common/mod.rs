//! The conformance suites' stores: several stores, each with its own pool
//! on the same fresh database (from `latchkey_store_sqlx::testing`),
//! taking turns call by call through the testkit's
//! [`CountingStore::spread`]. Every conformance case, the 64-way races
//! included, so runs as if on several service instances.

use std::sync::Arc;

use latchkey_store_sqlx::testing;
use latchkey_store_sqlx::{PostgresStore, SqliteStore};
use latchkey_testkit::CountingStore;

/// Separate pools (so separate connections) per test store.
pub const POOLS: usize = 4;

/// [`POOLS`] stores on one fresh SQLite file, removed when the last one
/// goes.
pub async fn sqlite() -> Arc<CountingStore<SqliteStore>> {
    let (url, cleanup) = testing::sqlite_database().await;
    let mut stores = Vec::new();
    for _ in 0..POOLS {
        stores.push(Arc::new(testing::sqlite_store(&url).await));
    }
    Arc::new(CountingStore::spread(stores).holding(cleanup))
}

/// [`POOLS`] stores on one fresh PostgreSQL schema, dropped when the last
/// one goes.
pub async fn postgres(url: String) -> Arc<CountingStore<PostgresStore>> {
    let (schema, cleanup) = testing::postgres_schema(&url).await;
    let mut stores = Vec::new();
    for i in 0..POOLS {
        let application_name = format!("latchkey-test-{i}");
        stores.push(Arc::new(
            testing::postgres_store(&url, &schema, &application_name).await,
        ));
    }
    Arc::new(CountingStore::spread(stores).holding(cleanup))
}
