//! The command line of `web`.

use std::net::SocketAddr;

/// The default database: a SQLite file in the current directory.
pub const DEFAULT_DATABASE: &str = "latchkey-web.sqlite3";

/// A real site with npm's sign-in screens, on latchkey.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "web", about = "A real site with npm's sign-in screens, on latchkey.", long_about = None)]
pub struct Args {
    /// Where to listen (port 0 picks a free port; the line
    /// `listening on http://ADDR` says which).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The site is served over HTTPS by a proxy in front of it: cookies
    /// are `Secure` (and `__Host-`) even when it listens on loopback.
    #[arg(long)]
    pub behind_tls: bool,
    /// Where the site keeps its state: `sqlite://FILE` (created if
    /// missing) or `postgres://user@host/db`. Default: the SQLite file
    /// latchkey-web.sqlite3 in the current directory.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Send mail over SMTP to this server instead of printing it.
    #[arg(long, value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// The SMTP port (default: 587 for starttls, 465 for tls, 25 for plain).
    #[arg(long, value_name = "PORT", requires = "smtp_host")]
    pub smtp_port: Option<u16>,
    /// How the SMTP connection is protected. `plain` is for a relay on
    /// this machine only.
    #[arg(long, value_enum, default_value = "starttls", requires = "smtp_host")]
    pub smtp_security: SmtpSecurity,
    /// The sender address of the site's mail.
    #[arg(
        long,
        value_name = "ADDRESS",
        default_value = "latchkey-web@localhost",
        requires = "smtp_host"
    )]
    pub smtp_from: String,
    /// SMTP user name; the password is read from the environment variable
    /// LATCHKEY_SMTP_PASSWORD (never from the command line).
    #[arg(long, value_name = "USER", requires = "smtp_host")]
    pub smtp_username: Option<String>,
    /// The site's origin as browsers reach it (`https://registry.example`):
    /// security keys and passkeys are bound to its host name, and answer
    /// only pages served from it. Default: `http://localhost:PORT`, the
    /// listening port on loopback (browsers allow security keys on
    /// `localhost` without TLS, never on an IP address).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Seconds an account waits between mailed codes (latchkey's default:
    /// 60). Shorter only for trying the site out, or for tests.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub code_cooldown: u32,
    /// Seconds a sign-in stays fresh for sensitive changes, after which
    /// the site asks "Confirm it's you" (60 to 86400; latchkey's
    /// default: 600).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub fresh_window: u32,
}

/// `--smtp-security`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SmtpSecurity {
    /// STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: a local relay only.
    Plain,
}

impl Args {
    /// The origin security keys are bound to (see `--origin`), once the
    /// listening port is known.
    pub fn origin(&self, port: u16) -> String {
        self.origin
            .clone()
            .unwrap_or_else(|| format!("http://localhost:{port}"))
    }

    /// The database URL, with the default filled in.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{DEFAULT_DATABASE}"))
    }

    /// Whether cookies must be `Secure`: always, except on plain-HTTP
    /// loopback during development (browsers refuse `Secure` cookies
    /// there), unless `--behind-tls` says a TLS proxy serves it. Anywhere
    /// else the site is assumed to sit behind a proxy that terminates TLS.
    pub fn secure_cookies(&self) -> bool {
        self.behind_tls || !self.listen.ip().is_loopback()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn behind_tls_cookies_are_secure_even_on_loopback() {
        let args = Args::parse_from(["web", "--listen", "127.0.0.1:8080", "--behind-tls"]);
        assert!(args.secure_cookies());
    }

    #[test]
    fn loopback_alone_gets_cookies_without_secure() {
        let on = |addr: &str| Args::parse_from(["web", "--listen", addr]).secure_cookies();
        assert!(
            !on("127.0.0.1:0"),
            "plain loopback cannot keep Secure cookies"
        );
        assert!(!on("[::1]:8080"), "IPv6 loopback too");
        assert!(on("0.0.0.0:8080"), "any other address is behind TLS");
        assert!(on("192.0.2.10:443"), "any other address is behind TLS");
    }

    #[test]
    fn the_default_database_is_a_file_here() {
        let args = Args::parse_from(["web"]);
        assert_eq!(args.database_url(), "sqlite://latchkey-web.sqlite3");
        assert_eq!(args.listen.to_string(), "127.0.0.1:8080");
    }
}
