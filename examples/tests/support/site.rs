//! The example's own binary, started as a person would: `web --listen
//! 127.0.0.1:0`, its state in a fresh directory, its mail over SMTP to
//! the test's server; ready when it prints `listening on http://ADDR`.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::TempDir;

/// The staff account's password in the test.
pub const STAFF_PASSWORD: &str = "lantern orchard 77 quiet";

/// The running site.
pub struct Site {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    dir: TempDir,
}

impl Site {
    /// Starts the site with mail going to the SMTP server on `smtp_port`.
    pub fn start(smtp_port: u16) -> Self {
        Self::start_with(smtp_port, &[])
    }

    /// The same, with more arguments.
    pub fn start_with(smtp_port: u16, more: &[&str]) -> Self {
        // Five seconds between one account's mailed codes instead of 60:
        // long enough to see "try again at", short enough to wait out.
        let cooldown: &[&str] = if more.contains(&"--code-cooldown") {
            &[]
        } else {
            &["--code-cooldown", "5"]
        };
        let dir = TempDir::new("site");
        let stderr = fs::File::create(dir.0.join("stderr")).expect("stderr file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_web"))
            .current_dir(&dir.0)
            .args(["--listen", "127.0.0.1:0", "--smtp-host", "127.0.0.1"])
            .args([
                "--smtp-port",
                &smtp_port.to_string(),
                "--smtp-security",
                "plain",
            ])
            .args(["--smtp-from", "web@example.com"])
            .args(cooldown)
            .args(more)
            .env("LATCHKEY_EXAMPLE_STAFF_PASSWORD", STAFF_PASSWORD)
            .env_remove("LATCHKEY_EXAMPLE_PEPPER")
            .env_remove("LATCHKEY_EXAMPLE_ENCRYPTION_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start the web example");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        // Reads the start-up lines, then keeps draining stdout so the site
        // never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut line = String::new();
            let mut said = Vec::new();
            while lines.read_line(&mut line).unwrap_or(0) > 0 {
                said.push(line.trim_end().to_owned());
                if let Some(addr) = line.trim_end().strip_prefix("listening on http://") {
                    let _ = tx.send(Ok((addr.to_owned(), said.clone())));
                    let _ = std::io::copy(&mut lines, &mut std::io::sink());
                    return;
                }
                line.clear();
            }
            let _ = tx.send(Err(said));
        });
        let started = rx.recv_timeout(Duration::from_secs(60));
        let (addr, said) = match started {
            Ok(Ok(found)) => found,
            other => {
                let _ = child.kill();
                let mut why = String::new();
                let _ = fs::File::open(dir.0.join("stderr"))
                    .and_then(|mut f| f.read_to_string(&mut why));
                panic!("the site did not start ({other:?}): {why}");
            }
        };
        assert_eq!(
            said.iter()
                .filter(|l| l.starts_with("listening on "))
                .count(),
            1,
            "exactly one ready line: {said:?}"
        );
        assert!(
            !said.iter().any(|l| l.contains(STAFF_PASSWORD)),
            "a chosen staff password is never printed: {said:?}"
        );
        assert!(
            said.iter().any(|l| l.contains("created now, mode 0600")),
            "a first start makes the key file: {said:?}"
        );
        Self {
            child,
            base: format!("http://{addr}"),
            addr,
            dir,
        }
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The URL of `path` at `http://localhost:PORT`, the origin security
    /// keys are bound to (browsers refuse them on an IP address).
    pub fn localhost_url(&self, path: &str) -> String {
        let port = self.addr.rsplit(':').next().unwrap_or_default();
        format!("http://localhost:{port}{path}")
    }

    /// What the site wrote on stderr (security events, refusals).
    pub fn stderr(&self) -> String {
        fs::read_to_string(self.dir.0.join("stderr")).unwrap_or_default()
    }

    /// The key file's permissions.
    #[cfg(unix)]
    pub fn key_file_mode(&self) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(self.dir.0.join("latchkey-web.sqlite3.keys"))
            .expect("the key file")
            .permissions()
            .mode()
            & 0o777
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
