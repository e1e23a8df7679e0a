//! `latchkey migrate --database-url URL`: creates or updates latchkey's
//! tables (the migrations embedded in `latchkey-store-sqlx`).

use std::process::ExitCode;

use clap::Args;
use latchkey_store_sqlx::{MigrationReport, PostgresStore, SqliteStore};

/// Where to migrate.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// `sqlite://path/to/file.db?mode=rwc` (`mode=rwc` creates the file),
    /// or `postgres://user@host:5432/database`.
    #[arg(long, value_name = "URL")]
    database_url: String,
}

/// Connects, applies the migrations the database lacks, and prints what it
/// did, one line per applied migration.
pub async fn run(args: MigrateArgs) -> Result<ExitCode, String> {
    let url = args.database_url.as_str();
    let (backend, report) = if url.starts_with("sqlite:") {
        ("SQLite", migrate_sqlite(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        ("PostgreSQL", migrate_postgres(url).await?)
    } else {
        return Err("the database URL must start with sqlite: or postgres://".to_owned());
    };
    out!("{backend}: {report}");
    Ok(ExitCode::SUCCESS)
}

/// The error and its causes on one line. The URL (which may hold a
/// password) is never part of it.
fn describe(e: &latchkey_core::StoreError) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

async fn migrate_sqlite(url: &str) -> Result<MigrationReport, String> {
    let store = SqliteStore::connect(url).await.map_err(|e| describe(&e))?;
    let report = store.migrate().await.map_err(|e| describe(&e));
    store.pool().close().await;
    report
}

async fn migrate_postgres(url: &str) -> Result<MigrationReport, String> {
    let store = PostgresStore::connect(url)
        .await
        .map_err(|e| describe(&e))?;
    let report = store.migrate().await.map_err(|e| describe(&e));
    store.pool().close().await;
    report
}
