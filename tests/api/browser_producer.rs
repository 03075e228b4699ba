//! The producer's walk in a real Chromium: sign in, open the office from the header's
//! "Bureaux", add a product with its first variant, then import a CSV file with one bad
//! line — the check shows the line's error row and writes nothing —, correct the line in the
//! page, check again and import; the catalogue lists the new products. Every page on the way
//! checked with axe-core (no serious or critical violation) and photographed
//! (`target/screenshots/producer-…`); with JavaScript and without, on SQLite and PostgreSQL.
//! Then ([`background`]) an import longer than the page waits: its own page, running, read
//! again with its link until its report.

use fantoccini::Locator;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp};

const FARMER: &str = "ferme@troischenes.example.org";

crate::browser::walks!(producer_walk);

/// Checks the page with axe and photographs it.
async fn look(browser: &Browser, name: &str) {
    browser.check_accessibility().await;
    browser.screenshot(&format!("producer-{name}")).await;
}

const GOOD_LINE: &str = "FERME-BET-1KG;Betteraves;legumes;1 kg;weight;1000;2,40;5,5;50";
const BAD_LINE: &str = "FERME-BLE-BOT;Blettes;legumes;Botte;items;1;deux euros;5,5;20";
const FIXED_LINE: &str = "FERME-BLE-BOT;Blettes;legumes;Botte;items;1;2,00;5,5;20";
const HEADER: &str = "sku;product;category;variant;unit_kind;unit_value;price;vat_rate;stock";

async fn producer_walk(backend: Backend, js: bool) {
    let app = TestApp::with_bare_demo(backend).await;
    let browser = Browser::start(js).await;

    browser.sign_in(&app.url("/login"), FARMER).await;
    browser.click_link("Bureaux").await;
    look(&browser, "offices").await;
    browser
        .click_link("Catalogue et bureau de Ferme des Trois Chênes")
        .await;
    look(&browser, "home").await;

    // a product by hand
    browser.click_link("Ajouter un produit").await;
    look(&browser, "new-product").await;
    browser.fill("Nom du produit", "Navets").await;
    browser.fill("Catégorie", "Légumes").await;
    browser.fill("Référence (SKU)", "FERME-NAV-1KG").await;
    browser.fill("Nom de la variante", "1 kg").await;
    browser.fill("Quantité de l’unité", "1000").await;
    browser.fill("Prix TTC en EUR", "trois").await;
    browser.fill("Unités en stock", "30").await;
    browser.click_button("Ajouter ce produit").await;
    look(&browser, "new-product-refused").await;
    assert!(browser
        .text()
        .await
        .contains("Saisissez un prix en chiffres"));
    browser.fill("Prix TTC en EUR", "3,50").await;
    browser.click_button("Ajouter ce produit").await;
    look(&browser, "product").await;
    let text = browser.text().await;
    assert!(
        text.contains("Le produit est dans votre catalogue"),
        "{text}"
    );
    assert!(text.contains("3,50"), "{text}");

    // a CSV file with one bad line
    let dir = std::env::temp_dir().join(format!(
        "comptoir-producer-walk-{}",
        comptoir::time::new_id()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("catalogue.csv");
    std::fs::write(&file, format!("{HEADER}\n{GOOD_LINE}\n{BAD_LINE}\n")).expect("the file");
    browser.click_link("Importer un fichier CSV").await;
    look(&browser, "import").await;
    browser.choose_file("file", &file).await;
    browser.click_button("Vérifier le fichier").await;
    look(&browser, "import-refused").await;
    let text = browser.text().await;
    assert!(text.contains("Des lignes sont fausses"), "{text}");
    let row = browser
        .client()
        .find(Locator::XPath(
            "//table[contains(@class,'import-errors')]//tr[td[1]='3' and td[2]='price']",
        ))
        .await;
    assert!(row.is_ok(), "no error row for line 3, price: {text}");

    // corrected in the page, checked again, imported
    browser
        .fill(
            "Les lignes du fichier",
            &format!("{HEADER}\n{GOOD_LINE}\n{FIXED_LINE}\n"),
        )
        .await;
    browser.click_button("Vérifier le fichier").await;
    look(&browser, "import-checked").await;
    let text = browser.text().await;
    assert!(text.contains("Le fichier est juste"), "{text}");
    assert!(text.contains("2 lignes : 2 à créer"), "{text}");
    browser.click_button("Importer").await;
    look(&browser, "imported").await;
    assert!(browser.text().await.contains("Le catalogue est à jour"));

    browser.click_link("Catalogue").await;
    look(&browser, "catalogue").await;
    let text = browser.text().await;
    for name in ["Betteraves", "Blettes", "Navets", "Carottes"] {
        assert!(text.contains(name), "{name} not in the catalogue: {text}");
    }

    // its money: wallets, payment requests
    browser
        .goto(&app.url("/producer/ferme-des-trois-chenes/wallets"))
        .await;
    look(&browser, "wallets").await;
    browser.click_link("Demandes de paiement").await;
    look(&browser, "payment-requests").await;
    browser.click_link("À livrer").await;
    look(&browser, "deliveries").await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// An import longer than the page waits (`catalog.import_wait_seconds = 0` here, the
/// database's writes held so that it is seen running): the browser lands on the import's
/// page, which shows its progress and is read again with its link until the report.
mod background {
    use super::*;
    use crate::harness::TestDb;
    use crate::web_producer_import::{catalogue, Held};

    crate::browser::walks!(import_walk);

    async fn import_walk(backend: Backend, js: bool) {
        let app = TestApp::serve_with(TestDb::with_bare_demo(backend), |config| {
            config.catalog.import_wait_seconds = 0;
        })
        .await;
        let browser = Browser::start(js).await;
        browser.sign_in(&app.url("/login"), FARMER).await;
        let dir =
            std::env::temp_dir().join(format!("comptoir-import-walk-{}", comptoir::time::new_id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let file = dir.join("catalogue.csv");
        std::fs::write(&file, catalogue(1500)).expect("the file");
        browser
            .goto(&app.url("/producer/ferme-des-trois-chenes/import"))
            .await;
        browser.choose_file("file", &file).await;

        let mut held = Held::writes(&app);
        browser.click_button("Importer").await;
        // the file is sent, then the import's page loads
        shows(&browser, "0 lignes lues, environ 0 % du fichier.").await;
        let job = browser.current_url().await;
        assert!(
            job.contains("/producer/ferme-des-trois-chenes/import/"),
            "{job}"
        );
        look(&browser, "import-running").await;
        assert!(browser
            .text()
            .await
            .contains("Cette page ne se met pas à jour d’elle-même"));
        held.release();

        // read again with its link until the report
        let limit = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let text = loop {
            let text = browser.text().await;
            if text.contains("Le catalogue est à jour") {
                break text;
            }
            assert!(
                std::time::Instant::now() < limit,
                "the import did not end: {text}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            browser.click_link("Mettre à jour maintenant").await;
        };
        assert!(text.contains("1500 lignes : 1500 à créer"), "{text}");
        look(&browser, "import-finished").await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Waits until the page shows `words` (a page loading, or reloading itself), at most
    /// two minutes, and returns its text.
    async fn shows(browser: &Browser, words: &str) -> String {
        let limit = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let text = browser.text().await;
            if text.contains(words) {
                return text;
            }
            assert!(
                std::time::Instant::now() < limit,
                "the page does not show {words:?}: {text}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}
