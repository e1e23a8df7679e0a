//! Security events: what they say, and that no secret reaches them (or
//! any `Debug` output of the flow's values).

mod common;

use common::{World, signed_in};
use latchkey::Answer;
use latchkey::testing::PASSWORD;
use latchkey_testkit::code_in_last_mail;

#[tokio::test]
async fn no_secret_reaches_events_or_debug() {
    let w = World::new().await;
    let challenge = w.mailed_challenge().await;
    let code = code_in_last_mail(&w.mailer);
    let done = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await);
    let _ = w
        .flow
        .start("jane", "hunter2 wrong", &w.client())
        .await
        .unwrap();
    let token = done.device_token.clone().unwrap();
    let dumped = format!(
        "{:?} {:?} {:?} {:?} {:?}",
        w.events.events(),
        done,
        challenge,
        w.flow,
        w.client().with_device_token(token.clone())
    );
    for secret in [PASSWORD, "hunter2", &code, &challenge.to_string(), &token] {
        assert!(!dumped.contains(secret), "{secret:?} leaked into {dumped}");
    }
}
