//! Liveness, readiness, request ids, security headers.

use crate::backend_tests;
use crate::harness::{Backend, TestApp, TestDb};

backend_tests!(
    health_answers,
    ready_names_the_backend,
    ready_is_503_while_migrations_are_pending,
    request_ids_and_security_headers
);

async fn health_answers(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let reply = app.get("/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "ok");
}

async fn ready_names_the_backend(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let reply = app.get("/ready").await;
    assert_eq!(reply.status, 200);
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(
        reply.json(),
        serde_json::json!({"status": "ready", "database": expected})
    );
}

async fn ready_is_503_while_migrations_are_pending(backend: Backend) {
    let app = TestApp::serve(TestDb::blank(backend)).await;
    let reply = app.get("/ready").await;
    let problem = reply.problem(503, "unavailable");
    assert!(reply.header("retry-after").is_some());
    // the cause stays in the log; the client gets the request id
    assert!(!problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("migration"));
    assert_eq!(
        problem["request_id"].as_str(),
        reply.header("x-request-id").as_deref()
    );
    // liveness does not depend on the database
    assert_eq!(app.get("/health").await.status, 200);
}

async fn request_ids_and_security_headers(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let first = app.get("/health").await;
    let second = app.get("/health").await;
    let (a, b) = (first.header("x-request-id"), second.header("x-request-id"));
    assert!(a.is_some() && b.is_some() && a != b, "{a:?} {b:?}");
    assert_eq!(
        first.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(first.header("x-frame-options").as_deref(), Some("DENY"));

    let echoed = app
        .client
        .get(app.url("/health"))
        .insert_header(("x-request-id", "proxy-id-42"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        echoed
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("proxy-id-42")
    );
    // an unsafe incoming id is replaced, not echoed
    let replaced = app
        .client
        .get(app.url("/health"))
        .insert_header(("x-request-id", "<script>"))
        .send()
        .await
        .expect("request");
    let id = replaced
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}
