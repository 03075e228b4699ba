//! `comptoir admin …`: platform administrators, managed on the server's machine (see
//! [`crate::auth::admins`]).

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use crate::audit::Who;
use crate::auth::admins;
use crate::auth::registration::{check_password, Email};
use crate::config::Config;
use crate::server;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform admin. The password is asked on the terminal (or read as one line
    /// from standard input when it is not a terminal); with --link, a one-time set-up link
    /// is printed and mailed instead.
    Create {
        #[arg(long)]
        email: String,
        /// The name shown to others (default: the part of the address before the @).
        #[arg(long)]
        name: Option<String>,
        /// Language of the admin's mails: one of the deployment's country's (fr or en in
        /// France; fr, de or en in Switzerland), by default its first (fr).
        #[arg(long)]
        locale: Option<String>,
        /// No password now: print (and mail) a set-up link valid 24 hours.
        #[arg(long)]
        link: bool,
    },
    /// List the platform admins.
    List,
    /// Make an existing account a platform admin.
    Grant { email: String },
    /// Take the platform admin right away from an account (never the last admin's).
    Revoke { email: String },
}

pub fn run(config: &Config, command: AdminCommand) -> Result<()> {
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    let who = Who::command_line();
    match command {
        AdminCommand::Create {
            email,
            name,
            locale,
            link,
        } => {
            let email = Email::parse(&email)?;
            let country = crate::deployment::get(&mut conn)?.country;
            let locale = match country.locale(locale.as_deref()) {
                Ok(locale) => locale.as_str(),
                Err(why) => bail!("--locale {why}"),
            };
            let name = name.unwrap_or_else(|| {
                email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            });
            let hash = if link {
                None
            } else {
                let password = read_password(&email)?;
                check_password("password", &password, Some(email.as_str()))?;
                Some(crate::auth::passwords::hash(&password)?)
            };
            let created = admins::create(&mut conn, &who, &email, &name, locale, hash)?;
            println!(
                "{} ({}) is a platform admin",
                created.user.email, created.user.display_name
            );
            if let Some(token) = created.setup_token {
                println!(
                    "set-up link (valid {} hours, also mailed): {}/reset-password?token={token}",
                    admins::SETUP_TTL_HOURS,
                    config.mail.app_url.trim_end_matches('/')
                );
            }
            Ok(())
        }
        AdminCommand::List => {
            let admins = admins::list(&mut conn)?;
            if admins.is_empty() {
                println!(
                    "no platform admin yet: create one with `comptoir admin create --email …`"
                );
            }
            for admin in admins {
                let state = match (&admin.disabled_at, &admin.password_hash) {
                    (Some(_), _) => "disabled",
                    (None, None) => "set-up link not used yet",
                    (None, Some(_)) => "active",
                };
                println!("{}\t{}\t{state}", admin.email, admin.display_name);
            }
            Ok(())
        }
        AdminCommand::Grant { email } => {
            let (user, changed) = admins::grant(&mut conn, &who, &Email::parse(&email)?)?;
            if changed {
                println!("{} is now a platform admin", user.email);
            } else {
                println!("{} was a platform admin already", user.email);
            }
            Ok(())
        }
        AdminCommand::Revoke { email } => {
            let (user, changed) = admins::revoke(&mut conn, &who, &Email::parse(&email)?)?;
            if changed {
                println!("{} is no longer a platform admin", user.email);
            } else {
                println!("{} was not a platform admin", user.email);
            }
            Ok(())
        }
    }
}

/// `comptoir audit`: the audit trail, oldest first, one act per line.
pub fn audit(
    config: &Config,
    enterprise: Option<String>,
    action: Option<String>,
    limit: u32,
) -> Result<()> {
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    let enterprise_id = match enterprise {
        Some(key) => Some(
            crate::enterprises::find_id(&mut conn, &key)?
                .with_context(|| format!("no enterprise `{key}`"))?,
        ),
        None => None,
    };
    let filter = crate::audit::Filter {
        enterprise_id,
        action,
    };
    let mut page = crate::pagination::PageParams {
        limit: Some(limit.clamp(1, crate::pagination::MAX_LIMIT)),
        after: None,
    };
    loop {
        let found = crate::audit::list(&mut conn, &filter, &page)?;
        for e in &found.items {
            println!(
                "{} UTC\t{}\t{}\t{}\t{} {}\t{}{}",
                e.at.format("%Y-%m-%d %H:%M:%S"),
                e.action,
                e.actor_id.as_deref().unwrap_or(&e.actor),
                e.origin,
                e.subject_kind,
                e.subject_id,
                e.details,
                e.ledger_entry_id
                    .as_deref()
                    .map(|id| format!("\tentry {id}"))
                    .unwrap_or_default()
            );
        }
        match found.next_cursor {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    Ok(())
}

/// The new password: typed twice, unseen, on a terminal; one line of standard input
/// otherwise (a script, a secret piped from a file).
fn read_password(email: &Email) -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {}: ", email.as_str()))
            .context("reading the password")?;
        let again = rpassword::prompt_password("The same password again: ")
            .context("reading the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            bail!("no password on standard input (or use --link for a set-up link)");
        }
        Ok(password)
    }
}
