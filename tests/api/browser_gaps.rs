//! A Swiss member's walk in German, in a real Chromium, through what issue #22's week of use
//! asked for: the pages in German (the shop's categories too), a top-up asked for, then
//! found in the list of my requests and cancelled, the checkout's weight tolerance refused
//! by its field, and my orders. Every page checked with axe-core (no serious or critical
//! violation) and photographed (`target/screenshots/gaps-…`), with JavaScript and without,
//! on SQLite and PostgreSQL.

use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, SWISS_DEMO};
use crate::support::{authed, shop_of};

crate::browser::walks!(german_member_walk);

/// Checks the page with axe and photographs it.
async fn look(browser: &Browser, name: &str) {
    browser.check_accessibility().await;
    browser.screenshot(&format!("gaps-{name}")).await;
}

async fn german_member_walk(backend: Backend, js: bool) {
    let demo = &SWISS_DEMO;
    let member = demo.consumers[1];
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let token = app.access_token(member).await;
    let browser = Browser::start(js).await;

    // signing in (in French, the country's first language), then German
    browser.goto(&app.url("/login")).await;
    browser.fill("email", member).await;
    browser
        .fill("password", comptoir::demo::DEMO_PASSWORD)
        .await;
    browser.click_button("Se connecter").await;
    browser.click_button("Deutsch").await;
    look(&browser, "de-home").await;
    let text = browser.text().await;
    assert!(text.contains("Produzentinnen und Produzenten"), "{text}");

    // the shop, its categories in German
    browser.goto(&app.url(&format!("/hubs/{}", demo.hub))).await;
    look(&browser, "de-shop").await;
    assert!(browser.text().await.contains("Gemüse"));

    // a top-up, its page, then my requests, where it is cancelled
    browser.goto(&app.url("/wallet/top-up")).await;
    look(&browser, "de-topup").await;
    browser
        .fill(&format!("Betrag in {}", demo.local), "20")
        .await;
    browser.click_button("Diese Aufladung verlangen").await;
    look(&browser, "de-topup-request").await;
    assert!(browser.text().await.contains("Wartet auf Ihre Zahlung"));
    let mine = app
        .call("GET", "/api/v1/me/topup-requests", Some(&token), None)
        .await
        .json();
    let number = mine["items"][0]["number"].clone();
    browser.click_link("Meine Aufladungen").await;
    look(&browser, "de-topups").await;
    browser
        .click_button(&format!("Aufladung Nr. {number} stornieren"))
        .await;
    look(&browser, "de-topup-cancelled").await;
    assert!(browser
        .text()
        .await
        .contains("Ihre Aufladung ist storniert"));

    // the checkout's weight tolerance, refused by its field
    let shop = shop_of(&app, demo.hub).await;
    let lines = json!({"lines": [{"variant_id": shop.variant[demo.skus[0]], "quantity": 1}]});
    let cart = authed(
        &app,
        "PUT",
        &format!("/api/v1/order-cycles/{}/cart", shop.cycle),
        &token,
        None,
        &lines,
    )
    .await;
    assert_eq!(cart.status, 200);
    browser
        .goto(&app.url(&format!("/checkout?cycle={}", shop.cycle)))
        .await;
    look(&browser, "de-checkout").await;
    browser
        .fill("Akzeptierte Gewichtsabweichung (in %)", "30")
        .await;
    browser.click_button("Weiter").await;
    look(&browser, "de-checkout-refused").await;
    assert!(browser
        .text()
        .await
        .contains("Geben Sie eine Zahl von 0 bis 25 ein"));

    // my orders
    browser.goto(&app.url("/orders")).await;
    look(&browser, "de-orders").await;
    assert!(browser.text().await.contains("Meine Bestellungen"));
}
