//! `comptoir professional …`: a currency association's owner or treasurer decides who may
//! take its currency, on the server's machine (see [`crate::association::professionals`]),
//! acting as the person named by `--as`, with that person's rights.

use anyhow::{Context, Result};
use clap::Subcommand;

use super::topups::acting;
use crate::association::professionals::{self, Professional, State};
use crate::audit::Who;
use crate::config::Config;
use crate::server;

#[derive(Debug, Subcommand)]
pub enum ProfessionalCommand {
    /// The enterprises that asked to accept a local currency (the queue: --state requested).
    List {
        /// The local currency's code.
        #[arg(long)]
        currency: String,
        /// requested, approved, refused or suspended.
        #[arg(long)]
        state: Option<String>,
        /// The person acting (their e-mail address).
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
    /// Approve an enterprise (id or slug), or lift its suspension: its wallet opens.
    Approve {
        currency: String,
        enterprise: String,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
    /// Refuse an enterprise's request, saying why (it is mailed the reason).
    Refuse {
        currency: String,
        enterprise: String,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
    /// Suspend an approval, saying why: its wallet frozen, its balance kept.
    Suspend {
        currency: String,
        enterprise: String,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
}

fn line(p: &Professional) -> String {
    format!(
        "{}  {:<30}  {:<12}  {}  {:<9}  {}",
        p.enterprise_slug,
        p.enterprise_name,
        p.kind,
        p.currency,
        p.state.as_str(),
        p.reason
    )
}

pub fn run(config: &Config, command: ProfessionalCommand) -> Result<()> {
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    let who = Who::command_line();
    let id_of = |conn: &mut crate::db::DbConn, enterprise: &str| -> Result<String> {
        crate::enterprises::find_id(conn, enterprise)?
            .with_context(|| format!("no enterprise `{enterprise}`"))
    };
    let decided = match command {
        ProfessionalCommand::List {
            currency,
            state,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let state = state
                .map(|s| State::parse(&s).with_context(|| format!("--state: no state `{s}`")))
                .transpose()?;
            let found = professionals::list(&mut conn, &actor, &currency, state)?;
            for p in &found {
                println!("{}", line(p));
            }
            eprintln!("{} enterprise(s)", found.len());
            return Ok(());
        }
        ProfessionalCommand::Approve {
            currency,
            enterprise,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let id = id_of(&mut conn, &enterprise)?;
            professionals::approve(&mut conn, &actor, &who, &currency, &id)?
        }
        ProfessionalCommand::Refuse {
            currency,
            enterprise,
            reason,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let id = id_of(&mut conn, &enterprise)?;
            professionals::refuse(&mut conn, &actor, &who, &currency, &id, &reason)?
        }
        ProfessionalCommand::Suspend {
            currency,
            enterprise,
            reason,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let id = id_of(&mut conn, &enterprise)?;
            professionals::suspend(&mut conn, &actor, &who, &currency, &id, &reason)?
        }
    };
    println!("{}", line(&decided));
    Ok(())
}
