//! For `fuzz/` only (feature `fuzzing`, not a public API): every row
//! decoder of this crate on rows made of arbitrary bytes, and the text
//! codecs of its enums. A decoder answers a record or
//! `StoreError::Corrupt`; it never panics, and a word that decodes is the
//! one its value encodes to (no two stored words mean one value).

use std::cell::Cell;

use latchkey_core::{AccountId, StoreError};
use latchkey_otp::Purpose;
use latchkey_recovery::{TicketId, TicketState, Transition};

use crate::codec::{self, Columns};
use crate::{
    challenges, cli_logins, codes, credentials, devices, security_keys, stamps, tickets, two_factor,
};

/// A row whose columns are read, in the order asked for, from bytes: a
/// nullable column takes a byte first (even: NULL); a text or byte
/// string takes a length byte and that many bytes (text that is not UTF-8
/// is a type mismatch); an integer takes 8 bytes, big-endian; a flag one
/// byte. A column past the end is missing.
struct BytesRow<'a> {
    rest: Cell<&'a [u8]>,
}

impl<'a> BytesRow<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self {
            rest: Cell::new(data),
        }
    }

    fn take(&self, n: usize, column: &str) -> Result<&'a [u8], StoreError> {
        let rest = self.rest.get();
        if rest.len() < n {
            return Err(StoreError::corrupt(format!("column {column} missing")));
        }
        let (taken, left) = rest.split_at(n);
        self.rest.set(left);
        Ok(taken)
    }

    fn present(&self, column: &str) -> Result<bool, StoreError> {
        Ok(self.take(1, column)?[0] % 2 == 1)
    }

    fn string(&self, column: &str) -> Result<&'a [u8], StoreError> {
        let n = self.take(1, column)?[0];
        self.take(usize::from(n), column)
    }
}

impl Columns for BytesRow<'_> {
    fn text(&self, column: &str) -> Result<String, StoreError> {
        String::from_utf8(self.string(column)?.to_vec())
            .map_err(|_| StoreError::corrupt(format!("column {column} is not text")))
    }
    fn text_opt(&self, column: &str) -> Result<Option<String>, StoreError> {
        if self.present(column)? {
            self.text(column).map(Some)
        } else {
            Ok(None)
        }
    }
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        let bytes = self.take(8, column)?;
        Ok(i64::from_be_bytes(bytes.try_into().expect("8 bytes")))
    }
    fn int_opt(&self, column: &str) -> Result<Option<i64>, StoreError> {
        if self.present(column)? {
            self.int(column).map(Some)
        } else {
            Ok(None)
        }
    }
    fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.string(column)?.to_vec())
    }
    fn bytes_opt(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.present(column)? {
            self.bytes(column).map(Some)
        } else {
            Ok(None)
        }
    }
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        Ok(self.take(1, column)?[0] % 2 == 1)
    }
}

/// Checks that a decoder's failure is a corrupt record, never another
/// kind of error.
fn corrupt_or_ok<T>(decoded: Result<T, StoreError>) {
    if let Err(e) = decoded {
        assert!(
            matches!(e, StoreError::Corrupt { .. }),
            "a bad row is a corrupt record, got {e:?}"
        );
    }
}

/// Runs one decoder, chosen by the first byte, on rows split from the
/// rest at each `0xFF` byte (the first is the main row; the others are a
/// ticket's approvals, evidence and audit rows, or a draft's identities).
pub fn rows(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.split(|&b| b == 0xff);
    let main = BytesRow::new(parts.next().unwrap_or_default());
    let others: Vec<BytesRow<'_>> = parts.map(BytesRow::new).collect();
    let account = AccountId::new("fuzz").expect("a valid id");
    match which % 14 {
        0 => corrupt_or_ok(challenges::challenge_from_row(&main)),
        1 => corrupt_or_ok(stamps::stamp_from_row(&main)),
        2 => corrupt_or_ok(codes::code_from_row(&main, &account, &Purpose::SIGN_IN)),
        3 => corrupt_or_ok(codes::recent_sends_from_row(&main)),
        4 => corrupt_or_ok(devices::device_from_row(&main)),
        5 => corrupt_or_ok(two_factor::two_factor_from_row(&main)),
        6 => corrupt_or_ok(credentials::credential_from_row(&main)),
        7 => corrupt_or_ok(tickets::draft_from_rows([7; 16], &main, &others)),
        8 => {
            let mut others = others.into_iter();
            let mut next = || others.next().into_iter().collect::<Vec<_>>();
            let rows = tickets::TicketRows {
                ticket: main,
                approvals: next(),
                evidence: next(),
                audit: next(),
            };
            corrupt_or_ok(tickets::ticket_from_rows(TicketId([9; 16]), &rows));
        }
        9 => corrupt_or_ok(cli_logins::cli_login_from_row(&main)),
        10 => corrupt_or_ok(cli_logins::polled_from_row(&main)),
        11 => corrupt_or_ok(security_keys::security_key_from_row(&main)),
        12 => corrupt_or_ok(security_keys::ceremony_from_row(&main)),
        _ => words(rest),
    }
}

/// The enums' stored words: what decodes encodes back to the same word.
fn words(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (word, detail) = text.split_once('\0').unwrap_or((text, ""));
    let detail = (!detail.is_empty()).then(|| detail.to_owned());
    if let Ok(state) = codec::state(word) {
        assert_eq!(codec::state_name(state), word);
    }
    if let Ok(provider) = codec::provider(word) {
        assert_eq!(codec::provider_name(&provider), word);
    }
    if let Ok(topic) = codec::topic(word, detail.clone()) {
        let (kind, details) = codec::topic_parts(&topic);
        assert_eq!((kind, details), (word, detail.as_deref()));
    }
    if let Ok(actor) = codec::actor(word, detail.clone()) {
        let (kind, staff) = codec::actor_parts(&actor);
        assert_eq!((kind, staff), (word, detail.as_deref()));
    }
    if let Ok(action) = codec::action(word, detail.clone()) {
        let (kind, moved) = codec::action_parts(&action);
        assert_eq!((kind, moved), (word, detail.as_deref()));
    }
    corrupt_or_ok(codec::mode(word));
    corrupt_or_ok(codec::algorithm(word));
    corrupt_or_ok(codec::user_code(word));
    corrupt_or_ok(codec::challenge_kind(word, detail.map(String::into_bytes)));
    // Every value's word decodes to it.
    for state in TicketState::ALL {
        assert_eq!(codec::state(codec::state_name(state)).ok(), Some(state));
    }
    for t in Transition::ALL {
        let (kind, moved) = codec::action_parts(&latchkey_recovery::AuditAction::Transition(t));
        assert!(codec::action(kind, moved.map(str::to_owned)).is_ok());
    }
}
