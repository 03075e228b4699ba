//! Push of validated moves to Odoo ([`client`]: JSON-RPC, or JSON-2 on Odoo 19+).
//!
//! `comptoir odoo sync` pushes every validated move ([`super::moves`]) not pushed yet, in
//! ledger order, each as an `account.move` (`move_type: entry`) created in draft then posted:
//! - journals and accounts are looked up in Odoo by code (the chart's codes; `comptoir odoo
//!   prepare` creates what is missing, [`prepare`]), partners by `ref` (the auxiliary code;
//!   created with the auxiliary name when missing), and a local currency by name (created at
//!   rate 1 when missing);
//! - **identity**: each move carries the external id `comptoir.move_<deployment>_<ledger
//!   entry>` (`ir.model.data`), where the deployment id is a UUID drawn by the first sync. No
//!   other deployment, restored backup or staging copy can produce it for another move.
//! - **never silently different**: before creating a move, it is looked up by its external
//!   id, then by `ref` (its `EcritureNum`) and journal. A move found is compared with
//!   Comptoir's ([`compare`]: journal, date, accounts, partners, amounts, currency amounts):
//!   the same — a sync that stopped before recording it — is recorded (and posted if still in
//!   draft; given its external id if it had none); anything else — a move of another timeline
//!   with the same number, other lines — is a **conflict**: recorded with both sides, never
//!   marked pushed, never tried again until `comptoir odoo retry`. After posting, the date is
//!   read back: a move Odoo re-dated (its lock date) is a conflict too. Moves dated on or
//!   before Odoo's `fiscalyear_lock_date`, read at the start of each sync, are conflicts
//!   without being created (Odoo would re-date them);
//! - one sync runs at a time ([`lease`]), and a sync that dies lets go at once;
//! - each move's state is kept in `odoo_sync`: pending, pushed (with Odoo's id), failed
//!   (with the error, tried again after 1, 2, 4… minutes, at most an hour) or conflict. A bad
//!   key stops the whole sync at once; an error about one move fails that move and the sync
//!   goes on; after 3 transport errors in a row (Odoo down) the sync stops;
//! - **reconciliation**: receivable lines lettered in Comptoir (an order's euro part owed at
//!   the close, then received) are reconciled in Odoo once all their moves are pushed
//!   (`account.move.line` `reconcile`), once (`odoo_reconciled`); a failure is kept
//!   (`odoo_reconcile_failures`) and shown until it succeeds.
//!
//! A sync's report says what it did; any conflict, failed move or failed reconciliation makes
//! `comptoir odoo sync` exit with status 1.

pub mod client;
pub mod compare;
pub mod lease;
pub mod prepare;
mod push;
pub mod status;

pub use client::{Api, Client, OdooError};
pub use push::{external_name, MODULE};
use push::{push_move, Lookups, Pushed, Target};
pub use status::{retry, status, Retry, SyncStatus, Trouble};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::moves::{LineRow, MoveRow};
use crate::accounting::AccountingError;
use crate::db::schema::{
    accounting_lines, accounting_moves, accounting_state, odoo_reconcile_failures, odoo_reconciled,
    odoo_sync,
};
use crate::db::DbConn;

/// What a sync did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct SyncReport {
    /// Moves created and posted in Odoo.
    pub pushed: usize,
    /// Moves found in Odoo already, identical (pushed by a sync that did not record it).
    pub found: usize,
    /// Moves Odoo holds differently, or would re-date (see `odoo status`).
    pub conflicts: usize,
    /// Moves that failed this time (tried again later).
    pub failed: usize,
    /// Lettered receivable groups reconciled in Odoo.
    pub reconciled: usize,
    /// Lettered groups whose reconciliation failed (tried again at the next sync).
    pub reconcile_failed: usize,
    /// Odoo's `fiscalyear_lock_date`, when it has one.
    pub lock_date: Option<NaiveDate>,
}

impl SyncReport {
    /// Nothing failed or conflicted.
    pub fn ok(&self) -> bool {
        self.conflicts == 0 && self.failed == 0 && self.reconcile_failed == 0
    }
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pushed {}, found {}, conflicts {}, failed {}, reconciled {}, reconciliations failed {}",
            self.pushed,
            self.found,
            self.conflicts,
            self.failed,
            self.reconciled,
            self.reconcile_failed
        )
    }
}

fn backoff_minutes(attempts: i32) -> i64 {
    1_i64 << attempts.clamp(0, 6)
}

/// Records every validated move not seen yet as pending.
fn enqueue_new(conn: &mut DbConn) -> Result<usize, AccountingError> {
    const INSERT: &str =
        "INSERT INTO odoo_sync (ledger_entry_id, state, attempts, next_attempt_at, updated_at)
        SELECT m.ledger_entry_id, 'pending', 0, $1, $1 FROM accounting_moves m
        WHERE NOT EXISTS (SELECT 1 FROM odoo_sync s WHERE s.ledger_entry_id = m.ledger_entry_id)";
    Ok(diesel::sql_query(INSERT)
        .bind::<diesel::sql_types::Timestamp, _>(crate::time::now())
        .execute(conn.diesel())?)
}

/// This deployment's identity in Odoo: a UUID drawn by the first sync and kept.
pub fn deployment_id(conn: &mut DbConn) -> Result<String, AccountingError> {
    let fresh = crate::time::new_id();
    diesel::update(
        accounting_state::table
            .find(1)
            .filter(accounting_state::deployment_id.eq("")),
    )
    .set(accounting_state::deployment_id.eq(&fresh))
    .execute(conn.diesel())?;
    Ok(accounting_state::table
        .find(1)
        .select(accounting_state::deployment_id)
        .first::<String>(conn.diesel())?)
}

/// Pushes what is due (see the module documentation); `progress` is told each move done.
/// One sync runs at a time: a second one is refused with 503, naming the running one.
pub fn sync(
    conn: &mut DbConn,
    client: &mut Client,
    progress: &mut dyn FnMut(usize),
) -> Result<SyncReport, AccountingError> {
    let holder = lease::holder_name();
    if let Err(running) = lease::take(conn, &holder)? {
        return Err(AccountingError::SyncRunning(format!(
            "another Odoo sync is running ({}, since {} UTC); try again when it is done",
            running.who(),
            running.since.format("%Y-%m-%d %H:%M:%S")
        )));
    }
    let result = sync_leased(conn, client, &holder, progress);
    if let Err(e) = lease::release(conn, &holder) {
        tracing::warn!(error = %e, "releasing the Odoo sync lease failed; it lapses by itself");
    }
    result
}

/// Transport errors in a row after which a sync stops (Odoo is down: every move would wait
/// for its timeout and be charged an attempt).
const STOP_AFTER_TRANSPORT_ERRORS: usize = 3;

/// Odoo's `fiscalyear_lock_date` (the latest of the companies the user sees), when readable.
fn lock_date(client: &mut Client) -> Result<Option<NaiveDate>, OdooError> {
    let companies =
        client.search_read("res.company", json!([]), &["fiscalyear_lock_date"], None)?;
    Ok(companies
        .iter()
        .filter_map(|c| c["fiscalyear_lock_date"].as_str())
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .max())
}

fn sync_leased(
    conn: &mut DbConn,
    client: &mut Client,
    holder: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<SyncReport, AccountingError> {
    client
        .authenticate()
        .map_err(|e| AccountingError::RetryLater(e.to_string()))?;
    let deployment = deployment_id(conn)?;
    let lock = match lock_date(client) {
        Ok(date) => date,
        Err(e) if e.is_fatal() => return Err(AccountingError::RetryLater(e.to_string())),
        Err(e) => {
            tracing::warn!(error = %e, "Odoo's lock date could not be read; re-dated moves show after posting");
            None
        }
    };
    let mut report = SyncReport {
        lock_date: lock,
        ..SyncReport::default()
    };
    let mut transport_errors = 0;
    enqueue_new(conn)?;
    let mut lookups = Lookups::in_legal(crate::ledger::currencies::legal(conn)?.code.to_string());
    let started = crate::time::now();
    loop {
        let due: Vec<(MoveRow, i32)> = accounting_moves::table
            .inner_join(odoo_sync::table)
            .filter(odoo_sync::state.eq_any(["pending", "failed"]))
            .filter(odoo_sync::next_attempt_at.le(started))
            .order(accounting_moves::ledger_seq.asc())
            .limit(100)
            .select((MoveRow::as_select(), odoo_sync::attempts))
            .load(conn.diesel())?;
        if due.is_empty() {
            reconcile(conn, client, &mut lookups, &mut report)?;
            return Ok(report);
        }
        for (m, attempts) in due {
            let lines: Vec<LineRow> = accounting_lines::table
                .filter(accounting_lines::ledger_entry_id.eq(&m.ledger_entry_id))
                .order(accounting_lines::position.asc())
                .select(LineRow::as_select())
                .load(conn.diesel())?;
            let now = crate::time::now();
            if !lease::renew(conn, holder)? {
                return Err(AccountingError::RetryLater(
                    "the Odoo sync lost its lease to another sync".into(),
                ));
            }
            let target = Target {
                deployment: &deployment,
                lock_date: report.lock_date,
                m: &m,
                lines: &lines,
            };
            match push_move(client, &mut lookups, &target) {
                Ok(Pushed::Conflict(odoo_id, text)) => {
                    transport_errors = 0;
                    report.conflicts += 1;
                    tracing::warn!(number = %m.number_text(), "Odoo conflict: {text}");
                    diesel::update(odoo_sync::table.find(&m.ledger_entry_id))
                        .set((
                            odoo_sync::state.eq("conflict"),
                            odoo_sync::odoo_move_id.eq(odoo_id),
                            odoo_sync::conflict.eq(Some(&text)),
                            odoo_sync::last_error.eq(None::<String>),
                            odoo_sync::updated_at.eq(now),
                        ))
                        .execute(conn.diesel())?;
                }
                Ok(pushed @ (Pushed::Created(_) | Pushed::Found(_))) => {
                    transport_errors = 0;
                    let odoo_id = match pushed {
                        Pushed::Created(id) => {
                            report.pushed += 1;
                            id
                        }
                        Pushed::Found(id) | Pushed::Conflict(Some(id), _) => {
                            report.found += 1;
                            id
                        }
                        Pushed::Conflict(None, _) => continue,
                    };
                    diesel::update(odoo_sync::table.find(&m.ledger_entry_id))
                        .set((
                            odoo_sync::state.eq("pushed"),
                            odoo_sync::odoo_move_id.eq(Some(odoo_id)),
                            odoo_sync::last_error.eq(None::<String>),
                            odoo_sync::conflict.eq(None::<String>),
                            odoo_sync::updated_at.eq(now),
                        ))
                        .execute(conn.diesel())?;
                }
                Err(error) if error.is_fatal() => {
                    // not this move's fault: it stays as it was
                    return Err(AccountingError::RetryLater(error.to_string()));
                }
                Err(error) => {
                    let transport =
                        matches!(error, OdooError::Transport(_) | OdooError::Http(500..));
                    transport_errors = if transport { transport_errors + 1 } else { 0 };
                    report.failed += 1;
                    let next = now + chrono::Duration::minutes(backoff_minutes(attempts).min(60));
                    diesel::update(odoo_sync::table.find(&m.ledger_entry_id))
                        .set((
                            odoo_sync::state.eq("failed"),
                            odoo_sync::attempts.eq(attempts + 1),
                            odoo_sync::last_error.eq(Some(error.to_string())),
                            odoo_sync::next_attempt_at.eq(next),
                            odoo_sync::updated_at.eq(now),
                        ))
                        .execute(conn.diesel())?;
                    if transport_errors >= STOP_AFTER_TRANSPORT_ERRORS {
                        tracing::warn!(%error, "Odoo keeps failing: this sync stops here");
                        return Ok(report);
                    }
                }
            }
            progress(1);
        }
    }
}
#[derive(diesel::QueryableByName)]
struct Lettered {
    #[diesel(sql_type = diesel::sql_types::Text)]
    account_code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    letter: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    odoo_move_id: Option<i64>,
}

const LETTERED: &str = "SELECT l.account_code AS account_code, l.letter AS letter,
        s.odoo_move_id AS odoo_move_id
    FROM accounting_lines l LEFT JOIN odoo_sync s
        ON s.ledger_entry_id = l.ledger_entry_id AND s.state = 'pushed'
    WHERE l.letter <> '' AND NOT EXISTS (SELECT 1 FROM odoo_reconciled r
        WHERE r.account_code = l.account_code AND r.letter = l.letter)
    ORDER BY l.account_code, l.letter";

/// Reconciles in Odoo the lettered groups whose moves are all pushed. An error leaves the
/// group for the next sync.
fn reconcile(
    conn: &mut DbConn,
    client: &mut Client,
    lookups: &mut Lookups,
    report: &mut SyncReport,
) -> Result<(), AccountingError> {
    let rows: Vec<Lettered> = diesel::sql_query(LETTERED).load(conn.diesel())?;
    // (account code, letter) → the Odoo ids of its moves (`None`: not pushed yet)
    type Group = ((String, String), Vec<Option<i64>>);
    let mut groups: Vec<Group> = Vec::new();
    for row in rows {
        let key = (row.account_code, row.letter);
        match groups.last_mut() {
            Some((k, ids)) if *k == key => ids.push(row.odoo_move_id),
            _ => groups.push((key, vec![row.odoo_move_id])),
        }
    }
    for ((code, letter), ids) in groups {
        let Some(mut moves) = ids.into_iter().collect::<Option<Vec<i64>>>() else {
            continue; // some move of the group is not in Odoo yet
        };
        moves.sort_unstable();
        moves.dedup();
        let done = (|| -> Result<(), OdooError> {
            let account = lookups.account(client, &code)?;
            let lines = client.search(
                "account.move.line",
                json!([["move_id", "in", moves], ["account_id", "=", account]]),
            )?;
            if lines.len() < 2 {
                return Err(OdooError::Protocol(format!(
                    "Odoo has {} line(s) on account {code} in these moves, where Comptoir lettered 2 or more",
                    lines.len()
                )));
            }
            client.execute("account.move.line", "reconcile", json!([lines]), json!({}))?;
            Ok(())
        })();
        let now = crate::time::now();
        match done {
            Ok(()) => {
                {
                    let conn = conn.diesel();
                    conn.transaction(|conn| {
                        diesel::insert_into(odoo_reconciled::table)
                            .values((
                                odoo_reconciled::account_code.eq(&code),
                                odoo_reconciled::letter.eq(&letter),
                                odoo_reconciled::reconciled_at.eq(now),
                            ))
                            .execute(conn)?;
                        diesel::delete(odoo_reconcile_failures::table.find((&code, &letter)))
                            .execute(conn)
                    })
                }?;
                report.reconciled += 1;
            }
            Err(error) if error.is_fatal() => {
                return Err(AccountingError::RetryLater(error.to_string()));
            }
            Err(error) => {
                report.reconcile_failed += 1;
                let text = error.to_string();
                tracing::warn!(%code, %letter, %text, "reconciling in Odoo failed; tried again at the next sync");
                crate::db::execute(
                    conn.diesel(),
                    diesel::insert_into(odoo_reconcile_failures::table)
                        .values((
                            odoo_reconcile_failures::account_code.eq(&code),
                            odoo_reconcile_failures::letter.eq(&letter),
                            odoo_reconcile_failures::error.eq(&text),
                            odoo_reconcile_failures::failed_at.eq(now),
                        ))
                        .on_conflict((
                            odoo_reconcile_failures::account_code,
                            odoo_reconcile_failures::letter,
                        ))
                        .do_update()
                        .set((
                            odoo_reconcile_failures::error.eq(&text),
                            odoo_reconcile_failures::failed_at.eq(now),
                        )),
                )?;
            }
        }
    }
    Ok(())
}
