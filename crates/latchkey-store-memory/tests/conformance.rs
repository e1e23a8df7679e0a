//! The memory store passes every public conformance suite.
use std::sync::Arc;

use latchkey_store_memory::MemoryStore;

latchkey_testkit::all_store_tests!(async { Arc::new(MemoryStore::new()) });
latchkey_testkit::cli_login_store_tests!(async { Arc::new(MemoryStore::new()) });
latchkey_testkit::security_key_store_tests!(async { Arc::new(MemoryStore::new()) });
