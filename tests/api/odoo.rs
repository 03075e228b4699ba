//! The push to Odoo against a fake Odoo speaking the JSON-RPC shapes of a real Odoo 17
//! (DOMAIN.md §5): `authenticate` answering `false` for a bad key, errors as HTTP 200 with an
//! `error` object, `action_post` answering without a `result`, unbalanced moves refused at
//! `create`) and Odoo 19's JSON-2 API. Failures are injected — a bad key, an HTTP 500, an
//! expired session, a timeout, a response lost after the move was created (Comptoir
//! "crashing" mid-sync) — and after the next sync Odoo holds every move exactly once, posted
//! and balanced. A settled receivable is reconciled in Odoo, once. `comptoir serve` pushes
//! by itself every `odoo.sync_seconds`. Both backends.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::prelude::*;
use secrecy::SecretString;
use serde_json::{json, Value};

use comptoir::accounting::odoo::{self, Api, Client};
use comptoir::db::schema::odoo_sync;
use comptoir::db_run;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};
use crate::orders::funded_wallet;

backend_tests!(
    json_rpc_sync_pushes_each_move_once_whatever_fails,
    json2_sync_pushes_each_move_once_whatever_fails,
    settled_receivables_are_reconciled_in_odoo,
    the_server_pushes_to_odoo_by_itself,
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
}

impl Fake {
    fn new() -> Fake {
        let mut fake = Fake {
            next_id: 100,
            ..Default::default()
        };
        for code in ["OD", "MLC", "VT", "BQ"] {
            fake.insert("account.journal", json!({"code": code, "name": code}));
        }
        let chart = comptoir::accounting::chart::Chart::defaults().expect("chart");
        for rule in chart.accounts {
            if fake
                .search("account.account", &json!([["code", "=", rule.code]]))
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

    fn search(&self, model: &str, domain: &Value) -> Vec<Value> {
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
            .map(|(_, r)| json!({"id": r["id"], "state": r.get("state").cloned().unwrap_or(json!(false))}))
            .collect()
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

/// `positional`: the record method's first argument (domain, values or ids).
fn run(fake: &mut Fake, model: &str, method: &str, positional: &Value) -> Outcome {
    // failures hit the work, not JSON-2's key check
    let injected = if method == "context_get" {
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
        "search_read" => Outcome::Result(Value::Array(fake.search(model, positional))),
        "create" => {
            let values = positional.clone();
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
            record["state"] = json!("draft");
            let new_id = fake.insert(model, record);
            if model == "account.move" {
                for line in lines {
                    let mut values = line[2].clone();
                    values["move_id"] = json!(new_id);
                    values["reconciled"] = json!(false);
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
            for (m, r) in fake.records.iter_mut() {
                if m == "account.move" && ids.contains(&r["id"].as_i64().unwrap_or(0)) {
                    r["state"] = json!("posted");
                }
            }
            Outcome::Nothing
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
    match run(&mut fake, model, method, &args[5][0]) {
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
    match run(&mut fake, &model, &method, &positional) {
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
    db_run!(conn => diesel::update(odoo_sync::table)
        .set(odoo_sync::next_attempt_at.eq(comptoir::time::now() - chrono::Duration::minutes(1)))
        .execute(conn))
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
    let app = TestApp::with_demo(backend).await;
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
    // one sync at a time: a lease held by another sync refuses this one, until it lapses
    {
        use comptoir::db::schema::odoo_lease;
        let conn = &mut app.db.db.conn().expect("conn");
        let until = comptoir::time::now() + chrono::Duration::minutes(5);
        db_run!(conn => diesel::update(odoo_lease::table.find(1))
            .set((odoo_lease::holder.eq(Some("another")), odoo_lease::until.eq(Some(until))))
            .execute(conn))
        .expect("lease taken");
    }
    let busy = sync(&app, api, &url, KEY).await;
    assert!(busy.is_err_and(|e| e.contains("another Odoo sync is running")));
    {
        use comptoir::db::schema::odoo_lease;
        let conn = &mut app.db.db.conn().expect("conn");
        let lapsed = comptoir::time::now() - chrono::Duration::minutes(1);
        db_run!(conn => diesel::update(odoo_lease::table.find(1))
            .set(odoo_lease::until.eq(Some(lapsed)))
            .execute(conn))
        .expect("lease lapsed");
    }
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
}

/// An order's euro part, owed at the close and then received, is lettered in Comptoir: the
/// sync reconciles its two receivable lines in Odoo, once.
async fn settled_receivables_are_reconciled_in_odoo(backend: Backend) {
    use crate::orders::{close_cycle, hub_owner_token, place_order, shop};
    let app = TestApp::with_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    funded_wallet(&app, &camille, "20.00").await;
    let shop = shop(&app).await;
    let lines = json!({"lines": [{"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1}]});
    let order = place_order(&app, &shop, &camille, &lines, "Local de la Cagette", "5.00").await;
    close_cycle(&app, &shop, &manager).await;
    let owner = hub_owner_token(&app).await;
    crate::orders::euro_paid(&app, &order, &owner).await;
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
    let app = TestApp::with_demo(backend).await;
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
