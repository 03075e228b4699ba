//! `comptoir person …`: answering a person's written request about their data, on the
//! server's machine (see [`crate::privacy`]); people logged in use `GET /api/v1/me/data`
//! and `POST /api/v1/me/erasure` themselves.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::audit::Who;
use crate::auth::registration::{find_user, Email};
use crate::config::Config;
use crate::ids::UserId;
use crate::{privacy, server};

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Everything Comptoir holds about a person, as JSON (to stdout, or --output FILE,
    /// written owner-only).
    Export {
        email: String,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Erase a person's personal data (refused, with the reason, while a wallet holds money,
    /// an order is open, or the person is an admin or holds a role other than member).
    Erase { email: String },
}

fn find(conn: &mut crate::db::DbConn, email: &str) -> Result<UserId> {
    let email = Email::parse(email)?;
    find_user(conn, email.as_str())?
        .map(|u| UserId::from(u.id))
        .with_context(|| format!("no account has the address {}", email.as_str()))
}

pub fn run(config: &Config, command: PersonCommand) -> Result<()> {
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    match command {
        PersonCommand::Export { email, output } => {
            let user = find(&mut conn, &email)?;
            let data = privacy::export(&mut conn, &user)?;
            let text = serde_json::to_string_pretty(&data)?;
            match output {
                Some(path) => {
                    let mut file = crate::files::private(&path, true)
                        .with_context(|| format!("creating {}", path.display()))?;
                    file.write_all(text.as_bytes())?;
                    eprintln!("the data of {email} is in {}", path.display());
                }
                None => println!("{text}"),
            }
            Ok(())
        }
        PersonCommand::Erase { email } => {
            let user = find(&mut conn, &email)?;
            let erased = privacy::erase(&mut conn, &Who::command_line(), &user)?;
            println!(
                "the personal data of {email} is erased: the account is now {} ({} unsent mails dropped)",
                erased.pseudonym, erased.mails_dropped
            );
            Ok(())
        }
    }
}
