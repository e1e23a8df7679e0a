//! Sessions over plain HTTP (no browser): a password changed in one
//! session ends the account's other sessions (`flow.is_current` turns
//! false there), and the session that changed it goes on; a wrong current
//! password changes nothing.
//!
//! The site runs with no wait between mailed codes, its mail going to
//! aiosmtpd. Without aiosmtpd it prints `SKIPPED: …` and passes, unless
//! `LATCHKEY_REQUIRE_PEERS=1`.

mod support;

use support::http::Jar;
use support::site::Site;
use support::smtp::SmtpServer;

const PASSWORD: &str = "copper lantern meadow";

/// Signs `jar` in as joe, with the code mailed to joe.
async fn sign_in(jar: &mut Jar, smtp: &SmtpServer) {
    let seen = smtp.count();
    let answer = jar.post(
        "/login",
        "/login",
        &[("login", "joe"), ("password", PASSWORD)],
    );
    assert_eq!(
        answer.header("location"),
        Some("/login/verify"),
        "{answer:?}"
    );
    let code = smtp
        .wait_for(
            seen,
            "joe@example.com",
            "OTP for logging in to your account",
        )
        .await
        .code();
    let answer = jar.post(
        "/login/verify",
        "/login/verify",
        &[("code", &code), ("method", "mailed")],
    );
    assert_eq!(answer.header("location"), Some("/"), "{answer:?}");
    assert!(jar.get("/").body.contains("Signed in as joe"));
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let site = Site::start_with(smtp.port, &["--code-cooldown", "0"]);
    let mut laptop = Jar::new(&site.addr);
    let answer = laptop.post(
        "/signup",
        "/signup",
        &[
            ("username", "joe"),
            ("email", "joe@example.com"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(answer.header("location"), Some("/login"), "{answer:?}");
    sign_in(&mut laptop, &smtp).await;
    let mut phone = Jar::new(&site.addr);
    sign_in(&mut phone, &smtp).await;

    // A new password on the laptop ends the phone's session.
    assert!(phone.get("/").body.contains("Signed in as joe"));
    let answer = laptop.post(
        "/account",
        "/account/password",
        &[
            ("current", "not my password"),
            ("new", "amber willow harbor"),
        ],
    );
    assert_eq!(answer.header("location"), Some("/account"), "{answer:?}");
    assert!(
        laptop
            .get("/account")
            .body
            .contains("The current password is not right.")
    );
    assert!(
        phone.get("/").body.contains("Signed in as joe"),
        "nothing changed"
    );
    let answer = laptop.post(
        "/account",
        "/account/password",
        &[("current", PASSWORD), ("new", "amber willow harbor")],
    );
    assert_eq!(answer.header("location"), Some("/account"), "{answer:?}");
    assert!(laptop.get("/account").body.contains("Password changed."));
    assert!(
        laptop.get("/").body.contains("Signed in as joe"),
        "this session goes on"
    );
    let home = phone.get("/");
    assert!(
        home.body.contains("Your session ended. Sign in again."),
        "the phone's session ended: {}",
        home.body
    );
    assert!(!home.body.contains("Signed in as joe"));
}
