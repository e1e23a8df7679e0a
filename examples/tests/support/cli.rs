//! `registry-cli`, run as a person runs it: a real process against the
//! site, its token in a fresh directory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::TempDir;

/// The command line's home: where its token file lives.
pub struct RegistryCli {
    registry: String,
    home: TempDir,
}

/// A `registry-cli login` waiting for the browser.
pub struct Login {
    child: Child,
    /// What it printed: the `loginUrl`.
    pub url: String,
    /// What it printed: the code to check in the browser.
    pub code: String,
    rest: mpsc::Receiver<String>,
}

impl RegistryCli {
    /// A command line for the site at `registry` (`http://127.0.0.1:PORT`).
    pub fn new(registry: &str) -> Self {
        Self {
            registry: registry.to_owned(),
            home: TempDir::new("registry-cli"),
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_registry-cli"));
        command
            .args(["--registry", &self.registry])
            .arg("--config")
            .arg(self.home.0.join("registry.json"))
            .env("HOME", &self.home.0);
        command
    }

    /// The token file's permissions.
    #[cfg(unix)]
    pub fn token_file_mode(&self) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(self.home.0.join("registry.json"))
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    /// Runs `registry-cli ARGS` to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run registry-cli")
    }

    /// Starts `registry-cli login` and reads the address and the code it
    /// prints.
    pub fn login(&self) -> Login {
        let mut child = self
            .command()
            .arg("login")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start registry-cli login");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let (mut url, mut code) = (None, None);
        while url.is_none() || code.is_none() {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("registry-cli login prints an address and a code");
            if let Some(found) = line.trim().strip_prefix("http") {
                url = Some(format!("http{found}"));
            }
            if let Some(rest) = line.strip_prefix("and check that the page shows the code ") {
                code = Some(rest.trim_end_matches('.').to_owned());
            }
        }
        Login {
            child,
            url: url.unwrap_or_default(),
            code: code.unwrap_or_default(),
            rest: rx,
        }
    }
}

impl Login {
    /// Waits (up to `limit`) for the command to end; its success and the
    /// rest of what it printed, with its standard error.
    pub fn finish(mut self, limit: Duration) -> (bool, String) {
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll registry-cli") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "registry-cli login still waits after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut said: Vec<String> = self.rest.try_iter().collect();
        if let Some(mut stderr) = self.child.stderr.take() {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            said.push(text);
        }
        (status.success(), said.join("\n"))
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
