//! `comptoir bench mail`: how many mails a second the outbox's worker delivers
//! ([`crate::mail::delivery::Mailer::deliver_due`], as the server's worker runs it) through
//! the transport the configuration names — `.eml` files by default, SMTP when `smtp.url` is
//! set (measured against a local SMTP sink, see BENCHMARKS.md) — to set beside the rate at
//! which sustained checkouts write mail (two per order: the customer's confirmation and the
//! hub's copy).
//!
//! It queues `--mails` mails (`account_exists`, a short mail in the recipient's language) in
//! transactions of [`QUEUED_PER_TRANSACTION`], then times one delivery pass over all of them.
//! Mails already due in the database are delivered with them and counted: run it against a
//! scratch database.

use std::time::Instant;

use anyhow::{ensure, Result};

use crate::db::Db;
use crate::mail::delivery::Mailer;
use crate::mail::outbox;

/// Mails queued per transaction while seeding.
pub const QUEUED_PER_TRANSACTION: usize = 500;

/// What the mail benchmark measured.
#[derive(Debug, Clone)]
pub struct MailMeasure {
    pub backend: &'static str,
    /// The transport, as the worker logs it (`files in …`, `smtp://host:port`).
    pub transport: String,
    pub queued: usize,
    pub sent: usize,
    pub seconds: f64,
}

impl MailMeasure {
    pub fn per_second(&self) -> f64 {
        self.sent as f64 / self.seconds
    }
}

/// Queues `mails` mails, then delivers every due mail once through `mailer`, timed.
pub fn mail(db: &Db, mailer: &Mailer, mails: usize) -> Result<MailMeasure> {
    let backend = super::orders::backend_name(db);
    let mut conn = db.conn()?;
    let values = serde_json::json!({ "display_name": "Bench" });
    let mut queued = 0;
    while queued < mails {
        let n = QUEUED_PER_TRANSACTION.min(mails - queued);
        conn.transaction(|conn| -> Result<(), crate::mail::MailError> {
            for i in queued..queued + n {
                let to = format!("bench-{i}@example.org");
                outbox::enqueue(conn, &to, "account_exists", "fr", &values)?;
            }
            Ok(())
        })?;
        queued += n;
    }
    let started = Instant::now();
    let pass = mailer.deliver_due(&mut conn)?;
    let seconds = started.elapsed().as_secs_f64();
    ensure!(
        pass.failed == 0 && pass.retrying == 0,
        "{} mails failed and {} are to be retried: see `comptoir mail status`",
        pass.failed,
        pass.retrying
    );
    ensure!(
        pass.sent >= mails,
        "{} of the {mails} mails queued were sent",
        pass.sent
    );
    Ok(MailMeasure {
        backend,
        transport: mailer.transport.describe(),
        queued,
        sent: pass.sent,
        seconds,
    })
}

/// The measure as a Markdown table.
pub fn mail_table(m: &MailMeasure) -> String {
    format!(
        "| backend | transport | mails | time | mails/s | checkouts/s it keeps up with (2 mails each) |\n|---|---|---|---|---|---|\n| {} | {} | {} | {:.2} s | {:.0} | {:.0} |\n",
        m.backend,
        m.transport,
        m.sent,
        m.seconds,
        m.per_second(),
        m.per_second() / 2.0,
    )
}
