//! `comptoir payment-request …`: a professional's payment requests on the server's machine
//! (see [`crate::association::payment_requests`]), acting as the person named by `--as`, with
//! that person's rights — to print a stall's standing code, or look at what it received.

use anyhow::{Context, Result};
use clap::Subcommand;

use super::topups::acting;
use crate::association::payment_requests::{self, NewRequest, PaymentRequest};
use crate::banking::Picture;
use crate::config::Config;
use crate::server;

#[derive(Debug, Subcommand)]
pub enum PaymentRequestCommand {
    /// An enterprise's requests, newest first, with what each received.
    List {
        /// The enterprise (slug or id).
        #[arg(long)]
        enterprise: String,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
    /// Ask for a payment: prints its URL, and writes its QR code with --qr FILE.svg|FILE.png.
    Create {
        #[arg(long)]
        enterprise: String,
        /// The local currency.
        #[arg(long)]
        currency: String,
        /// Leave out for an open amount (the payer says how much).
        #[arg(long)]
        amount: Option<String>,
        /// What it is for.
        #[arg(long)]
        label: String,
        /// Paid by many (a stall's standing code) rather than once.
        #[arg(long)]
        reusable: bool,
        /// Where to write the QR code (.svg or .png).
        #[arg(long)]
        qr: Option<std::path::PathBuf>,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
    /// Close an open request.
    Cancel {
        id: String,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
    },
}

fn line(r: &PaymentRequest) -> String {
    let amount = r
        .amount
        .as_ref()
        .map(|m| format!("{} {}", m.amount_string(), m.currency))
        .unwrap_or_else(|| "open amount".into());
    format!(
        "{}  {:<9}  {:>16}  {:>3} paid, {} {}  {}  {}",
        r.id,
        r.state.as_str(),
        amount,
        r.payments,
        r.received.amount_string(),
        r.received.currency,
        r.label,
        r.url
    )
}

pub fn run(config: &Config, command: PaymentRequestCommand) -> Result<()> {
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    let app_url = config.mail.app_url.trim_end_matches('/').to_string();
    let enterprise_id = |conn: &mut crate::db::DbConn, enterprise: &str| -> Result<String> {
        crate::enterprises::find_id(conn, enterprise)?
            .with_context(|| format!("no enterprise `{enterprise}`"))
    };
    match command {
        PaymentRequestCommand::List {
            enterprise,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let id = enterprise_id(&mut conn, &enterprise)?;
            let found = payment_requests::list(&mut conn, &actor, &id, &app_url)?;
            for r in &found {
                println!("{}", line(r));
            }
            eprintln!("{} request(s)", found.len());
        }
        PaymentRequestCommand::Create {
            enterprise,
            currency,
            amount,
            label,
            reusable,
            qr,
            acting: email,
        } => {
            let actor = acting(&mut conn, &email)?;
            let id = enterprise_id(&mut conn, &enterprise)?;
            let amount = amount
                .map(|a| -> Result<crate::money::AmountInput> {
                    Ok(crate::money::AmountInput {
                        amount: a,
                        currency: currency.parse().map_err(anyhow::Error::msg)?,
                    })
                })
                .transpose()?;
            let new = NewRequest {
                amount,
                currency,
                label,
                reusable,
                expires_at: None,
            };
            let made = payment_requests::create(&mut conn, &actor, &id, &new, &app_url)?;
            println!("{}", line(&made));
            if let Some(path) = qr {
                let png = path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("png"));
                let picture = if png { Picture::Png } else { Picture::Svg };
                let bytes = crate::banking::draw(&made.code(), picture)?;
                std::fs::write(&path, bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("QR code written to {}", path.display());
            }
        }
        PaymentRequestCommand::Cancel { id, acting: email } => {
            let actor = acting(&mut conn, &email)?;
            let done = payment_requests::cancel(&mut conn, &actor, &id, &app_url)?;
            println!("{}", line(&done));
        }
    }
    Ok(())
}
