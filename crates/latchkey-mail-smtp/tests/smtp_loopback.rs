//! `SmtpMailer` against a real SMTP server (aiosmtpd) on 127.0.0.1, and
//! against a closed port and a server that never speaks.
//!
//! The server runs as a Python subprocess. For every mail it accepts it
//! writes a directory `mail-N` with the envelope, the headers that matter
//! and each MIME part decoded by Python's own `email` package, so the test
//! reads what a receiving mail system would see, not what lettre meant.
//! Without aiosmtpd those cases print `SKIPPED: …` (fail under
//! `LATCHKEY_REQUIRE_PEERS=1`); the cases that need no server always run.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use latchkey_core::{
    AccountId, EmailAddress, Mailer, ManualClock, Message, MessageKind, Pepper, time,
};
use latchkey_mail_smtp::{Security, SmtpMailer, SmtpSettings};
use latchkey_otp::{
    CodeMailTemplate, DefaultTemplate, IssueOutcome, MailContent, MailedCodes, Purpose,
    VerifyOutcome,
};
use latchkey_store_memory::MemoryStore;
use latchkey_testkit::peers::{self, AIOSMTPD};

/// The server: `server.py OUTDIR MODE`, MODE `accept` or `refuse-rcpt`
/// (550 to every recipient). It binds a free port itself (trying again if
/// another process takes the port first), prints `PORT` once it listens,
/// and stops when its stdin closes, so it cannot outlive the test process.
const SERVER_PY: &str = r#"
import email, email.policy, os, socket, sys
from aiosmtpd.controller import Controller

outdir, mode = sys.argv[1], sys.argv[2]
count = 0

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if mode == "refuse-rcpt":
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        tmp = os.path.join(outdir, ".tmp-%d" % count)
        os.mkdir(tmp)
        def put(name, text):
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(text)
        raw = envelope.original_content or envelope.content
        with open(os.path.join(tmp, "raw.eml"), "wb") as f:
            f.write(raw)
        put("mail_from", envelope.mail_from)
        put("rcpt_tos", "\n".join(envelope.rcpt_tos))
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for name in ("To", "From", "Subject"):
            put("header-" + name.lower(), str(msg.get(name, "")))
        put("content_type", msg.get_content_type())
        leaves = [p for p in msg.walk() if not p.is_multipart()]
        for i, part in enumerate(leaves):
            put("part-%d.type" % i, part.get_content_type())
            put("part-%d.body" % i, part.get_content())
        # Whole or not at all: the test never sees half a mail.
        os.rename(tmp, os.path.join(outdir, "mail-%d" % count))
        return "250 Message accepted for delivery"

for attempt in range(20):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    try:
        controller.start()
        break
    except OSError:  # someone else bound the port in between
        continue
else:
    raise SystemExit("no free port")
print(port, flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
"#;

/// A port on 127.0.0.1 that nothing listens on, held (as the local end
/// of a connection) until the guard drops, so no other test or process can
/// start listening there meanwhile.
struct ClosedPort {
    port: u16,
    _ends: (TcpStream, TcpStream),
}

fn closed_port() -> ClosedPort {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    ClosedPort {
        port: client.local_addr().expect("addr").port(),
        _ends: (client, server),
    }
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "latchkey-smtp-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            latchkey_testkit::fresh_name("t")
        ));
        fs::create_dir_all(&path).expect("create a temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// One mail as the server received it.
#[derive(Debug)]
struct Received {
    mail_from: String,
    rcpt_tos: Vec<String>,
    to: String,
    from: String,
    subject: String,
    content_type: String,
    /// (content type, decoded body) of each leaf part, in order.
    parts: Vec<(String, String)>,
}

impl Received {
    fn read(dir: &Path) -> Self {
        let get = |name: &str| {
            fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let mut parts = Vec::new();
        while dir.join(format!("part-{}.type", parts.len())).exists() {
            let i = parts.len();
            parts.push((
                get(&format!("part-{i}.type")),
                get(&format!("part-{i}.body")),
            ));
        }
        Self {
            mail_from: get("mail_from"),
            rcpt_tos: get("rcpt_tos").lines().map(str::to_owned).collect(),
            to: get("header-to"),
            from: get("header-from"),
            subject: get("header-subject"),
            content_type: get("content_type"),
            parts,
        }
    }

    fn body(&self, content_type: &str) -> &str {
        &self
            .parts
            .iter()
            .find(|(t, _)| t == content_type)
            .unwrap_or_else(|| panic!("no {content_type} part in {:?}", self.parts))
            .1
    }
}

/// aiosmtpd on a free loopback port; killed when dropped.
struct SmtpServer {
    child: Child,
    /// Held open: the server exits when it closes.
    stdin: Option<ChildStdin>,
    port: u16,
    dir: TempDir,
}

impl SmtpServer {
    /// Starts the server in `mode`, or `None` (after the SKIPPED line) when
    /// aiosmtpd is missing.
    fn start(mode: &str) -> Option<Self> {
        if !AIOSMTPD.available() {
            return None;
        }
        let dir = TempDir::new();
        let script = dir.0.join("server.py");
        let mails = dir.0.join("mails");
        fs::write(&script, SERVER_PY).expect("write the server script");
        fs::create_dir(&mails).expect("create the mail dir");
        let stderr = fs::File::create(dir.0.join("stderr")).expect("stderr file");
        let mut child = Command::new(peers::python())
            .arg(&script)
            .arg(&mails)
            .arg(mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start python");
        let stdin = child.stdin.take();
        // The first line is the port, written once the server listens; EOF
        // means it exited first (python's stderr says why).
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
        let mut server = Self {
            child,
            stdin,
            port: 0,
            dir,
        };
        server.port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("aiosmtpd did not start: {}", server.stderr()));
        Some(server)
    }

    fn stderr(&self) -> String {
        let mut text = String::new();
        let _ =
            fs::File::open(self.dir.0.join("stderr")).and_then(|mut f| f.read_to_string(&mut text));
        text
    }

    /// Every mail received so far, oldest first.
    fn mails(&self) -> Vec<Received> {
        let mut numbered: Vec<(u32, PathBuf)> = fs::read_dir(self.dir.0.join("mails"))
            .expect("read the mail dir")
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let n = name.strip_prefix("mail-")?.parse().ok()?;
                Some((n, entry.path()))
            })
            .collect();
        numbered.sort();
        numbered.iter().map(|(_, p)| Received::read(p)).collect()
    }

    /// The one mail received; the server has written it before its
    /// "250" to DATA, so it is there once `send` returns.
    fn only_mail(&self) -> Received {
        let mut mails = self.mails();
        assert_eq!(mails.len(), 1, "expected one mail, got {mails:?}");
        mails.remove(0)
    }

    fn settings(&self) -> SmtpSettings {
        plain_settings(self.port)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn address(s: &str) -> EmailAddress {
    EmailAddress::parse(s).expect("valid address")
}

fn plain_settings(port: u16) -> SmtpSettings {
    SmtpSettings::new("127.0.0.1", address("no-reply@example.com"))
        .with_security(Security::Plain)
        .with_port(port)
        .with_from_name("Example Service")
        .with_timeout(Duration::from_secs(5))
}

/// Every message in an error's chain, joined.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(" <- ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// latchkey's wording, remembering the last code so a test can look for
/// it where it must not be.
#[derive(Clone, Debug, Default)]
struct Remembering(Arc<Mutex<Option<String>>>);

impl CodeMailTemplate for Remembering {
    fn render(&self, code: &str, purpose: &Purpose, valid_for: time::Duration) -> MailContent {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(code.to_owned());
        DefaultTemplate.render(code, purpose, valid_for)
    }
}

impl Remembering {
    fn code(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .expect("a code was rendered")
    }
}

/// Mailed codes over a memory store, sending with `mailer`.
fn mailed_codes(mailer: SmtpMailer) -> (MailedCodes, Remembering) {
    let template = Remembering::default();
    let codes = MailedCodes::new(
        Arc::new(MemoryStore::new()),
        Arc::new(mailer),
        Arc::new(ManualClock::default()),
        Pepper::generate().expect("pepper"),
    )
    .with_template(Arc::new(template.clone()));
    (codes, template)
}

#[tokio::test]
async fn a_plain_text_mail_arrives_with_its_envelope_headers_and_body() {
    let Some(server) = SmtpServer::start("accept") else {
        return;
    };
    let mailer = SmtpMailer::new(server.settings()).expect("valid settings");
    mailer
        .send(Message::new(
            address("jane@example.org"),
            "OTP for logging in to your account",
            "Your one-time password is: 482913\n\nIt expires in 10 minutes.\n",
            MessageKind::SignInCode,
        ))
        .await
        .expect("the server accepts the mail");

    let mail = server.only_mail();
    assert_eq!(mail.mail_from, "no-reply@example.com");
    assert_eq!(mail.rcpt_tos, ["jane@example.org"]);
    assert_eq!(mail.to, "jane@example.org");
    assert_eq!(mail.from, "Example Service <no-reply@example.com>");
    assert_eq!(mail.subject, "OTP for logging in to your account");
    assert_eq!(mail.content_type, "text/plain");
    assert!(mail.body("text/plain").contains("482913"), "{mail:?}");
}

#[tokio::test]
async fn a_mail_with_html_arrives_as_multipart_alternative_with_both_parts() {
    let Some(server) = SmtpServer::start("accept") else {
        return;
    };
    let mailer = SmtpMailer::new(server.settings()).expect("valid settings");
    mailer
        .send(
            Message::new(
                address("jane@example.org"),
                "Two-factor authentication was turned on",
                "Two-factor authentication is now on for your account.",
                MessageKind::SecurityNotice,
            )
            .with_html("<p>Two-factor authentication is now <b>on</b> for your account.</p>"),
        )
        .await
        .expect("the server accepts the mail");

    let mail = server.only_mail();
    assert_eq!(mail.content_type, "multipart/alternative");
    assert_eq!(mail.parts.len(), 2, "{mail:?}");
    assert_eq!(mail.parts[0].0, "text/plain", "plain text first (RFC 2046)");
    assert_eq!(mail.parts[1].0, "text/html");
    assert!(
        mail.body("text/plain")
            .contains("is now on for your account")
    );
    assert!(mail.body("text/html").contains("is now <b>on</b>"));
}

#[tokio::test]
async fn a_mailed_sign_in_code_travels_over_smtp_and_verifies() {
    let Some(server) = SmtpServer::start("accept") else {
        return;
    };
    let (codes, _) = mailed_codes(SmtpMailer::new(server.settings()).expect("valid settings"));
    let jane = AccountId::new("jane").expect("account id");
    let outcome = codes
        .issue(&jane, &address("jane@example.org"), &Purpose::SIGN_IN)
        .await
        .expect("issued and mailed");
    assert!(matches!(outcome, IssueOutcome::Sent { .. }), "{outcome:?}");

    let mail = server.only_mail();
    assert_eq!(mail.rcpt_tos, ["jane@example.org"]);
    assert!(
        mail.subject
            .starts_with("OTP for logging in to your account"),
        "{}",
        mail.subject
    );
    let first_line = mail.body("text/plain").lines().next().unwrap_or_default();
    let code: String = first_line.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{first_line}");
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::Verified
    );
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::NoCode,
        "single use"
    );
}

#[tokio::test]
async fn a_server_that_is_down_withdraws_the_code_with_a_clear_error() {
    let closed = closed_port(); // nothing listens here, and nothing will
    let port = closed.port;
    let (codes, template) = mailed_codes(SmtpMailer::new(plain_settings(port)).expect("valid"));
    let jane = AccountId::new("jane").expect("account id");
    let err = codes
        .issue(&jane, &address("jane@example.org"), &Purpose::SIGN_IN)
        .await
        .expect_err("nobody to hand the mail to");
    assert!(matches!(err, latchkey_otp::Error::Mail(_)), "{err:?}");
    let text = chain(&err);
    let code = template.code();
    assert!(
        text.contains(&format!(
            "the SMTP server 127.0.0.1:{port} could not be reached"
        )),
        "{text}"
    );
    assert!(
        !text.contains(&code),
        "the code leaked into the error: {text}"
    );
    assert!(
        !format!("{err:?}").contains(&code),
        "the code leaked into Debug"
    );
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::NoCode,
        "the code that was not sent was withdrawn"
    );
}

#[tokio::test]
async fn a_refused_recipient_withdraws_the_code_and_says_refused() {
    let Some(server) = SmtpServer::start("refuse-rcpt") else {
        return;
    };
    let (codes, template) =
        mailed_codes(SmtpMailer::new(server.settings()).expect("valid settings"));
    let jane = AccountId::new("jane").expect("account id");
    let err = codes
        .issue(&jane, &address("jane@example.org"), &Purpose::SIGN_IN)
        .await
        .expect_err("the server refuses the recipient");
    assert!(matches!(err, latchkey_otp::Error::Mail(_)), "{err:?}");
    let text = chain(&err);
    let code = template.code();
    assert!(
        text.contains(&format!(
            "the SMTP server 127.0.0.1:{} refused the mail (permanent error 550)",
            server.port
        )),
        "{text}"
    );
    assert!(
        !text.contains(&code),
        "the code leaked into the error: {text}"
    );
    assert!(
        !format!("{err:?}").contains(&code),
        "the code leaked into Debug"
    );
    assert!(server.mails().is_empty());
    assert_eq!(
        codes
            .verify(&jane, &Purpose::SIGN_IN, &code)
            .await
            .expect("verify"),
        VerifyOutcome::NoCode,
        "the refused code was withdrawn"
    );
}

#[tokio::test]
async fn a_server_that_never_speaks_times_out() {
    // Accepts connections and holds them, silent: no greeting ever comes.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let mailer = SmtpMailer::new(plain_settings(port).with_timeout(Duration::from_secs(1)))
        .expect("valid settings");
    let started = Instant::now();
    let err = mailer
        .send(Message::new(
            address("jane@example.org"),
            "OTP for logging in to your account",
            "Your one-time password is: 771204",
            MessageKind::SignInCode,
        ))
        .await
        .expect_err("the server never answers");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "gave up early: {took:?}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let text = chain(&err);
    assert!(
        text.contains(&format!("the SMTP server 127.0.0.1:{port} timed out")),
        "{text}"
    );
    assert!(!text.contains("771204"), "{text}");
}

#[tokio::test]
async fn starttls_required_never_falls_back_to_plain_text() {
    // aiosmtpd here offers no STARTTLS: the mailer must stop, not send.
    let Some(server) = SmtpServer::start("accept") else {
        return;
    };
    let mailer = SmtpMailer::new(server.settings().with_security(Security::StartTls))
        .expect("valid settings");
    let err = mailer
        .send(Message::new(
            address("jane@example.org"),
            "OTP for logging in to your account",
            "Your one-time password is: 550123",
            MessageKind::SignInCode,
        ))
        .await
        .expect_err("no STARTTLS, no mail");
    let text = chain(&err);
    assert!(text.contains("STARTTLS"), "{text}");
    assert!(server.mails().is_empty(), "a mail went out in plain text");
}

#[tokio::test]
async fn debug_output_and_errors_never_show_the_credentials() {
    let password = "tr0ub4dor&3-correct-horse";
    let username = "smtp-user-7f3a";
    let closed = closed_port(); // nothing listens here, and nothing will
    let port = closed.port;
    let settings = SmtpSettings::new("127.0.0.1", address("no-reply@example.com"))
        .with_security(Security::StartTls)
        .with_port(port)
        .with_credentials(username, password);
    let shown = format!("{settings:?}");
    assert!(
        !shown.contains(password) && !shown.contains(username),
        "{shown}"
    );
    assert!(shown.contains("<redacted>"), "{shown}");

    let mailer = SmtpMailer::new(settings).expect("valid settings");
    let shown = format!("{mailer:?} {mailer:#?}");
    assert!(
        !shown.contains(password) && !shown.contains(username),
        "{shown}"
    );
    assert!(shown.contains("127.0.0.1"), "{shown}");

    let err = mailer
        .send(Message::new(
            address("jane@example.org"),
            "Hi",
            "Hello",
            MessageKind::SecurityNotice,
        ))
        .await
        .expect_err("nothing listens");
    let shown = format!("{} {err:?}", chain(&err));
    assert!(
        !shown.contains(password) && !shown.contains(username),
        "{shown}"
    );
}
