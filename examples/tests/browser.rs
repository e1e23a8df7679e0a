//! The web example in a real browser: Debian's headless chromium, driven
//! through chromedriver, walks npm's whole story on the site, with the
//! site's mail going to a real SMTP server (aiosmtpd) that the test reads.
//!
//! One browser session, one story: sign up (a weak password refused
//! first), sign in (a wrong password and an unknown login get the same
//! page), the mailed code (a wrong one first; "Send another code" too
//! soon), a remembered device, a linked GitHub account, 2FA enabled from
//! the page's otpauth URI, `registry-cli login` (a real process) signed
//! in through the browser (its page sends the signed-out browser to sign
//! in with the app's code and back, then "Allow this command line to sign
//! in"), `registry-cli publish` refused without `--otp`, accepted with a
//! fresh code and refused with the same code again, a publish in the
//! browser with a recovery code bound to it, a sign-in with a recovery
//! code, 2FA off, then a
//! lost mailbox: "Try recovering your account", a "Reset my email" ticket
//! with GitHub as evidence, the contact address proven, staff approving
//! it, and a sign-in whose code goes to the new address; then a security
//! key (Chromium's virtual authenticator) added on the Account page and
//! used on the Login Verification form. Then what no browser does: a cross-origin POST (403), a burst of wrong passwords
//! (429 with Retry-After), and the headers and cookie flags.
//!
//! Without chromium and chromedriver, or aiosmtpd, it prints `SKIPPED: …`
//! and passes, unless `LATCHKEY_REQUIRE_PEERS=1`. With
//! `LATCHKEY_SCREENSHOTS=1` it saves each screen in `screenshots/`.

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use latchkey_otp::KeyUri;
use support::TempDir;
use support::cli::RegistryCli;
use support::driver::{self, Browser, Driver};
use support::http::request;
use support::site::{STAFF_PASSWORD, Site};
use support::smtp::SmtpServer;
use time::OffsetDateTime;

const JANE: &str = "jane";
const ADDRESS: &str = "jane@example.com";
const NEW_ADDRESS: &str = "jane@new.example";
const PASSWORD: &str = "violet umbrella sky";
const OTP_SUBJECT: &str = "OTP for logging in to your account";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_story_in_a_real_browser() {
    if !driver::available() {
        return;
    }
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let started = Instant::now();
    let site = Site::start(smtp.port);
    let chromedriver = Driver::start();
    let profile = TempDir::new("chromium-profile");
    let browser = chromedriver.session(&profile.0).await;
    let story = tokio::time::timeout(Duration::from_secs(240), async {
        sign_up_and_in(&browser, &site, &smtp).await;
        two_factor(&browser, &site).await;
        lost_mailbox(&browser, &site, &smtp).await;
        staff_approves(&browser, &site, &smtp).await;
        signed_in_at_the_new_address(&browser, &site, &smtp).await;
        security_key(&browser, &site, &smtp).await;
    })
    .await;
    let _ = browser.client.clone().close().await;
    assert!(
        story.is_ok(),
        "the story took over 240 s; the site said:\n{}",
        site.stderr()
    );
    what_no_browser_does(&site);
    let _ = writeln!(
        std::io::stderr(),
        "the browser story took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Sign-up, sign-in with a mailed code, the session cookie, and a
/// remembered device.
async fn sign_up_and_in(browser: &Browser, site: &Site, smtp: &SmtpServer) {
    browser.open(&site.url("/signup")).await;
    browser.fill("#username", JANE).await;
    browser.fill("#email", ADDRESS).await;
    browser.fill("#password", "password").await;
    browser.press("Sign Up").await;
    browser.expect_text("Choose another password:").await;
    browser
        .expect_text("it is one of the most common passwords")
        .await;
    browser.shot("01-sign-up-refused").await;
    browser.fill("#password", PASSWORD).await;
    browser.press("Sign Up").await;
    assert_eq!(browser.path().await, "/login", "signed up: on to Sign In");
    browser.expect_text("Welcome, jane!").await;

    // A wrong password and an unknown login: the same page.
    let denied = |login: &'static str, password: &'static str| async move {
        browser.fill("#login", login).await;
        browser.fill("#password", password).await;
        browser.press("Sign In").await;
        browser.main_text().await
    };
    let wrong_password = denied(JANE, "violet umbrella SKY").await;
    browser.shot("02-sign-in-denied").await;
    let unknown_login = denied("nobody", PASSWORD).await;
    assert!(wrong_password.contains("Incorrect username or password."));
    assert_eq!(
        wrong_password, unknown_login,
        "a wrong password and an unknown login get the same page"
    );

    // The right password, by email, on a new device: a code is mailed.
    let seen = smtp.count();
    browser.fill("#login", ADDRESS).await;
    browser.fill("#password", PASSWORD).await;
    browser.press("Sign In").await;
    assert_eq!(browser.path().await, "/login/verify");
    browser
        .expect_text("enter the one-time password we sent to j***@example.com")
        .await;
    browser.shot("03-login-verification").await;
    let mail = smtp.wait_for(seen, ADDRESS, OTP_SUBJECT).await;
    let code = mail.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    browser.fill("#code", wrong).await;
    browser.press("Verify").await;
    browser
        .expect_text("That code is not right. 4 attempts left.")
        .await;
    browser.press("Send another code").await;
    browser
        .expect_text("A code was sent moments ago. Try again at")
        .await;
    browser.fill("#code", &code).await;
    browser.press("Verify").await;
    assert_eq!(browser.path().await, "/");
    browser.expect_text("Signed in as jane").await;
    browser.shot("04-signed-in").await;

    let cookies = browser.client.get_all_cookies().await.expect("cookies");
    let session = cookies
        .iter()
        .find(|c| c.name() == "latchkey-session")
        .expect("the session cookie");
    assert_eq!(
        session.http_only(),
        Some(true),
        "no script reads the session"
    );
    assert!(
        session.same_site().is_some_and(|s| s.is_lax()),
        "the session cookie is SameSite=Lax: {session:?}"
    );
    let device = cookies
        .iter()
        .find(|c| c.name().starts_with("latchkey-device-"))
        .expect("a remembered-device cookie");
    assert_eq!(device.http_only(), Some(true));

    // Signed out and in again on this device: no code is asked for.
    browser.press("Sign Out").await;
    browser.expect_text("Signed out.").await;
    let seen = smtp.count();
    sign_in(browser, site, JANE).await;
    assert_eq!(
        browser.path().await,
        "/",
        "a remembered device skips the code"
    );
    browser.expect_text("Signed in as jane").await;
    assert_eq!(smtp.count(), seen, "no mail for a remembered device");
}

/// Types the login and password on "Sign In".
async fn sign_in(browser: &Browser, site: &Site, login: &str) {
    sign_in_at(browser, &site.url("/login"), login).await;
}

/// Signs in on the "Sign In" page at `url`.
async fn sign_in_at(browser: &Browser, url: &str, login: &str) {
    let password = if login == "staff" {
        STAFF_PASSWORD
    } else {
        PASSWORD
    };
    browser.open(url).await;
    browser.fill("#login", login).await;
    browser.fill("#password", password).await;
    browser.press("Sign In").await;
}

/// Signs in where a mailed code is expected (waiting out the site's
/// short resend cooldown if a code went out moments ago) and types the
/// code from the mail to `address`.
async fn sign_in_with_mailed_code(
    browser: &Browser,
    site: &Site,
    smtp: &SmtpServer,
    login: &str,
    address: &str,
    masked: &str,
) {
    sign_in_with_mailed_code_at(browser, &site.url("/login"), smtp, login, address, masked).await;
}

/// The same, on the "Sign In" page at `url`.
async fn sign_in_with_mailed_code_at(
    browser: &Browser,
    url: &str,
    smtp: &SmtpServer,
    login: &str,
    address: &str,
    masked: &str,
) {
    let seen = smtp.count();
    sign_in_at(browser, url, login).await;
    for _ in 0..5 {
        if !browser.text().await.contains("moments ago") {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        sign_in_at(browser, url, login).await;
    }
    browser
        .expect_text(&format!("enter the one-time password we sent to {masked}"))
        .await;
    let code = smtp.wait_for(seen, address, OTP_SUBJECT).await.code();
    browser.fill("#code", &code).await;
    browser.press("Verify").await;
    browser.expect_text(&format!("Signed in as {login}")).await;
}

/// `registry-cli publish` in auth-and-writes mode: refused without
/// `--otp`, accepted with a fresh code, and the same code refused for a
/// second publish.
fn command_line_publishes(cli: &RegistryCli, uri: &KeyUri) {
    let said = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let whoami = cli.run(&["whoami"]);
    assert_eq!(said(&whoami).trim(), JANE);
    let bare = cli.run(&["publish", "left-pad-cli", "1.0.0"]);
    assert!(!bare.status.success(), "{}", said(&bare));
    assert!(
        said(&bare).contains("run again with --otp CODE"),
        "{}",
        said(&bare)
    );
    let code = app_code(uri, OffsetDateTime::now_utc() + time::Duration::seconds(30));
    let with_code = cli.run(&["publish", "left-pad-cli", "1.0.0", "--otp", &code]);
    assert!(with_code.status.success(), "{}", said(&with_code));
    assert!(said(&with_code).contains("Published left-pad-cli@1.0.0."));
    let again = cli.run(&["publish", "left-pad-cli", "1.0.1", "--otp", &code]);
    assert!(!again.status.success(), "a code works for one write only");
    assert!(
        said(&again).contains("was used already"),
        "{}",
        said(&again)
    );
}

/// The command line's API: an unknown `doneUrl` is gone, a poll at once
/// after another is told to slow down, writes and `whoami` need a token,
/// and a made-up `loginUrl` has no page.
fn command_line_api_refusals(site: &Site) {
    let unknown = request(&site.addr, "GET", "/-/v1/done/nothing-here", &[], "");
    assert_eq!(unknown.status, 410, "{}", unknown.body);
    let begun = request(&site.addr, "POST", "/-/v1/login", &[], "");
    assert_eq!(begun.status, 200, "{}", begun.body);
    let body: serde_json::Value = serde_json::from_str(&begun.body).expect("JSON");
    let done = body["doneUrl"].as_str().expect("a doneUrl");
    let done_path = done.strip_prefix(&site.base).expect("on the site");
    assert!(
        body["loginUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with(&site.url("/login/cli/")))
    );
    assert!(
        !body["loginUrl"]
            .as_str()
            .unwrap_or_default()
            .contains(&done_path["/-/v1/done/".len()..]),
        "the browser's address does not carry the poll token"
    );
    let first = request(&site.addr, "GET", done_path, &[], "");
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(first.header("retry-after"), Some("5"));
    let second = request(&site.addr, "GET", done_path, &[], "");
    assert_eq!(second.status, 429, "polled at once again: slow down");
    assert!(second.header("retry-after").is_some());
    for auth in [None, Some("Bearer lkx_made-up")] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let publish = request(
            &site.addr,
            "PUT",
            "/-/v1/packages/left-pad/9.9.9",
            &headers,
            "",
        );
        assert_eq!(publish.status, 401, "{auth:?}: {}", publish.body);
        let whoami = request(&site.addr, "GET", "/-/whoami", &headers, "");
        assert_eq!(whoami.status, 401, "{auth:?}");
    }
    let made_up = request(
        &site.addr,
        "GET",
        &format!("/login/cli/{}", "A".repeat(43)),
        &[],
        "",
    );
    assert_eq!(made_up.status, 404);
    assert!(made_up.body.contains("This sign-in request is over"));
}

/// The authenticator app, from the page's otpauth URI.
fn app_code(uri: &KeyUri, at: OffsetDateTime) -> String {
    uri.totp()
        .expect("a TOTP")
        .code_at(at)
        .expect("a code")
        .to_string()
}

/// GitHub linked, 2FA on (and auth-and-writes), a sign-in with the app's
/// code, a publish with a code bound to it, a sign-in with a recovery
/// code, and 2FA off again.
async fn two_factor(browser: &Browser, site: &Site) {
    browser.open(&site.url("/account")).await;
    browser.press("Link GitHub").await;
    browser.expect_text("Local stand-in for GitHub").await;
    browser.shot("05-stand-in-github").await;
    browser.fill("#handle", "octocat").await;
    browser.press("Authorize").await;
    assert_eq!(browser.path().await, "/account");
    browser
        .expect_text("Connected your GitHub account @octocat.")
        .await;

    browser.press("Enable two-factor authentication").await;
    browser.element(".qr svg").await;
    let uri: KeyUri = browser
        .value("#otpauth")
        .await
        .parse()
        .expect("the page's otpauth URI");
    assert_eq!(uri.issuer, "latchkey example");
    assert_eq!(uri.account, JANE);
    browser.shot("06-enable-two-factor").await;
    // The step before now: each later code is a later step, so none is
    // refused as a replay and the story never waits for the clock.
    let now = OffsetDateTime::now_utc();
    browser
        .fill("#code", &app_code(&uri, now - time::Duration::seconds(30)))
        .await;
    browser.press("Verify").await;
    browser.expect_text("Two-factor authentication is on").await;
    let mut codes = browser.texts("#recovery-codes code").await;
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    browser.shot("07-recovery-codes").await;

    browser.follow("I saved them").await;
    browser
        .click("input[name=mode][value=auth-and-writes]")
        .await;
    browser.fill("#mode-code", &codes.remove(0)).await;
    browser.press("Save mode").await;
    browser
        .expect_text("Two-factor authentication now guards sign-ins and publishing.")
        .await;
    browser.shot("08-account").await;

    browser.press("Sign Out").await;
    let cli = RegistryCli::new(&site.base);
    let login = cli.login();
    // Signed out, the login page sends the browser to sign in first, and
    // back once signed in.
    browser.open(&login.url).await;
    browser
        .expect_text("Sign in to allow the command line to sign in as you.")
        .await;
    browser.fill("#login", JANE).await;
    browser.fill("#password", PASSWORD).await;
    browser.press("Sign In").await;
    browser
        .expect_text("enter the code your authenticator app shows")
        .await;
    browser.shot("09-login-verification-two-factor").await;
    browser
        .fill("#code", &app_code(&uri, OffsetDateTime::now_utc()))
        .await;
    browser.press("Verify").await;
    assert!(
        browser.path().await.starts_with("/login/cli/"),
        "after the sign-in, back to the command line's page"
    );
    assert_eq!(
        browser.texts("#user-code").await,
        std::slice::from_ref(&login.code),
        "the page shows the code the terminal printed"
    );
    browser.shot("10-command-line-login").await;
    browser.press("Allow this command line to sign in").await;
    browser.expect_text("The command line is signed in").await;
    let (ok, said) = login.finish(Duration::from_secs(30));
    assert!(ok, "registry-cli login succeeds: {said}");
    assert!(said.contains("Signed in as jane."), "{said}");
    #[cfg(unix)]
    assert_eq!(
        cli.token_file_mode(),
        0o600,
        "only the user reads the token"
    );
    browser.open(&site.url("/account#tokens")).await;
    browser.expect_text("command line, signed in from").await;
    command_line_publishes(&cli, &uri);

    browser.open(&site.url("/publish")).await;
    browser.fill("#name", "left-pad-jane").await;
    browser.fill("#version", "1.0.0").await;
    browser.press("Publish").await;
    browser.expect_text("Confirm this publish").await;
    browser.shot("11-publish-step-up").await;
    // The app's codes up to the next step are spent: a recovery code.
    browser.fill("#code", &codes.remove(0)).await;
    browser.press("Publish").await;
    browser.expect_text("Published left-pad-jane@1.0.0.").await;

    browser.press("Sign Out").await;
    sign_in(browser, site, JANE).await;
    browser.follow("Use a recovery code instead").await;
    browser.fill("#code", &codes.remove(0)).await;
    browser.press("Verify").await;
    browser
        .expect_text("Signed in with a recovery code: 7 recovery codes left.")
        .await;

    browser.open(&site.url("/account")).await;
    browser.fill("#off-code", &codes.remove(0)).await;
    browser.press("Turn off two-factor authentication").await;
    browser
        .expect_text("Two-factor authentication is off.")
        .await;
    // A new security stamp ends the command line's token too.
    let whoami = cli.run(&["whoami"]);
    assert!(
        !whoami.status.success(),
        "2FA turned off revokes the command-line tokens"
    );
}

/// A lost mailbox: "Try recovering your account" from the Login
/// Verification form, a "Reset my email" ticket with GitHub connected,
/// and the contact address proven by its code.
async fn lost_mailbox(browser: &Browser, site: &Site, smtp: &SmtpServer) {
    browser.press("Sign Out").await;
    let seen = smtp.count();
    // Turning 2FA off forgot the remembered devices: a code is mailed.
    sign_in(browser, site, JANE).await;
    browser
        .expect_text("enter the one-time password we sent to j***@example.com")
        .await;
    smtp.wait_for(seen, ADDRESS, OTP_SUBJECT).await;
    // The right password again at once: no second code, "try again at".
    sign_in(browser, site, JANE).await;
    assert_eq!(browser.path().await, "/login/verify");
    browser.expect_text("moments ago").await;
    browser.expect_text("try again at").await;

    browser.follow("Try recovering your account").await;
    browser.expect_text("Request an Account Recovery").await;
    browser.shot("12-request-an-account-recovery").await;
    browser.press("Start Account Recovery").await;
    browser.expect_text("Open a Support Ticket").await;
    browser.fill("#contact", NEW_ADDRESS).await;
    let details = browser.element("#details-box").await;
    assert!(
        !details.is_displayed().await.expect("displayed?"),
        "Additional Details appear only for Other"
    );
    browser.press("Connect to GitHub").await;
    browser.expect_text("Local stand-in for GitHub").await;
    browser.fill("#handle", "octocat").await;
    browser.press("Authorize").await;
    assert_eq!(browser.path().await, "/recover/ticket");
    browser.expect_text("Connected GitHub: @octocat").await;
    assert_eq!(
        browser.value("#contact").await,
        NEW_ADDRESS,
        "the form survives the round trip"
    );
    browser.shot("13-open-a-support-ticket").await;
    let seen = smtp.count();
    browser.press("Submit Support Ticket").await;
    browser
        .expect_text("enter the code we sent to j***@new.example")
        .await;
    let code = smtp
        .wait_for(seen, NEW_ADDRESS, "Verify your email address")
        .await
        .code();
    browser.fill("#code", &code).await;
    browser.press("Verify").await;
    browser.expect_text("Support ticket submitted").await;
    browser.shot("14-ticket-submitted").await;
}

/// Staff signs in, weighs the evidence and approves; completing the
/// ticket changes Jane's address.
async fn staff_approves(browser: &Browser, site: &Site, smtp: &SmtpServer) {
    sign_in_with_mailed_code(
        browser,
        site,
        smtp,
        "staff",
        "staff@example.com",
        "s***@example.com",
    )
    .await;
    browser.follow("Staff").await;
    browser.expect_text("Support tickets").await;
    browser.expect_text("Reset my email").await;
    browser.shot("15-staff-queue").await;
    browser.follow("1").await;
    browser
        .expect_text("matches an identity linked to the account")
        .await;
    browser.expect_text(NEW_ADDRESS).await;
    browser.shot("16-staff-ticket").await;
    browser.press("Start review").await;
    browser.expect_text("Done: the ticket is in review.").await;
    browser
        .fill("#note", "GitHub id matches a link made before the ticket")
        .await;
    browser.press("Approve").await;
    browser.expect_text("Done: the ticket is approved.").await;
    browser.press("Complete").await;
    browser
        .expect_text("Completed: the account's address is now jane@new.example")
        .await;
    browser
        .expect_text("GitHub id matches a link made before the ticket")
        .await;
    browser.shot("17-staff-completed").await;
    browser.press("Sign Out").await;
}

/// Jane signs in again: the code goes to her new address, and this
/// browser is her one remembered device until she revokes them all.
async fn signed_in_at_the_new_address(browser: &Browser, site: &Site, smtp: &SmtpServer) {
    sign_in_with_mailed_code(browser, site, smtp, JANE, NEW_ADDRESS, "j***@new.example").await;
    browser.open(&site.url("/account")).await;
    browser.expect_text(NEW_ADDRESS).await;
    browser.expect_text("Chrome on Linux this device").await;
    browser.expect_text("GitHub @octocat").await;
    browser.shot("18-account-after-recovery").await;
    browser.press("Revoke all").await;
    browser
        .expect_text("Revoked the one remembered device.")
        .await;
    browser.expect_text("No device is remembered").await;
    let cookies = browser.client.get_all_cookies().await.expect("cookies");
    assert!(
        !cookies
            .iter()
            .any(|c| c.name().starts_with("latchkey-device-")),
        "revoking this device clears its cookie"
    );
}

/// A security key, with Chromium's virtual authenticator: "Add a
/// security key" on the Account page turns 2FA on (recovery codes shown
/// once, a notice mailed), and "Use a security key" on the Login
/// Verification form signs in with it, then "Sign in with a passkey"
/// alone (no login, no password). Keys are bound to a host name, so
/// this happens at `http://localhost:PORT` (a new cookie jar: a sign-in
/// there first, by mailed code).
async fn security_key(browser: &Browser, site: &Site, smtp: &SmtpServer) {
    let authenticator = browser.add_virtual_authenticator().await;
    let login = site.localhost_url("/login");
    sign_in_with_mailed_code_at(browser, &login, smtp, JANE, NEW_ADDRESS, "j***@new.example").await;
    browser.open(&site.localhost_url("/account")).await;
    browser.expect_text("No security key is added.").await;
    browser.fill("#key-name", "Virtual key").await;
    browser.press("Add a security key").await;
    browser.expect_text("Adding \"Virtual key\"").await;
    browser.shot("19-add-security-key").await;
    let seen = smtp.count();
    browser.press("Use your security key").await;
    browser.expect_text("Two-factor authentication is on").await;
    let codes = browser.texts("#recovery-codes li").await;
    assert_eq!(codes.len(), 10, "the first key comes with recovery codes");
    smtp.wait_for(seen, NEW_ADDRESS, "Two-factor authentication is on")
        .await;
    browser.open(&site.localhost_url("/account")).await;
    let row = browser.texts("#security-keys tbody tr").await;
    assert!(
        row.len() == 1 && row[0].contains("Virtual key") && row[0].contains("never"),
        "the key is listed, never used yet: {row:?}"
    );

    // As a second factor: the password, then the key (no mailed code).
    // (Not discoverable for now, so the browser does not offer it on
    // the Sign In page first.)
    let passkeys = browser.credentials(&authenticator).await;
    let mut named_only = passkeys.clone();
    for credential in &mut named_only {
        credential["isResidentCredential"] = false.into();
    }
    browser
        .replace_credentials(&authenticator, named_only)
        .await;
    browser.press("Sign Out").await;
    let seen = smtp.count();
    sign_in_at(browser, &login, JANE).await;
    assert_eq!(browser.path().await, "/login/verify");
    browser
        .expect_text("use your security key or passkey")
        .await;
    browser.shot("20-use-security-key").await;
    browser.press("Use a security key").await;
    browser.expect_text(&format!("Signed in as {JANE}")).await;
    assert_eq!(smtp.count(), seen, "no code was mailed");
    browser.open(&site.localhost_url("/account")).await;
    let row = browser.texts("#security-keys tbody tr").await;
    assert!(!row[0].contains("never"), "its use is recorded: {row:?}");
    browser.shot("21-account-with-security-key").await;

    // As a passkey alone: the Sign In page asks the browser for a
    // passkey at once (conditional UI: `autocomplete="username
    // webauthn"`), and the virtual authenticator, which needs no touch,
    // answers before anyone types: signed in with no login and no
    // password.
    // Discoverable again, at the counter the key reached meanwhile.
    let counted = browser.credentials(&authenticator).await;
    let mut passkeys = passkeys;
    for (credential, now) in passkeys.iter_mut().zip(&counted) {
        credential["signCount"] = now["signCount"].clone();
    }
    browser.replace_credentials(&authenticator, passkeys).await;
    let by_key = || site.stderr().matches("method: SecurityKey").count();
    let before = by_key();
    browser.press("Sign Out").await;
    browser.open(&login).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while browser.path().await != "/" {
        assert!(Instant::now() < deadline, "the passkey did not sign in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.expect_text(&format!("Signed in as {JANE}")).await;
    assert_eq!(by_key(), before + 1, "one more sign-in, by the passkey");
}

/// A forged cross-origin POST, a burst of wrong passwords, and the
/// headers every answer carries.
fn what_no_browser_does(site: &Site) {
    command_line_api_refusals(site);
    let forged = request(
        &site.addr,
        "POST",
        "/login",
        &[("Origin", "http://evil.example")],
        "login=jane&password=violet+umbrella+sky",
    );
    assert_eq!(forged.status, 403, "a cross-origin POST is refused");
    let tokenless = request(&site.addr, "POST", "/login", &[], "login=jane&password=x");
    assert_eq!(
        tokenless.status, 403,
        "a POST without the form's token is refused"
    );

    let page = request(&site.addr, "GET", "/login", &[], "");
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    let set = page.header("set-cookie").expect("a session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "plain loopback cannot keep Secure cookies"
    );

    // Wrong passwords for one login: five free, then 429 and Retry-After.
    let cookie = page.cookies().join("; ");
    let token = page.csrf();
    let origin = site.base.clone();
    let body = format!("csrf={token}&login=nobody-at-all&password=guess");
    let mut last = None;
    for _ in 0..6 {
        let answer = request(
            &site.addr,
            "POST",
            "/login",
            &[("Cookie", &cookie), ("Origin", &origin)],
            &body,
        );
        last = Some(answer);
    }
    let last = last.expect("six answers");
    assert_eq!(last.status, 429, "the sixth wrong password is throttled");
    let wait: u64 = last
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=30).contains(&wait), "Retry-After: {wait}");
    assert!(last.body.contains("Try again at"));

    #[cfg(unix)]
    assert_eq!(
        site.key_file_mode(),
        0o600,
        "the key file is the owner's only"
    );
    let log = site.stderr();
    for secret in [PASSWORD, STAFF_PASSWORD] {
        assert!(!log.contains(secret), "no password in the site's log");
    }
}
