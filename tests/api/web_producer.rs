//! The offices and the producer's office over real HTTP: `/office` lists the reader's
//! enterprises by kind; the catalogue's pages are the producer's people's alone (a consumer
//! and another producer's owner are refused); a product made and changed on the pages is
//! the API's; forms without the CSRF token are refused; a CSV import is checked (the error
//! table by line and column, nothing written), then imported; the export is the API's.

use crate::backend_tests;
use crate::harness::{Backend, Reply, TestApp};
use crate::pages::{unescape, Visitor};

backend_tests!(
    office_lists_the_readers_enterprises,
    the_catalogue_is_its_producers_people_alone,
    a_product_made_on_the_pages_is_the_apis,
    forms_without_their_token_are_refused,
    an_import_is_checked_then_written,
    wallets_and_payment_requests_with_their_codes
);

pub(crate) const FARM: &str = "ferme-des-trois-chenes";
pub(crate) const FARMER: &str = "ferme@troischenes.example.org";
pub(crate) const BAKER: &str = "fournil@colline.example.org";
const CONSUMER: &str = "camille@example.org";

pub(crate) async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Visitor<'a> {
    let mut visitor = Visitor::new(app);
    visitor.sign_in(email).await;
    visitor
}

async fn office_lists_the_readers_enterprises(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let mut farmer = signed_in(&app, FARMER).await;
    let home = farmer.get("/").await;
    assert!(home.ok().contains("href=\"/office\""), "{}", home.text);
    let office = farmer.get("/office").await;
    office.ok();
    assert!(office.shows(&format!("href=\"/producer/{FARM}\"")));
    assert!(!office.shows("/hub/"));

    // the treasurer works for the association and the hub: both offices are linked
    let mut treasurer = signed_in(&app, "tresorerie@lem.example.org").await;
    let office = treasurer.get("/office").await;
    office.ok();
    assert!(office.shows("href=\"/treasury/monnaie-lem\""));
    assert!(office.shows("href=\"/hub/la-cagette\""));

    // a consumer, member of the hub, has no office
    let mut consumer = signed_in(&app, CONSUMER).await;
    let home = consumer.get("/").await;
    assert!(!home.ok().contains("href=\"/office\""));
    let office = consumer.get("/office").await;
    office.ok();
    assert!(!office.shows("/hub/"));

    let mut nobody = Visitor::new(&app);
    assert_eq!(
        nobody.get("/office").await.location(),
        "/login?next=%2Foffice"
    );
}

async fn the_catalogue_is_its_producers_people_alone(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let base = format!("/producer/{FARM}");
    let mut nobody = Visitor::new(&app);
    assert!(nobody
        .get(&format!("{base}/products"))
        .await
        .location()
        .starts_with("/login?next="));
    for email in [CONSUMER, BAKER] {
        let mut visitor = signed_in(&app, email).await;
        for path in ["", "/products", "/products/new", "/import", "/export.csv"] {
            let page = visitor.get(&format!("{base}{path}")).await;
            assert_eq!(page.status, 403, "{email} {path}: {}", page.text);
        }
    }
    // a hub is no producer
    let mut manager = signed_in(&app, "gerance@lacagette.example.org").await;
    assert_eq!(manager.get("/producer/la-cagette").await.status, 404);

    // the farmer reads the catalogue, searches it, pages through it
    let mut farmer = signed_in(&app, FARMER).await;
    assert!(farmer.get(&base).await.ok().contains("/products/new"));
    let list = farmer.get(&format!("{base}/products")).await;
    assert!(list.shows("Carottes"), "{}", list.text);
    assert!(list.shows("FERME-CAR-1KG"));
    let found = farmer.get(&format!("{base}/products?q=CAROTTE")).await;
    assert!(found.shows("Carottes"));
    assert!(!found.shows("Poireaux"));
    let none = farmer.get(&format!("{base}/products?q=zzzz")).await;
    assert!(!none.ok().contains("FERME-"));
    // the baker's product is not the farmer's to open
    let products = app
        .get("/api/v1/products?producer=fournil-de-la-colline")
        .await
        .json();
    let product = products["items"][0]["product"]["id"]
        .as_str()
        .expect("a product of the baker")
        .to_string();
    let page = farmer.get(&format!("{base}/products/{product}")).await;
    assert_eq!(page.status, 404, "{}", page.text);
}

/// The id in `/producer/{slug}/products/{id}?…`.
fn product_id_in(location: &str) -> String {
    location
        .split("/products/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("a product's page")
        .to_string()
}

async fn a_product_made_on_the_pages_is_the_apis(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let base = format!("/producer/{FARM}");
    let mut farmer = signed_in(&app, FARMER).await;
    farmer.get(&format!("{base}/products/new")).await.ok();

    // refused: no name, a price in words; the values stay
    let refused = farmer
        .post(
            &format!("{base}/products/new"),
            &[
                ("name", ""),
                ("category", "legumes"),
                ("sku", "FERME-NAV-1KG"),
                ("display_name", "1 kg"),
                ("unit_kind", "weight"),
                ("unit_value", "1000"),
                ("price", "trois"),
                ("vat_rate", "5.5"),
                ("local_share_percent", "100"),
                ("stock_mode", "on_hand"),
                ("stock", "30"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("error-summary"));
    assert!(refused.text.contains("href=\"#name\""), "{}", refused.text);
    assert!(refused.text.contains("href=\"#price\""));
    assert_eq!(refused.input_value("sku").as_deref(), Some("FERME-NAV-1KG"));

    // a price with a comma, as typed in French
    let created = farmer
        .post(
            &format!("{base}/products/new"),
            &[
                ("name", "Navets"),
                ("category", "legumes"),
                ("description", "Navets de printemps"),
                ("sku", "FERME-NAV-1KG"),
                ("display_name", "1 kg"),
                ("unit_kind", "weight"),
                ("unit_value", "1000"),
                ("price", "3,50"),
                ("vat_rate", "5.5"),
                ("local_share_percent", "80"),
                ("stock_mode", "on_hand"),
                ("stock", "30"),
            ],
        )
        .await;
    let location = created.location();
    assert!(location.ends_with("?notice=created"), "{location}");
    let id = product_id_in(&location);
    let api = app.get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(api["name"], "Navets");
    assert_eq!(api["variants"][0]["price"]["amount"], "3.50", "{api}");
    assert_eq!(api["variants"][0]["local_share_percent"], 80);
    let variant = api["variants"][0]["id"].as_str().expect("id").to_string();
    let page = farmer.get(&location).await;
    assert!(page.shows("Navets"));

    // the variant changed: on demand, 3.80
    farmer.get(&format!("{base}/variants/{variant}")).await.ok();
    let changed = farmer
        .post(
            &format!("{base}/variants/{variant}"),
            &[
                ("sku", "FERME-NAV-1KG"),
                ("display_name", "1 kg"),
                ("unit_kind", "weight"),
                ("unit_value", "1000"),
                ("unit_name", ""),
                ("price", "3.80"),
                ("vat_rate", "5.5"),
                ("local_share_percent", "80"),
                ("stock_mode", "on_demand"),
                ("stock", ""),
            ],
        )
        .await;
    assert!(changed.location().ends_with("?notice=saved"));
    let api = app.get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(api["variants"][0]["price"]["amount"], "3.80", "{api}");
    assert_eq!(api["variants"][0]["on_demand"], true);

    // a bad stock is refused beside its field
    let refused = farmer
        .post(
            &format!("{base}/variants/{variant}"),
            &[
                ("sku", "FERME-NAV-1KG"),
                ("display_name", "1 kg"),
                ("unit_kind", "weight"),
                ("unit_value", "1000"),
                ("price", "3.80"),
                ("vat_rate", "5.5"),
                ("stock_mode", "on_hand"),
                ("stock", "-2"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.text.contains("id=\"stock-error\""),
        "{}",
        refused.text
    );

    // a second variant, then the first archived: the API offers the second alone
    farmer
        .get(&format!("{base}/products/{id}/variants/new"))
        .await
        .ok();
    let added = farmer
        .post(
            &format!("{base}/products/{id}/variants/new"),
            &[
                ("sku", "FERME-NAV-BOT"),
                ("display_name", "Botte"),
                ("unit_kind", "items"),
                ("unit_value", "1"),
                ("unit_name", "botte"),
                ("price", "2"),
                ("vat_rate", "5,5"),
                ("local_share_percent", "100"),
                ("stock_mode", "on_hand"),
                ("stock", "12"),
            ],
        )
        .await;
    assert!(added.location().ends_with("?notice=variant-added"));
    farmer.get(&format!("{base}/products/{id}")).await.ok();
    let archived = farmer
        .post(
            &format!("{base}/variants/{variant}/active"),
            &[("active", "no")],
        )
        .await;
    assert!(archived.location().ends_with("?notice=archived"));
    let api = app.get(&format!("/api/v1/products/{id}")).await.json();
    let skus: Vec<&str> = api["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .filter_map(|v| v["sku"].as_str())
        .collect();
    assert_eq!(skus, ["FERME-NAV-BOT"]);
    // the office still lists it, marked
    let page = farmer.get(&format!("{base}/products/{id}")).await;
    assert!(page.ok().contains("class=\"archived\""));

    // the product renamed
    let renamed = farmer
        .post(
            &format!("{base}/products/{id}"),
            &[
                ("name", "Navets nouveaux"),
                ("category", "legumes"),
                ("description", ""),
            ],
        )
        .await;
    assert!(renamed.location().ends_with("?notice=saved"));
    let api = app.get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(api["name"], "Navets nouveaux");
    // a name already taken is refused
    let taken = farmer
        .post(
            &format!("{base}/products/{id}"),
            &[("name", "Carottes"), ("category", "legumes")],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert!(taken.text.contains("href=\"#name\""));
}

async fn forms_without_their_token_are_refused(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let base = format!("/producer/{FARM}");
    let mut farmer = signed_in(&app, FARMER).await;
    farmer.get(&format!("{base}/products/new")).await.ok();
    let refused = farmer
        .post_raw(
            &format!("{base}/products/new"),
            &[("name", "Navets"), ("category", "legumes")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let forged = farmer
        .post_raw(
            &format!("{base}/products/new"),
            &[("_csrf", "0000"), ("name", "Navets")],
        )
        .await;
    assert_eq!(forged.status, 403);
    // an upload without its token too
    let reply = upload(&farmer, &base, "sku\n", "check", false).await;
    assert_eq!(reply.status.as_u16(), 403);
}

/// Posts `csv` to the import page as a browser does (`multipart/form-data`, the visitor's
/// cookies, its CSRF token unless `without_token`), following no redirect.
pub(crate) async fn upload(
    visitor: &Visitor<'_>,
    base: &str,
    csv: &str,
    mode: &str,
    with_token: bool,
) -> Reply {
    let boundary = "----comptoirtest7MA4YWxkTrZu0gW";
    let mut body = String::new();
    if with_token {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n",
            visitor.csrf.clone().unwrap_or_default()
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"catalogue.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n"
    ));
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\n{mode}\r\n--{boundary}--\r\n"
    ));
    visitor
        .send_body(
            "POST",
            &format!("{base}/import"),
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .await
}

/// The farm's catalogue as the API exports it.
pub(crate) async fn exported(app: &TestApp, token: &str) -> String {
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{FARM}/catalog/export"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    String::from_utf8_lossy(&reply.body).to_string()
}

pub(crate) const HEADER: &str =
    "sku,product,category,variant,unit_kind,unit_value,price,vat_rate,stock\n";

async fn an_import_is_checked_then_written(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let base = format!("/producer/{FARM}");
    let mut farmer = signed_in(&app, FARMER).await;
    let page = farmer.get(&format!("{base}/import")).await;
    assert!(page.ok().contains("enctype=\"multipart/form-data\""));
    let token = app.access_token(FARMER).await;
    let bad = format!(
        "{HEADER}FERME-BET-1KG,Betteraves,legumes,1 kg,weight,1000,\"2,40\",5.5,50\n\
         FERME-BLE-BOT,Blettes,legumes,Botte,items,1,deux euros,5.5,20\n"
    );
    // a check with one bad line: the table names line 3, column price; nothing written
    let reply = upload(&farmer, &base, &bad, "check", true).await;
    assert_eq!(reply.status.as_u16(), 422);
    let text = unescape(&String::from_utf8_lossy(&reply.body));
    assert!(
        text.contains("<td class=\"num\">3</td><td><code>price</code>"),
        "{text}"
    );
    assert!(!exported(&app, &token).await.contains("FERME-BET-1KG"));
    // imported as it is: refused, nothing written
    let reply = upload(&farmer, &base, &bad, "import", true).await;
    assert_eq!(reply.status.as_u16(), 422);
    assert!(!exported(&app, &token).await.contains("FERME-BET-1KG"));

    // fixed: the check passes and writes nothing, the import writes
    let good = bad.replace("deux euros", "2.00");
    let reply = upload(&farmer, &base, &good, "check", true).await;
    assert_eq!(
        reply.status.as_u16(),
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(!exported(&app, &token).await.contains("FERME-BET-1KG"));
    let reply = upload(&farmer, &base, &good, "import", true).await;
    assert_eq!(reply.status.as_u16(), 200);
    let exported = exported(&app, &token).await;
    assert!(exported.contains("FERME-BET-1KG") && exported.contains("FERME-BLE-BOT"));

    // the page's download is the API's export
    let download = farmer.get(&format!("{base}/export.csv")).await;
    assert_eq!(download.status, 200);
    assert!(download
        .reply
        .header("content-disposition")
        .is_some_and(|d| d.contains("attachment")));
    assert_eq!(download.text, exported);
    // no file: refused beside the field
    let reply = upload(&farmer, &base, "", "check", true).await;
    assert_eq!(reply.status.as_u16(), 422);
    assert!(String::from_utf8_lossy(&reply.body).contains("href=\"#file\""));
}

async fn wallets_and_payment_requests_with_their_codes(backend: Backend) {
    use crate::support::{authed, created, key};
    let app = TestApp::with_bare_demo(backend).await;
    let base = format!("/producer/{FARM}");
    let token = app.access_token(FARMER).await;
    let asked = created(
        authed(
            &app,
            "POST",
            &format!("/api/v1/enterprises/{FARM}/payment-requests"),
            &token,
            Some(&key()),
            &serde_json::json!({"currency": "LEM", "amount": {"amount": "12.50", "currency": "LEM"}, "label": "Panier du samedi"}),
        )
        .await,
    );
    let id = asked["id"].as_str().expect("id").to_string();
    let mut farmer = signed_in(&app, FARMER).await;
    let page = farmer.get(&format!("{base}/payment-requests")).await;
    page.ok();
    assert!(page.shows("Panier du samedi"));
    assert!(page.shows(&format!("{base}/payment-requests/{id}/qr.svg")));
    assert!(page.shows(&format!("/pay/{id}")));
    let qr = farmer
        .get(&format!("{base}/payment-requests/{id}/qr.svg"))
        .await;
    assert_eq!(qr.status, 200);
    assert!(qr.text.contains("<svg"));
    // another producer's path does not draw it
    let other = farmer
        .get(&format!(
            "/producer/fournil-de-la-colline/payment-requests/{id}/qr.svg"
        ))
        .await;
    assert!(
        other.status == 403 || other.status == 404,
        "{}",
        other.status
    );

    // what to deliver: nothing, then the carrots of an order in the hub's open cycle
    let deliveries = farmer.get(&format!("{base}/deliveries")).await;
    deliveries.ok();
    assert!(
        deliveries.shows("Aucune commande de vos produits"),
        "{}",
        deliveries.text
    );
    let camille = app.access_token(CONSUMER).await;
    crate::support::funded_wallet(&app, &camille, "50.00").await;
    let shop = crate::support::shop(&app).await;
    let lines = serde_json::json!({"lines": [
        {"variant_id": shop.variant["FERME-CAR-1KG"], "quantity": 2},
    ]});
    crate::support::place_order(&app, &shop, &camille, &lines, "Livraison à vélo", "5.00").await;
    let deliveries = farmer.get(&format!("{base}/deliveries")).await;
    deliveries.ok();
    assert!(deliveries.shows("La Cagette"), "{}", deliveries.text);
    assert!(deliveries.shows("Carottes"));
    assert!(deliveries.shows("5,60"), "{}", deliveries.text);
    assert_eq!(
        consumer_status(&app, &format!("{base}/deliveries")).await,
        403
    );

    let wallets = farmer.get(&format!("{base}/wallets")).await;
    assert!(wallets.ok().contains("LEM"), "{}", wallets.text);

    // a consumer reads neither
    let mut consumer = signed_in(&app, CONSUMER).await;
    assert_eq!(consumer.get(&format!("{base}/wallets")).await.status, 403);
    assert_eq!(
        consumer
            .get(&format!("{base}/payment-requests"))
            .await
            .status,
        403
    );
}

/// The status a consumer of the hub gets for `path`.
async fn consumer_status(app: &TestApp, path: &str) -> u16 {
    let mut consumer = signed_in(app, CONSUMER).await;
    consumer.get(path).await.status
}
