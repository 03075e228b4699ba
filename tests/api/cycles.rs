//! Order cycles of the demo hub, their offer, and basket quotes with exact amounts.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, TestApp};

backend_tests!(
    hub_lists_open_and_upcoming_cycles,
    cycle_offer_uses_hub_prices,
    quote_has_exact_totals_vat_and_local_share,
    quote_reports_every_bad_line,
    quote_refuses_a_cycle_that_is_not_open,
);

async fn offer_by_sku(app: &TestApp, cycle_id: &str) -> Vec<Value> {
    let detail = app
        .get(&format!("/api/v1/order-cycles/{cycle_id}"))
        .await
        .json();
    detail["offer"].as_array().cloned().unwrap_or_default()
}

fn variant_id(offer: &[Value], sku: &str) -> String {
    offer
        .iter()
        .find(|v| v["sku"] == sku)
        .and_then(|v| v["id"].as_str())
        .unwrap_or_else(|| panic!("{sku} is offered"))
        .to_string()
}

async fn hub_lists_open_and_upcoming_cycles(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let cycles = app
        .get("/api/v1/enterprises/la-cagette/order-cycles")
        .await
        .json();
    let states: Vec<&str> = cycles["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["state"].as_str()).collect())
        .unwrap_or_default();
    // and the past cycle of the demo's history, settled last
    assert_eq!(states, ["open", "upcoming", "settled"]);
    assert_eq!(cycles["items"][0]["time_zone"], "Europe/Paris");
    app.get("/api/v1/enterprises/rucher-du-val/order-cycles")
        .await
        .problem(404, "not-found");
}

async fn cycle_offer_uses_hub_prices(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let cycle_id = app.open_cycle_id().await;
    let offer = offer_by_sku(&app, &cycle_id).await;
    assert_eq!(offer.len(), 30);
    let baguette = offer
        .iter()
        .find(|v| v["sku"] == "FOUR-BAG-TRAD")
        .expect("baguette");
    assert_eq!(baguette["price"]["amount"], "1.30");
    assert_eq!(baguette["cycle_price"]["amount"], "1.40");
    assert_eq!(baguette["producer_name"], "Fournil de la Colline");
    let carrots = offer
        .iter()
        .find(|v| v["sku"] == "FERME-CAR-1KG")
        .expect("carrots");
    assert_eq!(carrots["cycle_price"], carrots["price"]);
    app.get("/api/v1/order-cycles/00000000-0000-7000-8000-000000000000")
        .await
        .problem(404, "not-found");
}

async fn quote_has_exact_totals_vat_and_local_share(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let cycle_id = app.open_cycle_id().await;
    let offer = offer_by_sku(&app, &cycle_id).await;
    let request = json!({"lines": [
        {"variant_id": variant_id(&offer, "FERME-CAR-1KG"), "quantity": 2},
        {"variant_id": variant_id(&offer, "RUCH-HYD-75CL"), "quantity": 1},
        {"variant_id": variant_id(&offer, "FOUR-BAG-TRAD"), "quantity": 3},
    ]});
    let reply = app
        .post_json(&format!("/api/v1/order-cycles/{cycle_id}/quote"), &request)
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let quote = reply.json();
    let eur = |a: &str| json!({"amount": a, "currency": "EUR"});
    // carrots 2 × 2.80 = 5.60, VAT 5.5 % → 0.2919… → 0.29, local 100 %
    assert_eq!(quote["lines"][0]["total"], eur("5.60"));
    assert_eq!(quote["lines"][0]["vat"], eur("0.29"));
    // mead 12.50, VAT 20 % → 2.0833… → 2.08, local share 50 % → 6.25
    assert_eq!(quote["lines"][1]["vat"], eur("2.08"));
    assert_eq!(quote["lines"][1]["local_max"], eur("6.25"));
    // baguettes at the hub's price 3 × 1.40 = 4.20, VAT 0.2189… → 0.22
    assert_eq!(quote["lines"][2]["unit_price"], eur("1.40"));
    assert_eq!(quote["lines"][2]["total"], eur("4.20"));
    assert_eq!(quote["total"], eur("22.30"));
    assert_eq!(quote["vat_total"], eur("2.59"));
    assert_eq!(quote["local_max"], eur("16.05"));
    assert_eq!(
        quote["vat_breakdown"],
        json!([
            {"rate": "5.5", "base": eur("9.29"), "vat": eur("0.51"), "total": eur("9.80")},
            {"rate": "20", "base": eur("10.42"), "vat": eur("2.08"), "total": eur("12.50")},
        ])
    );
}

async fn quote_reports_every_bad_line(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let cycle_id = app.open_cycle_id().await;
    let offer = offer_by_sku(&app, &cycle_id).await;
    let carrots = variant_id(&offer, "FERME-CAR-1KG");
    let request = json!({"lines": [
        {"variant_id": carrots, "quantity": 1},
        {"variant_id": "01900000-0000-7000-8000-000000000000", "quantity": 1},
        {"variant_id": carrots, "quantity": 2},
        {"variant_id": variant_id(&offer, "RUCH-POL-250G"), "quantity": 11},
        {"variant_id": variant_id(&offer, "FOUR-BRI-1"), "quantity": 0},
    ]});
    let problem = app
        .post_json(&format!("/api/v1/order-cycles/{cycle_id}/quote"), &request)
        .await
        .problem(422, "validation");
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").into(),
                        e["code"].as_str().unwrap_or("").into(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let expected: Vec<(String, String)> = [
        ("lines[1].variant_id", "not_offered"),
        ("lines[2].variant_id", "duplicate"),
        ("lines[3].quantity", "insufficient_stock"),
        ("lines[4].quantity", "out_of_range"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    assert_eq!(errors, expected);
    assert_eq!(problem["errors"][2]["message"], "only 10 left");
    let empty = app
        .post_json(
            &format!("/api/v1/order-cycles/{cycle_id}/quote"),
            &json!({"lines": []}),
        )
        .await;
    assert_eq!(
        empty.problem(422, "validation")["errors"][0]["field"],
        "lines"
    );
}

async fn quote_refuses_a_cycle_that_is_not_open(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let cycles = app
        .get("/api/v1/enterprises/la-cagette/order-cycles")
        .await
        .json();
    let upcoming = cycles["items"][1]["id"]
        .as_str()
        .expect("upcoming cycle")
        .to_string();
    let offer = offer_by_sku(&app, &upcoming).await;
    let request =
        json!({"lines": [{"variant_id": variant_id(&offer, "FERME-CAR-1KG"), "quantity": 1}]});
    let problem = app
        .post_json(&format!("/api/v1/order-cycles/{upcoming}/quote"), &request)
        .await
        .problem(409, "cycle-not-open");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("upcoming"));
    app.post_json("/api/v1/order-cycles/nope/quote", &request)
        .await
        .problem(404, "not-found");
}
