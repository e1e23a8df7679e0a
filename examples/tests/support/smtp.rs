//! aiosmtpd, a real SMTP server, as a Python subprocess on 127.0.0.1
//! (the approach of latchkey-mail-smtp's tests): it binds a free port
//! itself, prints it, writes each mail it accepts as one JSON file
//! (whole or not at all), and stops when its stdin closes, so it cannot
//! outlive the test.

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_testkit::peers;

use super::TempDir;

const SERVER_PY: &str = r#"
import email, email.policy, json, os, socket, sys
from aiosmtpd.controller import Controller

outdir = sys.argv[1]
count = 0

class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "rcpt": list(envelope.rcpt_tos),
            "subject": str(msg.get("Subject", "")),
            "text": body.get_content() if body is not None else "",
        }
        tmp = os.path.join(outdir, ".tmp-%d" % count)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(outdir, "mail-%d.json" % count))
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
    except OSError:
        continue
else:
    raise SystemExit("no free port")
print(port, flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
"#;

/// One mail as the server received it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Mail {
    /// The envelope's recipients.
    pub rcpt: Vec<String>,
    /// The Subject header.
    pub subject: String,
    /// The text/plain body.
    pub text: String,
}

impl Mail {
    /// The code on the first line ("Your one-time password is: 123456").
    pub fn code(&self) -> String {
        let first = self.text.lines().next().unwrap_or_default();
        let code: String = first.chars().filter(char::is_ascii_digit).collect();
        assert!(!code.is_empty(), "no code in {self:?}");
        code
    }
}

/// The running server.
pub struct SmtpServer {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Its port.
    pub port: u16,
    dir: TempDir,
}

impl SmtpServer {
    /// Starts it, or `None` when aiosmtpd is missing (after the testkit's
    /// SKIPPED line; a failure under `LATCHKEY_REQUIRE_PEERS=1`).
    pub fn start() -> Option<Self> {
        if !peers::AIOSMTPD.available() {
            return None;
        }
        let dir = TempDir::new("smtp");
        let script = dir.0.join("server.py");
        fs::write(&script, SERVER_PY).expect("write the server script");
        fs::create_dir(dir.0.join("mails")).expect("create the mail dir");
        let stderr = fs::File::create(dir.0.join("stderr")).expect("stderr file");
        let mut child = Command::new(peers::python())
            .arg(&script)
            .arg(dir.0.join("mails"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start python");
        let stdin = child.stdin.take();
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
        let port = line.trim().parse().unwrap_or_else(|_| {
            let why = fs::read_to_string(dir.0.join("stderr")).unwrap_or_default();
            panic!("aiosmtpd did not start: {why}")
        });
        Some(Self {
            child,
            stdin,
            port,
            dir,
        })
    }

    /// Every mail so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        let mut numbered: Vec<(u32, Mail)> = fs::read_dir(self.dir.0.join("mails"))
            .expect("read the mail dir")
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let n = name
                    .strip_prefix("mail-")?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                let text = fs::read_to_string(entry.path()).ok()?;
                Some((n, serde_json::from_str(&text).expect("a mail record")))
            })
            .collect();
        numbered.sort_by_key(|(n, _)| *n);
        numbered.into_iter().map(|(_, m)| m).collect()
    }

    /// How many mails arrived so far.
    pub fn count(&self) -> usize {
        self.mails().len()
    }

    /// The first mail after the first `seen` whose recipient is `to` and
    /// whose subject starts with `subject`, waiting up to 10 s for it.
    pub async fn wait_for(&self, seen: usize, to: &str, subject: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = self.mails();
            if let Some(mail) = mails
                .iter()
                .skip(seen)
                .find(|m| m.rcpt.iter().any(|r| r == to) && m.subject.starts_with(subject))
            {
                return mail.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to} with subject {subject:?} after the first {seen}; got {mails:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
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
