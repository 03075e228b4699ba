//! The push to Odoo against a fake Odoo speaking the JSON-RPC shapes of a real Odoo 17
//! (DOMAIN.md §5, checked against a real Odoo 17.0 with the French chart): `authenticate`
//! answering `false` for a bad key, errors as HTTP 200 with an `error` object, `action_post`
//! answering without a `result`, unbalanced moves refused at `create`, many-to-one fields
//! read as `[id, "display name"]` (an account's is "code name"), lines in the company's
//! currency carrying EUR and their balance, external ids in `ir.model.data`, journal codes
//! cut to 5 characters, `common.version`, and a move posted on or before the company's
//! `fiscalyear_lock_date` re-dated to the day after it — as is one before a lock the API
//! user cannot read (`period_lock_date` for a user who is not an adviser). Odoo 19's JSON-2
//! API too. Failures are injected — a bad key, an HTTP 500, an expired session, a timeout, a
//! response lost after the move was created (Comptoir "crashing" mid-sync) — and after the
//! next sync Odoo holds every move exactly once, posted and balanced. A move Odoo holds
//! differently, another deployment's moves under the same numbers and a lock date are
//! conflicts, never "pushed". A settled receivable is reconciled in Odoo, once. `comptoir
//! serve` pushes by itself every `odoo.sync_seconds`. Both backends.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::prelude::*;
use secrecy::SecretString;
use serde_json::{json, Value};

use comptoir::accounting::odoo::{self, Api, Client};
use comptoir::db::schema::odoo_sync;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};
use crate::support::funded_wallet;

backend_tests!(
    json_rpc_sync_pushes_each_move_once_whatever_fails,
    json2_sync_pushes_each_move_once_whatever_fails,
    settled_receivables_are_reconciled_in_odoo,
    the_server_pushes_to_odoo_by_itself,
    a_move_odoo_holds_differently_is_a_conflict_until_retried,
    another_deployment_under_the_same_numbers_conflicts,
    moves_odoo_would_re_date_are_conflicts,
    prepare_creates_what_a_stock_odoo_lacks,
    json2_is_refused_by_odoo_17,
    the_command_line_says_what_needs_a_person,
);

const KEY: &str = "odoo-test-key";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The next call answers HTTP 500.
    Http500,
    /// The next call answers "session expired".
    SessionExpired,
    /// The next `account.move` create is done, but its answer is lost (HTTP 500).
    LoseCreateResponse,
    /// The next call answers after 3 s (the client gives up after 1 s).
    Slow,
}

#[derive(Default)]
struct Fake {
    next_id: i64,
    /// (model, record) with an `id` field
    records: Vec<(String, Value)>,
    failures: VecDeque<Failure>,
    /// The server's major version (`common.version`).
    version: i64,
    /// A lock the API user cannot read (`period_lock_date` for a non-adviser): moves posted
    /// on or before it are re-dated all the same.
    hidden_lock: Option<chrono::NaiveDate>,
}

impl Fake {
    fn new() -> Fake {
        let mut fake = Fake {
            next_id: 100,
            version: 17,
            ..Default::default()
        };
        fake.insert(
            "res.company",
            json!({"name": "My Company", "fiscalyear_lock_date": false}),
        );
        fake.insert("res.currency", json!({"name": "EUR", "symbol": "€"}));
        for code in ["OD", "MLC", "VT", "BQ"] {
            fake.insert("account.journal", json!({"code": code, "name": code}));
        }
        let chart = comptoir::accounting::chart::Chart::defaults().expect("chart");
        for rule in chart.accounts {
            if fake
                .matching("account.account", &json!([["code", "=", rule.code]]))
                .is_empty()
            {
                fake.insert(
                    "account.account",
                    json!({"code": rule.code, "name": rule.label}),
                );
            }
        }
        fake
    }

    fn insert(&mut self, model: &str, mut record: Value) -> i64 {
        self.next_id += 1;
        record["id"] = json!(self.next_id);
        self.records.push((model.to_string(), record));
        self.next_id
    }

    fn matching(&self, model: &str, domain: &Value) -> Vec<&Value> {
        self.records
            .iter()
            .filter(|(m, r)| {
                m == model
                    && domain.as_array().into_iter().flatten().all(|c| {
                        let value = r.get(c[0].as_str().unwrap_or(""));
                        match c[1].as_str() {
                            Some("=") => value == Some(&c[2]),
                            Some("in") if c[0] != "active" => c[2]
                                .as_array()
                                .is_some_and(|list| value.is_some_and(|v| list.contains(v))),
                            _ => true,
                        }
                    })
            })
            .map(|(_, r)| r)
            .collect()
    }

    /// A many-to-one as Odoo reads it: `[id, "display name"]`, or `false`.
    fn many2one(&self, field: &str, id: &Value) -> Value {
        let model = match field {
            "journal_id" => "account.journal",
            "account_id" => "account.account",
            "partner_id" => "res.partner",
            "currency_id" => "res.currency",
            "move_id" => "account.move",
            _ => return id.clone(),
        };
        let Some(record) = id
            .as_i64()
            .and_then(|id| {
                self.records
                    .iter()
                    .find(|(m, r)| m == model && r["id"] == id)
            })
            .map(|(_, r)| r)
        else {
            return json!(false);
        };
        let name = match model {
            "account.account" => format!(
                "{} {}",
                record["code"].as_str().unwrap_or(""),
                record["name"].as_str().unwrap_or("")
            ),
            _ => record["name"].as_str().unwrap_or("").to_string(),
        };
        json!([id, name])
    }

    /// `search_read`: the `fields` asked (all when none), many-to-ones as Odoo reads them.
    fn search(&self, model: &str, domain: &Value, fields: &Value) -> Vec<Value> {
        self.matching(model, domain)
            .into_iter()
            .map(|r| {
                let mut out = json!({"id": r["id"]});
                let names: Vec<&str> = match fields.as_array() {
                    Some(list) if !list.is_empty() => {
                        list.iter().filter_map(Value::as_str).collect()
                    }
                    _ => r
                        .as_object()
                        .map(|o| o.keys().map(String::as_str).collect())
                        .unwrap_or_default(),
                };
                for name in names {
                    let value = r.get(name).cloned().unwrap_or(json!(false));
                    out[name] = self.many2one(name, &value);
                }
                out
            })
            .collect()
    }

    fn lock_date(&self) -> Option<chrono::NaiveDate> {
        self.records
            .iter()
            .filter(|(m, _)| m == "res.company")
            .filter_map(|(_, r)| r["fiscalyear_lock_date"].as_str())
            .filter_map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .max()
    }

    fn moves(&self) -> Vec<&Value> {
        self.records
            .iter()
            .filter(|(m, _)| m == "account.move")
            .map(|(_, r)| r)
            .collect()
    }
}

fn error(name: &str, message: &str, id: &Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": 200,
        "message": "Odoo Server Error", "data": {"name": name, "message": message,
        "arguments": [message], "context": {}, "debug": "Traceback…"}}}))
}

/// What the fake does with one call, whatever the API.
enum Outcome {
    Result(Value),
    /// A method that returns nothing (JSON-RPC: no `result` key; JSON-2: `null`).
    Nothing,
    Error(&'static str, &'static str),
    Http500,
}

/// `positional`: the record method's first argument (domain, values or ids); `rest`: what
/// follows it (`write`'s values) and `fields` (`search_read`'s).
fn run(
    fake: &mut Fake,
    model: &str,
    method: &str,
    positional: &Value,
    rest: &Value,
    fields: &Value,
) -> Outcome {
    // failures hit the work, not JSON-2's key check nor the lock date read at the start
    let injected = if method == "context_get" || model == "res.company" {
        None
    } else {
        fake.failures.front().copied()
    };
    match injected {
        Some(Failure::Http500) => {
            fake.failures.pop_front();
            return Outcome::Http500;
        }
        Some(Failure::SessionExpired) => {
            fake.failures.pop_front();
            return Outcome::Error("odoo.http.SessionExpiredException", "Session expired");
        }
        _ => {}
    }
    match method {
        "search_read" => Outcome::Result(Value::Array(fake.search(model, positional, fields))),
        "write" => {
            let ids: Vec<Value> = positional.as_array().cloned().unwrap_or_default();
            for (m, r) in fake.records.iter_mut() {
                if m == model && ids.contains(&r["id"]) {
                    for (k, v) in rest.as_object().into_iter().flatten() {
                        r[k] = v.clone();
                    }
                }
            }
            Outcome::Result(json!(true))
        }
        "create" => {
            let mut values = positional.clone();
            if model == "account.journal" {
                // Odoo 17 keeps 5 characters of a journal code, silently
                let code: String = values["code"]
                    .as_str()
                    .unwrap_or("")
                    .chars()
                    .take(5)
                    .collect();
                values["code"] = json!(code);
            }
            if model == "ir.model.data"
                && !fake
                    .matching(
                        model,
                        &json!([
                            ["module", "=", values["module"]],
                            ["name", "=", values["name"]]
                        ]),
                    )
                    .is_empty()
            {
                return Outcome::Error(
                    "psycopg2.errors.UniqueViolation",
                    "duplicate key value violates unique constraint \"ir_model_data_module_name_uniq_index\"",
                );
            }
            if model == "account.move" {
                let lines = values["line_ids"].as_array().cloned().unwrap_or_default();
                let sum = |side: &str| -> f64 {
                    lines
                        .iter()
                        .map(|l| l[2][side].as_f64().unwrap_or(0.0))
                        .sum()
                };
                if (sum("debit") - sum("credit")).abs() > 0.001 || lines.is_empty() {
                    return Outcome::Error(
                        "odoo.exceptions.UserError",
                        "The move is not balanced.",
                    );
                }
            }
            let lines = values["line_ids"].as_array().cloned().unwrap_or_default();
            let mut record = values;
            if model == "account.move" {
                record["state"] = json!("draft");
            }
            let new_id = fake.insert(model, record);
            if model == "account.move" {
                let eur = fake
                    .records
                    .iter()
                    .find(|(m, r)| m == "res.currency" && r["name"] == "EUR")
                    .map(|(_, r)| r["id"].clone())
                    .unwrap_or(json!(false));
                for line in lines {
                    let mut values = line[2].clone();
                    values["move_id"] = json!(new_id);
                    values["reconciled"] = json!(false);
                    // a line in the company's currency carries it, and its balance
                    if values.get("currency_id").is_none() {
                        values["currency_id"] = eur.clone();
                        let balance = values["debit"].as_f64().unwrap_or(0.0)
                            - values["credit"].as_f64().unwrap_or(0.0);
                        values["amount_currency"] = json!(balance);
                    }
                    fake.insert("account.move.line", values);
                }
            }
            if model == "account.move"
                && fake.failures.front() == Some(&Failure::LoseCreateResponse)
            {
                fake.failures.pop_front();
                return Outcome::Http500;
            }
            Outcome::Result(json!(new_id))
        }
        "action_post" => {
            let ids: Vec<i64> = positional
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_i64)
                .collect();
            // posting on or before a lock date re-dates the move to the day after it
            let lock = fake.lock_date().max(fake.hidden_lock);
            for (m, r) in fake.records.iter_mut() {
                if m == "account.move" && ids.contains(&r["id"].as_i64().unwrap_or(0)) {
                    r["state"] = json!("posted");
                    let date = r["date"]
                        .as_str()
                        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                    if let (Some(date), Some(lock)) = (date, lock) {
                        if date <= lock {
                            let next = lock + chrono::Duration::days(1);
                            r["date"] = json!(next.format("%Y-%m-%d").to_string());
                        }
                    }
                }
            }
            // action_post answers false
            Outcome::Result(json!(false))
        }
        "context_get" => Outcome::Result(json!({"lang": "fr_FR", "tz": "Europe/Paris"})),
        "reconcile" => {
            let ids: Vec<i64> = positional
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_i64)
                .collect();
            for (m, r) in fake.records.iter_mut() {
                if m == "account.move.line" && ids.contains(&r["id"].as_i64().unwrap_or(0)) {
                    r["reconciled"] = json!(true);
                }
            }
            Outcome::Nothing
        }
        _ => Outcome::Error("builtins.AttributeError", "unknown method"),
    }
}

async fn jsonrpc(state: web::Data<Arc<Mutex<Fake>>>, body: web::Json<Value>) -> HttpResponse {
    let slow = {
        let mut fake = state.lock().expect("fake");
        let slow =
            fake.failures.front() == Some(&Failure::Slow) && body["params"]["service"] == "object";
        if slow {
            fake.failures.pop_front();
        }
        slow
    };
    if slow {
        actix_web::rt::time::sleep(std::time::Duration::from_secs(3)).await;
    }
    let mut fake = state.lock().expect("fake");
    let id = body["id"].clone();
    let params = &body["params"];
    let args = &params["args"];
    let ok = |result: Value| {
        HttpResponse::Ok().json(json!({"jsonrpc": "2.0", "id": id, "result": result}))
    };
    match (params["service"].as_str(), params["method"].as_str()) {
        (Some("common"), Some("version")) => {
            let version = fake.version;
            return ok(json!({"server_version": format!("{version}.0"),
                "server_version_info": [version, 0, 0, "final", 0, ""],
                "server_serie": format!("{version}.0"), "protocol_version": 1}));
        }
        (Some("common"), Some("authenticate")) => {
            return if args[2] == KEY {
                ok(json!(2))
            } else {
                ok(json!(false))
            };
        }
        (Some("object"), Some("execute_kw")) => {}
        _ => return error("builtins.ValueError", "unknown service", &id),
    }
    if args[2] != KEY {
        return error("odoo.exceptions.AccessDenied", "Access Denied", &id);
    }
    let (model, method) = (
        args[3].as_str().unwrap_or(""),
        args[4].as_str().unwrap_or(""),
    );
    let fields = args[6]["fields"].clone();
    match run(&mut fake, model, method, &args[5][0], &args[5][1], &fields) {
        Outcome::Result(result) => ok(result),
        // a method returning nothing: no `result` key at all
        Outcome::Nothing => HttpResponse::Ok().json(json!({"jsonrpc": "2.0", "id": id})),
        Outcome::Error(name, message) => error(name, message, &id),
        Outcome::Http500 => HttpResponse::InternalServerError().body("<html>500</html>"),
    }
}

/// Odoo 19's JSON-2: keyword arguments as body, a bearer key, errors by HTTP status.
async fn json2(
    state: web::Data<Arc<Mutex<Fake>>>,
    path: web::Path<(String, String)>,
    req: actix_web::HttpRequest,
    body: web::Json<Value>,
) -> HttpResponse {
    let mut fake = state.lock().expect("fake");
    let (model, method) = path.into_inner();
    if fake.version < 19 {
        // JSON-2 does not exist before Odoo 19: its routes are an HTML 404 page
        return HttpResponse::NotFound().body("<html>404 Not Found</html>");
    }
    let bearer = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if bearer != format!("Bearer {KEY}") {
        return HttpResponse::Unauthorized().json(
            json!({"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey"}),
        );
    }
    let positional = match method.as_str() {
        "search_read" => body["domain"].clone(),
        "create" => body["vals_list"][0].clone(),
        _ => body["ids"].clone(),
    };
    match run(
        &mut fake,
        &model,
        &method,
        &positional,
        &body["vals"],
        &body["fields"],
    ) {
        // create answers the list of new ids
        Outcome::Result(result) if method == "create" => HttpResponse::Ok().json(json!([result])),
        Outcome::Result(result) => HttpResponse::Ok().json(result),
        Outcome::Nothing => HttpResponse::Ok().json(Value::Null),
        Outcome::Error(name, message) => {
            HttpResponse::UnprocessableEntity().json(json!({"name": name, "message": message}))
        }
        Outcome::Http500 => HttpResponse::InternalServerError().body("<html>500</html>"),
    }
}

async fn fake_odoo() -> (String, Arc<Mutex<Fake>>) {
    let state = Arc::new(Mutex::new(Fake::new()));
    let data = web::Data::new(state.clone());
    let listener = TcpListener::bind("127.0.0.1:0").expect("port");
    let port = listener.local_addr().expect("addr").port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/jsonrpc", web::post().to(jsonrpc))
            .route("/json/2/{model}/{method}", web::post().to(json2))
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}"), state)
}

/// Runs a sync on a blocking thread (the fake answers on this test's runtime).
async fn sync(app: &TestApp, api: Api, url: &str, key: &str) -> Result<odoo::SyncReport, String> {
    let (db, url, key) = (app.db.db.clone(), url.to_string(), key.to_string());
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = db.conn().map_err(|e| e.to_string())?;
        let mut client = Client::with_timeout(
            api,
            &url,
            "comptoir",
            "admin",
            SecretString::from(key),
            std::time::Duration::from_secs(1),
        );
        odoo::sync(&mut conn, &mut client, &mut |_| {}).map_err(|e| e.to_string())
    })
    .await
    .expect("sync thread")
}

fn retry_now(app: &TestApp) {
    let conn = &mut app.db.db.conn().expect("conn");
    diesel::update(odoo_sync::table)
        .set(odoo_sync::next_attempt_at.eq(comptoir::time::now() - chrono::Duration::minutes(1)))
        .execute(conn.diesel())
        .expect("due now");
}

async fn json_rpc_sync_pushes_each_move_once_whatever_fails(backend: Backend) {
    scenario(backend, Api::JsonRpc).await
}

/// The same over JSON-2 (no session there: the expired-session failure does not apply).
async fn json2_sync_pushes_each_move_once_whatever_fails(backend: Backend) {
    scenario(backend, Api::Json2).await
}

async fn scenario(backend: Backend, api: Api) {
    let app = TestApp::with_bare_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    for amount in ["10.00", "20.00", "5.00"] {
        funded_wallet(&app, &camille, amount).await;
    }
    let moves = {
        let conn = &mut app.db.db.conn().expect("conn");
        comptoir::accounting::moves::validate_until(conn, comptoir::time::now().date(), &mut |_| {})
            .expect("validated")
    };
    assert_eq!(moves, 3, "three top-ups");
    let (url, fake) = fake_odoo().await;
    if api == Api::Json2 {
        fake.lock().expect("fake").version = 19;
    }

    // a bad key stops everything before anything is written
    let refused = sync(&app, api, &url, "wrong").await;
    assert!(refused.is_err_and(|e| e.contains("refused the login")));
    assert!(fake.lock().expect("fake").moves().is_empty());

    // a 500 on the first move, an expired session, then a create whose answer is lost
    let failures: &[Failure] = match api {
        Api::JsonRpc => &[
            Failure::Http500,
            Failure::SessionExpired,
            Failure::LoseCreateResponse,
            Failure::Slow,
        ],
        Api::Json2 => &[Failure::Http500, Failure::LoseCreateResponse],
    };
    fake.lock().expect("fake").failures.extend(failures);
    let first = sync(&app, api, &url, KEY).await.expect("sync runs");
    // JSON-RPC: the third move's first call times out too
    let timed_out = usize::from(api == Api::JsonRpc);
    assert_eq!(first.failed, 2 + timed_out, "{first:?}");
    assert_eq!(first.pushed, 1 - timed_out, "{first:?}");
    // the lost move is in Odoo although Comptoir does not know it
    assert_eq!(fake.lock().expect("fake").moves().len(), 2 - timed_out);

    // the failed moves are tried again later; the lost one is found, not created again
    retry_now(&app);
    let second = sync(&app, api, &url, KEY).await.expect("sync runs");
    assert_eq!(
        (second.pushed, second.found, second.failed),
        (1 + timed_out, 1, 0),
        "{second:?}"
    );
    // one sync at a time: a live sync's lease refuses this one; once it died, the next
    // sync starts at once
    let alive = hold_lease(&app, true);
    let busy = sync(&app, api, &url, KEY).await;
    assert!(
        busy.as_ref()
            .is_err_and(|e| e.contains("another Odoo sync is running (pid")),
        "{busy:?}"
    );
    drop(alive);
    let _dead = hold_lease(&app, false);
    let third = sync(&app, api, &url, KEY).await.expect("sync runs");
    assert_eq!(
        (third.pushed, third.found, third.failed),
        (0, 0, 0),
        "{third:?}"
    );

    let fake = fake.lock().expect("fake");
    let moves = fake.moves();
    assert_eq!(moves.len(), 3, "every move exactly once");
    let mut refs: Vec<&str> = moves.iter().filter_map(|m| m["ref"].as_str()).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 3);
    // the move whose answer was lost was posted when the next sync found it in draft
    assert!(moves.iter().all(|m| m["state"] == "posted"), "{moves:?}");
    // a local-currency line carries the currency created in Odoo and its signed amount
    let lem = fake
        .records
        .iter()
        .find(|(m, r)| m == "res.currency" && r["name"] == "LEM")
        .map(|(_, r)| r["id"].clone())
        .expect("LEM created in Odoo");
    let lines = moves[0]["line_ids"].as_array().expect("lines");
    assert!(lines
        .iter()
        .any(|l| l[2]["currency_id"] == lem && l[2]["amount_currency"].as_f64().is_some()));
    drop(fake);

    let conn = &mut app.db.db.conn().expect("conn");
    let status = odoo::status(conn).expect("status");
    assert_eq!(
        (
            status.pushed,
            status.pending,
            status.failed,
            status.not_seen
        ),
        (3, 0, 0, 0)
    );
    assert!(status.ok() && status.running.is_none(), "{status:?}");
}

/// A sync holding the lease elsewhere: `alive`, a process that runs (on PostgreSQL, a session
/// holding the advisory lock); else one killed with -9 (its row still says it holds the
/// lease for minutes, but its process — or its PostgreSQL session — is gone). Dropping the
/// guard ends the live one as a kill would.
fn hold_lease(app: &TestApp, alive: bool) -> Option<diesel::PgConnection> {
    use comptoir::db::schema::odoo_lease;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    // a pid no process has (Linux pids stay below 2^22)
    let pid = if alive { std::process::id() } else { 4_194_999 };
    let conn = &mut app.db.db.conn().expect("conn");
    let until = comptoir::time::now() + chrono::Duration::minutes(5);
    diesel::update(odoo_lease::table.find(1))
        .set((
            odoo_lease::holder.eq(Some(format!("{host}:{pid}:other"))),
            odoo_lease::until.eq(Some(until)),
            odoo_lease::taken_at.eq(Some(comptoir::time::now())),
        ))
        .execute(conn.diesel())
        .expect("lease taken");
    if !alive || !app.db.url.starts_with("postgres") {
        return None;
    }
    let mut session = <diesel::PgConnection as diesel::Connection>::establish(&app.db.url)
        .expect("another session");
    diesel::sql_query(format!(
        "SELECT pg_advisory_lock({})",
        odoo::lease::ADVISORY_KEY
    ))
    .execute(&mut session)
    .expect("advisory lock");
    Some(session)
}

/// An order's euro part, owed at the close and then received, is lettered in Comptoir: the
/// sync reconciles its two receivable lines in Odoo, once.
async fn settled_receivables_are_reconciled_in_odoo(backend: Backend) {
    use crate::support::{close_cycle, hub_owner_token, place_order, shop};
    let app = TestApp::with_bare_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    funded_wallet(&app, &camille, "20.00").await;
    let shop = shop(&app).await;
    let lines = json!({"lines": [{"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1}]});
    let order = place_order(&app, &shop, &camille, &lines, "Local de la Cagette", "5.00").await;
    close_cycle(&app, &shop, &manager).await;
    let owner = hub_owner_token(&app).await;
    crate::support::euro_paid(&app, &order, &owner).await;
    {
        let conn = &mut app.db.db.conn().expect("conn");
        comptoir::accounting::moves::validate_until(
            conn,
            comptoir::time::now().date(),
            &mut |_| {},
        )
        .expect("validated");
    }
    let (url, fake) = fake_odoo().await;
    let first = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!(first.reconciled, 1, "{first:?}");
    let again = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!((again.pushed, again.reconciled), (0, 0), "{again:?}");
    let fake = fake.lock().expect("fake");
    let receivable = fake
        .records
        .iter()
        .find(|(m, r)| m == "account.account" && r["code"] == "411000")
        .map(|(_, r)| r["id"].clone())
        .expect("411000");
    let lines: Vec<&Value> = fake
        .records
        .iter()
        .filter(|(m, r)| m == "account.move.line" && r["account_id"] == receivable)
        .map(|(_, r)| r)
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l["reconciled"] == true), "{lines:?}");
}

/// `comptoir serve` with Odoo configured validates and pushes by itself: the moves of a
/// top-up reach Odoo, posted, without anyone running `comptoir odoo sync`.
async fn the_server_pushes_to_odoo_by_itself(backend: Backend) {
    use std::process::{Command, Stdio};
    let app = TestApp::with_bare_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    funded_wallet(&app, &camille, "20.00").await;
    let (url, fake) = fake_odoo().await;
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let dir = tempfile::tempdir().expect("dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir"));
    command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &app.db.url])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("COMPTOIR_")) {
        command.env_remove(key);
    }
    command
        .env("RUST_LOG", "warn")
        .env("COMPTOIR_ODOO__URL", &url)
        .env("COMPTOIR_ODOO__DATABASE", "comptoir")
        .env("COMPTOIR_ODOO__LOGIN", "admin")
        .env("COMPTOIR_ODOO__API_KEY", KEY)
        .env("COMPTOIR_ODOO__SYNC_SECONDS", "1");
    let _server = crate::cli::KillOnDrop(command.spawn().expect("serve starts"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let pushed = loop {
        let status = {
            let conn = &mut app.db.db.conn().expect("conn");
            odoo::status(conn).expect("status")
        };
        if status.pushed > 0 && status.pending + status.failed + status.not_seen == 0 {
            break status.pushed;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not push: {status:?}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let fake = fake.lock().expect("fake");
    let moves = fake.moves();
    assert_eq!(moves.len() as i64, pushed, "each move once");
    assert!(moves.iter().all(|m| m["state"] == "posted"), "{moves:?}");
}

/// Three top-ups, validated; the number of moves.
async fn three_top_ups(app: &TestApp) -> usize {
    let camille = app.access_token("camille@example.org").await;
    for amount in ["10.00", "20.00", "5.00"] {
        funded_wallet(app, &camille, amount).await;
    }
    let conn = &mut app.db.db.conn().expect("conn");
    comptoir::accounting::moves::validate_until(conn, comptoir::time::now().date(), &mut |_| {})
        .expect("validated")
}

/// The numbers of the deployment's moves, in ledger order.
fn move_numbers(app: &TestApp) -> Vec<String> {
    use comptoir::accounting::moves::MoveRow;
    use comptoir::db::schema::accounting_moves;
    let conn = &mut app.db.db.conn().expect("conn");
    let moves: Vec<MoveRow> = accounting_moves::table
        .order(accounting_moves::ledger_seq.asc())
        .select(MoveRow::as_select())
        .load(conn.diesel())
        .expect("moves");
    moves.iter().map(MoveRow::number_text).collect()
}

/// A move with the same number and journal is in Odoo with other amounts (a restored
/// backup's other timeline): a conflict, shown with both sides, never "pushed", not tried
/// again by itself; once Odoo is fixed, `retry` sends it and it is created.
async fn a_move_odoo_holds_differently_is_a_conflict_until_retried(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    assert_eq!(three_top_ups(&app).await, 3);
    let numbers = move_numbers(&app);
    let (url, fake) = fake_odoo().await;
    let other = {
        let mut fake = fake.lock().expect("fake");
        let journal =
            fake.matching("account.journal", &json!([["code", "=", "MLC"]]))[0]["id"].clone();
        let bank =
            fake.matching("account.account", &json!([["code", "=", "512100"]]))[0]["id"].clone();
        let transfer =
            fake.matching("account.account", &json!([["code", "=", "580000"]]))[0]["id"].clone();
        let id = fake.insert(
            "account.move",
            json!({"ref": numbers[1], "journal_id": journal, "date": comptoir::time::now().date().to_string(),
                "state": "posted"}),
        );
        for (account, debit, credit) in [(bank, 64.0, 0.0), (transfer, 0.0, 64.0)] {
            fake.insert(
                "account.move.line",
                json!({"move_id": id, "account_id": account, "debit": debit, "credit": credit,
                    "partner_id": false, "currency_id": false, "amount_currency": 0.0}),
            );
        }
        id
    };
    let report = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!(
        (report.pushed, report.conflicts, report.failed),
        (2, 1, 0),
        "{report:?}"
    );
    assert!(!report.ok());
    let status = {
        let conn = &mut app.db.db.conn().expect("conn");
        odoo::status(conn).expect("status")
    };
    assert_eq!((status.pushed, status.conflicts), (2, 1), "{status:?}");
    assert!(!status.ok());
    let conflict = &status.conflict_list[0];
    assert_eq!(conflict.number, numbers[1], "named by its number");
    assert!(
        conflict.text.contains("the lines differ")
            && conflict.text.contains("Comptoir: ")
            && conflict.text.contains("D 512100 20.00")
            && conflict.text.contains("Odoo:     ")
            && conflict.text.contains("D 512100 64.00"),
        "both sides: {}",
        conflict.text
    );
    // not tried again by itself, even when due
    retry_now(&app);
    let again = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!((again.pushed, again.conflicts), (0, 0), "{again:?}");
    // the accountant removes Odoo's other move, then retries that one
    fake.lock().expect("fake").records.retain(|(m, r)| {
        let of_other = (m == "account.move" && r["id"] == other)
            || (m == "account.move.line" && r["move_id"] == other);
        !of_other
    });
    {
        let conn = &mut app.db.db.conn().expect("conn");
        let unknown = odoo::retry(conn, &odoo::Retry::Move("MLC2026-999999".into()));
        assert!(unknown.is_err_and(|e| e.to_string().contains("no move MLC2026-999999")));
        assert_eq!(
            odoo::retry(conn, &odoo::Retry::Move(numbers[1].clone())).expect("retry"),
            1
        );
    }
    let fixed = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!((fixed.pushed, fixed.conflicts), (1, 0), "{fixed:?}");
    let fake = fake.lock().expect("fake");
    assert_eq!(fake.moves().len(), 3);
    // each move carries its identity
    let ids = fake.matching("ir.model.data", &json!([["module", "=", "comptoir"]]));
    assert_eq!(ids.len(), 3, "{ids:?}");
}

/// A second deployment (or a restored backup's new timeline, or a staging copy) pushing to
/// the same Odoo company: its moves have the same numbers as moves Odoo holds for other
/// ledger entries. Every one is a conflict; nothing is created twice or marked pushed.
async fn another_deployment_under_the_same_numbers_conflicts(backend: Backend) {
    use comptoir::db::schema::accounting_state;
    let app = TestApp::with_bare_demo(backend).await;
    three_top_ups(&app).await;
    let (url, fake) = fake_odoo().await;
    let first = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!(first.pushed, 3);
    {
        // the same database under another identity, the same Odoo: as a second deployment
        let conn = &mut app.db.db.conn().expect("conn");
        diesel::update(accounting_state::table.find(1))
            .set(accounting_state::deployment_id.eq("0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000"))
            .execute(conn.diesel())
            .expect("identity");
        diesel::delete(odoo_sync::table)
            .execute(conn.diesel())
            .expect("unsynced");
    }
    let second = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!(
        (second.pushed, second.found, second.conflicts),
        (0, 0, 3),
        "{second:?}"
    );
    let conn = &mut app.db.db.conn().expect("conn");
    let status = odoo::status(conn).expect("status");
    assert_eq!((status.pushed, status.conflicts), (0, 3));
    assert!(
        status.conflict_list[0]
            .text
            .contains("another ledger entry"),
        "{}",
        status.conflict_list[0].text
    );
    assert_eq!(fake.lock().expect("fake").moves().len(), 3, "nothing twice");
}

/// Odoo's lock date: moves dated on or before `fiscalyear_lock_date` are conflicts without
/// being created (Odoo would re-date them); a lock the sync cannot read still re-dates a
/// posted move, and the date read back makes it a conflict too.
async fn moves_odoo_would_re_date_are_conflicts(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    funded_wallet(&app, &camille, "10.00").await;
    {
        let conn = &mut app.db.db.conn().expect("conn");
        comptoir::accounting::moves::validate_until(
            conn,
            comptoir::time::now().date(),
            &mut |_| {},
        )
        .expect("validated");
    }
    let today = comptoir::time::now().date();
    let (url, fake) = fake_odoo().await;
    for (_, r) in fake.lock().expect("fake").records.iter_mut() {
        if r.get("fiscalyear_lock_date").is_some() {
            r["fiscalyear_lock_date"] = json!(today.to_string());
        }
    }
    let locked = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!(locked.lock_date, Some(today));
    assert_eq!((locked.pushed, locked.conflicts), (0, 1), "{locked:?}");
    assert!(fake.lock().expect("fake").moves().is_empty(), "not created");
    {
        let conn = &mut app.db.db.conn().expect("conn");
        let status = odoo::status(conn).expect("status");
        assert!(
            status.conflict_list[0].text.contains("lock date"),
            "{status:?}"
        );
    }
    // the readable lock goes; one the API user cannot read re-dates the move at posting
    {
        let mut fake = fake.lock().expect("fake");
        for (_, r) in fake.records.iter_mut() {
            if r.get("fiscalyear_lock_date").is_some() {
                r["fiscalyear_lock_date"] = json!(false);
            }
        }
        fake.hidden_lock = Some(today);
    }
    {
        let conn = &mut app.db.db.conn().expect("conn");
        assert_eq!(odoo::retry(conn, &odoo::Retry::All).expect("retry"), 1);
    }
    let redated = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!((redated.pushed, redated.conflicts), (0, 1), "{redated:?}");
    let conn = &mut app.db.db.conn().expect("conn");
    let status = odoo::status(conn).expect("status");
    let text = &status.conflict_list[0].text;
    let tomorrow = today + chrono::Duration::days(1);
    assert!(
        text.contains(&format!("{tomorrow} instead of {today}")),
        "{text}"
    );
    assert_eq!(status.pushed, 0, "never marked pushed");
}

/// `odoo prepare` against an Odoo without Comptoir's journals and some accounts: the dry run
/// lists them and creates nothing; the run creates them (the receivable reconcilable, a
/// too-long journal code refused rather than cut); afterwards nothing is missing and a sync
/// pushes everything.
async fn prepare_creates_what_a_stock_odoo_lacks(backend: Backend) {
    use comptoir::accounting::odoo::prepare;
    let app = TestApp::with_bare_demo(backend).await;
    three_top_ups(&app).await;
    let (url, fake) = fake_odoo().await;
    {
        let mut fake = fake.lock().expect("fake");
        fake.records.retain(|(m, r)| {
            !(m == "account.journal" && r["code"] == "MLC")
                && !(m == "account.account" && (r["code"] == "467100" || r["code"] == "512100"))
        });
        for (m, r) in fake.records.iter_mut() {
            if m == "account.account" && r["code"] == "411000" {
                r["reconcile"] = json!(false);
            }
        }
    }
    let prepare = |dry_run: bool| {
        let (db, url) = (app.db.db.clone(), url.clone());
        actix_web::rt::task::spawn_blocking(move || {
            let mut conn = db.conn().expect("conn");
            let mut client = Client::new(
                Api::JsonRpc,
                &url,
                "comptoir",
                "admin",
                SecretString::from(KEY.to_string()),
            );
            prepare::prepare(&mut conn, &mut client, dry_run).expect("prepare")
        })
    };
    let dry = prepare(true).await.expect("thread");
    let state = |report: &prepare::Report, code: &str| {
        report
            .items
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.state)
            .unwrap_or("absent")
    };
    assert_eq!(state(&dry, "MLC"), "missing");
    assert_eq!(state(&dry, "467100"), "missing");
    assert_eq!(state(&dry, "411000"), "missing reconcile");
    assert_eq!(state(&dry, "401000"), "missing reconcile", "lettered too");
    assert_eq!(state(&dry, "OD"), "present");
    assert_eq!(state(&dry, "LEM"), "missing", "the local currency");
    assert_eq!(dry.missing(), 6, "{dry:?}");
    assert!(
        fake.lock()
            .expect("fake")
            .matching("account.journal", &json!([["code", "=", "MLC"]]))
            .is_empty(),
        "a dry run creates nothing"
    );
    let done = prepare(false).await.expect("thread");
    assert_eq!(state(&done, "MLC"), "created");
    assert_eq!(state(&done, "512100"), "created");
    assert_eq!(state(&done, "411000"), "made reconcilable");
    {
        let fake = fake.lock().expect("fake");
        let fund = fake.matching("account.account", &json!([["code", "=", "512100"]]));
        assert_eq!(fund[0]["account_type"], "asset_cash", "{fund:?}");
        let receivable = fake.matching("account.account", &json!([["code", "=", "411000"]]));
        assert_eq!(receivable[0]["reconcile"], true);
    }
    let again = prepare(true).await.expect("thread");
    assert_eq!(again.missing(), 0, "{again:?}");
    let report = sync(&app, Api::JsonRpc, &url, KEY)
        .await
        .expect("sync runs");
    assert_eq!((report.pushed, report.failed), (3, 0), "{report:?}");
}

/// JSON-2 against an Odoo 17: refused with a message saying why, before anything is written.
async fn json2_is_refused_by_odoo_17(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    three_top_ups(&app).await;
    let (url, fake) = fake_odoo().await;
    let refused = sync(&app, Api::Json2, &url, KEY).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("needs Odoo 19 or later, and this Odoo is version 17")),
        "{refused:?}"
    );
    assert!(fake.lock().expect("fake").moves().is_empty());
}

/// The command line: `odoo sync` prints what it did and exits 1 on a conflict; `odoo status`
/// names the move by number and exits 1; `odoo retry` needs a move or `--all`.
async fn the_command_line_says_what_needs_a_person(backend: Backend) {
    use std::process::Command;
    let app = TestApp::with_bare_demo(backend).await;
    three_top_ups(&app).await;
    let numbers = move_numbers(&app);
    let (url, fake) = fake_odoo().await;
    // Odoo holds the first number for something else
    {
        let mut fake = fake.lock().expect("fake");
        let journal =
            fake.matching("account.journal", &json!([["code", "=", "MLC"]]))[0]["id"].clone();
        fake.insert(
            "account.move",
            json!({"ref": numbers[0], "journal_id": journal, "date": "2026-01-01", "state": "posted"}),
        );
    }
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("odoo-key");
    std::fs::write(&key_file, "a-stale-key-from-the-file\n").expect("key file");
    let run = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir"));
        command
            .args(args)
            .args(["--database-url", &app.db.url])
            .current_dir(dir.path());
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("COMPTOIR_")) {
            command.env_remove(key);
        }
        let config = dir.path().join("comptoir.toml");
        std::fs::write(
            &config,
            format!("[odoo]\napi_key_file = \"{}\"\n", key_file.display()),
        )
        .expect("config");
        command
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "error")
            .env("COMPTOIR_ODOO__URL", &url)
            .env("COMPTOIR_ODOO__DATABASE", "comptoir")
            .env("COMPTOIR_ODOO__LOGIN", "admin")
            // the environment outranks the file's api_key_file
            .env("COMPTOIR_ODOO__API_KEY", KEY);
        async move {
            actix_web::rt::task::spawn_blocking(move || command.output().expect("comptoir runs"))
                .await
                .expect("thread")
        }
    };
    let sync = run(&["odoo", "sync"]).await;
    let out = String::from_utf8_lossy(&sync.stdout);
    let err = String::from_utf8_lossy(&sync.stderr);
    assert_eq!(sync.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains("pushed 2, found 0, conflicts 1, failed 0, reconciled 0"),
        "{out}"
    );
    assert!(err.contains("1 conflict(s)"), "{err}");
    let status = run(&["odoo", "status"]).await;
    let out = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("  {}: ", numbers[0])), "{out}");
    assert!(out.contains("no sync is running"), "{out}");
    let bare = run(&["odoo", "retry"]).await;
    assert_eq!(bare.status.code(), Some(2), "clap wants a move or --all");
    let retried = run(&["odoo", "retry", &numbers[0]]).await;
    assert!(retried.status.success());
    assert!(String::from_utf8_lossy(&retried.stdout).contains("1 move(s)"));
}
