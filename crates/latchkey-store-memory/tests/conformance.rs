//! The memory store passes the public conformance suite.
use std::sync::Arc;

use latchkey_credentials::CredentialStore;
use latchkey_store_memory::MemoryStore;

latchkey_testkit::credential_store_tests!(async {
    Arc::new(MemoryStore::new()) as Arc<dyn CredentialStore>
});

latchkey_testkit::otp_store_tests!(async {
    Arc::new(MemoryStore::new()) as Arc<dyn latchkey_otp::OtpStore>
});

latchkey_testkit::twofactor_store_tests!(async {
    Arc::new(MemoryStore::new()) as Arc<dyn latchkey_twofactor::TwoFactorStore>
});

latchkey_testkit::ticket_store_tests!(async {
    Arc::new(MemoryStore::new()) as Arc<dyn latchkey_recovery::TicketStore>
});

latchkey_testkit::challenge_store_tests!(async {
    Arc::new(MemoryStore::new()) as Arc<dyn latchkey::ChallengeStore>
});

latchkey_testkit::throttle_store_tests!(async {
    Arc::new(MemoryStore::new()) as Arc<dyn latchkey::ThrottleStore>
});
