//! Fees, weighed-item adjustments, cycle close and settlement, reports, copying a cycle — over
//! HTTP on both backends, with the French demo (euros) and the Swiss one (francs), with every
//! amount worked out by hand — from an empty ledger: on each demo without its history
//! (`TestApp::with_bare_demo_of`), so that what a close books is all there is to count.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::{enterprises, ledger_entries, mail_outbox};
use comptoir::db::DbConn;
use comptoir::ids::{CycleId, UserId};
use comptoir::ledger::accounts::{self, Owner};
use comptoir::ledger::verify::verify;

use crate::backend_tests;
use crate::harness::{Backend, DemoFacts, TestApp};
use crate::support::{
    authed, close_cycle, funded_wallet_in, hub_owner_token_in, key, place_order_in, shop_of,
};

backend_tests!(
    ;
    per_demo:
    fees_adjustment_close_and_settlement_have_exact_totals,
    cycles_are_created_copied_and_closed_empty,
    concurrent_closes_book_and_settle_once,
    a_mistaken_weight_can_be_corrected,
    weighing_after_ordering_closes_then_a_later_settlement,
);

/// A demo's basket for [`fees_adjustment_close_and_settlement_have_exact_totals`], and every
/// amount it comes to, worked out by hand (prices include VAT; each line's and each fee's VAT
/// is rounded half up on its own).
struct Basket {
    /// The producers of the carrots, of the drink (standard VAT, half local) and of the
    /// third line (3 of `third`, reduced VAT, all local).
    farm: &'static str,
    winery: &'static str,
    other: &'static str,
    drink: &'static str,
    third: &'static str,
    /// The cart's items total, fees total, total and local maximum.
    quote: [&'static str; 4],
    /// Once checked out with the bike delivery and the most local currency: total, VAT,
    /// local part, legal currency part.
    placed: [&'static str; 4],
    /// The carrots weighed at 1.5 kg: their total, then the order's items total, total, VAT
    /// and local part.
    weighed: [&'static str; 5],
    /// Paid at close: the farm, the other producer and the winery in local currency, the
    /// winery in the legal currency.
    paid: [&'static str; 4],
    /// The customer's wallet after the close (funded with 50.00).
    wallet: &'static str,
    /// The hub's accounts after the close, in minor units: local wallet, local VAT, legal
    /// receivable, legal wallet, legal VAT.
    hub: [i64; 5],
    /// The farm's local wallet and the winery's legal one.
    farm_local: i64,
    winery_legal: i64,
    pay_your_suppliers: fn() -> Value,
    sales_tax: fn() -> Value,
    enterprise_fee_summary: fn() -> Value,
    /// Where the carrots are among the supplier totals (sorted by producer).
    carrots_row: usize,
}

/// Camille buys carrots 2 × 2.80 (5.5 %, all local), mead 1 × 12.50 (20 %, half local) and
/// baguettes 3 × 1.40 (5.5 %, all local), delivered by bike for 3.00 (20 %, half local).
const FRENCH_BASKET: Basket = Basket {
    farm: "ferme-des-trois-chenes",
    winery: "rucher-du-val",
    other: "fournil-de-la-colline",
    drink: "RUCH-HYD-75CL",
    third: "FOUR-BAG-TRAD",
    quote: ["22.30", "1.00", "23.30", "17.05"],
    // lines 0.29 + 2.08 + 0.22, bike 0.50, membership 0.17
    placed: ["26.30", "3.26", "18.55", "7.75"],
    // the carrots weigh 1.5 kg: 4.20, VAT 0.22; the local part shrinks to the new maximum
    weighed: ["4.20", "20.90", "24.90", "3.19", "17.15"],
    // local currency goes to the goods first; commissions come out of euros first
    paid: ["3.78", "3.78", "6.25", "5.00"],
    // the customer paid 17.15 LEM; the rest of the hold is released
    wallet: "32.85",
    // LEM: 17.15 in, 13.81 to producers, 0.56 VAT, 2.78 kept (bike 1.50 + membership 1.00 +
    // local commissions 0.84, net of their VAT)
    // EUR: 7.75 owed by the customer, 5.00 to the beekeeper, 0.46 VAT, 2.29 kept
    hub: [278, 56, -775, 229, 46],
    farm_local: 378,
    winery_legal: 500,
    pay_your_suppliers: || {
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
    },
    sales_tax: || {
        json!([
            ["fees", "20", "5.07", "1.02", "6.09"],
            ["goods", "5.5", "7.96", "0.44", "8.40"],
            ["goods", "20", "10.42", "2.08", "12.50"],
        ])
    },
    enterprise_fee_summary: || {
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
    },
    carrots_row: 0,
};

/// Léa buys carrots 2 × 4.20 (2.6 %, all local), Chasselas 1 × 17.50 (8.1 %, half local) and
/// Gruyère 3 × 6.90 (2.6 %, all local), delivered by bike for 6.00 (8.1 %, half local). The
/// fees are the French ones at the Swiss standard rate, 8.1 %.
const SWISS_BASKET: Basket = Basket {
    farm: "ferme-du-grand-pre",
    winery: "domaine-des-trois-chemins",
    other: "laiterie-des-alpettes",
    drink: "DTC-CHA-75CL",
    third: "LDA-GRU-250G",
    // items 8.40 + 17.50 + 20.70; local 8.40 + 8.75 + 20.70 + membership 1.00
    quote: ["46.60", "1.00", "47.60", "38.85"],
    // 47.60 + bike 6.00, local 38.85 + 3.00; VAT: lines 0.21 + 1.31 + 0.52, bike 0.45,
    // membership 0.07
    placed: ["53.60", "2.56", "41.85", "11.75"],
    // the carrots weigh 1.5 kg: 6.30, VAT 0.16; the local part loses their 2.10
    weighed: ["6.30", "44.50", "51.50", "2.51", "39.75"],
    // commissions 0.63, 2.07 and 1.75 (VAT 0.05, 0.16, 0.13): the winery's out of its francs
    paid: ["5.67", "18.63", "8.75", "7.00"],
    wallet: "10.25",
    // MOL: 39.75 in, 33.05 to producers, 0.51 VAT (bike 0.23 of 0.45 on its local half,
    // membership 0.07, local commissions 0.05 + 0.16), 6.19 kept (bike 3.00 + membership
    // 1.00 + local commissions 2.70, net of their VAT)
    // CHF: 11.75 owed by the customer, 7.00 to the winery, 0.35 VAT (bike 0.22, commission
    // 0.13), 4.40 kept
    hub: [619, 51, -1175, 440, 35],
    farm_local: 567,
    winery_legal: 700,
    pay_your_suppliers: || {
        json!([
            [
                "Domaine des Trois Chemins",
                "17.50",
                "1.75",
                "15.75",
                "7.00 CHF + 8.75 MOL"
            ],
            ["Ferme du Grand-Pré", "6.30", "0.63", "5.67", "5.67 MOL"],
            [
                "Laiterie des Alpettes",
                "20.70",
                "2.07",
                "18.63",
                "18.63 MOL"
            ],
        ])
    },
    sales_tax: || {
        // fees 6.00 + 1.00 + 4.45, VAT 0.45 + 0.07 + 0.34
        json!([
            ["fees", "8.1", "10.59", "0.86", "11.45"],
            ["goods", "2.6", "26.32", "0.68", "27.00"],
            ["goods", "8.1", "16.19", "1.31", "17.50"],
        ])
    },
    enterprise_fee_summary: || {
        json!([
            ["Adhésion", "admin", "customer", "1", "1.00", "0.07"],
            ["Commission", "sales", "producer", "3", "4.45", "0.34"],
            [
                "Livraison à vélo",
                "shipping",
                "customer",
                "1",
                "6.00",
                "0.45"
            ],
        ])
    },
    carrots_row: 1,
};

/// The carrots' price (1 kg) in each demo, in minor units.
fn carrots_price(demo: &DemoFacts) -> i64 {
    match demo.demo {
        comptoir::demo::Demo::France => 280,
        comptoir::demo::Demo::Switzerland => 420,
    }
}

fn basket(demo: &DemoFacts) -> &'static Basket {
    match demo.demo {
        comptoir::demo::Demo::France => &FRENCH_BASKET,
        comptoir::demo::Demo::Switzerland => &SWISS_BASKET,
    }
}

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

/// A consumer buys the demo's basket ([`FRENCH_BASKET`], [`SWISS_BASKET`]): carrots, a drink
/// and a third line, delivered by bike. The hub charges a membership fee of 1.00 per order
/// (standard VAT, all local) and its producers a 10 % commission (standard VAT). The carrots
/// are weighed at 1.5 kg before the close.
async fn fees_adjustment_close_and_settlement_have_exact_totals(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let expected = basket(demo);
    let (legal, local) = (
        |a: &str| demo.legal_amount(a),
        |a: &str| demo.local_amount(a),
    );
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let manager = app.access_token(demo.hub_manager).await;
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

    let camille = app.access_token(demo.consumers[0]).await;
    let wallet = funded_wallet_in(&app, demo, &camille, "50.00").await;
    let cart_path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let carrots_sku = demo.skus[0];
    let lines = json!({"lines": [
        {"variant_id": shop.variant[carrots_sku], "quantity": 2},
        {"variant_id": shop.variant[expected.drink], "quantity": 1},
        {"variant_id": shop.variant[expected.third], "quantity": 3},
    ]});
    let cart = authed(&app, "PUT", &cart_path, &camille, None, &lines).await;
    assert_eq!(cart.status, 200, "{}", cart.json());
    let quote = &cart.json()["quote"];
    let [items_total, fees_total, total, local_max] = expected.quote;
    assert_eq!(quote["items_total"], legal(items_total));
    assert_eq!(quote["fees_total"], legal(fees_total));
    assert_eq!(quote["total"], legal(total));
    assert_eq!(quote["local_max"], legal(local_max));
    assert_eq!(
        quote["fees"].as_array().map(Vec::len),
        Some(1),
        "producer fees are not shown"
    );

    let checkout_path = format!("/api/v1/order-cycles/{}/checkout", shop.cycle);
    let [total, vat_total, local_part, legal_part] = expected.placed;
    let body = json!({"shipping_method_id": shop.method[demo.bike], "local_amount": local(local_part), "address": crate::support::address()});
    let placed = authed(&app, "POST", &checkout_path, &camille, Some(&key()), &body).await;
    assert_eq!(placed.status, 201, "{}", placed.json());
    let order = placed.json();
    assert_eq!(order["total"], legal(total));
    assert_eq!(order["vat_total"], legal(vat_total));
    assert_eq!(order["fees_total"], legal("1.00"));
    assert_eq!(order["payment"]["local"], local(local_part));
    assert_eq!(order["payment"]["euro"], legal(legal_part));
    let order_id = order["id"].as_str().expect("id").to_string();

    let adjust_path = format!("/api/v1/orders/{order_id}/adjustments");
    let too_much =
        json!({"lines": [{"variant_id": shop.variant[carrots_sku], "delivered": "2.5"}]});
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
    let weighed = json!({"lines": [{"variant_id": shop.variant[carrots_sku], "delivered": "1.5"}]});
    let by_customer = authed(&app, "POST", &adjust_path, &camille, Some(&key()), &weighed).await;
    assert_eq!(by_customer.status, 403, "only the hub weighs");
    let adjusted = authed(&app, "POST", &adjust_path, &manager, Some(&key()), &weighed).await;
    assert_eq!(adjusted.status, 200, "{}", adjusted.json());
    let order = adjusted.json();
    let [carrots_total, items_total, total, vat_total, local_part] = expected.weighed;
    assert_eq!(order["items_total"], legal(items_total));
    assert_eq!(order["total"], legal(total));
    assert_eq!(order["vat_total"], legal(vat_total));
    assert_eq!(order["payment"]["local"], local(local_part));
    assert_eq!(order["payment"]["euro"], legal(legal_part));
    let carrots = order["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["variant_id"] == shop.variant[carrots_sku])
        .expect("carrots")
        .clone();
    assert_eq!(carrots["delivered"], "1.5");
    assert_eq!(carrots["total"], legal(carrots_total));

    let conn = &mut app.db.db.conn().expect("conn");
    let hub = enterprise_id(conn, demo.hub);
    let ferme = enterprise_id(conn, expected.farm);
    let rucher = enterprise_id(conn, expected.winery);
    let fournil = enterprise_id(conn, expected.other);

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
    let [farm_paid, other_paid, winery_local, winery_legal] = expected.paid;
    assert_eq!(paid[&(ferme.clone(), demo.local.into())], local(farm_paid));
    assert_eq!(
        paid[&(fournil.clone(), demo.local.into())],
        local(other_paid)
    );
    assert_eq!(
        paid[&(rucher.clone(), demo.local.into())],
        local(winery_local)
    );
    assert_eq!(
        paid[&(rucher.clone(), demo.legal.into())],
        legal(winery_legal)
    );
    // a settlement per producer and currency, those with nothing to pay included
    assert_eq!(paid.len(), 6, "{report}");

    // the customer paid the local part; the rest of the hold is released
    let wallet_view = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(wallet_view["balance"], local(expected.wallet));
    assert_eq!(wallet_view["available"], local(expected.wallet));
    let hub_accounts = balances(conn, &hub);
    let [local_kept, local_vat, receivable, legal_kept, legal_vat] = expected.hub;
    assert_eq!(
        balance(&hub_accounts, demo.local, "enterprise_wallet"),
        local_kept
    );
    assert_eq!(
        balance(&hub_accounts, demo.local, "vat_collected"),
        local_vat
    );
    assert_eq!(
        balance(&hub_accounts, demo.legal, "euro_receivable"),
        receivable
    );
    assert_eq!(
        balance(&hub_accounts, demo.legal, "enterprise_wallet"),
        legal_kept
    );
    assert_eq!(
        balance(&hub_accounts, demo.legal, "vat_collected"),
        legal_vat
    );
    assert_eq!(
        balance(&balances(conn, &ferme), demo.local, "enterprise_wallet"),
        expected.farm_local
    );
    assert_eq!(
        balance(&balances(conn, &rucher), demo.legal, "enterprise_wallet"),
        expected.winery_legal
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

    // the legal currency part is paid at pickup: the receivable is settled from the hub's till
    let owner = hub_owner_token_in(&app, demo).await;
    crate::support::euro_paid(&app, &order_id, &owner).await;
    let hub_accounts = balances(conn, &hub);
    assert_eq!(balance(&hub_accounts, demo.legal, "euro_receivable"), 0);
    assert_eq!(
        balance(&hub_accounts, demo.legal, "euro_clearing"),
        receivable
    );

    // reports
    let report = |name: &str| {
        let path = format!("/api/v1/order-cycles/{}/reports/{name}", shop.cycle);
        let manager = manager.clone();
        let app = &app;
        async move { app.call("GET", &path, Some(&manager), None).await }
    };
    let suppliers = report("pay_your_suppliers").await.json();
    assert_eq!(suppliers["rows"], (expected.pay_your_suppliers)());
    let tax = report("sales_tax").await.json();
    assert_eq!(tax["rows"], (expected.sales_tax)());
    let fee_summary = report("enterprise_fee_summary").await.json();
    assert_eq!(fee_summary["rows"], (expected.enterprise_fee_summary)());
    let supplier_totals = report("supplier_totals").await.json();
    assert_eq!(
        supplier_totals["rows"][expected.carrots_row][3], "1.5",
        "{supplier_totals}"
    );
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
async fn cycles_are_created_copied_and_closed_empty(backend: Backend, demo: &'static DemoFacts) {
    let legal = |a: &str| demo.legal_amount(a);
    let (carrots_sku, drink_sku) = (demo.skus[0], demo.skus[1]);
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let manager = app.access_token(demo.hub_manager).await;
    let conn = &mut app.db.db.conn().expect("conn");
    let hub = enterprise_id(conn, demo.hub);
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
        "time_zone": demo.time_zone,
        "offer": [{"variant_id": shop.variant[carrots_sku], "hub_price": "3.00"},
                  {"variant_id": shop.variant[drink_sku]}]});
    let created = authed(&app, "POST", &create_path, &manager, None, &new).await;
    assert_eq!(created.status, 201, "{}", created.json());
    let cycle = created.json();
    assert_eq!(cycle["state"], "open");
    assert_eq!(cycle["offer"].as_array().map(Vec::len), Some(2));
    let carrots = cycle["offer"]
        .as_array()
        .expect("offer")
        .iter()
        .find(|o| o["sku"] == carrots_sku)
        .expect("carrots")
        .clone();
    assert_eq!(carrots["cycle_price"], legal("3.00"));
    let id = cycle["id"].as_str().expect("id").to_string();
    let fee = json!({"name": "Transport", "fee_type": "transport", "calculator": "per_kg",
        "charged_to": "customer", "amount": "0.30", "vat_rate": demo.reduced_vat});
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
            Some(&json!({"lines": [{"variant_id": shop.variant[carrots_sku], "quantity": 2}]})),
        )
        .await
        .json();
    assert_eq!(quote["fees"][0]["amount"], legal("0.60"), "{quote}");
    assert_eq!(quote["total"], legal("6.60"));

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
    // nor a pickup method: the API refuses it as the hub's office does
    let late_method = authed(
        &app,
        "POST",
        &format!("/api/v1/order-cycles/{id}/shipping-methods"),
        &manager,
        None,
        &pickup,
    )
    .await;
    late_method.problem(409, "cycle-not-open");
    let methods_after = app
        .get(&format!("/api/v1/order-cycles/{id}/shipping-methods"))
        .await
        .json();
    assert_eq!(
        methods_after.as_array().map(Vec::len),
        Some(1),
        "{methods_after}"
    );
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
async fn concurrent_closes_book_and_settle_once(backend: Backend, demo: &'static DemoFacts) {
    use comptoir::ledger::ops::{self, EuroMethod};
    use comptoir::money::{AmountInput, CurrencyCode};
    use comptoir::orders::checkout::{self, CheckoutRequest};
    use comptoir::orders::quote::{QuoteLineRequest, QuoteRequest};
    use comptoir::orders::{cart, close, shipping};

    let db = crate::harness::TestDb::with_bare_demo_of(backend, demo.demo);
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
        .filter(comptoir::db::schema::variants::sku.eq(demo.skus[0]))
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
            currency: demo.local.parse::<CurrencyCode>().expect("code"),
        }),
        ..Default::default()
    };
    let orders = 30;
    for n in 0..orders {
        let customer = crate::support::new_customer(conn, n);
        let wallet =
            ops::wallet(conn, Owner::User(customer.clone().into()), demo.local).expect("wallet");
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
    let farm = enterprise_id(conn, basket(demo).farm);
    let farm_accounts = balances(conn, &farm);
    assert_eq!(
        balance(&farm_accounts, demo.local, "enterprise_wallet")
            + balance(&farm_accounts, demo.legal, "enterprise_wallet"),
        orders as i64 * carrots_price(demo)
    );
    let verified = verify(conn, &mut |_| {}).expect("verify");
    assert!(verified.ok(), "{verified}");
}

/// A weight typed wrong (0.2 instead of 2) and corrected: the local part comes back to what
/// was chosen at checkout, and the close captures all of it.
async fn a_mistaken_weight_can_be_corrected(backend: Backend, demo: &'static DemoFacts) {
    let (legal, local) = (
        |a: &str| demo.legal_amount(a),
        |a: &str| demo.local_amount(a),
    );
    // two kilos of carrots: 2 × 2.80 in France, 2 × 4.20 in Switzerland; 0.2 kg a tenth
    let (two_kg, wrong_total, left) = match demo.demo {
        comptoir::demo::Demo::France => ("5.60", "0.56", "14.40"),
        comptoir::demo::Demo::Switzerland => ("8.40", "0.84", "11.60"),
    };
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let manager = app.access_token(demo.hub_manager).await;
    let camille = app.access_token(demo.consumers[0]).await;
    let wallet = funded_wallet_in(&app, demo, &camille, "20.00").await;
    let carrots = shop.variant[demo.skus[0]].clone();
    let lines = json!({"lines": [{"variant_id": carrots, "quantity": 2}]});
    let id = place_order_in(&app, demo, &shop, &camille, &lines, demo.pickup, two_kg).await;
    let path = format!("/api/v1/orders/{id}/adjustments");
    let weigh =
        |delivered: &str| json!({"lines": [{"variant_id": carrots, "delivered": delivered}]});
    let wrong = authed(&app, "POST", &path, &manager, Some(&key()), &weigh("0.2")).await;
    assert_eq!(wrong.status, 200, "{}", wrong.json());
    assert_eq!(wrong.json()["total"], legal(wrong_total));
    assert_eq!(wrong.json()["payment"]["local"], local(wrong_total));
    assert_eq!(wrong.json()["payment"]["euro_state"], "none");
    let fixed = authed(&app, "POST", &path, &manager, Some(&key()), &weigh("2")).await;
    assert_eq!(fixed.status, 200, "{}", fixed.json());
    assert_eq!(fixed.json()["total"], legal(two_kg));
    assert_eq!(fixed.json()["payment"]["local"], local(two_kg));
    assert_eq!(fixed.json()["payment"]["euro"], legal("0.00"));
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
    assert_eq!(account["balance"], local(left));
    assert_eq!(account["available"], local(left));
}

/// A cycle that settles after it closes, over HTTP: the hub sets the settlement date; the
/// close stops ordering and books nothing; between the two, the manager weighs a line up
/// (within the customer's 10 % tolerance, refused beyond), marks another missing and
/// records the euros now due; the settlement books and pays, and leaves the hub's holding
/// accounts empty; after it, the lines are final.
async fn weighing_after_ordering_closes_then_a_later_settlement(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let legal = |a: &str| demo.legal_amount(a);
    // carrots at 2.80 (France) or 4.20 (Switzerland) the kilo
    let (two_kg, heavier, extra) = match demo.demo {
        comptoir::demo::Demo::France => ("5.60", "5.88", "0.28"),
        comptoir::demo::Demo::Switzerland => ("8.40", "8.82", "0.42"),
    };
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let manager = app.access_token(demo.hub_manager).await;
    let camille = app.access_token(demo.consumers[0]).await;
    funded_wallet_in(&app, demo, &camille, "30.00").await;
    let carrots = shop.variant[demo.skus[0]].clone();
    let second = shop.variant[demo.skus[1]].clone();
    let cycle_path = format!("/api/v1/order-cycles/{}", shop.cycle);
    let closes_at: chrono::DateTime<chrono::Utc> = app.get(&cycle_path).await.json()["closes_at"]
        .as_str()
        .expect("closes_at")
        .parse()
        .expect("a time");
    // the settlement two days after the close; not 15
    let settlement = format!("{cycle_path}/settlement");
    let late = json!({"settles_at": closes_at + chrono::Duration::days(15)});
    authed(&app, "PUT", &settlement, &manager, None, &late)
        .await
        .problem(422, "validation");
    let when = json!({"settles_at": closes_at + chrono::Duration::days(2)});
    let set = authed(&app, "PUT", &settlement, &manager, None, &when).await;
    assert_eq!(set.status, 200, "{}", set.json());
    assert!(set.json()["settles_at"].is_string());

    let lines = json!({"lines": [
        {"variant_id": carrots, "quantity": 2},
        {"variant_id": second, "quantity": 1},
    ]});
    let id = place_order_in(&app, demo, &shop, &camille, &lines, demo.pickup, two_kg).await;

    // ordering closes: nothing is booked or paid out yet
    let closed = close_cycle(&app, &shop, &manager).await;
    assert_eq!(closed["state"], "closed", "{closed}");
    assert_eq!(closed["settlements"], json!([]));
    let cart = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    authed(&app, "PUT", &cart, &camille, None, &lines)
        .await
        .problem(409, "cycle-not-open");

    // weighing after the close: 2.1 kg is within the 10 % accepted, 2.3 kg is not
    let path = format!("/api/v1/orders/{id}/adjustments");
    let too_heavy = json!({"lines": [{"variant_id": carrots, "delivered": "2.3"}]});
    authed(&app, "POST", &path, &manager, Some(&key()), &too_heavy)
        .await
        .problem(422, "validation");
    let weighed = json!({"lines": [
        {"variant_id": carrots, "delivered": "2.1"},
        {"variant_id": second, "status": "missing"},
    ]});
    let order = authed(&app, "POST", &path, &manager, Some(&key()), &weighed).await;
    assert_eq!(order.status, 200, "{}", order.json());
    let order = order.json();
    assert_eq!(order["total"], legal(heavier), "{order}");
    assert_eq!(order["lines"][1]["delivery_status"], "missing");
    // the hold never captures more than it holds: the extra is due in euros
    assert_eq!(order["payment"]["local_value"], legal(two_kg));
    assert_eq!(order["payment"]["fiat"], legal(extra));
    assert_eq!(order["payment"]["fiat_state"], "due");
    let paid = authed(
        &app,
        "POST",
        &format!("/api/v1/orders/{id}/fiat-payment"),
        &manager,
        Some(&key()),
        &json!(null),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.json());
    assert_eq!(paid.json()["payment"]["fiat_state"], "paid");

    // the settlement books and pays, and holds nothing back
    let settle = format!("{cycle_path}/settle");
    let settled = app.call("POST", &settle, Some(&manager), None).await;
    assert_eq!(settled.status, 200, "{}", settled.json());
    assert_eq!(settled.json()["state"], "settled");
    assert!(!settled.json()["settlements"]
        .as_array()
        .expect("list")
        .is_empty());
    let again = app.call("POST", &settle, Some(&manager), None).await.json();
    assert_eq!(again["already_settled"], true);
    let conn = &mut app.db.db.conn().expect("conn");
    let hub = enterprise_id(conn, demo.hub);
    for ((currency, kind), balance) in balances(conn, &hub) {
        if kind == "holding" {
            assert_eq!(balance, 0, "{currency} held after the settlement");
        }
    }
    let booked = app
        .call("GET", &format!("/api/v1/orders/{id}"), Some(&camille), None)
        .await
        .json();
    assert!(booked["booked_at"].is_string(), "{booked}");
    authed(&app, "POST", &path, &manager, Some(&key()), &weighed)
        .await
        .problem(409, "order-state");
}
