//! The newcomer's walk in a real Chromium, as the issue tells it: register from the home
//! page, confirm the address from the mail's link, sign in, get local currency from the
//! treasurer (through the API: the treasurer's pages are another issue), fill a cart in the
//! hub's shop, check out with a split payment, read the order, place a second order and
//! cancel it; every page on the way checked with axe-core (no serious or critical
//! violation) and photographed (`target/screenshots/walk-…`). The same walk runs with
//! JavaScript and without, on SQLite and PostgreSQL.

use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::support::key;

const NAME: &str = "Nadia Benali";
const EMAIL: &str = "nadia.walk@example.org";
const PASSWORD: &str = "un secret assez long";

crate::browser::walks!(newcomer_walk);

/// Checks the page with axe and photographs it.
async fn look(browser: &Browser, name: &str) {
    browser.check_accessibility().await;
    browser.screenshot(&format!("walk-{name}")).await;
}

/// The site path of the link in the mail's text that starts with `path?token=`.
fn link_in(text: &str, path: &str) -> String {
    let at = text
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in the mail: {text}"));
    text[at..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_string()
}

/// The text of the last mail queued for `to` from `template`, rendered as it is sent.
fn mail_text(app: &TestApp, to: &str) -> String {
    use comptoir::mail::{mailer_with, transport::Memory};
    let memory = Memory::default();
    let mailer = mailer_with(
        &crate::harness::test_config(&app.db.url),
        Box::new(memory.clone()),
    )
    .expect("mailer");
    let conn = &mut app.db.db.conn().expect("conn");
    mailer.deliver_due(conn).expect("delivery");
    let kept = memory.kept.lock().expect("mails").clone();
    let raw = &kept
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t == to))
        .unwrap_or_else(|| panic!("no mail to {to}"))
        .raw;
    let mail = mailparse::parse_mail(raw).expect("a mail");
    mail.subparts[0].get_body().expect("text part")
}

async fn newcomer_walk(backend: Backend, js: bool) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_demo(backend).await;
    let browser = Browser::start(js).await;

    // the home page: the hub taking orders, the producers
    browser.goto(&app.url("/")).await;
    look(&browser, "home").await;
    assert!(browser.text().await.contains("La Cagette"));

    // registering
    browser.click_link("Créer un compte").await;
    look(&browser, "register").await;
    browser.fill("Votre nom", NAME).await;
    browser.fill("Adresse e-mail", EMAIL).await;
    browser.fill("Mot de passe", PASSWORD).await;
    browser.click_button("Créer mon compte").await;
    look(&browser, "register-sent").await;
    assert!(browser.text().await.contains("Consultez votre messagerie"));

    // the mail's link, then one button
    let verify = link_in(&mail_text(&app, EMAIL), "/verify-email");
    browser.goto(&app.url(&verify)).await;
    look(&browser, "verify").await;
    browser.click_button("Confirmer mon adresse").await;
    look(&browser, "login-verified").await;
    assert!(browser
        .text()
        .await
        .contains("Votre adresse e-mail est confirmée"));
    browser.fill("Adresse e-mail", EMAIL).await;
    browser.fill("Mot de passe", PASSWORD).await;
    browser.click_button("Se connecter").await;
    assert!(browser.text().await.contains("Se déconnecter"));

    // the treasurer issues 30 Lem on the newcomer's new wallet (the API: the treasurer's
    // office is another issue)
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": EMAIL, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.json());
    let nadia = login.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let wallet = app
        .call(
            "POST",
            "/api/v1/me/wallets",
            Some(&nadia),
            Some(&json!({"currency": demo.local})),
        )
        .await;
    assert_eq!(wallet.status, 201, "{}", wallet.json());
    let wallet = wallet.json()["id"].as_str().expect("wallet").to_string();
    let treasurer = app.access_token(demo.treasurer).await;
    let issued = app
        .call(
            "POST",
            &format!("/api/v1/currencies/{}/issuances", demo.local),
            Some(&treasurer),
            Some(&json!({"entry_id": key(), "wallet_id": wallet, "amount": demo.local_amount("30.00"), "method": "cash", "reference": "comptoir"})),
        )
        .await;
    assert_eq!(issued.status, 201, "{}", issued.json());
    browser.goto(&app.url("/wallet")).await;
    look(&browser, "wallet").await;
    assert!(
        browser.text().await.contains("30,00"),
        "the wallet shows the 30 Lem"
    );

    // the shop: two items into the cart
    place_order(&app, &browser, "first").await;
    // the order's page: the split between the Lem and the euro
    let order_text = browser.text().await;
    assert!(
        order_text.contains("Votre commande est passée"),
        "{order_text}"
    );
    assert!(
        order_text.contains("LEM"),
        "the Lem part is shown: {order_text}"
    );
    assert!(
        order_text.contains("€"),
        "the euro part is shown: {order_text}"
    );
    let first_url = browser.current_url().await;

    // a second order, cancelled
    place_order(&app, &browser, "second").await;
    browser.click_link("Annuler cette commande").await;
    look(&browser, "cancel-confirm").await;
    browser.click_button("Oui, annuler la commande").await;
    look(&browser, "cancelled").await;
    assert!(browser.text().await.contains("Annulée"));

    // my orders: both, one of them cancelled
    browser.goto(&app.url("/orders")).await;
    look(&browser, "orders").await;
    let orders = browser.text().await;
    assert!(
        orders.contains("Annulée") && orders.contains("Confirmée"),
        "{orders}"
    );
    browser.goto(&first_url).await;
    browser.click_link("Voir le reçu à imprimer").await;
    look(&browser, "receipt").await;

    // the account, and a page that does not exist
    browser.goto(&app.url("/account")).await;
    look(&browser, "account").await;
    browser.goto(&app.url("/no/such/page")).await;
    look(&browser, "not-found").await;
    assert!(browser.text().await.contains("Page introuvable"));

    // the API agrees: one order confirmed, one cancelled
    let mine = app
        .call("GET", "/api/v1/me/orders", Some(&nadia), None)
        .await
        .json();
    let states: Vec<&str> = mine
        .as_array()
        .expect("orders")
        .iter()
        .filter_map(|o| o["state"].as_str())
        .collect();
    assert_eq!(states.len(), 2, "{mine}");
    assert!(
        states.contains(&"cancelled") && states.contains(&"confirmed"),
        "{states:?}"
    );
}

/// From the hub's shop to the order's page: one item, the cart, the checkout form with its
/// default split, the review, the confirmation.
async fn place_order(app: &TestApp, browser: &Browser, name: &str) {
    browser
        .goto(&app.url(&format!("/hubs/{}", FRENCH_DEMO.hub)))
        .await;
    look(browser, &format!("{name}-shop")).await;
    browser.fill("Quantité Carottes", "2").await;
    browser.click_button("Ajouter au panier Carottes").await;
    assert!(browser.text().await.contains("Ajouté à votre panier"));
    browser.click_link("Panier").await;
    look(browser, &format!("{name}-cart")).await;
    browser.click_link("Passer commande").await;
    look(browser, &format!("{name}-checkout")).await;
    browser.click_button("Continuer").await;
    look(browser, &format!("{name}-review")).await;
    browser
        .click_button("Confirmer et passer la commande")
        .await;
    look(browser, &format!("{name}-order")).await;
}
