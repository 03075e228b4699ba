//! My top-up requests on `/wallet/top-up`, over real HTTP, on both backends: the list (amount,
//! state, date, reference, a link to how to pay), cancelling a pending request (once, and
//! only mine), and the form's one-time key: the same form sent twice (a double click, back
//! and send again) makes one request, through the API's idempotency record. And the other
//! money-moving forms a second submission must not repeat: opening a wallet.

use serde_json::Value;

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{Page, Visitor};

backend_tests!(
    my_requests_are_listed_and_a_pending_one_cancelled,
    a_top_up_form_sent_twice_makes_one_request,
    opening_a_wallet_twice_opens_one,
);

/// Signs `visitor` in as `email` and reads the pages in French.
async fn sign_in_fr(visitor: &mut Visitor<'_>, email: &str) {
    visitor.sign_in(email).await;
    visitor.get("/").await.ok();
    let switched = visitor
        .post("/language", &[("lang", "fr"), ("next", "/")])
        .await;
    assert_eq!(switched.location(), "/");
}

/// The reader's requests through the API, newest first.
async fn api_requests(app: &TestApp, token: &str) -> Vec<Value> {
    app.call("GET", "/api/v1/me/topup-requests", Some(token), None)
        .await
        .json()["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// Sends the top-up form of `form` with `amount` and `method`; the request's id.
async fn ask(visitor: &mut Visitor<'_>, form: &Page, amount: &str, method: &str) -> Page {
    let key = form.input_value("key").expect("the form's one-time key");
    let currency = form.input_value("currency").expect("the currency");
    visitor
        .post(
            "/wallet/top-up",
            &[
                ("key", key.as_str()),
                ("currency", currency.as_str()),
                ("amount", amount),
                ("method", method),
            ],
        )
        .await
}

fn id_of(page: &Page) -> String {
    page.location()
        .strip_prefix("/wallet/top-ups/")
        .expect("the request's page")
        .to_string()
}

async fn my_requests_are_listed_and_a_pending_one_cancelled(backend: Backend) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let member = demo.consumers[1];
    let token = app.access_token(member).await;
    let mut visitor = Visitor::new(&app);
    sign_in_fr(&mut visitor, member).await;
    // the demo's requests of this member, before these
    let before = api_requests(&app, &token).await.len();
    let form = visitor.get("/wallet/top-up").await;
    let first = id_of(&ask(&mut visitor, &form, "20,50", "bank_transfer").await);
    let form = visitor.get("/wallet/top-up").await;
    let second = id_of(&ask(&mut visitor, &form, "10", "cash").await);

    // both listed, newest first, with their amount, state, date, reference and link
    let list = visitor.get("/wallet/top-up").await;
    list.ok();
    let requests = api_requests(&app, &token).await;
    assert_eq!(requests.len(), before + 2);
    let at = |id: &str| {
        list.text
            .find(&format!("href=\"/wallet/top-ups/{id}\""))
            .unwrap_or_else(|| panic!("{id} listed: {}", list.text))
    };
    assert!(at(&second) < at(&first), "newest first");
    for r in requests.iter().take(2) {
        assert!(list.shows(r["reference"].as_str().expect("reference")));
        assert!(list.shows(&format!("nº {}", r["number"])));
    }
    let amount =
        comptoir::mail::format::money("20.50", demo.local, comptoir::mail::format::Locale::Fr);
    assert!(list.shows(&amount), "{amount}: {}", list.text);
    assert!(list.shows("En attente du paiement"));
    assert!(list.shows("Mes demandes de recharge"));

    // someone else cannot cancel it
    let mut other = Visitor::new(&app);
    sign_in_fr(&mut other, demo.consumers[0]).await;
    other.get("/wallet/top-up").await.ok();
    let refused = other
        .post(&format!("/wallet/top-ups/{first}/cancel"), &[])
        .await;
    assert_eq!(refused.status, 404);
    // nor without the form's token
    let forged = visitor
        .post_raw(&format!("/wallet/top-ups/{first}/cancel"), &[])
        .await;
    assert_eq!(forged.status, 403);

    // the request's page offers to cancel it; cancelling lands on the list, which says so
    let page = visitor.get(&format!("/wallet/top-ups/{first}")).await;
    assert!(page
        .ok()
        .contains(&format!("action=\"/wallet/top-ups/{first}/cancel\"")));
    let cancelled = visitor
        .post(&format!("/wallet/top-ups/{first}/cancel"), &[])
        .await;
    assert_eq!(cancelled.location(), "/wallet/top-up?notice=cancelled");
    let list = visitor.get(&cancelled.location()).await;
    assert!(list.shows("Votre demande de recharge est annulée"));
    assert!(list.shows("Annulée"));
    assert!(!list
        .text
        .contains(&format!("action=\"/wallet/top-ups/{first}/cancel\"")));
    assert!(list
        .text
        .contains(&format!("action=\"/wallet/top-ups/{second}/cancel\"")));
    let states: Vec<(String, String)> = api_requests(&app, &token)
        .await
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").into(),
                r["state"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(states.contains(&(first.clone(), "cancelled".into())));
    assert!(states.contains(&(second.clone(), "pending".into())));
    // a second submission (a double click) changes nothing and lands on the list again
    let again = visitor
        .post(&format!("/wallet/top-ups/{first}/cancel"), &[])
        .await;
    assert_eq!(again.location(), "/wallet/top-up?notice=cancelled");

    // an approved request cannot be cancelled: back to its page, which says it is credited
    let treasurer = app.access_token(demo.treasurer).await;
    let approved = app
        .call(
            "POST",
            &format!("/api/v1/topup-requests/{second}/approve"),
            Some(&treasurer),
            Some(&serde_json::json!({"received_reference": "cash box"})),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.json());
    visitor.get("/wallet/top-up").await.ok();
    let late = visitor
        .post(&format!("/wallet/top-ups/{second}/cancel"), &[])
        .await;
    assert_eq!(late.location(), format!("/wallet/top-ups/{second}"));
    let page = visitor.get(&late.location()).await;
    assert!(page.shows("Créditée sur votre porte-monnaie"));
}

async fn a_top_up_form_sent_twice_makes_one_request(backend: Backend) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let member = demo.consumers[1];
    let token = app.access_token(member).await;
    let before = api_requests(&app, &token).await.len();
    let mut visitor = Visitor::new(&app);
    sign_in_fr(&mut visitor, member).await;
    let form = visitor.get("/wallet/top-up").await;
    let key = form.input_value("key").expect("a one-time key");
    assert!(key.len() >= 8);
    // each rendering of the form has its own key
    let other_form = visitor.get("/wallet/top-up").await;
    assert_ne!(other_form.input_value("key"), Some(key.clone()));

    // a refusal keeps the key: the corrected form is still the same one
    let refused = ask(&mut visitor, &form, "vingt", "bank_transfer").await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.input_value("key"), Some(key.clone()));
    assert_eq!(api_requests(&app, &token).await.len(), before);

    // sent, then sent again (a double click, back and send): the same request
    let first = ask(&mut visitor, &form, "20", "bank_transfer").await;
    let id = id_of(&first);
    let second = ask(&mut visitor, &form, "20", "bank_transfer").await;
    assert_eq!(id_of(&second), id);
    assert_eq!(api_requests(&app, &token).await.len(), before + 1);

    // the same form with other values: no second request, the form again with a new key
    let changed = ask(&mut visitor, &form, "30", "bank_transfer").await;
    assert_eq!(changed.status, 422, "{}", changed.text);
    assert!(changed.shows("Ce formulaire a déjà été envoyé"));
    assert!(changed.text.contains("href=\"#amount\""));
    let new_key = changed.input_value("key").expect("a new key");
    assert_ne!(new_key, key);
    assert_eq!(api_requests(&app, &token).await.len(), before + 1);
    // which makes one
    let made = ask(&mut visitor, &changed, "30", "bank_transfer").await;
    assert_ne!(id_of(&made), id);
    assert_eq!(api_requests(&app, &token).await.len(), before + 2);

    // a form without a key is refused
    visitor.get("/wallet/top-up").await.ok();
    let keyless = visitor
        .post(
            "/wallet/top-up",
            &[
                ("currency", demo.local),
                ("amount", "5"),
                ("method", "cash"),
            ],
        )
        .await;
    assert_eq!(keyless.status, 400);
    assert_eq!(api_requests(&app, &token).await.len(), before + 2);
}

async fn opening_a_wallet_twice_opens_one(backend: Backend) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let member = demo.consumers[0];
    let token = app.access_token(member).await;
    let mut visitor = Visitor::new(&app);
    sign_in_fr(&mut visitor, member).await;
    visitor.get("/wallet").await.ok();
    let first = visitor
        .post("/wallet/open", &[("currency", demo.local)])
        .await
        .location();
    let second = visitor
        .post("/wallet/open", &[("currency", demo.local)])
        .await
        .location();
    assert_eq!(first, second);
    let wallets = app
        .call("GET", "/api/v1/me/accounts", Some(&token), None)
        .await
        .json()
        .as_array()
        .expect("accounts")
        .iter()
        .filter(|a| a["kind"] == "member_wallet" && a["currency"] == demo.local)
        .count();
    assert_eq!(wallets, 1);
}
