//! [`TicketStore`](latchkey_recovery::TicketStore): tickets in
//! `latchkey_tickets` with their approvals, evidence and append-only audit
//! trail in child tables; drafts in `latchkey_drafts` with their
//! identities; submissions per key in `latchkey_ticket_submissions` for
//! the cap.

use latchkey_core::{EmailAddress, StoreError};
use latchkey_recovery::{
    AuditEntry, Draft, Evidence, EvidenceItem, LinkedIdentity, Ticket, TicketId, ValidForm,
};

use crate::codec::{self, Columns};

/// A linked identity from a row with `provider`, `user_id`, `handle` and
/// `verified_at`.
fn identity_from_row(row: &impl Columns) -> Result<LinkedIdentity, StoreError> {
    Ok(LinkedIdentity {
        provider: codec::provider(&row.text("provider")?)?,
        user_id: row.text("user_id")?,
        handle: row.text("handle")?,
        verified_at: row.time("verified_at")?,
    })
}

/// A draft from its row (`login`, `contact`, `topic`, `details`,
/// `expires_at`) and its identities' rows, in order.
pub(crate) fn draft_from_rows<R: Columns>(
    id: [u8; 16],
    row: &R,
    identities: &[R],
) -> Result<Draft, StoreError> {
    let contact = row.text("contact")?;
    Ok(Draft {
        id,
        form: ValidForm {
            login: row.text("login")?,
            contact: EmailAddress::parse(&contact)
                .map_err(|_| StoreError::corrupt("draft contact address"))?,
            topic: codec::topic(&row.text("topic")?, row.text_opt("details")?)?,
            identities: identities
                .iter()
                .map(identity_from_row)
                .collect::<Result<_, _>>()?,
        },
        expires_at: row.time("expires_at")?,
    })
}

/// An evidence item from a row with the identity's columns, `finding`
/// and `linked_at`.
fn evidence_item_from_row(row: &impl Columns) -> Result<EvidenceItem, StoreError> {
    Ok(EvidenceItem {
        offered: identity_from_row(row)?,
        finding: codec::finding(&row.text("finding")?, row.time_opt("linked_at")?)?,
    })
}

/// An audit entry from a row with `at`, `actor`, `staff`, `action`,
/// `transition` and `note`.
fn audit_entry_from_row(row: &impl Columns) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: row.time("at")?,
        actor: codec::actor(&row.text("actor")?, row.text_opt("staff")?)?,
        action: codec::action(&row.text("action")?, row.text_opt("transition")?)?,
        note: row.text_opt("note")?,
    })
}

/// The rows a ticket is read from, each list in order.
pub(crate) struct TicketRows<R> {
    /// The `latchkey_tickets` row.
    pub(crate) ticket: R,
    /// `staff` of each approval.
    pub(crate) approvals: Vec<R>,
    /// Each evidence item.
    pub(crate) evidence: Vec<R>,
    /// Each audit entry.
    pub(crate) audit: Vec<R>,
}

/// A ticket from its rows.
pub(crate) fn ticket_from_rows<R: Columns>(
    id: TicketId,
    rows: &TicketRows<R>,
) -> Result<Ticket, StoreError> {
    let row = &rows.ticket;
    let contact = row.text("contact")?;
    Ok(Ticket {
        id,
        login: row.text("login")?,
        account: row.account_opt("account")?,
        contact: EmailAddress::parse(&contact)
            .map_err(|_| StoreError::corrupt("ticket contact address"))?,
        topic: codec::topic(&row.text("topic")?, row.text_opt("details")?)?,
        evidence: Evidence {
            items: rows
                .evidence
                .iter()
                .map(evidence_item_from_row)
                .collect::<Result<_, _>>()?,
        },
        state: codec::state(&row.text("state")?)?,
        version: row.narrow("version")?,
        submitted_at: row.time("submitted_at")?,
        approvals: rows
            .approvals
            .iter()
            .map(|r| r.text("staff"))
            .collect::<Result<_, _>>()?,
        approved_at: row.time_opt("approved_at")?,
        cancel_digest: row.array_opt("cancel_digest")?,
        audit: rows
            .audit
            .iter()
            .map(audit_entry_from_row)
            .collect::<Result<_, _>>()?,
    })
}

/// Implements `TicketStore` for `$store` on database `$db` (see
/// `crate::impl_stores!`).
macro_rules! impl_ticket_store {
    ($store:ident, $db:ty, $for_update:literal) => {
        const _: () = {
            use async_trait::async_trait;
            use latchkey_core::{AccountId, StoreError};
            use latchkey_recovery::{AuditEntry, Draft, Ticket, TicketChange, TicketId, TicketStore};
            use time::{Duration, OffsetDateTime};

            use $crate::codec::{self, Columns as _};
            use $crate::tickets::{TicketRows, draft_from_rows, ticket_from_rows};
            use $crate::{cutoff, int_of_u64, nanos, unavailable};

            type Tx = sqlx::Transaction<'static, $db>;

            /// The statements on a ticket's or a draft's child rows.
            impl $store {
                async fn put_approvals(
                    tx: &mut Tx,
                    id: &TicketId,
                    approvals: &[String],
                ) -> Result<(), StoreError> {
                    sqlx::query("DELETE FROM latchkey_ticket_approvals WHERE ticket_id = $1")
                        .bind(&id.0[..])
                        .execute(&mut **tx)
                        .await
                        .map_err(unavailable)?;
                    for (position, staff) in (0_i64..).zip(approvals) {
                        sqlx::query(
                            "INSERT INTO latchkey_ticket_approvals (ticket_id, position, staff) \
                             VALUES ($1, $2, $3)",
                        )
                        .bind(&id.0[..])
                        .bind(position)
                        .bind(staff.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    Ok(())
                }

                async fn append_audit(
                    tx: &mut Tx,
                    id: &TicketId,
                    entry: &AuditEntry,
                ) -> Result<(), StoreError> {
                    let (actor, staff) = codec::actor_parts(&entry.actor);
                    let (action, transition) = codec::action_parts(&entry.action);
                    sqlx::query(
                        "INSERT INTO latchkey_ticket_audit \
                         (ticket_id, at, actor, staff, action, transition, note) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&id.0[..])
                    .bind(nanos(entry.at)?)
                    .bind(actor)
                    .bind(staff)
                    .bind(action)
                    .bind(transition)
                    .bind(entry.note.as_deref())
                    .execute(&mut **tx)
                    .await
                    .map_err(unavailable)?;
                    Ok(())
                }

                /// The rows `sql` selects for ticket `id` inside `tx`.
                async fn child_rows(
                    tx: &mut Tx,
                    sql: &'static str,
                    id: &TicketId,
                ) -> Result<Vec<<$db as sqlx::Database>::Row>, StoreError> {
                    sqlx::query(sql)
                        .bind(&id.0[..])
                        .fetch_all(&mut **tx)
                        .await
                        .map_err(unavailable)
                }

                /// Reads a draft (with its identities) inside `tx`; with
                /// `lock`, locks its row for the rest of `tx`.
                async fn read_draft(
                    tx: &mut Tx,
                    id: &[u8; 16],
                    lock: bool,
                ) -> Result<Option<Draft>, StoreError> {
                    let sql = if lock {
                        concat!(
                            "SELECT login, contact, topic, details, expires_at \
                             FROM latchkey_drafts WHERE id = $1",
                            $for_update
                        )
                    } else {
                        "SELECT login, contact, topic, details, expires_at \
                         FROM latchkey_drafts WHERE id = $1"
                    };
                    let Some(row) = sqlx::query(sql)
                        .bind(&id[..])
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(unavailable)?
                    else {
                        return Ok(None);
                    };
                    let identities = sqlx::query(
                        "SELECT provider, user_id, handle, verified_at \
                         FROM latchkey_draft_identities WHERE draft_id = $1 ORDER BY position",
                    )
                    .bind(&id[..])
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(unavailable)?;
                    draft_from_rows(*id, &row, &identities).map(Some)
                }
            }

            #[async_trait]
            impl TicketStore for $store {
                async fn record_submission(
                    &self,
                    key: &str,
                    now: OffsetDateTime,
                    window: Duration,
                    cap: u32,
                ) -> Result<bool, StoreError> {
                    let at = nanos(now)?;
                    let mut tx = self.begin_write().await?;
                    Self::lock(&mut tx, "submission", key).await?;
                    sqlx::query(
                        "DELETE FROM latchkey_ticket_submissions \
                         WHERE submission_key = $1 AND at <= $2",
                    )
                    .bind(key)
                    .bind(cutoff(now, window))
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    let row = sqlx::query(
                        "SELECT COUNT(*) AS counted FROM latchkey_ticket_submissions \
                         WHERE submission_key = $1",
                    )
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    if row.int("counted")? >= i64::from(cap) {
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO latchkey_ticket_submissions (submission_key, at) \
                         VALUES ($1, $2)",
                    )
                    .bind(key)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(true)
                }

                async fn put_draft(&self, draft: Draft) -> Result<(), StoreError> {
                    let (topic, details) = codec::topic_parts(&draft.form.topic);
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO latchkey_drafts \
                         (id, login, contact, topic, details, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (id) DO UPDATE SET login = excluded.login, \
                         contact = excluded.contact, topic = excluded.topic, \
                         details = excluded.details, expires_at = excluded.expires_at",
                    )
                    .bind(&draft.id[..])
                    .bind(draft.form.login.as_str())
                    .bind(draft.form.contact.as_str())
                    .bind(topic)
                    .bind(details)
                    .bind(nanos(draft.expires_at)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    sqlx::query("DELETE FROM latchkey_draft_identities WHERE draft_id = $1")
                        .bind(&draft.id[..])
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    for (position, identity) in (0_i64..).zip(&draft.form.identities) {
                        sqlx::query(
                            "INSERT INTO latchkey_draft_identities \
                             (draft_id, position, provider, user_id, handle, verified_at) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(&draft.id[..])
                        .bind(position)
                        .bind(codec::provider_name(&identity.provider))
                        .bind(identity.user_id.as_str())
                        .bind(identity.handle.as_str())
                        .bind(nanos(identity.verified_at)?)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    tx.commit().await.map_err(unavailable)
                }

                async fn get_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
                    let mut tx = self.begin_read().await?;
                    let draft = Self::read_draft(&mut tx, id, false).await?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(draft)
                }

                async fn take_draft(&self, id: &[u8; 16]) -> Result<Option<Draft>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let Some(draft) = Self::read_draft(&mut tx, id, true).await? else {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(None);
                    };
                    sqlx::query("DELETE FROM latchkey_draft_identities WHERE draft_id = $1")
                        .bind(&id[..])
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    // The decision: the delete of the draft's row.
                    let taken = sqlx::query("DELETE FROM latchkey_drafts WHERE id = $1")
                        .bind(&id[..])
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    if taken.rows_affected() != 1 {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(None);
                    }
                    tx.commit().await.map_err(unavailable)?;
                    Ok(Some(draft))
                }

                async fn insert(&self, ticket: Ticket) -> Result<(), StoreError> {
                    let (topic, details) = codec::topic_parts(&ticket.topic);
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO latchkey_tickets (id, login, account, contact, topic, \
                         details, state, version, submitted_at, approved_at, cancel_digest) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(&ticket.id.0[..])
                    .bind(ticket.login.as_str())
                    .bind(ticket.account.as_ref().map(AccountId::as_str))
                    .bind(ticket.contact.as_str())
                    .bind(topic)
                    .bind(details)
                    .bind(codec::state_name(ticket.state))
                    .bind(int_of_u64(ticket.version, "ticket version")?)
                    .bind(nanos(ticket.submitted_at)?)
                    .bind(ticket.approved_at.map(nanos).transpose()?)
                    .bind(ticket.cancel_digest.as_ref().map(|d| &d[..]))
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    Self::put_approvals(&mut tx, &ticket.id, &ticket.approvals).await?;
                    for (position, item) in (0_i64..).zip(&ticket.evidence.items) {
                        let (finding, linked_at) = codec::finding_parts(&item.finding);
                        sqlx::query(
                            "INSERT INTO latchkey_ticket_evidence (ticket_id, position, \
                             provider, user_id, handle, verified_at, finding, linked_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        )
                        .bind(&ticket.id.0[..])
                        .bind(position)
                        .bind(codec::provider_name(&item.offered.provider))
                        .bind(item.offered.user_id.as_str())
                        .bind(item.offered.handle.as_str())
                        .bind(nanos(item.offered.verified_at)?)
                        .bind(finding)
                        .bind(linked_at.map(nanos).transpose()?)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    }
                    for entry in &ticket.audit {
                        Self::append_audit(&mut tx, &ticket.id, entry).await?;
                    }
                    tx.commit().await.map_err(unavailable)
                }

                async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
                    let mut tx = self.begin_read().await?;
                    let Some(ticket) = sqlx::query(
                        "SELECT login, account, contact, topic, details, state, version, \
                         submitted_at, approved_at, cancel_digest \
                         FROM latchkey_tickets WHERE id = $1",
                    )
                    .bind(&id.0[..])
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?
                    else {
                        tx.commit().await.map_err(unavailable)?;
                        return Ok(None);
                    };
                    let approvals = Self::child_rows(
                        &mut tx,
                        "SELECT staff FROM latchkey_ticket_approvals \
                         WHERE ticket_id = $1 ORDER BY position",
                        id,
                    )
                    .await?;
                    let evidence = Self::child_rows(
                        &mut tx,
                        "SELECT provider, user_id, handle, verified_at, finding, linked_at \
                         FROM latchkey_ticket_evidence WHERE ticket_id = $1 ORDER BY position",
                        id,
                    )
                    .await?;
                    let audit = Self::child_rows(
                        &mut tx,
                        "SELECT at, actor, staff, action, transition, note \
                         FROM latchkey_ticket_audit WHERE ticket_id = $1 ORDER BY seq",
                        id,
                    )
                    .await?;
                    tx.commit().await.map_err(unavailable)?;
                    let rows = TicketRows {
                        ticket,
                        approvals,
                        evidence,
                        audit,
                    };
                    ticket_from_rows(*id, &rows).map(Some)
                }

                async fn transition(
                    &self,
                    id: &TicketId,
                    expected_version: u64,
                    change: TicketChange,
                    entry: AuditEntry,
                ) -> Result<bool, StoreError> {
                    let Ok(expected) = i64::try_from(expected_version) else {
                        return Ok(false); // no stored version is that large
                    };
                    let approved_at = change.approved_at.map(nanos).transpose()?;
                    let mut tx = self.begin_write().await?;
                    // The compare-and-set; on PostgreSQL it also locks the row
                    // until the transaction ends.
                    let moved = sqlx::query(
                        "UPDATE latchkey_tickets \
                         SET state = $3, approved_at = $4, version = version + 1 \
                         WHERE id = $1 AND version = $2",
                    )
                    .bind(&id.0[..])
                    .bind(expected)
                    .bind(codec::state_name(change.state))
                    .bind(approved_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    if moved.rows_affected() != 1 {
                        tx.rollback().await.map_err(unavailable)?;
                        return Ok(false);
                    }
                    Self::put_approvals(&mut tx, id, &change.approvals).await?;
                    Self::append_audit(&mut tx, id, &entry).await?;
                    tx.commit().await.map_err(unavailable)?;
                    Ok(true)
                }

                async fn append_note(
                    &self,
                    id: &TicketId,
                    entry: AuditEntry,
                ) -> Result<bool, StoreError> {
                    let (actor, staff) = codec::actor_parts(&entry.actor);
                    let (action, transition) = codec::action_parts(&entry.action);
                    // One statement: appended only if the ticket exists.
                    let done = sqlx::query(
                        "INSERT INTO latchkey_ticket_audit \
                         (ticket_id, at, actor, staff, action, transition, note) \
                         SELECT id, $2, $3, $4, $5, $6, $7 FROM latchkey_tickets WHERE id = $1",
                    )
                    .bind(&id.0[..])
                    .bind(nanos(entry.at)?)
                    .bind(actor)
                    .bind(staff)
                    .bind(action)
                    .bind(transition)
                    .bind(entry.note.as_deref())
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                    Ok(done.rows_affected() == 1)
                }
            }
        };
    };
}

pub(crate) use impl_ticket_store;
