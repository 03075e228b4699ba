//! Delivery addresses over HTTP, on both backends: required by a delivery at checkout (and
//! checked field by field), ignored by a pickup, snapshotted on the order and shown in its
//! view, the delivery list (JSON and CSV) and the mails; the address book (its owner only, its
//! cap); in the person's export and gone after the erasure.

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::{order_addresses, user_addresses, users};

use crate::backend_tests;
use crate::harness::{Backend, TestApp};
use crate::support::{
    address, authed, created, hub_owner_token, key, mails_to, new_customer, shop, Shop,
};

backend_tests!(
    a_delivery_needs_a_valid_address_and_a_pickup_ignores_it,
    a_delivered_orders_address_is_in_its_view_the_delivery_list_and_the_mails,
    a_saved_address_serves_a_second_checkout_and_another_persons_is_unknown,
    the_address_book_is_the_callers_own_and_capped,
    a_swiss_address_defaults_to_switzerland,
    addresses_are_exported_and_gone_after_erasure,
);

const CARROTS: &str = "FERME-CAR-1KG";

/// Fills `token`'s cart with one bag of carrots.
async fn fill_cart(app: &TestApp, shop: &Shop, token: &str) {
    let lines = json!({"lines": [{"variant_id": shop.variant[CARROTS], "quantity": 1}]});
    let path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let cart = authed(app, "PUT", &path, token, None, &lines).await;
    assert_eq!(cart.status, 200, "{}", cart.json());
}

async fn checkout(app: &TestApp, shop: &Shop, token: &str, body: &Value) -> crate::harness::Reply {
    let path = format!("/api/v1/order-cycles/{}/checkout", shop.cycle);
    authed(app, "POST", &path, token, Some(&key()), body).await
}

fn bike(shop: &Shop) -> &str {
    &shop.method["Livraison à vélo"]
}

fn pickup(shop: &Shop) -> &str {
    &shop.method["Local de la Cagette"]
}

/// The fields of the first error of a 422.
fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_string())
        .collect()
}

fn order_address_rows(app: &TestApp, order_id: &str) -> i64 {
    let conn = &mut app.db.db.conn().expect("conn");
    order_addresses::table
        .filter(order_addresses::order_id.eq(order_id))
        .count()
        .get_result(conn.diesel())
        .expect("count")
}

async fn a_delivery_needs_a_valid_address_and_a_pickup_ignores_it(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let shop = shop(&app).await;
    fill_cart(&app, &shop, &camille).await;

    let none = checkout(
        &app,
        &shop,
        &camille,
        &json!({"shipping_method_id": bike(&shop)}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(fields(&none), ["address"]);
    assert_eq!(none["errors"][0]["code"], "required");

    let mut corsica = address();
    corsica["postcode"] = "2A004".into();
    let bad = checkout(
        &app,
        &shop,
        &camille,
        &json!({"shipping_method_id": bike(&shop), "address": corsica}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(fields(&bad), ["address.postcode"], "{bad}");

    // every bad field at once, each by its name
    let worse = json!({"name": " ", "line1": "3 rue des Lilas", "postcode": "96000",
                       "city": "Lyon", "phone": "call me", "country": "XX"});
    let bad = checkout(
        &app,
        &shop,
        &camille,
        &json!({"shipping_method_id": bike(&shop), "address": worse}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(
        fields(&bad),
        ["address.name", "address.country", "address.phone"],
        "{bad}"
    );

    let both = checkout(
        &app,
        &shop,
        &camille,
        &json!({"shipping_method_id": bike(&shop), "address": address(), "address_id": "x"}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(fields(&both), ["address_id"]);

    // an unknown field of the address is refused by name
    let mut extra = address();
    extra["floor"] = "2".into();
    let unknown = checkout(
        &app,
        &shop,
        &camille,
        &json!({"shipping_method_id": bike(&shop), "address": extra}),
    )
    .await
    .problem(422, "validation");
    assert!(fields(&unknown)[0].starts_with("address"), "{unknown}");

    // a pickup ignores the address, even a bad one, and stores nothing
    let placed = checkout(
        &app,
        &shop,
        &camille,
        &json!({"shipping_method_id": pickup(&shop), "address": corsica, "save_address": true}),
    )
    .await;
    let order = created(placed);
    assert_eq!(order["delivery_address"], Value::Null);
    let id = order["id"].as_str().expect("id");
    assert_eq!(order_address_rows(&app, id), 0);
    let book = app
        .call("GET", "/api/v1/me/addresses", Some(&camille), None)
        .await
        .json();
    assert_eq!(book, json!([]));
}

async fn a_delivered_orders_address_is_in_its_view_the_delivery_list_and_the_mails(
    backend: Backend,
) {
    let app = TestApp::with_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let shop = shop(&app).await;
    fill_cart(&app, &shop, &camille).await;
    let order = created(
        checkout(
            &app,
            &shop,
            &camille,
            &json!({"shipping_method_id": bike(&shop), "address": address()}),
        )
        .await,
    );
    let expected = json!({"name": "Camille Fèvre", "line1": "3 rue des Lilas",
        "line2": "Bâtiment B", "postcode": "69004", "city": "Lyon", "country": "FR",
        "phone": "0612345678", "note": "Code 1234"});
    assert_eq!(order["delivery_address"], expected);
    let id = order["id"].as_str().expect("id").to_string();
    let number = order["number"].as_str().expect("number").to_string();

    // the order's view, for its customer and for the hub
    let seen = app
        .call("GET", &format!("/api/v1/orders/{id}"), Some(&camille), None)
        .await
        .json();
    assert_eq!(seen["delivery_address"], expected);
    let manager = hub_owner_token(&app).await;
    let listed = app
        .call(
            "GET",
            &format!("/api/v1/order-cycles/{}/orders", shop.cycle),
            Some(&manager),
            None,
        )
        .await
        .json();
    let listed = listed
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["id"] == id.as_str())
        .expect("listed")
        .clone();
    assert_eq!(listed["delivery_address"], expected);

    // the delivery list, as JSON
    let report_path = format!("/api/v1/order-cycles/{}/reports/delivery_list", shop.cycle);
    let report = app
        .call("GET", &report_path, Some(&manager), None)
        .await
        .json();
    let columns: Vec<&str> = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c.as_str().expect("column"))
        .collect();
    let row = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r[0] == number.as_str())
        .expect("the order's row")
        .clone();
    let cell = |name: &str| {
        let at = columns.iter().position(|c| *c == name).expect(name);
        row[at].as_str().expect("text").to_string()
    };
    assert_eq!(cell("kind"), "delivery");
    assert_eq!(cell("address"), "3 rue des Lilas, Bâtiment B, 69004 Lyon");
    assert_eq!(cell("delivery_name"), "Camille Fèvre");
    assert_eq!(cell("delivery_line1"), "3 rue des Lilas");
    assert_eq!(cell("delivery_line2"), "Bâtiment B");
    assert_eq!(cell("delivery_postcode"), "69004");
    assert_eq!(cell("delivery_city"), "Lyon");
    assert_eq!(cell("delivery_country"), "FR");
    assert_eq!(cell("delivery_phone"), "0612345678");
    assert_eq!(cell("delivery_note"), "Code 1234");

    // the delivery list, as CSV: the same cells
    let csv = app
        .call(
            "GET",
            &format!("{report_path}?format=csv"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    let mut reader = csv::Reader::from_reader(csv.body.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header, columns);
    let record = reader
        .records()
        .map(|r| r.expect("record"))
        .find(|r| &r[0] == number.as_str())
        .expect("the order's line");
    let at = |name: &str| header.iter().position(|c| c == name).expect(name);
    assert_eq!(&record[at("delivery_postcode")], "69004");
    assert_eq!(&record[at("delivery_phone")], "0612345678");
    assert_eq!(&record[at("delivery_note")], "Code 1234");

    // the hub's notice and the customer's confirmation carry it
    let to_hub = mails_to(&app, "bonjour@lacagette.example.org", "order_new_for_hub");
    let notice = to_hub
        .iter()
        .find(|m| m["order_number"] == number.as_str())
        .expect("the hub's mail");
    assert_eq!(notice["delivery_address"], expected);
    let confirmation = mails_to(&app, "camille@example.org", "order_confirmation");
    let confirmation = confirmation
        .iter()
        .find(|m| m["order_number"] == number.as_str())
        .expect("the confirmation");
    assert_eq!(confirmation["delivery_address"], expected);
    // and they render, in each language
    let templates =
        comptoir::mail::templates::Templates::new(None, comptoir::mail::format::Locale::Fr);
    for locale in ["fr", "de", "en"] {
        let mut values = notice.clone();
        values["app_url"] = "https://comptoir.example.org".into();
        let rendered = templates
            .render("order_new_for_hub", locale, &values)
            .expect("renders");
        assert!(
            rendered
                .text
                .contains("3 rue des Lilas, Bâtiment B, 69004 Lyon"),
            "{}",
            rendered.text
        );
        assert!(rendered.text.contains("0612345678"));
        assert!(rendered.html.contains("Code 1234"));
    }
}

async fn a_saved_address_serves_a_second_checkout_and_another_persons_is_unknown(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let yanis = app.access_token("yanis@example.org").await;
    let shop = shop(&app).await;
    fill_cart(&app, &shop, &camille).await;
    let first = created(
        checkout(
            &app,
            &shop,
            &camille,
            &json!({"shipping_method_id": bike(&shop), "address": address(), "save_address": true}),
        )
        .await,
    );
    let book = app
        .call("GET", "/api/v1/me/addresses", Some(&camille), None)
        .await
        .json();
    let saved = book.as_array().expect("book");
    assert_eq!(saved.len(), 1, "{book}");
    assert_eq!(saved[0]["postcode"], "69004");
    let saved_id = saved[0]["id"].as_str().expect("id").to_string();

    // a second checkout from the book
    fill_cart(&app, &shop, &camille).await;
    let second = created(
        checkout(
            &app,
            &shop,
            &camille,
            &json!({"shipping_method_id": bike(&shop), "address_id": saved_id}),
        )
        .await,
    );
    assert_eq!(second["delivery_address"], first["delivery_address"]);

    // editing the saved address does not change the orders delivered there
    let path = format!("/api/v1/me/addresses/{saved_id}");
    let edited = authed(
        &app,
        "PATCH",
        &path,
        &camille,
        None,
        &json!({"line1": "5 place Sathonay", "postcode": "69001"}),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.json());
    assert_eq!(edited.json()["line1"], "5 place Sathonay");
    let again = app
        .call(
            "GET",
            &format!("/api/v1/orders/{}", first["id"].as_str().expect("id")),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(again["delivery_address"]["line1"], "3 rue des Lilas");
    assert_eq!(again["delivery_address"]["postcode"], "69004");

    // Camille's address is unknown to Yanis: refused as an unknown one, nothing told
    fill_cart(&app, &shop, &yanis).await;
    for id in [saved_id.as_str(), "no-such-address"] {
        let refused = checkout(
            &app,
            &shop,
            &yanis,
            &json!({"shipping_method_id": bike(&shop), "address_id": id}),
        )
        .await
        .problem(422, "validation");
        assert_eq!(fields(&refused), ["address_id"]);
        assert_eq!(refused["errors"][0]["code"], "unknown");
    }
    // an address saved twice is kept once
    fill_cart(&app, &shop, &camille).await;
    let mut same = edited.json();
    for k in ["id", "created_at", "updated_at"] {
        same.as_object_mut().expect("object").remove(k);
    }
    created(
        checkout(
            &app,
            &shop,
            &camille,
            &json!({"shipping_method_id": bike(&shop), "address": same, "save_address": true}),
        )
        .await,
    );
    let book = app
        .call("GET", "/api/v1/me/addresses", Some(&camille), None)
        .await
        .json();
    assert_eq!(book.as_array().map(Vec::len), Some(1), "{book}");
}

async fn the_address_book_is_the_callers_own_and_capped(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let yanis = app.access_token("yanis@example.org").await;
    let book = "/api/v1/me/addresses";

    let first = authed(&app, "POST", book, &camille, None, &address()).await;
    assert_eq!(first.status, 201, "{}", first.json());
    let first = first.json();
    assert_eq!(first["country"], "FR");
    assert_eq!(first["phone"], "0612345678");
    let id = first["id"].as_str().expect("id").to_string();
    // the same address again: answered, not added
    let again = authed(&app, "POST", book, &camille, None, &address()).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], id.as_str());

    // a bad field, by its name
    let mut bad = address();
    bad["postcode"] = "6900".into();
    let refused = authed(&app, "POST", book, &camille, None, &bad)
        .await
        .problem(422, "validation");
    assert_eq!(fields(&refused), ["postcode"]);
    let path = format!("{book}/{id}");
    let refused = authed(
        &app,
        "PATCH",
        &path,
        &camille,
        None,
        &json!({"phone": "12"}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(fields(&refused), ["phone"]);
    // an empty line2 removes it
    let edited = authed(
        &app,
        "PATCH",
        &path,
        &camille,
        None,
        &json!({"line2": "", "city": "Lyon 4e"}),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.json());
    assert_eq!(edited.json()["line2"], Value::Null);
    assert_eq!(edited.json()["city"], "Lyon 4e");

    // another person's address is not found, whatever they try
    authed(
        &app,
        "PATCH",
        &path,
        &yanis,
        None,
        &json!({"city": "Paris"}),
    )
    .await
    .problem(404, "not-found");
    app.call("DELETE", &path, Some(&yanis), None)
        .await
        .problem(404, "not-found");
    let theirs = app.call("GET", book, Some(&yanis), None).await.json();
    assert_eq!(theirs, json!([]));

    // an API key may read the book, not change it
    let api_key = created(
        app.call(
            "POST",
            "/api/v1/me/api-keys",
            Some(&camille),
            Some(&json!({"name": "sync", "scopes": ["read"], "expires_in_days": 1})),
        )
        .await,
    )["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let read = app.call("GET", book, Some(&api_key), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json().as_array().map(Vec::len), Some(1));
    authed(&app, "POST", book, &api_key, None, &address())
        .await
        .problem(403, "forbidden");

    // at most 20
    let max = comptoir::orders::addresses::MAX_SAVED;
    for n in 1..max {
        let mut other = address();
        other["line1"] = format!("{n} rue des Lilas").into();
        let added = authed(&app, "POST", book, &camille, None, &other).await;
        assert_eq!(added.status, 201, "{}", added.json());
    }
    let mut one_more = address();
    one_more["line1"] = "100 rue des Lilas".into();
    let full = authed(&app, "POST", book, &camille, None, &one_more)
        .await
        .problem(409, "conflict");
    assert!(
        full["detail"]
            .as_str()
            .is_some_and(|d| d.contains("20 saved addresses")),
        "{full}"
    );
    // a checkout may not save one more either
    let shop = shop(&app).await;
    fill_cart(&app, &shop, &camille).await;
    let refused = checkout(
        &app,
        &shop,
        &camille,
        &json!({"shipping_method_id": bike(&shop), "address": one_more, "save_address": true}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(fields(&refused), ["save_address"]);

    // deleting makes room; deleting twice is not found
    let deleted = app.call("DELETE", &path, Some(&camille), None).await;
    assert_eq!(deleted.status, 204);
    app.call("DELETE", &path, Some(&camille), None)
        .await
        .problem(404, "not-found");
    let added = authed(&app, "POST", book, &camille, None, &one_more).await;
    assert_eq!(added.status, 201, "{}", added.json());
    let listed = app.call("GET", book, Some(&camille), None).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(max as usize));
}

async fn a_swiss_address_defaults_to_switzerland(backend: Backend) {
    let app = TestApp::with_demo_of(backend, comptoir::demo::Demo::Switzerland).await;
    let lea = app.access_token("lea@example.org").await;
    let swiss = json!({"name": "Léa Rochat", "line1": "Rue de Bourg 3", "postcode": "1003",
                       "city": "Lausanne", "phone": "+41 21 123 45 67"});
    let saved = authed(&app, "POST", "/api/v1/me/addresses", &lea, None, &swiss).await;
    assert_eq!(saved.status, 201, "{}", saved.json());
    assert_eq!(saved.json()["country"], "CH");
    assert_eq!(saved.json()["phone"], "+41211234567");
    let mut french = swiss.clone();
    french["postcode"] = "75011".into();
    let refused = authed(&app, "POST", "/api/v1/me/addresses", &lea, None, &french)
        .await
        .problem(422, "validation");
    assert_eq!(fields(&refused), ["postcode"]);
    french["country"] = "FR".into();
    let saved = authed(&app, "POST", "/api/v1/me/addresses", &lea, None, &french).await;
    assert_eq!(saved.status, 201, "{}", saved.json());
}

async fn addresses_are_exported_and_gone_after_erasure(backend: Backend) {
    const PASSWORD: &str = "a long enough password";
    let app = TestApp::with_demo(backend).await;
    let member = {
        let conn = &mut app.db.db.conn().expect("conn");
        let id = new_customer(conn, 8);
        let hash = comptoir::auth::passwords::hash(PASSWORD).expect("hash");
        diesel::update(users::table.find(&id))
            .set(users::password_hash.eq(Some(hash)))
            .execute(conn.diesel())
            .expect("password");
        id
    };
    let token = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "buyer8@example.org", "password": PASSWORD}),
        )
        .await
        .json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let shop = shop(&app).await;
    fill_cart(&app, &shop, &token).await;
    let order = created(
        checkout(
            &app,
            &shop,
            &token,
            &json!({"shipping_method_id": bike(&shop), "address": address(), "save_address": true}),
        )
        .await,
    );
    let order_id = order["id"].as_str().expect("id").to_string();

    let data = app
        .call("GET", "/api/v1/me/data", Some(&token), None)
        .await
        .json();
    assert_eq!(data["addresses"][0]["line1"], "3 rue des Lilas", "{data}");
    assert_eq!(data["orders"][0]["delivery_address"]["postcode"], "69004");

    // the open order blocks the erasure; cancelled, it does not
    let cancel = authed(
        &app,
        "POST",
        &format!("/api/v1/orders/{order_id}/cancel"),
        &token,
        Some(&key()),
        &json!({"reason": "moving"}),
    )
    .await;
    assert_eq!(cancel.status, 200, "{}", cancel.json());
    let erased = app
        .call(
            "POST",
            "/api/v1/me/erasure",
            Some(&token),
            Some(&json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.json());

    let saved: i64 = {
        let conn = &mut app.db.db.conn().expect("conn");
        user_addresses::table
            .filter(user_addresses::user_id.eq(&member))
            .count()
            .get_result(conn.diesel())
            .expect("count")
    };
    assert_eq!(saved, 0);
    assert_eq!(order_address_rows(&app, &order_id), 0);
    // the order stays, for the hub's accounts, without where it went
    let manager = hub_owner_token(&app).await;
    let kept = app
        .call(
            "GET",
            &format!("/api/v1/orders/{order_id}"),
            Some(&manager),
            None,
        )
        .await
        .json();
    assert_eq!(kept["id"], order_id.as_str());
    assert_eq!(kept["delivery_address"], Value::Null);
}
