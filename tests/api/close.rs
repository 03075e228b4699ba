//! Fees, weighed-item adjustments, cycle close and settlement, reports, copying a cycle — over
//! HTTP on both backends, with every amount worked out by hand.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::{enterprises, ledger_entries, mail_outbox};
use comptoir::db::DbConn;
use comptoir::ids::{CycleId, UserId};
use comptoir::ledger::accounts::{self, Owner};
use comptoir::ledger::verify::verify;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};
use crate::support::{
    authed, close_cycle, eur, funded_wallet, hub_owner_token, key, lem, place_order, shop,
};

backend_tests!(
    fees_adjustment_close_and_settlement_have_exact_totals,
    cycles_are_created_copied_and_closed_empty,
    concurrent_closes_book_and_settle_once,
    a_mistaken_weight_can_be_corrected,
);

fn enterprise_id(conn: &mut DbConn, slug: &str) -> String {
    enterprises::table
        .filter(enterprises::slug.eq(slug))
        .select(enterprises::id)
        .first(conn.diesel())
        .expect("enterprise")
}

/// Balances of an enterprise's accounts by (currency, kind), in minor units.
fn balances(conn: &mut DbConn, enterprise: &str) -> HashMap<(String, String), i64> {
    accounts::list_for_owner(conn, &Owner::Enterprise(enterprise.into()))
        .expect("accounts")
        .into_iter()
        .map(|a| ((a.currency.clone(), a.kind.clone()), a.balance()))
        .collect()
}

fn balance(map: &HashMap<(String, String), i64>, currency: &str, kind: &str) -> i64 {
    map.get(&(currency.to_string(), kind.to_string()))
        .copied()
        .unwrap_or(0)
}

fn entries(conn: &mut DbConn) -> i64 {
    ledger_entries::table
        .count()
        .get_result(conn.diesel())
        .expect("count")
}

/// Camille buys carrots 2 × 2.80 (5.5 %, all local), mead 1 × 12.50 (20 %, half local) and
/// baguettes 3 × 1.40 (5.5 %, all local), delivered by bike for 3.00 (20 %, half local). The
/// hub charges a membership fee of 1.00 per order (20 %, all local) and its producers a 10 %
/// commission (20 %). The carrots are weighed at 1.5 kg before the close.
async fn fees_adjustment_close_and_settlement_have_exact_totals(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let shop = shop(&app).await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let fees_path = format!("/api/v1/order-cycles/{}/fees", shop.cycle);
    let membership = json!({"name": "Adhésion", "fee_type": "admin", "calculator": "flat_per_order",
        "charged_to": "customer", "amount": "1.00"});
    let added = authed(&app, "POST", &fees_path, &manager, None, &membership).await;
    assert_eq!(added.status, 201, "{}", added.json());
    let commission = json!({"name": "Commission", "fee_type": "sales", "calculator": "percent_of_items",
        "charged_to": "producer", "percent": "10"});
    let added = authed(&app, "POST", &fees_path, &manager, None, &commission).await;
    assert_eq!(added.status, 201, "{}", added.json());
    // a percent fee needs a percent, a producer fee has no local share
    let bad = json!({"name": "X", "fee_type": "sales", "calculator": "percent_of_items",
        "charged_to": "producer", "amount": "1.00", "local_share_percent": 50});
    let refused = authed(&app, "POST", &fees_path, &manager, None, &bad).await;
    let problem = refused.problem(422, "validation");
    assert_eq!(
        problem["errors"].as_array().map(Vec::len),
        Some(3),
        "{problem}"
    );

    let camille = app.access_token("camille@example.org").await;
    let wallet = funded_wallet(&app, &camille, "50.00").await;
    let cart_path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let lines = json!({"lines": [
        {"variant_id": shop.variant["FERME-CAR-1KG"], "quantity": 2},
        {"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1},
        {"variant_id": shop.variant["FOUR-BAG-TRAD"], "quantity": 3},
    ]});
    let cart = authed(&app, "PUT", &cart_path, &camille, None, &lines).await;
    assert_eq!(cart.status, 200, "{}", cart.json());
    let quote = &cart.json()["quote"];
    assert_eq!(quote["items_total"], eur("22.30"));
    assert_eq!(quote["fees_total"], eur("1.00"));
    assert_eq!(quote["total"], eur("23.30"));
    assert_eq!(quote["local_max"], eur("17.05"));
    assert_eq!(
        quote["fees"].as_array().map(Vec::len),
        Some(1),
        "producer fees are not shown"
    );

    let checkout_path = format!("/api/v1/order-cycles/{}/checkout", shop.cycle);
    let body = json!({"shipping_method_id": shop.method["Livraison à vélo"], "local_amount": lem("18.55")});
    let placed = authed(&app, "POST", &checkout_path, &camille, Some(&key()), &body).await;
    assert_eq!(placed.status, 201, "{}", placed.json());
    let order = placed.json();
    assert_eq!(order["total"], eur("26.30"));
    // lines 0.29 + 2.08 + 0.22, bike 0.50, membership 0.17
    assert_eq!(order["vat_total"], eur("3.26"));
    assert_eq!(order["fees_total"], eur("1.00"));
    assert_eq!(order["payment"]["local"], lem("18.55"));
    assert_eq!(order["payment"]["euro"], eur("7.75"));
    let order_id = order["id"].as_str().expect("id").to_string();

    // the carrots weigh 1.5 kg: 4.20, VAT 0.22; the local part shrinks to the new maximum
    let adjust_path = format!("/api/v1/orders/{order_id}/adjustments");
    let too_much =
        json!({"lines": [{"variant_id": shop.variant["FERME-CAR-1KG"], "delivered": "2.5"}]});
    let refused = authed(
        &app,
        "POST",
        &adjust_path,
        &manager,
        Some(&key()),
        &too_much,
    )
    .await;
    assert_eq!(
        refused.problem(422, "validation")["errors"][0]["code"],
        "above_ordered"
    );
    let weighed =
        json!({"lines": [{"variant_id": shop.variant["FERME-CAR-1KG"], "delivered": "1.5"}]});
    let by_customer = authed(&app, "POST", &adjust_path, &camille, Some(&key()), &weighed).await;
    assert_eq!(by_customer.status, 403, "only the hub weighs");
    let adjusted = authed(&app, "POST", &adjust_path, &manager, Some(&key()), &weighed).await;
    assert_eq!(adjusted.status, 200, "{}", adjusted.json());
    let order = adjusted.json();
    assert_eq!(order["items_total"], eur("20.90"));
    assert_eq!(order["total"], eur("24.90"));
    assert_eq!(order["vat_total"], eur("3.19"));
    assert_eq!(order["payment"]["local"], lem("17.15"));
    assert_eq!(order["payment"]["euro"], eur("7.75"));
    let carrots = order["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["variant_id"] == shop.variant["FERME-CAR-1KG"])
        .expect("carrots")
        .clone();
    assert_eq!(carrots["delivered"], "1.5");
    assert_eq!(carrots["total"], eur("4.20"));

    let conn = &mut app.db.db.conn().expect("conn");
    let hub = enterprise_id(conn, "la-cagette");
    let ferme = enterprise_id(conn, "ferme-des-trois-chenes");
    let rucher = enterprise_id(conn, "rucher-du-val");
    let fournil = enterprise_id(conn, "fournil-de-la-colline");

    let close_path = format!("/api/v1/order-cycles/{}/close", shop.cycle);
    let closed = app.call("POST", &close_path, Some(&manager), None).await;
    assert_eq!(closed.status, 200, "{}", closed.json());
    let report = closed.json();
    assert_eq!(report["orders_booked"], 1);
    assert_eq!(report["state"], "settled");
    assert_eq!(report["already_settled"], false);
    let paid: HashMap<(String, String), Value> = report["settlements"]
        .as_array()
        .expect("settlements")
        .iter()
        .map(|s| {
            (
                (
                    s["producer_id"].as_str().expect("producer").to_string(),
                    s["currency"].as_str().expect("currency").to_string(),
                ),
                s["paid"].clone(),
            )
        })
        .collect();
    // local currency goes to the goods first; commissions come out of euros first
    assert_eq!(paid[&(ferme.clone(), "LEM".into())], lem("3.78"));
    assert_eq!(paid[&(fournil.clone(), "LEM".into())], lem("3.78"));
    assert_eq!(paid[&(rucher.clone(), "LEM".into())], lem("6.25"));
    assert_eq!(paid[&(rucher.clone(), "EUR".into())], eur("5.00"));

    // the customer paid 17.15 LEM; the rest of the hold is released
    let wallet_view = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(wallet_view["balance"], lem("32.85"));
    assert_eq!(wallet_view["available"], lem("32.85"));
    let hub_accounts = balances(conn, &hub);
    // LEM: 17.15 in, 13.81 to producers, 0.56 VAT, 2.78 kept (bike 1.50 + membership 1.00 +
    // local commissions 0.84, net of their VAT)
    assert_eq!(balance(&hub_accounts, "LEM", "enterprise_wallet"), 278);
    assert_eq!(balance(&hub_accounts, "LEM", "vat_collected"), 56);
    // EUR: 7.75 owed by the customer, 5.00 to the beekeeper, 0.46 VAT, 2.29 kept
    assert_eq!(balance(&hub_accounts, "EUR", "euro_receivable"), -775);
    assert_eq!(balance(&hub_accounts, "EUR", "enterprise_wallet"), 229);
    assert_eq!(balance(&hub_accounts, "EUR", "vat_collected"), 46);
    assert_eq!(
        balance(&balances(conn, &ferme), "LEM", "enterprise_wallet"),
        378
    );
    assert_eq!(
        balance(&balances(conn, &rucher), "EUR", "enterprise_wallet"),
        500
    );

    // closing again does nothing more; no more orders
    let before = entries(conn);
    let again = app.call("POST", &close_path, Some(&manager), None).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["already_settled"], true);
    assert_eq!(again.json()["settlements"], report["settlements"]);
    assert_eq!(entries(conn), before);
    let cart = authed(&app, "PUT", &cart_path, &camille, None, &lines).await;
    cart.problem(409, "cycle-not-open");
    let cancel = authed(
        &app,
        "POST",
        &format!("/api/v1/orders/{order_id}/cancel"),
        &camille,
        Some(&key()),
        &json!({}),
    )
    .await;
    cancel.problem(409, "cycle-not-open");
    let order = app
        .call(
            "GET",
            &format!("/api/v1/orders/{order_id}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert!(order["booked_at"].is_string(), "{order}");
    let fulfil_path = format!("/api/v1/orders/{order_id}/fulfil");
    let by_customer = authed(
        &app,
        "POST",
        &fulfil_path,
        &camille,
        Some(&key()),
        &json!(null),
    )
    .await;
    assert_eq!(by_customer.status, 403);
    let handed = authed(
        &app,
        "POST",
        &fulfil_path,
        &manager,
        Some(&key()),
        &json!(null),
    )
    .await;
    assert_eq!(handed.status, 200, "{}", handed.json());
    assert_eq!(handed.json()["state"], "fulfilled");
    authed(
        &app,
        "POST",
        &fulfil_path,
        &manager,
        Some(&key()),
        &json!(null),
    )
    .await
    .problem(409, "order-state");

    // the euros are paid at pickup: the receivable is settled from the hub's till
    let owner = hub_owner_token(&app).await;
    crate::support::euro_paid(&app, &order_id, &owner).await;
    let hub_accounts = balances(conn, &hub);
    assert_eq!(balance(&hub_accounts, "EUR", "euro_receivable"), 0);
    assert_eq!(balance(&hub_accounts, "EUR", "euro_clearing"), -775);

    // reports
    let report = |name: &str| {
        let path = format!("/api/v1/order-cycles/{}/reports/{name}", shop.cycle);
        let manager = manager.clone();
        let app = &app;
        async move { app.call("GET", &path, Some(&manager), None).await }
    };
    let suppliers = report("pay_your_suppliers").await.json();
    assert_eq!(
        suppliers["rows"],
        json!([
            ["Ferme des Trois Chênes", "4.20", "0.42", "3.78", "3.78 LEM"],
            ["Fournil de la Colline", "4.20", "0.42", "3.78", "3.78 LEM"],
            [
                "Rucher du Val",
                "12.50",
                "1.25",
                "11.25",
                "5.00 EUR + 6.25 LEM"
            ],
        ])
    );
    let tax = report("sales_tax").await.json();
    assert_eq!(
        tax["rows"],
        json!([
            ["fees", "20", "5.07", "1.02", "6.09"],
            ["goods", "5.5", "7.96", "0.44", "8.40"],
            ["goods", "20", "10.42", "2.08", "12.50"],
        ])
    );
    let fee_summary = report("enterprise_fee_summary").await.json();
    assert_eq!(
        fee_summary["rows"],
        json!([
            ["Adhésion", "admin", "customer", "1", "1.00", "0.17"],
            ["Commission", "sales", "producer", "3", "2.09", "0.35"],
            [
                "Livraison à vélo",
                "shipping",
                "customer",
                "1",
                "3.00",
                "0.50"
            ],
        ])
    );
    let supplier_totals = report("supplier_totals").await.json();
    assert_eq!(supplier_totals["rows"][0][3], "1.5", "{supplier_totals}");
    for name in comptoir::orders::reports::NAMES {
        let path = format!(
            "/api/v1/order-cycles/{}/reports/{name}?format=csv",
            shop.cycle
        );
        let csv = app.call("GET", &path, Some(&manager), None).await;
        assert_eq!(csv.status, 200, "{name}");
        assert_eq!(
            csv.header("content-type").as_deref(),
            Some("text/csv; charset=utf-8")
        );
        let text = String::from_utf8(csv.body.clone()).expect("utf-8");
        let json_rows = report(name).await.json()["rows"]
            .as_array()
            .map(Vec::len)
            .expect("rows");
        assert_eq!(text.lines().count(), json_rows + 1, "{name}: {text}");
    }
    report("no_such_report").await.problem(404, "not-found");

    // each producer is sent its report
    let mails: i64 = mail_outbox::table
        .filter(mail_outbox::template.eq("producer_cycle_report"))
        .count()
        .get_result(conn.diesel())
        .expect("count");
    assert_eq!(mails, 3);
    let verified = verify(conn, &mut |_| {}).expect("verify");
    assert!(verified.ok(), "{verified}");
}

/// A hub opens a cycle, copies it a week later, closes the first with no orders (twice), and
/// cannot close the copy before it opens.
async fn cycles_are_created_copied_and_closed_empty(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let shop = shop(&app).await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let conn = &mut app.db.db.conn().expect("conn");
    let hub = enterprise_id(conn, "la-cagette");
    let now = chrono::Utc::now();
    let at = |hours: i64| (now + chrono::Duration::hours(hours)).to_rfc3339();
    let create_path = format!("/api/v1/enterprises/{hub}/order-cycles");
    let bad = json!({"name": "Vente", "opens_at": at(-1), "closes_at": at(-2),
        "offer": [{"variant_id": "no-such-variant"}]});
    let refused = authed(&app, "POST", &create_path, &manager, None, &bad).await;
    let codes: Vec<Value> = refused.problem(422, "validation")["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["code"].clone())
        .collect();
    assert!(codes.contains(&json!("before_opening")), "{codes:?}");
    assert!(codes.contains(&json!("not_permitted")), "{codes:?}");

    let new = json!({"name": "Vente flash", "opens_at": at(-1), "closes_at": at(2),
        "time_zone": "Europe/Paris",
        "offer": [{"variant_id": shop.variant["FERME-CAR-1KG"], "hub_price": "3.00"},
                  {"variant_id": shop.variant["RUCH-HYD-75CL"]}]});
    let created = authed(&app, "POST", &create_path, &manager, None, &new).await;
    assert_eq!(created.status, 201, "{}", created.json());
    let cycle = created.json();
    assert_eq!(cycle["state"], "open");
    assert_eq!(cycle["offer"].as_array().map(Vec::len), Some(2));
    let carrots = cycle["offer"]
        .as_array()
        .expect("offer")
        .iter()
        .find(|o| o["sku"] == "FERME-CAR-1KG")
        .expect("carrots")
        .clone();
    assert_eq!(carrots["cycle_price"], eur("3.00"));
    let id = cycle["id"].as_str().expect("id").to_string();
    let fee = json!({"name": "Transport", "fee_type": "transport", "calculator": "per_kg",
        "charged_to": "customer", "amount": "0.30", "vat_rate": "5.5"});
    let added = authed(
        &app,
        "POST",
        &format!("/api/v1/order-cycles/{id}/fees"),
        &manager,
        None,
        &fee,
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.json());
    let pickup = json!({"kind": "pickup", "name": "Au local", "at": at(24)});
    let added = authed(
        &app,
        "POST",
        &format!("/api/v1/order-cycles/{id}/shipping-methods"),
        &manager,
        None,
        &pickup,
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.json());
    // per-kg fee on 2 × 1 kg of carrots: 0.60
    let quote = app
        .call(
            "POST",
            &format!("/api/v1/order-cycles/{id}/quote"),
            None,
            Some(&json!({"lines": [{"variant_id": shop.variant["FERME-CAR-1KG"], "quantity": 2}]})),
        )
        .await
        .json();
    assert_eq!(quote["fees"][0]["amount"], eur("0.60"), "{quote}");
    assert_eq!(quote["total"], eur("6.60"));

    let copy = json!({"opens_at": at(24 * 7 - 1), "closes_at": at(24 * 7 + 2)});
    let copied = authed(
        &app,
        "POST",
        &format!("/api/v1/order-cycles/{id}/copy"),
        &manager,
        None,
        &copy,
    )
    .await;
    assert_eq!(copied.status, 201, "{}", copied.json());
    let copy = copied.json();
    let copy_id = copy["id"].as_str().expect("id").to_string();
    assert_eq!(copy["name"], "Vente flash");
    assert_eq!(copy["state"], "upcoming");
    assert_eq!(copy["copied_from_id"], json!(id));
    assert_eq!(copy["offer"].as_array().map(Vec::len), Some(2));
    assert_eq!(copy["fees"][0]["name"], "Transport");
    let methods = app
        .get(&format!("/api/v1/order-cycles/{copy_id}/shipping-methods"))
        .await
        .json();
    let moved =
        chrono::DateTime::parse_from_rfc3339(methods[0]["at"].as_str().expect("at")).expect("time");
    let expected = now + chrono::Duration::hours(24 * 8);
    assert!(
        (moved.timestamp() - expected.timestamp()).abs() <= 1,
        "the pickup moves with the close: {moved} vs {expected}"
    );

    // closing with no orders settles nothing; twice changes nothing
    let before = entries(conn);
    let closed = app
        .call(
            "POST",
            &format!("/api/v1/order-cycles/{id}/close"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.json());
    assert_eq!(closed.json()["orders_booked"], 0);
    assert_eq!(closed.json()["settlements"], json!([]));
    assert_eq!(closed.json()["state"], "settled");
    let again = app
        .call(
            "POST",
            &format!("/api/v1/order-cycles/{id}/close"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(again.json()["already_settled"], true);
    assert_eq!(entries(conn), before);
    let late_fee = authed(
        &app,
        "POST",
        &format!("/api/v1/order-cycles/{id}/fees"),
        &manager,
        None,
        &fee,
    )
    .await;
    late_fee.problem(409, "cycle-not-open");
    let early = app
        .call(
            "POST",
            &format!("/api/v1/order-cycles/{copy_id}/close"),
            Some(&manager),
            None,
        )
        .await;
    early.problem(409, "cycle-not-open");
}

/// Three closes of the same cycle at once (two instances' jobs and a person): every order is
/// booked once, each producer paid once, and the ledger verifies.
async fn concurrent_closes_book_and_settle_once(backend: Backend) {
    use comptoir::ledger::ops::{self, EuroMethod};
    use comptoir::money::{AmountInput, CurrencyCode};
    use comptoir::orders::checkout::{self, CheckoutRequest};
    use comptoir::orders::quote::{QuoteLineRequest, QuoteRequest};
    use comptoir::orders::{cart, close, shipping};

    let db = crate::harness::TestDb::with_demo(backend);
    let pool = crate::support::big_pool(&db);
    let conn = &mut pool.conn().expect("conn");
    let now = comptoir::time::now();
    let cycle: String = comptoir::db::schema::order_cycles::table
        .filter(comptoir::db::schema::order_cycles::opens_at.lt(now))
        .filter(comptoir::db::schema::order_cycles::closes_at.gt(now))
        .select(comptoir::db::schema::order_cycles::id)
        .first(conn.diesel())
        .expect("open cycle");
    let carrots: String = comptoir::db::schema::variants::table
        .filter(comptoir::db::schema::variants::sku.eq("FERME-CAR-1KG"))
        .select(comptoir::db::schema::variants::id)
        .first(conn.diesel())
        .expect("carrots");
    let method = shipping::for_cycle(conn, &cycle).expect("methods")[0]
        .id
        .clone();
    let request = CheckoutRequest {
        shipping_method_id: method,
        local_amount: Some(AmountInput {
            amount: "2.00".into(),
            currency: "LEM".parse::<CurrencyCode>().expect("code"),
        }),
    };
    let orders = 30;
    for n in 0..orders {
        let customer = crate::support::new_customer(conn, n);
        let wallet =
            ops::wallet(conn, Owner::User(customer.clone().into()), "LEM").expect("wallet");
        ops::issue(
            conn,
            &crate::support::operator(),
            &key(),
            &wallet.id,
            1000,
            EuroMethod::Cash,
            "top-up",
        )
        .expect("issue");
        let lines = vec![QuoteLineRequest {
            variant_id: carrots.clone(),
            quantity: 1,
        }];
        cart::set(conn, &cycle, &customer, &QuoteRequest { lines }).expect("cart");
        checkout::checkout(
            conn,
            &CycleId::from(&cycle),
            &UserId::from(&customer),
            &request,
        )
        .expect("checkout");
    }
    let before = entries(conn);
    let outcomes: Vec<Result<close::CloseReport, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let (pool, cycle) = (&pool, &cycle);
                scope.spawn(move || {
                    let mut conn = pool.conn().map_err(|e| e.to_string())?;
                    close::close(&mut conn, &CycleId::from(cycle), &mut |_| {})
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("closer"))
            .collect()
    });
    // a closer that finds another still booking is told to come back; then all agree
    for outcome in &outcomes {
        if let Err(e) = outcome {
            assert!(e.contains("still being booked"), "{e}");
        }
    }
    let last = close::close(conn, &CycleId::from(&cycle), &mut |_| {}).expect("close");
    assert!(last.already_settled);
    let booked: usize = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|r| r.orders_booked)
        .sum();
    assert_eq!(booked, orders, "{outcomes:?}");
    let settles: i64 = ledger_entries::table
        .filter(ledger_entries::code.eq("settle"))
        .count()
        .get_result(conn.diesel())
        .expect("count");
    assert_eq!(settles, 1, "the farm is paid once");
    let posts: i64 = ledger_entries::table
        .filter(ledger_entries::code.eq("post"))
        .count()
        .get_result(conn.diesel())
        .expect("count");
    assert_eq!(posts, orders as i64, "each hold is captured once");
    assert!(entries(conn) > before);
    let farm = enterprise_id(conn, "ferme-des-trois-chenes");
    let farm_accounts = balances(conn, &farm);
    assert_eq!(
        balance(&farm_accounts, "LEM", "enterprise_wallet")
            + balance(&farm_accounts, "EUR", "enterprise_wallet"),
        orders as i64 * 280
    );
    let verified = verify(conn, &mut |_| {}).expect("verify");
    assert!(verified.ok(), "{verified}");
}

/// A weight typed wrong (0.2 instead of 2) and corrected: the local part comes back to what
/// was chosen at checkout, and the close captures all of it.
async fn a_mistaken_weight_can_be_corrected(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let shop = shop(&app).await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let camille = app.access_token("camille@example.org").await;
    let wallet = funded_wallet(&app, &camille, "20.00").await;
    let carrots = shop.variant["FERME-CAR-1KG"].clone();
    let lines = json!({"lines": [{"variant_id": carrots, "quantity": 2}]});
    let id = place_order(&app, &shop, &camille, &lines, "Local de la Cagette", "5.60").await;
    let path = format!("/api/v1/orders/{id}/adjustments");
    let weigh =
        |delivered: &str| json!({"lines": [{"variant_id": carrots, "delivered": delivered}]});
    let wrong = authed(&app, "POST", &path, &manager, Some(&key()), &weigh("0.2")).await;
    assert_eq!(wrong.status, 200, "{}", wrong.json());
    assert_eq!(wrong.json()["total"], eur("0.56"));
    assert_eq!(wrong.json()["payment"]["local"], lem("0.56"));
    assert_eq!(wrong.json()["payment"]["euro_state"], "none");
    let fixed = authed(&app, "POST", &path, &manager, Some(&key()), &weigh("2")).await;
    assert_eq!(fixed.status, 200, "{}", fixed.json());
    assert_eq!(fixed.json()["total"], eur("5.60"));
    assert_eq!(fixed.json()["payment"]["local"], lem("5.60"));
    assert_eq!(fixed.json()["payment"]["euro"], eur("0.00"));
    close_cycle(&app, &shop, &manager).await;
    let account = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(account["balance"], lem("14.40"));
    assert_eq!(account["available"], lem("14.40"));
}
