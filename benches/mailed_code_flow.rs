//! The mailed-code flow both store benches run through the `OtpStore`
//! trait (reserve a send, store the code, read it, consume it), shared by
//! `store_sqlx` and `store_redis` so both measure the same work.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use latchkey_core::AccountId;
use latchkey_otp::{CodeRecord, OtpStore, Purpose, SendReservation};
use time::{Duration, OffsetDateTime};

/// Unique accounts across every flow of the run.
static NEXT_ACCOUNT: AtomicU64 = AtomicU64::new(0);

/// An account no flow of this run has used.
pub fn fresh_account() -> AccountId {
    let n = NEXT_ACCOUNT.fetch_add(1, Ordering::Relaxed);
    AccountId::new(format!("bench-{n}")).expect("account id")
}

/// A code for `account`, valid for ten minutes from `now`.
pub fn record(account: &AccountId, now: OffsetDateTime) -> CodeRecord {
    CodeRecord {
        id: [7; 16],
        account: account.clone(),
        purpose: Purpose::SIGN_IN,
        digest: [9; 32],
        expires_at: now + Duration::minutes(10),
        max_attempts: 5,
        failed_attempts: 0,
    }
}

/// One issue + verify through the store trait, at `now`.
pub async fn store_flow(store: Arc<dyn OtpStore>, now: OffsetDateTime) {
    let account = fresh_account();
    let reserved = store
        .reserve_send(&account, now, Duration::MINUTE, 10)
        .await
        .expect("reserve_send");
    assert_eq!(reserved, SendReservation::Reserved);
    store.put(record(&account, now)).await.expect("put");
    let got = store
        .get(&account, &Purpose::SIGN_IN)
        .await
        .expect("get")
        .expect("record");
    assert!(
        store
            .consume(&account, &Purpose::SIGN_IN, &got.id, now)
            .await
            .expect("consume")
    );
}
