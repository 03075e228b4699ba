//! Log-in, tokens, and the ledger over HTTP with authorization, on both backends.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, Reply, TestApp, TEST_JWT_SECRET};
use crate::support::{key, lem};

backend_tests!(
    login_gives_a_token_and_refuses_bad_credentials_alike,
    forged_or_stale_tokens_are_refused,
    disabled_users_tokens_stop_working,
    refresh_tokens_rotate_and_a_reused_one_revokes_the_session,
    logout_ends_the_session_at_once,
    failed_logins_are_throttled_per_account_and_address,
    parallel_guesses_get_no_more_tries,
    money_flows_over_http_with_exact_amounts,
    money_routes_refuse_other_peoples_accounts,
    holds_over_http_post_for_less_and_void,
    commission_rules_apply_to_reconversions,
    treasurers_freeze_and_close_accounts,
    every_route_is_public_by_decision_or_needs_a_login,
);

const PASSWORD: &str = comptoir::demo::DEMO_PASSWORD;

async fn login_gives_a_token_and_refuses_bad_credentials_alike(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.access_token(" Camille@Example.org ").await;
    let me = app
        .call("GET", "/api/v1/me", Some(&token), None)
        .await
        .json();
    assert_eq!(me["roles"][0]["role"], "member");
    let wrong = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "camille@example.org", "password": "nope"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "nobody@example.org", "password": "nope"}),
        )
        .await;
    let (a, b) = (
        wrong.problem(401, "unauthorized"),
        unknown.problem(401, "unauthorized"),
    );
    assert_eq!(
        a["detail"], b["detail"],
        "the answer must not tell whether the email exists"
    );
    app.call("GET", "/api/v1/me", None, None)
        .await
        .problem(401, "unauthorized");
}

fn forge(claims: &Value, secret: &str, algorithm: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(algorithm),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("forge")
}

async fn forged_or_stale_tokens_are_refused(backend: Backend) {
    use base64_like::encode_segment;
    let app = TestApp::with_demo(backend).await;
    let good = app.access_token("camille@example.org").await;
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&good), None)
            .await
            .status,
        200
    );
    let me = app
        .call("GET", "/api/v1/me", Some(&good), None)
        .await
        .json();
    let now = chrono::Utc::now().timestamp();
    let session_of = |token: &str| {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_audience(&["comptoir-api"]);
        let key = jsonwebtoken::DecodingKey::from_secret(TEST_JWT_SECRET.as_bytes());
        jsonwebtoken::decode::<Value>(token, &key, &validation)
            .expect("a token of ours")
            .claims["sid"]
            .clone()
    };
    let sid = session_of(&good);
    let claims = |overrides: Value| {
        let mut c = json!({"sub": me["id"], "iat": now, "exp": now + 600, "iss": "comptoir", "aud": "comptoir-api", "jti": key(), "sid": sid});
        for (k, v) in overrides.as_object().cloned().unwrap_or_default() {
            if v.is_null() {
                c.as_object_mut().map(|o| o.remove(&k));
            } else {
                c[k] = v;
            }
        }
        c
    };
    // the forger knows the key: only the claims or algorithm are wrong
    let hs256 = jsonwebtoken::Algorithm::HS256;
    assert_eq!(
        app.call(
            "GET",
            "/api/v1/me",
            Some(&forge(&claims(json!({})), TEST_JWT_SECRET, hs256)),
            None
        )
        .await
        .status,
        200
    );
    let mut bad = vec![
        (
            "expired",
            forge(&claims(json!({"exp": now - 120})), TEST_JWT_SECRET, hs256),
        ),
        (
            "not valid yet",
            forge(&claims(json!({"nbf": now + 3600})), TEST_JWT_SECRET, hs256),
        ),
        (
            "issued in the future",
            forge(&claims(json!({"iat": now + 3600})), TEST_JWT_SECRET, hs256),
        ),
        (
            "wrong audience",
            forge(
                &claims(json!({"aud": "another-api"})),
                TEST_JWT_SECRET,
                hs256,
            ),
        ),
        (
            "wrong issuer",
            forge(&claims(json!({"iss": "evil"})), TEST_JWT_SECRET, hs256),
        ),
        (
            "no exp",
            forge(&claims(json!({"exp": null})), TEST_JWT_SECRET, hs256),
        ),
        (
            "no jti",
            forge(&claims(json!({"jti": null})), TEST_JWT_SECRET, hs256),
        ),
        (
            "a session that never existed",
            forge(&claims(json!({"sid": key()})), TEST_JWT_SECRET, hs256),
        ),
        (
            "another person's session",
            forge(
                &claims(json!({"sid": session_of(&app.access_token("yanis@example.org").await)})),
                TEST_JWT_SECRET,
                hs256,
            ),
        ),
        (
            "wrong key",
            forge(
                &claims(json!({})),
                "another-key-another-key-another-key!",
                hs256,
            ),
        ),
        (
            "other algorithm",
            forge(
                &claims(json!({})),
                TEST_JWT_SECRET,
                jsonwebtoken::Algorithm::HS512,
            ),
        ),
    ];
    // alg: none, and a tampered payload under a valid signature
    let header = encode_segment(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = encode_segment(claims(json!({})).to_string().as_bytes());
    bad.push(("alg none", format!("{header}.{payload}.")));
    let parts: Vec<&str> = good.split('.').collect();
    let admin_payload = encode_segment(
        claims(json!({"sub": "someone-else"}))
            .to_string()
            .as_bytes(),
    );
    bad.push((
        "tampered payload",
        format!("{}.{admin_payload}.{}", parts[0], parts[2]),
    ));
    bad.push(("garbage", "not.a.token".to_string()));
    for (what, token) in bad {
        let reply = app.call("GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(reply.status, 401, "{what} was accepted");
    }
}

/// Minimal base64url without padding, for forging token segments.
mod base64_like {
    pub fn encode_segment(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

async fn disabled_users_tokens_stop_working(backend: Backend) {
    use diesel::prelude::*;
    let app = TestApp::with_demo(backend).await;
    let token = app.access_token("yanis@example.org").await;
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&token), None)
            .await
            .status,
        200
    );
    let mut conn = app.db.db.conn().expect("conn");
    let conn = &mut conn;
    diesel::update(
        comptoir::db::schema::users::table
            .filter(comptoir::db::schema::users::email.eq("yanis@example.org")),
    )
    .set(comptoir::db::schema::users::disabled_at.eq(Some(comptoir::time::now())))
    .execute(conn.diesel())
    .expect("disable");
    app.call("GET", "/api/v1/me", Some(&token), None)
        .await
        .problem(401, "unauthorized");
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "yanis@example.org", "password": PASSWORD}),
        )
        .await;
    login.problem(401, "unauthorized");
}

/// The demo with LEM wallets for Camille and the farm; returns (camille token, treasurer
/// token, farm token, camille wallet, farm wallet, farm id).
async fn wallets(app: &TestApp) -> (String, String, String, String, String, String) {
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
        .await;
    assert_eq!(
        wallet.status,
        201,
        "{}",
        String::from_utf8_lossy(&wallet.body)
    );
    let farm = app
        .get("/api/v1/enterprises/ferme-des-trois-chenes")
        .await
        .json();
    let farm_id = farm["id"].as_str().expect("farm").to_string();
    let farm_wallet = app
        .call(
            "POST",
            &format!("/api/v1/enterprises/{farm_id}/wallets"),
            Some(&farmer),
            Some(&json!({"currency": "LEM"})),
        )
        .await;
    assert_eq!(
        farm_wallet.status,
        201,
        "{}",
        String::from_utf8_lossy(&farm_wallet.body)
    );
    let id = |r: Reply| r.json()["id"].as_str().expect("id").to_string();
    (
        camille,
        treasurer,
        farmer,
        id(wallet),
        id(farm_wallet),
        farm_id,
    )
}

async fn money_flows_over_http_with_exact_amounts(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let (camille, treasurer, farmer, wallet, farm_wallet, farm_id) = wallets(&app).await;
    let issue_id = key();
    let issuance = json!({"entry_id": issue_id, "wallet_id": wallet, "amount": lem("50.00"), "method": "bank_transfer", "reference": "VIR-1"});
    let first = app
        .call(
            "POST",
            "/api/v1/currencies/LEM/issuances",
            Some(&treasurer),
            Some(&issuance),
        )
        .await;
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let entry = first.json();
    assert_eq!(entry["transfers"][0]["amount"], lem("50.00"));
    assert_eq!(
        entry["transfers"][1]["amount"],
        json!({"amount": "50.00", "currency": "EUR"})
    );
    let replay = app
        .call(
            "POST",
            "/api/v1/currencies/LEM/issuances",
            Some(&treasurer),
            Some(&issuance),
        )
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.json(), entry);
    let mut changed = issuance.clone();
    changed["amount"] = lem("60.00");
    app.call(
        "POST",
        "/api/v1/currencies/LEM/issuances",
        Some(&treasurer),
        Some(&changed),
    )
    .await
    .problem(409, "idempotency-conflict");

    // amounts are exact decimal strings of the currency's scale
    let pay = |amount: Value| json!({"entry_id": key(), "from_account_id": wallet, "to_account_id": farm_wallet, "amount": amount, "reference": "basket"});
    let problem = app
        .call(
            "POST",
            "/api/v1/payments",
            Some(&camille),
            Some(&pay(json!({"amount": 20.5, "currency": "LEM"}))),
        )
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "amount.amount");
    let problem = app
        .call(
            "POST",
            "/api/v1/payments",
            Some(&camille),
            Some(&pay(lem("20.555"))),
        )
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["code"], "too_many_decimals");
    let problem = app
        .call(
            "POST",
            "/api/v1/payments",
            Some(&camille),
            Some(&pay(json!({"amount": "20.00", "currency": "EUR"}))),
        )
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["code"], "currency_mismatch");
    let refused = app
        .call(
            "POST",
            "/api/v1/payments",
            Some(&camille),
            Some(&pay(lem("50.01"))),
        )
        .await
        .problem(409, "insufficient-funds");
    // a reference has at most 200 characters
    let long = json!({"entry_id": key(), "from_account_id": wallet, "to_account_id": farm_wallet,
        "amount": lem("1.00"), "reference": "r".repeat(201)});
    let problem = app
        .call("POST", "/api/v1/payments", Some(&camille), Some(&long))
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "reference", "{problem}");
    // in the currency's decimals, with its code: what a person can act on
    let detail = refused["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("can spend 50.00 LEM") && detail.contains("50.01 LEM requested"),
        "{detail}"
    );
    let paid = app
        .call(
            "POST",
            "/api/v1/payments",
            Some(&camille),
            Some(&pay(lem("20.00"))),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", String::from_utf8_lossy(&paid.body));

    let account = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(
        (account["balance"].clone(), account["available"].clone()),
        (lem("30.00"), lem("30.00"))
    );

    // reconversion: professionals only
    let reconvert = |wallet: &str, amount: &str| json!({"entry_id": key(), "wallet_id": wallet, "amount": lem(amount), "reference": "R-1"});
    app.call(
        "POST",
        "/api/v1/reconversions",
        Some(&camille),
        Some(&reconvert(&wallet, "5.00")),
    )
    .await
    .problem(409, "reconversion-not-allowed");
    let reconverted = app
        .call(
            "POST",
            "/api/v1/reconversions",
            Some(&farmer),
            Some(&reconvert(&farm_wallet, "10.00")),
        )
        .await;
    assert_eq!(
        reconverted.status,
        201,
        "{}",
        String::from_utf8_lossy(&reconverted.body)
    );

    let statement = app
        .call(
            "GET",
            "/api/v1/currencies/LEM/statement",
            Some(&treasurer),
            None,
        )
        .await
        .json();
    assert_eq!(statement["circulation"], lem("40.00"));
    assert_eq!(
        statement["guarantee_fund"],
        json!({"amount": "40.00", "currency": "EUR"})
    );
    assert_eq!(
        statement["difference"],
        json!({"amount": "0.00", "currency": "EUR"})
    );

    // the euros owed to the farm are paid out by the treasurer
    let farm_accounts = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{farm_id}/accounts"),
            Some(&farmer),
            None,
        )
        .await
        .json();
    let payable = farm_accounts
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == "euro_payable"))
        .expect("payable")
        .clone();
    assert_eq!(
        payable["balance"],
        json!({"amount": "10.00", "currency": "EUR"})
    );
    let payout = json!({"entry_id": key(), "currency": "LEM", "amount": {"amount": "10.00", "currency": "EUR"}, "reference": "VIR-OUT"});
    let paid_out = app
        .call(
            "POST",
            &format!(
                "/api/v1/accounts/{}/payouts",
                payable["id"].as_str().unwrap_or("")
            ),
            Some(&treasurer),
            Some(&payout),
        )
        .await;
    assert_eq!(
        paid_out.status,
        201,
        "{}",
        String::from_utf8_lossy(&paid_out.body)
    );

    // history, paginated, and as CSV
    let page = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}/transfers?limit=1"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(page["items"][0]["direction"], "in");
    assert_eq!(page["items"][0]["amount"], lem("50.00"));
    let next = page["next"].as_str().expect("next page").to_string();
    let second = app.call("GET", &next, Some(&camille), None).await.json();
    assert_eq!(second["items"][0]["direction"], "out");
    assert_eq!(second["items"][0]["reference"], "basket");
    let csv = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}/transfers.csv"),
            Some(&camille),
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8_lossy(&csv.body).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("created_at,entry_id"));
    assert!(
        lines[1].contains(",in,posted,50.00,LEM,") && lines[2].contains(",out,posted,20.00,LEM,"),
        "{text}"
    );
    let empty_range = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}/transfers.csv?to=2020-01-01T00:00:00Z"),
            Some(&camille),
            None,
        )
        .await;
    assert_eq!(
        String::from_utf8_lossy(&empty_range.body).lines().count(),
        1
    );

    // corrections are reversing entries, once
    let second_payment = app
        .call(
            "POST",
            "/api/v1/payments",
            Some(&camille),
            Some(&pay(lem("5.00"))),
        )
        .await;
    assert_eq!(second_payment.status, 201);
    let payment_id = second_payment.json()["id"]
        .as_str()
        .expect("entry")
        .to_string();
    let reversal = json!({"entry_id": key(), "reason": "paid twice"});
    let reversed = app
        .call(
            "POST",
            &format!("/api/v1/ledger/entries/{payment_id}/reversal"),
            Some(&treasurer),
            Some(&reversal),
        )
        .await;
    assert_eq!(
        reversed.status,
        201,
        "{}",
        String::from_utf8_lossy(&reversed.body)
    );
    let again = json!({"entry_id": key(), "reason": "paid twice"});
    app.call(
        "POST",
        &format!("/api/v1/ledger/entries/{payment_id}/reversal"),
        Some(&treasurer),
        Some(&again),
    )
    .await
    .problem(409, "already-reversed");
    let account = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(account["balance"], lem("30.00"));

    // one entry, read back by its parties and the currency's treasurers, with its reversal
    let reversal_id = reversed.json()["id"].as_str().expect("entry").to_string();
    let entry_path = format!("/api/v1/ledger/entries/{payment_id}");
    for (who, token) in [
        ("payer", &camille),
        ("payee", &farmer),
        ("treasurer", &treasurer),
    ] {
        let read = app.call("GET", &entry_path, Some(token), None).await;
        assert_eq!(
            read.status,
            200,
            "{who}: {}",
            String::from_utf8_lossy(&read.body)
        );
        let entry = read.json();
        assert_eq!(entry["id"], payment_id.as_str(), "{who}");
        assert_eq!(entry["code"], "pay");
        assert_eq!(entry["transfers"][0]["amount"], lem("5.00"));
        assert_eq!(entry["transfers"][0]["debit_account_id"], wallet.as_str());
        assert_eq!(entry["hash"].as_str().map(str::len), Some(64));
        assert_eq!(entry["reversed_by_entry_id"], reversal_id.as_str());
    }
    let reversal_entry = app
        .call(
            "GET",
            &format!("/api/v1/ledger/entries/{reversal_id}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(reversal_entry["reverses_entry_id"], payment_id.as_str());
    assert!(reversal_entry["reversed_by_entry_id"].is_null());
    // no party to it, or no such entry: the same 404
    let yanis = app.access_token("yanis@example.org").await;
    app.call("GET", &entry_path, Some(&yanis), None)
        .await
        .problem(404, "not-found");
    app.call(
        "GET",
        &format!("/api/v1/ledger/entries/{}", key()),
        Some(&camille),
        None,
    )
    .await
    .problem(404, "not-found");
    app.get(&entry_path).await.problem(401, "unauthorized");

    // receipts: one per new issue and reconversion (the replay queued nothing), in the
    // recipient's language, with the amounts of the entry
    let memory = comptoir::mail::transport::Memory::default();
    let mailer = comptoir::mail::mailer_with(
        &crate::harness::test_config(&app.db.url),
        Box::new(memory.clone()),
    )
    .expect("mailer");
    let conn = &mut app.db.db.conn().expect("conn");
    let pass = mailer.deliver_due(conn).expect("pass");
    assert_eq!(pass.failed, 0);
    let kept = memory.kept.lock().expect("lock").clone();
    let receipts: Vec<(String, String)> = kept
        .iter()
        .map(|k| {
            let parsed = mailparse::parse_mail(&k.raw).expect("mail");
            (k.to.join(","), parsed.subparts[0].get_body().expect("text"))
        })
        .collect();
    let topups: Vec<&(String, String)> = receipts
        .iter()
        .filter(|(_, text)| text.contains("VIR-1"))
        .collect();
    assert_eq!(topups.len(), 1, "{receipts:#?}");
    assert_eq!(topups[0].0, "camille@example.org");
    assert!(
        topups[0].1.contains("50,00\u{a0}LEM") && topups[0].1.contains("50,00\u{a0}€"),
        "{}",
        topups[0].1
    );
    let reconversions: Vec<&(String, String)> = receipts
        .iter()
        .filter(|(_, text)| text.contains("Reconversion de"))
        .collect();
    assert_eq!(reconversions.len(), 1, "{receipts:#?}");
    assert_eq!(reconversions[0].0, "ferme@troischenes.example.org");
    assert!(
        reconversions[0].1.contains("10,00\u{a0}LEM"),
        "{}",
        reconversions[0].1
    );
}

async fn money_routes_refuse_other_peoples_accounts(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (camille, treasurer, farmer, wallet, farm_wallet, farm_id) = wallets(&app).await;
    let yanis = app.access_token("yanis@example.org").await;
    let baker = app.access_token("fournil@colline.example.org").await;
    let issuance = json!({"entry_id": key(), "wallet_id": wallet, "amount": lem("10.00"), "method": "cash", "reference": "x"});
    for who in [&camille, &farmer, &baker] {
        app.call(
            "POST",
            "/api/v1/currencies/LEM/issuances",
            Some(who),
            Some(&issuance),
        )
        .await
        .problem(403, "forbidden");
    }
    app.call(
        "POST",
        "/api/v1/currencies/LEM/issuances",
        Some(&treasurer),
        Some(&issuance),
    )
    .await;
    let steal = json!({"entry_id": key(), "from_account_id": wallet, "to_account_id": farm_wallet, "amount": lem("1.00")});
    app.call("POST", "/api/v1/payments", Some(&yanis), Some(&steal))
        .await
        .problem(403, "forbidden");
    app.call("POST", "/api/v1/payments", Some(&farmer), Some(&steal))
        .await
        .problem(403, "forbidden");
    app.call("POST", "/api/v1/payments", Some(&treasurer), Some(&steal))
        .await
        .problem(403, "forbidden");
    app.call(
        "GET",
        &format!("/api/v1/accounts/{wallet}"),
        Some(&yanis),
        None,
    )
    .await
    .problem(403, "forbidden");
    app.call(
        "GET",
        &format!("/api/v1/accounts/{wallet}/transfers"),
        Some(&baker),
        None,
    )
    .await
    .problem(403, "forbidden");
    app.call(
        "GET",
        &format!("/api/v1/accounts/{wallet}/transfers.csv"),
        Some(&farmer),
        None,
    )
    .await
    .problem(403, "forbidden");
    app.call(
        "GET",
        &format!("/api/v1/enterprises/{farm_id}/accounts"),
        Some(&baker),
        None,
    )
    .await
    .problem(403, "forbidden");
    app.call(
        "GET",
        "/api/v1/currencies/LEM/statement",
        Some(&camille),
        None,
    )
    .await
    .problem(403, "forbidden");
    let limit = json!({"limit": lem("100.00")});
    app.call(
        "PUT",
        &format!("/api/v1/accounts/{farm_wallet}/overdraft-limit"),
        Some(&farmer),
        Some(&limit),
    )
    .await
    .problem(403, "forbidden");
    let set = app
        .call(
            "PUT",
            &format!("/api/v1/accounts/{farm_wallet}/overdraft-limit"),
            Some(&treasurer),
            Some(&limit),
        )
        .await;
    assert_eq!(set.json()["overdraft_limit"], lem("100.00"));
    // reconverting, paying out, reversing: only for those whose role it is
    let reconvert = json!({"entry_id": key(), "wallet_id": farm_wallet, "amount": lem("1.00")});
    for who in [&camille, &baker, &treasurer] {
        app.call("POST", "/api/v1/reconversions", Some(who), Some(&reconvert))
            .await
            .problem(403, "forbidden");
    }
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
        .clone();
    let payout = json!({"entry_id": key(), "currency": "LEM", "amount": {"amount": "1.00", "currency": "EUR"}, "reference": "x"});
    for who in [&camille, &farmer, &baker] {
        app.call(
            "POST",
            &format!(
                "/api/v1/accounts/{}/payouts",
                payable.as_str().unwrap_or("")
            ),
            Some(who),
            Some(&payout),
        )
        .await
        .problem(403, "forbidden");
    }
    let issued = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}/transfers"),
            Some(&camille),
            None,
        )
        .await
        .json();
    let entry = issued["items"][0]["entry_id"]
        .as_str()
        .expect("entry")
        .to_string();
    let reversal = json!({"entry_id": key(), "reason": "x"});
    for who in [&camille, &farmer] {
        app.call(
            "POST",
            &format!("/api/v1/ledger/entries/{entry}/reversal"),
            Some(who),
            Some(&reversal),
        )
        .await
        .problem(403, "forbidden");
    }
    // client entry ids are v4 or v7 UUIDs (the server derives v5 ids for its own work)
    let v5 = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, b"x").to_string();
    let pay = json!({"entry_id": v5, "from_account_id": wallet, "to_account_id": farm_wallet, "amount": lem("1.00")});
    let problem = app
        .call("POST", "/api/v1/payments", Some(&camille), Some(&pay))
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "entry_id");
    let currency = json!({"code": "ABC", "name": "Abc", "symbol": "A", "scale": 2, "kind": "fiat"});
    app.call(
        "POST",
        "/api/v1/currencies",
        Some(&treasurer),
        Some(&currency),
    )
    .await
    .problem(403, "forbidden");
    let admin = app.access_token("admin@comptoir.example.org").await;
    let created = app
        .call("POST", "/api/v1/currencies", Some(&admin), Some(&currency))
        .await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    // the treasurer of the currency reads any of its accounts
    assert_eq!(
        app.call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&treasurer),
            None
        )
        .await
        .status,
        200
    );
}

/// Routes open to anonymous callers, each by decision. A new route must either be added here
/// or refuse anonymous callers: this test fails otherwise.
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/openapi.json"),
    // no login: the caller's address decides (`metrics.allowed_addresses`)
    ("GET", "/metrics"),
    ("GET", "/problems/{slug}"),
    ("GET", "/api/v1/currencies"),
    ("GET", "/api/v1/enterprises"),
    ("GET", "/api/v1/enterprises/{id_or_slug}"),
    ("GET", "/api/v1/enterprises/{id_or_slug}/products"),
    ("GET", "/api/v1/enterprises/{hub}/offer"),
    ("GET", "/api/v1/categories"),
    // an association publishes the account it receives transfers on (as on its receipts)
    ("GET", "/api/v1/enterprises/{id}/bank-account"),
    ("GET", "/api/v1/products"),
    ("GET", "/api/v1/products/{product_id}"),
    ("GET", "/api/v1/enterprises/{id_or_slug}/order-cycles"),
    ("GET", "/api/v1/order-cycles/{cycle_id}"),
    ("POST", "/api/v1/order-cycles/{cycle_id}/quote"),
    ("GET", "/api/v1/order-cycles/{cycle_id}/shipping-methods"),
    ("POST", "/api/v1/auth/login"),
    // the refresh token in the body is the credential
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    // account creation and recovery: the mailed token is the credential
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/verify-email"),
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
];

async fn every_route_is_public_by_decision_or_needs_a_login(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let doc = app.get("/openapi.json").await.json();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let method = method.to_uppercase();
            let public = PUBLIC_ROUTES.iter().any(|(m, p)| *m == method && p == path);
            let declares_login = operation.get("security").is_some();
            assert!(public != declares_login, "{method} {path}: list it in PUBLIC_ROUTES or require a login (and document `security`)");
            if !public {
                let concrete: String = path
                    .split('/')
                    .map(|s| if s.starts_with('{') { "x" } else { s })
                    .collect::<Vec<_>>()
                    .join("/");
                let reply = app.call(&method, &concrete, None, Some(&json!({}))).await;
                reply.problem(401, "unauthorized");
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} protected routes found");
}

async fn holds_over_http_post_for_less_and_void(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let (camille, treasurer, farmer, wallet, farm_wallet, _) = wallets(&app).await;
    let yanis = app.access_token("yanis@example.org").await;
    let issuance = json!({"entry_id": key(), "wallet_id": wallet, "amount": lem("30.00"), "method": "card", "reference": "CB"});
    app.call(
        "POST",
        "/api/v1/currencies/LEM/issuances",
        Some(&treasurer),
        Some(&issuance),
    )
    .await;
    let hold = |amount: &str| json!({"entry_id": key(), "from_account_id": wallet, "to_account_id": farm_wallet, "amount": lem(amount), "reference": "order 12"});
    let held = app
        .call(
            "POST",
            "/api/v1/holds",
            Some(&camille),
            Some(&hold("12.00")),
        )
        .await;
    assert_eq!(held.status, 201, "{}", String::from_utf8_lossy(&held.body));
    let hold_id = held.json()["transfers"][0]["id"]
        .as_str()
        .expect("hold")
        .to_string();
    let account = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(
        (account["balance"].clone(), account["available"].clone()),
        (lem("30.00"), lem("18.00"))
    );
    // the payer cannot capture; the receiver captures less than held (weighed goods)
    let post = json!({"entry_id": key(), "amount": lem("10.40"), "reference": "weighed"});
    app.call(
        "POST",
        &format!("/api/v1/holds/{hold_id}/post"),
        Some(&camille),
        Some(&post),
    )
    .await
    .problem(403, "forbidden");
    let posted = app
        .call(
            "POST",
            &format!("/api/v1/holds/{hold_id}/post"),
            Some(&farmer),
            Some(&post),
        )
        .await;
    assert_eq!(
        posted.status,
        201,
        "{}",
        String::from_utf8_lossy(&posted.body)
    );
    let again = json!({"entry_id": key()});
    app.call(
        "POST",
        &format!("/api/v1/holds/{hold_id}/void"),
        Some(&camille),
        Some(&again),
    )
    .await
    .problem(409, "hold-resolved");
    let account = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(
        (account["balance"].clone(), account["available"].clone()),
        (lem("19.60"), lem("19.60"))
    );
    // a second hold is voided by the payer; a stranger may not touch it
    let second = app
        .call("POST", "/api/v1/holds", Some(&camille), Some(&hold("5.00")))
        .await
        .json();
    let second_id = second["transfers"][0]["id"]
        .as_str()
        .expect("hold")
        .to_string();
    let void = json!({"entry_id": key(), "reference": "cancelled"});
    app.call(
        "POST",
        &format!("/api/v1/holds/{second_id}/void"),
        Some(&yanis),
        Some(&void),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(
        app.call(
            "POST",
            &format!("/api/v1/holds/{second_id}/void"),
            Some(&camille),
            Some(&void)
        )
        .await
        .status,
        201
    );
    let account = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(account["available"], lem("19.60"));
    app.call(
        "POST",
        "/api/v1/holds",
        Some(&camille),
        Some(&hold("19.61")),
    )
    .await
    .problem(409, "insufficient-funds");
}

async fn commission_rules_apply_to_reconversions(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (_, treasurer, farmer, _, farm_wallet, _) = wallets(&app).await;
    let rule = json!({"percent": "2.5", "fixed": lem("0.10")});
    app.call(
        "PUT",
        "/api/v1/currencies/LEM/commission",
        Some(&farmer),
        Some(&rule),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(
        app.call(
            "PUT",
            "/api/v1/currencies/LEM/commission",
            Some(&treasurer),
            Some(&rule)
        )
        .await
        .status,
        204
    );
    let bad = json!({"percent": "120", "fixed": lem("0")});
    app.call(
        "PUT",
        "/api/v1/currencies/LEM/commission",
        Some(&treasurer),
        Some(&bad),
    )
    .await
    .problem(422, "validation");
    let issuance = json!({"entry_id": key(), "wallet_id": farm_wallet, "amount": lem("40.00"), "method": "bank_transfer", "reference": "V"});
    assert_eq!(
        app.call(
            "POST",
            "/api/v1/currencies/LEM/issuances",
            Some(&treasurer),
            Some(&issuance)
        )
        .await
        .status,
        201
    );
    let reconversion = json!({"entry_id": key(), "wallet_id": farm_wallet, "amount": lem("40.00")});
    let entry = app
        .call(
            "POST",
            "/api/v1/reconversions",
            Some(&farmer),
            Some(&reconversion),
        )
        .await
        .json();
    // 2.5 % of 40.00 = 1.00, plus 0.10: the farm is owed 38.90 euros
    assert_eq!(entry["transfers"][0]["amount"], lem("38.90"));
    assert_eq!(entry["transfers"][1]["amount"], lem("1.10"));
    assert_eq!(
        entry["transfers"][2]["amount"],
        json!({"amount": "38.90", "currency": "EUR"})
    );
}

async fn treasurers_freeze_and_close_accounts(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let (camille, treasurer, farmer, wallet, farm_wallet, _) = wallets(&app).await;
    let issuance = json!({"entry_id": key(), "wallet_id": wallet, "amount": lem("5.00"), "method": "cash", "reference": "c"});
    assert_eq!(
        app.call(
            "POST",
            "/api/v1/currencies/LEM/issuances",
            Some(&treasurer),
            Some(&issuance)
        )
        .await
        .status,
        201
    );
    let status = |s: &str| json!({"status": s});
    app.call(
        "PUT",
        &format!("/api/v1/accounts/{wallet}/status"),
        Some(&farmer),
        Some(&status("frozen")),
    )
    .await
    .problem(403, "forbidden");
    let frozen = app
        .call(
            "PUT",
            &format!("/api/v1/accounts/{wallet}/status"),
            Some(&treasurer),
            Some(&status("frozen")),
        )
        .await;
    assert_eq!(frozen.json()["status"], "frozen");
    let pay = json!({"entry_id": key(), "from_account_id": wallet, "to_account_id": farm_wallet, "amount": lem("1.00")});
    app.call("POST", "/api/v1/payments", Some(&camille), Some(&pay))
        .await
        .problem(409, "account-not-active");
    app.call(
        "PUT",
        &format!("/api/v1/accounts/{wallet}/status"),
        Some(&treasurer),
        Some(&status("closed")),
    )
    .await
    .problem(422, "validation");
    assert_eq!(
        app.call(
            "PUT",
            &format!("/api/v1/accounts/{farm_wallet}/status"),
            Some(&treasurer),
            Some(&status("closed"))
        )
        .await
        .status,
        200
    );
    app.call(
        "PUT",
        &format!("/api/v1/accounts/{farm_wallet}/status"),
        Some(&treasurer),
        Some(&status("active")),
    )
    .await
    .problem(409, "account-not-active");
    app.call(
        "PUT",
        &format!("/api/v1/accounts/{wallet}/status"),
        Some(&treasurer),
        Some(&status("active")),
    )
    .await;
    assert_eq!(
        app.call("POST", "/api/v1/payments", Some(&camille), Some(&pay))
            .await
            .status,
        409,
        "paying a closed account is refused"
    );
}

async fn login_pair(app: &TestApp, email: &str) -> (String, String) {
    let reply = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        )
        .await
        .json();
    (
        reply["access_token"].as_str().expect("access").to_string(),
        reply["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_string(),
    )
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (access, first) = login_pair(&app, "camille@example.org").await;
    let (_, other_session) = login_pair(&app, "camille@example.org").await;
    let rotated = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": first}))
        .await;
    assert_eq!(
        rotated.status,
        200,
        "{}",
        String::from_utf8_lossy(&rotated.body)
    );
    let rotated = rotated.json();
    let second = rotated["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    assert_ne!(second, first);
    let new_access = rotated["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&new_access), None)
            .await
            .status,
        200
    );
    // the first token is presented again: stolen or replayed, the whole session ends
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": first}))
        .await
        .problem(401, "unauthorized");
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": second}))
        .await
        .problem(401, "unauthorized");
    app.call("GET", "/api/v1/me", Some(&new_access), None)
        .await
        .problem(401, "unauthorized");
    app.call("GET", "/api/v1/me", Some(&access), None)
        .await
        .problem(401, "unauthorized");
    // another log-in of the same person is another session, untouched
    assert_eq!(
        app.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": other_session})
        )
        .await
        .status,
        200
    );
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": "not-a-token"}),
    )
    .await
    .problem(401, "unauthorized");
}

async fn logout_ends_the_session_at_once(backend: Backend) {
    use diesel::prelude::*;
    let app = TestApp::with_demo(backend).await;
    let (access, refresh) = login_pair(&app, "yanis@example.org").await;
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&access), None)
            .await
            .status,
        200
    );
    let out = app
        .post_json("/api/v1/auth/logout", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(out.status, 204);
    app.call("GET", "/api/v1/me", Some(&access), None)
        .await
        .problem(401, "unauthorized");
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        app.post_json("/api/v1/auth/logout", &json!({"refresh_token": refresh}))
            .await
            .status,
        204
    );
    // a disabled user cannot refresh either
    let (_, refresh) = login_pair(&app, "yanis@example.org").await;
    let mut conn = app.db.db.conn().expect("conn");
    let conn = &mut conn;
    diesel::update(
        comptoir::db::schema::users::table
            .filter(comptoir::db::schema::users::email.eq("yanis@example.org")),
    )
    .set(comptoir::db::schema::users::disabled_at.eq(Some(comptoir::time::now())))
    .execute(conn.diesel())
    .expect("disable");
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
        .await
        .problem(401, "unauthorized");
}

async fn failed_logins_are_throttled_per_account_and_address(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let attempt = |email: &str, password: &str| json!({"email": email, "password": password});
    for _ in 0..5 {
        app.post_json(
            "/api/v1/auth/login",
            &attempt("camille@example.org", "guess"),
        )
        .await
        .problem(401, "unauthorized");
    }
    // locked: even the right password is refused until the window ends
    let locked = app
        .post_json(
            "/api/v1/auth/login",
            &attempt("Camille@example.org", PASSWORD),
        )
        .await;
    locked.problem(429, "too-many-requests");
    let retry: u64 = locked
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=900).contains(&retry), "{retry}");
    // another account from the same address still logs in, and a success clears its count
    assert_eq!(
        app.post_json(
            "/api/v1/auth/login",
            &attempt("yanis@example.org", PASSWORD)
        )
        .await
        .status,
        200
    );
    // the address limit: 30 failures from one address, whatever the accounts
    for i in 0..25 {
        app.post_json(
            "/api/v1/auth/login",
            &attempt(&format!("nobody{i}@example.org"), "x"),
        )
        .await
        .problem(401, "unauthorized");
    }
    app.post_json(
        "/api/v1/auth/login",
        &attempt("yanis@example.org", PASSWORD),
    )
    .await
    .problem(429, "too-many-requests");
}

async fn parallel_guesses_get_no_more_tries(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    // a success clears the account's count: four failures, a success, four more are allowed
    for _ in 0..4 {
        app.post_json(
            "/api/v1/auth/login",
            &json!({"email": "yanis@example.org", "password": "guess"}),
        )
        .await
        .problem(401, "unauthorized");
    }
    assert_eq!(
        app.post_json(
            "/api/v1/auth/login",
            &json!({"email": "yanis@example.org", "password": PASSWORD})
        )
        .await
        .status,
        200
    );
    for _ in 0..4 {
        app.post_json(
            "/api/v1/auth/login",
            &json!({"email": "yanis@example.org", "password": "guess"}),
        )
        .await
        .problem(401, "unauthorized");
    }
    // twenty guesses at once: no more than five are even checked
    let body = json!({"email": "camille@example.org", "password": "guess"});
    let replies =
        futures_util::future::join_all((0..20).map(|_| app.post_json("/api/v1/auth/login", &body)))
            .await;
    let checked = replies.iter().filter(|r| r.status == 401).count();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!((checked, refused), (5, 15));
}
