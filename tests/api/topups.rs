//! Members' top-up requests over HTTP, on the demo: asking with a reference and a transfer QR
//! code, the treasurers' queue, approving (once, even twice at the same moment), refusing
//! with a reason, cancelling, and who may do which; an association's bank account.

use serde_json::{json, Value};

use crate::harness::{Backend, Reply, TestApp, TestDb};
use crate::support::{authed, key, mails_to};

crate::backend_tests!(
    a_member_asks_pays_by_transfer_and_is_issued_once,
    refusals_cancellations_and_who_may_do_what,
);

const TREASURER: &str = "tresorerie@lem.example.org";
const MEMBER: &str = "camille@example.org";
const OTHER_MEMBER: &str = "yanis@example.org";
const ADMIN: &str = "admin@comptoir.example.org";

fn lem(amount: &str) -> Value {
    json!({"amount": amount, "currency": "LEM"})
}

async fn ask(app: &TestApp, token: &str, amount: &str, method: &str) -> Reply {
    authed(
        app,
        "POST",
        "/api/v1/currencies/LEM/topup-requests",
        token,
        Some(&key()),
        &json!({"amount": lem(amount), "method": method}),
    )
    .await
}

async fn set_iban(app: &TestApp, token: &str, iban: &str) -> Reply {
    app.call(
        "PUT",
        "/api/v1/enterprises/monnaie-lem/bank-account",
        Some(token),
        Some(&json!({"iban": iban, "bic": "AGRIFRPP"})),
    )
    .await
}

async fn balance_of(app: &TestApp, token: &str, wallet: &str) -> Value {
    let wallets = app
        .call("GET", "/api/v1/me/accounts", Some(token), None)
        .await;
    assert_eq!(wallets.status, 200, "{}", wallets.json());
    wallets
        .json()
        .as_array()
        .expect("wallets")
        .iter()
        .find(|w| w["id"] == wallet)
        .map(|w| w["balance"].clone())
        .unwrap_or(Value::Null)
}

async fn a_member_asks_pays_by_transfer_and_is_issued_once(backend: Backend) {
    let app = TestApp::serve(TestDb::with_bare_demo(backend)).await;
    let (admin, treasurer, member) = (
        app.access_token(ADMIN).await,
        app.access_token(TREASURER).await,
        app.access_token(MEMBER).await,
    );

    // a bank transfer needs the association's account: refused until it gives one
    let refused = ask(&app, &member, "40.00", "bank_transfer")
        .await
        .problem(409, "conflict");
    assert!(
        refused["detail"].as_str().expect("detail").contains("IBAN"),
        "{refused}"
    );
    // its owners give it; a wrong IBAN is refused with the field
    let bad = set_iban(&app, &admin, "FR76 3000 6000 0112 3456 7890 188")
        .await
        .problem(422, "validation");
    assert_eq!(bad["errors"][0]["field"], "iban", "{bad}");
    set_iban(&app, &treasurer, "FR76 3000 6000 0112 3456 7890 189")
        .await
        .problem(403, "forbidden");
    let account = set_iban(&app, &admin, "fr7630006000011234567890189").await;
    assert_eq!(account.status, 200, "{}", account.json());
    assert_eq!(
        account.json(),
        json!({"iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP", "qr_iban": false})
    );

    // the member asks: a number, a reference with its check digits, what to pay in euros
    let asked = ask(&app, &member, "40.00", "bank_transfer").await;
    assert_eq!(asked.status, 201, "{}", asked.json());
    let asked = asked.json();
    assert_eq!(
        (&asked["state"], &asked["amount"], &asked["to_pay"]),
        (
            &json!("pending"),
            &lem("40.00"),
            &json!({"amount": "40.00", "currency": "EUR"})
        )
    );
    let id = asked["id"].as_str().expect("id").to_string();
    let reference = asked["reference"].as_str().expect("reference").to_string();
    assert!(
        reference.starts_with("RF")
            && reference.ends_with(&format!(
                "LEM{:09}",
                asked["number"].as_i64().expect("number")
            )),
        "{reference}"
    );
    // the payment instructions are mailed, with the account and the reference
    let mailed = mails_to(&app, MEMBER, "topup_requested");
    assert_eq!(mailed.len(), 1);
    assert_eq!(mailed[0]["reference"], json!(reference));
    assert_eq!(mailed[0]["iban"], "FR76 3000 6000 0112 3456 7890 189");

    // the transfer: an EPC QR code (SEPA credit transfer) carrying the reference
    let transfer = app
        .call(
            "GET",
            &format!("/api/v1/topup-requests/{id}/transfer"),
            Some(&member),
            None,
        )
        .await;
    assert_eq!(transfer.status, 200, "{}", transfer.json());
    let transfer = transfer.json();
    assert_eq!(transfer["qr"], "epc");
    let payload = transfer["payload"].as_str().expect("payload");
    let lines: Vec<&str> = payload.split('\n').collect();
    assert_eq!(lines[..4], ["BCD", "002", "1", "SCT"], "{payload}");
    assert!(lines.contains(&"FR7630006000011234567890189"), "{payload}");
    assert!(lines.contains(&"EUR40.00"), "{payload}");
    assert!(lines.contains(&reference.as_str()), "{payload}");
    for (path, kind, magic) in [
        ("qr.svg", "image/svg+xml", &b"<"[..]),
        ("qr.png", "image/png", &b"\x89PNG"[..]),
    ] {
        let image = app
            .call(
                "GET",
                &format!("/api/v1/topup-requests/{id}/{path}"),
                Some(&member),
                None,
            )
            .await;
        assert_eq!(image.status, 200);
        assert_eq!(image.header("content-type").as_deref(), Some(kind));
        assert!(image.body.starts_with(magic), "{path}");
    }

    // the treasurers' queue shows it
    let queue = app
        .call(
            "GET",
            "/api/v1/currencies/LEM/topup-requests?state=pending&method=bank_transfer",
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(queue.status, 200, "{}", queue.json());
    let ids: Vec<Value> = queue.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, [json!(id)]);

    // approved twice at the same moment: issued once, both answers the same request
    let wallet = asked["wallet_id"].as_str().expect("wallet").to_string();
    let before = balance_of(&app, &member, &wallet).await;
    let approve_path = format!("/api/v1/topup-requests/{id}/approve");
    let receipt = json!({"received_reference": "relevé 2026-12-06 l. 14"});
    let approve = || app.call("POST", &approve_path, Some(&treasurer), Some(&receipt));
    let (a, b) = futures_util::future::join(approve(), approve()).await;
    assert_eq!(
        (a.status.as_u16(), b.status.as_u16()),
        (200, 200),
        "{} {}",
        a.json(),
        b.json()
    );
    let (a, b) = (a.json(), b.json());
    assert_eq!(a["state"], "approved");
    assert_eq!(a["ledger_entry_id"], b["ledger_entry_id"]);
    assert_eq!(
        a["ledger_entry_id"],
        json!(id),
        "the issuance's entry is the request's id"
    );
    let after = balance_of(&app, &member, &wallet).await;
    let cents = |v: &Value| -> i64 {
        let d: rust_decimal::Decimal = v["amount"].as_str().unwrap_or("0").parse().expect("amount");
        i64::try_from(d * rust_decimal::Decimal::ONE_HUNDRED).expect("cents")
    };
    assert_eq!(cents(&after) - cents(&before), 4000, "{before} → {after}");
    assert_eq!(mails_to(&app, MEMBER, "topup_receipt").len(), 1);
    // and a third time, later: still the same, nothing more
    let again = approve().await;
    assert_eq!(again.status, 200);
    assert_eq!(balance_of(&app, &member, &wallet).await, after);

    // the member sees it in their list and in their data export
    let mine = app
        .call("GET", "/api/v1/me/topup-requests", Some(&member), None)
        .await
        .json();
    assert_eq!(mine["items"][0]["state"], "approved");
    let data = app
        .call("GET", "/api/v1/me/data", Some(&member), None)
        .await;
    assert_eq!(
        data.json()["topup_requests"][0]["reference"],
        json!(reference)
    );

    let conn = &mut app.db.db.conn().expect("conn");
    let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert!(report.ok(), "{:?}", report.violations);
}

async fn refusals_cancellations_and_who_may_do_what(backend: Backend) {
    let app = TestApp::serve(TestDb::with_bare_demo(backend)).await;
    let (treasurer, member, other) = (
        app.access_token(TREASURER).await,
        app.access_token(MEMBER).await,
        app.access_token(OTHER_MEMBER).await,
    );

    // cash needs no bank account; an amount in another currency, or not positive, is refused
    let wrong = authed(
        &app,
        "POST",
        "/api/v1/currencies/LEM/topup-requests",
        &member,
        Some(&key()),
        &json!({"amount": {"amount": "10.00", "currency": "EUR"}, "method": "cash"}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(wrong["errors"][0]["field"], "amount.currency");
    let zero = ask(&app, &member, "0.00", "cash")
        .await
        .problem(422, "validation");
    assert_eq!(zero["errors"][0]["field"], "amount.amount");
    authed(
        &app,
        "POST",
        "/api/v1/currencies/EUR/topup-requests",
        &member,
        Some(&key()),
        &json!({"amount": {"amount": "10.00", "currency": "EUR"}, "method": "cash"}),
    )
    .await
    .problem(422, "validation");
    let first = ask(&app, &member, "25.00", "cash").await;
    assert_eq!(first.status, 201, "{}", first.json());
    let first = first.json();
    let second = ask(&app, &member, "15.00", "cash").await.json();
    assert_eq!(
        second["number"].as_i64(),
        first["number"].as_i64().map(|n| n + 1),
        "numbers follow each other"
    );
    let (first_id, second_id) = (
        first["id"].as_str().expect("id").to_string(),
        second["id"].as_str().expect("id").to_string(),
    );
    // a cash request has no transfer QR code
    app.call(
        "GET",
        &format!("/api/v1/topup-requests/{first_id}/qr.svg"),
        Some(&member),
        None,
    )
    .await
    .problem(409, "conflict");

    // someone else's request is not there for another member, nor theirs to decide
    app.call(
        "GET",
        &format!("/api/v1/topup-requests/{first_id}"),
        Some(&other),
        None,
    )
    .await
    .problem(404, "not-found");
    app.call(
        "POST",
        &format!("/api/v1/topup-requests/{first_id}/approve"),
        Some(&member),
        Some(&json!({})),
    )
    .await
    .problem(403, "forbidden");
    app.call(
        "GET",
        "/api/v1/currencies/LEM/topup-requests",
        Some(&other),
        None,
    )
    .await
    .problem(403, "forbidden");
    app.call(
        "POST",
        &format!("/api/v1/topup-requests/{first_id}/cancel"),
        Some(&other),
        None,
    )
    .await
    .problem(404, "not-found");

    // a refusal needs a reason, is mailed with it, and is final
    app.call(
        "POST",
        &format!("/api/v1/topup-requests/{first_id}/refuse"),
        Some(&treasurer),
        Some(&json!({"reason": "  "})),
    )
    .await
    .problem(422, "validation");
    let refused = app
        .call(
            "POST",
            &format!("/api/v1/topup-requests/{first_id}/refuse"),
            Some(&treasurer),
            Some(&json!({"reason": "Personne n'est venu au comptoir avec cette référence."})),
        )
        .await;
    assert_eq!(refused.status, 200, "{}", refused.json());
    assert_eq!(refused.json()["state"], "refused");
    let mailed = mails_to(&app, MEMBER, "topup_refused");
    assert_eq!(mailed.len(), 1);
    assert_eq!(
        mailed[0]["reason"],
        "Personne n'est venu au comptoir avec cette référence."
    );
    app.call(
        "POST",
        &format!("/api/v1/topup-requests/{first_id}/approve"),
        Some(&treasurer),
        Some(&json!({})),
    )
    .await
    .problem(409, "conflict");

    // the member cancels the other; it can no longer be approved
    let cancelled = app
        .call(
            "POST",
            &format!("/api/v1/topup-requests/{second_id}/cancel"),
            Some(&member),
            None,
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.json());
    assert_eq!(cancelled.json()["state"], "cancelled");
    app.call(
        "POST",
        &format!("/api/v1/topup-requests/{second_id}/approve"),
        Some(&treasurer),
        Some(&json!({})),
    )
    .await
    .problem(409, "conflict");

    // the queue filters by state
    let pending = app
        .call(
            "GET",
            "/api/v1/currencies/LEM/topup-requests?state=pending",
            Some(&treasurer),
            None,
        )
        .await
        .json();
    assert_eq!(pending["items"], json!([]));
    let all = app
        .call(
            "GET",
            "/api/v1/currencies/LEM/topup-requests?limit=1",
            Some(&treasurer),
            None,
        )
        .await
        .json();
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1));
    assert!(all["next"].as_str().is_some(), "{all}");
}
