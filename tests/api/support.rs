//! What tests do as people would, shared by every module: a fresh key, an amount in LEM,
//! euros or francs, a created thing's JSON, the demo shop's variants and shipping methods, an order placed and a cycle closed
//! over HTTP, a funded wallet, the hub owner's token, customers written directly.

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::users;
use comptoir::db::{Db, DbConn};

use crate::harness::{DemoFacts, Reply, TestApp, TestDb, FRENCH_DEMO};

/// A fresh UUID v7: an `Idempotency-Key`, an entry id, any client-chosen id.
pub(crate) fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The command line as the audit trail names it: who the tests' library calls act as.
pub(crate) fn operator() -> comptoir::audit::Who {
    comptoir::audit::Who::command_line()
}

/// An amount in LEM, as the API takes it.
pub(crate) fn lem(amount: &str) -> Value {
    json!({"amount": amount, "currency": "LEM"})
}

/// An amount in euros, as the API takes it.
pub(crate) fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

/// An amount in Swiss francs, as the API takes it.
pub(crate) fn chf(amount: &str) -> Value {
    json!({"amount": amount, "currency": "CHF"})
}

/// A delivery address, as a checkout's `address` (French, valid on either demo: a country
/// other than the deployment's is allowed).
pub(crate) fn address() -> Value {
    json!({"name": "Camille Fèvre", "line1": "3 rue des Lilas", "line2": "Bâtiment B",
           "postcode": "69004", "city": "Lyon", "country": "FR", "phone": "06 12 34 56 78",
           "note": "Code 1234"})
}

/// [`address`] as the domain's input (for checkouts called through the library).
pub(crate) fn address_input() -> comptoir::orders::addresses::AddressInput {
    comptoir::orders::addresses::AddressInput {
        name: "Camille Fèvre".into(),
        line1: "3 rue des Lilas".into(),
        line2: None,
        postcode: "69004".into(),
        city: "Lyon".into(),
        country: Some("FR".into()),
        phone: "0612345678".into(),
        note: None,
    }
}

/// The JSON of a reply that created something (201) or answered what it had (200).
#[track_caller]
pub(crate) fn created(reply: Reply) -> Value {
    assert!(
        reply.status == 201 || reply.status == 200,
        "{}: {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

/// Variant ids of the open cycle by SKU, and the cycle's shipping methods by name.
pub(crate) struct Shop {
    pub cycle: String,
    pub variant: std::collections::HashMap<String, String>,
    pub method: std::collections::HashMap<String, String>,
}

pub(crate) async fn shop(app: &TestApp) -> Shop {
    shop_of(app, FRENCH_DEMO.hub).await
}

/// [`shop`] of the hub `hub` (a slug).
pub(crate) async fn shop_of(app: &TestApp, hub: &str) -> Shop {
    let cycle = app.open_cycle_of(hub).await;
    let detail = app
        .get(&format!("/api/v1/order-cycles/{cycle}"))
        .await
        .json();
    let variant = detail["offer"]
        .as_array()
        .expect("offer")
        .iter()
        .map(|o| {
            (
                o["sku"].as_str().expect("sku").to_string(),
                o["id"].as_str().expect("id").to_string(),
            )
        })
        .collect();
    let methods = app
        .get(&format!("/api/v1/order-cycles/{cycle}/shipping-methods"))
        .await
        .json();
    let method = methods
        .as_array()
        .expect("methods")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().expect("name").to_string(),
                m["id"].as_str().expect("id").to_string(),
            )
        })
        .collect();
    Shop {
        cycle,
        variant,
        method,
    }
}

pub(crate) async fn authed(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    idempotency_key: Option<&str>,
    body: &Value,
) -> Reply {
    let mut headers = Vec::new();
    if let Some(k) = idempotency_key {
        headers.push(("Idempotency-Key", k));
    }
    app.send(
        method,
        path,
        Some(token),
        &headers,
        Some(("application/json", body.to_string().into_bytes())),
    )
    .await
}

/// Sets `token`'s cart to `lines` and checks it out with `method` (a name) and `local` LEM,
/// with [`address`] (which a pickup ignores); both must succeed. Returns the order's id.
pub(crate) async fn place_order(
    app: &TestApp,
    shop: &Shop,
    token: &str,
    lines: &Value,
    method: &str,
    local: &str,
) -> String {
    place_order_in(app, &FRENCH_DEMO, shop, token, lines, method, local).await
}

/// [`place_order`] on the demo `demo`, `local` in its local currency.
pub(crate) async fn place_order_in(
    app: &TestApp,
    demo: &DemoFacts,
    shop: &Shop,
    token: &str,
    lines: &Value,
    method: &str,
    local: &str,
) -> String {
    let cart_path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let cart = authed(app, "PUT", &cart_path, token, None, lines).await;
    assert_eq!(cart.status, 200, "{}", cart.json());
    let body = json!({"shipping_method_id": shop.method[method], "local_amount": demo.local_amount(local), "address": address()});
    let placed = authed(
        app,
        "POST",
        &format!("/api/v1/order-cycles/{}/checkout", shop.cycle),
        token,
        Some(&key()),
        &body,
    )
    .await;
    assert_eq!(placed.status, 201, "{}", placed.json());
    placed.json()["id"].as_str().expect("id").to_string()
}

/// Closes the shop's cycle by hand as `token`, which must succeed; returns the close report.
pub(crate) async fn close_cycle(app: &TestApp, shop: &Shop, token: &str) -> Value {
    let path = format!("/api/v1/order-cycles/{}/close", shop.cycle);
    let closed = app.call("POST", &path, Some(token), None).await;
    assert_eq!(closed.status, 200, "{}", closed.json());
    closed.json()
}

/// Camille's LEM wallet with `amount` issued on it by the association's treasurer.
pub(crate) async fn funded_wallet(app: &TestApp, camille: &str, amount: &str) -> String {
    funded_wallet_in(app, &FRENCH_DEMO, camille, amount).await
}

/// [`funded_wallet`] on the demo `demo`: a wallet of its local currency, issued on by its
/// association's treasurer.
pub(crate) async fn funded_wallet_in(
    app: &TestApp,
    demo: &DemoFacts,
    camille: &str,
    amount: &str,
) -> String {
    let wallet = app
        .call(
            "POST",
            "/api/v1/me/wallets",
            Some(camille),
            Some(&json!({"currency": demo.local})),
        )
        .await
        .json()["id"]
        .as_str()
        .expect("wallet")
        .to_string();
    let treasurer = app.access_token(demo.treasurer).await;
    let issued = app
        .call(
            "POST",
            &format!("/api/v1/currencies/{}/issuances", demo.local),
            Some(&treasurer),
            Some(&json!({"entry_id": key(), "wallet_id": wallet, "amount": demo.local_amount(amount), "method": "cash", "reference": "counter"})),
        )
        .await;
    assert_eq!(issued.status, 201, "{}", issued.json());
    wallet
}

/// The hub's owner records that the euro part of `order_id` was paid (200 expected).
pub(crate) async fn euro_paid(app: &TestApp, order_id: &str, owner: &str) {
    let path = format!("/api/v1/orders/{order_id}/euro-payment");
    let paid = authed(app, "POST", &path, owner, Some(&key()), &json!(null)).await;
    assert_eq!(paid.status, 200, "{}", paid.json());
}

/// A token of someone holding the owner role of the demo hub (made a treasurer-owner here).
pub(crate) async fn hub_owner_token(app: &TestApp) -> String {
    hub_owner_token_in(app, &FRENCH_DEMO).await
}

/// [`hub_owner_token`] on the demo `demo`: its hub manager made an owner.
pub(crate) async fn hub_owner_token_in(app: &TestApp, demo: &DemoFacts) -> String {
    use comptoir::db::schema::{enterprise_roles, enterprises};
    let conn = &mut app.db.db.conn().expect("conn");
    {
        let conn = conn.diesel();
        (|| {
            let hub: String = enterprises::table
                .filter(enterprises::slug.eq(demo.hub))
                .select(enterprises::id)
                .first(conn)?;
            let user: String = users::table
                .filter(users::email.eq(demo.hub_manager))
                .select(users::id)
                .first(conn)?;
            diesel::update(
                enterprise_roles::table
                    .filter(enterprise_roles::enterprise_id.eq(&hub))
                    .filter(enterprise_roles::user_id.eq(&user)),
            )
            .set(enterprise_roles::role.eq("owner"))
            .execute(conn)
        })()
    }
    .expect("hub owner");
    app.access_token(demo.hub_manager).await
}

/// A pool of 16 connections to the test database (for concurrent buyers).
pub(crate) fn big_pool(db: &TestDb) -> Db {
    let config = crate::harness::test_config(&db.url);
    Db::connect(&config.database_url, 16).expect("pool")
}

/// A verified customer `buyer{n}@example.org`, written directly; returns its id.
pub(crate) fn new_customer(conn: &mut DbConn, n: usize) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let now = comptoir::time::now();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(format!("buyer{n}@example.org")),
            users::display_name.eq(format!("Buyer {n}")),
            users::email_verified_at.eq(Some(now)),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn.diesel())
        .expect("customer");
    id
}

/// A general ledger CSV agrees with its trial balance: the same accounts in code order, each
/// opening with the opening balance, each line's running balance the sum so far, and each
/// total row the period's debits and credits and the closing balance.
pub(crate) fn assert_general_ledger_agrees(csv_text: &str, balance: &Value) {
    let cents = |text: &str| -> i64 {
        let d: rust_decimal::Decimal = text.parse().expect("an amount");
        i64::try_from(d * rust_decimal::Decimal::ONE_HUNDRED).expect("cents")
    };
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header[..3], ["row", "account", "account_label"]);
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (row, code, debit, credit, running) = (
        column("row"),
        column("account"),
        column("debit"),
        column("credit"),
        column("balance"),
    );
    let mut totals = Vec::new();
    let mut so_far = 0;
    let mut lines = (0, 0);
    for record in reader.records() {
        let record = record.expect("a row");
        match &record[row] {
            "opening" => {
                so_far = cents(&record[running]);
                assert_eq!(so_far, cents(&record[debit]) - cents(&record[credit]));
                lines = (0, 0);
            }
            "line" => {
                so_far += cents(&record[debit]) - cents(&record[credit]);
                lines.0 += cents(&record[debit]);
                lines.1 += cents(&record[credit]);
                assert_eq!(cents(&record[running]), so_far, "{record:?}");
            }
            "total" => {
                assert_eq!(cents(&record[running]), so_far, "{record:?}");
                assert_eq!((cents(&record[debit]), cents(&record[credit])), lines);
                totals.push((record[code].to_string(), so_far, lines));
            }
            other => panic!("a row of kind {other}"),
        }
    }
    let expected: Vec<(String, i64, (i64, i64))> = balance["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| {
            let s = |k: &str| cents(a[k].as_str().expect(k));
            (
                a["code"].as_str().expect("code").to_string(),
                s("closing_debit") - s("closing_credit"),
                (s("debit"), s("credit")),
            )
        })
        .collect();
    assert_eq!(totals, expected);
}

/// The text of the one QR code in PNG `bytes`, read as a phone's camera would.
pub(crate) fn read_qr(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("decodes").1
}

/// The payloads of the mails queued for `email` from `template`, oldest first.
pub(crate) fn mails_to(app: &TestApp, email: &str, template: &str) -> Vec<Value> {
    let conn = &mut app.db.db.conn().expect("conn");
    comptoir::db::schema::mail_outbox::table
        .filter(comptoir::db::schema::mail_outbox::recipient.eq(email))
        .filter(comptoir::db::schema::mail_outbox::template.eq(template))
        .order(comptoir::db::schema::mail_outbox::created_at.asc())
        .select(comptoir::db::schema::mail_outbox::payload)
        .load::<String>(conn.diesel())
        .expect("mails")
        .iter()
        .map(|p| serde_json::from_str(p).expect("payload"))
        .collect()
}
