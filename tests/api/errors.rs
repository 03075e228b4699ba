//! Bad input always gets an RFC 9457 problem+json answer with a stable type.

use serde_json::json;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};

backend_tests!(
    malformed_json_is_400,
    wrong_content_type_is_415,
    oversized_body_is_413,
    unknown_route_is_404,
    wrong_method_is_405_with_allow,
    wrong_value_types_name_the_field,
    bad_query_parameters_name_the_parameter,
    problem_types_are_documented,
    streamed_oversized_body_is_413,
    internal_errors_show_only_the_request_id,
    cors_is_closed_unless_configured,
    deeply_nested_json_is_refused_cleanly,
    text_no_database_can_store_is_refused_naming_the_field,
);

async fn quote_path(app: &TestApp) -> String {
    format!("/api/v1/order-cycles/{}/quote", app.open_cycle_id().await)
}

async fn malformed_json_is_400(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let path = quote_path(&app).await;
    for body in [
        &b"{\"lines\": ["[..],
        b"not json",
        b"{\"lines\": []} trailing",
        b"",
    ] {
        let reply = app
            .request("POST", &path, Some("application/json"), body.to_vec())
            .await;
        reply.problem(400, "malformed-json");
    }
}

async fn wrong_content_type_is_415(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let path = quote_path(&app).await;
    let body = json!({"lines": []}).to_string().into_bytes();
    app.request("POST", &path, Some("text/plain"), body.clone())
        .await
        .problem(415, "unsupported-media-type");
    app.request("POST", &path, None, body.clone())
        .await
        .problem(415, "unsupported-media-type");
    app.request(
        "POST",
        &path,
        Some("application/x-www-form-urlencoded"),
        body,
    )
    .await
    .problem(415, "unsupported-media-type");
    // `+json` media types are JSON too: this one reaches validation
    let reply = app
        .request(
            "POST",
            &path,
            Some("application/merge-patch+json"),
            b"{\"lines\":[]}".to_vec(),
        )
        .await;
    reply.problem(422, "validation");
}

async fn oversized_body_is_413(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let path = quote_path(&app).await;
    let huge = format!("{{\"lines\": [], \"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    app.request("POST", &path, Some("application/json"), huge.into_bytes())
        .await
        .problem(413, "payload-too-large");
}

async fn unknown_route_is_404(backend: Backend) {
    let app = TestApp::empty(backend).await;
    // a path outside the API is a page: the friendly 404 page, in HTML
    let page = app.get("/nope").await;
    assert_eq!(page.status.as_u16(), 404);
    assert!(page
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
    for path in [
        "/api/v1/nope",
        "/api/v2/enterprises",
        "/api/v1/enterprises/x/y/z",
    ] {
        let problem = app.get(path).await.problem(404, "no-such-route");
        assert!(problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(path));
    }
}

async fn wrong_method_is_405_with_allow(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let reply = app.request("DELETE", "/health", None, Vec::new()).await;
    reply.problem(405, "method-not-allowed");
    assert_eq!(reply.header("allow").as_deref(), Some("GET"));
    let reply = app
        .request("GET", "/api/v1/order-cycles/abc/quote", None, Vec::new())
        .await;
    reply.problem(405, "method-not-allowed");
    assert_eq!(reply.header("allow").as_deref(), Some("POST"));
}

async fn wrong_value_types_name_the_field(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let path = quote_path(&app).await;
    let problem = app
        .post_json(
            &path,
            &json!({"lines": [{"variant_id": "x", "quantity": "2"}]}),
        )
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "lines[0].quantity");
    // in plain words, never a Rust type
    assert_eq!(problem["errors"][0]["message"], "must be a whole number");
    let problem = app
        .post_json(
            &path,
            &json!({"lines": [{"variant_id": "x", "quantity": 1, "price": "0.01"}]}),
        )
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "lines[0].price");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("unknown field"));
    let problem = app
        .post_json(&path, &json!({}))
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "lines", "{problem}");
    assert_eq!(problem["errors"][0]["message"], "is required");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("lines"));
    // serde reads a struct from an array too: the first element is then the bad value
    let problem = app
        .post_json(&path, &json!([1, 2]))
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "[0]");
    let problem = app
        .post_json(&path, &json!("lines"))
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "body");
}

async fn bad_query_parameters_name_the_parameter(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let problem = app
        .get("/api/v1/enterprises?limit=many")
        .await
        .problem(400, "invalid-query");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("`limit`"),
        "{problem}"
    );
    let problem = app
        .get("/api/v1/enterprises?kind=bakery")
        .await
        .problem(400, "invalid-query");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("`kind`"),
        "{problem}"
    );
    let problem = app
        .get("/api/v1/enterprises?limit=0&after=42")
        .await
        .problem(422, "validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["limit", "after"]);
    app.get("/api/v1/enterprises?limit=201")
        .await
        .problem(422, "validation");
}

async fn problem_types_are_documented(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let reply = app.get("/problems/validation").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], 422);
    app.get("/problems/no-such-problem")
        .await
        .problem(404, "not-found");
}

async fn streamed_oversized_body_is_413(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let path = quote_path(&app).await;
    // no Content-Length: the limit must hold while the body streams in
    let chunks =
        (0..64).map(|_| Ok::<_, std::io::Error>(actix_web::web::Bytes::from(vec![b' '; 8 * 1024])));
    let mut response = app
        .client
        .post(app.url(&path))
        .insert_header(("content-type", "application/json"))
        .send_stream(futures_util::stream::iter(chunks))
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("problem");
    assert_eq!(body["type"], "/problems/payload-too-large");
}

async fn internal_errors_show_only_the_request_id(backend: Backend) {
    use diesel::connection::SimpleConnection;
    let app = TestApp::with_demo(backend).await;
    // corrupt a row behind the application's back: reading it is a bug-class failure
    let mut conn = app.db.db.conn().expect("connection");
    let conn = &mut conn;
    let sql = match backend {
        Backend::Sqlite => "PRAGMA ignore_check_constraints = ON; UPDATE enterprises SET kind = 'bogus' WHERE slug = 'la-cagette';",
        Backend::Postgres => "ALTER TABLE enterprises DROP CONSTRAINT enterprises_kind_check; UPDATE enterprises SET kind = 'bogus' WHERE slug = 'la-cagette';",
    };
    conn.diesel().batch_execute(sql).expect("corrupt");
    let reply = app.get("/api/v1/enterprises/la-cagette").await;
    let problem = reply.problem(500, "internal");
    assert_eq!(
        problem["request_id"].as_str(),
        reply.header("x-request-id").as_deref()
    );
    let body = String::from_utf8_lossy(&reply.body).to_string();
    assert!(
        !body.contains("bogus") && !body.contains("kind"),
        "the cause leaked: {body}"
    );
}

async fn preflight(app: &TestApp, origin: &str) -> crate::harness::Reply {
    let mut response = app
        .client
        .request(awc::http::Method::OPTIONS, app.url("/api/v1/payments"))
        .insert_header(("origin", origin))
        .insert_header(("access-control-request-method", "POST"))
        .insert_header((
            "access-control-request-headers",
            "authorization, content-type",
        ))
        .send()
        .await
        .expect("preflight");
    let body = response.body().await.expect("body").to_vec();
    crate::harness::Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body,
    }
}

async fn cors_is_closed_unless_configured(backend: Backend) {
    let closed = TestApp::empty(backend).await;
    let reply = preflight(&closed, "https://shop.example.org").await;
    assert!(reply.header("access-control-allow-origin").is_none());
    let get = closed
        .client
        .get(closed.url("/health"))
        .insert_header(("origin", "https://shop.example.org"))
        .send()
        .await
        .expect("get");
    assert!(get.headers().get("access-control-allow-origin").is_none());

    let db = crate::harness::TestDb::migrated(backend);
    let open = TestApp::serve_with(db, |c| {
        c.cors_allowed_origins = vec!["https://shop.example.org".into()]
    })
    .await;
    let reply = preflight(&open, "https://shop.example.org").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("access-control-allow-origin").as_deref(),
        Some("https://shop.example.org")
    );
    let refused = preflight(&open, "https://evil.example.com").await;
    assert!(refused.header("access-control-allow-origin").is_none());
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert_eq!(
        refused.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert!(refused.header("x-request-id").is_some());
}

async fn deeply_nested_json_is_refused_cleanly(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let path = quote_path(&app).await;
    // typed bodies stop at the first value of the wrong shape; serde_json's recursion limit
    // (128) bounds what an untyped part could nest: either way a problem, never a crash
    for deep in [
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!(
            "{{\"lines\": {}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    ] {
        let reply = app
            .request("POST", &path, Some("application/json"), deep.into_bytes())
            .await;
        assert!(
            matches!(reply.status.as_u16(), 400 | 422),
            "{}",
            reply.status
        );
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/problem+json")
        );
    }
    let value: Result<serde_json::Value, _> = serde_json::from_str(&"[".repeat(200));
    assert!(value.is_err_and(|e| e.to_string().contains("recursion limit")));
    assert_eq!(app.get("/health").await.status, 200, "the server survived");
}

/// A NUL character cannot be stored (PostgreSQL refuses it in text): refused before any
/// handler, the same on both backends — 422 naming the field in a body or a query, 404 in a
/// path; a search term has a maximum length (SQLite refuses a `LIKE` pattern of ~50,000).
async fn text_no_database_can_store_is_refused_naming_the_field(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let body = serde_json::json!({"email": "nul@example.org", "password": "a long enough secret",
        "display_name": "Nul\u{0}", "locale": "en"});
    let problem = app
        .post_json("/api/v1/auth/register", &body)
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "display_name", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "unstorable_character");
    // nested, in an array
    let token = app.access_token("camille@example.org").await;
    let cycle = app.open_cycle_id().await;
    let cart = serde_json::json!({"lines": [{"variant_id": "x", "quantity": 1}, {"variant_id": "a\u{0}b", "quantity": 1}]});
    let problem = app
        .call(
            "PUT",
            &format!("/api/v1/order-cycles/{cycle}/cart"),
            Some(&token),
            Some(&cart),
        )
        .await
        .problem(422, "validation");
    assert_eq!(
        problem["errors"][0]["field"], "lines[1].variant_id",
        "{problem}"
    );
    // the six characters `\u0000` written as text are text, not a NUL
    let escaped = serde_json::json!({"email": "escaped@example.org", "password": "a long enough secret",
        "display_name": "Back\\u0000slash", "locale": "en"});
    let reply = app.post_json("/api/v1/auth/register", &escaped).await;
    assert_eq!(
        reply.status,
        202,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    // a path
    app.get("/api/v1/enterprises/la-cagette%00")
        .await
        .problem(404, "not-found");
    app.get("/api/v1/enterprises/%00")
        .await
        .problem(404, "not-found");
    // a query
    let problem = app
        .get("/api/v1/products?q=pain%00")
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "q", "{problem}");
    // a search term too long to be a search
    let long = "a".repeat(201);
    let problem = app
        .get(&format!("/api/v1/products?q={long}"))
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["code"], "too_long", "{problem}");
    let very_long = "a".repeat(60_000);
    let reply = app.get(&format!("/api/v1/products?q={very_long}")).await;
    assert!(
        reply.status.is_client_error(),
        "{}: {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
}
