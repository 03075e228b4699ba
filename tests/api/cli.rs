//! The `comptoir` binary: help, configuration errors, migrate, demo load, serve and shutdown.
//! Every failure is one clear line on stderr and a non-zero exit, with nothing half-created.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::backend_tests;
use crate::harness::{Backend, TestDb};

backend_tests!(
    migrate_prints_what_it_applied,
    demo_load_refuses_a_non_empty_database_unless_forced,
    serve_demo_is_ready_and_stops_gracefully,
    catalog_import_and_export_on_the_command_line,
    mail_is_delivered_to_eml_files_by_default_and_reported,
    cycles_close_on_the_command_line_and_by_the_server_job,
    an_association_and_a_stall_work_on_the_command_line
);

/// Runs the binary in `dir` with `args` and only the `env` settings of its own.
pub(crate) fn comptoir(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir"));
    command.args(args).current_dir(dir).env("RUST_LOG", "warn");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("COMPTOIR_")) {
        command.env_remove(key);
    }
    command
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn stderr_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {stderr}");
    lines[0].to_string()
}

#[track_caller]
pub(crate) fn assert_fails_with(output: &Output, fragment: &str) {
    assert!(!output.status.success(), "should fail: {output:?}");
    let line = stderr_line(output);
    assert!(line.starts_with("comptoir: "), "{line}");
    assert!(line.contains(fragment), "`{fragment}` not in: {line}");
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().expect("dir");
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["demo", "--help"],
        &["demo", "load", "--help"],
        &["catalog", "import", "--help"],
        &["catalog", "export", "--help"],
        &["mail", "status", "--help"],
        &["mail", "retry", "--help"],
        &["mail", "deliver", "--help"],
        &["admin", "create", "--help"],
        &["admin", "list", "--help"],
        &["admin", "grant", "--help"],
        &["admin", "revoke", "--help"],
        &["backup", "--help"],
        &["topup", "list", "--help"],
        &["professional", "suspend", "--help"],
        &["payment-request", "create", "--help"],
        &["restore", "--help"],
    ] {
        let output = comptoir(dir.path(), args, &[]);
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage: comptoir"),
            "{args:?}"
        );
    }
}

#[test]
fn unsupported_database_url_fails_fast() {
    let dir = tempfile::tempdir().expect("dir");
    let output = comptoir(
        dir.path(),
        &["migrate", "--database-url", "mysql://root@localhost/x"],
        &[],
    );
    assert_fails_with(&output, "unsupported database URL scheme `mysql`");
}

#[test]
fn unreachable_postgres_fails_with_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("postgres://postgres:secret-pw@127.0.0.1:{port}/x");
    let output = comptoir(dir.path(), &["migrate", "--database-url", &url], &[]);
    assert_fails_with(
        &output,
        "cannot open the database postgres://postgres:***@127.0.0.1",
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("secret-pw"));
}

/// `migrate` records the deployment's choice at the first run and says what it is; a later
/// run asking another once money moved stops, naming both (see `deployment.rs`).
#[test]
fn migrate_records_and_shows_the_deployments_currency_and_country() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/swiss.db", dir.path().display());
    let swiss = [
        ("COMPTOIR_DEPLOYMENT__CURRENCY", "CHF"),
        ("COMPTOIR_DEPLOYMENT__COUNTRY", "CH"),
    ];
    let first = comptoir(dir.path(), &["migrate", "--database-url", &url], &swiss);
    assert!(first.status.success(), "{first:?}");
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        said.contains("deployment: legal currency CHF, country CH"),
        "{said}"
    );
    // unset afterwards: the recorded choice holds
    let again = comptoir(dir.path(), &["migrate", "--database-url", &url], &[]);
    assert!(again.status.success(), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stdout).contains("legal currency CHF, country CH"));
    let unknown = comptoir(
        dir.path(),
        &["migrate", "--database-url", &url],
        &[("COMPTOIR_DEPLOYMENT__CURRENCY", "LEM")],
    );
    assert_fails_with(&unknown, "deployment.currency `LEM` is not a legal tender");
}

/// Variables a wrapper script or Kubernetes sets with the prefix are not settings: ignored,
/// named in one warning; a typo inside a known section still stops the command.
#[test]
fn prefixed_variables_that_are_not_settings_are_ignored_with_a_warning() {
    let dir = tempfile::tempdir().expect("dir");
    let output = comptoir(
        dir.path(),
        &["migrate"],
        &[
            ("COMPTOIR_BIN", "/usr/local/bin/comptoir"),
            ("COMPTOIR_PORT", "tcp://10.0.0.1:8080"),
            ("COMPTOIR_SERVICE_HOST", "10.0.0.1"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    for name in ["COMPTOIR_BIN", "COMPTOIR_PORT", "COMPTOIR_SERVICE_HOST"] {
        assert!(warnings[0].contains(name), "{name} not named: {stderr}");
    }
    let output = comptoir(
        dir.path(),
        &["migrate"],
        &[("COMPTOIR_MAIL__POLL_SECOND", "5")],
    );
    assert_fails_with(&output, "poll_second");
}

#[test]
fn bad_configuration_values_fail_fast() {
    let dir = tempfile::tempdir().expect("dir");
    let output = comptoir(
        dir.path(),
        &["migrate"],
        &[("COMPTOIR_DATABASE_POOL_SIZE", "lots")],
    );
    assert_fails_with(
        &output,
        "found string \"lots\", expected u32 for key \"DATABASE_POOL_SIZE\"",
    );
    let output = comptoir(
        dir.path(),
        &["migrate"],
        &[("COMPTOIR_DATABASE_POOL_SIZE", "0")],
    );
    assert_fails_with(&output, "database_pool_size must be between 1 and 128");
    let output = comptoir(dir.path(), &["serve", "--bind", "localhost-ish"], &[]);
    assert_fails_with(&output, "bind");
    let output = comptoir(
        dir.path(),
        &["migrate"],
        &[("COMPTOIR_JWT__SECRET", "short")],
    );
    assert_fails_with(&output, "jwt.secret must be at least 32 bytes");
    // a misspelt top-level name is not a setting: ignored, and named in the warning (a
    // deployment must start beside the variables Kubernetes injects); see the test above
    let elsewhere = tempfile::tempdir().expect("dir");
    let output = comptoir(
        elsewhere.path(),
        &["migrate"],
        &[("COMPTOIR_DATABSE_URL", "sqlite://x.db")],
    );
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("COMPTOIR_DATABSE_URL"));
    assert!(!elsewhere.path().join("x.db").exists());
    // odoo.api is read when the configuration is, not at the first sync
    let output = comptoir(
        dir.path(),
        &["migrate"],
        &[("COMPTOIR_ODOO__API", "xmlrpc")],
    );
    assert_fails_with(
        &output,
        "unknown variant: found `xmlrpc`, expected ``jsonrpc` or `json2``",
    );
    // a secret and its file from the same layer: one must go
    std::fs::write(dir.path().join("key"), "k").expect("write");
    let output = comptoir(
        dir.path(),
        &["migrate"],
        &[
            ("COMPTOIR_ODOO__API_KEY", "k"),
            ("COMPTOIR_ODOO__API_KEY_FILE", "key"),
        ],
    );
    assert_fails_with(&output, "odoo.api_key and odoo.api_key_file are both set");
    let output = comptoir(dir.path(), &["migrate", "--config", "missing.toml"], &[]);
    assert_fails_with(&output, "missing.toml does not exist");
    std::fs::write(dir.path().join("bad.toml"), "bind = [1, 2").expect("write");
    let output = comptoir(dir.path(), &["migrate", "--config", "bad.toml"], &[]);
    assert_fails_with(&output, "bad.toml");
    // none of these created a database
    assert!(!dir.path().join("data").exists());
}

#[test]
fn flags_beat_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("comptoir.toml"),
        "database_url = \"mysql://nope\"\ndatabase_pool_size = 0\n",
    )
    .expect("write");
    let output = comptoir(
        dir.path(),
        &[
            "migrate",
            "--config",
            "comptoir.toml",
            "--database-url",
            "sqlite://flag.db",
        ],
        &[
            ("COMPTOIR_DATABASE_POOL_SIZE", "2"),
            ("COMPTOIR_DATABASE_URL", "sqlite://env.db"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("flag.db").exists());
    assert!(!dir.path().join("env.db").exists());
}

#[test]
fn port_in_use_fails_before_creating_anything() {
    let dir = tempfile::tempdir().expect("dir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("port");
    let address = taken.local_addr().expect("addr").to_string();
    let output = comptoir(dir.path(), &["serve", "--bind", &address], &[]);
    assert_fails_with(&output, &format!("cannot listen on {address}"));
    assert!(!dir.path().join("data").exists(), "a database was created");
}

async fn migrate_prints_what_it_applied(backend: Backend) {
    let db = TestDb::blank(backend);
    let dir = tempfile::tempdir().expect("dir");
    let first = comptoir(dir.path(), &["migrate", "--database-url", &db.url], &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(stdout.contains("applied 20261123000001"), "{stdout}");
    let again = comptoir(dir.path(), &["migrate", "--database-url", &db.url], &[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("no pending migrations"));
}

async fn demo_load_refuses_a_non_empty_database_unless_forced(backend: Backend) {
    let db = TestDb::blank(backend);
    let dir = tempfile::tempdir().expect("dir");
    let load = |extra: &[&str]| {
        let mut args = vec!["demo", "load", "--database-url", &db.url];
        args.extend_from_slice(extra);
        comptoir(dir.path(), &args, &[])
    };
    // without its history the ledger stays empty, so --force may replace the demo
    let first = load(&["--no-history"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains(
        "5 enterprises, 10 users, 2 currencies, 27 products (30 variants), 2 order cycles; \
         history: 0 top-ups, 0 orders, 0 reconversions, 0 ledger entries"
    ));
    assert_fails_with(&load(&[]), "the database is not empty; use --force");
    let forced = load(&["--force"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert!(
        String::from_utf8_lossy(&forced.stdout)
            .contains("3 order cycles; history: 2 top-ups, 3 orders, 1 reconversions, "),
        "{}",
        String::from_utf8_lossy(&forced.stdout)
    );
    // with its history, money has moved: the append-only ledger is never replaced
    assert_fails_with(&load(&["--force"]), "append-only");
    // a bad fixture directory is refused before anything is written
    let bad = tempfile::tempdir().expect("dir");
    for (name, text) in comptoir::demo::EMBEDDED {
        let text = if *name == "products.csv" {
            text.replace("2.80", "2.805")
        } else {
            text.to_string()
        };
        std::fs::write(bad.path().join(name), text).expect("write");
    }
    let path = bad.path().display().to_string();
    assert_fails_with(
        &load(&["--force", "--dir", &path]),
        "products.csv line 2: price_eur has more than 2 decimal places",
    );
    let mut conn = db.db.conn().expect("connection");
    assert!(
        !comptoir::demo::is_empty(&mut conn).expect("count"),
        "the failed load must not have emptied the database"
    );
}

async fn serve_demo_is_ready_and_stops_gracefully(backend: Backend) {
    let db = TestDb::blank(backend);
    let dir = tempfile::tempdir().expect("dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir"));
    command
        .args([
            "serve",
            "--demo",
            "--bind",
            &address,
            "--database-url",
            &db.url,
        ])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("COMPTOIR_")) {
        command.env_remove(key);
    }
    let mut child = KillOnDrop(command.spawn().expect("serve starts"));
    let client = awc::Client::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ready = false;
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("http://{address}/ready")).send().await {
            ready = response.status() == 200;
            if ready {
                break;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "/ready never answered 200");
    let get_json = |path: String| {
        let client = client.clone();
        async move {
            client
                .get(path)
                .send()
                .await
                .expect("request")
                .json::<serde_json::Value>()
                .limit(1 << 20)
                .await
                .expect("json")
        }
    };
    let cycles = get_json(format!(
        "http://{address}/api/v1/enterprises/la-cagette/order-cycles"
    ))
    .await;
    assert_eq!(cycles["items"][0]["state"], "open");
    let cycle = cycles["items"][0]["id"]
        .as_str()
        .expect("cycle id")
        .to_string();
    let detail = get_json(format!("http://{address}/api/v1/order-cycles/{cycle}")).await;
    let variant = detail["offer"][0]["id"]
        .as_str()
        .expect("variant")
        .to_string();

    // A request whose body is still arriving when SIGTERM comes is answered all the same.
    // The pause outlasts the second actix takes to force-drop workers when not graceful.
    let body = format!("{{\"lines\":[{{\"variant_id\":\"{variant}\",\"quantity\":1}}]}}");
    let mut socket = std::net::TcpStream::connect(&address).expect("connect");
    let head = format!(
        "POST /api/v1/order-cycles/{cycle}/quote HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).expect("send head");
    socket
        .write_all(&body.as_bytes()[..10])
        .expect("send start of body");
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(2500));
    socket
        .write_all(&body.as_bytes()[10..])
        .expect("send rest of body");
    let mut reply = String::new();
    let _ = socket.read_to_string(&mut reply);
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "the request in flight at SIGTERM was not answered: {reply:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            assert!(
                status.success(),
                "SIGTERM should stop the server cleanly, got {status}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills the server if a test fails before stopping it, so no orphan is left behind.
pub(crate) struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

async fn catalog_import_and_export_on_the_command_line(backend: Backend) {
    let db = TestDb::with_demo(backend);
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--database-url", &db.url]);
        comptoir(dir.path(), &all, &[])
    };
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "sku;product;category;variant;unit_kind;unit_value;price;vat_rate;stock\n\
CLI-1;Navets;legumes;1 kg;weight;1000;2,40;5,5;10\n\
CLI-2;Navets;legumes;2 kg;weight;2000;deux;5,5;10\n",
    )
    .expect("write");
    let out = run(&[
        "catalog",
        "import",
        "bad.csv",
        "--producer",
        "ferme-des-trois-chenes",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3, column price:"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("2 rows: 1 created, 0 updated, 1 rejected; nothing written"));
    // --partial keeps the good row
    let out = run(&[
        "catalog",
        "import",
        "bad.csv",
        "--producer",
        "ferme-des-trois-chenes",
        "--partial",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("1 created, 0 updated, 1 rejected; changes saved"));
    // the export holds it, and an unknown producer is named
    let out = run(&[
        "catalog",
        "export",
        "--producer",
        "ferme-des-trois-chenes",
        "--output",
        "farm.csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = std::fs::read_to_string(dir.path().join("farm.csv")).expect("export");
    assert!(
        exported.contains("CLI-1,Navets,legumes,,1 kg,weight,1000,,2.40,5.5,100,10,yes"),
        "{exported}"
    );
    assert_fails_with(
        &run(&["catalog", "export", "--producer", "nobody"]),
        "no enterprise with slug or id `nobody`",
    );
}

async fn mail_is_delivered_to_eml_files_by_default_and_reported(backend: Backend) {
    let db = TestDb::migrated(backend);
    let dir = tempfile::tempdir().expect("dir");
    let id = {
        let conn = &mut db.db.conn().expect("conn");
        comptoir::mail::outbox::enqueue(
            conn,
            "camille@example.org",
            "account_exists",
            "fr",
            &serde_json::json!({"display_name": "Camille"}),
        )
        .expect("enqueue")
    };
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--database-url", &db.url]);
        comptoir(dir.path(), &all, &[])
    };
    let status = run(&["mail", "status"]);
    assert!(String::from_utf8_lossy(&status.stdout)
        .contains("1 pending (0 retrying after a failure), 0 sent, 0 failed"));
    let delivered = run(&["mail", "deliver"]);
    assert!(
        delivered.status.success(),
        "{}",
        String::from_utf8_lossy(&delivered.stderr)
    );
    assert!(String::from_utf8_lossy(&delivered.stdout)
        .contains("1 sent, 0 to retry, 0 failed (via files in data/outbox)"));
    let eml = std::fs::read_to_string(dir.path().join(format!("data/outbox/{id}.eml")))
        .expect("the .eml file");
    assert!(
        eml.contains("Subject: =?utf-8?") || eml.contains("Subject: Vous avez"),
        "{eml}"
    );
    assert!(
        eml.contains(&format!("Message-ID: <{id}@comptoir.localhost>")),
        "{eml}"
    );
    let status = run(&["mail", "status"]);
    assert!(String::from_utf8_lossy(&status.stdout)
        .contains("0 pending (0 retrying after a failure), 1 sent, 0 failed"));
    assert_fails_with(
        &run(&["mail", "retry", "nope"]),
        "no failed mail with id `nope`",
    );
}

/// `comptoir cycle close` closes a cycle whose time has come (and says so again, doing
/// nothing, the second time); `serve` closes a due cycle by itself.
async fn cycles_close_on_the_command_line_and_by_the_server_job(backend: Backend) {
    use comptoir::db::schema::order_cycles;
    use diesel::prelude::*;

    let db = TestDb::with_demo(backend);
    let dir = tempfile::tempdir().expect("dir");
    let conn = &mut db.db.conn().expect("conn");
    let now = comptoir::time::now();
    // the cycles still to close (the demo's history settled its past cycle)
    let ids: Vec<String> = order_cycles::table
        .filter(order_cycles::settled_at.is_null())
        .order(order_cycles::opens_at.asc())
        .select(order_cycles::id)
        .load(conn.diesel())
        .expect("cycles");
    assert_eq!(ids.len(), 2);
    // both cycles end in the past: the first for the command line, the second for the job
    for id in &ids {
        diesel::update(order_cycles::table.find(id))
            .set((
                order_cycles::opens_at.eq(now - chrono::Duration::hours(3)),
                order_cycles::closes_at.eq(now - chrono::Duration::hours(1)),
            ))
            .execute(conn.diesel())
            .expect("moved");
    }
    let url = db.url.clone();
    let closed = comptoir(
        dir.path(),
        &["cycle", "close", &ids[0], "--database-url", &url],
        &[],
    );
    assert!(closed.status.success(), "{closed:?}");
    let out = String::from_utf8_lossy(&closed.stdout).to_string();
    // no settlement date: the close settles at once
    assert!(out.contains("settled: 0 orders booked"), "{out}");
    let again = comptoir(
        dir.path(),
        &["cycle", "settle", &ids[0], "--database-url", &url],
        &[],
    );
    assert!(again.status.success(), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stdout).contains("settled already"));
    let unknown = comptoir(
        dir.path(),
        &["cycle", "close", "nope", "--database-url", &url],
        &[],
    );
    assert_fails_with(&unknown, "no order cycle `nope`");

    let port = TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir"));
    command
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &url,
        ])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("COMPTOIR_")) {
        command.env_remove(key);
    }
    let _server = KillOnDrop(command.spawn().expect("serve starts"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let settled: Option<chrono::NaiveDateTime> = order_cycles::table
            .find(&ids[1])
            .select(order_cycles::settled_at)
            .first(conn.diesel())
            .expect("cycle");
        if settled.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server's job did not close the due cycle"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// An association's treasurer and a farm's owner on the server's machine: the professionals
/// of the Lem (a producer's request approved), and a stall's payment request with its QR code.
async fn an_association_and_a_stall_work_on_the_command_line(backend: Backend) {
    let db = TestDb::blank(backend);
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--database-url", &db.url]);
        comptoir(dir.path(), &all, &[])
    };
    let ok = |output: Output| -> String {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    ok(run(&["demo", "load"]));
    let treasurer = "tresorerie@lem.example.org";
    // the demo's professionals are approved; nothing waits
    let approved = ok(run(&[
        "professional",
        "list",
        "--currency",
        "LEM",
        "--state",
        "approved",
        "--as",
        treasurer,
    ]));
    assert!(approved.contains("ferme-des-trois-chenes"), "{approved}");
    let waiting = ok(run(&[
        "professional",
        "list",
        "--currency",
        "LEM",
        "--state",
        "requested",
        "--as",
        treasurer,
    ]));
    assert_eq!(waiting.trim(), "");
    // a member may not decide; the treasurer suspends and lifts it, saying why
    assert_fails_with(
        &run(&[
            "professional",
            "suspend",
            "LEM",
            "rucher-du-val",
            "--reason",
            "x",
            "--as",
            "camille@example.org",
        ]),
        "your roles do not allow this action",
    );
    let suspended = ok(run(&[
        "professional",
        "suspend",
        "LEM",
        "rucher-du-val",
        "--reason",
        "Contrôle",
        "--as",
        treasurer,
    ]));
    assert!(
        suspended.contains("suspended") && suspended.contains("Contrôle"),
        "{suspended}"
    );
    let lifted = ok(run(&[
        "professional",
        "approve",
        "LEM",
        "rucher-du-val",
        "--as",
        treasurer,
    ]));
    assert!(lifted.contains("approved"), "{lifted}");
    // the farm's standing code at its stall: the URL printed, the QR code written
    let qr = dir.path().join("stall.svg");
    let qr_path = qr.display().to_string();
    let made = ok(run(&[
        "payment-request",
        "create",
        "--enterprise",
        "ferme-des-trois-chenes",
        "--currency",
        "LEM",
        "--label",
        "Marché",
        "--reusable",
        "--qr",
        &qr_path,
        "--as",
        "ferme@troischenes.example.org",
    ]));
    assert!(
        made.contains("open amount") && made.contains("/pay/"),
        "{made}"
    );
    let svg = std::fs::read_to_string(&qr).expect("the QR code");
    assert!(svg.starts_with("<svg"), "{svg}");
    let listed = ok(run(&[
        "payment-request",
        "list",
        "--enterprise",
        "ferme-des-trois-chenes",
        "--as",
        "ferme@troischenes.example.org",
    ]));
    assert!(listed.contains("Marché"), "{listed}");
    let id = made.split_whitespace().next().expect("the id");
    let cancelled = ok(run(&[
        "payment-request",
        "cancel",
        id,
        "--as",
        "ferme@troischenes.example.org",
    ]));
    assert!(cancelled.contains("cancelled"), "{cancelled}");
    // the top-up queue is empty
    ok(run(&[
        "topup",
        "list",
        "--currency",
        "LEM",
        "--state",
        "pending",
        "--as",
        treasurer,
    ]));
}
