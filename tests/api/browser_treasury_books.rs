//! The treasurer's walk through the payouts and the chart of accounts in a real Chromium: a
//! business reconverted Lem (through the API); the treasurer reads what is owed, records a
//! payout without its reference (refused beside the field), then with it; opens the chart of
//! accounts, changes a label, then asks to reset it. Every page checked with axe-core (no
//! serious or critical violation) and photographed (`target/screenshots/treasury-books-…`).
//! With JavaScript and without, on SQLite and PostgreSQL.

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};

crate::browser::walks!(treasurer_books_walk);

/// Checks the page with axe and photographs it.
async fn look(browser: &Browser, name: &str) {
    browser.check_accessibility().await;
    browser.screenshot(&format!("treasury-books-{name}")).await;
}

async fn treasurer_books_walk(backend: Backend, js: bool) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_bare_demo(backend).await;
    let (_, due) = crate::web_treasury_payouts::reconverted(&app).await;

    // a treasurer's laptop. On the phone-sized browser, WebDriver's click on the chart's save
    // button (at the end of a long form) did not submit it while a script's click did: its
    // emulated screen is shorter than its window, the likely cause
    let browser = Browser::desktop(js).await;
    browser.sign_in(&app.url("/login"), demo.treasurer).await;
    browser
        .goto(&app.url(&format!("/treasury/{}", demo.association)))
        .await;
    browser.click_link("Versements").await;
    look(&browser, "payouts").await;
    let page = browser.text().await;
    assert!(page.contains("Ferme des Trois Chênes"), "{page}");
    browser
        .fill("Montant versé à Ferme des Trois Chênes", "2,00")
        .await;
    browser
        .click_button("Enregistrer le versement à Ferme des Trois Chênes")
        .await;
    look(&browser, "payouts-error").await;
    assert!(browser
        .text()
        .await
        .contains("Saisissez la référence du versement"));
    browser
        .fill("Référence du versement", "VIR-2026-0042")
        .await;
    browser
        .click_button("Enregistrer le versement à Ferme des Trois Chênes")
        .await;
    look(&browser, "payouts-paid").await;
    let page = browser.text().await;
    assert!(page.contains("Le versement est enregistré"), "{page}");
    assert!(page.contains("VIR-2026-0042"), "{page}");
    let rest = format!("{:.2}", due - rust_decimal::Decimal::TWO).replace('.', ",");
    assert!(page.contains(&rest), "{rest} still owed: {page}");

    browser.click_link("Plan comptable").await;
    look(&browser, "chart").await;
    browser
        .fill(
            "Libellé : Fonds de garantie",
            "Banque - fonds de garantie du Lem",
        )
        .await;
    browser.click_button("Enregistrer le plan comptable").await;
    let page = browser.text().await;
    assert!(page.contains("Le plan comptable est enregistré"), "{page}");
    look(&browser, "chart-saved").await;
    browser
        .click_button("Revenir aux valeurs par défaut du pays")
        .await;
    browser.check_accessibility().await;
    assert!(browser
        .text()
        .await
        .contains("Revenir au plan comptable par défaut ?"));
    browser
        .click_button("Oui, revenir aux valeurs par défaut")
        .await;
    look(&browser, "chart-reset").await;
    assert!(browser
        .text()
        .await
        .contains("Le plan comptable est revenu aux valeurs par défaut du pays"));
    let token = app.access_token(demo.treasurer).await;
    let chart = app
        .call("GET", "/api/v1/accounting/chart", Some(&token), None)
        .await
        .json();
    let fund = chart["account"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["kind"] == "guarantee_fund")
        .cloned()
        .expect("the fund's rule");
    assert_eq!(fund["label"], "Banque - fonds de garantie", "{fund}");
}
