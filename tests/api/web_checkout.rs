//! Checkout and my orders as pages, over real HTTP, on both backends and both demos: the
//! form's default split, a split pickup checkout from the form to the review to the order
//! (which the API then shows alike), a second confirmation placing nothing, a delivery to a
//! new address saved then chosen again, a refusal by its field, the orders list and page in
//! the hub's time and the reader's money format, cancelling through the confirmation page,
//! another customer's order refused, and signing in first.

use serde_json::{json, Value};

use comptoir::mail::format::{self, Locale};

use crate::backend_tests;
use crate::harness::{Backend, DemoFacts, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Page, Visitor};
use crate::support::{authed, funded_wallet_in, place_order_in, shop_of, Shop};

backend_tests!(
    signed_out_visitors_are_sent_to_sign_in,
    the_weight_tolerance_is_asked_checked_and_kept;
    per_demo: the_form_offers_the_most_the_wallet_and_shares_allow,
    a_split_pickup_checkout_from_form_to_review_to_order_placed_once,
    a_delivery_address_is_saved_then_chosen_again,
    a_refusal_comes_back_by_its_field,
    the_orders_list_and_page_in_the_hubs_time,
    cancelling_through_the_confirmation_page_releases_the_hold,
    another_customers_order_is_refused,
);

/// Two carrots and one drink: a basket part of which may be paid in local currency.
fn lines(demo: &DemoFacts, shop: &Shop) -> Value {
    json!({"lines": [
        {"variant_id": shop.variant[demo.skus[0]], "quantity": 2},
        {"variant_id": shop.variant[demo.skus[1]], "quantity": 1},
    ]})
}

/// Fills `token`'s cart through the API; returns the cart's quote.
async fn fill_cart(app: &TestApp, demo: &DemoFacts, shop: &Shop, token: &str) -> Value {
    let path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let cart = authed(app, "PUT", &path, token, None, &lines(demo, shop)).await;
    assert_eq!(cart.status, 200, "{}", cart.json());
    cart.json()["quote"].clone()
}

/// The hidden fields of a page's form (`_csrf` left out: the visitor adds it).
fn hidden_fields(page: &Page) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = page.text.as_str();
    while let Some(at) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[at + 27..];
        let name_end = rest.find('"').expect("name");
        let name = rest[..name_end].to_string();
        let v = rest.find("value=\"").expect("value") + 7;
        let v_end = v + rest[v..].find('"').expect("value end");
        if name != "_csrf" {
            fields.push((name, unescape(&rest[v..v_end])));
        }
    }
    fields
}

fn as_refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The form's fields after `GET /checkout`, with `changes` made.
fn form_fields(form: &Page, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = hidden_fields(form);
    for (k, v) in changes {
        fields.retain(|(name, _)| name != k);
        fields.push((k.to_string(), v.to_string()));
    }
    fields
}

/// An amount as `page` writes it, in its language.
fn money_on(page: &Page, amount: &str, currency: &str) -> String {
    let locale = if page.text.contains("<html lang=\"en\">") {
        Locale::En
    } else {
        Locale::Fr
    };
    format::money(amount, currency, locale)
}

/// An amount as a French page writes it.
fn fr(amount: &str, currency: &str) -> String {
    format::money(amount, currency, Locale::Fr)
}

async fn order_of(app: &TestApp, token: &str, id: &str) -> Value {
    let reply = app
        .call("GET", &format!("/api/v1/orders/{id}"), Some(token), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json()
}

async fn my_orders(app: &TestApp, token: &str) -> Vec<Value> {
    app.call("GET", "/api/v1/me/orders", Some(token), None)
        .await
        .json()
        .as_array()
        .expect("orders")
        .clone()
}

fn minor(amount: &Value) -> i64 {
    let text = amount["amount"].as_str().expect("amount");
    comptoir::money::parse_amount(text, 2, comptoir::money::Sign::Any).expect("decimal")
}

fn decimal(minor: i64) -> String {
    comptoir::money::format_minor(minor, 2)
}

/// The id in `/orders/{id}?notice=…`.
fn order_id_of(location: &str, notice: &str) -> String {
    let rest = location.strip_prefix("/orders/").expect("an order's page");
    let (id, query) = rest.split_once('?').expect("a notice");
    assert_eq!(query, format!("notice={notice}"));
    id.to_string()
}

async fn the_form_offers_the_most_the_wallet_and_shares_allow(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    // a rich wallet: the order's local shares set the most (the pickup is free)
    let rich = app.access_token(demo.consumers[0]).await;
    funded_wallet_in(&app, demo, &rich, "1000.00").await;
    let quote = fill_cart(&app, demo, &shop, &rich).await;
    let shares = quote["local_max"]["amount"].as_str().expect("local max");
    assert!(minor(&quote["local_max"]) > 200, "{quote}");
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    let form = visitor
        .get(&format!("/checkout?cycle={}", shop.cycle))
        .await;
    form.ok();
    assert_eq!(form.input_value("local_amount").as_deref(), Some(shares));
    assert_eq!(
        form.input_value("local_currency").as_deref(),
        Some(demo.local)
    );
    // the pickup is chosen first, every method offered with its fee
    assert_eq!(
        form.input_value("shipping_method_id").as_deref(),
        Some(shop.method[demo.pickup].as_str())
    );
    assert!(form.shows(demo.bike));

    // a wallet holding less: the wallet sets the most
    let poor = app.access_token(demo.consumers[1]).await;
    funded_wallet_in(&app, demo, &poor, "2.00").await;
    fill_cart(&app, demo, &shop, &poor).await;
    let mut other = Visitor::new(&app);
    other.sign_in(demo.consumers[1]).await;
    let form = other.get(&format!("/checkout?cycle={}", shop.cycle)).await;
    form.ok();
    assert_eq!(form.input_value("local_amount").as_deref(), Some("2.00"));
    assert!(
        form.shows(&money_on(&form, "2.00", demo.local)),
        "{}",
        form.text
    );
}

async fn a_split_pickup_checkout_from_form_to_review_to_order_placed_once(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let token = app.access_token(demo.consumers[0]).await;
    let wallet = funded_wallet_in(&app, demo, &token, "50.00").await;
    let quote = fill_cart(&app, demo, &shop, &token).await;
    let total = minor(&quote["total"]);
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    let form = visitor
        .get(&format!("/checkout?cycle={}", shop.cycle))
        .await;
    form.ok();
    // 2.50 in local currency (typed the French way), the rest in the legal currency
    let fields = form_fields(
        &form,
        &[
            ("shipping_method_id", shop.method[demo.pickup].as_str()),
            ("local_amount", "2,50"),
        ],
    );
    let review = visitor.post("/checkout", &as_refs(&fields)).await;
    review.ok();
    assert!(review.shows("Vérifiez votre commande"), "{}", review.text);
    assert!(review.shows(&fr("2.50", demo.local)));
    assert!(review.shows(&fr(&decimal(total - 250), demo.legal)));
    assert!(review.shows(&fr(&decimal(total), demo.legal)));
    assert!(review.shows(demo.pickup));
    assert!(review
        .text
        .contains("formaction=\"/checkout#local_amount\""));
    // nothing is placed, held or numbered by the review
    assert!(my_orders(&app, &token).await.is_empty());
    let account = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(account["available"], demo.local_amount("50.00"));

    // "Change" brings the form back, filled in
    let mut change = hidden_fields(&review);
    change.push(("change".into(), "payment".into()));
    let again = visitor.post("/checkout", &as_refs(&change)).await;
    again.ok();
    // as typed
    assert_eq!(again.input_value("local_amount").as_deref(), Some("2,50"));

    let review = visitor.post("/checkout", &as_refs(&fields)).await;
    review.ok();
    let confirmation = hidden_fields(&review);
    let placed = visitor
        .post("/checkout/confirm", &as_refs(&confirmation))
        .await;
    assert_eq!(placed.status, 303, "{}", placed.text);
    let id = order_id_of(&placed.location(), "placed");
    let page = visitor.get(&format!("/orders/{id}?notice=placed")).await;
    page.ok();
    assert!(page.shows("Votre commande est passée"));

    // the API's order agrees: lines, split, state
    let order = order_of(&app, &token, &id).await;
    assert_eq!(order["state"], "confirmed");
    assert_eq!(order["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(order["total"], demo.legal_amount(&decimal(total)));
    assert_eq!(order["payment"]["local"], demo.local_amount("2.50"));
    assert_eq!(
        order["payment"]["euro"],
        demo.legal_amount(&decimal(total - 250))
    );
    assert_eq!(order["payment"]["euro_state"], "due");
    assert!(page.shows(order["number"].as_str().expect("number")));

    // the same confirmation again (back button, double click): the same order, no second
    let twice = visitor
        .post("/checkout/confirm", &as_refs(&confirmation))
        .await;
    assert_eq!(
        order_id_of(&twice.location(), "already-placed"),
        id,
        "{}",
        twice.text
    );
    assert_eq!(my_orders(&app, &token).await.len(), 1);
    // even with a new cart meanwhile: the reviewed cart is not the new one
    fill_cart(&app, demo, &shop, &token).await;
    let thrice = visitor
        .post("/checkout/confirm", &as_refs(&confirmation))
        .await;
    assert_eq!(order_id_of(&thrice.location(), "already-placed"), id);
    assert_eq!(my_orders(&app, &token).await.len(), 1);
}

async fn a_delivery_address_is_saved_then_chosen_again(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let token = app.access_token(demo.consumers[0]).await;
    fill_cart(&app, demo, &shop, &token).await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    let form = visitor
        .get(&format!("/checkout?cycle={}", shop.cycle))
        .await;
    form.ok();
    // no wallet: nothing in local currency
    let fields = form_fields(
        &form,
        &[
            ("shipping_method_id", shop.method[demo.bike].as_str()),
            ("local_amount", ""),
            ("address_id", "new"),
            ("address_name", "Camille Fèvre"),
            ("address_line1", "3 rue des Lilas"),
            ("address_postcode", "69004"),
            ("address_city", "Lyon"),
            ("address_country", "FR"),
            ("address_phone", "06 12 34 56 78"),
            ("save_address", "yes"),
        ],
    );
    let review = visitor.post("/checkout", &as_refs(&fields)).await;
    review.ok();
    assert!(review.shows("3 rue des Lilas"), "{}", review.text);
    let placed = visitor
        .post("/checkout/confirm", &as_refs(&hidden_fields(&review)))
        .await;
    let first = order_id_of(&placed.location(), "placed");
    let saved = app
        .call("GET", "/api/v1/me/addresses", Some(&token), None)
        .await
        .json();
    let saved = saved.as_array().expect("addresses").clone();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let saved_id = saved[0]["id"].as_str().expect("id").to_string();

    // the next checkout offers it, chosen first
    fill_cart(&app, demo, &shop, &token).await;
    let form = visitor
        .get(&format!("/checkout?cycle={}", shop.cycle))
        .await;
    form.ok();
    assert_eq!(
        form.input_value("address_id").as_deref(),
        Some(saved_id.as_str())
    );
    assert!(form.text.contains(&format!("value=\"{saved_id}\" checked")));
    let fields = form_fields(
        &form,
        &[
            ("shipping_method_id", shop.method[demo.bike].as_str()),
            ("address_id", saved_id.as_str()),
        ],
    );
    let review = visitor.post("/checkout", &as_refs(&fields)).await;
    review.ok();
    assert!(review.shows("Camille Fèvre"));
    let placed = visitor
        .post("/checkout/confirm", &as_refs(&hidden_fields(&review)))
        .await;
    let second = order_id_of(&placed.location(), "placed");
    assert_ne!(first, second);
    let order = order_of(&app, &token, &second).await;
    assert_eq!(order["delivery_address"]["line1"], "3 rue des Lilas");
    assert_ne!(order["shipping_fee"]["amount"], "0.00");
    let saved = app
        .call("GET", "/api/v1/me/addresses", Some(&token), None)
        .await
        .json();
    assert_eq!(saved.as_array().map(Vec::len), Some(1));
}

async fn a_refusal_comes_back_by_its_field(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let token = app.access_token(demo.consumers[0]).await;
    funded_wallet_in(&app, demo, &token, "1.00").await;
    let quote = fill_cart(&app, demo, &shop, &token).await;
    assert!(minor(&quote["local_max"]) > 200);
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    let form = visitor
        .get(&format!("/checkout?cycle={}", shop.cycle))
        .await;
    form.ok();
    // more than the wallet holds (but within the shares)
    let pickup = shop.method[demo.pickup].as_str();
    let fields = form_fields(
        &form,
        &[("shipping_method_id", pickup), ("local_amount", "2.00")],
    );
    let refused = visitor.post("/checkout", &as_refs(&fields)).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("href=\"#local_amount\""));
    assert!(refused.text.contains("id=\"local_amount-error\""));
    assert!(refused.shows("Votre portefeuille ne contient pas autant"));
    assert_eq!(refused.input_value("local_amount").as_deref(), Some("2.00"));
    // the same at the confirmation (the wallet spent meanwhile): the form, by the field
    let fields = form_fields(
        &form,
        &[("shipping_method_id", pickup), ("local_amount", "1.00")],
    );
    let review = visitor.post("/checkout", &as_refs(&fields)).await;
    review.ok();
    let mut confirmation = hidden_fields(&review);
    for (k, v) in confirmation.iter_mut() {
        if k == "local_amount" {
            *v = "1.50".into();
        }
    }
    let refused = visitor
        .post("/checkout/confirm", &as_refs(&confirmation))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("href=\"#local_amount\""));
    assert!(my_orders(&app, &token).await.is_empty());
    // a form without its token is refused
    let forged = visitor.post_raw("/checkout", &as_refs(&fields)).await;
    assert_eq!(forged.status, 403);
}

async fn the_orders_list_and_page_in_the_hubs_time(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let token = app.access_token(demo.consumers[0]).await;
    funded_wallet_in(&app, demo, &token, "20.00").await;
    let id = place_order_in(
        &app,
        demo,
        &shop,
        &token,
        &lines(demo, &shop),
        demo.pickup,
        "1.00",
    )
    .await;
    let order = order_of(&app, &token, &id).await;
    let number = order["number"].as_str().expect("number");
    let total = order["total"]["amount"].as_str().expect("total");
    let confirmed =
        chrono::DateTime::parse_from_rfc3339(order["confirmed_at"].as_str().expect("confirmed_at"))
            .expect("time")
            .naive_utc();
    let local = format::mail_time(confirmed, demo.time_zone);
    let when = format!(
        "{} ({})",
        format::datetime(format::parse_local(&local).expect("local"), Locale::Fr),
        format::offset_words(&local).expect("offset")
    );
    let utc_words = format::datetime(confirmed, Locale::Fr);

    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    let list = visitor.get("/orders").await;
    list.ok();
    assert!(list.text.contains(&format!("href=\"/orders/{id}\"")));
    assert!(list.shows(number));
    assert!(list.shows(&fr(total, demo.legal)), "{}", list.text);
    assert!(list.shows(&when), "{when}: {}", list.text);
    assert!(!list.shows(&utc_words), "the time is the hub's, not UTC");
    assert!(list.shows("Confirmée"));

    let page = visitor.get(&format!("/orders/{id}")).await;
    page.ok();
    assert!(page.shows(&format!("Commande {number}")));
    assert!(page.shows(&fr("1.00", demo.local)));
    let euro = order["payment"]["euro"]["amount"].as_str().expect("euro");
    assert!(page.shows(&fr(euro, demo.legal)));
    assert!(page.shows(&when));
    assert!(page.shows(demo.pickup));
    let fr_rate = |rate: &str| format!("dont TVA {} %", rate.replace('.', ","));
    assert!(page.shows(&fr_rate(demo.reduced_vat)), "{}", page.text);
    assert!(page.text.contains(&format!("href=\"/orders/{id}/cancel\"")));
    assert!(page
        .text
        .contains(&format!("href=\"/orders/{id}/receipt\"")));
    // an unknown notice is not echoed
    let odd = visitor
        .get(&format!("/orders/{id}?notice=%3Cb%3Ehi%3C%2Fb%3E"))
        .await;
    odd.ok();
    assert!(!odd.text.contains("hi</b>") && !odd.text.contains("role=\"status\""));

    let receipt = visitor.get(&format!("/orders/{id}/receipt")).await;
    receipt.ok();
    assert!(receipt.shows(number));
    assert!(receipt.shows(&fr(total, demo.legal)));
    assert!(receipt.shows(&fr_rate(demo.standard_vat)));
    // the hub's legal identity, as the API shows it
    let hub = app
        .get(&format!("/api/v1/enterprises/{}", demo.hub))
        .await
        .json();
    let identity: Vec<&str> = ["siret", "uid", "vat_number"]
        .iter()
        .filter_map(|k| hub[*k].as_str())
        .collect();
    assert!(!identity.is_empty(), "{hub}");
    for id in identity {
        assert!(receipt.shows(id), "{id}: {}", receipt.text);
    }
    assert!(receipt.shows(hub["name"].as_str().expect("name")));
}

async fn available(app: &TestApp, token: &str, wallet: &str) -> Value {
    app.call(
        "GET",
        &format!("/api/v1/accounts/{wallet}"),
        Some(token),
        None,
    )
    .await
    .json()["available"]
        .clone()
}

async fn cancelling_through_the_confirmation_page_releases_the_hold(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let token = app.access_token(demo.consumers[0]).await;
    let wallet = funded_wallet_in(&app, demo, &token, "20.00").await;
    let id = place_order_in(
        &app,
        demo,
        &shop,
        &token,
        &lines(demo, &shop),
        demo.pickup,
        "2.00",
    )
    .await;
    assert_eq!(
        available(&app, &token, &wallet).await,
        demo.local_amount("18.00")
    );
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    let ask = visitor.get(&format!("/orders/{id}/cancel")).await;
    ask.ok();
    assert!(ask.shows("Voulez-vous vraiment annuler"));
    assert!(ask.shows(&fr("2.00", demo.local)));
    let done = visitor.post(&format!("/orders/{id}/cancel"), &[]).await;
    assert_eq!(
        done.location(),
        format!("/orders/{id}?notice=cancelled"),
        "{}",
        done.text
    );
    let page = visitor.get(&done.location()).await;
    page.ok();
    assert!(page.shows("Votre commande est annulée"));
    assert!(page.shows("Annulée"));
    assert!(!page.text.contains(&format!("href=\"/orders/{id}/cancel\"")));
    let order = order_of(&app, &token, &id).await;
    assert_eq!(order["state"], "cancelled");
    assert_eq!(
        available(&app, &token, &wallet).await,
        demo.local_amount("20.00")
    );
    // once only: a second submit changes nothing and says it is cancelled
    let again = visitor.post(&format!("/orders/{id}/cancel"), &[]).await;
    assert_eq!(again.location(), format!("/orders/{id}?notice=cancelled"));
    let ask = visitor.get(&format!("/orders/{id}/cancel")).await;
    assert_eq!(ask.location(), format!("/orders/{id}?notice=cancelled"));
}

async fn another_customers_order_is_refused(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let token = app.access_token(demo.consumers[0]).await;
    funded_wallet_in(&app, demo, &token, "20.00").await;
    let id = place_order_in(
        &app,
        demo,
        &shop,
        &token,
        &lines(demo, &shop),
        demo.pickup,
        "1.00",
    )
    .await;
    let mut other = Visitor::new(&app);
    other.sign_in(demo.consumers[1]).await;
    // as the API answers it (`ReadOrder`, `CancelOrder`): 403
    let api = app
        .call(
            "GET",
            &format!("/api/v1/orders/{id}"),
            Some(&app.access_token(demo.consumers[1]).await),
            None,
        )
        .await;
    for path in [
        format!("/orders/{id}"),
        format!("/orders/{id}/receipt"),
        format!("/orders/{id}/cancel"),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, api.status, "{path}: {}", page.text);
        assert!(!page.shows(demo.pickup), "{path}");
    }
    let list = other.get("/orders").await;
    list.ok();
    assert!(!list.text.contains(&id));
    let cancel = other.post(&format!("/orders/{id}/cancel"), &[]).await;
    assert_eq!(cancel.status, 403);
    assert_eq!(order_of(&app, &token, &id).await["state"], "confirmed");
    // an unknown order: 404
    assert_eq!(other.get("/orders/no-such-order").await.status, 404);
}

async fn signed_out_visitors_are_sent_to_sign_in(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut visitor = Visitor::new(&app);
    for (path, next) in [
        ("/checkout?cycle=abc", "%2Fcheckout%3Fcycle%3Dabc"),
        ("/orders", "%2Forders"),
        ("/orders/abc", "%2Forders%2Fabc"),
        ("/orders/abc/receipt", "%2Forders%2Fabc%2Freceipt"),
        ("/orders/abc/cancel", "%2Forders%2Fabc%2Fcancel"),
    ] {
        let page = visitor.get(path).await;
        assert_eq!(page.location(), format!("/login?next={next}"), "{path}");
    }
    // a post too (with its token)
    visitor.get("/").await.ok();
    let post = visitor.post("/checkout/confirm", &[("cycle", "abc")]).await;
    assert_eq!(post.location(), "/login?next=%2Fcheckout%2Fconfirm");
}

/// The weight tolerance: a field with its label and hint, 10 % unless changed, checked by
/// the domain (0 to 25) with the error by the field, shown on the review, and the order's.
async fn the_weight_tolerance_is_asked_checked_and_kept(backend: Backend) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let token = app.access_token(demo.consumers[0]).await;
    fill_cart(&app, demo, &shop, &token).await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    let form = visitor
        .get(&format!("/checkout?cycle={}", shop.cycle))
        .await;
    form.ok();
    assert!(form
        .text
        .contains("<label for=\"weight_tolerance_percent\">"));
    assert!(form.shows("Écart de poids accepté (en %)"));
    assert!(form.shows("10 % si vous ne changez rien, 25 % au plus"));
    assert_eq!(
        form.input_value("weight_tolerance_percent").as_deref(),
        Some("10")
    );
    let pickup = shop.method[demo.pickup].as_str();
    for (typed, message) in [
        ("30", "Saisissez un nombre de 0 à 25"),
        ("-1", "Saisissez un nombre de 0 à 25"),
        ("dix", "Saisissez un nombre entier, par exemple 10"),
    ] {
        let fields = form_fields(
            &form,
            &[
                ("shipping_method_id", pickup),
                ("local_amount", "0"),
                ("weight_tolerance_percent", typed),
            ],
        );
        let refused = visitor.post("/checkout", &as_refs(&fields)).await;
        assert_eq!(refused.status, 422, "{typed}: {}", refused.text);
        assert!(refused.text.contains("href=\"#weight_tolerance_percent\""));
        assert!(refused
            .text
            .contains("id=\"weight_tolerance_percent-error\""));
        assert!(refused.shows(message), "{typed}: {}", refused.text);
        assert_eq!(
            refused.input_value("weight_tolerance_percent").as_deref(),
            Some(typed)
        );
    }
    // 5 %: on the review, then the order's
    let fields = form_fields(
        &form,
        &[
            ("shipping_method_id", pickup),
            ("local_amount", "0"),
            ("weight_tolerance_percent", "5 %"),
        ],
    );
    let review = visitor.post("/checkout", &as_refs(&fields)).await;
    review.ok();
    assert!(review.shows("Jusqu’à 5 % de plus pour les produits pesés"));
    let placed = visitor
        .post("/checkout/confirm", &as_refs(&hidden_fields(&review)))
        .await;
    let id = order_id_of(&placed.location(), "placed");
    assert_eq!(
        order_of(&app, &token, &id).await["payment"]["weight_tolerance_percent"],
        5
    );
    // left empty: the default
    fill_cart(&app, demo, &shop, &token).await;
    let form = visitor
        .get(&format!("/checkout?cycle={}", shop.cycle))
        .await;
    let fields = form_fields(
        &form,
        &[
            ("shipping_method_id", pickup),
            ("local_amount", "0"),
            ("weight_tolerance_percent", ""),
        ],
    );
    let review = visitor.post("/checkout", &as_refs(&fields)).await;
    assert!(review.shows("Jusqu’à 10 % de plus"), "{}", review.text);
    let placed = visitor
        .post("/checkout/confirm", &as_refs(&hidden_fields(&review)))
        .await;
    let id = order_id_of(&placed.location(), "placed");
    assert_eq!(
        order_of(&app, &token, &id).await["payment"]["weight_tolerance_percent"],
        10
    );
}
