//! My orders, page by page, over real HTTP on both backends: 20 a page, newest first, with
//! links to the older and the newer page, the same orders as the API's list, and a cursor
//! that is not one of mine refused.

use serde_json::json;

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{Page, Visitor};
use crate::support::{funded_wallet_in, place_order_in, shop_of};

backend_tests!(my_orders_page_by_page);

/// The order ids a list page links to, in its order.
fn listed(page: &Page) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = page.text.as_str();
    while let Some(at) = rest.find("<td><a href=\"/orders/") {
        rest = &rest[at + 21..];
        let end = rest.find('"').expect("the link's end");
        ids.push(rest[..end].to_string());
    }
    ids
}

/// The link of `rel` (`prev`, `next`) on a list page.
fn link(page: &Page, rel: &str) -> Option<String> {
    let marker = format!("\" rel=\"{rel}\"");
    let end = page.text.find(&marker)?;
    let start = page.text[..end].rfind("href=\"")? + 6;
    Some(crate::pages::unescape(&page.text[start..end]))
}

async fn my_orders_page_by_page(backend: Backend) {
    let demo = &FRENCH_DEMO;
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let shop = shop_of(&app, demo.hub).await;
    let token = app.access_token(demo.consumers[0]).await;
    funded_wallet_in(&app, demo, &token, "5.00").await;
    let one = json!({"lines": [{"variant_id": shop.variant[demo.skus[0]], "quantity": 1}]});
    let mut placed = Vec::new();
    for _ in 0..23 {
        placed.push(place_order_in(&app, demo, &shop, &token, &one, demo.pickup, "0.00").await);
    }
    placed.reverse(); // newest first
                      // the API's list, in the same order
    let api: Vec<String> = app
        .call("GET", "/api/v1/me/orders", Some(&token), None)
        .await
        .json()
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(api, placed);

    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    let first = visitor.get("/orders").await;
    first.ok();
    assert_eq!(listed(&first), placed[..20].to_vec());
    assert_eq!(link(&first, "prev"), None);
    let older = link(&first, "next").expect("a link to older orders");
    assert_eq!(older, format!("/orders?after={}", placed[19]));

    let second = visitor.get(&older).await;
    second.ok();
    assert_eq!(listed(&second), placed[20..].to_vec());
    assert_eq!(link(&second, "next"), None);
    let newer = link(&second, "prev").expect("a link to newer orders");
    assert_eq!(newer, format!("/orders?before={}", placed[20]));

    // back: the first page again, without a link to newer ones
    let back = visitor.get(&newer).await;
    back.ok();
    assert_eq!(listed(&back), placed[..20].to_vec());
    assert_eq!(link(&back, "prev"), None);
    assert_eq!(link(&back, "next"), Some(older.clone()));

    // a page in the middle has both links
    let middle = visitor.get(&format!("/orders?after={}", placed[1])).await;
    assert_eq!(listed(&middle), placed[2..22].to_vec());
    assert_eq!(
        link(&middle, "prev"),
        Some(format!("/orders?before={}", placed[2]))
    );
    assert_eq!(
        link(&middle, "next"),
        Some(format!("/orders?after={}", placed[21]))
    );
    let up = visitor.get(&format!("/orders?before={}", placed[2])).await;
    assert_eq!(listed(&up), placed[..2].to_vec());
    assert_eq!(link(&up, "prev"), None);

    // a cursor that is not one of mine, or not a cursor, is no page
    let other = app.access_token(demo.consumers[1]).await;
    funded_wallet_in(&app, demo, &other, "5.00").await;
    let theirs = place_order_in(&app, demo, &shop, &other, &one, demo.pickup, "0.00").await;
    assert_eq!(
        visitor.get(&format!("/orders?after={theirs}")).await.status,
        404
    );
    assert_eq!(visitor.get("/orders?before=nope").await.status, 404);
    // the other customer sees only their order
    let mut them = Visitor::new(&app);
    them.sign_in(demo.consumers[1]).await;
    let list = them.get("/orders").await;
    assert_eq!(listed(&list), vec![theirs]);
    assert_eq!(link(&list, "next"), None);
}
