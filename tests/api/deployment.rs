//! A deployment's own legal currency and country: chosen at the first run, fixed once the
//! ledger holds an entry, and carried by every amount — a Swiss deployment trades, settles
//! and keeps its books in francs, with no euro anywhere.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::config::DeploymentConfig;
use comptoir::db::schema::users;
use comptoir::db::DbConn;
use comptoir::deployment::{self, Country, Deployment};
use comptoir::setup;

use crate::harness::{Backend, TestApp, TestDb};
use crate::support::{authed, chf, created, key, new_customer};

crate::backend_tests!(
    the_first_run_records_the_choice_and_the_ledger_fixes_it,
    a_database_from_before_the_choice_keeps_its_euros,
    a_postcode_saved_before_the_check_does_not_block_other_edits,
    a_swiss_deployment_trades_settles_and_keeps_its_books_in_francs,
);

fn asking(currency: Option<&str>, country: Option<&str>) -> DeploymentConfig {
    DeploymentConfig {
        currency: currency.map(str::to_string),
        country: country.map(str::to_string),
    }
}

fn currencies_of(conn: &mut DbConn) -> Vec<(String, String)> {
    use comptoir::db::schema::currencies;
    currencies::table
        .order(currencies::code.asc())
        .select((currencies::code, currencies::kind))
        .load(conn.diesel())
        .expect("currencies")
}

async fn the_first_run_records_the_choice_and_the_ledger_fixes_it(backend: Backend) {
    let db = TestDb::blank(backend);
    // the first run records what the configuration asks
    setup::migrate(&db.db, &asking(Some("CHF"), Some("CH"))).expect("a Swiss first run");
    let conn = &mut db.db.conn().expect("conn");
    let swiss = Deployment::from_codes("CHF", "CH").expect("Switzerland");
    assert_eq!(deployment::stored(conn).expect("stored"), Some(swiss));
    assert_eq!(
        deployment::get(conn).expect("get").country,
        Country::Switzerland
    );
    assert_eq!(currencies_of(conn), [("CHF".into(), "fiat".into())]);

    // a configuration that leaves it unset keeps the recorded choice (no flip to the euro)
    setup::migrate(&db.db, &asking(None, None)).expect("a later run");
    assert_eq!(deployment::stored(conn).expect("stored"), Some(swiss));

    // an unknown tender or country is refused, naming the setting
    let unknown = setup::migrate(&db.db, &asking(Some("LEM"), None)).expect_err("not a tender");
    assert!(
        unknown.to_string().contains("deployment.currency `LEM`"),
        "{unknown}"
    );
    let nowhere = setup::migrate(&db.db, &asking(None, Some("BE"))).expect_err("no profile");
    assert!(
        nowhere.to_string().contains("deployment.country `BE`"),
        "{nowhere}"
    );

    // while the ledger is empty and no account is in francs, the choice may change
    setup::migrate(&db.db, &asking(Some("EUR"), Some("FR"))).expect("changed");
    assert_eq!(
        deployment::stored(conn).expect("stored"),
        Some(Deployment::EURO_FRANCE)
    );
    assert_eq!(currencies_of(conn), [("EUR".into(), "fiat".into())]);
    setup::migrate(&db.db, &asking(Some("CHF"), Some("CH"))).expect("changed back");
    assert_eq!(currencies_of(conn), [("CHF".into(), "fiat".into())]);

    // an account in francs holds it
    let person = new_customer(conn, 1);
    comptoir::ledger::ops::wallet(
        conn,
        comptoir::ledger::accounts::Owner::User(person.clone().into()),
        "CHF",
    )
    .expect("a franc wallet");
    let held = setup::migrate(&db.db, &asking(Some("EUR"), None)).expect_err("an account");
    assert!(
        held.to_string()
            .contains("account(s) of this database are in CHF"),
        "{held}"
    );

    // and so does the first entry, whatever the configuration asks
    insert_entry(conn);
    let fixed = setup::migrate(&db.db, &asking(Some("EUR"), Some("FR"))).expect_err("fixed");
    let fixed = fixed.to_string();
    assert!(
        fixed.contains("is CHF in CH") && fixed.contains("cannot change once the ledger holds"),
        "{fixed}"
    );
    assert_eq!(deployment::stored(conn).expect("stored"), Some(swiss));
    setup::migrate(&db.db, &asking(Some("CHF"), None)).expect("the recorded choice, named");
}

async fn a_database_from_before_the_choice_keeps_its_euros(backend: Backend) {
    use comptoir::db::schema::deployment as recorded;
    let db = TestDb::blank(backend);
    setup::migrate(&db.db, &asking(None, None)).expect("a first run");
    let conn = &mut db.db.conn().expect("conn");
    // as before the table existed: the euro row, a wallet in euros, no recorded choice
    diesel::delete(recorded::table)
        .execute(conn.diesel())
        .expect("forgotten");
    let person = new_customer(conn, 1);
    comptoir::ledger::ops::wallet(
        conn,
        comptoir::ledger::accounts::Owner::User(person.into()),
        "EUR",
    )
    .expect("a euro wallet");
    let refused = setup::migrate(&db.db, &asking(Some("CHF"), Some("CH"))).expect_err("euros");
    assert!(
        refused
            .to_string()
            .contains("account(s) of this database are in EUR"),
        "{refused}"
    );
    assert_eq!(
        deployment::stored(conn).expect("stored"),
        Some(Deployment::EURO_FRANCE)
    );
    assert_eq!(currencies_of(conn), [("EUR".into(), "fiat".into())]);
}

async fn a_postcode_saved_before_the_check_does_not_block_other_edits(backend: Backend) {
    use comptoir::db::schema::enterprises;
    let app = TestApp::with_demo(backend).await;
    {
        let conn = &mut app.db.db.conn().expect("conn");
        diesel::update(enterprises::table.filter(enterprises::slug.eq("la-cagette")))
            .set(enterprises::postcode.eq("F-69004"))
            .execute(conn.diesel())
            .expect("a free-form postcode");
    }
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let renamed = app
        .call(
            "PATCH",
            "/api/v1/enterprises/la-cagette",
            Some(&manager),
            Some(&json!({"name": "La Cagette"})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.json());
    assert_eq!(renamed.json()["address"]["postcode"], "F-69004");
    // changing the address checks it
    let moved = app
        .call(
            "PATCH",
            "/api/v1/enterprises/la-cagette",
            Some(&manager),
            Some(&json!({"address": {"postcode": "6900"}})),
        )
        .await
        .problem(422, "validation");
    assert_eq!(moved["errors"][0]["field"], "address.postcode");
}

/// One ledger entry (what counts here is that the ledger is no longer empty).
fn insert_entry(conn: &mut DbConn) {
    use comptoir::db::schema::ledger_entries;
    diesel::insert_into(ledger_entries::table)
        .values((
            ledger_entries::id.eq(key()),
            ledger_entries::seq.eq(1_i64),
            ledger_entries::code.eq("test"),
            ledger_entries::reference.eq(""),
            ledger_entries::description.eq("a first entry"),
            ledger_entries::request_hash.eq("h"),
            ledger_entries::created_at.eq(comptoir::time::now()),
            ledger_entries::prev_hash.eq(""),
            ledger_entries::hash.eq("h"),
        ))
        .execute(conn.diesel())
        .expect("an entry");
}

/// A verified person `email` who logs in with the demo password; returns its id.
fn person(conn: &mut DbConn, n: usize, admin: bool) -> String {
    let id = new_customer(conn, n);
    let hash = comptoir::auth::passwords::hash(comptoir::demo::DEMO_PASSWORD).expect("hash");
    diesel::update(users::table.find(&id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::is_platform_admin.eq(admin),
        ))
        .execute(conn.diesel())
        .expect("a person");
    id
}

fn rho(amount: &str) -> Value {
    json!({"amount": amount, "currency": "RHO"})
}

async fn a_swiss_deployment_trades_settles_and_keeps_its_books_in_francs(backend: Backend) {
    let db = TestDb::migrated_swiss(backend);
    // Switzerland's VAT rates come with its profile: the food rate and the standard one
    let app = TestApp::serve(db).await;
    {
        let conn = &mut app.db.db.conn().expect("conn");
        for (n, admin) in [(1, true), (2, false), (3, false), (4, false), (5, false)] {
            person(conn, n, admin);
        }
    }
    let token = |n: usize| {
        let app = &app;
        async move { app.access_token(&format!("buyer{n}@example.org")).await }
    };
    let (admin, treasurer, farmer, grocer, customer) = (
        token(1).await,
        token(2).await,
        token(3).await,
        token(4).await,
        token(5).await,
    );

    // the currencies: the franc, and a local currency at par with it
    let listed = app.get("/api/v1/currencies").await.json();
    assert_eq!(listed[0]["code"], "CHF");
    assert_eq!(listed[0]["kind"], "fiat");
    assert_eq!(listed[0]["name"], "Franc suisse");
    let association = created(
        app.call(
            "POST",
            "/api/v1/enterprises",
            Some(&admin),
            Some(&json!({"name": "Monnaie du Rhône", "kind": "currency_association"})),
        )
        .await,
    )["id"]
        .as_str()
        .expect("id")
        .to_string();
    let currency = created(
        app.call(
            "POST",
            "/api/v1/currencies",
            Some(&admin),
            Some(
                &json!({"code": "RHO", "name": "Rhône", "symbol": "R", "scale": 2,
                         "kind": "local", "parity": "1", "issuer_id": association}),
            ),
        )
        .await,
    );
    assert_eq!(
        (&currency["parity"], &currency["parity_to_eur"]),
        (&json!("1"), &json!("1"))
    );
    created(
        app.call(
            "POST",
            &format!("/api/v1/enterprises/{association}/roles"),
            Some(&admin),
            Some(&json!({"email": "buyer2@example.org", "role": "treasurer"})),
        )
        .await,
    );

    // a producer and a hub, both taking the local currency: the franc comes with them
    let enterprise = |name: &str, kind: &str| {
        json!({"name": name, "kind": kind, "accepted_currencies": ["RHO"],
               "address": {"line": "Rue du Bourg 1", "postcode": "1870", "city": "Monthey", "country_code": "CH"}})
    };
    // Swiss identifiers: the UID by its check digit, the VAT number its UID's; French ones
    // do not apply
    let mut farm = enterprise("Ferme des Trois Sapins", "producer");
    for (identifiers, field, code) in [
        (
            json!({"address": {"postcode": "18700", "country_code": "CH"}}),
            "address.postcode",
            "invalid_postcode",
        ),
        (json!({"siren": "732829320"}), "siren", "not_applicable"),
        (
            json!({"uid": "CHE-109.322.552"}),
            "uid",
            "invalid_check_digit",
        ),
        (
            json!({"uid": "CHE-109.322.551", "vat_number": "CHE-123.456.788 TVA"}),
            "vat_number",
            "uid_mismatch",
        ),
    ] {
        let mut body = farm.clone();
        for (k, v) in identifiers.as_object().expect("fields") {
            body[k] = v.clone();
        }
        let refused = app
            .call("POST", "/api/v1/enterprises", Some(&farmer), Some(&body))
            .await
            .problem(422, "validation");
        assert_eq!(
            (
                &refused["errors"][0]["field"],
                &refused["errors"][0]["code"]
            ),
            (&json!(field), &json!(code)),
            "{refused}"
        );
    }
    farm["uid"] = json!("che 109 322 551");
    farm["vat_number"] = json!("CHE109322551 MWST");
    let farm = created(
        app.call("POST", "/api/v1/enterprises", Some(&farmer), Some(&farm))
            .await,
    );
    // RHO is asked for; the association approves it below
    assert_eq!(farm["accepted_currencies"], json!(["CHF"]));
    assert_eq!(
        (&farm["uid"], &farm["vat_number"]),
        (&json!("CHE-109.322.551"), &json!("CHE-109.322.551 MWST"))
    );
    let farm = farm["id"].as_str().expect("farm").to_string();
    let hub = created(
        app.call(
            "POST",
            "/api/v1/enterprises",
            Some(&grocer),
            Some(&enterprise("Coopérative du Chablais", "hub")),
        )
        .await,
    )["id"]
        .as_str()
        .expect("hub")
        .to_string();
    // the Rhône's association approves both as its professionals: their RHO wallets open
    for id in [&farm, &hub] {
        let approved = app
            .call(
                "POST",
                &format!("/api/v1/currencies/RHO/professionals/{id}/approve"),
                Some(&treasurer),
                None,
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.json());
    }
    created(
        app.call(
            "PUT",
            &format!("/api/v1/enterprises/{farm}/permissions/{hub}"),
            Some(&farmer),
            Some(&json!({})),
        )
        .await,
    );
    created(
        app.call(
            "PUT",
            &format!("/api/v1/enterprises/{hub}/suppliers/{farm}"),
            Some(&grocer),
            None,
        )
        .await,
    );
    let product = created(
        app.call(
            "POST",
            &format!("/api/v1/enterprises/{farm}/products"),
            Some(&farmer),
            Some(
                &json!({"name": "Tomme vaudoise", "category": "alimentation",
                "variants": [{"sku": "TOMME-200", "display_name": "200 g",
                    "unit": {"kind": "weight", "value": 200}, "price": "12.50",
                    "vat_rate": "2.6", "local_share_percent": 100, "stock": 50}]}),
            ),
        )
        .await,
    );
    assert_eq!(product["variants"][0]["price"], chf("12.50"));
    let variant = product["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .to_string();

    // a cycle, open now
    let now = Utc::now();
    let cycle = created(
        app.call(
            "POST",
            &format!("/api/v1/enterprises/{hub}/order-cycles"),
            Some(&grocer),
            Some(
                &json!({"name": "Marché du samedi", "time_zone": "Europe/Zurich",
                "opens_at": (now - Duration::hours(1)).to_rfc3339(),
                "closes_at": (now + Duration::days(2)).to_rfc3339(),
                "offer": [{"variant_id": variant}]}),
            ),
        )
        .await,
    );
    assert_eq!(cycle["offer"][0]["cycle_price"], chf("12.50"));
    let cycle = cycle["id"].as_str().expect("cycle").to_string();
    let method = created(
        app.call(
            "POST",
            &format!("/api/v1/order-cycles/{cycle}/shipping-methods"),
            Some(&grocer),
            Some(&json!({"kind": "pickup", "name": "Halle du marché",
                         "at": (now + Duration::days(3)).to_rfc3339()})),
        )
        .await,
    );
    assert_eq!(method["fee"], chf("0.00"));
    let method = method["id"].as_str().expect("method").to_string();

    // a member's local wallet, topped up against francs
    let wallet = created(
        app.call(
            "POST",
            "/api/v1/me/wallets",
            Some(&customer),
            Some(&json!({"currency": "RHO"})),
        )
        .await,
    )["id"]
        .as_str()
        .expect("wallet")
        .to_string();
    created(
        app.call(
            "POST",
            "/api/v1/currencies/RHO/issuances",
            Some(&treasurer),
            Some(
                &json!({"entry_id": key(), "wallet_id": wallet, "amount": rho("20.00"),
                         "method": "bank_transfer", "reference": "QR-0001"}),
            ),
        )
        .await,
    );

    // a split checkout: 10 RHO, the rest in francs
    let cart = authed(
        &app,
        "PUT",
        &format!("/api/v1/order-cycles/{cycle}/cart"),
        &customer,
        None,
        &json!({"lines": [{"variant_id": variant, "quantity": 2}]}),
    )
    .await;
    assert_eq!(cart.status, 200, "{}", cart.json());
    assert_eq!(cart.json()["quote"]["total"], chf("25.00"));
    assert_eq!(cart.json()["quote"]["vat_breakdown"][0]["vat"], chf("0.63"));
    let order = authed(
        &app,
        "POST",
        &format!("/api/v1/order-cycles/{cycle}/checkout"),
        &customer,
        Some(&key()),
        &json!({"shipping_method_id": method, "local_amount": rho("10.00")}),
    )
    .await;
    assert_eq!(order.status, 201, "{}", order.json());
    let order = order.json();
    let payment = &order["payment"];
    assert_eq!(order["total"], chf("25.00"));
    assert_eq!(payment["local"], rho("10.00"));
    assert_eq!(payment["local_value"], chf("10.00"));
    assert_eq!(payment["fiat"], chf("15.00"));
    assert_eq!(payment["fiat_state"], "due");
    // the former names, for one more version
    assert_eq!(payment["euro"], payment["fiat"]);
    assert_eq!(payment["local_eur_value"], payment["local_value"]);
    let order_id = order["id"].as_str().expect("order").to_string();
    let paid = authed(
        &app,
        "POST",
        &format!("/api/v1/orders/{order_id}/fiat-payment"),
        &grocer,
        Some(&key()),
        &json!(null),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.json());
    assert_eq!(paid.json()["payment"]["fiat_state"], "paid");

    // the close: the farm is paid in both, every value in francs
    let closed = created(
        app.call(
            "POST",
            &format!("/api/v1/order-cycles/{cycle}/close"),
            Some(&grocer),
            None,
        )
        .await,
    );
    let paid: Vec<(Value, Value)> = closed["settlements"]
        .as_array()
        .expect("settlements")
        .iter()
        .map(|s| (s["goods"].clone(), s["paid"].clone()))
        .collect();
    assert_eq!(
        paid,
        [(chf("15.00"), chf("15.00")), (chf("10.00"), rho("10.00"))]
    );

    // the association's statement: the guarantee fund is in francs
    let statement = app
        .call(
            "GET",
            "/api/v1/currencies/RHO/statement",
            Some(&treasurer),
            None,
        )
        .await
        .json();
    assert_eq!(statement["guarantee_fund"], chf("20.00"));
    assert_eq!(statement["difference"], chf("0.00"));

    // the hub's books and the deployment's, kept in francs
    let year = now.format("%Y").to_string();
    let range = format!("from={year}-01-01&to={year}-12-31");
    let books = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{hub}/accounting/balance?{range}"),
            Some(&grocer),
            None,
        )
        .await;
    assert_eq!(books.status, 200, "{}", books.json());
    assert_eq!(books.json()["currency"], "CHF");
    let books = app
        .call(
            "GET",
            &format!("/api/v1/accounting/balance?{range}"),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(books.status, 200, "{}", books.json());
    let books = books.json();
    assert_eq!(books["currency"], "CHF");
    assert_eq!(books["totals"]["debit"], books["totals"]["credit"]);
    // in the Swiss chart, with Odoo l10n_ch's codes: the fund a bank account (1020) in
    // debit, the member's wallet what the association owes (2211) in credit
    let account = |balance: &Value, code: &str| {
        balance["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .find(|a| a["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no account {code} in {balance}"))
    };
    let fund = account(&books, "1020");
    assert_eq!(
        (&fund["label"], &fund["closing_debit"]),
        (&json!("Banque - fonds de garantie"), &json!("20.00"))
    );
    assert_eq!(account(&books, "2211")["closing_credit"], "10.00");
    assert!(
        books["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .all(|a| a["code"].as_str().is_some_and(|c| c.len() == 4)),
        "only the Swiss chart's four-digit codes: {books}"
    );
    // the farm's own books: its sale at 2.6 %, the VAT due on its own account
    let farm_books = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{farm}/accounting/balance?{range}"),
            Some(&farmer),
            None,
        )
        .await;
    assert_eq!(farm_books.status, 200, "{}", farm_books.json());
    let farm_books = farm_books.json();
    assert_eq!(account(&farm_books, "3001")["credit"], "24.37");
    assert_eq!(account(&farm_books, "2202")["credit"], "0.63");

    // the general ledgers (Switzerland's legal export): per account the opening, each line
    // with the running balance, and totals that are the trial balance's
    for (path, who, balance) in [
        ("/api/v1/accounting", &treasurer, &books),
        (
            &*format!("/api/v1/enterprises/{farm}/accounting"),
            &farmer,
            &farm_books,
        ),
    ] {
        let ledger = app
            .call(
                "GET",
                &format!("{path}/general-ledger.csv?{range}"),
                Some(who),
                None,
            )
            .await;
        let text = String::from_utf8_lossy(&ledger.body).to_string();
        assert_eq!(ledger.status, 200, "{text}");
        crate::support::assert_general_ledger_agrees(&text, balance);
    }

    // no euro anywhere: every account is in francs or in the local currency
    let conn = &mut app.db.db.conn().expect("conn");
    let codes: Vec<String> = {
        use comptoir::db::schema::ledger_accounts;
        ledger_accounts::table
            .select(ledger_accounts::currency)
            .distinct()
            .order(ledger_accounts::currency.asc())
            .load(conn.diesel())
            .expect("codes")
    };
    assert_eq!(codes, ["CHF", "RHO"]);
    let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert!(report.ok(), "{:?}", report.violations);
}
