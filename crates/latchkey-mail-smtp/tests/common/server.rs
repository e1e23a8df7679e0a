//! aiosmtpd, a real SMTP server, as a Python subprocess on 127.0.0.1: in
//! plain text, or with TLS (`STARTTLS` required, or implicit TLS) under a
//! certificate from [`super::certs`].
//!
//! For every mail it accepts it writes a directory `mail-N` with the
//! envelope, the headers that matter and each MIME part decoded by
//! Python's own `email` package, so a test reads what a receiving mail
//! system would see, not what lettre meant.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use latchkey_mail_smtp::{Security, SmtpSettings};
use latchkey_testkit::peers::{self, AIOSMTPD};

use super::certs::ServerCert;
use super::{address, plain_settings};

/// The server: `server.py OUTDIR MODE TLS [CERT KEY]`, MODE `accept` or
/// `refuse-rcpt` (550 to every recipient), TLS `plain`, `starttls` (offered
/// and required before MAIL) or `implicit` (TLS from the first byte), with
/// the certificate chain and key in the files CERT and KEY. It binds a
/// free port itself (trying again if another process takes the port
/// first), prints `PORT` once it listens, and stops when its stdin closes,
/// so it cannot outlive the test process.
const SERVER_PY: &str = r#"
import email, email.policy, os, socket, ssl, sys
from aiosmtpd.controller import Controller

outdir, mode, tls = sys.argv[1], sys.argv[2], sys.argv[3]
count = 0
options = {}
if tls != "plain":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[4], sys.argv[5])
    if tls == "starttls":
        options = {"tls_context": context, "require_starttls": True}
    elif tls == "implicit":
        options = {"ssl_context": context}
    else:
        raise SystemExit("unknown TLS mode " + tls)

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
        tls_object = server.transport.get_extra_info("ssl_object")
        put("tls", tls_object.version() if tls_object else "none")
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
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **options)
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
pub struct Received {
    pub mail_from: String,
    /// The TLS version the mail came over (`TLSv1.3`), or `none`.
    pub tls: String,
    pub rcpt_tos: Vec<String>,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub content_type: String,
    /// (content type, decoded body) of each leaf part, in order.
    pub parts: Vec<(String, String)>,
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
            tls: get("tls"),
            rcpt_tos: get("rcpt_tos").lines().map(str::to_owned).collect(),
            to: get("header-to"),
            from: get("header-from"),
            subject: get("header-subject"),
            content_type: get("content_type"),
            parts,
        }
    }

    pub fn body(&self, content_type: &str) -> &str {
        &self
            .parts
            .iter()
            .find(|(t, _)| t == content_type)
            .unwrap_or_else(|| panic!("no {content_type} part in {:?}", self.parts))
            .1
    }
}

/// How the server protects its connections.
#[derive(Clone, Copy)]
pub enum Listen<'a> {
    /// No TLS at all (and no `STARTTLS` offered).
    Plain,
    /// `STARTTLS` offered and required before `MAIL`, with this certificate.
    StartTls(&'a ServerCert),
    /// TLS from the first byte, with this certificate.
    ImplicitTls(&'a ServerCert),
}

/// aiosmtpd on a free loopback port; killed when dropped.
pub struct SmtpServer {
    child: Child,
    /// Held open: the server exits when it closes.
    stdin: Option<ChildStdin>,
    pub port: u16,
    /// What [`settings`](Self::settings) connects with.
    security: Security,
    dir: TempDir,
}

impl SmtpServer {
    /// Starts a plain-text server in `mode`, or `None` (after the SKIPPED
    /// line) when aiosmtpd is missing.
    pub fn start(mode: &str) -> Option<Self> {
        Self::start_with(mode, Listen::Plain)
    }

    /// Starts the server in `mode`, protected as `listen` says, or `None`
    /// (after the SKIPPED line) when aiosmtpd is missing.
    pub fn start_with(mode: &str, listen: Listen<'_>) -> Option<Self> {
        if !AIOSMTPD.available() {
            return None;
        }
        let dir = TempDir::new();
        let script = dir.0.join("server.py");
        let mails = dir.0.join("mails");
        fs::write(&script, SERVER_PY).expect("write the server script");
        fs::create_dir(&mails).expect("create the mail dir");
        let stderr = fs::File::create(dir.0.join("stderr")).expect("stderr file");
        let (tls, cert, security) = match listen {
            Listen::Plain => ("plain", None, Security::Plain),
            Listen::StartTls(cert) => ("starttls", Some(cert), Security::StartTls),
            Listen::ImplicitTls(cert) => ("implicit", Some(cert), Security::Tls),
        };
        let mut command = Command::new(peers::python());
        command.arg(&script).arg(&mails).arg(mode).arg(tls);
        if let Some(cert) = cert {
            let (cert_file, key_file) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
            fs::write(&cert_file, &cert.cert_pem).expect("write the certificate");
            fs::write(&key_file, &cert.key_pem).expect("write the key");
            command.arg(cert_file).arg(key_file);
        }
        let mut child = command
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
            security,
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
    pub fn mails(&self) -> Vec<Received> {
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
    pub fn only_mail(&self) -> Received {
        let mut mails = self.mails();
        assert_eq!(mails.len(), 1, "expected one mail, got {mails:?}");
        mails.remove(0)
    }

    /// Settings that reach this server: plain text to 127.0.0.1, or for
    /// TLS to `localhost` (the name the test certificates are for), with
    /// Mozilla's roots only until the test adds its CA.
    pub fn settings(&self) -> SmtpSettings {
        match self.security {
            Security::Plain => plain_settings(self.port),
            security => SmtpSettings::new("localhost", address("no-reply@example.com"))
                .with_security(security)
                .with_port(self.port)
                .with_from_name("Example Service")
                .with_timeout(Duration::from_secs(5)),
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
