//! Fuzzes the references a client or a user types or sends outside the
//! sign-in form: a recovery ticket's reference (the withdraw link), a
//! command-line login's browser id and poll token (URL paths), its user
//! code, and the label a command line gives itself. None may panic;
//! whatever parses prints back to what parses the same; a kept label is
//! short and free of control characters.
#![no_main]

use latchkey::cli_login::{CliLoginId, PollToken, UserCode, client_label, CLIENT_LABEL_MAX};
use latchkey::recovery::TicketId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(ticket) = text.parse::<TicketId>() {
        let again: TicketId = ticket.to_string().parse().expect("round trip");
        assert_eq!(again, ticket);
    }
    if let Ok(id) = text.parse::<CliLoginId>() {
        assert_eq!(id.to_string(), text, "only the canonical text parses");
        assert_eq!(id.to_string().parse::<CliLoginId>().expect("round trip"), id);
    }
    if let Ok(poll) = text.parse::<PollToken>() {
        assert_eq!(poll.to_string().parse::<PollToken>().expect("round trip"), poll);
    }
    if let Ok(code) = text.parse::<UserCode>() {
        assert_eq!(code.to_string().parse::<UserCode>(), Ok(code));
        assert_eq!(code.to_string().to_ascii_uppercase(), text.to_ascii_uppercase());
    }
    if let Some(label) = client_label(&text) {
        assert!(label.chars().count() <= CLIENT_LABEL_MAX);
        assert!(!label.chars().any(char::is_control));
        assert_eq!(label.trim(), label);
    }
});
