//! Remembered devices (REQ-48): server-side records that skip the mailed
//! code, which the owner lists, renames and revokes; an opaque token; one
//! browser holding a token per account; the cookies that carry them. The
//! revocation cases run on the memory store, SQLite and PostgreSQL.

#[macro_use]
mod common;

use common::{PAST_COOLDOWN, World, done, needs_fresh, signed_in};
use latchkey::core::{AccountId, Clock};
use latchkey::devices::{DeviceId, DeviceToken};
use latchkey::testing::{Fixture, PASSWORD};
use latchkey::{
    Answer, ClientContext, DeviceCookie, Method, Reauthenticate, Reauthenticated, SecurityEvent,
    SignInStep,
};
use latchkey_testkit::{code_in_last_mail, fresh_name};
use time::Duration;

fn laptop() -> ClientContext {
    ClientContext::new()
        .with_client("203.0.113.7")
        .with_device_label("Firefox on Linux")
}

/// Whether a sign-in from `ctx` with `login` and the password is enough
/// (the device is recognized) rather than mailing a code. The clock moves
/// past the resend cooldown first.
async fn recognized_as(w: &World, login: &str, ctx: &ClientContext) -> bool {
    w.clock.advance(PAST_COOLDOWN);
    match w.flow.start(login, PASSWORD, ctx).await.expect("start") {
        SignInStep::SignedIn(done) => {
            assert_eq!(done.method, Method::Password);
            assert_eq!(done.device_token, None, "the password alone renews nothing");
            true
        }
        SignInStep::MailedCodeSent { .. } => false,
        other => panic!("expected a sign-in or a mailed code, got {other:?}"),
    }
}

async fn recognized(w: &World, ctx: &ClientContext) -> bool {
    recognized_as(w, &w.login, ctx).await
}

async fn req48_a_remembered_device_skips_the_mailed_code_until_revoked(w: World) {
    let done = w.sign_in_from(&laptop()).await;
    let remembered_at = w.clock.now();
    let token = done
        .device_token
        .clone()
        .expect("a verified code remembers the device");
    assert!(w.events.events().iter().any(|e| matches!(
        e,
        SecurityEvent::DeviceRemembered { account, .. } if *account == w.jane
    )));
    // The same browser, from another network: the password alone.
    let cafe = ClientContext::new()
        .with_client("198.51.100.4")
        .with_device_token(token);
    let mails = w.mailer.messages().len();
    assert!(recognized(&w, &cafe).await);
    let used_at = w.clock.now();
    assert_eq!(w.mailer.messages().len(), mails, "no code is mailed");
    // The owner's list: label, created, last used, last client.
    let devices = w.flow.devices(&w.jane).await.unwrap();
    assert_eq!(devices.len(), 1, "{devices:?}");
    let device = &devices[0];
    assert_eq!(device.label, "Firefox on Linux");
    assert_eq!(device.created_at, remembered_at);
    assert_eq!(device.last_used_at, Some(used_at));
    assert_eq!(device.last_client.as_deref(), Some("198.51.100.4"));
    assert_eq!(device.expires_at, remembered_at + Duration::days(90));
    // Revoked (once): its token gets the mailed code again.
    assert!(w.flow.revoke_device(&w.jane, &device.id).await.unwrap());
    assert!(!w.flow.revoke_device(&w.jane, &device.id).await.unwrap());
    assert!(w.events.events().contains(&SecurityEvent::DevicesRevoked {
        account: w.jane.clone(),
        count: 1
    }));
    assert!(w.flow.devices(&w.jane).await.unwrap().is_empty());
    assert!(
        !recognized(&w, &cafe).await,
        "a revoked device is not recognized"
    );
}

async fn req48_a_device_is_renamed_and_revoked_only_by_its_owners_account(w: World) {
    let token = w.sign_in_from(&laptop()).await.device_token.unwrap();
    let id = w.flow.devices(&w.jane).await.unwrap()[0].id;
    let joe = w.register(&fresh_name("joe")).await.unwrap();
    assert!(
        w.flow
            .rename_device(&w.jane, &id, "Work laptop")
            .await
            .unwrap()
    );
    assert_eq!(
        w.flow.devices(&w.jane).await.unwrap()[0].label,
        "Work laptop"
    );
    // Another account can neither rename nor revoke it.
    assert!(!w.flow.rename_device(&joe, &id, "Mallory's").await.unwrap());
    assert!(!w.flow.revoke_device(&joe, &id).await.unwrap());
    let nowhere: DeviceId = "00112233445566778899aabbccddeeff".parse().unwrap();
    assert!(!w.flow.rename_device(&w.jane, &nowhere, "x").await.unwrap());
    let devices = w.flow.devices(&w.jane).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].label, "Work laptop");
    assert!(w.flow.devices(&joe).await.unwrap().is_empty());
    assert!(recognized(&w, &ClientContext::new().with_device_token(token)).await);
}

async fn req48_revoke_all_devices_needs_a_fresh_authentication(w: World) {
    let laptop_token = w.sign_in_from(&laptop()).await.device_token.unwrap();
    let phone = ClientContext::new()
        .with_client("198.51.100.9")
        .with_device_label("Safari on iPhone");
    let session = w.sign_in_from(&phone).await;
    let phone_token = session.device_token.clone().unwrap();
    assert_eq!(w.flow.devices(&w.jane).await.unwrap().len(), 2);
    // Older than the fresh window (10 minutes): refused, nothing forgotten.
    w.clock
        .advance(Duration::minutes(10) + Duration::seconds(1));
    let stale = session.authentication;
    assert!(needs_fresh(
        &w.flow.revoke_all_devices(&stale).await.unwrap()
    ));
    assert_eq!(w.flow.devices(&w.jane).await.unwrap().len(), 2);
    // Proven again with the password: every device is forgotten.
    let Reauthenticated::Fresh(fresh) = w
        .flow
        .reauthenticate(
            &stale,
            Reauthenticate::Password {
                login: &w.login,
                password: PASSWORD,
            },
        )
        .await
        .unwrap()
    else {
        panic!("the password proves it again");
    };
    let (count, _) = done(w.flow.revoke_all_devices(&fresh).await.unwrap());
    assert_eq!(count, 2);
    assert!(w.events.events().contains(&SecurityEvent::DevicesRevoked {
        account: w.jane.clone(),
        count: 2
    }));
    assert!(w.flow.devices(&w.jane).await.unwrap().is_empty());
    for token in [laptop_token, phone_token] {
        let ctx = ClientContext::new().with_device_token(token);
        assert!(!recognized(&w, &ctx).await);
    }
}

async fn req48_one_browser_signed_in_to_two_accounts_is_recognized_for_each(w: World) {
    let joe_login = fresh_name("joe");
    let joe = w.register(&joe_login).await.unwrap();
    let browser = || ClientContext::new().with_client("203.0.113.7");
    let janes = w.sign_in_from(&browser()).await.device_token.unwrap();
    // Joe, in the same browser, which sends jane's token: not his, so he
    // gets a mailed code, and a token of his own.
    let with_janes = browser().with_device_token(janes.clone());
    let SignInStep::MailedCodeSent { challenge, .. } = w
        .flow
        .start(&joe_login, PASSWORD, &with_janes)
        .await
        .unwrap()
    else {
        panic!("jane's token does not skip joe's code");
    };
    let code = code_in_last_mail(&w.mailer);
    let joes = signed_in(
        w.flow
            .submit(&challenge, Answer::MailedCode(&code), &with_janes)
            .await
            .unwrap(),
    )
    .device_token
    .unwrap();
    assert_ne!(janes, joes);
    // The browser sends both cookies back, among others.
    let cookie = |token: &str| {
        let header = DeviceCookie::set_cookie(token, Duration::days(90), true).unwrap();
        header.split(';').next().unwrap().to_owned()
    };
    let header = format!(
        "session=abc; {}; {}; theme=dark",
        cookie(&janes),
        cookie(&joes)
    );
    let tokens = DeviceCookie::tokens(&header, true);
    assert_eq!(tokens, vec![janes.clone(), joes.clone()]);
    let both = browser().with_device_tokens(tokens);
    let one_by_one = browser().with_device_token(janes).with_device_token(joes);
    for ctx in [both, one_by_one] {
        assert!(recognized_as(&w, &w.login, &ctx).await, "jane, {ctx:?}");
        assert!(recognized_as(&w, &joe_login, &ctx).await, "joe, {ctx:?}");
    }
    // Each account lists only its own device.
    let (jane_devices, joe_devices) = (
        w.flow.devices(&w.jane).await.unwrap(),
        w.flow.devices(&joe).await.unwrap(),
    );
    assert_eq!((jane_devices.len(), joe_devices.len()), (1, 1));
    assert_ne!(jane_devices[0].id, joe_devices[0].id);
}

on_every_store!(
    req48_a_remembered_device_skips_the_mailed_code_until_revoked,
    req48_a_device_is_renamed_and_revoked_only_by_its_owners_account,
    req48_revoke_all_devices_needs_a_fresh_authentication,
    req48_one_browser_signed_in_to_two_accounts_is_recognized_for_each,
);

/// Base64url without padding, as the old stateless tokens carried the
/// account id.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[test]
fn base64url_encodes_as_the_old_tokens_did() {
    assert_eq!(base64url(b"jane"), "amFuZQ");
    assert_eq!(base64url(b"joe"), "am9l");
}

#[tokio::test]
async fn req48_the_device_token_is_opaque_and_its_debug_redacted() {
    let f = Fixture::new().unwrap();
    // An account id that is an address, and a login: neither may show.
    let account = AccountId::new("jane.doe@example.com").unwrap();
    let login = "janedoe";
    assert!(matches!(
        f.flow
            .register_as(&account, login, "jane.doe@example.com", PASSWORD)
            .await
            .unwrap(),
        latchkey::Registered::Created { .. }
    ));
    let ctx = ClientContext::new().with_client("203.0.113.7");
    let SignInStep::MailedCodeSent { challenge, .. } =
        f.flow.start(login, PASSWORD, &ctx).await.unwrap()
    else {
        panic!("a mailed code");
    };
    let code = code_in_last_mail(&f.mailer);
    let done = signed_in(
        f.flow
            .submit(&challenge, Answer::MailedCode(&code), &ctx)
            .await
            .unwrap(),
    );
    let token = done.device_token.clone().unwrap();
    for needle in [
        account.as_str(),
        login,
        "example",
        &base64url(account.as_str().as_bytes()),
        &base64url(login.as_bytes()),
    ] {
        assert!(!token.contains(needle), "{needle:?} in {token}");
    }
    // Nothing else fits: the prefix, the record's random id, a secret.
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    assert_eq!(parts[0], "lkd1");
    let devices = f.flow.devices(&account).await.unwrap();
    assert_eq!(parts[1], devices[0].id.to_string());
    assert_eq!(parts[2].len(), 22, "128 bits of secret");
    let cookie = DeviceCookie::set_cookie(&token, Duration::days(90), true).unwrap();
    let name = cookie.split('=').next().unwrap();
    assert_eq!(name, format!("__Host-latchkey-device-{}", &parts[1][..8]));
    // Debug hides it wherever it goes.
    let parsed: DeviceToken = token.parse().unwrap();
    assert_eq!(format!("{parsed:?}"), "DeviceToken(<redacted>)");
    let shown = format!(
        "{done:?} {:?} {devices:?}",
        ctx.clone().with_device_token(token.clone())
    );
    assert!(!shown.contains(parts[2]), "the secret leaked into {shown}");
}

#[tokio::test]
async fn device_cookie_is_host_only_http_only_lax_and_secure_except_on_plain_loopback() {
    let w = World::new().await;
    let token = w.sign_in_from(&w.client()).await.device_token.unwrap();
    let id = w.flow.devices(&w.jane).await.unwrap()[0].id.to_string();
    let attributes =
        |header: &str| -> Vec<String> { header.split(';').map(|a| a.trim().to_owned()).collect() };
    let secure = DeviceCookie::set_cookie(&token, Duration::days(90), true).unwrap();
    let attrs = attributes(&secure);
    assert_eq!(
        attrs[0],
        format!("__Host-latchkey-device-{}={token}", &id[..8])
    );
    for wanted in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Secure",
        "Max-Age=7776000",
    ] {
        assert!(attrs.iter().any(|a| a == wanted), "{wanted} in {secure}");
    }
    assert!(!secure.contains("Domain"), "a __Host- cookie has no Domain");
    // Plain-HTTP loopback in development: neither Secure nor the prefix.
    let plain = DeviceCookie::set_cookie(&token, Duration::days(90), false).unwrap();
    let attrs = attributes(&plain);
    assert_eq!(attrs[0], format!("latchkey-device-{}={token}", &id[..8]));
    for wanted in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.iter().any(|a| a == wanted), "{wanted} in {plain}");
    }
    assert!(
        !plain.contains("Secure") && !plain.contains("__Host-"),
        "{plain}"
    );
    // Clearing names the same cookie, with the same attributes.
    let cleared = DeviceCookie::clear(&token, true).unwrap();
    let attrs = attributes(&cleared);
    assert_eq!(attrs[0], format!("__Host-latchkey-device-{}=", &id[..8]));
    for wanted in ["Max-Age=0", "HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(attrs.iter().any(|a| a == wanted), "{wanted} in {cleared}");
    }
    let cleared = DeviceCookie::clear(&token, false).unwrap();
    assert!(cleared.starts_with(&format!("latchkey-device-{}=;", &id[..8])));
    assert!(!cleared.contains("Secure"), "{cleared}");
    // Only tokens make cookies.
    assert!(DeviceCookie::set_cookie("session=abc", Duration::days(1), true).is_none());
    assert!(DeviceCookie::clear("not a token", true).is_none());
}

#[tokio::test]
async fn device_cookie_tokens_reads_every_device_cookie_and_ignores_others() {
    let w = World::new().await;
    let janes = w.sign_in_from(&w.client()).await.device_token.unwrap();
    w.register("joe").await.unwrap();
    let SignInStep::MailedCodeSent { challenge, .. } =
        w.flow.start("joe", PASSWORD, &w.client()).await.unwrap()
    else {
        panic!("a mailed code");
    };
    let code = code_in_last_mail(&w.mailer);
    let joes = signed_in(w.submit(&challenge, Answer::MailedCode(&code)).await)
        .device_token
        .unwrap();
    let pair = |header: Option<String>| header.unwrap().split(';').next().unwrap().to_owned();
    let secure = pair(DeviceCookie::set_cookie(&janes, Duration::days(90), true));
    let plain = pair(DeviceCookie::set_cookie(&joes, Duration::days(90), false));
    let header = format!(
        "session=abc; {secure}; theme=dark; latchkey-device-00000000=not-a-token; \
         other={janes};{plain}"
    );
    // Over HTTPS only __Host- cookies count (a planted plain-named one
    // cannot crowd out the owner's); on plain loopback only plain names.
    assert_eq!(DeviceCookie::tokens(&header, true), vec![janes]);
    assert_eq!(DeviceCookie::tokens(&header, false), vec![joes]);
    assert!(DeviceCookie::tokens("session=abc; theme=dark", true).is_empty());
    assert!(DeviceCookie::tokens("", true).is_empty());
}
