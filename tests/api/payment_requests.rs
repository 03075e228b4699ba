//! Payment requests over HTTP, on the demo: the farm asks at its stall (a URL and a QR code),
//! members open and pay it in one step; a single-use request paid twice at the same moment
//! is paid once; reusable requests with open amounts; cancelled and expired ones refused;
//! who may ask, follow and pay.

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::harness::{Backend, Reply, TestApp, TestDb};
use crate::support::{authed, funded_wallet, key, lem, read_qr};

crate::backend_tests!(
    a_single_use_request_paid_twice_at_once_is_paid_once,
    reusable_open_amounts_cancelled_expired_and_who_may_do_what,
);

const FARM: &str = "ferme-des-trois-chenes";
const FARMER: &str = "ferme@troischenes.example.org";
const CAMILLE: &str = "camille@example.org";
const YANIS: &str = "yanis@example.org";

async fn ask(app: &TestApp, token: &str, body: Value) -> Reply {
    authed(
        app,
        "POST",
        &format!("/api/v1/enterprises/{FARM}/payment-requests"),
        token,
        Some(&key()),
        &body,
    )
    .await
}

async fn pay(app: &TestApp, token: &str, id: &str, body: Value, idem: &str) -> Reply {
    authed(
        app,
        "POST",
        &format!("/api/v1/payment-requests/{id}/pay"),
        token,
        Some(idem),
        &body,
    )
    .await
}

async fn balance(app: &TestApp, token: &str, account: &str) -> Value {
    let found = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{account}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.json());
    found.json()["balance"].clone()
}

async fn farm_wallet(app: &TestApp, farmer: &str) -> String {
    let accounts = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{FARM}/accounts"),
            Some(farmer),
            None,
        )
        .await
        .json();
    accounts
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["kind"] == "enterprise_wallet" && a["currency"] == "LEM")
        .and_then(|a| a["id"].as_str())
        .expect("the farm's LEM wallet")
        .to_string()
}

async fn a_single_use_request_paid_twice_at_once_is_paid_once(backend: Backend) {
    let app = TestApp::serve(TestDb::with_bare_demo(backend)).await;
    let farmer = app.access_token(FARMER).await;
    let (camille, yanis) = (
        app.access_token(CAMILLE).await,
        app.access_token(YANIS).await,
    );
    let camille_wallet = funded_wallet(&app, &camille, "30.00").await;
    let yanis_wallet = funded_wallet(&app, &yanis, "30.00").await;
    let farm = farm_wallet(&app, &farmer).await;
    let before = balance(&app, &farmer, &farm).await;

    // the farm asks for 12.50 LEM for a basket: a URL, and a QR code carrying it
    let asked = ask(
        &app,
        &farmer,
        json!({"currency": "LEM", "amount": lem("12.50"), "label": "Panier du samedi"}),
    )
    .await;
    assert_eq!(asked.status, 201, "{}", asked.json());
    let asked = asked.json();
    assert_eq!(
        (&asked["state"], &asked["reusable"]),
        (&json!("open"), &json!(false))
    );
    // timestamps in RFC 3339 with their offset, as everywhere in the API
    assert!(
        asked["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{asked}"
    );
    let id = asked["id"].as_str().expect("id").to_string();
    let url = asked["url"].as_str().expect("url").to_string();
    assert!(url.ends_with(&format!("/pay/{id}")), "{url}");
    let png = app
        .call(
            "GET",
            &format!("/api/v1/payment-requests/{id}/qr.png"),
            Some(&camille),
            None,
        )
        .await;
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type").as_deref(), Some("image/png"));
    assert_eq!(read_qr(&png.body), url);
    let svg = app
        .call(
            "GET",
            &format!("/api/v1/payment-requests/{id}/qr.svg"),
            Some(&camille),
            None,
        )
        .await;
    assert!(svg.body.starts_with(b"<svg"));

    // Camille opens it: who asks for what
    let seen = app
        .call(
            "GET",
            &format!("/api/v1/payment-requests/{id}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(seen["enterprise_name"], "Ferme des Trois Chênes");
    assert_eq!(
        (&seen["amount"], &seen["label"]),
        (&lem("12.50"), &json!("Panier du samedi"))
    );

    // Camille and Yanis pay it at the same moment: one payment
    let (camille_key, yanis_key) = (key(), key());
    let (a, b) = futures_util::future::join(
        pay(&app, &camille, &id, json!({}), &camille_key),
        pay(&app, &yanis, &id, json!({}), &yanis_key),
    )
    .await;
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(
        statuses,
        [201, 409],
        "{} {}",
        String::from_utf8_lossy(&a.body),
        String::from_utf8_lossy(&b.body)
    );
    let (winner, winner_key, loser) = if a.status.as_u16() == 201 {
        (&camille, &camille_key, &b)
    } else {
        (&yanis, &yanis_key, &a)
    };
    assert!(
        loser.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("paid already"),
        "{}",
        loser.json()
    );
    let paid = if a.status.as_u16() == 201 {
        a.json()
    } else {
        b.json()
    };
    assert_eq!(paid["amount"], lem("12.50"));
    // the winner's retry answers the same payment, and pays nothing more
    let again = pay(&app, winner, &id, json!({}), winner_key).await;
    assert_eq!(again.status, 201, "{}", again.json());
    assert_eq!(again.json()["entry_id"], paid["entry_id"]);

    // the farm sees it paid at once, with its payment; its wallet got 12.50 once
    let now = app
        .call(
            "GET",
            &format!("/api/v1/payment-requests/{id}"),
            Some(&farmer),
            None,
        )
        .await
        .json();
    assert_eq!(
        (&now["state"], &now["payments"], &now["received"]),
        (&json!("paid"), &json!(1), &lem("12.50"))
    );
    let received = app
        .call(
            "GET",
            &format!("/api/v1/payment-requests/{id}/payments"),
            Some(&farmer),
            None,
        )
        .await
        .json();
    assert_eq!(received.as_array().expect("payments").len(), 1);
    assert_eq!(received[0]["entry_id"], paid["entry_id"]);
    let cents = |v: &Value| -> i64 {
        let d: rust_decimal::Decimal = v["amount"].as_str().unwrap_or("0").parse().expect("amount");
        i64::try_from(d * rust_decimal::Decimal::ONE_HUNDRED).expect("cents")
    };
    assert_eq!(
        cents(&balance(&app, &farmer, &farm).await) - cents(&before),
        1250
    );
    let spent = [
        cents(&balance(&app, &camille, &camille_wallet).await),
        cents(&balance(&app, &yanis, &yanis_wallet).await),
    ];
    assert_eq!(spent.iter().sum::<i64>(), 6000 - 1250, "{spent:?}");
    // the farm's list shows it
    let list = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{FARM}/payment-requests"),
            Some(&farmer),
            None,
        )
        .await
        .json();
    assert_eq!(list[0]["id"], json!(id));
    let conn = &mut app.db.db.conn().expect("conn");
    let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert!(report.ok(), "{:?}", report.violations);
}

async fn reusable_open_amounts_cancelled_expired_and_who_may_do_what(backend: Backend) {
    let app = TestApp::serve(TestDb::with_bare_demo(backend)).await;
    let farmer = app.access_token(FARMER).await;
    let (camille, yanis) = (
        app.access_token(CAMILLE).await,
        app.access_token(YANIS).await,
    );
    funded_wallet(&app, &camille, "30.00").await;
    funded_wallet(&app, &yanis, "30.00").await;

    // a stall's standing code: reusable, the amount typed by each payer
    let stall = ask(
        &app,
        &farmer,
        json!({"currency": "LEM", "label": "Marché de la Croix-Rousse", "reusable": true}),
    )
    .await;
    assert_eq!(stall.status, 201, "{}", stall.json());
    let stall = stall.json()["id"].as_str().expect("id").to_string();
    let missing = pay(&app, &camille, &stall, json!({}), &key())
        .await
        .problem(422, "validation");
    assert_eq!(missing["errors"][0]["field"], "amount", "{missing}");
    for (token, amount) in [(&camille, "3.00"), (&yanis, "4.50"), (&camille, "1.20")] {
        let paid = pay(&app, token, &stall, json!({"amount": lem(amount)}), &key()).await;
        assert_eq!(paid.status, 201, "{}", paid.json());
    }
    let now = app
        .call(
            "GET",
            &format!("/api/v1/payment-requests/{stall}"),
            Some(&farmer),
            None,
        )
        .await
        .json();
    assert_eq!(
        (&now["state"], &now["payments"], &now["received"]),
        (&json!("open"), &json!(3), &lem("8.70"))
    );
    // more than the wallet holds: refused, nothing recorded
    pay(
        &app,
        &camille,
        &stall,
        json!({"amount": lem("99.00")}),
        &key(),
    )
    .await
    .problem(409, "insufficient-funds");
    // cancelled: no more payments
    let cancelled = app
        .call(
            "POST",
            &format!("/api/v1/payment-requests/{stall}/cancel"),
            Some(&farmer),
            None,
        )
        .await;
    assert_eq!(cancelled.json()["state"], "cancelled");
    pay(&app, &yanis, &stall, json!({"amount": lem("1.00")}), &key())
        .await
        .problem(409, "conflict");

    // a fixed amount is that amount; an expired request is refused
    let fixed = ask(
        &app,
        &farmer,
        json!({"currency": "LEM", "amount": lem("5.00"), "label": "Œufs"}),
    )
    .await
    .json();
    let fixed = fixed["id"].as_str().expect("id").to_string();
    let wrong = pay(
        &app,
        &camille,
        &fixed,
        json!({"amount": lem("4.00")}),
        &key(),
    )
    .await
    .problem(422, "validation");
    assert_eq!(wrong["errors"][0]["code"], "not_the_amount_asked");
    {
        use comptoir::db::schema::payment_requests as pr;
        let conn = &mut app.db.db.conn().expect("conn");
        diesel::update(pr::table.find(&fixed))
            .set(pr::expires_at.eq(Some(comptoir::time::now() - chrono::Duration::minutes(1))))
            .execute(conn.diesel())
            .expect("expire");
    }
    let expired = pay(&app, &camille, &fixed, json!({}), &key())
        .await
        .problem(409, "conflict");
    assert!(
        expired["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{expired}"
    );
    let seen = app
        .call(
            "GET",
            &format!("/api/v1/payment-requests/{fixed}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(seen["state"], "expired");

    // bad requests: an expiry in the past, no label, a legal-tender request
    let past = ask(
        &app,
        &farmer,
        json!({"currency": "LEM", "label": "x", "expires_at": "2020-01-01T00:00:00Z"}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(past["errors"][0]["field"], "expires_at");
    let nameless = ask(&app, &farmer, json!({"currency": "LEM", "label": " "}))
        .await
        .problem(422, "validation");
    assert_eq!(nameless["errors"][0]["field"], "label");
    let fiat = ask(&app, &farmer, json!({"currency": "EUR", "label": "x"}))
        .await
        .problem(422, "validation");
    assert_eq!(fiat["errors"][0]["code"], "not_local");

    // who may: a member neither asks for the farm nor follows its requests
    ask(&app, &camille, json!({"currency": "LEM", "label": "x"}))
        .await
        .problem(403, "forbidden");
    app.call(
        "GET",
        &format!("/api/v1/enterprises/{FARM}/payment-requests"),
        Some(&camille),
        None,
    )
    .await
    .problem(403, "forbidden");
    app.call(
        "GET",
        &format!("/api/v1/payment-requests/{fixed}/payments"),
        Some(&camille),
        None,
    )
    .await
    .problem(404, "not-found");
    app.call(
        "POST",
        &format!("/api/v1/payment-requests/{fixed}/cancel"),
        Some(&camille),
        None,
    )
    .await
    .problem(404, "not-found");
    // a producer its association has not approved cannot ask for LEM
    let created = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&yanis),
            Some(&json!({"name": "Les Jardins d'Émile", "kind": "producer", "accepted_currencies": ["LEM"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    let yanis = app.access_token(YANIS).await;
    let refused = authed(
        &app,
        "POST",
        "/api/v1/enterprises/les-jardins-d-emile/payment-requests",
        &yanis,
        Some(&key()),
        &json!({"currency": "LEM", "label": "Salades"}),
    )
    .await
    .problem(409, "conflict");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("approved professional"),
        "{refused}"
    );
}
