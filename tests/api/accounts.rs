//! Registration, email verification, password reset and change, on both backends.
//! Tokens are read from the mail outbox, where the mails carrying them wait.

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::{mail_outbox, users};

use crate::backend_tests;
use crate::harness::{Backend, TestApp};

backend_tests!(
    register_verify_then_log_in,
    registering_a_known_address_answers_the_same_and_mails_its_owner,
    registration_input_is_validated,
    password_reset_by_mailed_token_ends_every_session,
    password_change_needs_the_current_password,
    reset_requests_are_throttled,
    api_keys_are_shown_once_scoped_and_revocable,
    an_unverified_account_is_taken_over_by_the_mailbox_owner,
);

/// The newest queued mail of `template` to `recipient`: its payload.
fn mail(app: &TestApp, recipient: &str, template: &str) -> Option<Value> {
    let mut conn = app.db.db.conn().expect("conn");
    let conn = &mut conn;
    let payload: Option<String> = mail_outbox::table
        .filter(mail_outbox::recipient.eq(recipient))
        .filter(mail_outbox::template.eq(template))
        .order(mail_outbox::id.desc())
        .select(mail_outbox::payload)
        .first(conn.diesel())
        .optional()
        .expect("outbox");
    payload.map(|p| serde_json::from_str(&p).expect("json payload"))
}

fn mails(app: &TestApp, recipient: &str) -> i64 {
    let mut conn = app.db.db.conn().expect("conn");
    let conn = &mut conn;
    mail_outbox::table
        .filter(mail_outbox::recipient.eq(recipient))
        .count()
        .get_result(conn.diesel())
        .expect("count")
}

async fn login(app: &TestApp, email: &str, password: &str) -> crate::harness::Reply {
    app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": password}),
    )
    .await
}

async fn register_verify_then_log_in(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let body = json!({"email": "Nadia@Example.org", "password": "a long enough secret", "display_name": "Nadia", "locale": "en"});
    let reply = app.post_json("/api/v1/auth/register", &body).await;
    assert_eq!(
        reply.status,
        202,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    login(&app, "nadia@example.org", "a long enough secret")
        .await
        .problem(403, "forbidden");
    let token = mail(&app, "nadia@example.org", "verify_email").expect("verification mail")
        ["token"]
        .as_str()
        .expect("token")
        .to_string();
    let verified = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await;
    assert_eq!(verified.status, 204);
    let again = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await
        .problem(422, "validation");
    assert_eq!(again["errors"][0]["field"], "token");
    let reply = login(&app, "nadia@example.org", "a long enough secret").await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

async fn registering_a_known_address_answers_the_same_and_mails_its_owner(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let body = json!({"email": "camille@example.org", "password": "another long secret", "display_name": "Impostor"});
    let reply = app.post_json("/api/v1/auth/register", &body).await;
    assert_eq!(reply.status, 202);
    assert!(mail(&app, "camille@example.org", "account_exists").is_some());
    assert!(mail(&app, "camille@example.org", "verify_email").is_none());
    let mut conn = app.db.db.conn().expect("conn");
    let conn = &mut conn;
    let count: i64 = users::table
        .filter(users::email.eq("camille@example.org"))
        .count()
        .get_result(conn.diesel())
        .expect("count");
    assert_eq!(count, 1);
    // the demo password still works: nothing was overwritten
    assert_eq!(
        login(&app, "camille@example.org", "comptoir-demo")
            .await
            .status,
        200
    );
}

async fn registration_input_is_validated(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": "long enough secret", "display_name": "X"}),
            "email",
        ),
        (
            json!({"email": "x@example.org", "password": "short", "display_name": "X"}),
            "password",
        ),
        (
            json!({"email": "x@example.org", "password": "long enough secret", "display_name": "  "}),
            "display_name",
        ),
        (
            // German is a language of Switzerland, not of this French deployment
            json!({"email": "x@example.org", "password": "long enough secret", "display_name": "X", "locale": "de"}),
            "locale",
        ),
    ];
    for (body, field) in cases {
        let problem = app
            .post_json("/api/v1/auth/register", &body)
            .await
            .problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(
        mails(&app, "x@example.org"),
        0,
        "nothing is queued for refused input"
    );
}

async fn password_reset_by_mailed_token_ends_every_session(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let session = login(&app, "camille@example.org", "comptoir-demo")
        .await
        .json();
    let refresh = session["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let access = session["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let key = app
        .call(
            "POST",
            "/api/v1/me/api-keys",
            Some(&access),
            Some(&json!({"name": "k", "scopes": ["read"], "expires_in_days": 9})),
        )
        .await
        .json()["secret"]
        .as_str()
        .expect("key")
        .to_string();
    assert_eq!(
        app.post_json(
            "/api/v1/auth/password-reset",
            &json!({"email": "Camille@example.org"})
        )
        .await
        .status,
        202
    );
    assert_eq!(
        app.post_json(
            "/api/v1/auth/password-reset",
            &json!({"email": "nobody@example.org"})
        )
        .await
        .status,
        202
    );
    // the unknown address gets a notice, not a token
    let notice = mail(&app, "nobody@example.org", "password_reset_unknown").expect("notice");
    assert!(notice.get("token").is_none());
    let token = mail(&app, "camille@example.org", "password_reset").expect("reset mail")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let weak = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "new_password": "short"}),
        )
        .await;
    assert_eq!(
        weak.problem(422, "validation")["errors"][0]["field"],
        "new_password"
    );
    let done = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(done.status, 204);
    app.post_json(
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": token, "new_password": "yet another secret"}),
    )
    .await
    .problem(422, "validation");
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
        .await
        .problem(401, "unauthorized");
    // the session's access token and the user's API keys stop too
    app.call("GET", "/api/v1/me", Some(&access), None)
        .await
        .problem(401, "unauthorized");
    app.call("GET", "/api/v1/me/accounts", Some(&key), None)
        .await
        .problem(401, "unauthorized");
    login(&app, "camille@example.org", "comptoir-demo")
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        login(&app, "camille@example.org", "a brand new secret")
            .await
            .status,
        200
    );
}

async fn password_change_needs_the_current_password(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let session = login(&app, "yanis@example.org", "comptoir-demo")
        .await
        .json();
    let access = session["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let put = |body: Value| {
        let (app, access) = (&app, access.clone());
        async move {
            let mut response = app
                .client
                .put(app.url("/api/v1/me/password"))
                .insert_header(("authorization", format!("Bearer {access}")))
                .insert_header(("content-type", "application/json"))
                .send_body(body.to_string())
                .await
                .expect("request");
            let bytes = response.body().await.expect("body").to_vec();
            crate::harness::Reply {
                status: response.status(),
                headers: response.headers().clone(),
                body: bytes,
            }
        }
    };
    let problem = put(change("wrong one", "a brand new secret"))
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "current_password");
    assert_eq!(
        put(change("comptoir-demo", "a brand new secret"))
            .await
            .status,
        204
    );
    // every session ended, this one included
    put(change("a brand new secret", "and another secret"))
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        login(&app, "yanis@example.org", "a brand new secret")
            .await
            .status,
        200
    );
}

async fn reset_requests_are_throttled(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    for _ in 0..5 {
        assert_eq!(
            app.post_json(
                "/api/v1/auth/password-reset",
                &json!({"email": "camille@example.org"})
            )
            .await
            .status,
            202
        );
    }
    let reply = app
        .post_json(
            "/api/v1/auth/password-reset",
            &json!({"email": "camille@example.org"}),
        )
        .await;
    reply.problem(429, "too-many-requests");
    assert!(reply.header("retry-after").is_some());
    assert_eq!(mails(&app, "camille@example.org"), 5);
}

async fn with_bearer(
    app: &TestApp,
    method: &str,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> crate::harness::Reply {
    app.call(method, path, Some(bearer), body.as_ref()).await
}

async fn api_keys_are_shown_once_scoped_and_revocable(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let session = login(&app, "camille@example.org", "comptoir-demo")
        .await
        .json();
    let access = session["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let wallet = with_bearer(
        &app,
        "POST",
        "/api/v1/me/wallets",
        &access,
        Some(json!({"currency": "LEM"})),
    )
    .await
    .json();
    let bad = with_bearer(
        &app,
        "POST",
        "/api/v1/me/api-keys",
        &access,
        Some(json!({"name": "till", "scopes": ["read"], "expires_in_days": 0})),
    )
    .await;
    assert_eq!(
        bad.problem(422, "validation")["errors"][0]["field"],
        "expires_in_days"
    );
    let created = with_bearer(
        &app,
        "POST",
        "/api/v1/me/api-keys",
        &access,
        Some(json!({"name": "budget app", "scopes": ["read"], "expires_in_days": 30})),
    )
    .await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let created = created.json();
    let secret = created["secret"].as_str().expect("secret").to_string();
    assert!(
        secret.starts_with("cpt_")
            && secret.starts_with(created["prefix"].as_str().expect("prefix"))
    );
    let listed = with_bearer(&app, "GET", "/api/v1/me/api-keys", &access, None).await;
    assert!(
        !String::from_utf8_lossy(&listed.body).contains(&secret),
        "the secret is shown once only"
    );
    assert_eq!(listed.json()[0]["last_used_at"], Value::Null);
    // the key reads what its person may read
    assert_eq!(
        with_bearer(&app, "GET", "/api/v1/me/accounts", &secret, None)
            .await
            .status,
        200
    );
    let wallet_id = wallet["id"].as_str().expect("wallet");
    assert_eq!(
        with_bearer(
            &app,
            "GET",
            &format!("/api/v1/accounts/{wallet_id}"),
            &secret,
            None
        )
        .await
        .status,
        200
    );
    // ... and nothing more: moving money, managing keys or the password need a session
    let pay = json!({"entry_id": uuid::Uuid::now_v7().to_string(), "from_account_id": wallet_id, "to_account_id": wallet_id, "amount": {"amount": "1.00", "currency": "LEM"}});
    with_bearer(&app, "POST", "/api/v1/payments", &secret, Some(pay))
        .await
        .problem(403, "forbidden");
    with_bearer(&app, "GET", "/api/v1/me/api-keys", &secret, None)
        .await
        .problem(403, "forbidden");
    with_bearer(
        &app,
        "PUT",
        "/api/v1/me/password",
        &secret,
        Some(json!({"current_password": "comptoir-demo", "new_password": "stolen by a key!"})),
    )
    .await
    .problem(403, "forbidden");
    let listed = with_bearer(&app, "GET", "/api/v1/me/api-keys", &access, None)
        .await
        .json();
    assert!(listed[0]["last_used_at"].is_string(), "its use is recorded");
    // a key without the read scope reads nothing
    let orders_only = with_bearer(
        &app,
        "POST",
        "/api/v1/me/api-keys",
        &access,
        Some(json!({"name": "till", "scopes": ["orders"], "expires_in_days": 7})),
    )
    .await
    .json();
    let till = orders_only["secret"].as_str().expect("secret").to_string();
    with_bearer(&app, "GET", "/api/v1/me/accounts", &till, None)
        .await
        .problem(403, "forbidden");
    // revocation takes effect at once; nobody else can revoke it
    let yanis = login(&app, "yanis@example.org", "comptoir-demo")
        .await
        .json()["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let key_id = created["id"].as_str().expect("id");
    with_bearer(
        &app,
        "DELETE",
        &format!("/api/v1/me/api-keys/{key_id}"),
        &yanis,
        None,
    )
    .await
    .problem(404, "not-found");
    assert_eq!(
        with_bearer(
            &app,
            "DELETE",
            &format!("/api/v1/me/api-keys/{key_id}"),
            &access,
            None
        )
        .await
        .status,
        204
    );
    with_bearer(&app, "GET", "/api/v1/me/accounts", &secret, None)
        .await
        .problem(401, "unauthorized");
    with_bearer(&app, "GET", "/api/v1/me", "cpt_0000000000", None)
        .await
        .problem(401, "unauthorized");
}

async fn an_unverified_account_is_taken_over_by_the_mailbox_owner(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let register = |password: &str, name: &str| json!({"email": "lea@example.org", "password": password, "display_name": name});
    // someone registers an address that is not theirs
    assert_eq!(
        app.post_json(
            "/api/v1/auth/register",
            &register("the squatter's secret", "Squatter")
        )
        .await
        .status,
        202
    );
    let squatter_token = mail(&app, "lea@example.org", "verify_email").expect("mail")["token"]
        .as_str()
        .expect("token")
        .to_string();
    // the address's owner registers: the account is theirs, the first link is dead
    let reply = app
        .post_json(
            "/api/v1/auth/register",
            &register("Léa's own secret", "Léa"),
        )
        .await;
    assert_eq!(reply.status, 202);
    app.post_json(
        "/api/v1/auth/verify-email",
        &json!({"token": squatter_token}),
    )
    .await
    .problem(422, "validation");
    let token = mail(&app, "lea@example.org", "verify_email").expect("mail")["token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(
        app.post_json("/api/v1/auth/verify-email", &json!({"token": token}))
            .await
            .status,
        204
    );
    login(&app, "lea@example.org", "the squatter's secret")
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        login(&app, "lea@example.org", "Léa's own secret")
            .await
            .status,
        200
    );
    // once verified, registering again changes nothing and only notifies the owner
    assert_eq!(
        app.post_json("/api/v1/auth/register", &register("a third secret!", "X"))
            .await
            .status,
        202
    );
    assert!(mail(&app, "lea@example.org", "account_exists").is_some());
    assert_eq!(
        login(&app, "lea@example.org", "Léa's own secret")
            .await
            .status,
        200
    );
}
