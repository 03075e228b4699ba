//! Carts, checkout with split payment, cancellation and idempotency over HTTP, and 100
//! concurrent buyers for the last 10 units, on both backends.

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::{mail_outbox, variants};
use comptoir::ledger::accounts::{self, Owner};
use comptoir::ledger::ops::{self, EuroMethod};
use comptoir::ledger::verify::verify;
use comptoir::money::{AmountInput, CurrencyCode};
use comptoir::orders::checkout::{self, CheckoutRequest};
use comptoir::orders::quote::{QuoteLineRequest, QuoteRequest};
use comptoir::orders::{cart, shipping};

use crate::backend_tests;
use crate::harness::{Backend, TestApp, TestDb};
use crate::support::{
    address, authed, big_pool, eur, funded_wallet, hub_owner_token, key, lem, new_customer, shop,
    Shop,
};

backend_tests!(
    split_payment_checkout_has_exact_totals_and_cancels_cleanly,
    checkout_is_idempotent_per_key,
    all_local_all_euro_and_refusals,
    concurrent_buyers_never_oversell,
    the_hubs_manager_records_a_euro_payment,
);

async fn balances(app: &TestApp, token: &str, account: &str) -> (Value, Value) {
    let a = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{account}"),
            Some(token),
            None,
        )
        .await
        .json();
    (a["balance"].clone(), a["available"].clone())
}

async fn stock(app: &TestApp, shop: &Shop, sku: &str) -> Value {
    let detail = app
        .get(&format!("/api/v1/order-cycles/{}", shop.cycle))
        .await
        .json();
    detail["offer"]
        .as_array()
        .expect("offer")
        .iter()
        .find(|o| o["sku"] == sku)
        .expect("offered")["stock_on_hand"]
        .clone()
}

fn outbox(db: &TestDb, template: &str) -> i64 {
    let conn = &mut db.db.conn().expect("conn");
    mail_outbox::table
        .filter(mail_outbox::template.eq(template))
        .count()
        .get_result(conn.diesel())
        .expect("count")
}

/// Carrots 2 × 2.80 (5.5 %, all local), mead 1 × 12.50 (20 %, half local), baguettes
/// 3 × 1.40 (the hub's price, 5.5 %, on demand), delivered by bike for 3.00 (20 %, half
/// local): every amount below is worked out by hand from the rules in the README.
async fn split_payment_checkout_has_exact_totals_and_cancels_cleanly(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let wallet = funded_wallet(&app, &camille, "20.00").await;
    let shop = shop(&app).await;
    let cart_path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let lines = json!({"lines": [
        {"variant_id": shop.variant["FERME-CAR-1KG"], "quantity": 2},
        {"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1},
        {"variant_id": shop.variant["FOUR-BAG-TRAD"], "quantity": 3},
    ]});
    let cart = authed(&app, "PUT", &cart_path, &camille, None, &lines).await;
    assert_eq!(cart.status, 200, "{}", cart.json());
    assert_eq!(cart.json()["quote"]["total"], eur("22.30"));
    assert_eq!(cart.json()["quote"]["local_max"], eur("16.05"));
    // the cart is kept on the server
    let again = app
        .call("GET", &cart_path, Some(&camille), None)
        .await
        .json();
    assert_eq!(again["lines"].as_array().map(Vec::len), Some(3));

    let bike = &shop.method["Livraison à vélo"];
    let checkout_path = format!("/api/v1/order-cycles/{}/checkout", shop.cycle);
    // more local currency than the lines and the fee allow (16.05 + 1.50)
    let too_much =
        json!({"shipping_method_id": bike, "local_amount": lem("17.56"), "address": address()});
    let refused = authed(
        &app,
        "POST",
        &checkout_path,
        &camille,
        Some(&key()),
        &too_much,
    )
    .await;
    let problem = refused.problem(422, "validation");
    assert_eq!(problem["errors"][0]["code"], "above_local_max", "{problem}");
    assert_eq!(
        stock(&app, &shop, "FERME-CAR-1KG").await,
        120,
        "a refusal reserves nothing"
    );

    let body =
        json!({"shipping_method_id": bike, "local_amount": lem("15.00"), "address": address()});
    let k = key();
    let placed = authed(&app, "POST", &checkout_path, &camille, Some(&k), &body).await;
    assert_eq!(placed.status, 201, "{}", placed.json());
    let order = placed.json();
    assert_eq!(order["state"], "confirmed");
    assert_eq!(order["items_total"], eur("22.30"));
    assert_eq!(order["shipping_fee"], eur("3.00"));
    assert_eq!(order["total"], eur("25.30"));
    // VAT per line, half-up: 0.29 + 2.08 + 0.22, and 0.50 on the fee
    assert_eq!(order["vat_total"], eur("3.09"));
    assert_eq!(order["payment"]["local"], lem("15.00"));
    assert_eq!(order["payment"]["euro"], eur("10.30"));
    assert_eq!(order["payment"]["euro_state"], "due");
    let lines = order["lines"].as_array().expect("lines");
    let mead = lines
        .iter()
        .find(|l| l["variant_id"] == shop.variant["RUCH-HYD-75CL"])
        .expect("mead");
    assert_eq!(mead["vat"], eur("2.08"));
    assert_eq!(mead["local_max"], eur("6.25"));
    // the hub's first order this year (its prefix, the year in Paris)
    let year = chrono::Datelike::year(&comptoir::time::local(
        comptoir::time::now(),
        "Europe/Paris",
    ));
    assert_eq!(order["number"], format!("CAG-{year}-000001"));

    // the local part is held, the stock taken (on-demand bread untouched)
    assert_eq!(
        balances(&app, &camille, &wallet).await,
        (lem("20.00"), lem("5.00"))
    );
    assert_eq!(stock(&app, &shop, "FERME-CAR-1KG").await, 118);
    assert_eq!(stock(&app, &shop, "RUCH-HYD-75CL").await, 11);
    assert_eq!(stock(&app, &shop, "FOUR-BAG-TRAD").await, Value::Null);
    assert_eq!(outbox(&app.db, "order_confirmation"), 1);
    // the cart became the order: a new cart is empty
    let fresh = app
        .call("GET", &cart_path, Some(&camille), None)
        .await
        .json();
    assert_eq!(fresh["lines"], json!([]));

    // the hub sees it; another customer does not
    let hub = app.access_token("gerance@lacagette.example.org").await;
    let listed = app
        .call(
            "GET",
            &format!("/api/v1/order-cycles/{}/orders", shop.cycle),
            Some(&hub),
            None,
        )
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let id = order["id"].as_str().expect("id").to_string();
    let yanis = app.access_token("yanis@example.org").await;
    let peek = app
        .call("GET", &format!("/api/v1/orders/{id}"), Some(&yanis), None)
        .await;
    assert_eq!(peek.status, 403);

    // cancel: stock back, hold voided, euros no longer due; once only
    let cancel_path = format!("/api/v1/orders/{id}/cancel");
    let cancelled = authed(
        &app,
        "POST",
        &cancel_path,
        &camille,
        Some(&key()),
        &json!({"reason": "changed my mind"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.json());
    assert_eq!(cancelled.json()["state"], "cancelled");
    assert_eq!(cancelled.json()["payment"]["euro_state"], "cancelled");
    assert_eq!(
        balances(&app, &camille, &wallet).await,
        (lem("20.00"), lem("20.00"))
    );
    assert_eq!(stock(&app, &shop, "FERME-CAR-1KG").await, 120);
    assert_eq!(stock(&app, &shop, "RUCH-HYD-75CL").await, 12);
    assert_eq!(stock(&app, &shop, "FOUR-BAG-TRAD").await, Value::Null);
    assert_eq!(outbox(&app.db, "order_cancelled"), 1);
    let twice = authed(
        &app,
        "POST",
        &cancel_path,
        &camille,
        Some(&key()),
        &json!({}),
    )
    .await;
    twice.problem(409, "order-state");

    let conn = &mut app.db.db.conn().expect("conn");
    let report = verify(conn, &mut |_| {}).expect("verify");
    assert!(report.ok(), "{report}");
}

async fn checkout_is_idempotent_per_key(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let shop = shop(&app).await;
    let cart_path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let lines = json!({"lines": [{"variant_id": shop.variant["FERME-CAR-1KG"], "quantity": 1}]});
    assert_eq!(
        authed(&app, "PUT", &cart_path, &camille, None, &lines)
            .await
            .status,
        200
    );
    let checkout_path = format!("/api/v1/order-cycles/{}/checkout", shop.cycle);
    let pickup = json!({"shipping_method_id": shop.method["Local de la Cagette"]});

    let missing = authed(&app, "POST", &checkout_path, &camille, None, &pickup).await;
    missing.problem(400, "idempotency-key-required");

    // the same key twice at once: one checkout, and the other request gets its response
    let k = key();
    let (first, twin) = futures_util::future::join(
        authed(&app, "POST", &checkout_path, &camille, Some(&k), &pickup),
        authed(&app, "POST", &checkout_path, &camille, Some(&k), &pickup),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.json());
    assert_eq!(twin.status, 201, "{}", twin.json());
    assert_eq!(twin.json(), first.json());
    let replay = authed(&app, "POST", &checkout_path, &camille, Some(&k), &pickup).await;
    assert_eq!(replay.status, 201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.json(), first.json());
    // all in euros: nothing held, 2.80 due
    assert_eq!(first.json()["payment"]["euro"], eur("2.80"));
    assert_eq!(first.json()["payment"]["local"], Value::Null);

    let other = json!({"shipping_method_id": shop.method["Livraison à vélo"]});
    let reused = authed(&app, "POST", &checkout_path, &camille, Some(&k), &other).await;
    reused.problem(422, "idempotency-key-reused");
    // a new key on the now empty cart
    let empty = authed(
        &app,
        "POST",
        &checkout_path,
        &camille,
        Some(&key()),
        &pickup,
    )
    .await;
    empty.problem(409, "order-state");
    assert_eq!(stock(&app, &shop, "FERME-CAR-1KG").await, 119);
    assert_eq!(outbox(&app.db, "order_confirmation"), 1);

    // saved responses are purged once past their keeping time, never before
    let conn = &mut app.db.db.conn().expect("conn");
    let now = comptoir::time::now();
    assert_eq!(
        comptoir::idempotency::purge(conn, now - chrono::Duration::hours(1)).expect("purge"),
        0
    );
    assert_eq!(
        comptoir::idempotency::purge(conn, now + chrono::Duration::seconds(1)).expect("purge"),
        1
    );

    // the hub records the euros, once
    let id = first.json()["id"].as_str().expect("id").to_string();
    let hub_manager = app.access_token("gerance@lacagette.example.org").await;
    let pay_path = format!("/api/v1/orders/{id}/euro-payment");
    // the manager runs the till: they record it (#20: a manager records payments)
    let recorded = authed(
        &app,
        "POST",
        &pay_path,
        &hub_manager,
        Some(&key()),
        &json!({}),
    )
    .await;
    assert_eq!(recorded.status, 200, "{}", recorded.json());
}

async fn all_local_all_euro_and_refusals(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let wallet = funded_wallet(&app, &camille, "6.00").await;
    let shop = shop(&app).await;
    let cart_path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let checkout_path = format!("/api/v1/order-cycles/{}/checkout", shop.cycle);
    let pickup = shop.method["Local de la Cagette"].clone();

    // a bad cart: every line reported at once, nothing stored
    let bad = json!({"lines": [
        {"variant_id": "nope", "quantity": 1},
        {"variant_id": shop.variant["RUCH-POL-250G"], "quantity": 11},
    ]});
    let refused = authed(&app, "PUT", &cart_path, &camille, None, &bad).await;
    let problem = refused.problem(422, "validation");
    assert_eq!(
        problem["errors"].as_array().map(Vec::len),
        Some(2),
        "{problem}"
    );

    // all local: carrots are 100 % payable in LEM and the pickup is free
    let lines = json!({"lines": [{"variant_id": shop.variant["FERME-CAR-1KG"], "quantity": 2}]});
    // paying in LEM without a LEM wallet: told to open one, not "insufficient funds"
    let yanis = app.access_token("yanis@example.org").await;
    let set = authed(&app, "PUT", &cart_path, &yanis, None, &lines).await;
    assert_eq!(set.status, 200, "{}", set.json());
    let body = json!({"shipping_method_id": pickup, "local_amount": lem("1.00")});
    let problem = authed(&app, "POST", &checkout_path, &yanis, Some(&key()), &body)
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "local_amount", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "no_wallet", "{problem}");
    assert_eq!(
        authed(&app, "PUT", &cart_path, &camille, None, &lines)
            .await
            .status,
        200
    );
    let body = json!({"shipping_method_id": pickup, "local_amount": lem("5.60")});
    let order = authed(&app, "POST", &checkout_path, &camille, Some(&key()), &body).await;
    assert_eq!(order.status, 201, "{}", order.json());
    assert_eq!(order.json()["payment"]["euro"], eur("0.00"));
    assert_eq!(order.json()["payment"]["euro_state"], "none");
    assert_eq!(
        balances(&app, &camille, &wallet).await,
        (lem("6.00"), lem("0.40"))
    );

    // not enough in the wallet: refused, and nothing reserved
    assert_eq!(
        authed(&app, "PUT", &cart_path, &camille, None, &lines)
            .await
            .status,
        200
    );
    let short = authed(&app, "POST", &checkout_path, &camille, Some(&key()), &body).await;
    short.problem(409, "insufficient-funds");
    assert_eq!(stock(&app, &shop, "FERME-CAR-1KG").await, 118);

    // a currency the hub does not take, an unknown method
    let wrong = json!({"shipping_method_id": pickup, "local_amount": {"amount": "1.00", "currency": "EUR"}});
    authed(&app, "POST", &checkout_path, &camille, Some(&key()), &wrong)
        .await
        .problem(422, "validation");
    let unknown = json!({"shipping_method_id": "nowhere"});
    authed(
        &app,
        "POST",
        &checkout_path,
        &camille,
        Some(&key()),
        &unknown,
    )
    .await
    .problem(422, "validation");

    // all in euros
    let euros = json!({"shipping_method_id": pickup, "local_amount": lem("0")});
    let order = authed(&app, "POST", &checkout_path, &camille, Some(&key()), &euros).await;
    assert_eq!(order.status, 201, "{}", order.json());
    assert_eq!(order.json()["payment"]["euro"], eur("5.60"));
    assert_eq!(order.json()["payment"]["local"], Value::Null);
    assert_eq!(stock(&app, &shop, "FERME-CAR-1KG").await, 116);

    // the hub's owner records the euros; twice is refused
    let id = order.json()["id"].as_str().expect("id").to_string();
    let owner = hub_owner_token(&app).await;
    let pay_path = format!("/api/v1/orders/{id}/euro-payment");
    let paid = authed(&app, "POST", &pay_path, &owner, Some(&key()), &json!(null)).await;
    assert_eq!(paid.status, 200, "{}", String::from_utf8_lossy(&paid.body));
    assert_eq!(paid.json()["payment"]["euro_state"], "paid");
    authed(&app, "POST", &pay_path, &owner, Some(&key()), &json!(null))
        .await
        .problem(409, "order-state");
    // a paid order cancelled owes its euros back, until the hub refunds them
    let cancelled = authed(
        &app,
        "POST",
        &format!("/api/v1/orders/{id}/cancel"),
        &camille,
        Some(&key()),
        &json!({}),
    )
    .await;
    assert_eq!(
        cancelled.status,
        200,
        "{}",
        String::from_utf8_lossy(&cancelled.body)
    );
    assert_eq!(cancelled.json()["payment"]["owed_back"]["amount"], "5.60");
    let refunds = format!("/api/v1/orders/{id}/refunds");
    // the customer does not record refunds; nor more than is owed; nor an unknown method
    authed(
        &app,
        "POST",
        &refunds,
        &camille,
        Some(&key()),
        &json!({"method": "cash"}),
    )
    .await
    .problem(403, "forbidden");
    authed(
        &app,
        "POST",
        &refunds,
        &owner,
        Some(&key()),
        &json!({"method": "cash", "amount": "5.61"}),
    )
    .await
    .problem(422, "validation");
    let refund = json!({"method": "bank_transfer", "amount": "2.00", "reference": "VIR-118"});
    let part = authed(&app, "POST", &refunds, &owner, Some(&key()), &refund).await;
    assert_eq!(part.status, 200, "{}", String::from_utf8_lossy(&part.body));
    assert_eq!(part.json()["payment"]["owed_back"]["amount"], "3.60");
    // the rest becomes credit with the hub, shown to the customer
    let credit = format!("/api/v1/orders/{id}/credit");
    let rest = authed(&app, "POST", &credit, &owner, Some(&key()), &json!({})).await;
    assert_eq!(rest.status, 200, "{}", String::from_utf8_lossy(&rest.body));
    assert_eq!(rest.json()["payment"]["owed_back"]["amount"], "0.00");
    assert_eq!(rest.json()["payment"]["fiat_refunded"]["amount"], "5.60");
    authed(&app, "POST", &credit, &owner, Some(&key()), &json!({}))
        .await
        .problem(409, "order-state");
    let credits = authed(
        &app,
        "GET",
        "/api/v1/me/credits",
        &camille,
        None,
        &json!(null),
    )
    .await;
    assert_eq!(credits.status, 200);
    assert_eq!(credits.json()[0]["amount"]["amount"], "3.60");
}

/// 100 buyers, each with 20 LEM, check out at once for the last 10 pots of pollen (one
/// each, 5.00 of it in LEM): exactly 10 orders, stock 0, no wallet below zero, every
/// refused buyer's money untouched, and the ledger verifies.
async fn concurrent_buyers_never_oversell(backend: Backend) {
    let db = TestDb::with_demo(backend);
    let pool = big_pool(&db);
    let conn = &mut pool.conn().expect("conn");
    let cycle = comptoir::db::schema::order_cycles::table
        .filter(comptoir::db::schema::order_cycles::opens_at.lt(comptoir::time::now()))
        .filter(comptoir::db::schema::order_cycles::closes_at.gt(comptoir::time::now()))
        .select(comptoir::db::schema::order_cycles::id)
        .first::<String>(conn.diesel())
        .expect("open cycle");
    let pollen: String = variants::table
        .filter(variants::sku.eq("RUCH-POL-250G"))
        .select(variants::id)
        .first(conn.diesel())
        .expect("pollen");
    assert_eq!(
        variants::table
            .find(&pollen)
            .select(variants::stock_on_hand)
            .first::<Option<i64>>(conn.diesel())
            .expect("stock"),
        Some(10)
    );
    let method = shipping::for_cycle(conn, &cycle).expect("methods")[0]
        .id
        .clone();
    let mut buyers = Vec::new();
    for n in 0..100 {
        let customer = new_customer(conn, n);
        let wallet =
            ops::wallet(conn, Owner::User(customer.clone().into()), "LEM").expect("wallet");
        ops::issue(
            conn,
            &crate::support::operator(),
            &key(),
            &wallet.id,
            2000,
            EuroMethod::Cash,
            "top-up",
        )
        .expect("issue");
        cart::set(
            conn,
            &cycle,
            &customer,
            &QuoteRequest {
                lines: vec![QuoteLineRequest {
                    variant_id: pollen.clone(),
                    quantity: 1,
                }],
            },
        )
        .expect("cart");
        buyers.push((customer, wallet.id));
    }
    let request = CheckoutRequest {
        shipping_method_id: method,
        local_amount: Some(AmountInput {
            amount: "5.00".into(),
            currency: "LEM".parse::<CurrencyCode>().expect("code"),
        }),
        ..Default::default()
    };
    let outcomes: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = buyers
            .iter()
            .map(|(customer, _)| {
                let (pool, cycle, request) = (&pool, &cycle, &request);
                scope.spawn(move || {
                    let mut conn = pool.conn().map_err(|e| e.to_string())?;
                    match checkout::checkout(
                        &mut conn,
                        &comptoir::ids::CycleId::from(cycle),
                        &comptoir::ids::UserId::from(customer),
                        request,
                    ) {
                        Ok(_) => Ok(()),
                        Err(comptoir::orders::OrderError::OutOfStock(_)) => {
                            Err("out of stock".into())
                        }
                        Err(e) => panic!("unexpected refusal: {e}"),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("buyer thread"))
            .collect()
    });
    let sold = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(sold, 10, "{outcomes:?}");
    // every other buyer was told the stock ran out (not a timeout, not anything else)
    assert!(
        outcomes
            .iter()
            .all(|o| o.as_ref().map_or_else(|e| e == "out of stock", |_| true)),
        "{outcomes:?}"
    );
    assert_eq!(
        variants::table
            .find(&pollen)
            .select(variants::stock_on_hand)
            .first::<Option<i64>>(conn.diesel())
            .expect("stock"),
        Some(0)
    );
    let mut held = 0;
    for (_, wallet) in &buyers {
        let account = accounts::get(conn, wallet).expect("wallet");
        assert_eq!(
            account.balance(),
            2000,
            "a checkout moves nothing before the close"
        );
        let available = account.balance() - account.debits_pending;
        assert!(available >= 0);
        held += account.debits_pending;
    }
    assert_eq!(held, 10 * 500);
    let report = verify(conn, &mut |_| {}).expect("verify");
    assert!(report.ok(), "{report}");
}

/// The manager runs the pickup's till: they record an order's euro payment (the hub's
/// owners and treasurers may too); a member of the hub may not.
async fn the_hubs_manager_records_a_euro_payment(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let shop = crate::support::shop(&app).await;
    let camille = app.access_token("camille@example.org").await;
    crate::support::funded_wallet(&app, &camille, "20.00").await;
    let lines = json!({"lines": [{"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1}]});
    let order_id =
        crate::support::place_order(&app, &shop, &camille, &lines, "Local de la Cagette", "5.00")
            .await;
    let path = format!("/api/v1/orders/{order_id}/fiat-payment");
    let yanis = app.access_token("yanis@example.org").await;
    let refused = crate::support::authed(
        &app,
        "POST",
        &path,
        &yanis,
        Some(&crate::support::key()),
        &json!(null),
    )
    .await;
    assert!(
        matches!(refused.status.as_u16(), 403 | 404),
        "{}",
        refused.json()
    );
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let paid = crate::support::authed(
        &app,
        "POST",
        &path,
        &manager,
        Some(&crate::support::key()),
        &json!(null),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.json());
    let order = app
        .call(
            "GET",
            &format!("/api/v1/orders/{order_id}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(order["payment"]["fiat_state"], "paid", "{order}");
}
