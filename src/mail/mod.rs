//! Mail: every mail is written to the transactional outbox in the same transaction as the
//! event that causes it ([`outbox::enqueue`]), and a background worker sends it
//! ([`delivery`]) — at least once, with retries, never lost.
//!
//! - [`templates`]: subject, text and HTML per mail and language, overridable from a
//!   directory; [`format`]: amounts and dates per language;
//! - [`transport`]: SMTP (TLS or STARTTLS, authenticated), `.eml` files (the default), memory;
//! - [`delivery`]: claiming with a lease, sending, marking, back-off; the guarantee.

pub mod delivery;
pub mod format;
pub mod outbox;
pub mod templates;
pub mod transport;

use crate::config::Config;

/// The mail settings are valid: `mail.default_locale` a language of the templates, and
/// `smtp.url` (when given) a transport that can be built. Run when the configuration is read.
pub fn check_config(config: &Config) -> Result<(), String> {
    if format::Locale::parse(&config.mail.default_locale).is_none() {
        return Err(format!(
            "mail.default_locale must be fr, de or en, got `{}`",
            config.mail.default_locale
        ));
    }
    if config.smtp.url.is_some() {
        transport::Smtp::from_config(&config.smtp)?;
    }
    Ok(())
}

/// The mailer a configuration describes: SMTP when `smtp.url` is set, else files in
/// `mail.outbox_dir` (default `DATA_DIR/outbox`).
pub fn mailer_from_config(config: &Config) -> Result<delivery::Mailer, String> {
    let transport: Box<dyn transport::Transport> = match &config.smtp.url {
        Some(_) => Box::new(transport::Smtp::from_config(&config.smtp)?),
        None => Box::new(transport::Files::new(
            config
                .mail
                .outbox_dir
                .clone()
                .unwrap_or_else(|| config.data_dir.join("outbox")),
        )),
    };
    mailer_with(config, transport)
}

/// The mailer of a configuration, with the given transport (tests use [`transport::Memory`]).
pub fn mailer_with(
    config: &Config,
    transport: Box<dyn transport::Transport>,
) -> Result<delivery::Mailer, String> {
    let locale = format::Locale::parse(&config.mail.default_locale).unwrap_or(format::Locale::Fr);
    Ok(delivery::Mailer {
        templates: templates::Templates::new(config.mail.templates_dir.clone(), locale),
        transport,
        from: config
            .smtp
            .from
            .parse()
            .map_err(|e| format!("smtp.from: {e}"))?,
        app_url: config.mail.app_url.trim_end_matches('/').to_string(),
        max_attempts: config.mail.max_attempts,
    })
}

/// What can go wrong with the outbox and its worker (a failed send is recorded on the mail
/// and retried, never raised).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail's values cannot be stored: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
    #[error("a delivery pass panicked")]
    Panicked,
}
