//! The hub's orders over real HTTP, on the French demo: a customer orders through the API,
//! ordering closes before the settlement, then the hub's people work on the order through the
//! pages — the cycle's orders filtered and searched, a line weighed (and a weight refused
//! beside its field), a line missing, a substitution without its note refused, the euro
//! payment recorded, part of what is then owed back refunded and the rest credited, another
//! order cancelled — and the API shows each change. A consumer is refused every page; the
//! cashier weighs and records payments but may not cancel, as the API says. Every form needs
//! its CSRF token.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Visitor};
use crate::support::{authed, close_cycle, funded_wallet, place_order, shop, Shop};

backend_tests!(
    the_hub_weighs_an_order_records_its_payment_and_gives_back_what_is_owed,
    the_hub_orders_pages_follow_the_apis_permissions,
);

const CASHIER: &str = "caisse@lacagette.example.org";

/// Two orders in the demo's open cycle (Camille's: 2 kg of carrots paid in LEM and a
/// jar of honey in euros; Yanis's: the honey, all in euros), then ordering closes with the
/// settlement two days later. Returns the shop, the manager's token and both orders' ids.
async fn two_orders_after_the_close(app: &TestApp) -> (Shop, String, String, String) {
    let shop = shop(app).await;
    let manager = app.access_token(FRENCH_DEMO.hub_manager).await;
    let camille = app.access_token(FRENCH_DEMO.consumers[0]).await;
    let yanis = app.access_token(FRENCH_DEMO.consumers[1]).await;
    funded_wallet(app, &camille, "30.00").await;
    funded_wallet(app, &yanis, "30.00").await;
    let cycle_path = format!("/api/v1/order-cycles/{}", shop.cycle);
    let closes_at: chrono::DateTime<chrono::Utc> = app.get(&cycle_path).await.json()["closes_at"]
        .as_str()
        .expect("closes_at")
        .parse()
        .expect("a time");
    let when = json!({"settles_at": closes_at + chrono::Duration::days(2)});
    let set = authed(
        app,
        "PUT",
        &format!("{cycle_path}/settlement"),
        &manager,
        None,
        &when,
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.json());
    let carrots = shop.variant[FRENCH_DEMO.skus[0]].clone();
    let honey = shop.variant[FRENCH_DEMO.skus[1]].clone();
    let lines = json!({"lines": [
        {"variant_id": carrots, "quantity": 2},
        {"variant_id": honey, "quantity": 1},
    ]});
    let first = place_order(app, &shop, &camille, &lines, FRENCH_DEMO.pickup, "5.60").await;
    let honey_only = json!({"lines": [{"variant_id": honey, "quantity": 1}]});
    let second = place_order(app, &shop, &yanis, &honey_only, FRENCH_DEMO.pickup, "0").await;
    let closed = close_cycle(app, &shop, &manager).await;
    assert_eq!(closed["state"], "closed", "{closed}");
    (shop, manager, first, second)
}

async fn api_order(app: &TestApp, token: &str, id: &str) -> Value {
    let reply = app
        .call("GET", &format!("/api/v1/orders/{id}"), Some(token), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json()
}

/// An amount of the API (`{"amount": "5.88", …}`) in cents.
fn cents(money: &Value) -> i64 {
    let text = money["amount"].as_str().expect("an amount");
    let (units, decimals) = text.split_once('.').unwrap_or((text, "00"));
    units.parse::<i64>().expect("units") * 100 + decimals.parse::<i64>().expect("cents")
}

async fn the_hub_weighs_an_order_records_its_payment_and_gives_back_what_is_owed(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let (shop, manager, first, second) = two_orders_after_the_close(&app).await;
    let carrots = shop.variant[FRENCH_DEMO.skus[0]].clone();
    let honey = shop.variant[FRENCH_DEMO.skus[1]].clone();
    let before = api_order(&app, &manager, &first).await;
    let number = before["number"].as_str().expect("number").to_string();
    let other_number = api_order(&app, &manager, &second).await["number"]
        .as_str()
        .expect("number")
        .to_string();

    let mut office = Visitor::new(&app);
    office.sign_in(FRENCH_DEMO.hub_manager).await;
    let hub = format!("/hub/{}", FRENCH_DEMO.hub);
    let list = format!("{hub}/cycles/{}/orders", shop.cycle);

    // the cycle's orders: both, each linking its page, with their euro payment due
    let page = office.get(&list).await;
    let body = unescape(page.ok());
    assert!(
        body.contains(&number) && body.contains(&other_number),
        "{body}"
    );
    assert!(body.contains(&format!("href=\"{hub}/orders/{first}\"")));
    assert!(body.contains("camille@example.org") && body.contains("yanis@example.org"));
    // the office's and the cycle's navigation
    assert!(body.contains(&format!("{hub}/cycles/{}/reports", shop.cycle)));
    assert!(body.contains(&format!("{hub}/books")));
    // filters: by search (an e-mail, a number), by payment, by state
    let page = office.get(&format!("{list}?q=YANIS")).await;
    let body = unescape(page.ok());
    assert!(
        body.contains(&other_number) && !body.contains(&number),
        "{body}"
    );
    let page = office.get(&format!("{list}?q={number}")).await;
    let body = unescape(page.ok());
    assert!(body.contains(&number) && !body.contains(&other_number));
    let page = office
        .get(&format!("{list}?payment=due&state=confirmed"))
        .await;
    let body = unescape(page.ok());
    assert!(body.contains(&number) && body.contains(&other_number));
    let page = office.get(&format!("{list}?payment=paid")).await;
    let body = unescape(page.ok());
    assert!(!body.contains(&number) && !body.contains(&other_number));
    let page = office.get(&format!("{list}?state=cancelled")).await;
    assert!(!unescape(page.ok()).contains(&number));

    // the order's page: its customer, its lines, the forms
    let order_page = format!("{hub}/orders/{first}");
    let page = office.get(&order_page).await;
    let body = unescape(page.ok());
    assert!(body.contains(&number) && body.contains("camille@example.org"));
    assert!(body.contains(&format!("{order_page}/lines")));
    assert!(body.contains(&format!("{order_page}/payment")));

    // a weight beyond the 10 % the customer accepted: 422, the message beside the field
    let heavy = office
        .post(
            &format!("{order_page}/lines"),
            &[
                ("variant_id", &carrots),
                ("action", "weigh"),
                ("delivered", "2,3"),
            ],
        )
        .await;
    assert_eq!(heavy.status, 422, "{}", heavy.text);
    assert!(heavy.shows("au plus 2,2"), "{}", heavy.text);
    assert!(heavy
        .text
        .contains(&format!("id=\"delivered-{carrots}-error\"")));
    assert_eq!(heavy.input_value("delivered").as_deref(), Some("2,3"));
    let nonsense = office
        .post(
            &format!("{order_page}/lines"),
            &[
                ("variant_id", &carrots),
                ("action", "weigh"),
                ("delivered", "beaucoup"),
            ],
        )
        .await;
    assert_eq!(nonsense.status, 422, "{}", nonsense.text);
    assert!(nonsense.shows("en chiffres"));
    assert_eq!(
        api_order(&app, &manager, &first).await["total"],
        before["total"]
    );

    // 2.1 kg: the order is priced again (the API shows it)
    let weighed = office
        .post(
            &format!("{order_page}/lines"),
            &[
                ("variant_id", &carrots),
                ("action", "weigh"),
                ("delivered", "2,1"),
            ],
        )
        .await;
    assert_eq!(weighed.location(), format!("{order_page}?notice=weighed"));
    let after = api_order(&app, &manager, &first).await;
    assert_eq!(after["lines"][0]["delivered"], "2.1", "{after}");
    assert_eq!(cents(&after["total"]), cents(&before["total"]) + 28);
    let page = office.get(&weighed.location()).await;
    assert!(
        page.shows("La quantité livrée est enregistrée"),
        "{}",
        page.text
    );

    // a substitution says what was given instead
    let bare = office
        .post(
            &format!("{order_page}/lines"),
            &[
                ("variant_id", &honey),
                ("action", "substitute"),
                ("delivered", "1"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(bare.status, 422, "{}", bare.text);
    assert!(bare.shows("Dites ce qui a été donné à la place"));
    // the honey is missing
    let missing = office
        .post(
            &format!("{order_page}/lines"),
            &[("variant_id", &honey), ("action", "missing")],
        )
        .await;
    assert_eq!(missing.location(), format!("{order_page}?notice=missing"));
    let after = api_order(&app, &manager, &first).await;
    assert_eq!(after["lines"][1]["delivery_status"], "missing");
    // the extra 0.28 of carrots is due in euros
    assert_eq!(cents(&after["payment"]["fiat"]), 28, "{after}");
    assert_eq!(after["payment"]["fiat_state"], "due");

    // the euro payment of what is due
    let page = office.get(&order_page).await;
    assert!(page.shows("Enregistrer un paiement de"), "{}", page.text);
    let paid = office.post(&format!("{order_page}/payment"), &[]).await;
    assert_eq!(paid.location(), format!("{order_page}?notice=paid"));
    let after = api_order(&app, &manager, &first).await;
    assert_eq!(after["payment"]["fiat_state"], "paid", "{after}");
    // a second submit is refused by the domain: 409 with its reason, never a 500
    let again = office.post(&format!("{order_page}/payment"), &[]).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(again.shows("Ce n’est pas possible maintenant"));

    // weighed down after the payment: 0.28 is owed back
    let down = office
        .post(
            &format!("{order_page}/lines"),
            &[
                ("variant_id", &carrots),
                ("action", "weigh"),
                ("delivered", "2"),
            ],
        )
        .await;
    assert_eq!(down.location(), format!("{order_page}?notice=weighed"));
    let after = api_order(&app, &manager, &first).await;
    assert_eq!(cents(&after["payment"]["owed_back"]), 28, "{after}");
    let page = office.get(&order_page).await;
    assert!(page.shows(&format!("{order_page}/refund")));
    let refund_key = page
        .input_value("key")
        .expect("the refund form's one-time key");
    // more than is owed: 422 beside the amount
    let too_much = office
        .post(
            &format!("{order_page}/refund"),
            &[
                ("key", &refund_key),
                ("refund-amount", "5"),
                ("method", "cash"),
                ("refund-reference", ""),
            ],
        )
        .await;
    assert_eq!(too_much.status, 422, "{}", too_much.text);
    assert!(too_much.shows("Saisissez au plus ce qui est dû au client"));
    assert!(too_much.text.contains("id=\"refund-amount-error\""));
    assert_eq!(too_much.input_value("refund-amount").as_deref(), Some("5"));
    // 0.10 refunded in cash — the form sent twice refunds once — the rest turned into credit
    let refund = [
        ("key", refund_key.as_str()),
        ("refund-amount", "0,10"),
        ("method", "cash"),
        ("refund-reference", "caisse"),
    ];
    let refunded = office.post(&format!("{order_page}/refund"), &refund).await;
    assert_eq!(refunded.location(), format!("{order_page}?notice=refunded"));
    let twice = office.post(&format!("{order_page}/refund"), &refund).await;
    assert_eq!(twice.location(), format!("{order_page}?notice=refunded"));
    let after = api_order(&app, &manager, &first).await;
    assert_eq!(cents(&after["payment"]["owed_back"]), 18, "{after}");
    assert_eq!(cents(&after["payment"]["fiat_refunded"]), 10);
    // a form without its one-time key is refused
    let keyless = office
        .post(&format!("{order_page}/credit"), &[("credit-amount", "")])
        .await;
    assert_eq!(keyless.status, 400);
    let credited = office
        .post(
            &format!("{order_page}/credit"),
            &[("key", "a-credit-form-key"), ("credit-amount", "")],
        )
        .await;
    assert_eq!(credited.location(), format!("{order_page}?notice=credited"));
    let after = api_order(&app, &manager, &first).await;
    assert_eq!(cents(&after["payment"]["owed_back"]), 0, "{after}");
    // not booked yet: no hand over
    let early = office.post(&format!("{order_page}/hand-over"), &[]).await;
    assert_eq!(early.status, 409, "{}", early.text);

    // Yanis's order cancelled, after "are you sure?"
    let other_page = format!("{hub}/orders/{second}");
    let confirm = office.get(&format!("{other_page}/cancel")).await;
    assert!(confirm.shows("Annuler la commande"), "{}", confirm.text);
    let long = "x".repeat(501);
    let too_long = office
        .post(&format!("{other_page}/cancel"), &[("reason", &long)])
        .await;
    assert_eq!(too_long.status, 422, "{}", too_long.text);
    assert!(too_long.shows("Écrivez au plus 500 caractères"));
    assert_eq!(
        too_long.input_value("reason").as_deref(),
        Some(long.as_str())
    );
    assert_eq!(
        api_order(&app, &manager, &second).await["state"],
        "confirmed"
    );
    let cancelled = office
        .post(
            &format!("{other_page}/cancel"),
            &[("reason", "Plus de miel")],
        )
        .await;
    assert_eq!(
        cancelled.location(),
        format!("{other_page}?notice=cancelled")
    );
    assert_eq!(
        api_order(&app, &manager, &second).await["state"],
        "cancelled"
    );
    let page = office.get(&format!("{list}?state=cancelled")).await;
    let body = unescape(page.ok());
    assert!(body.contains(&other_number) && !body.contains(&number));

    // the settlement books the order: it is handed over, and its lines are final
    let settled = app
        .call(
            "POST",
            &format!("/api/v1/order-cycles/{}/settle", shop.cycle),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(settled.status, 200, "{}", settled.json());
    let page = office.get(&order_page).await;
    assert!(
        page.shows(&format!("{order_page}/hand-over")),
        "{}",
        page.text
    );
    assert!(!page.shows(&format!("{order_page}/lines")));
    let late = office
        .post(
            &format!("{order_page}/lines"),
            &[("variant_id", &carrots), ("action", "missing")],
        )
        .await;
    assert_eq!(late.status, 409, "{}", late.text);
    assert!(late.shows("Ce n’est pas possible maintenant"));
    assert!(late.text.contains("id=\"lines-heading-error\""));
    let handed = office.post(&format!("{order_page}/hand-over"), &[]).await;
    assert_eq!(
        handed.location(),
        format!("{order_page}?notice=handed-over")
    );
    assert_eq!(
        api_order(&app, &manager, &first).await["state"],
        "fulfilled"
    );
    let page = office.get(&handed.location()).await;
    assert!(page.shows("La commande a été remise."), "{}", page.text);

    // every form needs its token
    let forged = office
        .post_raw(
            &format!("{order_page}/lines"),
            &[("variant_id", &carrots), ("action", "missing")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        api_order(&app, &manager, &first).await["lines"][0]["delivered"],
        "2"
    );
}

async fn the_hub_orders_pages_follow_the_apis_permissions(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let (shop, manager, first, second) = two_orders_after_the_close(&app).await;
    let carrots = shop.variant[FRENCH_DEMO.skus[0]].clone();
    let hub = format!("/hub/{}", FRENCH_DEMO.hub);
    let list = format!("{hub}/cycles/{}/orders", shop.cycle);
    let order_page = format!("{hub}/orders/{first}");

    // signed out: to the log-in page
    let mut nobody = Visitor::new(&app);
    assert!(nobody
        .get(&list)
        .await
        .location()
        .starts_with("/login?next="));

    // a consumer, even the order's customer, is refused every page and action
    let mut camille = Visitor::new(&app);
    camille.sign_in(FRENCH_DEMO.consumers[0]).await;
    assert_eq!(camille.get(&list).await.status, 403);
    assert_eq!(camille.get(&order_page).await.status, 403);
    camille.get("/orders").await.ok();
    let refused = camille
        .post(
            &format!("{order_page}/lines"),
            &[
                ("variant_id", &carrots),
                ("action", "weigh"),
                ("delivered", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        camille
            .post(&format!("{order_page}/payment"), &[])
            .await
            .status,
        403
    );
    assert!(api_order(&app, &manager, &first).await["lines"][0]["delivered"].is_null());

    // an order is only found under its own hub; a made-up one is 404
    let mut office = Visitor::new(&app);
    office.sign_in(FRENCH_DEMO.hub_manager).await;
    assert_eq!(office.get(&format!("{hub}/orders/nope")).await.status, 404);
    assert_eq!(
        office
            .get(&format!("/hub/rucher-du-val/orders/{first}"))
            .await
            .status,
        404
    );

    // the cashier weighs and records the payment, but may not cancel (the API refuses it too)
    let mut cashier = Visitor::new(&app);
    cashier.sign_in(CASHIER).await;
    // in English too
    cashier.get("/").await.ok();
    let switched = cashier
        .post("/language", &[("lang", "en"), ("next", "/")])
        .await;
    assert_eq!(switched.location(), "/");
    let page = cashier.get(&list).await;
    assert!(
        page.shows("Orders of ") && page.shows("Show the orders"),
        "{}",
        page.text
    );
    let page = cashier.get(&order_page).await;
    let body = unescape(page.ok());
    assert!(body.contains(&format!("{order_page}/lines")));
    assert!(!body.contains(&format!("{order_page}/cancel")), "{body}");
    assert!(body.contains("Record the quantity") && body.contains("Mark as missing"));
    let weighed = cashier
        .post(
            &format!("{order_page}/lines"),
            &[
                ("variant_id", &carrots),
                ("action", "weigh"),
                ("delivered", "1.9"),
            ],
        )
        .await;
    assert_eq!(weighed.location(), format!("{order_page}?notice=weighed"));
    assert_eq!(
        api_order(&app, &manager, &first).await["lines"][0]["delivered"],
        "1.9"
    );
    let heavy = cashier
        .post(
            &format!("{order_page}/lines"),
            &[
                ("variant_id", &carrots),
                ("action", "weigh"),
                ("delivered", "3"),
            ],
        )
        .await;
    assert_eq!(heavy.status, 422, "{}", heavy.text);
    assert!(heavy.shows("Enter at most 2.2: the 2 ordered plus the 10 % the customer accepted"));
    let paid = cashier.post(&format!("{order_page}/payment"), &[]).await;
    assert_eq!(paid.location(), format!("{order_page}?notice=paid"));
    assert_eq!(
        api_order(&app, &manager, &first).await["payment"]["fiat_state"],
        "paid"
    );
    let other_page = format!("{hub}/orders/{second}");
    assert_eq!(
        cashier.get(&format!("{other_page}/cancel")).await.status,
        403
    );
    cashier.get(&other_page).await.ok();
    let cancel = cashier
        .post(&format!("{other_page}/cancel"), &[("reason", "")])
        .await;
    assert_eq!(cancel.status, 403, "{}", cancel.text);
    let token = app.access_token(CASHIER).await;
    let api = authed(
        &app,
        "POST",
        &format!("/api/v1/orders/{second}/cancel"),
        &token,
        Some(&crate::support::key()),
        &json!({"reason": ""}),
    )
    .await;
    assert_eq!(api.status, 403);
    assert_eq!(
        api_order(&app, &manager, &second).await["state"],
        "confirmed"
    );
}
