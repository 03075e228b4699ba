//! The hub manager's walk in a real Chromium, over the French demo with one customer's order
//! (2 kg of carrots and a jar of honey, part paid in Lem): the office's home, the Thursday
//! cycle copied for the next week, ordering stopped with the settlement a day later, the
//! carrots weighed after the close, the euro payment recorded, a report read and downloaded
//! as CSV with the browser's session, then the cycle settled after its preview — the API and
//! `ledger verify` agreeing at the end. Every page checked with axe-core (no serious or
//! critical violation) and photographed (`target/screenshots/hub-…`). With JavaScript and
//! without, on SQLite and PostgreSQL.

use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::support::{funded_wallet, place_order, shop};

crate::browser::walks!(hub_manager_walk);

/// Checks the page with axe and photographs it.
async fn look(browser: &Browser, name: &str) {
    browser.check_accessibility().await;
    browser.screenshot(&format!("hub-{name}")).await;
}

async fn hub_manager_walk(backend: Backend, js: bool) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_bare_demo(backend).await;
    let shop = shop(&app).await;
    let camille = app.access_token(demo.consumers[0]).await;
    funded_wallet(&app, &camille, "30.00").await;
    let lines = json!({"lines": [
        {"variant_id": shop.variant[demo.skus[0]], "quantity": 2},
        {"variant_id": shop.variant[demo.skus[1]], "quantity": 1},
    ]});
    let order = place_order(&app, &shop, &camille, &lines, demo.pickup, "5.60").await;
    let order_path = format!("/api/v1/orders/{order}");
    let before = app
        .call("GET", &order_path, Some(&camille), None)
        .await
        .json();
    let number = before["number"].as_str().expect("number").to_string();

    let browser = Browser::start(js).await;
    browser.sign_in(&app.url("/login"), demo.hub_manager).await;
    browser.goto(&app.url("/office")).await;
    look(&browser, "offices").await;
    browser
        .click_link("Bureau du comptoir La Cagette du Quartier")
        .await;
    look(&browser, "home").await;

    // next week's cycle: a copy of this one
    browser.click_link("Distribution du jeudi").await;
    look(&browser, "cycle").await;
    browser.click_link("Copier ce cycle").await;
    look(&browser, "copy").await;
    browser
        .fill("Nom du cycle", "Distribution du jeudi suivant")
        .await;
    browser.click_button("Faire la copie").await;
    look(&browser, "copied").await;
    let copied = browser.current_url().await;
    assert!(!copied.contains(&shop.cycle), "a new cycle: {copied}");
    let cycles = app
        .call(
            "GET",
            "/api/v1/enterprises/la-cagette/order-cycles",
            None,
            None,
        )
        .await
        .json();
    assert_eq!(
        cycles["items"]
            .as_array()
            .expect("cycles")
            .iter()
            .filter(|c| c["copied_from_id"] == shop.cycle.as_str())
            .count(),
        1,
        "{cycles}"
    );

    // ordering stops; the settlement waits a day, so the hub can weigh first
    browser.click_link("Cycles de commande").await;
    browser.click_link("Distribution du jeudi").await;
    browser.click_link("Clôture et règlement").await;
    look(&browser, "close").await;
    assert!(browser
        .text()
        .await
        .contains("Ce que chaque producteur va recevoir"));
    browser
        .choose("Plus tard : arrêter les commandes maintenant, peser et enregistrer les paiements d’abord, puis régler à l’heure ci-dessous")
        .await;
    browser
        .click_button("Arrêter les commandes maintenant")
        .await;
    look(&browser, "closed").await;
    assert!(browser
        .text()
        .await
        .contains("Les commandes sont arrêtées."));

    // the carrots weighed: 2.1 kg; then the euros received
    browser.click_link("Commandes").await;
    look(&browser, "orders").await;
    browser.click_link(&number).await;
    look(&browser, "order").await;
    browser
        .fill("Quantité livrée (en unités de 1 kg)", "2,1")
        .await;
    browser.click_button("Enregistrer la quantité").await;
    look(&browser, "weighed").await;
    assert!(browser
        .text()
        .await
        .contains("La quantité livrée est enregistrée"));
    browser
        .click_button_starting("Enregistrer un paiement de")
        .await;
    look(&browser, "paid").await;
    assert!(browser
        .text()
        .await
        .contains("Le paiement en euros est enregistré."));
    let after = app
        .call("GET", &order_path, Some(&camille), None)
        .await
        .json();
    assert_ne!(after["total"], before["total"], "weighed: {after}");
    assert_eq!(after["payment"]["fiat_state"], "paid", "{after}");

    // a report, read here and downloaded with this browser's session
    browser.click_link("Rapports").await;
    look(&browser, "reports").await;
    browser.click_link("Totaux par fournisseur").await;
    look(&browser, "report").await;
    assert!(browser.text().await.contains("Ferme des Trois Chênes"));
    let cookie = browser.session_cookie().await;
    let csv = app
        .send(
            "GET",
            &format!(
                "/hub/la-cagette/cycles/{}/reports/supplier_totals.csv",
                shop.cycle
            ),
            None,
            &[("Cookie", cookie.as_str())],
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    let csv = String::from_utf8(csv.body).expect("text");
    assert!(csv.contains("Ferme des Trois Chênes"), "{csv}");

    // settled, after its preview
    browser.click_link("Clôture et règlement").await;
    browser.click_link("Régler maintenant…").await;
    look(&browser, "settle").await;
    browser.click_button("Oui, régler maintenant").await;
    look(&browser, "settled").await;
    let text = browser.text().await;
    assert!(text.contains("Ce que chaque producteur a reçu"), "{text}");
    let cycle = app
        .get(&format!("/api/v1/order-cycles/{}", shop.cycle))
        .await
        .json();
    assert_eq!(cycle["state"], "settled", "{cycle}");
    let conn = &mut app.db.db.conn().expect("conn");
    let verified = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert!(verified.ok(), "{verified}");
}
