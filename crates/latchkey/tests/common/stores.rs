//! One test body on every store: the memory store, SQLite and PostgreSQL
//! (through `latchkey_store_sqlx::testing`; the PostgreSQL case prints the
//! module's `SKIPPED: ...` line and returns when its variable is unset).

use std::sync::Arc;

use latchkey::{AllStores, Inline};
use latchkey_store_sqlx::testing::{self, Cleanup};

use super::World;

/// Jane's world on `store`, under a fresh login.
pub async fn on_store<S: AllStores>(store: Arc<S>) -> World {
    let login = latchkey_testkit::fresh_name("jane");
    World::with_login(|b| b.store(store).executor(Arc::new(Inline)), &login).await
}

/// Jane's world on a throwaway SQLite database (removed when the
/// [`Cleanup`] drops).
pub async fn sqlite() -> (World, Cleanup) {
    let (url, cleanup) = testing::sqlite_database().await;
    let store = Arc::new(testing::sqlite_store(&url).await);
    (on_store(store).await, cleanup)
}

/// Jane's world on a throwaway PostgreSQL schema, or `None` (after the
/// `SKIPPED: ...` line) when no server is configured.
pub async fn postgres() -> Option<(World, Cleanup)> {
    let url = testing::postgres_url()?;
    let (schema, cleanup) = testing::postgres_schema(&url).await;
    let store = Arc::new(testing::postgres_store(&url, &schema, "latchkey-facade-tests").await);
    Some((on_store(store).await, cleanup))
}

/// For each `name`, an `async fn name(w: World)` in the calling file, runs
/// it as three tests: `name::on_memory`, `name::on_sqlite` and
/// `name::on_postgres`.
#[allow(unused_macros)]
macro_rules! on_every_store {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use crate::common::{World, stores};

            #[tokio::test]
            async fn on_memory() {
                super::$name(World::new().await).await;
            }

            #[tokio::test]
            async fn on_sqlite() {
                let (w, _cleanup) = stores::sqlite().await;
                super::$name(w).await;
            }

            #[tokio::test]
            async fn on_postgres() {
                let Some((w, _cleanup)) = stores::postgres().await else {
                    return;
                };
                super::$name(w).await;
            }
        }
    )+};
}
