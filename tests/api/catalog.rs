//! The catalogue over HTTP: products and variants with authorization, CSV import and export,
//! browsing with search, filters, cursors and ETags, and the hub's offer.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, Reply, TestApp};

backend_tests!(
    producers_manage_their_own_catalogue_only,
    bad_variants_are_refused_field_by_field,
    a_mixed_file_is_refused_whole_with_every_bad_value,
    a_semicolon_file_with_bom_and_accents_imports_and_reimport_updates_by_sku,
    partial_import_keeps_the_good_rows_and_dry_run_keeps_nothing,
    export_then_import_round_trips,
    browsing_searches_filters_sorts_and_pages,
    etags_answer_not_modified_until_the_catalogue_changes,
    the_hub_offer_follows_permissions,
);

const FARM: &str = "ferme-des-trois-chenes";
const FARMER: &str = "ferme@troischenes.example.org";
const BAKER: &str = "fournil@colline.example.org";

async fn farm_id(app: &TestApp) -> String {
    app.get(&format!("/api/v1/enterprises/{FARM}")).await.json()["id"]
        .as_str()
        .expect("farm")
        .to_string()
}

fn variant(sku: &str, price: &str) -> Value {
    json!({
        "sku": sku,
        "display_name": "Botte",
        "unit": {"kind": "items", "value": 1, "name": "botte"},
        "price": price,
        "vat_rate": "5.5",
        "local_share_percent": 80,
        "stock": 12
    })
}

async fn import(app: &TestApp, token: &str, producer: &str, query: &str, csv: &[u8]) -> Reply {
    app.send(
        "POST",
        &format!("/api/v1/enterprises/{producer}/catalog/import{query}"),
        Some(token),
        &[],
        Some(("text/csv", csv.to_vec())),
    )
    .await
}

async fn export(app: &TestApp, token: &str, producer: &str) -> String {
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{producer}/catalog/export"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    String::from_utf8(reply.body).expect("UTF-8")
}

/// Every item of a listing, following `next` links.
async fn walk(app: &TestApp, first: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(path) = next {
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let page = page.json();
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        next = page["next"].as_str().map(str::to_string);
    }
    items
}

async fn producers_manage_their_own_catalogue_only(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let farmer = app.access_token(FARMER).await;
    let baker = app.access_token(BAKER).await;
    let farm = farm_id(&app).await;

    let created = app
        .call(
            "POST",
            &format!("/api/v1/enterprises/{farm}/products"),
            Some(&farmer),
            Some(
                &json!({"name": "Blettes", "category": "legumes", "description": "Vertes",
                "variants": [variant("FERME-BLE-BOT", "2.10")]}),
            ),
        )
        .await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let product = created.json();
    let product_id = product["id"].as_str().expect("id").to_string();
    let v = &product["variants"][0];
    assert_eq!(v["price"], json!({"amount": "2.10", "currency": "EUR"}));
    assert_eq!(v["vat_rate"], "5.5");
    assert_eq!(v["unit"]["label"], "1 botte");
    assert_eq!(v["local_share_percent"], 80);
    let variant_id = v["id"].as_str().expect("variant").to_string();

    // another producer's owner can neither add to, rename nor reprice the farm's products
    let other = [
        (
            "POST",
            format!("/api/v1/enterprises/{farm}/products"),
            json!({"name": "X", "category": "legumes", "variants": [variant("X-1", "1.00")]}),
        ),
        (
            "PATCH",
            format!("/api/v1/products/{product_id}"),
            json!({"name": "Volées"}),
        ),
        (
            "POST",
            format!("/api/v1/products/{product_id}/variants"),
            variant("X-2", "1.00"),
        ),
        (
            "PATCH",
            format!("/api/v1/variants/{variant_id}"),
            json!({"price": "0.01"}),
        ),
    ];
    for (method, path, body) in &other {
        app.call(method, path, Some(&baker), Some(body))
            .await
            .problem(403, "forbidden");
    }
    // the farmer can, and the price change shows in the public product
    let added = app
        .call(
            "POST",
            &format!("/api/v1/products/{product_id}/variants"),
            Some(&farmer),
            Some(&json!({"sku": "FERME-BLE-1KG", "display_name": "1 kg", "unit": {"kind": "weight", "value": 1000},
                "price": "3,40", "vat_rate": "5,5", "on_demand": true})),
        )
        .await;
    assert_eq!(
        added.status,
        201,
        "{}",
        String::from_utf8_lossy(&added.body)
    );
    assert_eq!(added.json()["on_demand"], true);
    let updated = app
        .call(
            "PATCH",
            &format!("/api/v1/variants/{variant_id}"),
            Some(&farmer),
            Some(&json!({"price": "2.30", "stock": 0})),
        )
        .await;
    assert_eq!(
        updated.status,
        200,
        "{}",
        String::from_utf8_lossy(&updated.body)
    );
    let updated = updated.json();
    assert_eq!(updated["price"]["amount"], "2.30");
    assert_eq!(updated["in_stock"], false);
    assert_eq!(updated["sku"], "FERME-BLE-BOT", "fields not sent are kept");
    // archiving takes the variant out of the public product
    let archived = app
        .call(
            "PATCH",
            &format!("/api/v1/variants/{variant_id}"),
            Some(&farmer),
            Some(&json!({"active": false})),
        )
        .await;
    assert_eq!(archived.json()["active"], false);
    let public = app
        .get(&format!("/api/v1/products/{product_id}"))
        .await
        .json();
    let skus: Vec<&str> = public["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["sku"].as_str().expect("sku"))
        .collect();
    assert_eq!(skus, ["FERME-BLE-1KG"]);
    // a duplicate SKU or product name is refused, naming the field
    let dup = app
        .call(
            "POST",
            &format!("/api/v1/products/{product_id}/variants"),
            Some(&farmer),
            Some(&variant("FERME-CAR-1KG", "1.00")),
        )
        .await
        .problem(422, "validation");
    assert_eq!(dup["errors"][0]["field"], "sku");
    assert_eq!(dup["errors"][0]["code"], "taken");
    let dup = app
        .call(
            "PATCH",
            &format!("/api/v1/products/{product_id}"),
            Some(&farmer),
            Some(&json!({"name": "Carottes"})),
        )
        .await
        .problem(422, "validation");
    assert_eq!(dup["errors"][0]["code"], "taken");

    // an API key with the catalog scope may manage the catalogue; a read key may not
    for (scope, expected) in [("catalog", 200), ("read", 403)] {
        let key = app
            .call(
                "POST",
                "/api/v1/me/api-keys",
                Some(&farmer),
                Some(&json!({"name": scope, "scopes": [scope], "expires_in_days": 1})),
            )
            .await
            .json()["secret"]
            .as_str()
            .expect("key")
            .to_string();
        let reply = app
            .call(
                "PATCH",
                &format!("/api/v1/variants/{variant_id}"),
                Some(&key),
                Some(&json!({"stock": 5})),
            )
            .await;
        assert_eq!(reply.status.as_u16(), expected, "{scope}");
    }
}

async fn bad_variants_are_refused_field_by_field(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let farmer = app.access_token(FARMER).await;
    let farm = farm_id(&app).await;
    let reply = app
        .call(
            "POST",
            &format!("/api/v1/enterprises/{farm}/products"),
            Some(&farmer),
            Some(&json!({"name": "", "category": "meubles", "variants": [{
                "sku": "a b", "display_name": "x", "unit": {"kind": "parsec", "value": 0},
                "price": "1.234", "vat_rate": "7", "local_share_percent": 120, "stock": -1
            }]})),
        )
        .await;
    let problem = reply.problem(422, "validation");
    let got: Vec<(String, String)> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("name", "invalid_length"),
        ("category", "unknown_category"),
        ("variants[0].sku", "invalid_sku"),
        ("variants[0].unit.kind", "invalid_choice"),
        ("variants[0].unit.value", "out_of_range"),
        ("variants[0].price", "too_many_decimals"),
        ("variants[0].vat_rate", "unknown_vat_rate"),
        ("variants[0].local_share_percent", "out_of_range"),
        ("variants[0].stock", "negative"),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect::<Vec<_>>()
    );
    // a price as a JSON number is refused: money travels as strings
    let reply = app
        .call(
            "POST",
            &format!("/api/v1/enterprises/{farm}/products"),
            Some(&farmer),
            Some(&json!({"name": "N", "category": "legumes", "variants": [{"price": 2.5}]})),
        )
        .await;
    assert_eq!(
        reply.status,
        422,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    // nothing was written
    let farm_products = walk(
        &app,
        &format!("/api/v1/enterprises/{FARM}/products?limit=200"),
    )
    .await;
    assert_eq!(farm_products.len(), 14, "the farm's 14 products");
}

const HEADER: &str = "sku,product,category,description,variant,unit_kind,unit_value,unit_name,price,vat_rate,local_share_percent,stock,active\n";

async fn a_mixed_file_is_refused_whole_with_every_bad_value(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let farmer = app.access_token(FARMER).await;
    let farm = farm_id(&app).await;
    let before = export(&app, &farmer, &farm).await;
    let csv = format!(
        "{HEADER}\
NEW-1,Navets,legumes,,1 kg,weight,1000,,2.40,5.5,100,10,yes\n\
NEW-2,Navets,legumes,,500 g,weight,five hundred,,1.30,5.5,100,10,yes\n\
FERME-CAR-1KG,Carottes,legumes,,1 kg,weight,1000,,2.999,5.5,100,10,yes\n\
NEW-3,Panais,tubercules,,1 kg,weight,1000,,3.10,8,100,-2,maybe\n\
NEW-1,Navets,legumes,,1 kg bis,weight,1000,,2.40,5.5,100,10,yes\n\
NEW-4,Céleri,legumes,,Pièce,items,1,pièce,2.00,5.5,100,on_demand,\n"
    );
    let reply = import(&app, &farmer, &farm, "", csv.as_bytes()).await;
    let problem = reply.problem(422, "validation");
    assert_eq!(
        problem["detail"],
        "4 of 6 rows are invalid: nothing was imported"
    );
    let got: Vec<(u64, String, String)> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("line"),
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String, String)> = [
        (3, "unit_value", "not_a_whole_number"),
        (4, "price", "too_many_decimals"),
        (5, "stock", "negative"),
        (5, "active", "invalid_choice"),
        (5, "category", "unknown_category"),
        (5, "vat_rate", "unknown_vat_rate"),
        (6, "sku", "duplicate"),
    ]
    .iter()
    .map(|(l, f, c)| (*l, f.to_string(), c.to_string()))
    .collect();
    let mut sorted_got = got.clone();
    sorted_got.sort();
    let mut sorted_want = want.clone();
    sorted_want.sort();
    assert_eq!(sorted_got, sorted_want, "{problem}");
    // every message says what is wrong in words
    for e in problem["errors"].as_array().expect("errors") {
        assert!(e["message"].as_str().is_some_and(|m| m.len() > 5), "{e}");
    }
    // nothing was written: the export is byte for byte the same
    assert_eq!(export(&app, &farmer, &farm).await, before);
    // a header with an unknown or a missing column is refused at line 1
    let reply = import(&app, &farmer, &farm, "", b"sku,product,colour\nA,B,red\n").await;
    let problem = reply.problem(422, "validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"colour") && fields.contains(&"price"),
        "{problem}"
    );
    assert!(problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["line"] == 1));
    // not CSV at all
    app.send(
        "POST",
        &format!("/api/v1/enterprises/{farm}/catalog/import"),
        Some(&farmer),
        &[],
        Some(("application/json", b"{}".to_vec())),
    )
    .await
    .problem(415, "unsupported-media-type");
}

async fn a_semicolon_file_with_bom_and_accents_imports_and_reimport_updates_by_sku(
    backend: Backend,
) {
    let app = TestApp::with_demo(backend).await;
    let farmer = app.access_token(FARMER).await;
    let farm = farm_id(&app).await;
    // as saved by a French spreadsheet: BOM, `;`, decimal commas, quoted `;` in a field
    let mut csv = b"\xEF\xBB\xBF".to_vec();
    csv.extend_from_slice(
        "SKU;Product;Category;Description;Variant;Unit_kind;Unit_value;Unit_name;Price;VAT_rate;Local_share_percent;Stock\r\n\
FERME-EPI-1;Épinards frais;legumes;\"Jeunes pousses; lavées\";Sachet de 500 g;weight;500;;3,20;5,5;100;25\r\n\
FERME-CEL-1;Céleri-rave;legumes;;La pièce;items;1;pièce;2,75;5,5;60;on_demand\r\n"
            .as_bytes(),
    );
    let reply = import(&app, &farmer, &farm, "", &csv).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let report = reply.json();
    assert_eq!(report["rows"], 2);
    assert_eq!(report["created"], 2);
    assert_eq!(report["updated"], 0);
    assert_eq!(report["written"], true);
    let items = walk(
        &app,
        &format!("/api/v1/products?producer={FARM}&q=epinards"),
    )
    .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["product"]["name"], "Épinards frais");
    assert_eq!(items[0]["product"]["description"], "Jeunes pousses; lavées");
    assert_eq!(items[0]["variant"]["price"]["amount"], "3.20");
    let celeri = walk(&app, &format!("/api/v1/products?producer={FARM}&q=CELERI")).await;
    assert_eq!(celeri[0]["variant"]["on_demand"], true);
    assert_eq!(celeri[0]["variant"]["local_share_percent"], 60);
    assert_eq!(celeri[0]["variant"]["unit"]["label"], "1 pièce");

    // re-import: same SKU, new price and stock → updated in place, no new variant
    let again = "sku;product;category;variant;unit_kind;unit_value;price;vat_rate;stock\n\
FERME-EPI-1;Épinards frais;legumes;Sachet de 500 g;weight;500;3,50;5,5;7\n\
FERME-CAR-1KG;Carottes;legumes;1 kg;weight;1000;2,95;5,5;80\n";
    let report = import(&app, &farmer, &farm, "", again.as_bytes())
        .await
        .json();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(2))
    );
    let items = walk(
        &app,
        &format!("/api/v1/products?producer={FARM}&q=epinards"),
    )
    .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["variant"]["price"]["amount"], "3.50");
    assert_eq!(items[0]["variant"]["stock_on_hand"], 7);
    assert_eq!(
        items[0]["product"]["description"], "Jeunes pousses; lavées",
        "a file without the description column keeps descriptions"
    );
    let carrots = walk(
        &app,
        &format!("/api/v1/products?producer={FARM}&q=carottes"),
    )
    .await;
    assert_eq!(carrots.len(), 1);
    assert_eq!(carrots[0]["variant"]["price"]["amount"], "2.95");
    // the baker cannot import into the farm's catalogue
    let baker = app.access_token(BAKER).await;
    import(&app, &baker, &farm, "", again.as_bytes())
        .await
        .problem(403, "forbidden");
}

async fn partial_import_keeps_the_good_rows_and_dry_run_keeps_nothing(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let farmer = app.access_token(FARMER).await;
    let farm = farm_id(&app).await;
    let csv = format!(
        "{HEADER}\
NEW-1,Navets,legumes,,1 kg,weight,1000,,2.40,5.5,100,10,yes\n\
NEW-2,Navets,legumes,,500 g,weight,500,,1.30,5.5,100,x,yes\n"
    );
    let dry = import(&app, &farmer, &farm, "?dry_run=true", csv.as_bytes()).await;
    assert_eq!(dry.status, 200);
    let dry = dry.json();
    assert_eq!(
        (dry["created"].as_u64(), dry["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(dry["written"], false);
    assert!(walk(&app, "/api/v1/products?q=navets").await.is_empty());

    let partial = import(&app, &farmer, &farm, "?partial=true", csv.as_bytes())
        .await
        .json();
    assert_eq!(partial["written"], true);
    assert_eq!(partial["errors"][0]["line"], 3);
    assert_eq!(partial["errors"][0]["field"], "stock");
    let navets = walk(&app, "/api/v1/products?q=navets").await;
    assert_eq!(navets.len(), 1);
    assert_eq!(navets[0]["variant"]["sku"], "NEW-1");
}

async fn export_then_import_round_trips(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let farmer = app.access_token(FARMER).await;
    let farm = farm_id(&app).await;
    let exported = export(&app, &farmer, &farm).await;
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines[0], HEADER.trim_end());
    assert_eq!(lines.len(), 1 + 16, "the farm's 16 variants");
    assert!(exported.contains("FERME-OEU-6,Œufs plein air,oeufs,Poules élevées en plein air,Boîte de 6,items,6,œufs,3.20,5.5,"));
    let report = import(&app, &farmer, &farm, "", exported.as_bytes())
        .await
        .json();
    assert_eq!(report["updated"], 16);
    assert_eq!(report["created"], 0);
    assert_eq!(
        export(&app, &farmer, &farm).await,
        exported,
        "a round trip changes nothing"
    );
}

async fn browsing_searches_filters_sorts_and_pages(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    // every active variant of the public catalogue, each once, across small pages
    let all = walk(&app, "/api/v1/products?limit=7").await;
    assert_eq!(all.len(), 30);
    let mut ids: Vec<&str> = all
        .iter()
        .map(|i| i["variant"]["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30);
    // by name: folded names in order
    let names: Vec<String> = all
        .iter()
        .map(|i| i["product"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names.first().map(String::as_str),
        Some("Baguette tradition")
    );
    // by price, both ways, across pages
    let cheap = walk(&app, "/api/v1/products?sort=price&limit=4").await;
    let prices: Vec<f64> = cheap
        .iter()
        .map(|i| {
            i["variant"]["price"]["amount"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    assert_eq!(cheap.len(), 30);
    let dear = walk(&app, "/api/v1/products?sort=-price&limit=4").await;
    assert_eq!(dear[0]["variant"]["sku"], "RUCH-HYD-75CL");
    assert_eq!(dear.len(), 30);
    // search ignores accents and case; every word must match
    let eggs = walk(&app, "/api/v1/products?q=OEUFS").await;
    assert_eq!(eggs.len(), 2);
    let miel = walk(&app, "/api/v1/products?q=miel%20chataignier").await;
    assert_eq!(miel.len(), 1);
    assert_eq!(miel[0]["variant"]["sku"], "RUCH-CHA-500");
    // filters: a category with its children, a producer, a local share, stock
    assert_eq!(walk(&app, "/api/v1/products?category=miel").await.len(), 4);
    let food = walk(&app, "/api/v1/products?category=alimentation")
        .await
        .len();
    assert!(food > 20, "sub-categories are included: {food}");
    assert_eq!(
        walk(&app, "/api/v1/products?producer=fournil-de-la-colline")
            .await
            .len(),
        7
    );
    let half = walk(&app, "/api/v1/products?min_local_share=100").await;
    assert!(half
        .iter()
        .all(|i| i["variant"]["local_share_percent"] == 100));
    assert_eq!(half.len(), 30 - 3);
    let in_stock = walk(&app, "/api/v1/products?in_stock=true").await;
    assert!(in_stock.iter().all(|i| i["variant"]["in_stock"] == true));
    // bad parameters are named
    let problem = app
        .get("/api/v1/products?sort=colour&limit=0&min_local_share=101&category=x&after=zz")
        .await
        .problem(422, "validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["sort", "limit", "after", "min_local_share", "category"]
    );
    // a cursor of one sort order is refused by another
    let first = app.get("/api/v1/products?limit=2").await.json();
    let next = first["next"]
        .as_str()
        .unwrap()
        .replace("limit=2", "limit=2&sort=price");
    app.get(&next).await.problem(422, "validation");
}

async fn etags_answer_not_modified_until_the_catalogue_changes(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let path = format!("/api/v1/products?producer={FARM}");
    let first = app.get(&path).await;
    let tag = first.header("etag").expect("an ETag");
    let again = app
        .send("GET", &path, None, &[("if-none-match", &tag)], None)
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag").as_deref(), Some(tag.as_str()));
    // a price change gives a new tag
    let farmer = app.access_token(FARMER).await;
    let variant = first.json()["items"][0]["variant"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call(
        "PATCH",
        &format!("/api/v1/variants/{variant}"),
        Some(&farmer),
        Some(&json!({"price": "9.99"})),
    )
    .await;
    let changed = app
        .send("GET", &path, None, &[("if-none-match", &tag)], None)
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(tag));
    // the producer's product list and a product carry tags too
    for p in [
        format!("/api/v1/enterprises/{FARM}/products"),
        "/api/v1/enterprises/la-cagette/offer".to_string(),
    ] {
        let r = app.get(&p).await;
        let t = r.header("etag").expect("etag");
        assert_eq!(
            app.send("GET", &p, None, &[("if-none-match", &t)], None)
                .await
                .status,
            304
        );
    }
}

async fn the_hub_offer_follows_permissions(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let offer = walk(&app, "/api/v1/enterprises/la-cagette/offer?limit=50").await;
    assert_eq!(offer.len(), 30, "the three producers granted the hub");
    // a producer that is not a hub has no offer
    app.get(&format!("/api/v1/enterprises/{FARM}/offer"))
        .await
        .problem(404, "not-found");

    let farmer = app.access_token(FARMER).await;
    let farm = farm_id(&app).await;
    let hub = app.get("/api/v1/enterprises/la-cagette").await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{farm}/permissions"),
            Some(&farmer),
            None,
        )
        .await
        .json();
    assert_eq!(listed[0]["hub_name"], "La Cagette du Quartier");
    // the upcoming cycle offers the farm's variants; revoking withdraws them from it
    let cycles = app
        .get("/api/v1/enterprises/la-cagette/order-cycles")
        .await
        .json();
    let upcoming = cycles["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "upcoming")
        .expect("an upcoming cycle")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let count_farm = |cycle: Value| {
        cycle["offer"]
            .as_array()
            .map(|o| {
                o.iter()
                    .filter(|x| x["producer_id"] == farm.as_str())
                    .count()
            })
            .unwrap_or(0)
    };
    let before = count_farm(
        app.get(&format!("/api/v1/order-cycles/{upcoming}"))
            .await
            .json(),
    );
    assert_eq!(before, 16);
    let open = app.open_cycle_id().await;
    let open_before = count_farm(
        app.get(&format!("/api/v1/order-cycles/{open}"))
            .await
            .json(),
    );
    let revoked = app
        .call(
            "DELETE",
            &format!("/api/v1/enterprises/{farm}/permissions/{hub}"),
            Some(&farmer),
            None,
        )
        .await;
    assert_eq!(
        revoked.status,
        200,
        "{}",
        String::from_utf8_lossy(&revoked.body)
    );
    assert_eq!(revoked.json()["removed_from_upcoming_cycles"], 16);
    assert_eq!(
        count_farm(
            app.get(&format!("/api/v1/order-cycles/{upcoming}"))
                .await
                .json()
        ),
        0
    );
    assert_eq!(
        count_farm(
            app.get(&format!("/api/v1/order-cycles/{open}"))
                .await
                .json()
        ),
        open_before,
        "an open cycle keeps what consumers may have ordered"
    );
    let offer = walk(&app, "/api/v1/enterprises/la-cagette/offer").await;
    assert_eq!(offer.len(), 30 - 16);
    assert!(offer.iter().all(|i| i["producer"]["slug"] != FARM));
    // granting again is not enough: the hub has not accepted the farm back yet
    let granted = app
        .call(
            "PUT",
            &format!("/api/v1/enterprises/{farm}/permissions/{hub}"),
            Some(&farmer),
            Some(&json!({})),
        )
        .await;
    assert_eq!(
        granted.status,
        200,
        "{}",
        String::from_utf8_lossy(&granted.body)
    );
    assert_eq!(granted.json()["can_add_to_order_cycles"], true);
    assert_eq!(granted.json()["hub_accepted_at"], Value::Null);
    assert_eq!(
        walk(&app, "/api/v1/enterprises/la-cagette/offer")
            .await
            .len(),
        30 - 16
    );
    // the farmer cannot accept for the hub; the hub's manager can
    app.call(
        "PUT",
        &format!("/api/v1/enterprises/{hub}/suppliers/{farm}"),
        Some(&farmer),
        None,
    )
    .await
    .problem(403, "forbidden");
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let accepted = app
        .call(
            "PUT",
            &format!("/api/v1/enterprises/{hub}/suppliers/{farm}"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(
        accepted.status,
        200,
        "{}",
        String::from_utf8_lossy(&accepted.body)
    );
    assert!(accepted.json()["hub_accepted_at"].is_string());
    assert_eq!(
        walk(&app, "/api/v1/enterprises/la-cagette/offer")
            .await
            .len(),
        30
    );
    // the hub may end it too
    let dropped = app
        .call(
            "DELETE",
            &format!("/api/v1/enterprises/{hub}/suppliers/{farm}"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(
        dropped.status,
        200,
        "{}",
        String::from_utf8_lossy(&dropped.body)
    );
    assert_eq!(
        walk(&app, "/api/v1/enterprises/la-cagette/offer")
            .await
            .len(),
        30 - 16
    );
    app.call(
        "PUT",
        &format!("/api/v1/enterprises/{hub}/suppliers/{farm}"),
        Some(&manager),
        None,
    )
    .await
    .problem(404, "not-found");
    // the hub's manager cannot grant itself a producer's products
    let baker_id = app
        .get("/api/v1/enterprises/fournil-de-la-colline")
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call(
        "PUT",
        &format!("/api/v1/enterprises/{baker_id}/permissions/{hub}"),
        Some(&manager),
        Some(&json!({})),
    )
    .await
    .problem(403, "forbidden");
    // a producer cannot be granted as a hub
    app.call(
        "PUT",
        &format!("/api/v1/enterprises/{farm}/permissions/{baker_id}"),
        Some(&farmer),
        Some(&json!({})),
    )
    .await
    .problem(422, "validation");
}
