//! Where the site's mail goes: printed on the terminal as it would arrive
//! (codes included: development only), or over SMTP.

use std::sync::Arc;

use latchkey::core::{ConsoleMailer, EmailAddress, Mailer};
use latchkey_mail_smtp::{Security, SmtpMailer, SmtpSettings};

use crate::args::{Args, SmtpSecurity};

/// The mailer the arguments ask for, and a sentence saying what it does.
pub fn open(args: &Args) -> Result<(Arc<dyn Mailer>, String), String> {
    let Some(host) = &args.smtp_host else {
        return Ok((
            Arc::new(ConsoleMailer),
            "printed here as it would arrive".to_owned(),
        ));
    };
    let security = match args.smtp_security {
        SmtpSecurity::Starttls => Security::StartTls,
        SmtpSecurity::Tls => Security::Tls,
        SmtpSecurity::Plain => Security::Plain,
    };
    let from = EmailAddress::parse(&args.smtp_from)
        .map_err(|e| format!("--smtp-from {}: {e}", args.smtp_from))?;
    let mut settings = SmtpSettings::new(host.clone(), from)
        .with_security(security)
        .with_from_name("latchkey web example");
    if let Some(port) = args.smtp_port {
        settings = settings.with_port(port);
    }
    if let Some(user) = &args.smtp_username {
        let password = std::env::var("LATCHKEY_SMTP_PASSWORD")
            .map_err(|_| "--smtp-username needs the password in LATCHKEY_SMTP_PASSWORD")?;
        settings = settings.with_credentials(user.clone(), password);
    }
    let port = settings.port();
    let smtp = SmtpMailer::new(settings).map_err(|e| format!("SMTP settings: {e}"))?;
    Ok((Arc::new(smtp), format!("sent over SMTP to {host}:{port}")))
}
