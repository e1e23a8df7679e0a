//! The wiring a service ships: latchkey's tables in PostgreSQL or SQLite,
//! mail over SMTP, keys from the environment, the host's own users table
//! behind `Accounts`, and security events into `tracing` (the default
//! sink; install any `tracing` subscriber to see them).
//!
//! ```sh
//! export DATABASE_URL=postgres://app@db/app         # or sqlite://app.db?mode=rwc
//! export LATCHKEY_PEPPER=$(openssl rand -hex 32)     # keep both in your secret manager,
//! export LATCHKEY_ENCRYPTION_KEY=$(openssl rand -hex 32)  # never in the database
//! export SMTP_HOST=smtp.example.com SMTP_FROM=no-reply@example.com  # else mail is printed
//! cargo run -p latchkey-examples --example production
//! ```
#![allow(clippy::print_stdout, reason = "an example says what it does")]

use std::sync::Arc;

use latchkey::prelude::*;
use latchkey_mail_smtp::{SmtpMailer, SmtpSettings};
use latchkey_store_sqlx::sqlx::{self, PgPool, Row, SqlitePool};
use latchkey_store_sqlx::{PostgresStore, SqliteStore};

/// What the service reads at start.
struct Config {
    database_url: String,
    pepper: Pepper,
    encryption_key: EncryptionKey,
    mailer: Arc<dyn Mailer>,
}

/// The host's own users table: latchkey asks it for addresses only.
#[derive(Debug, Clone)]
enum Users {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

const CREATE_USERS: &str =
    "CREATE TABLE IF NOT EXISTS app_users (account TEXT PRIMARY KEY, email TEXT NOT NULL)";
const SELECT_EMAIL: &str = "SELECT email FROM app_users WHERE account = $1";
const UPSERT_EMAIL: &str = "INSERT INTO app_users (account, email) VALUES ($1, $2) \
     ON CONFLICT (account) DO UPDATE SET email = excluded.email";

fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::unavailable(e)
}

#[async_trait]
impl Accounts for Users {
    async fn address(&self, account: &AccountId) -> Result<Option<EmailAddress>, StoreError> {
        let row = match self {
            Self::Sqlite(pool) => sqlx::query(SELECT_EMAIL)
                .bind(account.as_str())
                .fetch_optional(pool)
                .await
                .map_err(unavailable)?
                .map(|r| r.try_get::<String, _>("email")),
            Self::Postgres(pool) => sqlx::query(SELECT_EMAIL)
                .bind(account.as_str())
                .fetch_optional(pool)
                .await
                .map_err(unavailable)?
                .map(|r| r.try_get::<String, _>("email")),
        };
        let Some(email) = row.transpose().map_err(unavailable)? else {
            return Ok(None);
        };
        EmailAddress::parse(&email)
            .map(Some)
            .map_err(|_| StoreError::corrupt("app_users.email"))
    }

    async fn set_address(&self, account: &AccountId, to: &EmailAddress) -> Result<(), StoreError> {
        let (account, to) = (account.as_str(), to.as_str());
        match self {
            Self::Sqlite(pool) => {
                let query = sqlx::query(UPSERT_EMAIL).bind(account).bind(to);
                query.execute(pool).await.map(drop)
            }
            Self::Postgres(pool) => {
                let query = sqlx::query(UPSERT_EMAIL).bind(account).bind(to);
                query.execute(pool).await.map(drop)
            }
        }
        .map_err(unavailable)
    }
}

/// Opens the database (latchkey's migrations and the host's table) and
/// builds the flow on it.
async fn wire(config: Config) -> Result<SignIn, Box<dyn std::error::Error>> {
    let keys = Keys::new(config.pepper).with_encryption_key(config.encryption_key);
    let builder = SignIn::builder("Example", keys).mailer(config.mailer);
    let (builder, users) = if config.database_url.starts_with("postgres") {
        let store = PostgresStore::connect(&config.database_url).await?;
        store.migrate().await?;
        let users = Users::Postgres(store.pool().clone());
        (builder.store(Arc::new(store)), users)
    } else {
        let store = SqliteStore::connect(&config.database_url).await?;
        store.migrate().await?;
        let users = Users::Sqlite(store.pool().clone());
        (builder.store(Arc::new(store)), users)
    };
    match &users {
        Users::Sqlite(pool) => sqlx::query(CREATE_USERS).execute(pool).await.map(drop),
        Users::Postgres(pool) => sqlx::query(CREATE_USERS).execute(pool).await.map(drop),
    }?;
    Ok(builder.accounts(Arc::new(users)).build()?)
}

fn key_from_env(name: &str) -> Result<[u8; 32], String> {
    let hex = std::env::var(name).map_err(|_| format!("set {name} to 64 hex digits"))?;
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.trim().as_bytes())
        .map_err(|_| format!("{name} is not hex"))?;
    bytes
        .try_into()
        .map_err(|_| format!("{name} must be 32 bytes"))
}

fn config_from_env() -> Result<Config, Box<dyn std::error::Error>> {
    let mailer: Arc<dyn Mailer> = match std::env::var("SMTP_HOST") {
        Ok(host) => {
            let from = std::env::var("SMTP_FROM").unwrap_or_else(|_| "no-reply@localhost".into());
            Arc::new(SmtpMailer::new(SmtpSettings::new(
                host,
                EmailAddress::parse(&from)?,
            ))?)
        }
        Err(_) => Arc::new(ConsoleMailer),
    };
    Ok(Config {
        database_url: std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "sqlite://latchkey-production-example.sqlite3?mode=rwc".into()),
        pepper: Pepper::from_bytes(&key_from_env("LATCHKEY_PEPPER")?)?,
        encryption_key: EncryptionKey::new(
            KeyId::new("2026-12")?,
            key_from_env("LATCHKEY_ENCRYPTION_KEY")?,
        ),
        mailer,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flow = wire(config_from_env()?).await?;
    println!("latchkey is wired: {flow:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_production_wiring_signs_in_on_sqlite_with_the_hosts_users_table() {
        let dir = std::env::temp_dir().join(latchkey_testkit::fresh_name("latchkey-production"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mail = Arc::new(RecordingMailer::new());
        let config = Config {
            database_url: format!("sqlite://{}?mode=rwc", dir.join("app.db").display()),
            pepper: Pepper::generate().expect("pepper"),
            encryption_key: EncryptionKey::generate(KeyId::new("test").expect("id")).expect("key"),
            mailer: mail.clone(),
        };
        let flow = wire(config).await.expect("wired");
        let registered = flow
            .register("jane", "jane@example.com", "violet umbrella sky")
            .await
            .expect("register");
        assert!(
            matches!(registered, Registered::Created { .. }),
            "{registered:?}"
        );
        let client = ClientContext::new();
        let SignInStep::MailedCodeSent {
            challenge,
            masked_address,
            ..
        } = flow
            .start("jane", "violet umbrella sky", &client)
            .await
            .expect("start")
        else {
            panic!("a mailed code");
        };
        // The address came out of the host's own table.
        assert_eq!(masked_address, "j***@example.com");
        let code = mail.last_code().expect("a code");
        let done = flow
            .submit(&challenge, Answer::MailedCode(&code), &client)
            .await
            .expect("submit");
        assert!(matches!(done, Submitted::SignedIn(_)), "{done:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
