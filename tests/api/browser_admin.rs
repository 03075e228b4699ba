//! The platform admin's walk in a real Chromium, over the French demo (the demo's admin reads
//! English): from the offices to the admin's office, a currency association created for an
//! existing account, then its local currency (the API lists it, issued by the new
//! association), and a member's account found, disabled (the API then refuses its password)
//! and enabled again. Every page checked with axe-core (no serious or critical violation) and
//! photographed (`target/screenshots/admin-…`). With JavaScript and without, on SQLite and
//! PostgreSQL.

use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};

crate::browser::walks!(admin_walk);

const ADMIN: &str = "admin@comptoir.example.org";

/// Checks the page with axe and photographs it.
async fn look(browser: &Browser, name: &str) {
    browser.check_accessibility().await;
    browser.screenshot(&format!("admin-{name}")).await;
}

/// The API's answer to a log-in with the demo's password.
async fn log_in_status(app: &TestApp, email: &str) -> u16 {
    u16::from(
        app.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": comptoir::demo::DEMO_PASSWORD}),
        )
        .await
        .status,
    )
}

async fn admin_walk(backend: Backend, js: bool) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_bare_demo(backend).await;
    let browser = Browser::start(js).await;
    browser.sign_in(&app.url("/login"), ADMIN).await;
    browser.goto(&app.url("/office")).await;
    look(&browser, "offices").await;
    browser.click_link("Platform administration").await;
    look(&browser, "home").await;

    // a currency association, owned by an existing account
    browser.click_link("Currency associations").await;
    look(&browser, "associations").await;
    browser.fill("Name", "Le Cairn").await;
    browser.fill("Address", "1 place du Marché").await;
    browser.fill("Postcode", "38000").await;
    browser.fill("Town", "Grenoble").await;
    browser
        .fill("Email address of its first owner", demo.consumers[1])
        .await;
    browser.click_button("Create the association").await;
    look(&browser, "association-created").await;
    let list = browser.text().await;
    assert!(list.contains("The association is created."), "{list}");
    assert!(
        list.contains("Le Cairn") && list.contains("No currency yet"),
        "{list}"
    );

    // its local currency: a bad parity first, said beside its field
    browser.click_link("Currencies").await;
    look(&browser, "currencies").await;
    browser.fill("Issuing association", "Le Cairn").await;
    browser.fill("Code", "CRN").await;
    browser.fill("Name", "Cairn").await;
    browser.fill("Symbol", "CRN").await;
    browser.fill("Decimals", "2").await;
    browser.fill("Value in the legal currency", "0").await;
    browser.click_button("Create the currency").await;
    look(&browser, "currency-refused").await;
    let refused = browser.text().await;
    assert!(refused.contains("above zero"), "{refused}");
    browser.fill("Issuing association", "Le Cairn").await;
    browser.fill("Value in the legal currency", "1").await;
    browser.click_button("Create the currency").await;
    look(&browser, "currency-created").await;
    assert!(browser.text().await.contains("The currency is created."));
    let currencies = app
        .call("GET", "/api/v1/currencies", None, None)
        .await
        .json();
    let crn = currencies
        .as_array()
        .expect("currencies")
        .iter()
        .find(|c| c["code"] == "CRN")
        .cloned()
        .expect("the API lists the new currency");
    assert_eq!(crn["kind"], "local", "{crn}");

    // a member's account: found, disabled, enabled again
    let camille = demo.consumers[0];
    assert_eq!(log_in_status(&app, camille).await, 200);
    browser.click_link("Accounts").await;
    look(&browser, "users").await;
    browser.fill("Address or name", camille).await;
    browser.click_button("Search").await;
    look(&browser, "users-found").await;
    assert!(browser.text().await.contains(camille));
    browser.click_button_starting("Disable").await;
    look(&browser, "user-disabled").await;
    let disabled = browser.text().await;
    assert!(disabled.contains("The account is disabled"), "{disabled}");
    assert_ne!(log_in_status(&app, camille).await, 200);
    browser.click_button_starting("Enable").await;
    look(&browser, "user-enabled").await;
    assert!(browser
        .text()
        .await
        .contains("The account is enabled again."));
    assert_eq!(log_in_status(&app, camille).await, 200);
}
