//! chromedriver with Debian's headless chromium, driven by fantoccini
//! over plain HTTP on loopback (no TLS stack needed for that), and the
//! few moves the story makes: open a page, fill a field, press a button,
//! read the page, take a screenshot.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use super::{TempDir, free_port};

/// Debian's chromium (`LATCHKEY_CHROMIUM` names another).
fn chromium() -> String {
    std::env::var("LATCHKEY_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// Debian's chromedriver, package chromium-driver (`LATCHKEY_CHROMEDRIVER`
/// names another).
fn chromedriver() -> String {
    std::env::var("LATCHKEY_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}
/// The window's size.
const WIDTH: u32 = 1100;
const HEIGHT: u32 = 900;

/// What the test prints when they are missing.
pub const SKIPPED: &str = "SKIPPED: chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)";

/// Whether the test can drive a browser: panics when they are missing
/// and `LATCHKEY_REQUIRE_PEERS=1`, else prints the SKIPPED line.
pub fn available() -> bool {
    if Path::new(&chromium()).exists() && Path::new(&chromedriver()).exists() {
        return true;
    }
    assert!(
        !latchkey_testkit::peers::peers_required(),
        "{SKIPPED}; LATCHKEY_REQUIRE_PEERS=1 makes that a failure"
    );
    // Straight to the process's stderr, past the harness's capture, so
    // the skip shows in `cargo test`.
    let _ = writeln!(std::io::stderr(), "{SKIPPED}");
    false
}

/// chromedriver on a free loopback port; killed when dropped.
pub struct Driver {
    child: Child,
    port: u16,
    _log: TempDir,
}

impl Driver {
    /// Starts chromedriver and waits until it listens.
    pub fn start() -> Self {
        let log = TempDir::new("chromedriver");
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(chromedriver())
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.0.join("log").display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self {
                        child,
                        port,
                        _log: log,
                    };
                }
                if child.try_wait().ok().flatten().is_some() {
                    break; // the port was taken meanwhile: another one
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("chromedriver did not start");
    }

    /// A headless chromium session with a fresh profile.
    pub async fn session(&self, profile: &Path) -> Browser {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--window-size={WIDTH},{HEIGHT}"),
            &format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium(), "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("an object");
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a chromium session");
        Browser {
            client,
            shots: std::env::var("LATCHKEY_SCREENSHOTS")
                .is_ok_and(|v| v == "1")
                .then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots")),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One of WebDriver's virtual-authenticator commands (WebAuthn Level 2,
/// §11), under `/session/{id}/webauthn/…`.
#[derive(Debug)]
struct WebAuthnCommand {
    method: http::Method,
    path: String,
    body: Option<serde_json::Value>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(serde_json::Value::to_string),
        )
    }
}

/// The browser, with the story's moves.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    shots: Option<PathBuf>,
}

fn button(label: &str) -> String {
    format!("//button[normalize-space()=\"{label}\"]")
}

impl Browser {
    async fn webauthn(
        &self,
        method: http::Method,
        path: String,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        self.client
            .issue_cmd(WebAuthnCommand { method, path, body })
            .await
            .expect("a virtual-authenticator command")
    }

    /// Gives the browser a virtual security key (Chromium's WebDriver
    /// virtual authenticator: CTAP2, keeps discoverable credentials,
    /// verifies its user, answers without a touch); its id.
    pub async fn add_virtual_authenticator(&self) -> String {
        let body = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        let answer = self
            .webauthn(http::Method::POST, "authenticator".into(), Some(body))
            .await;
        answer.as_str().unwrap_or_default().to_owned()
    }

    /// The credentials virtual authenticator `id` holds (WebDriver's
    /// "Get Credentials": id, RP id, key, counter, user handle for a
    /// discoverable one).
    pub async fn credentials(&self, id: &str) -> Vec<serde_json::Value> {
        self.webauthn(
            http::Method::GET,
            format!("authenticator/{id}/credentials"),
            None,
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
    }

    /// Replaces virtual authenticator `id`'s credentials with these,
    /// each discoverable or not as its `isResidentCredential` says (a
    /// credential that is not answers only when a page names it, never
    /// the browser's offer in the username field).
    pub async fn replace_credentials(&self, id: &str, credentials: Vec<serde_json::Value>) {
        self.webauthn(
            http::Method::DELETE,
            format!("authenticator/{id}/credentials"),
            None,
        )
        .await;
        for credential in credentials {
            self.webauthn(
                http::Method::POST,
                format!("authenticator/{id}/credential"),
                Some(credential),
            )
            .await;
        }
    }

    /// Opens `url` and waits for its page.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("open a page");
    }

    /// The element at `css`, waiting for it to appear.
    pub async fn element(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(found) => found,
            Err(e) => panic!(
                "no {css} on {}: {e}\n{}",
                self.path().await,
                self.source().await
            ),
        }
    }

    /// Types `text` into the field at `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.element(css).await;
        field.clear().await.expect("clear a field");
        field.send_keys(text).await.expect("type into a field");
    }

    /// Presses the button labelled `label` and waits for the next page.
    pub async fn press(&self, label: &str) {
        let before = self.page_id().await;
        let found = match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&button(label)))
            .await
        {
            Ok(found) => found,
            Err(e) => panic!(
                "no button {label:?} on {}: {e}\n{}",
                self.path().await,
                self.source().await
            ),
        };
        found.click().await.expect("press a button");
        self.wait_for_new_page(&before).await;
    }

    /// Follows the link whose text is `text`.
    pub async fn follow(&self, text: &str) {
        let before = self.page_id().await;
        let link = match self.client.find(Locator::LinkText(text)).await {
            Ok(link) => link,
            Err(e) => panic!(
                "no link {text:?} on {}: {e}\n{}",
                self.path().await,
                self.source().await
            ),
        };
        link.click().await.expect("follow a link");
        self.wait_for_new_page(&before).await;
    }

    /// A marker of the current document: every page load replaces it.
    async fn page_id(&self) -> String {
        let marker = self
            .client
            .execute(
                "if (!document.__page) { document.__page = Math.random().toString(); } \
                 return document.__page;",
                vec![],
            )
            .await
            .expect("mark the page");
        marker.as_str().unwrap_or_default().to_owned()
    }

    async fn wait_for_new_page(&self, before: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ready = self
                .client
                .execute("return document.readyState;", vec![])
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            if ready.as_deref() == Some("complete") && self.page_id().await != before {
                return;
            }
            assert!(Instant::now() < deadline, "no new page after a click");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.element("body")
            .await
            .text()
            .await
            .expect("the page's text")
    }

    /// The text of the page's main section (no navigation, no notice).
    pub async fn main_text(&self) -> String {
        self.element("main section.card")
            .await
            .text()
            .await
            .expect("the section's text")
    }

    /// Asserts the page shows `wanted`.
    pub async fn expect_text(&self, wanted: &str) {
        let text = self.text().await;
        assert!(
            text.contains(wanted),
            "{} does not show {wanted:?}:\n{text}",
            self.path().await
        );
    }

    /// The page's HTML, for failure messages.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap_or_default()
    }

    /// The current path.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.path().to_owned())
            .unwrap_or_default()
    }

    /// A field's current value.
    pub async fn value(&self, css: &str) -> String {
        self.element(css)
            .await
            .prop("value")
            .await
            .expect("a value")
            .unwrap_or_default()
    }

    /// Every text of the elements at `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.expect("find") {
            out.push(e.text().await.expect("text"));
        }
        out
    }

    /// Clicks the element at `css` (a radio button, say).
    pub async fn click(&self, css: &str) {
        self.element(css).await.click().await.expect("click");
    }

    /// With `LATCHKEY_SCREENSHOTS=1`: the whole page as
    /// `screenshots/NAME.png` (the window grows to the page's height for
    /// the shot).
    pub async fn shot(&self, name: &str) {
        let Some(dir) = &self.shots else {
            return;
        };
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(u64::from(HEIGHT));
        let tall = u32::try_from((height + 160).clamp(u64::from(HEIGHT), 3_200)).unwrap_or(HEIGHT);
        self.client
            .set_window_size(WIDTH, tall)
            .await
            .expect("resize the window");
        let png = self.client.screenshot().await.expect("a screenshot");
        self.client
            .set_window_size(WIDTH, HEIGHT)
            .await
            .expect("resize the window");
        std::fs::create_dir_all(dir).expect("the screenshots dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write a screenshot");
    }
}
