//! The treasurer's walk in a real Chromium: sign in, read the office's home, approve a
//! business that asked to accept the Lem, approve a member's top-up, read the statement and
//! its chart, export the FEC, find the member's wallet and freeze it then reactivate it, run
//! the ledger's audit, and close the last thirty days after the confirmation; every page checked with axe-core (no serious or critical violation) and
//! photographed (`target/screenshots/treasury-…`). With JavaScript and without, on SQLite
//! and PostgreSQL.

use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::support::{authed, key};

crate::browser::walks!(treasurer_walk);

/// Checks the page with axe and photographs it.
async fn look(browser: &Browser, name: &str) {
    browser.check_accessibility().await;
    browser.screenshot(&format!("treasury-{name}")).await;
}

async fn treasurer_walk(backend: Backend, js: bool) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_bare_demo(backend).await;
    // a member asks for 20 Lem, paid in cash; a business asks to accept the Lem
    let member = app.access_token(demo.consumers[0]).await;
    let asked = authed(
        &app,
        "POST",
        "/api/v1/currencies/LEM/topup-requests",
        &member,
        Some(&key()),
        &json!({"amount": {"amount": "20.00", "currency": "LEM"}, "method": "cash"}),
    )
    .await;
    assert_eq!(asked.status, 201, "{}", asked.json());
    let owner = app.access_token(demo.consumers[1]).await;
    let producer = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&owner),
            Some(&json!({
                "name": "Les Jardins d'Émile",
                "kind": "producer",
                "address": {"line": "2 chemin des Prés", "postcode": "69530", "city": "Brignais"},
                "accepted_currencies": ["LEM"]
            })),
        )
        .await;
    assert_eq!(producer.status, 201, "{}", producer.json());

    let browser = Browser::start(js).await;
    browser.sign_in(&app.url("/login"), demo.treasurer).await;
    browser
        .goto(&app.url(&format!("/treasury/{}", demo.association)))
        .await;
    look(&browser, "home").await;
    let home = browser.text().await;
    assert!(home.contains("Fonds de garantie"), "{home}");

    // the business
    browser.click_link("Décider la demande en attente").await;
    look(&browser, "professionals").await;
    browser.click_button("Agréer Les Jardins d'Émile").await;
    look(&browser, "professional-approved").await;
    assert!(browser
        .text()
        .await
        .contains("L'entreprise est agréée : son porte-monnaie est ouvert."));

    // the top-up
    browser.click_link("Rechargements à décider").await;
    look(&browser, "topups").await;
    browser
        .fill("Ce que vous avez reçu (facultatif)", "caisse du samedi")
        .await;
    browser
        .click_button("Approuver et émettre 20,00\u{a0}LEM")
        .await;
    look(&browser, "topup-approved").await;
    assert!(browser
        .text()
        .await
        .contains("Le rechargement est approuvé"));

    // the statement and its chart
    browser.click_link("État de la monnaie").await;
    look(&browser, "statement").await;
    let statement = browser.text().await;
    assert!(statement.contains("20,00"), "{statement}");
    assert!(
        statement.contains("Fonds de garantie (tirets)"),
        "{statement}"
    );
    assert!(statement.contains("Mouvements du jour"), "{statement}");
    let chart = browser
        .client()
        .find(fantoccini::Locator::Css("figure.chart svg polyline"))
        .await;
    assert!(chart.is_ok(), "the chart is drawn");
    browser.click_link("90 jours").await;
    look(&browser, "statement-90").await;

    // the exports: today's FEC, as this browser's session downloads it
    browser.click_link("Exports").await;
    look(&browser, "exports").await;
    let today = comptoir::time::now().date().to_string();
    browser.fill("Premier jour", &today).await;
    browser.fill("Dernier jour", &today).await;
    browser.fill("SIREN (pour le FEC)", "").await;
    browser.click_button("Télécharger le FEC").await;
    // no SIREN: the form again, its error beside the field
    look(&browser, "exports-error").await;
    assert!(browser
        .text()
        .await
        .contains("Saisissez le SIREN : neuf chiffres"));
    let cookie = browser.session_cookie().await;
    let fec = app
        .send(
            "GET",
            &format!(
                "/treasury/{}/exports/download?format=fec&from={today}&to={today}&siren=732829320",
                demo.association
            ),
            None,
            &[("Cookie", cookie.as_str())],
            None,
        )
        .await;
    assert_eq!(fec.status, 200);
    let fec = String::from_utf8(fec.body).expect("text");
    assert!(fec.starts_with("JournalCode|"), "{fec}");
    assert!(
        fec.contains("RF38LEM000000001"),
        "the top-up is in the FEC: {fec}"
    );

    // the member's wallet, found by address, frozen (the API then shows it frozen) and
    // active again
    browser.click_link("Portefeuilles").await;
    look(&browser, "wallets").await;
    browser
        .fill("Nom, adresse e-mail ou entreprise", demo.consumers[0])
        .await;
    browser.click_button("Rechercher").await;
    look(&browser, "wallets-found").await;
    let found = browser.text().await;
    assert!(found.contains(demo.consumers[0]), "{found}");
    assert!(!found.contains(demo.consumers[1]), "{found}");
    browser
        .click_button_starting("Geler le portefeuille de")
        .await;
    look(&browser, "wallet-frozen").await;
    assert!(browser.text().await.contains("Le portefeuille est gelé."));
    assert_eq!(lem_wallet(&app, &member).await["status"], "frozen");
    browser
        .click_button_starting("Dégeler le portefeuille de")
        .await;
    look(&browser, "wallet-active").await;
    assert!(browser
        .text()
        .await
        .contains("Le portefeuille est de nouveau actif."));

    // the ledger's audit, run from the page
    browser.click_link("Audit du grand livre").await;
    look(&browser, "verify").await;
    browser.click_button("Lancer l'audit").await;
    look(&browser, "verify-report").await;
    let report = browser.text().await;
    assert!(
        report.contains("Tout est en ordre : le grand livre est intact."),
        "{report}"
    );

    // the last thirty days closed, after saying what closing means
    browser.click_link("Périodes comptables").await;
    look(&browser, "periods").await;
    let from = (comptoir::time::now().date() - chrono::Duration::days(30)).to_string();
    let to = (comptoir::time::now().date() - chrono::Duration::days(1)).to_string();
    browser.fill("Premier jour", &from).await;
    browser.fill("Dernier jour", &to).await;
    browser.click_button("Continuer").await;
    look(&browser, "period-confirm").await;
    browser.click_button("Clôturer la période").await;
    look(&browser, "period-closed").await;
    let closed = browser.text().await;
    assert!(closed.contains("La période est clôturée."), "{closed}");
    assert!(closed.contains(&to), "{closed}");

    let lem = lem_wallet(&app, &member).await;
    assert_eq!(lem["status"], "active", "{lem}");
    assert_eq!(lem["balance"]["amount"], "20.00", "{lem}");
}

/// The member's Lem wallet as the API shows it.
async fn lem_wallet(app: &TestApp, member: &str) -> serde_json::Value {
    let wallet = app
        .call("GET", "/api/v1/me/accounts", Some(member), None)
        .await
        .json();
    wallet
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["currency"] == "LEM")
        .expect("a LEM wallet")
        .clone()
}
