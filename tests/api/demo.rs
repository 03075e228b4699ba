//! The demo marketplaces: the Swiss one (the Moléson in Lausanne, a franc deployment in
//! Switzerland) loads into an empty database, records its deployment and trades in francs
//! and Molésons; the French one loads as it always did; a database whose ledger has moved
//! money in one legal currency never becomes a demo of another.

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::DbConn;
use comptoir::demo::{self, Demo, Source};
use comptoir::deployment::{self, Deployment};

use crate::cli::{assert_fails_with, comptoir};
use crate::harness::{Backend, DemoFacts, TestApp, TestDb};
use crate::support::{authed, chf, created, funded_wallet, key, read_qr, shop_of};

crate::backend_tests!(
    the_swiss_demo_records_its_deployment_and_trades_in_francs,
    the_french_demo_loads_as_before,
    the_deployment_follows_the_demo_until_money_has_moved;
    per_demo:
    each_demo_is_what_its_facts_say,
);

fn mol(amount: &str) -> Value {
    json!({"amount": amount, "currency": "MOL"})
}

fn currencies_of(conn: &mut DbConn) -> Vec<(String, String)> {
    use comptoir::db::schema::currencies;
    currencies::table
        .order(currencies::code.asc())
        .select((currencies::code, currencies::kind))
        .load(conn.diesel())
        .expect("currencies")
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Cents of an amount the API writes (`"170.20"`).
fn cents_of(amount: &Value) -> i64 {
    let text = amount
        .as_str()
        .unwrap_or_else(|| panic!("an amount: {amount}"));
    let (units, cents) = text.split_once('.').expect("two decimals");
    units.parse::<i64>().expect("units") * 100 + cents.parse::<i64>().expect("cents")
}

/// The Swiss demo's trial balance of this year, as its treasurer reads it.
async fn swiss_books(app: &TestApp) -> Value {
    let treasurer = app.access_token("tresorerie@moleson.example.org").await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let books = app
        .call(
            "GET",
            &format!("/api/v1/accounting/balance?from={year}-01-01&to={year}-12-31"),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(books.status, 200, "{}", books.json());
    books.json()
}

/// The trial balance's line of account `code`.
fn account(balance: &Value, code: &str) -> Value {
    balance["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("no account {code} in {balance}"))
}

async fn the_swiss_demo_records_its_deployment_and_trades_in_francs(backend: Backend) {
    // an empty database, recorded as the euro in France by its first run
    let db = TestDb::migrated(backend);
    {
        let conn = &mut db.db.conn().expect("conn");
        assert_eq!(
            deployment::stored(conn).expect("stored"),
            Some(Deployment::EURO_FRANCE)
        );
        let summary =
            demo::load(conn, Demo::Switzerland, Source::Embedded, false).expect("Swiss demo");
        assert!(
            summary
                .to_string()
                .starts_with("5 enterprises, 10 users, 2 currencies, 20 products (22 variants), 3 order cycles; history: 2 top-ups, 3 orders, 1 reconversions, "),
            "{summary}"
        );
        // francs in Switzerland, the euro's row gone with the old choice
        assert_eq!(
            deployment::stored(conn).expect("stored"),
            Some(Deployment::FRANC_SWITZERLAND)
        );
        assert_eq!(
            currencies_of(conn),
            pairs(&[("CHF", "fiat"), ("MOL", "local")])
        );
    }
    let app = TestApp::serve(db).await;
    // what the demo's history left in the books, before Léa's trade below
    let before = swiss_books(&app).await;

    // a consumer (in French) logs in, a member of the hub, and sees the Moléson at par with
    // the franc
    let lea = app.access_token("lea@example.org").await;
    let me = app.call("GET", "/api/v1/me", Some(&lea), None).await.json();
    assert_eq!(me["roles"][0]["role"], "member", "{me}");
    {
        use comptoir::db::schema::users;
        let conn = &mut app.db.db.conn().expect("conn");
        let locales: Vec<String> = users::table
            .select(users::locale)
            .distinct()
            .load(conn.diesel())
            .expect("locales");
        assert_eq!(locales, ["fr"]);
    }
    let currencies = app.get("/api/v1/currencies").await.json();
    let listed: Vec<(Value, Value)> = currencies
        .as_array()
        .expect("currencies")
        .iter()
        .map(|c| (c["code"].clone(), c["kind"].clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (json!("CHF"), json!("fiat")),
            (json!("MOL"), json!("local"))
        ]
    );
    assert_eq!(currencies[1]["parity"], "1");
    assert_eq!(currencies[1]["scale"], currencies[0]["scale"]);

    // the hub in Lausanne, with its UID and VAT number
    let hub = app.get("/api/v1/enterprises/le-cabas").await.json();
    assert_eq!(hub["address"]["postcode"], "1018", "{hub}");
    assert_eq!(hub["address"]["city"], "Lausanne");
    assert_eq!(hub["address"]["country_code"], "CH");
    assert_eq!(hub["uid"], "CHE-271.828.189");
    assert_eq!(hub["vat_number"], "CHE-271.828.189 TVA");

    // Léa asks for 30 MOL, paid by transfer to the association's QR-IBAN: a QR-bill with a
    // QR reference, as her banking app reads it from the drawn code
    let treasurer = app.access_token("tresorerie@moleson.example.org").await;
    let admin = app.access_token("admin@comptoir.example.org").await;
    let bank = app
        .call(
            "PUT",
            "/api/v1/enterprises/monnaie-moleson/bank-account",
            Some(&admin),
            Some(&json!({"iban": "CH44 3199 9123 0008 8901 2"})),
        )
        .await;
    assert_eq!(bank.status, 200, "{}", bank.json());
    assert_eq!(bank.json()["qr_iban"], true);
    let asked = created(
        authed(
            &app,
            "POST",
            "/api/v1/currencies/MOL/topup-requests",
            &lea,
            Some(&key()),
            &json!({"amount": mol("30.00"), "method": "bank_transfer"}),
        )
        .await,
    );
    assert_eq!(asked["to_pay"], chf("30.00"));
    let reference = asked["reference"].as_str().expect("reference").to_string();
    assert!(
        reference.len() == 27 && reference.chars().all(|c| c.is_ascii_digit()),
        "a QR reference: {reference}"
    );
    let id = asked["id"].as_str().expect("id").to_string();
    let transfer = app
        .call(
            "GET",
            &format!("/api/v1/topup-requests/{id}/transfer"),
            Some(&lea),
            None,
        )
        .await
        .json();
    assert_eq!(transfer["qr"], "swiss_qr_bill", "{transfer}");
    let payload = transfer["payload"].as_str().expect("payload").to_string();
    let lines: Vec<&str> = payload.split("\r\n").collect();
    assert_eq!(lines[..4], ["SPC", "0200", "1", "CH4431999123000889012"]);
    assert_eq!(lines[4..6], ["S", "Association Monnaie Moléson"]);
    assert_eq!(lines[18..20], ["30.00", "CHF"]);
    assert_eq!(lines[27..29], ["QRR", reference.as_str()]);
    assert_eq!(lines.last(), Some(&"EPD"));
    let png = app
        .call(
            "GET",
            &format!("/api/v1/topup-requests/{id}/qr.png"),
            Some(&lea),
            None,
        )
        .await;
    assert_eq!(png.status, 200);
    assert_eq!(
        read_qr(&png.body),
        payload,
        "the drawn code carries the payload"
    );
    // the money arrives; the treasurer approves: 30 MOL issued to Léa's wallet
    let approved = app
        .call(
            "POST",
            &format!("/api/v1/topup-requests/{id}/approve"),
            Some(&treasurer),
            Some(&json!({"received_reference": reference})),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.json());
    let wallet = approved.json()["wallet_id"]
        .as_str()
        .expect("wallet")
        .to_string();
    let balance = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&lea),
            None,
        )
        .await
        .json();
    // on top of the 94.10 MOL the demo's history left her (fixtures/demo_ch/history.toml)
    let (_, left) = demo::history::expected_balances(Demo::Switzerland).expect("history");
    let history = left
        .iter()
        .find(|(who, _)| who == "lea@example.org")
        .map(|(_, minor)| *minor)
        .expect("Léa's balance");
    assert_eq!(history, 9410);
    assert_eq!(balance["balance"], mol("124.10"), "{balance}");

    // two Gruyères and a grape juice, in francs at the food rate; 10 MOL, the rest in francs
    let shop = shop_of(&app, "le-cabas").await;
    let cart = authed(
        &app,
        "PUT",
        &format!("/api/v1/order-cycles/{}/cart", shop.cycle),
        &lea,
        None,
        &json!({"lines": [
            {"variant_id": shop.variant["LDA-GRU-250G"], "quantity": 2},
            {"variant_id": shop.variant["DTC-JUS-1L"], "quantity": 1},
        ]}),
    )
    .await;
    assert_eq!(cart.status, 200, "{}", cart.json());
    let quote = &cart.json()["quote"];
    assert_eq!(quote["total"], chf("20.30"), "{quote}");
    assert_eq!(quote["vat_breakdown"][0]["vat"], chf("0.51"), "{quote}");
    let order = authed(
        &app,
        "POST",
        &format!("/api/v1/order-cycles/{}/checkout", shop.cycle),
        &lea,
        Some(&key()),
        &json!({"shipping_method_id": shop.method["Local du Cabas"],
                "local_amount": mol("10.00")}),
    )
    .await;
    assert_eq!(order.status, 201, "{}", order.json());
    let order = order.json();
    assert_eq!(order["total"], chf("20.30"));
    assert_eq!(order["payment"]["local"], mol("10.00"));
    assert_eq!(order["payment"]["local_value"], chf("10.00"));
    assert_eq!(order["payment"]["fiat"], chf("10.30"));
    assert_eq!(order["payment"]["fiat_state"], "due");
    let order_id = order["id"].as_str().expect("order");
    let paid = authed(
        &app,
        "POST",
        &format!("/api/v1/orders/{order_id}/fiat-payment"),
        &treasurer,
        Some(&key()),
        &json!(null),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.json());

    // the hub's manager closes the cycle: the producers are paid
    let manager = app.access_token("gerance@lecabas.example.org").await;
    created(
        app.call(
            "POST",
            &format!("/api/v1/order-cycles/{}/close", shop.cycle),
            Some(&manager),
            None,
        )
        .await,
    );

    // the books, in francs and in the Swiss chart: the fund on 1020 in debit, the member's
    // wallet what the association owes (2211) in credit — Léa's 30 francs received and the
    // 20 MOL left of them on top of what the history left there
    let books = swiss_books(&app).await;
    assert_eq!(books["currency"], "CHF");
    assert_eq!(books["totals"]["debit"], books["totals"]["credit"]);
    let moved = |code: &str, side: &str| {
        cents_of(&account(&books, code)[side]) - cents_of(&account(&before, code)[side])
    };
    assert_eq!(moved("1020", "closing_debit"), 3000, "{before} {books}");
    assert_eq!(moved("2211", "closing_credit"), 2000, "{before} {books}");
    assert!(
        books["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .all(|a| a["code"].as_str().is_some_and(|c| c.len() == 4)),
        "only the Swiss chart's four-digit codes: {books}"
    );
    let conn = &mut app.db.db.conn().expect("conn");
    let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert!(report.ok(), "{:?}", report.violations);
}

async fn the_french_demo_loads_as_before(backend: Backend) {
    let db = TestDb::migrated(backend);
    {
        let conn = &mut db.db.conn().expect("conn");
        let summary = demo::load(conn, Demo::France, Source::Embedded, false).expect("demo");
        assert!(
            summary
                .to_string()
                .starts_with("5 enterprises, 10 users, 2 currencies, 27 products (30 variants), 3 order cycles; history: 2 top-ups, 3 orders, 1 reconversions, "),
            "{summary}"
        );
        assert_eq!(
            deployment::stored(conn).expect("stored"),
            Some(Deployment::EURO_FRANCE)
        );
        assert_eq!(
            currencies_of(conn),
            pairs(&[("EUR", "fiat"), ("LEM", "local")])
        );
    }
    let app = TestApp::serve(db).await;
    let cagette = app.get("/api/v1/enterprises/la-cagette").await.json();
    assert_eq!(cagette["address"]["country_code"], "FR", "{cagette}");
    assert_eq!(cagette["siren"], "812345676");
    assert_eq!(cagette["vat_number"], "FR19812345676");
    let shop = shop_of(&app, "la-cagette").await;
    assert_eq!(shop.variant.len(), 30);
    let camille = app.access_token("camille@example.org").await;
    funded_wallet(&app, &camille, "20.00").await;
}

async fn the_deployment_follows_the_demo_until_money_has_moved(backend: Backend) {
    // the French demo without its history, before any money moved: --force puts the Swiss
    // one in its place (with its history, money has moved: see tests/api/history.rs)
    let db = TestDb::with_bare_demo(backend);
    {
        let conn = &mut db.db.conn().expect("conn");
        let refused =
            demo::load(conn, Demo::Switzerland, Source::Embedded, false).expect_err("not empty");
        assert!(
            refused.to_string().contains("the database is not empty"),
            "{refused}"
        );
        demo::load(conn, Demo::Switzerland, Source::Embedded, true).expect("replaced");
        assert_eq!(
            deployment::get(conn).expect("deployment"),
            Deployment::FRANC_SWITZERLAND
        );
        assert_eq!(
            currencies_of(conn),
            pairs(&[("CHF", "fiat"), ("MOL", "local")])
        );
    }

    // once euros and Lems have moved, the database stays a euro deployment in France
    let app = TestApp::with_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    funded_wallet(&app, &camille, "20.00").await;
    let conn = &mut app.db.db.conn().expect("conn");
    let refused = demo::load(conn, Demo::Switzerland, Source::Embedded, true)
        .expect_err("money moved in euros");
    let refused = format!("{refused:#}");
    assert!(
        refused.contains("the Swiss demo is a CHF deployment in CH; this database's is EUR in FR")
            && refused.contains("ledger holds entries"),
        "{refused}"
    );
    assert_eq!(
        deployment::stored(conn).expect("stored"),
        Some(Deployment::EURO_FRANCE)
    );
    assert_eq!(
        deployment::get(conn).expect("deployment"),
        Deployment::EURO_FRANCE
    );
    assert!(!demo::is_empty(conn).expect("count"), "nothing deleted");
}

/// `demo load --country ch` on a new SQLite file: the Swiss demo, a franc deployment in
/// Switzerland, which `migrate` then keeps.
#[test]
fn demo_load_country_ch_on_an_empty_sqlite_file() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/moleson.db", dir.path().display());
    let load = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["demo", "load", "--database-url", &url];
        args.extend_from_slice(extra);
        comptoir(dir.path(), &args, env)
    };
    // a configuration naming another deployment is refused before anything is created
    let elsewhere = load(
        &["--country", "ch"],
        &[("COMPTOIR_DEPLOYMENT__CURRENCY", "EUR")],
    );
    assert_fails_with(
        &elsewhere,
        "the Swiss demo is a CHF deployment in CH, but the configuration sets \
         deployment.currency = \"EUR\"",
    );
    assert!(!dir.path().join("moleson.db").exists());

    let loaded = load(&["--country", "ch"], &[]);
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let said = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        said.contains(
            "5 enterprises, 10 users, 2 currencies, 20 products (22 variants), 3 order cycles; \
             history: 2 top-ups, 3 orders, 1 reconversions, "
        ) && said.contains("deployment: legal currency CHF, country CH"),
        "{said}"
    );
    let migrated = comptoir(dir.path(), &["migrate", "--database-url", &url], &[]);
    assert!(migrated.status.success(), "{migrated:?}");
    assert!(
        String::from_utf8_lossy(&migrated.stdout).contains("legal currency CHF, country CH"),
        "{migrated:?}"
    );
    assert_fails_with(
        &load(&["--country", "ch"], &[]),
        "the database is not empty; use --force",
    );
    // only the demos there are
    let unknown = load(&["--country", "be"], &[]);
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
}

/// The facts the tests run both demos with ([`DemoFacts`]) are the demo's: its deployment,
/// currencies, enterprises, people, variants and shipping methods, its VAT rates, and the
/// codes of its country's chart.
async fn each_demo_is_what_its_facts_say(backend: Backend, facts: &'static DemoFacts) {
    use comptoir::db::schema::{currencies, enterprises};
    assert!(std::ptr::eq(DemoFacts::of(facts.demo), facts));
    let app = TestApp::with_demo_of(backend, facts.demo).await;
    {
        let conn = &mut app.db.db.conn().expect("conn");
        let recorded = deployment::get(conn).expect("deployment");
        assert_eq!(recorded, facts.demo.deployment());
        assert_eq!(recorded.legal.code.as_str(), facts.legal);
        let kind_of = |conn: &mut DbConn, slug: &str| -> (String, String) {
            enterprises::table
                .filter(enterprises::slug.eq(slug))
                .select((enterprises::id, enterprises::kind))
                .first(conn.diesel())
                .unwrap_or_else(|e| panic!("{slug}: {e}"))
        };
        let (association, kind) = kind_of(conn, facts.association);
        assert_eq!(kind, "currency_association");
        assert_eq!(kind_of(conn, facts.hub).1, "hub");
        for producer in facts.producers {
            assert_eq!(kind_of(conn, producer).1, "producer");
        }
        let (kind, issuer): (String, Option<String>) = currencies::table
            .find(facts.local)
            .select((currencies::kind, currencies::issuer_id))
            .first(conn.diesel())
            .expect("local currency");
        assert_eq!((kind.as_str(), issuer), ("local", Some(association)));
        let rates = recorded.country.vat_rates();
        assert!(rates.contains(&facts.reduced_vat) && rates.contains(&facts.standard_vat));
        let standard: rust_decimal::Decimal = facts.standard_vat.parse().expect("rate");
        assert_eq!(
            rust_decimal::Decimal::from(facts.standard_vat_bp),
            standard * rust_decimal::Decimal::ONE_HUNDRED
        );
        let books = comptoir::accounting::chart::books(conn).expect("books");
        let chart = &facts.chart;
        assert_eq!(books.customers.code, chart.customers);
        assert_eq!(books.customer_credit.code, chart.customer_credit);
        assert_eq!(books.producers.code, chart.producers);
        assert_eq!(books.hubs.code, chart.hubs);
        assert_eq!(books.bank.code, chart.bank);
        assert_eq!(books.local_cash.code, chart.local_cash);
        assert!(books.commissions.code.starts_with(chart.commissions));
        assert!([chart.bank, chart.local_cash]
            .iter()
            .zip(chart.cash)
            .all(|(code, prefix)| code.starts_with(prefix)));
        for vat in &books.vat {
            assert!(vat.goods.code.starts_with(chart.goods), "{vat:?}");
            assert!(vat.fees.code.starts_with(chart.fees), "{vat:?}");
            assert!(
                vat.collected.code.starts_with(chart.vat_collected),
                "{vat:?}"
            );
            assert!(
                vat.deductible.code.starts_with(chart.vat_deductible),
                "{vat:?}"
            );
        }
        let fund = comptoir::accounting::chart::get(conn)
            .expect("chart")
            .accounts
            .into_iter()
            .find(|a| a.kind == "guarantee_fund")
            .expect("the fund's rule");
        assert_eq!(fund.code, chart.fund);
    }
    for email in [facts.treasurer, facts.hub_manager]
        .into_iter()
        .chain(facts.consumers)
    {
        app.access_token(email).await;
    }
    let shop = shop_of(&app, facts.hub).await;
    for sku in facts.skus {
        assert!(shop.variant.contains_key(sku), "{sku}");
    }
    assert!(shop.method.contains_key(facts.pickup));
    assert!(shop.method.contains_key(facts.bike));
}
