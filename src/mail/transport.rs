//! Where mail goes, chosen by configuration:
//! - **SMTP** (`smtp.url` set): `smtps://host:465` for implicit TLS, `smtp://host:587` for
//!   STARTTLS (required), `smtp://host:25?tls=none` for a trusted local relay or a test server;
//!   `smtp.username` / `smtp.password` authenticate (never in clear to another host);
//! - **files** (the default, so a fresh install needs no mail server): each mail is written to
//!   `mail.outbox_dir` (default `data/outbox/`) as `OUTBOX-ID.eml`, readable by its owner only
//!   (mails carry sign-in links) — a resend overwrites it;
//! - **memory**, for tests: mails are kept in a shared list.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport};
use secrecy::ExposeSecret;

use crate::config::SmtpConfig;

/// A way to hand a message over.
pub trait Transport: Send + Sync {
    /// Sends `message`; `outbox_id` names it where a name is needed (files).
    fn send(&self, outbox_id: &str, message: &Message) -> Result<(), String>;
    /// For logs: `smtp://host:port`, `files in data/outbox`, `memory`.
    fn describe(&self) -> String;
}

/// SMTP through lettre.
pub struct Smtp {
    transport: SmtpTransport,
    described: String,
}

impl Smtp {
    /// From `smtp.url` and credentials; refuses URLs it cannot read.
    pub fn from_config(config: &SmtpConfig) -> Result<Smtp, String> {
        let url = config.url.as_deref().ok_or("smtp.url is not set")?;
        // error messages never quote the URL: a mistyped one may hold a password
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("smtp.url must start with smtps:// or smtp://")?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.trim_end_matches('/');
        if authority.contains('@') {
            return Err(
                "smtp.url: give the host only; credentials go in smtp.username and smtp.password"
                    .into(),
            );
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                Some(
                    p.parse::<u16>()
                        .map_err(|_| "smtp.url: the port is not a number".to_string())?,
                ),
            ),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err("smtp.url: the host is missing".into());
        }
        let no_tls = query.split('&').any(|kv| kv == "tls=none");
        let builder = match (scheme, no_tls) {
            ("smtps", false) => SmtpTransport::relay(host).map_err(|e| e.to_string())?,
            ("smtp", false) => SmtpTransport::starttls_relay(host).map_err(|e| e.to_string())?,
            ("smtp", true) => SmtpTransport::builder_dangerous(host),
            _ => {
                return Err(format!(
                    "smtp.url `{url}`: use smtps://, smtp:// or smtp://…?tls=none"
                ))
            }
        };
        let builder = match port {
            Some(p) => builder.port(p),
            None => builder,
        };
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]");
        let builder = match (&config.username, &config.password) {
            (Some(_), Some(_)) if no_tls && !loopback => {
                return Err("smtp.url: credentials are never sent without TLS to another host; use smtps:// or smtp:// (STARTTLS)".into())
            }
            (Some(user), Some(password)) => builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_string(),
            )),
            (Some(_), None) => return Err("smtp.username is set without smtp.password".into()),
            (None, Some(_)) => return Err("smtp.password is set without smtp.username".into()),
            (None, None) => builder,
        };
        Ok(Smtp {
            transport: builder
                .timeout(Some(std::time::Duration::from_secs(30)))
                .build(),
            described: format!("{scheme}://{authority}"),
        })
    }
}

impl Transport for Smtp {
    fn send(&self, _outbox_id: &str, message: &Message) -> Result<(), String> {
        lettre::Transport::send(&self.transport, message)
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }

    fn describe(&self) -> String {
        self.described.clone()
    }
}

/// `.eml` files in a directory.
pub struct Files {
    dir: PathBuf,
}

impl Files {
    pub fn new(dir: PathBuf) -> Files {
        Files { dir }
    }
}

impl Transport for Files {
    fn send(&self, outbox_id: &str, message: &Message) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("creating {}: {e}", self.dir.display()))?;
        let path = self.dir.join(format!("{outbox_id}.eml"));
        let partial = self.dir.join(format!("{outbox_id}.eml.part"));
        // write then rename: a crash never leaves half a mail under the final name; owner-only
        // permissions, since mails carry sign-in links
        crate::files::private(&partial, false)
            .and_then(|mut file| std::io::Write::write_all(&mut file, &message.formatted()))
            .and_then(|_| std::fs::rename(&partial, &path))
            .map_err(|e| format!("writing {}: {e}", path.display()))
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }
}

/// A mail kept by [`Memory`].
#[derive(Debug, Clone)]
pub struct Kept {
    pub outbox_id: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

/// Keeps mails in memory (tests). `fail` makes every send fail, as a down server would;
/// `crash_after_send` keeps the mail then panics, as a process dying after the server
/// accepted a mail but before it was marked sent.
#[derive(Clone, Default)]
pub struct Memory {
    pub kept: Arc<Mutex<Vec<Kept>>>,
    pub fail: Arc<std::sync::atomic::AtomicBool>,
    pub crash_after_send: Arc<std::sync::atomic::AtomicBool>,
}

impl Transport for Memory {
    fn send(&self, outbox_id: &str, message: &Message) -> Result<(), String> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err("the memory transport is set to fail".into());
        }
        let to = message
            .envelope()
            .to()
            .iter()
            .map(|a| a.to_string())
            .collect();
        self.kept
            .lock()
            .map_err(|_| "memory transport poisoned".to_string())?
            .push(Kept {
                outbox_id: outbox_id.to_string(),
                to,
                raw: message.formatted(),
            });
        if self
            .crash_after_send
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            panic!("simulated crash after the mail was handed over");
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, user: Option<&str>, password: Option<&str>) -> SmtpConfig {
        SmtpConfig {
            url: Some(url.into()),
            username: user.map(str::to_string),
            password: password.map(|p| secrecy::SecretString::from(p.to_string())),
            password_file: None,
            from: "Comptoir <noreply@example.org>".into(),
        }
    }

    #[test]
    fn urls_are_read_without_ever_quoting_a_password() {
        for url in [
            "smtp://alice:hunter2@mail.example.org",
            "mail.example.org:hunter2",
            "smtp://mail.example.org:hunter2",
        ] {
            let err = Smtp::from_config(&config(url, None, None))
                .err()
                .expect(url);
            assert!(!err.contains("hunter2"), "{err}");
        }
        assert_eq!(
            Smtp::from_config(&config(
                "smtps://mail.example.org:465",
                Some("a"),
                Some("p")
            ))
            .expect("TLS")
            .describe(),
            "smtps://mail.example.org:465"
        );
        assert!(Smtp::from_config(&config("smtp://mail.example.org", None, None)).is_ok());
    }

    #[test]
    fn credentials_never_travel_in_clear_to_another_host() {
        let err = Smtp::from_config(&config(
            "smtp://relay.example.org:25?tls=none",
            Some("a"),
            Some("p"),
        ))
        .err()
        .expect("refused");
        assert!(err.contains("without TLS"), "{err}");
        assert!(Smtp::from_config(&config(
            "smtp://127.0.0.1:2525?tls=none",
            Some("a"),
            Some("p")
        ))
        .is_ok());
        assert!(Smtp::from_config(&config("smtps://mail.example.org", Some("a"), None)).is_err());
    }
}
