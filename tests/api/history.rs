//! The demos' history (`fixtures/demo*/history.toml`): a fresh demo holds a past cycle that
//! was ordered, weighed, paid, closed and settled, top-ups and a reconversion, all played
//! through the domain — so its FEC, Odoo CSV, trial balance, reports and `ledger verify`
//! show real figures; and a history that fails leaves nothing behind.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde_json::Value;

use comptoir::db::schema::{
    ledger_entries, mail_outbox, order_cycles, orders, producer_settlements, topup_requests,
};
use comptoir::db::DbConn;
use comptoir::demo::{self, Demo, Source};

use crate::accounting::comptoir_cli;
use crate::harness::{Backend, DemoFacts, TestApp, TestDb};

crate::backend_tests!(
    a_history_that_fails_leaves_the_database_as_it_was,
    a_demo_with_history_is_loaded_once;
    per_demo:
    a_fresh_demo_exports_a_balanced_fec_of_its_history,
    a_fresh_demo_verifies_with_real_transfers,
    the_past_cycle_is_settled_and_reported,
    the_history_leaves_the_wallets_the_fixture_expects,
);

const SIREN: &str = "732829320";

/// Cents from a FEC amount (`1234,56`).
fn cents(text: &str) -> i64 {
    let (units, decimals) = text
        .split_once(',')
        .unwrap_or_else(|| panic!("no decimal comma in {text}"));
    assert_eq!(decimals.len(), 2, "{text}");
    units.parse::<i64>().expect("units") * 100 + decimals.parse::<i64>().expect("cents")
}

async fn text_of(app: &TestApp, token: &str, path: &str) -> String {
    let reply = app.call("GET", path, Some(token), None).await;
    let body = String::from_utf8(reply.body.clone()).expect("utf-8");
    assert_eq!(reply.status, 200, "{path}: {body}");
    body
}

/// The range from a week before the load to today (the history's entries are stamped at
/// the load, today).
fn range() -> String {
    let today = comptoir::time::now().date();
    format!("from={}&to={today}", today - chrono::Duration::days(7))
}

async fn a_fresh_demo_exports_a_balanced_fec_of_its_history(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let treasurer = app.access_token(demo.treasurer).await;

    // the FEC: a header, then lines; debits equal credits, in all and move by move
    let fec = text_of(
        &app,
        &treasurer,
        &format!("/api/v1/accounting/fec?{}&siren={SIREN}", range()),
    )
    .await;
    let rows: Vec<Vec<&str>> = fec
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split('|').collect())
        .collect();
    assert_eq!(rows[0][0], "JournalCode", "{fec}");
    assert!(rows.len() > 10, "a FEC with the history's moves: {fec}");
    let mut moves: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let (mut debit, mut credit) = (0, 0);
    for row in &rows[1..] {
        assert_eq!(row.len(), 18, "{row:?}");
        let (d, c) = (cents(row[11]), cents(row[12]));
        debit += d;
        credit += c;
        let sums = moves.entry(format!("{}/{}", row[0], row[2])).or_default();
        sums.0 += d;
        sums.1 += c;
    }
    assert!(debit > 0, "{fec}");
    assert_eq!(debit, credit, "the FEC balances: {fec}");
    for (number, (d, c)) in &moves {
        assert_eq!(d, c, "move {number} balances: {fec}");
    }
    // the history's kinds of moves are there: the fund received euros, the farm was paid
    assert!(
        rows.iter().any(|r| r[4].starts_with(demo.chart.fund)),
        "a line on the guarantee fund {}: {fec}",
        demo.chart.fund
    );
    assert!(
        moves.len() >= 8,
        "top-ups, orders, close, settlement, reconversion: {moves:?}"
    );

    // the Odoo import CSV has the same moves
    let odoo = text_of(
        &app,
        &treasurer,
        &format!("/api/v1/accounting/odoo.csv?{}", range()),
    )
    .await;
    assert!(odoo.lines().count() > 10, "{odoo}");

    // the trial balance balances, and the fund shows the euros received, as a debit
    let balance = app
        .call(
            "GET",
            &format!("/api/v1/accounting/balance?{}", range()),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(balance.status, 200, "{}", balance.json());
    let balance = balance.json();
    assert_eq!(
        balance["totals"]["debit"], balance["totals"]["credit"],
        "{balance}"
    );
    assert_ne!(balance["totals"]["debit"], "0.00", "{balance}");
    let fund: &Value = balance["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["code"] == demo.chart.fund)
        .unwrap_or_else(|| panic!("no fund line in {balance}"));
    assert_ne!(fund["closing_debit"], "0.00", "{balance}");
}

async fn a_fresh_demo_verifies_with_real_transfers(backend: Backend, demo: &'static DemoFacts) {
    let db = TestDb::with_demo_of(backend, demo.demo);
    {
        let conn = &mut db.db.conn().expect("conn");
        let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
        assert!(report.ok(), "{:?}", report.violations);
        assert!(report.entries > 10, "{report}");
        let statement = report
            .currencies
            .iter()
            .find(|c| c.code == demo.local)
            .expect("the local currency's statement");
        assert!(statement.circulation > 0, "{report}");
        assert!(statement.fund_eur > 0, "{report}");
        // the issuances and the payout carry their audit events
        assert!(report.audited >= 3, "{report}");
    }
    let out = comptoir_cli(&db.url, &["ledger", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("OK: hash chain intact"), "{stdout}");
    assert!(!stdout.contains("entries checked:  0\n"), "{stdout}");
}

fn past_cycle(conn: &mut DbConn) -> (String, Option<chrono::NaiveDateTime>) {
    let now = comptoir::time::now();
    order_cycles::table
        .filter(order_cycles::closes_at.lt(now))
        .select((order_cycles::id, order_cycles::settled_at))
        .first(conn.diesel())
        .expect("a past cycle")
}

async fn the_past_cycle_is_settled_and_reported(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let (cycle, settled_at) = {
        let conn = &mut app.db.db.conn().expect("conn");
        past_cycle(conn)
    };
    assert!(settled_at.is_some(), "the past cycle is settled");
    let manager = app.access_token(demo.hub_manager).await;
    let detail = app
        .get(&format!("/api/v1/order-cycles/{cycle}"))
        .await
        .json();
    assert_eq!(detail["state"], "settled", "{detail}");
    // it closed last week, and is listed after the open and upcoming cycles
    let listed = app
        .get(&format!("/api/v1/enterprises/{}/order-cycles", demo.hub))
        .await
        .json();
    let states: Vec<&Value> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| &c["state"])
        .collect();
    assert_eq!(states, ["open", "upcoming", "settled"], "{listed}");

    let conn = &mut app.db.db.conn().expect("conn");
    // three orders, one all local, one split, one all in the legal currency; euros paid
    let placed: Vec<(String, i64, i64, String)> = orders::table
        .filter(orders::order_cycle_id.eq(&cycle))
        .select((
            orders::state,
            orders::local_minor,
            orders::euro_minor,
            orders::euro_state,
        ))
        .load(conn.diesel())
        .expect("orders");
    assert_eq!(placed.len(), 3, "{placed:?}");
    assert!(placed.iter().any(|o| o.1 > 0 && o.2 == 0), "{placed:?}");
    assert!(placed.iter().any(|o| o.1 > 0 && o.2 > 0), "{placed:?}");
    assert!(placed.iter().any(|o| o.1 == 0 && o.2 > 0), "{placed:?}");
    assert!(
        placed.iter().all(|o| o.2 == 0 || o.3 == "paid"),
        "{placed:?}"
    );
    // a weighed line
    let weighed: i64 = comptoir::db::schema::order_lines::table
        .inner_join(orders::table)
        .filter(orders::order_cycle_id.eq(&cycle))
        .filter(comptoir::db::schema::order_lines::delivered_milli.is_not_null())
        .count()
        .get_result(conn.diesel())
        .expect("weighed");
    assert_eq!(weighed, 1);
    // producers were paid, in the local currency among others
    let paid: Vec<(String, i64)> = producer_settlements::table
        .filter(producer_settlements::order_cycle_id.eq(&cycle))
        .select((
            producer_settlements::currency,
            producer_settlements::paid_minor,
        ))
        .load(conn.diesel())
        .expect("settlements");
    assert!(
        paid.iter().any(|(c, p)| c == demo.local && *p > 0),
        "{paid:?}"
    );
    assert!(
        paid.iter().any(|(c, p)| c == demo.legal && *p > 0),
        "{paid:?}"
    );
    // the top-ups were asked and approved, the reconversion is in the ledger
    let approved: i64 = topup_requests::table
        .filter(topup_requests::state.eq("approved"))
        .count()
        .get_result(conn.diesel())
        .expect("top-ups");
    assert_eq!(approved, 2);
    let reconversions: i64 = ledger_entries::table
        .filter(ledger_entries::code.eq("reconvert"))
        .count()
        .get_result(conn.diesel())
        .expect("reconversions");
    assert_eq!(reconversions, 1);
    let payouts: i64 = ledger_entries::table
        .filter(ledger_entries::code.eq("reconversion_paid"))
        .count()
        .get_result(conn.diesel())
        .expect("payouts");
    assert_eq!(payouts, 1);
    // nothing of the past is mailed at load
    let mails: i64 = mail_outbox::table
        .count()
        .get_result(conn.diesel())
        .expect("mails");
    assert_eq!(mails, 0);

    // the cycle's reports show its orders
    for (report, rows) in [
        ("customer_totals", 3),
        ("supplier_totals", 3),
        ("pay_your_suppliers", 3),
    ] {
        let csv = text_of(
            &app,
            &manager,
            &format!("/api/v1/order-cycles/{cycle}/reports/{report}?format=csv"),
        )
        .await;
        assert!(csv.lines().count() > rows, "{report}: {csv}");
    }
}

async fn the_history_leaves_the_wallets_the_fixture_expects(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    use comptoir::ledger::accounts::{self, AccountKind, Owner};
    let db = TestDb::with_demo_of(backend, demo.demo);
    let conn = &mut db.db.conn().expect("conn");
    let (currency, expected) = demo::history::expected_balances(demo.demo).expect("fixture");
    assert_eq!(currency, demo.local);
    assert!(expected.len() >= 3, "{expected:?}");
    for (wallet, balance) in expected {
        let (owner, kind) = if wallet.contains('@') {
            let id: String = comptoir::db::schema::users::table
                .filter(comptoir::db::schema::users::email.eq(&wallet))
                .select(comptoir::db::schema::users::id)
                .first(conn.diesel())
                .expect("user");
            (Owner::User(id.into()), AccountKind::MemberWallet)
        } else {
            let id: String = comptoir::db::schema::enterprises::table
                .filter(comptoir::db::schema::enterprises::slug.eq(&wallet))
                .select(comptoir::db::schema::enterprises::id)
                .first(conn.diesel())
                .expect("enterprise");
            (Owner::Enterprise(id.into()), AccountKind::EnterpriseWallet)
        };
        let found = accounts::find_by_owner(conn, &owner, demo.local, kind, None)
            .expect("look-up")
            .expect("a wallet");
        assert_eq!(found.balance(), balance, "{wallet}");
    }
}

/// The demo's files with `history.toml` changed by `edit`, in a temporary directory.
fn edited_history(demo: Demo, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    for (name, text) in demo.embedded() {
        let text = if *name == "history.toml" {
            edit(text)
        } else {
            text.to_string()
        };
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

fn count(conn: &mut DbConn, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let query = format!("SELECT COUNT(*) AS n FROM {table}");
    let found: Count = match conn.diesel() {
        comptoir::db::AnyConnection::Sqlite(c) => diesel::sql_query(&query).get_result(c),
        comptoir::db::AnyConnection::Postgres(c) => diesel::sql_query(&query).get_result(c),
    }
    .expect("count");
    found.n
}

/// A history whose last check fails (the balance it expects of the farm is not what it
/// ends with), after every step was played: the load is refused naming why, and the
/// database holds nothing of the demo — no row, no ledger entry, no mail.
async fn a_history_that_fails_leaves_the_database_as_it_was(backend: Backend) {
    let db = TestDb::migrated(backend);
    let conn = &mut db.db.conn().expect("conn");
    let dir = edited_history(Demo::France, |text| {
        text.replace("balance = \"11.20\"", "balance = \"11.21\"")
    });
    let refused = demo::load(conn, Demo::France, Source::Dir(dir.path()), false)
        .expect_err("the history does not add up");
    let why = format!("{refused:#}");
    assert!(
        why.contains("ferme-des-trois-chenes ends with 11.20 LEM, not the 11.21 expected"),
        "{why}"
    );
    assert!(demo::is_empty(conn).expect("empty"));
    for table in [
        "ledger_entries",
        "ledger_transfers",
        "ledger_accounts",
        "orders",
        "order_cycles",
        "topup_requests",
        "mail_outbox",
        "audit_events",
    ] {
        assert_eq!(count(conn, table), 0, "{table}");
    }

    // a history naming what the demo does not have is refused before anything is written
    let dir = edited_history(Demo::France, |text| {
        text.replace("sku = \"FERME-OEU-6\"", "sku = \"FERME-OEU-7\"")
    });
    let refused =
        demo::load(conn, Demo::France, Source::Dir(dir.path()), false).expect_err("an unknown SKU");
    assert!(
        refused.to_string().contains(
            "history.toml: order 1 (of camille@example.org): `FERME-OEU-7` is not offered"
        ),
        "{refused:#}"
    );

    // the same files, as shipped, load
    let summary = demo::load(conn, Demo::France, Source::Embedded, false).expect("the demo");
    assert_eq!(
        (summary.topups, summary.orders, summary.reconversions),
        (2, 3, 1)
    );
    assert!(summary.ledger_entries > 10, "{summary}");
}

/// The history is part of the load: once it is in, the ledger holds entries, and neither a
/// second load nor a forced one replaces the demo (the ledger is append-only).
async fn a_demo_with_history_is_loaded_once(backend: Backend) {
    let db = TestDb::with_demo(backend);
    let conn = &mut db.db.conn().expect("conn");
    let entries = count(conn, "ledger_entries");
    assert!(entries > 10, "{entries}");
    let again = demo::load(conn, Demo::France, Source::Embedded, false).expect_err("not empty");
    assert!(again.to_string().contains("not empty"), "{again}");
    let forced = demo::load(conn, Demo::France, Source::Embedded, true).expect_err("append-only");
    assert!(forced.to_string().contains("append-only"), "{forced}");
    assert_eq!(count(conn, "ledger_entries"), entries);
}
