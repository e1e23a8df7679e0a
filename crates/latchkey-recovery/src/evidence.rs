//! Linked identities as evidence (REQ-35): a typed summary for staff, not
//! a verdict.

use std::fmt;

use async_trait::async_trait;
use latchkey_core::{AccountId, StoreError};
use time::OffsetDateTime;

use crate::{LinkedIdentity, Provider};

/// An identity the host linked to an account at some time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownLink {
    /// The provider.
    pub provider: Provider,
    /// The provider's immutable user id.
    pub user_id: String,
    /// When it was linked.
    pub linked_at: OffsetDateTime,
}

/// The host's record of identities linked to accounts.
#[async_trait]
pub trait LinkedIdentities: fmt::Debug + Send + Sync + 'static {
    /// Every identity linked to `account`, past and present.
    async fn linked(&self, account: &AccountId) -> Result<Vec<KnownLink>, StoreError>;
}

/// What one offered identity showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// Same provider and immutable id as an identity linked to the account
    /// before the ticket, since `linked_at`.
    Matches {
        /// When that identity was linked.
        linked_at: OffsetDateTime,
    },
    /// Linked to the account, but only after the ticket was opened: it
    /// proves nothing.
    LinkedAfterTicket,
    /// No identity of this provider and id is linked to the account. (A
    /// matching handle never counts.)
    NoMatch,
}

/// One offered identity and what it showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceItem {
    /// What the requester connected.
    pub offered: LinkedIdentity,
    /// What it showed.
    pub finding: Finding,
}

/// Every offered identity with its finding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// One item per offered identity.
    pub items: Vec<EvidenceItem>,
}

impl Evidence {
    /// Compares offered identities with the account's links, by provider
    /// and immutable user id only.
    ///
    /// ```
    /// use latchkey_recovery::{Evidence, Finding, KnownLink, LinkedIdentity, Provider};
    /// use time::{Duration, OffsetDateTime};
    /// let now = OffsetDateTime::now_utc();
    /// let links = [KnownLink { provider: Provider::GitHub, user_id: "583231".into(), linked_at: now - Duration::days(400) }];
    /// let offered = [LinkedIdentity {
    ///     provider: Provider::GitHub, user_id: "583231".into(), handle: "renamed".into(), verified_at: now,
    /// }];
    /// let evidence = Evidence::assess(&offered, &links, now);
    /// assert!(matches!(evidence.items[0].finding, Finding::Matches { .. }));
    /// ```
    #[must_use]
    pub fn assess(
        offered: &[LinkedIdentity],
        links: &[KnownLink],
        ticket_at: OffsetDateTime,
    ) -> Self {
        let items = offered
            .iter()
            .map(|identity| {
                let same = links
                    .iter()
                    .filter(|l| l.provider == identity.provider && l.user_id == identity.user_id);
                let earliest = same.map(|l| l.linked_at).min();
                let finding = match earliest {
                    Some(linked_at) if linked_at < ticket_at => Finding::Matches { linked_at },
                    Some(_) => Finding::LinkedAfterTicket,
                    None => Finding::NoMatch,
                };
                EvidenceItem {
                    offered: identity.clone(),
                    finding,
                }
            })
            .collect();
        Self { items }
    }

    /// How many offered identities match.
    #[must_use]
    pub fn matches(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.finding, Finding::Matches { .. }))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn at(days: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap() + Duration::days(days)
    }

    fn offered(provider: Provider, id: &str, handle: &str) -> LinkedIdentity {
        LinkedIdentity {
            provider,
            user_id: id.into(),
            handle: handle.into(),
            verified_at: at(0),
        }
    }

    #[test]
    fn req_35_matches_by_provider_and_immutable_id_never_by_handle() {
        let links = vec![
            KnownLink {
                provider: Provider::GitHub,
                user_id: "1".into(),
                linked_at: at(-100),
            },
            KnownLink {
                provider: Provider::Twitter,
                user_id: "2".into(),
                linked_at: at(-50),
            },
        ];
        let evidence = Evidence::assess(
            &[
                offered(Provider::GitHub, "1", "someone-else"),
                offered(Provider::GitHub, "2", "same-handle"),
                offered(Provider::Twitter, "1", "x"),
            ],
            &links,
            at(0),
        );
        assert_eq!(
            evidence.items[0].finding,
            Finding::Matches {
                linked_at: at(-100)
            }
        );
        assert_eq!(
            evidence.items[1].finding,
            Finding::NoMatch,
            "provider matters"
        );
        assert_eq!(evidence.items[2].finding, Finding::NoMatch, "id matters");
        assert_eq!(evidence.matches(), 1);
    }

    #[test]
    fn req_35_a_link_made_after_the_ticket_proves_nothing() {
        let links = vec![KnownLink {
            provider: Provider::GitHub,
            user_id: "1".into(),
            linked_at: at(1),
        }];
        let evidence = Evidence::assess(&[offered(Provider::GitHub, "1", "h")], &links, at(0));
        assert_eq!(evidence.items[0].finding, Finding::LinkedAfterTicket);
        assert_eq!(evidence.matches(), 0);
    }
}
