//! A `redis-server` of the test's own on a free loopback port, without
//! persistence (`--save "" --appendonly no`), that the test can pause
//! (`SIGSTOP`: connections stay open, nothing answers), resume, kill and
//! start again on the same port (empty). Only this process is ever
//! signalled, by its id; it is killed when dropped.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether `redis-server` can be run; prints a SKIPPED line when not.
pub fn available() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: redis-server is not installed (apt-get install redis-server), Redis fault test not run"
        );
    }
    found
}

/// The running server.
pub struct Server {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Server {
    /// Starts a server on a free port and waits until it answers.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let dir = std::env::temp_dir().join(latchkey_testkit::fresh_name("latchkey-redis-fault"));
        std::fs::create_dir_all(&dir).expect("a working directory for redis-server");
        let mut server = Self {
            child: None,
            port,
            dir,
        };
        server.restart();
        server
    }

    /// The URL of the server.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> String {
        self.child
            .as_ref()
            .expect("the server runs")
            .id()
            .to_string()
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([name, &self.pid()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {name} of the test's own redis-server failed");
    }

    /// Freezes the server: its connections stay open and nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server go on, with its memory as it was.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Kills the server (`SIGKILL`): its connections drop, its memory is
    /// gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a fresh, empty server on the same port (after [`kill`]) and
    /// waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--loglevel", "warning"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.is_some() {
            // A stopped process dies of SIGKILL too; resuming first lets
            // nothing linger half-way.
            let _ = Command::new("kill").args(["-CONT", &self.pid()]).status();
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
