//! The authorization matrix, generated over every route of the OpenAPI document: for each
//! protected route acting on someone else's resources, a person holding each role of
//! **another** enterprise gets 403 or 404 and no data. A new route without a case here fails.
//! And within a hub: what each of its people may do with its orders, till and cycles.

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::{enterprise_roles, enterprises, users};

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::support::{authed, key, lem, place_order, shop};

backend_tests!(
    other_enterprises_roles_get_no_access_anywhere,
    a_hubs_people_at_the_till,
);

async fn other_enterprises_roles_get_no_access_anywhere(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    // a treasurer of another enterprise (the bakery), with the demo password
    {
        let mut conn = app.db.db.conn().expect("conn");
        let conn = &mut conn;
        {
            let conn = conn.diesel();
            let (hash, bakery): (Option<String>, String) = users::table
                .filter(users::email.eq("fournil@colline.example.org"))
                .inner_join(enterprise_roles::table.inner_join(enterprises::table))
                .select((users::password_hash, enterprises::id))
                .first(conn)
                .expect("the baker and the bakery");
            let user_id = key();
            let now = comptoir::time::now();
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(&user_id),
                    users::email.eq("compta@colline.example.org"),
                    users::display_name.eq("Bakery treasurer"),
                    users::password_hash.eq(hash),
                    users::email_verified_at.eq(Some(now)),
                    users::created_at.eq(now),
                    users::updated_at.eq(now),
                ))
                .execute(conn)
                .expect("the treasurer user");
            diesel::insert_into(enterprise_roles::table)
                .values((
                    enterprise_roles::enterprise_id.eq(bakery),
                    enterprise_roles::user_id.eq(&user_id),
                    enterprise_roles::role.eq("treasurer"),
                    enterprise_roles::created_at.eq(now),
                ))
                .execute(conn)
        }
        .expect("bakery treasurer");
    }

    // the victims: Camille's wallet with money and a hold, the farm's accounts, the Lem
    let camille = app.access_token("camille@example.org").await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let farmer = app.access_token("ferme@troischenes.example.org").await;
    let wallet = app
        .call(
            "POST",
            "/api/v1/me/wallets",
            Some(&camille),
            Some(&json!({"currency": "LEM"})),
        )
        .await
        .json()["id"]
        .as_str()
        .expect("wallet")
        .to_string();
    let farm_id = app
        .get("/api/v1/enterprises/ferme-des-trois-chenes")
        .await
        .json()["id"]
        .as_str()
        .expect("farm")
        .to_string();
    let farm_owner_id = app
        .call("GET", "/api/v1/me", Some(&farmer), None)
        .await
        .json()["id"]
        .as_str()
        .expect("the farmer's id")
        .to_string();
    let farm_wallet = app
        .call(
            "POST",
            &format!("/api/v1/enterprises/{farm_id}/wallets"),
            Some(&farmer),
            Some(&json!({"currency": "LEM"})),
        )
        .await
        .json()["id"]
        .as_str()
        .expect("farm wallet")
        .to_string();
    let issuance = json!({"entry_id": key(), "wallet_id": wallet, "amount": lem("20.00"), "method": "cash", "reference": "c"});
    let issued = app
        .call(
            "POST",
            "/api/v1/currencies/LEM/issuances",
            Some(&treasurer),
            Some(&issuance),
        )
        .await
        .json();
    let entry_id = issued["id"].as_str().expect("entry").to_string();
    let hold = json!({"entry_id": key(), "from_account_id": wallet, "to_account_id": farm_wallet, "amount": lem("5.00")});
    let hold_id = app
        .call("POST", "/api/v1/holds", Some(&camille), Some(&hold))
        .await
        .json()["transfers"][0]["id"]
        .as_str()
        .expect("hold")
        .to_string();
    let accounts = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{farm_id}/accounts"),
            Some(&farmer),
            None,
        )
        .await
        .json();
    let payable = accounts
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == "euro_payable"))
        .expect("payable")["id"]
        .as_str()
        .expect("id")
        .to_string();

    // the farm's catalogue and the hub it sells through
    let hub_id = app.get("/api/v1/enterprises/la-cagette").await.json()["id"]
        .as_str()
        .expect("hub")
        .to_string();
    let farm_products = app
        .get("/api/v1/enterprises/ferme-des-trois-chenes/products")
        .await
        .json();
    let product_id = farm_products["items"][0]["id"]
        .as_str()
        .expect("product")
        .to_string();
    let variant_id = farm_products["items"][0]["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .to_string();
    let new_variant = json!({"sku": "HACK-1", "display_name": "1 kg", "unit": {"kind": "weight", "value": 1000},
        "price": "1.00", "vat_rate": "5.5", "stock": 1});

    // an order at a hub none of the outsiders belongs to: the farm's own shop, with an open
    // cycle offering one of its variants, where Camille ordered
    let shop_cycle = key();
    let shop_id;
    {
        use comptoir::db::schema::{cycle_shipping_methods, order_cycle_variants, order_cycles};
        let now = comptoir::time::now();
        let conn = &mut app.db.db.conn().expect("conn");
        let shop = comptoir::enterprises::EnterpriseRow::new(
            "boutique-des-trois-chenes".into(),
            "Boutique des Trois Chênes".into(),
            comptoir::enterprises::EnterpriseKind::Hub,
            "public",
        );
        shop_id = shop.id.clone();
        {
            let conn = conn.diesel();
            (|| {
                diesel::insert_into(enterprises::table)
                    .values(&shop)
                    .execute(conn)?;
                let farmer_id: String = users::table
                    .filter(users::email.eq("ferme@troischenes.example.org"))
                    .select(users::id)
                    .first(conn)?;
                diesel::insert_into(enterprise_roles::table)
                    .values((
                        enterprise_roles::enterprise_id.eq(&shop.id),
                        enterprise_roles::user_id.eq(farmer_id),
                        enterprise_roles::role.eq("owner"),
                        enterprise_roles::created_at.eq(now),
                    ))
                    .execute(conn)?;
                diesel::insert_into(order_cycles::table)
                    .values((
                        order_cycles::id.eq(&shop_cycle),
                        order_cycles::hub_id.eq(&shop.id),
                        order_cycles::name.eq("Vente à la ferme"),
                        order_cycles::opens_at.eq(now - chrono::Duration::hours(1)),
                        order_cycles::closes_at.eq(now + chrono::Duration::hours(48)),
                        order_cycles::created_at.eq(now),
                        order_cycles::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                diesel::insert_into(order_cycle_variants::table)
                    .values((
                        order_cycle_variants::order_cycle_id.eq(&shop_cycle),
                        order_cycle_variants::variant_id.eq(&variant_id),
                    ))
                    .execute(conn)?;
                diesel::insert_into(cycle_shipping_methods::table)
                    .values((
                        cycle_shipping_methods::id.eq(key()),
                        cycle_shipping_methods::order_cycle_id.eq(&shop_cycle),
                        cycle_shipping_methods::kind.eq("pickup"),
                        cycle_shipping_methods::name.eq("À la ferme"),
                        cycle_shipping_methods::at_time.eq(now + chrono::Duration::hours(50)),
                        cycle_shipping_methods::created_at.eq(now),
                    ))
                    .execute(conn)
            })()
        }
        .expect("the farm's shop");
    }
    let method = app
        .get(&format!(
            "/api/v1/order-cycles/{shop_cycle}/shipping-methods"
        ))
        .await
        .json()[0]["id"]
        .as_str()
        .expect("method")
        .to_string();
    let cart = app
        .call(
            "PUT",
            &format!("/api/v1/order-cycles/{shop_cycle}/cart"),
            Some(&camille),
            Some(&json!({"lines": [{"variant_id": variant_id, "quantity": 1}]})),
        )
        .await;
    assert_eq!(cart.status, 200, "{}", String::from_utf8_lossy(&cart.body));
    let placed = app
        .send(
            "POST",
            &format!("/api/v1/order-cycles/{shop_cycle}/checkout"),
            Some(&camille),
            &[("Idempotency-Key", &key())],
            Some((
                "application/json",
                json!({"shipping_method_id": method})
                    .to_string()
                    .into_bytes(),
            )),
        )
        .await;
    assert_eq!(
        placed.status,
        201,
        "{}",
        String::from_utf8_lossy(&placed.body)
    );
    let order_id = placed.json()["id"].as_str().expect("order").to_string();

    // Camille's request for Lem, in cash (no bank account needed)
    let topup = app
        .send(
            "POST",
            "/api/v1/currencies/LEM/topup-requests",
            Some(&camille),
            &[("Idempotency-Key", &key())],
            Some((
                "application/json",
                json!({"amount": lem("10.00"), "method": "cash"})
                    .to_string()
                    .into_bytes(),
            )),
        )
        .await;
    assert_eq!(
        topup.status,
        201,
        "{}",
        String::from_utf8_lossy(&topup.body)
    );
    let topup_id = topup.json()["id"].as_str().expect("topup").to_string();
    // the farm's request for a payment at its stall
    let asked = app
        .send(
            "POST",
            "/api/v1/enterprises/ferme-des-trois-chenes/payment-requests",
            Some(&farmer),
            &[("Idempotency-Key", &key())],
            Some((
                "application/json",
                json!({"currency": "LEM", "amount": lem("4.00"), "label": "Œufs"})
                    .to_string()
                    .into_bytes(),
            )),
        )
        .await;
    assert_eq!(
        asked.status,
        201,
        "{}",
        String::from_utf8_lossy(&asked.body)
    );
    let farm_request = asked.json()["id"].as_str().expect("request").to_string();

    // one case per protected route: the concrete path and a well-formed body
    let case = |method: &str, path: &str| -> Option<(String, Option<Value>)> {
        let fill = |p: &str| {
            p.replace("{account_id}", &wallet)
                .replace("{enterprise_id}", &farm_id)
                .replace("{code}", "LEM")
                .replace("{hold_id}", &hold_id)
                .replace("{id}", &entry_id)
                .replace("{entry_id}", &entry_id)
                .replace("{producer_id}", &farm_id)
                .replace("{hub_id}", &hub_id)
                .replace("{product_id}", &product_id)
                .replace("{variant_id}", &variant_id)
                .replace("{order_id}", &order_id)
                .replace("{cycle_id}", &shop_cycle)
        };
        let body = match (method, path) {
            ("GET", "/api/v1/currencies/{code}/statement")
            | ("GET", "/api/v1/enterprises/{enterprise_id}/accounts")
            | ("GET", "/api/v1/accounts/{account_id}")
            | ("GET", "/api/v1/accounts/{account_id}/transfers")
            | ("GET", "/api/v1/accounts/{account_id}/transfers.csv")
            | ("GET", "/api/v1/ledger/entries/{entry_id}")
            | ("GET", "/api/v1/audit")
            | ("GET", "/api/v1/enterprises/{enterprise_id}/audit") => None,
            ("POST", "/api/v1/currencies") => {
                Some(json!({"code": "ZZZ", "name": "Z", "symbol": "Z", "scale": 2, "kind": "fiat"}))
            }
            ("POST", "/api/v1/currencies/{code}/issuances") => Some(
                json!({"entry_id": key(), "wallet_id": wallet, "amount": lem("1.00"), "method": "cash", "reference": "x"}),
            ),
            ("PUT", "/api/v1/currencies/{code}/commission") => {
                Some(json!({"percent": "1", "fixed": lem("0.00")}))
            }
            ("POST", "/api/v1/payments") | ("POST", "/api/v1/holds") => Some(
                json!({"entry_id": key(), "from_account_id": wallet, "to_account_id": farm_wallet, "amount": lem("1.00")}),
            ),
            ("POST", "/api/v1/reconversions") => {
                Some(json!({"entry_id": key(), "wallet_id": farm_wallet, "amount": lem("1.00")}))
            }
            ("POST", "/api/v1/accounts/{account_id}/payouts") => {
                let body = json!({"entry_id": key(), "currency": "LEM", "amount": {"amount": "1.00", "currency": "EUR"}, "reference": "x"});
                return Some((path.replace("{account_id}", &payable), Some(body)));
            }
            ("PUT", "/api/v1/accounts/{account_id}/overdraft-limit") => {
                return Some((
                    path.replace("{account_id}", &farm_wallet),
                    Some(json!({"limit": lem("1.00")})),
                ));
            }
            ("PUT", "/api/v1/accounts/{account_id}/status") => Some(json!({"status": "frozen"})),
            ("POST", "/api/v1/ledger/entries/{id}/reversal") => {
                Some(json!({"entry_id": key(), "reason": "x"}))
            }
            ("POST", "/api/v1/holds/{hold_id}/post") | ("POST", "/api/v1/holds/{hold_id}/void") => {
                Some(json!({"entry_id": key()}))
            }
            ("POST", "/api/v1/enterprises/{enterprise_id}/wallets") => {
                Some(json!({"currency": "LEM"}))
            }
            ("PATCH", "/api/v1/enterprises/{enterprise_id}") => Some(json!({"name": "Taken over"})),
            ("GET", "/api/v1/enterprises/{enterprise_id}/permissions")
            | ("GET", "/api/v1/enterprises/{producer_id}/catalog/export")
            | ("DELETE", "/api/v1/enterprises/{producer_id}/permissions/{hub_id}") => None,
            ("PUT", "/api/v1/enterprises/{producer_id}/permissions/{hub_id}") => {
                Some(json!({"can_see_orders": true}))
            }
            // the hub's side: the victim is an enterprise none of the outsiders belongs to (the
            // demo's only hub has the manager among them)
            ("PUT", "/api/v1/enterprises/{hub_id}/suppliers/{producer_id}")
            | ("DELETE", "/api/v1/enterprises/{hub_id}/suppliers/{producer_id}") => {
                return Some((
                    path.replace("{hub_id}", &farm_id)
                        .replace("{producer_id}", &farm_id),
                    None,
                ));
            }
            ("POST", "/api/v1/enterprises/{producer_id}/products") => Some(
                json!({"name": "Hack", "category": "legumes", "variants": [new_variant.clone()]}),
            ),
            ("PATCH", "/api/v1/products/{product_id}") => Some(json!({"name": "Hacked"})),
            ("POST", "/api/v1/products/{product_id}/variants") => Some(new_variant.clone()),
            ("PATCH", "/api/v1/variants/{variant_id}") => Some(json!({"price": "0.01"})),
            ("GET", "/api/v1/orders/{order_id}")
            | ("GET", "/api/v1/order-cycles/{cycle_id}/orders") => None,
            ("POST", "/api/v1/orders/{order_id}/cancel")
            | ("POST", "/api/v1/orders/{order_id}/euro-payment")
            | ("POST", "/api/v1/orders/{order_id}/fiat-payment")
            | ("POST", "/api/v1/orders/{order_id}/fulfil")
            | ("POST", "/api/v1/orders/{order_id}/credit") => Some(json!({})),
            ("POST", "/api/v1/orders/{order_id}/refunds") => {
                Some(json!({"method": "cash", "reference": "hijack"}))
            }
            ("GET", "/api/v1/enterprises/{hub_id}/customer-credits") => {
                return Some((path.replace("{hub_id}", &shop_id), None));
            }
            ("POST", "/api/v1/orders/{order_id}/adjustments") => {
                Some(json!({"lines": [{"variant_id": variant_id, "delivered": "0.5"}]}))
            }
            ("POST", "/api/v1/enterprises/{hub_id}/order-cycles") => {
                return Some((
                    path.replace("{hub_id}", &shop_id),
                    Some(
                        json!({"name": "Hijacked", "opens_at": "2030-01-01T00:00:00Z", "closes_at": "2030-01-02T00:00:00Z"}),
                    ),
                ));
            }
            ("POST", "/api/v1/order-cycles/{cycle_id}/copy") => Some(
                json!({"opens_at": "2030-01-01T00:00:00Z", "closes_at": "2030-01-02T00:00:00Z"}),
            ),
            ("POST", "/api/v1/order-cycles/{cycle_id}/fees") => Some(
                json!({"name": "Skim", "fee_type": "admin", "calculator": "flat_per_order", "charged_to": "customer", "amount": "1.00"}),
            ),
            ("POST", "/api/v1/order-cycles/{cycle_id}/close")
            | ("POST", "/api/v1/order-cycles/{cycle_id}/settle") => None,
            ("PUT", "/api/v1/order-cycles/{cycle_id}/settlement") => {
                Some(json!({"settles_at": null}))
            }
            ("GET", "/api/v1/order-cycles/{cycle_id}/reports/{name}") => {
                return Some((fill(path).replace("{name}", "customer_totals"), None));
            }
            ("POST", "/api/v1/order-cycles/{cycle_id}/shipping-methods") => {
                Some(json!({"kind": "pickup", "name": "Hijacked", "at": "2030-01-01T10:00:00Z"}))
            }
            ("GET", "/api/v1/accounting/chart") | ("GET", "/api/v1/accounting/periods") => None,
            ("PUT", "/api/v1/accounting/chart") => Some(
                serde_json::to_value(
                    comptoir::accounting::chart::Chart::defaults().expect("chart"),
                )
                .expect("json"),
            ),
            ("GET", "/api/v1/accounting/fec") => {
                return Some((
                    format!("{path}?from=2026-01-01&to=2026-01-31&siren=732829320"),
                    None,
                ));
            }
            ("GET", "/api/v1/accounting/odoo.csv")
            | ("GET", "/api/v1/accounting/balance")
            | ("GET", "/api/v1/accounting/balance.csv")
            | ("GET", "/api/v1/accounting/general-ledger.csv") => {
                return Some((format!("{path}?from=2026-01-01&to=2026-01-31"), None));
            }
            // an enterprise's own books: none of the outsiders is the farm's owner or treasurer
            ("GET", "/api/v1/enterprises/{id}/accounting/fec")
            | ("GET", "/api/v1/enterprises/{id}/accounting/odoo.csv")
            | ("GET", "/api/v1/enterprises/{id}/accounting/balance")
            | ("GET", "/api/v1/enterprises/{id}/accounting/balance.csv")
            | ("GET", "/api/v1/enterprises/{id}/accounting/general-ledger.csv") => {
                return Some((
                    format!(
                        "{}?from=2026-01-01&to=2026-01-31",
                        path.replace("{id}", &farm_id)
                    ),
                    None,
                ));
            }
            ("POST", "/api/v1/accounting/periods") => {
                Some(json!({"from": "2026-01-01", "to": "2026-01-31"}))
            }
            // a JSON body: refused for the caller's roles before the body is even read
            ("POST", "/api/v1/enterprises/{producer_id}/catalog/import") => Some(json!({})),
            ("GET", "/api/v1/enterprises/{enterprise_id}/roles") => None,
            ("POST", "/api/v1/enterprises/{enterprise_id}/roles") => {
                Some(json!({"email": "yanis@example.org", "role": "owner"}))
            }
            ("DELETE", "/api/v1/enterprises/{enterprise_id}/roles/{user_id}/{role}") => {
                return Some((
                    path.replace("{enterprise_id}", &farm_id)
                        .replace("{user_id}", &farm_owner_id)
                        .replace("{role}", "owner"),
                    None,
                ));
            }
            // the treasurers' queue of the Lem, and Camille's request
            ("GET", "/api/v1/currencies/{code}/topup-requests") => None,
            ("GET", "/api/v1/topup-requests/{id}")
            | ("GET", "/api/v1/topup-requests/{id}/transfer")
            | ("GET", "/api/v1/topup-requests/{id}/qr.svg")
            | ("GET", "/api/v1/topup-requests/{id}/qr.png")
            | ("POST", "/api/v1/topup-requests/{id}/cancel") => {
                return Some((path.replace("{id}", &topup_id), None));
            }
            ("POST", "/api/v1/topup-requests/{id}/approve") => {
                return Some((path.replace("{id}", &topup_id), Some(json!({}))));
            }
            ("POST", "/api/v1/topup-requests/{id}/refuse") => {
                return Some((
                    path.replace("{id}", &topup_id),
                    Some(json!({"reason": "hijacked"})),
                ));
            }
            // the Lem's professionals: nobody but its association approves, refuses or
            // suspends the farm; nobody but the farm's people reads where it stands
            ("GET", "/api/v1/currencies/{code}/professionals") => None,
            ("POST", "/api/v1/currencies/{code}/professionals/{enterprise}/approve") => {
                return Some((
                    path.replace("{code}", "LEM")
                        .replace("{enterprise}", &farm_id),
                    None,
                ));
            }
            ("POST", "/api/v1/currencies/{code}/professionals/{enterprise}/refuse")
            | ("POST", "/api/v1/currencies/{code}/professionals/{enterprise}/suspend") => {
                return Some((
                    path.replace("{code}", "LEM")
                        .replace("{enterprise}", &farm_id),
                    Some(json!({"reason": "hijacked"})),
                ));
            }
            ("GET", "/api/v1/enterprises/{id}/currency-approvals") => {
                return Some((path.replace("{id}", &farm_id), None));
            }
            // the farm's payment requests: only its people ask for and follow them
            ("POST", "/api/v1/enterprises/{id}/payment-requests") => {
                return Some((
                    path.replace("{id}", &farm_id),
                    Some(json!({"currency": "LEM", "label": "hijacked"})),
                ));
            }
            ("GET", "/api/v1/enterprises/{id}/payment-requests") => {
                return Some((path.replace("{id}", &farm_id), None));
            }
            ("GET", "/api/v1/payment-requests/{id}/payments")
            | ("POST", "/api/v1/payment-requests/{id}/cancel") => {
                return Some((path.replace("{id}", &farm_request), None));
            }
            // the association's bank account, where members' transfers go
            ("PUT", "/api/v1/enterprises/{id}/bank-account") => {
                return Some((
                    path.replace("{id}", "monnaie-lem"),
                    Some(json!({"iban": "FR76 3000 6000 0112 3456 7890 189"})),
                ));
            }
            _ => return None,
        };
        let concrete = fill(path);
        assert!(
            !concrete.contains('{'),
            "{method} {path}: a path parameter has no value in this matrix"
        );
        Some((concrete, body))
    };

    let outsiders = [
        (
            "owner of another enterprise",
            app.access_token("fournil@colline.example.org").await,
        ),
        (
            "treasurer of another enterprise",
            app.access_token("compta@colline.example.org").await,
        ),
        (
            "manager of another enterprise",
            app.access_token("gerance@lacagette.example.org").await,
        ),
        (
            "member of the same hub",
            app.access_token("yanis@example.org").await,
        ),
    ];
    // and their machines: an outsider's read key
    let mut outsiders = outsiders.to_vec();
    let key = app.call("POST", "/api/v1/me/api-keys", Some(&outsiders[0].1), Some(&json!({"name": "outsider's sync", "scopes": ["read", "orders", "accounting"], "expires_in_days": 1})))
    .await
    .json()["secret"]
        .as_str()
        .expect("key")
        .to_string();
    outsiders.push(("API key of another enterprise's owner", key));
    let doc = app.get("/openapi.json").await.json();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        // the caller's own scope: these act on the caller's data only
        if path == "/api/v1/me" || path.starts_with("/api/v1/me/") {
            continue;
        }
        // anyone may create an enterprise (and becomes its owner): nobody else's resource
        if path == "/api/v1/enterprises" {
            continue;
        }
        // the caller's own cart in a cycle, and its checkout: the caller's data only
        if path.ends_with("/cart") || path.ends_with("/checkout") {
            continue;
        }
        for (method, operation) in item.as_object().expect("item") {
            if operation.get("security").is_none() {
                continue;
            }
            // anyone may ask for a top-up for themselves: the caller's own request
            if path == "/api/v1/currencies/{code}/topup-requests" && method == "post" {
                continue;
            }
            // a payment request is opened and paid by anyone signed in: that is its point
            // (tests/api/payment_requests.rs covers who may ask for and follow them)
            if path.starts_with("/api/v1/payment-requests/{id}")
                && matches!(
                    path.as_str(),
                    "/api/v1/payment-requests/{id}"
                        | "/api/v1/payment-requests/{id}/qr.svg"
                        | "/api/v1/payment-requests/{id}/qr.png"
                        | "/api/v1/payment-requests/{id}/pay"
                )
            {
                continue;
            }
            let method = method.to_uppercase();
            let Some((concrete, body)) = case(&method, path) else {
                panic!("no authorization case for {method} {path}: add one to this matrix");
            };
            for (who, token) in &outsiders {
                let reply = app
                    .call(&method, &concrete, Some(token), body.as_ref())
                    .await;
                let text = String::from_utf8_lossy(&reply.body).to_string();
                assert!(
                    matches!(reply.status.as_u16(), 403 | 404),
                    "{who} got {} on {method} {path}: {text}",
                    reply.status
                );
                assert_eq!(
                    reply.header("content-type").as_deref(),
                    Some("application/problem+json"),
                    "{method} {path}"
                );
                for secret in [
                    &wallet,
                    &farm_wallet,
                    &hold_id,
                    &payable,
                    &order_id,
                    &topup_id,
                ] {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{who} saw data on {method} {path}: {text}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 5 * 15, "only {checked} checks");
    // and nothing moved
    let balance = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    // the 20.00 LEM funded here and 5.00 held, on top of what the demo's history left her
    let (_, left) = comptoir::demo::history::expected_balances(comptoir::demo::Demo::France)
        .expect("the history");
    let before = left
        .iter()
        .find(|(who, _)| who == "camille@example.org")
        .map(|(_, minor)| *minor)
        .expect("Camille's balance");
    let cents = |minor: i64| format!("{}.{:02}", minor / 100, minor % 100);
    assert_eq!(balance["balance"], lem(&cents(before + 2000)));
    assert_eq!(balance["available"], lem(&cents(before + 1500)));
}

/// Who of the hub's people may weigh, record a payment, hand over, list the cycle's orders
/// and edit the cycle: the owner and manager all of it, the cashier the till's part, the
/// treasurer the money's, a member none.
async fn a_hubs_people_at_the_till(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let shop = shop(&app).await;
    let camille = app.access_token("camille@example.org").await;
    let people = [
        ("owner", "presidence@lacagette.example.org"),
        ("manager", "gerance@lacagette.example.org"),
        ("cashier", "caisse@lacagette.example.org"),
        ("treasurer", "tresorerie@lem.example.org"),
        ("member", "yanis@example.org"),
        ("platform admin", "admin@comptoir.example.org"),
    ];
    // may weigh, record payment, hand over, list orders, edit the cycle, cancel
    let expected = [
        ("owner", [true, true, true, true, true, true]),
        ("manager", [true, true, true, true, true, true]),
        ("cashier", [true, true, true, true, false, false]),
        ("treasurer", [false, true, false, true, false, false]),
        ("member", [false, false, false, false, false, false]),
        ("platform admin", [true, false, true, true, true, false]),
    ];
    let carrots = &shop.variant[FRENCH_DEMO.skus[0]];
    for ((who, email), (who2, allowed)) in people.iter().zip(expected) {
        assert_eq!(*who, who2);
        let token = app.access_token(email).await;
        // an order of Camille's for each of them, so that each act meets a fresh order
        let order = place_order(
            &app,
            &shop,
            &camille,
            &json!({"lines": [{"variant_id": carrots, "quantity": 2}]}),
            FRENCH_DEMO.pickup,
            "0",
        )
        .await;
        let weigh = authed(
            &app,
            "POST",
            &format!("/api/v1/orders/{order}/adjustments"),
            &token,
            Some(&key()),
            &json!({"lines": [{"variant_id": carrots, "delivered": "1.5"}]}),
        )
        .await;
        let pay = authed(
            &app,
            "POST",
            &format!("/api/v1/orders/{order}/fiat-payment"),
            &token,
            Some(&key()),
            &json!(null),
        )
        .await;
        // before the close: refused as not booked yet (409) when allowed at all
        let hand_over = authed(
            &app,
            "POST",
            &format!("/api/v1/orders/{order}/fulfil"),
            &token,
            Some(&key()),
            &json!(null),
        )
        .await;
        let list = app
            .call(
                "GET",
                &format!("/api/v1/order-cycles/{}/orders", shop.cycle),
                Some(&token),
                None,
            )
            .await;
        let edit = app
            .call(
                "POST",
                &format!("/api/v1/order-cycles/{}/shipping-methods", shop.cycle),
                Some(&token),
                Some(&json!({"kind": "pickup", "name": format!("Retrait {who}"),
                    "at": "2030-01-10T17:00:00Z"})),
            )
            .await;
        let cancel = authed(
            &app,
            "POST",
            &format!("/api/v1/orders/{order}/cancel"),
            &token,
            Some(&key()),
            &json!({"reason": "test"}),
        )
        .await;
        let got = [&weigh, &pay, &hand_over, &list, &edit, &cancel];
        for ((what, reply), allowed) in [
            "weigh",
            "record payment",
            "hand over",
            "list orders",
            "edit the cycle",
            "cancel",
        ]
        .iter()
        .zip(got)
        .zip(allowed)
        {
            let status = reply.status.as_u16();
            if allowed {
                assert!(
                    matches!(status, 200 | 201 | 409),
                    "{who} may {what}: got {status} {}",
                    String::from_utf8_lossy(&reply.body)
                );
            } else {
                assert_eq!(status, 403, "{who} may not {what}");
            }
        }
        // the cashier weighed and took the money: the order says so
        if *who == "cashier" {
            assert_eq!(weigh.status, 200, "{}", weigh.json());
            assert_eq!(pay.status, 200, "{}", pay.json());
            assert_eq!(
                pay.json()["payment"]["fiat_state"],
                "paid",
                "{}",
                pay.json()
            );
            assert_eq!(hand_over.status, 409);
        }
    }
    // a cashier works a hub's till: a producer has none
    let farmer = app.access_token("ferme@troischenes.example.org").await;
    app.call(
        "POST",
        "/api/v1/enterprises/ferme-des-trois-chenes/roles",
        Some(&farmer),
        Some(&json!({"email": "yanis@example.org", "role": "cashier"})),
    )
    .await
    .problem(422, "validation");
    let owner = app.access_token("presidence@lacagette.example.org").await;
    let named = app
        .call(
            "POST",
            "/api/v1/enterprises/la-cagette/roles",
            Some(&owner),
            Some(&json!({"email": "yanis@example.org", "role": "cashier"})),
        )
        .await;
    assert_eq!(named.status, 201, "{}", named.json());
}
