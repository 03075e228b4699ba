//! Several instances on one database (#24): two servers, each with its own connection pool
//! and state, as two `comptoir serve` processes behind a proxy would be, on one SQLite file
//! or one PostgreSQL database. The log-in throttle counts once across them, on the
//! database's clock; its window ends on that clock; erasing a person forgets their counts.

use diesel::prelude::*;
use serde_json::json;

use crate::backend_tests;
use crate::harness::{test_config, Backend, TestApp};

backend_tests!(
    two_instances_count_one_log_in_throttle,
    a_throttle_window_ends_on_the_databases_clock,
);

/// A second server on `app`'s database, with a pool and a state of its own; its base URL.
fn second_instance(app: &TestApp) -> String {
    let config = test_config(&app.db.url);
    let db = comptoir::db::Db::connect(&config.database_url, 4).expect("a second pool");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    let port = listener.local_addr().expect("address").port();
    let server = comptoir::server::http_server(listener, db, &config, Some(1))
        .expect("the second server starts");
    actix_web::rt::spawn(server);
    format!("http://127.0.0.1:{port}")
}

async fn log_in(app: &TestApp, base: &str, email: &str, password: &str) -> u16 {
    let reply = app
        .client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"email": email, "password": password}))
        .await
        .expect("an answer");
    reply.status().as_u16()
}

async fn two_instances_count_one_log_in_throttle(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (one, two) = (app.base.clone(), second_instance(&app));
    let (camille, yanis) = ("camille@example.org", "yanis@example.org");
    let password = comptoir::demo::DEMO_PASSWORD;
    // five failures in all, on either instance: the account's limit
    for base in [&one, &two, &one, &two, &two] {
        assert_eq!(log_in(&app, base, camille, "guess").await, 401);
    }
    // locked on both, even with the right password
    assert_eq!(log_in(&app, &one, camille, password).await, 429);
    assert_eq!(log_in(&app, &two, camille, password).await, 429);
    // another account logs in on either; its success clears its own count only
    assert_eq!(log_in(&app, &two, yanis, password).await, 200);
    assert_eq!(log_in(&app, &one, yanis, password).await, 200);
    // parallel guesses spread over both instances: five are checked in all, not five each
    let guesses = (0..12).map(|i| {
        let base = if i % 2 == 0 { one.clone() } else { two.clone() };
        let app = &app;
        async move { log_in(app, &base, yanis, "guess").await }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers.iter().filter(|s| **s == 401).count();
    let refused = answers.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 7), "{answers:?}");
}

/// Moves every window of the throttle `seconds` into the past, as the clock would.
fn age_windows(app: &TestApp, seconds: i64) {
    let conn = &mut app.db.db.conn().expect("conn");
    diesel::sql_query("UPDATE login_throttle SET window_start = window_start - $1")
        .bind::<diesel::sql_types::BigInt, _>(seconds)
        .execute(conn.diesel())
        .expect("windows aged");
}

async fn a_throttle_window_ends_on_the_databases_clock(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (camille, password) = ("camille@example.org", comptoir::demo::DEMO_PASSWORD);
    let base = app.base.clone();
    for _ in 0..5 {
        assert_eq!(log_in(&app, &base, camille, "guess").await, 401);
    }
    assert_eq!(log_in(&app, &base, camille, password).await, 429);
    // fourteen minutes on: still locked, and Retry-After says about a minute
    age_windows(&app, 14 * 60);
    let reply = app
        .client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"email": camille, "password": password}))
        .await
        .expect("an answer");
    assert_eq!(reply.status().as_u16(), 429);
    let retry: u64 = reply
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    // fifteen: the window has ended, the right password logs in
    age_windows(&app, 60);
    assert_eq!(log_in(&app, &base, camille, password).await, 200);
    // the counts of an erased person go with them
    for _ in 0..2 {
        assert_eq!(log_in(&app, &base, "yanis@example.org", "guess").await, 401);
    }
    let conn = &mut app.db.db.conn().expect("conn");
    let counted = |conn: &mut comptoir::db::DbConn| -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM login_throttle WHERE key = 'email:yanis@example.org'",
        )
        .get_result::<N>(conn.diesel())
        .expect("count")
        .n
    };
    assert_eq!(counted(conn), 1);
    assert_eq!(
        comptoir::auth::throttle::forget_account(conn, "Yanis@example.org").expect("forgotten"),
        1
    );
    assert_eq!(counted(conn), 0);
}
