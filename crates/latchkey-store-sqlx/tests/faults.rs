//! A database that goes away gives errors, never panics, and leaves no
//! half-written state; a row the store cannot read is reported as
//! corrupt.
//!
//! SQLite: the pool is closed under the store. PostgreSQL (when
//! `LATCHKEY_TEST_POSTGRES_URL` is set): the store's session is terminated
//! by the server while it is inside a multi-statement transaction, held
//! there by a table lock another session takes; a fresh pool then finds
//! the state fully before the operation, and the same store, reconnected,
//! completes it.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use latchkey_challenge::{ChallengeKey, ChallengeStore};
use latchkey_cli_login::{CliLoginDecision, CliLoginStore};
use latchkey_core::{
    AccountId, EmailAddress, ManualClock, Pepper, RecordingMailer, SecurityStamp, StoreError,
};
use latchkey_credentials::CredentialStore;
use latchkey_devices::{DeviceId, DeviceStore, StampStore};
use latchkey_otp::{CodeRecord, IssueOutcome, MailedCodes, OtpStore, Purpose, SendReservation};
use latchkey_recovery::{
    Actor, AuditAction, AuditEntry, Evidence, EvidenceItem, Finding, LinkedIdentity, Provider,
    Ticket, TicketChange, TicketId, TicketState, TicketStore, Topic, Transition,
};
use latchkey_store_sqlx::{PostgresStore, SqliteStore, testing};
use latchkey_testkit::fresh_account;
use latchkey_throttle::{AttemptPolicy, ThrottleKey, ThrottleStore};
use latchkey_twofactor::TwoFactorStore;
use latchkey_webauthn::{KeyUse, SecurityKeyStore};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, PgConnection};
use time::{Duration, OffsetDateTime};

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid time")
}

fn is_unavailable<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Unavailable(_)))
}

fn is_corrupt<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Corrupt { .. }))
}

fn code(account: &AccountId) -> CodeRecord {
    CodeRecord {
        id: [1; 16],
        account: account.clone(),
        purpose: Purpose::SIGN_IN,
        digest: [2; 32],
        expires_at: t0() + Duration::minutes(10),
        max_attempts: 5,
        failed_attempts: 0,
    }
}

fn ticket() -> Ticket {
    let entry = AuditEntry {
        at: t0(),
        actor: Actor::Requester,
        action: AuditAction::Opened,
        note: None,
    };
    Ticket {
        id: TicketId::generate().expect("id"),
        login: latchkey_testkit::fresh_name("login"),
        account: Some(fresh_account()),
        contact: EmailAddress::parse("contact@example.com").expect("address"),
        topic: Topic::ResetEmail,
        evidence: Evidence {
            items: vec![EvidenceItem {
                offered: LinkedIdentity {
                    provider: Provider::GitHub,
                    user_id: "583231".into(),
                    handle: "jane".into(),
                    verified_at: t0(),
                },
                finding: Finding::Matches {
                    linked_at: t0() - Duration::days(400),
                },
            }],
        },
        state: TicketState::Submitted,
        version: 0,
        submitted_at: t0(),
        approvals: Vec::new(),
        approved_at: None,
        cancel_digest: Some([3; 32]),
        audit: vec![
            entry.clone(),
            AuditEntry {
                action: AuditAction::Note,
                note: Some("evidence attached".into()),
                ..entry
            },
        ],
    }
}

/// A migrated SQLite store on a fresh file, and what removes the file.
async fn sqlite() -> (SqliteStore, testing::Cleanup) {
    let (url, cleanup) = testing::sqlite_database().await;
    (testing::sqlite_store(&url).await, cleanup)
}

/// Every kind of call (single statements, write transactions, snapshot
/// reads, each trait) on a closed pool is `StoreError::Unavailable`.
#[tokio::test]
async fn sqlite_calls_on_a_closed_pool_are_unavailable_errors() {
    let (store, _cleanup) = sqlite().await;
    let account = fresh_account();
    store.put(code(&account)).await.expect("put");
    store.pool().close().await;

    assert!(is_unavailable(&store.find_by_login("jane").await));
    assert!(is_unavailable(&store.create("jane", &account, "$h").await));
    assert!(is_unavailable(
        &store
            .reserve_send(&account, t0(), Duration::MINUTE, 3)
            .await
    ));
    assert!(is_unavailable(
        &OtpStore::get(&store, &account, &Purpose::SIGN_IN).await
    ));
    assert!(is_unavailable(
        &store
            .consume(&account, &Purpose::SIGN_IN, &[1; 16], t0())
            .await
    ));
    assert!(is_unavailable(
        &store
            .record_failure(&account, &Purpose::SIGN_IN, &[1; 16])
            .await
    ));
    assert!(is_unavailable(
        &TwoFactorStore::load(&store, &account).await
    ));
    assert!(is_unavailable(
        &store
            .reserve(&ThrottleKey([0; 32]), t0(), AttemptPolicy::default())
            .await
    ));
    assert!(is_unavailable(&store.purge_idle(t0()).await));
    assert!(is_unavailable(
        &store
            .claim_replay_notice(&account, t0(), Duration::HOUR)
            .await
    ));
    assert!(is_unavailable(
        &store.advance_step(&account, &[1; 16], 7, 0).await
    ));
    assert!(is_unavailable(
        &store.use_recovery_code(&account, &[0; 32]).await
    ));
    assert!(is_unavailable(&store.insert(ticket()).await));
    assert!(is_unavailable(
        &TicketStore::get(&store, &TicketId([0; 16])).await
    ));
    assert!(is_unavailable(&store.take_draft(&[0; 16]).await));
    assert!(is_unavailable(
        &store
            .hit(&ThrottleKey([0; 32]), t0(), Duration::MINUTE)
            .await
    ));
    assert!(is_unavailable(
        &store.reserve_attempt(&ChallengeKey([0; 32]), t0()).await
    ));
    assert!(is_unavailable(
        &store.consume_challenge(&ChallengeKey([0; 32]), t0()).await
    ));
    assert!(is_unavailable(&store.get_device(&DeviceId([0; 16])).await));
    assert!(is_unavailable(
        &store.revoke_device(&account, &DeviceId([0; 16])).await
    ));
    assert!(is_unavailable(&store.list_devices(&account).await));
    assert!(is_unavailable(
        &store.stamp(&account, SecurityStamp([1; 16])).await
    ));
    assert!(is_unavailable(
        &store.rotate_stamp(&account, SecurityStamp([1; 16])).await
    ));
    assert!(is_unavailable(
        &store.pending_cli_login(&[0; 32], t0()).await
    ));
    assert!(is_unavailable(
        &store
            .decide_cli_login(&[0; 32], &CliLoginDecision::Deny, t0())
            .await
    ));
    assert!(is_unavailable(
        &store.poll_cli_login(&[0; 32], t0(), Duration::ZERO).await
    ));
    assert!(is_unavailable(&store.take_ceremony(&[0; 32], t0()).await));
    assert!(is_unavailable(&store.security_keys(&account).await));
    assert!(is_unavailable(
        &store
            .record_key_use(
                &account,
                &[0; 16],
                0,
                KeyUse {
                    passkey: "{}".to_owned(),
                    counter: 1,
                    backed_up: false,
                    backup_eligible: false,
                    at: t0(),
                },
            )
            .await
    ));
    assert!(is_unavailable(
        &store.remove_security_key(&account, &[0; 16]).await
    ));
    assert!(is_unavailable(&store.purge_expired_ceremonies(t0()).await));
}

/// The realistic case: a code is mailed, then the database goes away
/// before the user types it. Verifying (and issuing again) is an error the
/// host can handle; nothing panics.
#[tokio::test]
async fn mailed_codes_on_a_store_whose_pool_closed_fail_with_errors() {
    let (store, _cleanup) = sqlite().await;
    let pool = store.pool().clone();
    let mailer = Arc::new(RecordingMailer::new());
    let codes = MailedCodes::new(
        Arc::new(store),
        mailer.clone(),
        Arc::new(ManualClock::new(t0())),
        Pepper::from_bytes(&[42; 32]).expect("pepper"),
    );
    let jane = fresh_account();
    let address = EmailAddress::parse("jane@example.com").expect("address");
    let sent = codes
        .issue(&jane, &address, &Purpose::SIGN_IN)
        .await
        .expect("issue");
    assert!(matches!(sent, IssueOutcome::Sent { .. }), "{sent:?}");
    let typed = latchkey_testkit::code_in_last_mail(&mailer);

    pool.close().await;
    let verified = codes.verify(&jane, &Purpose::SIGN_IN, &typed).await;
    assert!(
        matches!(
            verified,
            Err(latchkey_otp::Error::Store(StoreError::Unavailable(_)))
        ),
        "{verified:?}"
    );
    let again = codes.issue(&jane, &address, &Purpose::SIGN_IN).await;
    assert!(again.is_err(), "{again:?}");
    assert_eq!(mailer.messages().len(), 1, "no mail without a stored code");
}

/// Rows the store cannot read back are `StoreError::Corrupt`, never a
/// panic or a wrong answer.
#[tokio::test]
async fn undecodable_rows_are_corrupt_errors() {
    let (store, _cleanup) = sqlite().await;
    let pool = store.pool();
    let account = fresh_account();
    for sql in [
        "INSERT INTO latchkey_codes VALUES ($1, 'sign-in', x'0102', x'00', 0, 5, 0)",
        "INSERT INTO latchkey_authenticators VALUES ($1, zeroblob(16), 'sideways', 'k1', \
         zeroblob(24), x'00', 'SHA1', 6, 30, 1, 0, 0)",
        "INSERT INTO latchkey_credentials VALUES ('', $1, '$h')",
        "INSERT INTO latchkey_challenges VALUES (zeroblob(32), $1, 'telepathy', NULL, 0, 0, 1, 0, \
         zeroblob(16))",
        "INSERT INTO latchkey_devices VALUES (zeroblob(16), $1, x'0102', zeroblob(16), 'l', 0, \
         NULL, NULL, 0)",
        "INSERT INTO latchkey_stamps VALUES ($1, x'00')",
        "INSERT INTO latchkey_throttle_backoff VALUES (zeroblob(32), -1, 0)",
        // Live until 2255: a user code that is none, then a claimed
        // session without its stamp.
        "INSERT INTO latchkey_cli_logins VALUES (zeroblob(32), randomblob(32), 'BCDF', NULL, 0, \
         9000000000000000000, 'pending', $1, NULL, NULL)",
        "INSERT INTO latchkey_cli_logins VALUES (randomblob(32), zeroblob(32), 'BCDF-GHJK', NULL, \
         0, 9000000000000000000, 'claimed', $1, NULL, NULL)",
        // Live until 2255: a ceremony for no known purpose, then a step-up
        // without its operation; a key whose counter is past u32::MAX.
        "INSERT INTO latchkey_webauthn_ceremonies VALUES (zeroblob(32), $1, 'telepathy', NULL, \
         NULL, '{}', 9000000000000000000)",
        "INSERT INTO latchkey_webauthn_ceremonies VALUES \
         (x'0101010101010101010101010101010101010101010101010101010101010101', $1, 'step-up', \
         NULL, NULL, '{}', 9000000000000000000)",
        "INSERT INTO latchkey_security_keys VALUES (zeroblob(16), $1, 'k', '{}', 4294967296, \
         FALSE, FALSE, 0, NULL)",
    ] {
        sqlx::query(sql)
            .bind(account.as_str())
            .execute(pool)
            .await
            .expect("insert a bad row");
    }
    sqlx::query(
        "INSERT INTO latchkey_tickets VALUES (zeroblob(16), 'l', NULL, 'not an address', \
         'reset-email', NULL, 'submitted', 0, 0, NULL, NULL)",
    )
    .execute(pool)
    .await
    .expect("insert a bad ticket");
    let noticed = fresh_account();
    sqlx::query("INSERT INTO latchkey_replay_notices VALUES ($1, 'yesterday')")
        .bind(noticed.as_str())
        .execute(pool)
        .await
        .expect("insert a bad notice");

    assert!(is_corrupt(
        &OtpStore::get(&store, &account, &Purpose::SIGN_IN).await
    ));
    assert!(is_corrupt(&TwoFactorStore::load(&store, &account).await));
    assert!(is_corrupt(&TwoFactorStore::load(&store, &noticed).await));
    assert!(is_corrupt(&store.find_by_login(account.as_str()).await));
    assert!(is_corrupt(
        &store.get_challenge(&ChallengeKey([0; 32])).await
    ));
    assert!(is_corrupt(&store.get_device(&DeviceId([0; 16])).await));
    assert!(is_corrupt(&store.list_devices(&account).await));
    assert!(is_corrupt(
        &store.stamp(&account, SecurityStamp([1; 16])).await
    ));
    assert!(is_corrupt(
        &store
            .reserve(&ThrottleKey([0; 32]), t0(), AttemptPolicy::default())
            .await
    ));
    assert!(is_corrupt(
        &TicketStore::get(&store, &TicketId([0; 16])).await
    ));
    assert!(is_corrupt(&store.pending_cli_login(&[0; 32], t0()).await));
    assert!(is_corrupt(
        &store.poll_cli_login(&[0; 32], t0(), Duration::ZERO).await
    ));
    assert!(is_corrupt(&store.take_ceremony(&[0; 32], t0()).await));
    assert!(is_corrupt(&store.take_ceremony(&[1; 32], t0()).await));
    assert!(is_corrupt(&store.security_keys(&account).await));
}

/// A PostgreSQL store whose sessions are named `application_name`, in
/// `schema`, and a session of its own on the same schema.
async fn postgres_parts(
    url: &str,
    schema: &str,
    application_name: &str,
) -> (PostgresStore, PgConnection) {
    let store = testing::postgres_store(url, schema, application_name).await;
    let options = PgConnectOptions::from_str(url)
        .expect("url")
        .options([("search_path", schema)]);
    let other = PgConnection::connect_with(&options).await.expect("connect");
    (store, other)
}

/// Runs `op` on a store while another session holds `table` in EXCLUSIVE
/// mode, so `op` stops inside its transaction at its first write to
/// `table`; then has the server terminate the store's session. Returns
/// what `op` returned and the store (its pool reconnects on next use).
async fn terminated_mid_transaction<T, F, Fut>(
    url: &str,
    schema: &str,
    table: &str,
    op: F,
) -> (Result<T, StoreError>, PostgresStore)
where
    T: Send + 'static,
    F: FnOnce(PostgresStore) -> Fut,
    Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
{
    let application_name = testing::fresh_ident("latchkey_fault");
    let (store, mut holder) = postgres_parts(url, schema, &application_name).await;
    holder.execute("BEGIN").await.expect("begin");
    holder
        .execute(format!("LOCK TABLE {table} IN EXCLUSIVE MODE").as_str())
        .await
        .expect("lock");
    let task = tokio::spawn(op(store.clone()));

    let mut admin = PgConnection::connect(url).await.expect("connect");
    let started = Instant::now();
    loop {
        let waiting: Option<(i32,)> = sqlx::query_as(
            "SELECT pid FROM pg_stat_activity \
             WHERE application_name = $1 AND wait_event_type = 'Lock'",
        )
        .bind(&application_name)
        .fetch_optional(&mut admin)
        .await
        .expect("pg_stat_activity");
        if waiting.is_some() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the operation never reached {table}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&application_name)
    .execute(&mut admin)
    .await
    .expect("terminate");
    let result = task.await.expect("the operation does not panic");
    holder.execute("ROLLBACK").await.expect("rollback");
    (result, store)
}

/// `reserve_send` (lock row, prune, count, insert) killed before its
/// insert: neither its lock row nor a send is left; afterwards the same
/// store reserves normally, once.
#[tokio::test]
async fn postgres_reserve_send_terminated_mid_transaction_leaves_no_trace() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (schema, _cleanup) = testing::postgres_schema(&url).await;
    let account = fresh_account();
    let a = account.clone();
    let (result, store) =
        terminated_mid_transaction(&url, &schema, "latchkey_code_sends", |s| async move {
            s.reserve_send(&a, t0(), Duration::MINUTE, 3).await
        })
        .await;
    assert!(is_unavailable(&result), "{result:?}");

    let fresh = testing::postgres_store(&url, &schema, "latchkey-fault-check").await;
    let count = |sql: &'static str| {
        let (pool, account) = (fresh.pool().clone(), account.clone());
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(account.as_str())
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM latchkey_code_sends WHERE account = $1").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM latchkey_locks WHERE name = $1").await,
        0
    );

    assert_eq!(
        store
            .reserve_send(&account, t0(), Duration::MINUTE, 3)
            .await
            .expect("the pool reconnects"),
        SendReservation::Reserved
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM latchkey_code_sends WHERE account = $1").await,
        1
    );
}

/// A ticket insert (ticket, approvals, evidence, audit entries) killed at
/// its audit entries: no ticket and no orphan evidence; the retry stores
/// it whole.
#[tokio::test]
async fn postgres_ticket_insert_terminated_mid_transaction_is_all_or_nothing() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (schema, _cleanup) = testing::postgres_schema(&url).await;
    let t = ticket();
    let inserting = t.clone();
    let (result, store) =
        terminated_mid_transaction(&url, &schema, "latchkey_ticket_audit", |s| async move {
            s.insert(inserting).await
        })
        .await;
    assert!(is_unavailable(&result), "{result:?}");

    let fresh = testing::postgres_store(&url, &schema, "latchkey-fault-check").await;
    assert_eq!(TicketStore::get(&fresh, &t.id).await.expect("get"), None);
    let orphans: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM latchkey_ticket_evidence WHERE ticket_id = $1")
            .bind(&t.id.0[..])
            .fetch_one(fresh.pool())
            .await
            .expect("count");
    assert_eq!(orphans, 0);

    store.insert(t.clone()).await.expect("the pool reconnects");
    assert_eq!(TicketStore::get(&fresh, &t.id).await.expect("get"), Some(t));
}

/// A transition (version bump, approvals, audit entry) killed at its audit
/// entry: the ticket is still at version 0, unchanged; the retry moves it.
#[tokio::test]
async fn postgres_transition_terminated_mid_transaction_changes_nothing() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (schema, _cleanup) = testing::postgres_schema(&url).await;
    let t = ticket();
    let fresh = testing::postgres_store(&url, &schema, "latchkey-fault-check").await;
    fresh.insert(t.clone()).await.expect("insert");
    let change = TicketChange {
        state: TicketState::InReview,
        approvals: vec!["alice".into()],
        approved_at: None,
    };
    let entry = AuditEntry {
        at: t0(),
        actor: Actor::Staff("alice".into()),
        action: AuditAction::Transition(Transition::StartReview),
        note: None,
    };
    let (id, c, e) = (t.id, change.clone(), entry.clone());
    let (result, store) =
        terminated_mid_transaction(&url, &schema, "latchkey_ticket_audit", |s| async move {
            s.transition(&id, 0, c, e).await
        })
        .await;
    assert!(is_unavailable(&result), "{result:?}");
    assert_eq!(
        TicketStore::get(&fresh, &t.id).await.expect("get"),
        Some(t.clone()),
        "fully before"
    );

    assert!(
        store
            .transition(&t.id, 0, change, entry)
            .await
            .expect("transition")
    );
    let after = TicketStore::get(&fresh, &t.id)
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(
        (
            after.version,
            after.state,
            after.approvals.len(),
            after.audit.len()
        ),
        (1, TicketState::InReview, 1, 3)
    );
}
