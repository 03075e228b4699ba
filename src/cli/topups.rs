//! `comptoir topup …`: a currency's treasurer works through the members' top-up requests on
//! the server's machine (see [`crate::association::topups`]). The command acts as the
//! treasurer named by `--as`, with that person's rights: the policy decides as it does over
//! HTTP, and the audit trail names them, from the command line.

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::association::topups::{self, Method, State};
use crate::audit::Who;
use crate::auth::actor::{self, Actor};
use crate::auth::registration::{find_user, Email};
use crate::config::Config;
use crate::pagination::PageParams;
use crate::server;

#[derive(Debug, Subcommand)]
pub enum TopUpCommand {
    /// The requests of a local currency, oldest first (the queue: --state pending).
    List {
        /// The local currency's code.
        #[arg(long)]
        currency: String,
        /// pending, approved, refused or cancelled.
        #[arg(long)]
        state: Option<String>,
        /// bank_transfer or cash.
        #[arg(long)]
        method: Option<String>,
        /// The treasurer acting (their e-mail address).
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
    /// Approve a request once its money has arrived: the currency is issued, once.
    Approve {
        id: String,
        /// What arrived: the bank statement's line, a receipt number.
        #[arg(long, default_value = "")]
        received: String,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
    /// Refuse a request, saying why (the member is mailed the reason).
    Refuse {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
}

/// The person named by `--as`, with their rights (also for `comptoir professional`).
pub(super) fn acting(conn: &mut crate::db::DbConn, email: &str) -> Result<Actor> {
    let email = Email::parse(email)?;
    let user = find_user(conn, email.as_str())?
        .with_context(|| format!("--as: no account has the address {}", email.as_str()))?;
    actor::load(conn, &user.id)?
        .with_context(|| format!("--as: the account {} is disabled", email.as_str()))
}

fn line(t: &topups::TopUp) -> String {
    format!(
        "{}  no. {:>6}  {:<9}  {:>12} {} for {} {}  {:<13}  {}  {}",
        t.id,
        t.number,
        t.state.as_str(),
        t.amount.amount_string(),
        t.amount.currency,
        t.to_pay.amount_string(),
        t.to_pay.currency,
        t.method.as_str(),
        t.reference,
        t.created_at.format("%Y-%m-%d %H:%M"),
    )
}

pub fn run(config: &Config, command: TopUpCommand) -> Result<()> {
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    let who = Who::command_line();
    match command {
        TopUpCommand::List {
            currency,
            state,
            method,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let state = state
                .map(|s| State::parse(&s).with_context(|| format!("--state: no state `{s}`")))
                .transpose()?;
            let method = method
                .map(|m| Method::parse(&m).with_context(|| format!("--method: no method `{m}`")))
                .transpose()?;
            let mut page = PageParams {
                limit: Some(crate::pagination::MAX_LIMIT),
                after: None,
            };
            let mut count = 0;
            loop {
                let found = topups::queue(&mut conn, &actor, &currency, state, method, &page)?;
                for t in &found.items {
                    println!("{}", line(t));
                }
                count += found.items.len();
                match found.next_cursor {
                    Some(next) => page.after = Some(next),
                    None => break,
                }
            }
            eprintln!("{count} request(s)");
        }
        TopUpCommand::Approve {
            id,
            received,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let t = topups::approve(&mut conn, &actor, &who, &id, &received)?;
            println!("{}", line(&t));
        }
        TopUpCommand::Refuse {
            id,
            reason,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let t = topups::refuse(&mut conn, &actor, &who, &id, &reason)?;
            println!("{}", line(&t));
        }
    }
    Ok(())
}
