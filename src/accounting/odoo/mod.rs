//! Push of validated moves to Odoo, over its external JSON-RPC API (`POST /jsonrpc`,
//! `common.authenticate` then `object.execute_kw` with the API key as password) or over
//! Odoo 19's JSON-2 API (`POST /json/2/<model>/<method>` with `Authorization: Bearer <key>`
//! and the keyword arguments as body; errors by HTTP status: 401, 404, 422…).
//!
//! `comptoir odoo sync` pushes every validated move ([`super::moves`]) not pushed yet, in
//! ledger order, each as an `account.move` (`move_type: entry`) created in draft then posted:
//! - journals and accounts are looked up in Odoo by code (the chart's codes), partners by
//!   `ref` (the auxiliary code; created with the auxiliary name when missing), and a local
//!   currency by name (created at rate 1 when missing);
//! - **idempotent**: one sync runs at a time (a lease in the database, renewed at every move,
//!   lapsing after 10 minutes if its sync died), and before creating a move it is looked up
//!   by `ref` (the move's `EcritureNum`, unique per journal and year) and journal. A move
//!   created by a sync that crashed before recording it is found and recorded, never created
//!   twice. After 3 transport errors in a row (Odoo down) the sync stops;
//! - each move's state is kept in `odoo_sync`: pending, pushed (with Odoo's id) or failed
//!   (with the error, tried again after 1, 2, 4… minutes, at most an hour). A bad key stops
//!   the whole sync at once; an error about one move fails that move and the sync goes on.
//!
//! - **reconciliation**: receivable lines lettered in Comptoir (an order's euro part owed at
//!   the close, then received) are reconciled in Odoo once all their moves are pushed
//!   (`account.move.line` `reconcile`), once (`odoo_reconciled`).

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{json, Value};

use super::moves::{LineRow, MoveRow};
use crate::config::OdooConfig;
use crate::db::schema::{
    accounting_lines, accounting_moves, odoo_lease, odoo_reconciled, odoo_sync,
};
use crate::db::DbConn;
use crate::db_run;
use crate::error::ApiError;

/// What went wrong talking to Odoo.
#[derive(Debug, thiserror::Error)]
pub enum OdooError {
    #[error("Odoo is not configured: set odoo.url, odoo.database, odoo.login and odoo.api_key")]
    NotConfigured,
    #[error("Odoo refused the login or API key")]
    Auth,
    #[error("Odoo could not be reached: {0}")]
    Transport(String),
    #[error("Odoo answered HTTP {0}")]
    Http(u16),
    #[error("Odoo error {name}: {message}")]
    Server { name: String, message: String },
    #[error("Odoo answered something unexpected: {0}")]
    Protocol(String),
}

impl OdooError {
    /// Errors that stop the whole sync (every later call would fail the same way).
    fn is_fatal(&self) -> bool {
        match self {
            OdooError::NotConfigured | OdooError::Auth => true,
            OdooError::Server { name, .. } => name.ends_with("AccessDenied"),
            _ => false,
        }
    }
}

/// Which of Odoo's external APIs to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    JsonRpc,
    Json2,
}

/// A client of one Odoo database.
pub struct Client {
    api: Api,
    base: String,
    agent: ureq::Agent,
    endpoint: String,
    database: String,
    login: String,
    key: SecretString,
    uid: Option<i64>,
    next_id: u64,
}

impl Client {
    /// A client from the configuration (all four settings are needed).
    pub fn from_config(config: &OdooConfig) -> Result<Client, OdooError> {
        let (Some(url), Some(database), Some(login), Some(key)) = (
            &config.url,
            &config.database,
            &config.login,
            &config.api_key,
        ) else {
            return Err(OdooError::NotConfigured);
        };
        let api = match config.api.as_deref() {
            None | Some("jsonrpc") => Api::JsonRpc,
            Some("json2") => Api::Json2,
            Some(other) => {
                return Err(OdooError::Protocol(format!(
                    "odoo.api must be `jsonrpc` or `json2`, not `{other}`"
                )))
            }
        };
        Ok(Client::new(api, url, database, login, key.clone()))
    }

    pub fn new(api: Api, url: &str, database: &str, login: &str, key: SecretString) -> Client {
        Client::with_timeout(api, url, database, login, key, Duration::from_secs(30))
    }

    /// A client whose every call gives up after `timeout` (a move then fails and is tried
    /// again later).
    pub fn with_timeout(
        api: Api,
        url: &str,
        database: &str,
        login: &str,
        key: SecretString,
        timeout: Duration,
    ) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            api,
            base: url.trim_end_matches('/').to_string(),
            agent,
            endpoint: format!("{}/jsonrpc", url.trim_end_matches('/')),
            database: database.into(),
            login: login.into(),
            key,
            uid: None,
            next_id: 0,
        }
    }

    fn call(&mut self, service: &str, method: &str, args: Value) -> Result<Value, OdooError> {
        self.next_id += 1;
        let body = json!({"jsonrpc": "2.0", "method": "call", "id": self.next_id,
            "params": {"service": service, "method": method, "args": args}});
        let mut response = self
            .agent
            .post(&self.endpoint)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(|e| OdooError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(OdooError::Http(status));
        }
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| OdooError::Transport(e.to_string()))?;
        let answer: Value = serde_json::from_str(&text)
            .map_err(|_| OdooError::Protocol(text.chars().take(200).collect()))?;
        if let Some(error) = answer.get("error") {
            let data = error.get("data").cloned().unwrap_or(Value::Null);
            return Err(OdooError::Server {
                name: data["name"].as_str().unwrap_or("unknown").to_string(),
                message: data["message"]
                    .as_str()
                    .or(error["message"].as_str())
                    .unwrap_or("")
                    .chars()
                    .take(500)
                    .collect(),
            });
        }
        // a method that returns nothing answers with no `result` at all
        Ok(answer.get("result").cloned().unwrap_or(Value::Null))
    }

    /// One JSON-2 call: the keyword arguments as body, the result as answer.
    fn call_json2(&mut self, model: &str, method: &str, body: Value) -> Result<Value, OdooError> {
        let mut response = self
            .agent
            .post(&format!("{}/json/2/{model}/{method}", self.base))
            .header("Content-Type", "application/json")
            .header(
                "Authorization",
                &format!("Bearer {}", self.key.expose_secret()),
            )
            .header("X-Odoo-Database", &self.database)
            .send(body.to_string())
            .map_err(|e| OdooError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| OdooError::Transport(e.to_string()))?;
        match status {
            200 => serde_json::from_str(&text)
                .map_err(|_| OdooError::Protocol(text.chars().take(200).collect())),
            401 | 403 => Err(OdooError::Auth),
            400..=499 => {
                let error: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                Err(OdooError::Server {
                    name: error["name"].as_str().unwrap_or("http").to_string(),
                    message: error["message"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("HTTP {status}"))
                        .chars()
                        .take(500)
                        .collect(),
                })
            }
            _ => Err(OdooError::Http(status)),
        }
    }

    /// The user id of the login (cached; JSON-2 checks the key with `context_get`); a refused
    /// key is [`OdooError::Auth`].
    pub fn authenticate(&mut self) -> Result<i64, OdooError> {
        if let Some(uid) = self.uid {
            return Ok(uid);
        }
        if self.api == Api::Json2 {
            self.call_json2("res.users", "context_get", json!({}))?;
            self.uid = Some(0);
            return Ok(0);
        }
        let args = json!([self.database, self.login, self.key.expose_secret(), {}]);
        match self.call("common", "authenticate", args)? {
            Value::Number(n) => {
                let uid = n.as_i64().ok_or(OdooError::Auth)?;
                self.uid = Some(uid);
                Ok(uid)
            }
            _ => Err(OdooError::Auth),
        }
    }

    /// `execute_kw(db, uid, key, model, method, args, kwargs)`; a session that expired is
    /// authenticated again once.
    pub fn execute(
        &mut self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, OdooError> {
        if self.api == Api::Json2 {
            // JSON-2 takes keyword arguments only: the positional ones get their names
            let mut body = kwargs;
            match method {
                "search_read" => body["domain"] = args[0].clone(),
                "create" => body["vals_list"] = json!([args[0].clone()]),
                _ => body["ids"] = args[0].clone(),
            }
            return self.call_json2(model, method, body);
        }
        for attempt in 0..2 {
            let uid = self.authenticate()?;
            let call = json!([
                self.database,
                uid,
                self.key.expose_secret(),
                model,
                method,
                args,
                kwargs
            ]);
            match self.call("object", "execute_kw", call) {
                Err(OdooError::Server { name, .. })
                    if attempt == 0 && name.contains("SessionExpired") =>
                {
                    self.uid = None;
                }
                other => return other,
            }
        }
        Err(OdooError::Protocol("session expired twice".into()))
    }

    /// Ids of the records of `model` matching `domain`.
    fn search(&mut self, model: &str, domain: Value) -> Result<Vec<i64>, OdooError> {
        let found = self.execute(
            model,
            "search_read",
            json!([domain]),
            json!({"fields": ["id"], "limit": 2}),
        )?;
        Ok(found
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r["id"].as_i64()).collect())
            .unwrap_or_default())
    }

    fn create(&mut self, model: &str, values: Value) -> Result<i64, OdooError> {
        let created = self.execute(model, "create", json!([values]), json!({}))?;
        // one id, or a list of one id (newer versions)
        created
            .as_i64()
            .or_else(|| {
                created
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(Value::as_i64)
            })
            .ok_or_else(|| OdooError::Protocol(format!("create answered {created}")))
    }
}

/// What a sync did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct SyncReport {
    /// Moves created and posted in Odoo.
    pub pushed: usize,
    /// Moves found in Odoo already (pushed by an earlier sync that did not record it).
    pub found: usize,
    /// Moves that failed this time (tried again later).
    pub failed: usize,
    /// Lettered receivable groups reconciled in Odoo.
    pub reconciled: usize,
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
fn number(decimal: &str) -> Result<Value, OdooError> {
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
                message: format!("no {what} with code {key} in Odoo"),
            })
        }
    };
    cache.insert(key.to_string(), id);
    Ok(id)
}

impl Lookups {
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

/// Minutes a sync's lease lasts without being renewed.
const LEASE_MINUTES: i64 = 10;

/// Takes or renews the lease for `holder`; false when another sync holds it.
fn lease(conn: &mut DbConn, holder: &str) -> Result<bool, ApiError> {
    let now = crate::time::now();
    let taken = db_run!(conn => diesel::update(
        odoo_lease::table.find(1).filter(
            odoo_lease::until
                .is_null()
                .or(odoo_lease::until.lt(now))
                .or(odoo_lease::holder.eq(holder)),
        ),
    )
    .set((
        odoo_lease::holder.eq(holder),
        odoo_lease::until.eq(now + chrono::Duration::minutes(LEASE_MINUTES)),
    ))
    .execute(conn))?;
    Ok(taken == 1)
}

/// Pushes what is due (see the module documentation); `progress` is told each move done.
/// One sync runs at a time (a lease in the database): a second one is refused with 409.
pub fn sync(
    conn: &mut DbConn,
    client: &mut Client,
    progress: &mut dyn FnMut(usize),
) -> Result<SyncReport, ApiError> {
    let holder = crate::time::new_id();
    if !lease(conn, &holder)? {
        return Err(ApiError::Unavailable(
            "another Odoo sync is running; try again when it is done".into(),
        ));
    }
    let result = sync_leased(conn, client, &holder, progress);
    let released = db_run!(conn => diesel::update(odoo_lease::table.find(1).filter(odoo_lease::holder.eq(&holder)))
        .set(odoo_lease::until.eq(None::<chrono::NaiveDateTime>))
        .execute(conn));
    if let Err(e) = released {
        tracing::warn!(error = %e, "releasing the Odoo sync lease failed; it lapses by itself");
    }
    result
}

/// Transport errors in a row after which a sync stops (Odoo is down: every move would wait
/// for its timeout and be charged an attempt).
const STOP_AFTER_TRANSPORT_ERRORS: usize = 3;

fn sync_leased(
    conn: &mut DbConn,
    client: &mut Client,
    holder: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<SyncReport, ApiError> {
    client
        .authenticate()
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let mut transport_errors = 0;
    enqueue_new(conn)?;
    let mut report = SyncReport::default();
    let mut lookups = Lookups::default();
    let started = crate::time::now();
    loop {
        let due: Vec<(MoveRow, i32)> = db_run!(conn => accounting_moves::table
            .inner_join(odoo_sync::table)
            .filter(odoo_sync::state.ne("pushed"))
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
            if !lease(conn, holder)? {
                return Err(ApiError::Unavailable(
                    "the Odoo sync lost its lease to another sync".into(),
                ));
            }
            match push_move(client, &mut lookups, &m, &lines) {
                Ok((odoo_id, created)) => {
                    transport_errors = 0;
                    if created {
                        report.pushed += 1;
                    } else {
                        report.found += 1;
                    }
                    db_run!(conn => diesel::update(odoo_sync::table.find(&m.ledger_entry_id))
                        .set((
                            odoo_sync::state.eq("pushed"),
                            odoo_sync::odoo_move_id.eq(Some(odoo_id)),
                            odoo_sync::last_error.eq(None::<String>),
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
    FROM accounting_lines l LEFT JOIN odoo_sync s ON s.ledger_entry_id = l.ledger_entry_id
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
        let done = (|| -> Result<bool, OdooError> {
            let account = lookups.account(client, &code)?;
            let lines = client.search(
                "account.move.line",
                json!([["move_id", "in", moves], ["account_id", "=", account]]),
            )?;
            if lines.len() < 2 {
                return Ok(false); // not in Odoo as expected: tried again next time
            }
            client.execute("account.move.line", "reconcile", json!([lines]), json!({}))?;
            Ok(true)
        })();
        match done {
            Ok(false) => {}
            Ok(true) => {
                db_run!(conn => diesel::insert_into(odoo_reconciled::table)
                    .values((
                        odoo_reconciled::account_code.eq(&code),
                        odoo_reconciled::letter.eq(&letter),
                        odoo_reconciled::reconciled_at.eq(crate::time::now()),
                    ))
                    .execute(conn))?;
                report.reconciled += 1;
            }
            Err(error) if error.is_fatal() => {
                return Err(ApiError::Unavailable(error.to_string()));
            }
            Err(error) => {
                tracing::warn!(%code, %letter, %error, "reconciling in Odoo failed; tried again at the next sync");
            }
        }
    }
    Ok(())
}

/// Creates and posts one move unless Odoo has it already; returns its id and whether it was
/// created now.
fn push_move(
    client: &mut Client,
    lookups: &mut Lookups,
    m: &MoveRow,
    lines: &[LineRow],
) -> Result<(i64, bool), OdooError> {
    let journal = cached(
        &mut lookups.journals,
        client,
        "account.journal",
        &m.journal_code,
        json!([["code", "=", m.journal_code]]),
        Missing::Fail("comptoir.MissingJournal", "journal"),
    )?;
    let reference = m.number_text();
    let existing = client.execute(
        "account.move",
        "search_read",
        json!([[["ref", "=", reference], ["journal_id", "=", journal]]]),
        json!({"fields": ["id", "state"], "limit": 2}),
    )?;
    if let Some(found) = existing.as_array().and_then(|rows| rows.first()) {
        let id = found["id"]
            .as_i64()
            .ok_or_else(|| OdooError::Protocol(format!("a move without id: {found}")))?;
        // created by a sync that stopped before posting it
        if found["state"] == "draft" {
            client.execute("account.move", "action_post", json!([[id]]), json!({}))?;
        }
        return Ok((id, false));
    }
    let mut line_values = Vec::with_capacity(lines.len());
    for l in lines {
        let account = lookups.account(client, &l.account_code)?;
        let partner = if l.aux_code.is_empty() {
            Value::Bool(false)
        } else {
            json!(cached(
                &mut lookups.partners,
                client,
                "res.partner",
                &l.aux_code,
                json!([["ref", "=", l.aux_code]]),
                Missing::Create(json!({"name": l.aux_label, "ref": l.aux_code})),
            )?)
        };
        let mut values = json!({
            "account_id": account,
            "partner_id": partner,
            "name": l.label,
            "debit": number(&crate::money::Money::eur(l.debit_minor).amount_string())?,
            "credit": number(&crate::money::Money::eur(l.credit_minor).amount_string())?,
        });
        if !l.currency.is_empty() {
            // the currency's own decimals, as its amounts show them
            let decimals = l
                .currency_amount
                .split_once('.')
                .map_or(0, |(_, d)| d.len());
            let rounding = if decimals == 0 {
                "1".to_string()
            } else {
                format!("0.{}1", "0".repeat(decimals - 1))
            };
            let currency = cached(
                &mut lookups.currencies,
                client,
                "res.currency",
                &l.currency,
                json!([["name", "=", l.currency], ["active", "in", [true, false]]]),
                Missing::Create(json!({"name": l.currency, "symbol": l.currency,
                    "rounding": number(&rounding)?,
                    "rate_ids": [[0, 0, {"name": "2000-01-01", "rate": 1.0}]]})),
            )?;
            values["currency_id"] = json!(currency);
            values["amount_currency"] = if l.credit_minor > 0 {
                number(&format!("-{}", l.currency_amount))?
            } else {
                number(&l.currency_amount)?
            };
        }
        line_values.push(json!([0, 0, values]));
    }
    let id = client.create(
        "account.move",
        json!({"move_type": "entry", "journal_id": journal,
            "date": m.entry_date.format("%Y-%m-%d").to_string(),
            "ref": reference, "narration": m.piece_ref, "line_ids": line_values}),
    )?;
    client.execute("account.move", "action_post", json!([[id]]), json!({}))?;
    Ok((id, true))
}

/// How the push stands: moves per state, and the latest errors.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub pending: i64,
    pub pushed: i64,
    pub failed: i64,
    /// Moves validated but not seen by a sync yet.
    pub not_seen: i64,
    pub latest_errors: Vec<(String, String)>,
}

pub fn status(conn: &mut DbConn) -> Result<SyncStatus, ApiError> {
    let (states, moves, errors) = db_run!(conn => {
        let states: Vec<(String, i64)> = odoo_sync::table
            .group_by(odoo_sync::state)
            .select((odoo_sync::state, diesel::dsl::count_star()))
            .load(conn)?;
        let moves: i64 = accounting_moves::table.count().get_result(conn)?;
        let errors: Vec<(String, Option<String>)> = odoo_sync::table
            .filter(odoo_sync::state.eq("failed"))
            .order(odoo_sync::updated_at.desc())
            .limit(5)
            .select((odoo_sync::ledger_entry_id, odoo_sync::last_error))
            .load(conn)?;
        Ok::<_, diesel::result::Error>((states, moves, errors))
    })?;
    let count = |s: &str| states.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let seen: i64 = states.iter().map(|(_, n)| n).sum();
    Ok(SyncStatus {
        pending: count("pending"),
        pushed: count("pushed"),
        failed: count("failed"),
        not_seen: moves - seen,
        latest_errors: errors
            .into_iter()
            .map(|(id, e)| (id, e.unwrap_or_default()))
            .collect(),
    })
}
