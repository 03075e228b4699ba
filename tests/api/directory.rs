//! Public directory: currencies, enterprises, producers' catalogues; cursor pagination.

use diesel::prelude::*;
use serde_json::Value;

use comptoir::db::schema::enterprises;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};

backend_tests!(
    currencies_list_the_euro_and_the_lem,
    pagination_follows_next_links_to_the_end,
    kind_filter_includes_and_is_kept_in_next_links,
    enterprise_by_slug_or_id,
    hidden_enterprises_are_invisible,
    producer_catalogue_with_exact_prices,
);

async fn currencies_list_the_euro_and_the_lem(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let currencies = app.get("/api/v1/currencies").await.json();
    let association = app.get("/api/v1/enterprises/monnaie-lem").await.json();
    assert_eq!(currencies[0]["code"], "EUR");
    assert_eq!(currencies[0]["kind"], "fiat");
    assert_eq!(currencies[1]["code"], "LEM");
    assert_eq!(currencies[1]["kind"], "local");
    assert_eq!(currencies[1]["scale"], 2);
    assert_eq!(currencies[1]["parity_to_eur"], "1");
    assert_eq!(currencies[1]["issuer_id"], association["id"]);
}

async fn pagination_follows_next_links_to_the_end(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some("/api/v1/enterprises?limit=2".to_string());
    let mut pages = 0;
    while let Some(path) = next {
        let page = app.get(&path).await.json();
        let items = page["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .filter_map(|e| e["id"].as_str().map(str::to_string)),
        );
        next = page["next"].as_str().map(str::to_string);
        pages += 1;
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "pages overlap or are out of order");
    let all = app.get("/api/v1/enterprises").await.json();
    assert_eq!(all["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(all["next"], Value::Null);
}

async fn kind_filter_includes_and_is_kept_in_next_links(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let producers = app.get("/api/v1/enterprises?kind=producer").await.json();
    let slugs: Vec<&str> = producers["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["slug"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        slugs,
        [
            "ferme-des-trois-chenes",
            "fournil-de-la-colline",
            "rucher-du-val"
        ]
    );
    let first = app
        .get("/api/v1/enterprises?kind=producer&limit=1")
        .await
        .json();
    let next = first["next"].as_str().expect("a next link").to_string();
    assert!(
        next.starts_with("/api/v1/enterprises?")
            && next.contains("kind=producer")
            && next.contains("limit=1"),
        "{next}"
    );
    let second = app.get(&next).await.json();
    assert_eq!(second["items"][0]["slug"], "fournil-de-la-colline");
    let hubs = app.get("/api/v1/enterprises?kind=hub").await.json();
    assert_eq!(hubs["items"].as_array().map(Vec::len), Some(1));
}

async fn enterprise_by_slug_or_id(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let by_slug = app.get("/api/v1/enterprises/la-cagette").await.json();
    assert_eq!(by_slug["kind"], "hub");
    assert_eq!(by_slug["address"]["city"], "Lyon");
    let id = by_slug["id"].as_str().expect("id");
    assert!(
        uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 7),
        "ids are UUID v7"
    );
    let by_id = app.get(&format!("/api/v1/enterprises/{id}")).await.json();
    assert_eq!(by_id, by_slug);
    assert!(
        chrono::DateTime::parse_from_rfc3339(by_id["created_at"].as_str().unwrap_or_default())
            .is_ok()
    );
    app.get("/api/v1/enterprises/no-such-shop")
        .await
        .problem(404, "not-found");
}

async fn hidden_enterprises_are_invisible(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut conn = app.db.db.conn().expect("connection");
    let conn = &mut conn;
    let updated = diesel::update(enterprises::table.filter(enterprises::slug.eq("rucher-du-val")))
        .set(enterprises::visibility.eq("hidden"))
        .execute(conn.diesel())
        .expect("update");
    assert_eq!(updated, 1);
    app.get("/api/v1/enterprises/rucher-du-val")
        .await
        .problem(404, "not-found");
    app.get("/api/v1/enterprises/rucher-du-val/products")
        .await
        .problem(404, "not-found");
    let all = app.get("/api/v1/enterprises").await.json();
    assert!(all["items"]
        .as_array()
        .is_some_and(|a| a.len() == 4 && a.iter().all(|e| e["slug"] != "rucher-du-val")));
}

async fn producer_catalogue_with_exact_prices(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let page = app
        .get("/api/v1/enterprises/ferme-des-trois-chenes/products")
        .await
        .json();
    let products = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(products.len(), 14);
    let variants: usize = products
        .iter()
        .map(|p| p["variants"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(variants, 16);
    let eggs = products
        .iter()
        .find(|p| p["name"] == "Œufs plein air")
        .expect("eggs");
    assert_eq!(eggs["category"], "oeufs");
    let six = &eggs["variants"][0];
    assert_eq!(six["sku"], "FERME-OEU-6");
    assert_eq!(
        six["price"],
        serde_json::json!({"amount": "3.20", "currency": "EUR"})
    );
    assert_eq!(six["unit"]["label"], "6 œufs");
    assert_eq!(six["vat_rate"], "5.5");
    assert_eq!(six["in_stock"], true);
    let potatoes = products
        .iter()
        .find(|p| p["name"] == "Pommes de terre")
        .expect("potatoes");
    assert_eq!(potatoes["variants"][1]["unit"]["label"], "5 kg");
    // the bakery bakes to order
    let bakery = app
        .get("/api/v1/enterprises/fournil-de-la-colline/products?limit=1")
        .await
        .json();
    assert_eq!(bakery["items"][0]["variants"][0]["on_demand"], true);
    assert!(bakery["next"].is_string());
    // a hub has no catalogue of its own
    app.get("/api/v1/enterprises/la-cagette/products")
        .await
        .problem(404, "not-found");
}
