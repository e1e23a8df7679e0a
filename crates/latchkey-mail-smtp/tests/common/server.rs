//! aiosmtpd, a real SMTP server, as a Python subprocess on 127.0.0.1.
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

use latchkey_mail_smtp::SmtpSettings;
use latchkey_testkit::peers::{self, AIOSMTPD};

use super::plain_settings;

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

/// aiosmtpd on a free loopback port; killed when dropped.
pub struct SmtpServer {
    child: Child,
    /// Held open: the server exits when it closes.
    stdin: Option<ChildStdin>,
    pub port: u16,
    dir: TempDir,
}

impl SmtpServer {
    /// Starts the server in `mode`, or `None` (after the SKIPPED line) when
    /// aiosmtpd is missing.
    pub fn start(mode: &str) -> Option<Self> {
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

    pub fn settings(&self) -> SmtpSettings {
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
