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

pub use client::{Api, Client, OdooError};

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};

use super::moves::{LineRow, MoveRow};
use crate::db::schema::{
    accounting_lines, accounting_moves, accounting_state, odoo_reconcile_failures, odoo_reconciled,
    odoo_sync,
};
use crate::db::DbConn;
use crate::db_run;
use crate::error::ApiError;
use compare::Side;

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

/// Odoo ids looked up once per sync.
#[derive(Default)]
struct Lookups {
    journals: HashMap<String, i64>,
    accounts: HashMap<String, i64>,
    partners: HashMap<String, i64>,
    currencies: HashMap<String, i64>,
}

/// A JSON number written from an exact decimal string (Odoo's amounts are JSON numbers).
fn json_number(decimal: &str) -> Result<Value, OdooError> {
    decimal
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .map_err(|_| OdooError::Protocol(format!("`{decimal}` is not a number")))
}

/// What to do when Odoo has no record for a key.
enum Missing {
    /// Create it with these values.
    Create(Value),
    /// Fail the move: (error name, what is missing).
    Fail(&'static str, &'static str),
}

/// The id of the `model` record matching `domain`, looked up once per sync under `key`.
fn cached(
    cache: &mut HashMap<String, i64>,
    client: &mut Client,
    model: &str,
    key: &str,
    domain: Value,
    missing: Missing,
) -> Result<i64, OdooError> {
    if let Some(id) = cache.get(key) {
        return Ok(*id);
    }
    let id = match (client.search(model, domain)?.first(), missing) {
        (Some(id), _) => *id,
        (None, Missing::Create(values)) => client.create(model, values)?,
        (None, Missing::Fail(name, what)) => {
            return Err(OdooError::Server {
                name: name.into(),
                message: format!(
                    "no {what} with code {key} in Odoo: run `comptoir odoo prepare` to create it"
                ),
            })
        }
    };
    cache.insert(key.to_string(), id);
    Ok(id)
}

impl Lookups {
    fn journal(&mut self, client: &mut Client, code: &str) -> Result<i64, OdooError> {
        cached(
            &mut self.journals,
            client,
            "account.journal",
            code,
            json!([["code", "=", code]]),
            Missing::Fail("comptoir.MissingJournal", "journal"),
        )
    }

    fn account(&mut self, client: &mut Client, code: &str) -> Result<i64, OdooError> {
        cached(
            &mut self.accounts,
            client,
            "account.account",
            code,
            json!([["code", "=", code]]),
            Missing::Fail("comptoir.MissingAccount", "account"),
        )
    }

    fn partner(&mut self, client: &mut Client, code: &str, name: &str) -> Result<i64, OdooError> {
        cached(
            &mut self.partners,
            client,
            "res.partner",
            code,
            json!([["ref", "=", code]]),
            Missing::Create(json!({"name": name, "ref": code})),
        )
    }

    /// A local currency, created at rate 1 with its amounts' decimals when missing.
    fn currency(
        &mut self,
        client: &mut Client,
        code: &str,
        decimals: usize,
    ) -> Result<i64, OdooError> {
        let rounding = if decimals == 0 {
            "1".to_string()
        } else {
            format!("0.{}1", "0".repeat(decimals - 1))
        };
        cached(
            &mut self.currencies,
            client,
            "res.currency",
            code,
            json!([["name", "=", code], ["active", "in", [true, false]]]),
            Missing::Create(json!({"name": code, "symbol": code,
                "rounding": json_number(&rounding)?,
                "rate_ids": [[0, 0, {"name": "2000-01-01", "rate": 1.0}]]})),
        )
    }
}

fn backoff_minutes(attempts: i32) -> i64 {
    1_i64 << attempts.clamp(0, 6)
}

/// Records every validated move not seen yet as pending.
fn enqueue_new(conn: &mut DbConn) -> Result<usize, ApiError> {
    const INSERT: &str =
        "INSERT INTO odoo_sync (ledger_entry_id, state, attempts, next_attempt_at, updated_at)
        SELECT m.ledger_entry_id, 'pending', 0, $1, $1 FROM accounting_moves m
        WHERE NOT EXISTS (SELECT 1 FROM odoo_sync s WHERE s.ledger_entry_id = m.ledger_entry_id)";
    Ok(db_run!(conn => diesel::sql_query(INSERT)
        .bind::<diesel::sql_types::Timestamp, _>(crate::time::now())
        .execute(conn))?)
}

/// This deployment's identity in Odoo: a UUID drawn by the first sync and kept.
pub fn deployment_id(conn: &mut DbConn) -> Result<String, ApiError> {
    let fresh = crate::time::new_id();
    db_run!(conn => diesel::update(accounting_state::table.find(1).filter(accounting_state::deployment_id.eq("")))
        .set(accounting_state::deployment_id.eq(&fresh))
        .execute(conn))?;
    Ok(db_run!(conn => accounting_state::table
        .find(1)
        .select(accounting_state::deployment_id)
        .first::<String>(conn))?)
}

/// The module of Comptoir's external ids in Odoo.
pub const MODULE: &str = "comptoir";

/// The external id's name of a move: `move_<deployment>_<ledger entry>` (letters, digits and
/// underscores only).
pub fn external_name(deployment: &str, ledger_entry_id: &str) -> String {
    format!("move_{deployment}_{ledger_entry_id}").replace('-', "_")
}

/// Pushes what is due (see the module documentation); `progress` is told each move done.
/// One sync runs at a time: a second one is refused with 503, naming the running one.
pub fn sync(
    conn: &mut DbConn,
    client: &mut Client,
    progress: &mut dyn FnMut(usize),
) -> Result<SyncReport, ApiError> {
    let holder = lease::holder_name();
    if let Err(running) = lease::take(conn, &holder)? {
        return Err(ApiError::Unavailable(format!(
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

/// What became of one move.
enum Pushed {
    Created(i64),
    Found(i64),
    /// Odoo holds it differently, or would re-date it: Odoo's id when it has one, the text.
    Conflict(Option<i64>, String),
}

fn sync_leased(
    conn: &mut DbConn,
    client: &mut Client,
    holder: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<SyncReport, ApiError> {
    client
        .authenticate()
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let deployment = deployment_id(conn)?;
    let lock = match lock_date(client) {
        Ok(date) => date,
        Err(e) if e.is_fatal() => return Err(ApiError::Unavailable(e.to_string())),
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
    let mut lookups = Lookups::default();
    let started = crate::time::now();
    loop {
        let due: Vec<(MoveRow, i32)> = db_run!(conn => accounting_moves::table
            .inner_join(odoo_sync::table)
            .filter(odoo_sync::state.eq_any(["pending", "failed"]))
            .filter(odoo_sync::next_attempt_at.le(started))
            .order(accounting_moves::ledger_seq.asc())
            .limit(100)
            .select((MoveRow::as_select(), odoo_sync::attempts))
            .load(conn))?;
        if due.is_empty() {
            reconcile(conn, client, &mut lookups, &mut report)?;
            return Ok(report);
        }
        for (m, attempts) in due {
            let lines: Vec<LineRow> = db_run!(conn => accounting_lines::table
                .filter(accounting_lines::ledger_entry_id.eq(&m.ledger_entry_id))
                .order(accounting_lines::position.asc())
                .select(LineRow::as_select())
                .load(conn))?;
            let now = crate::time::now();
            if !lease::renew(conn, holder)? {
                return Err(ApiError::Unavailable(
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
                    db_run!(conn => diesel::update(odoo_sync::table.find(&m.ledger_entry_id))
                        .set((
                            odoo_sync::state.eq("conflict"),
                            odoo_sync::odoo_move_id.eq(odoo_id),
                            odoo_sync::conflict.eq(Some(&text)),
                            odoo_sync::last_error.eq(None::<String>),
                            odoo_sync::updated_at.eq(now),
                        ))
                        .execute(conn))?;
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
                    db_run!(conn => diesel::update(odoo_sync::table.find(&m.ledger_entry_id))
                        .set((
                            odoo_sync::state.eq("pushed"),
                            odoo_sync::odoo_move_id.eq(Some(odoo_id)),
                            odoo_sync::last_error.eq(None::<String>),
                            odoo_sync::conflict.eq(None::<String>),
                            odoo_sync::updated_at.eq(now),
                        ))
                        .execute(conn))?;
                }
                Err(error) if error.is_fatal() => {
                    // not this move's fault: it stays as it was
                    return Err(ApiError::Unavailable(error.to_string()));
                }
                Err(error) => {
                    let transport =
                        matches!(error, OdooError::Transport(_) | OdooError::Http(500..));
                    transport_errors = if transport { transport_errors + 1 } else { 0 };
                    report.failed += 1;
                    let next = now + chrono::Duration::minutes(backoff_minutes(attempts).min(60));
                    db_run!(conn => diesel::update(odoo_sync::table.find(&m.ledger_entry_id))
                        .set((
                            odoo_sync::state.eq("failed"),
                            odoo_sync::attempts.eq(attempts + 1),
                            odoo_sync::last_error.eq(Some(error.to_string())),
                            odoo_sync::next_attempt_at.eq(next),
                            odoo_sync::updated_at.eq(now),
                        ))
                        .execute(conn))?;
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
) -> Result<(), ApiError> {
    let rows: Vec<Lettered> = db_run!(conn => diesel::sql_query(LETTERED).load(conn))?;
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
                db_run!(conn => conn.transaction(|conn| {
                    diesel::insert_into(odoo_reconciled::table)
                        .values((
                            odoo_reconciled::account_code.eq(&code),
                            odoo_reconciled::letter.eq(&letter),
                            odoo_reconciled::reconciled_at.eq(now),
                        ))
                        .execute(conn)?;
                    diesel::delete(odoo_reconcile_failures::table.find((&code, &letter)))
                        .execute(conn)
                }))?;
                report.reconciled += 1;
            }
            Err(error) if error.is_fatal() => {
                return Err(ApiError::Unavailable(error.to_string()));
            }
            Err(error) => {
                report.reconcile_failed += 1;
                let text = error.to_string();
                tracing::warn!(%code, %letter, %text, "reconciling in Odoo failed; tried again at the next sync");
                db_run!(conn => diesel::insert_into(odoo_reconcile_failures::table)
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
                    ))
                    .execute(conn))?;
            }
        }
    }
    Ok(())
}

/// One move to push, and what the sync knows around it.
struct Target<'a> {
    deployment: &'a str,
    lock_date: Option<NaiveDate>,
    m: &'a MoveRow,
    lines: &'a [LineRow],
}

/// Comptoir's side of a move, for comparison.
fn our_side(m: &MoveRow, lines: &[LineRow]) -> Result<Side, OdooError> {
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let amount_currency = if l.currency.is_empty() {
            Decimal::ZERO
        } else {
            let amount: Decimal = l.currency_amount.parse().map_err(|_| {
                OdooError::Protocol(format!("`{}` is not an amount", l.currency_amount))
            })?;
            if l.credit_minor > 0 {
                -amount
            } else {
                amount
            }
        };
        out.push(compare::Line {
            account: l.account_code.clone(),
            partner: l.aux_code.clone(),
            debit: l.debit_minor,
            credit: l.credit_minor,
            currency: l.currency.clone(),
            amount_currency: amount_currency.normalize(),
        });
    }
    Ok(Side {
        journal: m.journal_code.clone(),
        date: m.entry_date,
        lines: out,
    })
}

/// The first word of a many-to-one's display name (`[12, "411100 Clients"]` → `411100`).
fn display_code(many2one: &Value) -> String {
    many2one[1]
        .as_str()
        .and_then(|name| name.split_whitespace().next())
        .unwrap_or("")
        .to_string()
}

/// A move as Odoo holds it: its state, Odoo's name for it, and its side.
struct OdooMove {
    state: String,
    side: Side,
}

/// Reads move `id` from Odoo (`None`: there is no such move).
fn read_move(
    client: &mut Client,
    lookups: &Lookups,
    id: i64,
) -> Result<Option<OdooMove>, OdooError> {
    let found = client.search_read(
        "account.move",
        json!([["id", "=", id]]),
        &["state", "date", "journal_id"],
        Some(1),
    )?;
    let Some(head) = found.first() else {
        return Ok(None);
    };
    let date = head["date"]
        .as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| OdooError::Protocol(format!("a move without date: {head}")))?;
    let journal_id = head["journal_id"][0].as_i64().unwrap_or(0);
    // the journal's code as Comptoir knows it, else Odoo's display name
    let journal = lookups
        .journals
        .iter()
        .find(|(_, id)| **id == journal_id)
        .map(|(code, _)| code.clone())
        .unwrap_or_else(|| head["journal_id"][1].as_str().unwrap_or("?").to_string());
    let rows = client.search_read(
        "account.move.line",
        json!([["move_id", "=", id]]),
        &[
            "account_id",
            "partner_id",
            "debit",
            "credit",
            "currency_id",
            "amount_currency",
        ],
        None,
    )?;
    // partners by their reference (the auxiliary code)
    let partner_ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r["partner_id"][0].as_i64())
        .collect();
    let mut refs: HashMap<i64, String> = HashMap::new();
    if !partner_ids.is_empty() {
        for p in client.search_read(
            "res.partner",
            json!([["id", "in", partner_ids]]),
            &["ref"],
            None,
        )? {
            if let Some(pid) = p["id"].as_i64() {
                let r = p["ref"].as_str().unwrap_or("").to_string();
                refs.insert(
                    pid,
                    if r.is_empty() {
                        format!("partner {pid}")
                    } else {
                        r
                    },
                );
            }
        }
    }
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        let amount = |field: &str| {
            compare::cents_of(&r[field])
                .ok_or_else(|| OdooError::Protocol(format!("{field} is not a number: {r}")))
        };
        // a line in the company's currency carries it and its balance: not a foreign amount
        let currency = r["currency_id"][1].as_str().unwrap_or("").to_string();
        let (currency, amount_currency) = if currency.is_empty() || currency == "EUR" {
            (String::new(), Decimal::ZERO)
        } else {
            let a = compare::decimal_of(&r["amount_currency"]).ok_or_else(|| {
                OdooError::Protocol(format!("amount_currency is not a number: {r}"))
            })?;
            (currency, a.normalize())
        };
        lines.push(compare::Line {
            account: display_code(&r["account_id"]),
            partner: r["partner_id"][0]
                .as_i64()
                .and_then(|pid| refs.get(&pid).cloned())
                .unwrap_or_default(),
            debit: amount("debit")?,
            credit: amount("credit")?,
            currency,
            amount_currency,
        });
    }
    Ok(Some(OdooMove {
        state: head["state"].as_str().unwrap_or("").to_string(),
        side: Side {
            journal,
            date,
            lines,
        },
    }))
}

/// The external id of a move already in Odoo, when it has one of Comptoir's.
fn external_id_of(client: &mut Client, odoo_id: i64) -> Result<Option<String>, OdooError> {
    let found = client.search_read(
        "ir.model.data",
        json!([
            ["module", "=", MODULE],
            ["model", "=", "account.move"],
            ["res_id", "=", odoo_id]
        ]),
        &["name"],
        Some(1),
    )?;
    Ok(found
        .first()
        .and_then(|r| r["name"].as_str())
        .map(str::to_string))
}

fn give_external_id(client: &mut Client, name: &str, odoo_id: i64) -> Result<(), OdooError> {
    client.create(
        "ir.model.data",
        json!({"module": MODULE, "name": name, "model": "account.move", "res_id": odoo_id,
            "noupdate": true}),
    )?;
    Ok(())
}

/// A move found in Odoo: the same as Comptoir's (posted if it was a draft), or a conflict.
fn settle_found(
    client: &mut Client,
    ours: &Side,
    number: &str,
    odoo_id: i64,
    found: OdooMove,
) -> Result<Pushed, OdooError> {
    let differences = compare::differences(ours, &found.side);
    if !differences.is_empty() {
        return Ok(Pushed::Conflict(
            Some(odoo_id),
            compare::conflict(
                &format!(
                    "Odoo's move {number} (id {odoo_id}) is not Comptoir's: {}",
                    differences.join("; ")
                ),
                ours,
                &found.side,
            ),
        ));
    }
    // created by a sync that stopped before posting it
    if found.state == "draft" {
        client.execute("account.move", "action_post", json!([[odoo_id]]), json!({}))?;
    }
    Ok(Pushed::Found(odoo_id))
}

/// Creates and posts one move unless Odoo has it already (see the module documentation).
fn push_move(client: &mut Client, lookups: &mut Lookups, t: &Target) -> Result<Pushed, OdooError> {
    let (m, lines) = (t.m, t.lines);
    let journal = lookups.journal(client, &m.journal_code)?;
    let number = m.number_text();
    let ours = our_side(m, lines)?;
    let name = external_name(t.deployment, &m.ledger_entry_id);
    // 1. by its identity
    let by_identity = client.search_read(
        "ir.model.data",
        json!([["module", "=", MODULE], ["name", "=", name]]),
        &["res_id"],
        Some(1),
    )?;
    if let Some(odoo_id) = by_identity.first().and_then(|r| r["res_id"].as_i64()) {
        if let Some(found) = read_move(client, lookups, odoo_id)? {
            return settle_found(client, &ours, &number, odoo_id, found);
        }
        // the move was deleted in Odoo: created again below
    }
    // 2. by its number, which another timeline may have used
    let by_number = client.search_read(
        "account.move",
        json!([["ref", "=", number], ["journal_id", "=", journal]]),
        &["id"],
        Some(1),
    )?;
    if let Some(odoo_id) = by_number.first().and_then(|r| r["id"].as_i64()) {
        let Some(found) = read_move(client, lookups, odoo_id)? else {
            return Err(OdooError::Protocol(format!("move {odoo_id} vanished")));
        };
        if let Some(other) = external_id_of(client, odoo_id)? {
            if other != name {
                return Ok(Pushed::Conflict(
                    Some(odoo_id),
                    compare::conflict(
                        &format!(
                            "Odoo's move {number} (id {odoo_id}) was pushed for another ledger entry \
                             (external id {MODULE}.{other}): a restored backup, another deployment or \
                             a staging copy pushing to the same Odoo company"
                        ),
                        &ours,
                        &found.side,
                    ),
                ));
            }
        }
        let settled = settle_found(client, &ours, &number, odoo_id, found)?;
        if matches!(settled, Pushed::Found(_)) {
            give_external_id(client, &name, odoo_id)?;
        }
        return Ok(settled);
    }
    // 3. Odoo would re-date a move on or before its lock date
    if let Some(lock) = t.lock_date.filter(|lock| m.entry_date <= *lock) {
        return Ok(Pushed::Conflict(
            None,
            format!(
                "{number} is dated {}, on or before Odoo's lock date {lock} \
                 (fiscalyear_lock_date): Odoo would date it otherwise. Not pushed: move the \
                 lock date back in Odoo, then run `comptoir odoo retry {number}`",
                m.entry_date
            ),
        ));
    }
    // 4. created, given its identity, posted, and its date read back
    let mut line_values = Vec::with_capacity(lines.len());
    for l in lines {
        let account = lookups.account(client, &l.account_code)?;
        let partner = if l.aux_code.is_empty() {
            Value::Bool(false)
        } else {
            json!(lookups.partner(client, &l.aux_code, &l.aux_label)?)
        };
        let mut values = json!({
            "account_id": account,
            "partner_id": partner,
            "name": l.label,
            "debit": json_number(&crate::money::Money::eur(l.debit_minor).amount_string())?,
            "credit": json_number(&crate::money::Money::eur(l.credit_minor).amount_string())?,
        });
        if !l.currency.is_empty() {
            // the currency's own decimals, as its amounts show them
            let decimals = l
                .currency_amount
                .split_once('.')
                .map_or(0, |(_, d)| d.len());
            values["currency_id"] = json!(lookups.currency(client, &l.currency, decimals)?);
            values["amount_currency"] = if l.credit_minor > 0 {
                json_number(&format!("-{}", l.currency_amount))?
            } else {
                json_number(&l.currency_amount)?
            };
        }
        line_values.push(json!([0, 0, values]));
    }
    let id = client.create(
        "account.move",
        json!({"move_type": "entry", "journal_id": journal,
            "date": m.entry_date.format("%Y-%m-%d").to_string(),
            "ref": number, "narration": m.piece_ref, "line_ids": line_values}),
    )?;
    give_external_id(client, &name, id)?;
    client.execute("account.move", "action_post", json!([[id]]), json!({}))?;
    let posted = read_move(client, lookups, id)?
        .ok_or_else(|| OdooError::Protocol(format!("move {id} vanished after posting")))?;
    if posted.side.date != m.entry_date {
        return Ok(Pushed::Conflict(
            Some(id),
            compare::conflict(
                &format!(
                    "Odoo dated {number} (id {id}) {} instead of {} (a lock date): correct it in \
                     Odoo, then run `comptoir odoo retry {number}`",
                    posted.side.date, m.entry_date
                ),
                &ours,
                &posted.side,
            ),
        ));
    }
    Ok(Pushed::Created(id))
}

/// A move that failed or conflicts, as `odoo status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Trouble {
    /// The move's number (`MLC2026-000052`).
    pub number: String,
    /// The error, or the conflict with both sides.
    pub text: String,
}

/// How the push stands: moves per state, who is syncing, and what needs a person.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub pending: i64,
    pub pushed: i64,
    pub failed: i64,
    pub conflicts: i64,
    /// Moves validated but not seen by a sync yet.
    pub not_seen: i64,
    /// The running sync, when one runs.
    pub running: Option<lease::Holder>,
    /// The latest failed moves (at most 10), newest first.
    pub latest_errors: Vec<Trouble>,
    /// Every conflict, in ledger order (at most 50).
    pub conflict_list: Vec<Trouble>,
    /// Reconciliations that failed: (account code, letter, error).
    pub reconcile_failures: Vec<(String, String, String)>,
}

impl SyncStatus {
    /// Nothing needs a person.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.conflicts == 0 && self.reconcile_failures.is_empty()
    }
}

fn troubles(conn: &mut DbConn, state: &str, limit: i64) -> Result<Vec<Trouble>, ApiError> {
    let rows: Vec<(MoveRow, Option<String>, Option<String>)> = db_run!(conn => {
        let query = accounting_moves::table
            .inner_join(odoo_sync::table)
            .filter(odoo_sync::state.eq(state))
            .select((MoveRow::as_select(), odoo_sync::last_error, odoo_sync::conflict))
            .limit(limit);
        if state == "failed" {
            query.order(odoo_sync::updated_at.desc()).load(conn)
        } else {
            query.order(accounting_moves::ledger_seq.asc()).load(conn)
        }
    })?;
    Ok(rows
        .into_iter()
        .map(|(m, error, conflict)| Trouble {
            number: m.number_text(),
            text: conflict.or(error).unwrap_or_default(),
        })
        .collect())
}

pub fn status(conn: &mut DbConn) -> Result<SyncStatus, ApiError> {
    let (states, moves) = db_run!(conn => {
        let states: Vec<(String, i64)> = odoo_sync::table
            .group_by(odoo_sync::state)
            .select((odoo_sync::state, diesel::dsl::count_star()))
            .load(conn)?;
        let moves: i64 = accounting_moves::table.count().get_result(conn)?;
        Ok::<_, diesel::result::Error>((states, moves))
    })?;
    let reconcile_failures: Vec<(String, String, String)> = db_run!(conn => odoo_reconcile_failures::table
        .order((odoo_reconcile_failures::account_code, odoo_reconcile_failures::letter))
        .select((
            odoo_reconcile_failures::account_code,
            odoo_reconcile_failures::letter,
            odoo_reconcile_failures::error,
        ))
        .load(conn))?;
    let count = |s: &str| states.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let seen: i64 = states.iter().map(|(_, n)| n).sum();
    Ok(SyncStatus {
        pending: count("pending"),
        pushed: count("pushed"),
        failed: count("failed"),
        conflicts: count("conflict"),
        not_seen: moves - seen,
        running: lease::current(conn)?,
        latest_errors: troubles(conn, "failed", 10)?,
        conflict_list: troubles(conn, "conflict", 50)?,
        reconcile_failures,
    })
}

/// Which moves `comptoir odoo retry` sends again.
#[derive(Debug, Clone)]
pub enum Retry {
    /// Every failed or conflicting move.
    All,
    /// One move, by number (`MLC2026-000052`).
    Move(String),
}

/// Parses `MLC2026-000052` into (journal, year, number).
fn parse_number(text: &str) -> Option<(String, i32, i64)> {
    let (head, number) = text.trim().split_once('-')?;
    if head.len() < 5 {
        return None;
    }
    let (journal, year) = head.split_at(head.len() - 4);
    if journal.is_empty() {
        return None;
    }
    Some((
        journal.to_string(),
        year.parse().ok()?,
        number.parse().ok()?,
    ))
}

/// Makes failed or conflicting moves due at the next sync (from the start: attempts at zero,
/// the conflict forgotten); returns how many. A person runs it after fixing Odoo.
pub fn retry(conn: &mut DbConn, which: &Retry) -> Result<usize, ApiError> {
    let now = crate::time::now();
    let ids: Vec<String> = match which {
        Retry::All => db_run!(conn => odoo_sync::table
            .filter(odoo_sync::state.eq_any(["failed", "conflict"]))
            .select(odoo_sync::ledger_entry_id)
            .load(conn))?,
        Retry::Move(text) => {
            let (journal, year, number) = parse_number(text).ok_or_else(|| {
                ApiError::field("move", "format", "a move number such as MLC2026-000052")
            })?;
            let found: Option<(String, Option<String>)> = db_run!(conn => accounting_moves::table
                .left_join(odoo_sync::table)
                .filter(accounting_moves::journal_code.eq(&journal))
                .filter(accounting_moves::fiscal_year.eq(year))
                .filter(accounting_moves::number.eq(number))
                .select((accounting_moves::ledger_entry_id, odoo_sync::state.nullable()))
                .first(conn)
                .optional())?;
            match found {
                None => {
                    return Err(ApiError::NotFound(format!("no move {}", text.trim())));
                }
                Some((_, Some(state))) if state == "pushed" => {
                    return Err(ApiError::Conflict {
                        kind: crate::error::ProblemKind::Conflict,
                        detail: format!("{} is in Odoo already", text.trim()),
                    });
                }
                Some((_, None)) => return Ok(0), // not seen yet: the next sync takes it
                Some((id, Some(_))) => vec![id],
            }
        }
    };
    let mut changed = 0;
    for chunk in ids.chunks(500) {
        changed += db_run!(conn => diesel::update(odoo_sync::table.filter(odoo_sync::ledger_entry_id.eq_any(chunk)))
            .set((
                odoo_sync::state.eq("pending"),
                odoo_sync::attempts.eq(0),
                odoo_sync::next_attempt_at.eq(now),
                odoo_sync::conflict.eq(None::<String>),
                odoo_sync::last_error.eq(None::<String>),
                odoo_sync::updated_at.eq(now),
            ))
            .execute(conn))?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn move_numbers_are_read_back() {
        assert_eq!(
            parse_number("MLC2026-000052"),
            Some(("MLC".into(), 2026, 52))
        );
        assert_eq!(parse_number("VT2026-000001"), Some(("VT".into(), 2026, 1)));
        for bad in ["", "2026-1", "MLC-1", "MLC2026", "MLCxxxx-1", "MLC2026-x"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn external_ids_are_letters_digits_and_underscores() {
        let name = external_name(
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "0190a1b2-0000-7e5f-8a9b-0c1d2e3f4a5b",
        );
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert!(name.starts_with("move_0190a1b2_c3d4"));
    }
}
