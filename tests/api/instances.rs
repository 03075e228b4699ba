//! Several instances on one database (#24): two servers, each with its own connection pool
//! and state, as two `comptoir serve` processes behind a proxy would be, on one SQLite file
//! or one PostgreSQL database ([`TestApp::another_instance`]). The log-in throttle counts
//! once across them, on the database's clock; its window ends on that clock; erasing a
//! person forgets their counts. Two customers racing for the last jars through different
//! instances cannot both have them, and a close asked of both instances at once settles once.

use diesel::prelude::*;
use serde_json::json;

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::support::{authed, funded_wallet, key, shop};

backend_tests!(
    two_instances_count_one_log_in_throttle,
    a_throttle_window_ends_on_the_databases_clock,
    a_refused_attempt_is_not_counted,
    checkouts_and_a_close_through_two_instances_sell_and_settle_once,
);

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
    let other = app.another_instance().await;
    let (one, two) = (app.base.clone(), other.base.clone());
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

/// A full window refuses an attempt without counting it: once an attempt in flight succeeds
/// and gives its reservation back, the next one is let in (refusals counted one past the
/// limit used to keep that place taken for the rest of the window: 31 log-ins at once from
/// one address locked it out).
async fn a_refused_attempt_is_not_counted(backend: Backend) {
    use comptoir::auth::throttle::Throttle;
    use comptoir::auth::AuthError;
    let app = TestApp::with_demo(backend).await;
    let conn = &mut app.db.db.conn().expect("conn");
    let throttle = Throttle::new("address", 3, std::time::Duration::from_secs(900));
    let key = "address:192.0.2.7";
    for _ in 0..3 {
        throttle.reserve(conn, key).expect("a place");
    }
    for _ in 0..4 {
        match throttle.reserve(conn, key) {
            Err(AuthError::Throttled {
                retry_after_seconds,
            }) => assert!(
                (1..=900).contains(&retry_after_seconds),
                "{retry_after_seconds}"
            ),
            other => panic!("refused expected, got {other:?}"),
        }
    }
    // one of the three in flight succeeds: its place is free for exactly one more
    throttle.release(conn, key).expect("given back");
    throttle.reserve(conn, key).expect("the place given back");
    assert!(matches!(
        throttle.reserve(conn, key),
        Err(AuthError::Throttled { .. })
    ));
    // all three succeed: three places again
    for _ in 0..3 {
        throttle.release(conn, key).expect("given back");
    }
    for _ in 0..3 {
        throttle.reserve(conn, key).expect("a place");
    }
    assert!(throttle.reserve(conn, key).is_err());
    // a limit of 0 refuses even the first attempt, and counts nothing
    let closed = Throttle::new("address", 0, std::time::Duration::from_secs(900));
    assert!(closed.reserve(conn, "address:192.0.2.8").is_err());
    assert!(closed.reserve(conn, "address:192.0.2.8").is_err());
    assert_eq!(attempts(conn, "address:192.0.2.8"), 0);
    // several keys at once: refused by the last, the earlier ones are given back
    let login = comptoir::auth::throttle::LoginThrottle::default();
    let address = "address:192.0.2.9".to_string();
    for _ in 0..30 {
        login.addresses.reserve(conn, &address).expect("a place");
    }
    let keys = [
        (
            comptoir::auth::throttle::Limit::Account,
            "register:ada@example.org".to_string(),
        ),
        (comptoir::auth::throttle::Limit::Address, address),
    ];
    for _ in 0..6 {
        assert!(login.reserve_all(conn, &keys).is_err());
    }
    assert_eq!(attempts(conn, "register:ada@example.org"), 0);
}

/// Attempts counted for `key` in its window (0 without a row).
fn attempts(conn: &mut comptoir::db::DbConn, key: &str) -> i32 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        attempts: i32,
    }
    diesel::sql_query("SELECT attempts FROM login_throttle WHERE key = $1")
        .bind::<diesel::sql_types::Text, _>(key)
        .get_results::<N>(conn.diesel())
        .expect("attempts")
        .iter()
        .map(|n| n.attempts)
        .sum()
}

/// Rows of the ledger's journal.
fn entries(app: &TestApp) -> i64 {
    use comptoir::db::schema::ledger_entries;
    let conn = &mut app.db.db.conn().expect("conn");
    ledger_entries::table
        .count()
        .get_result(conn.diesel())
        .expect("entries")
}

async fn checkouts_and_a_close_through_two_instances_sell_and_settle_once(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let other = app.another_instance().await;
    let shop = shop(&app).await;
    let honey = shop.variant[FRENCH_DEMO.skus[1]].clone();
    // three jars left
    {
        use comptoir::db::schema::variants;
        let conn = &mut app.db.db.conn().expect("conn");
        diesel::update(variants::table.find(&honey))
            .set((
                variants::on_demand.eq(false),
                variants::stock_on_hand.eq(Some(3_i64)),
            ))
            .execute(conn.diesel())
            .expect("stock set");
    }
    let camille = app.access_token(FRENCH_DEMO.consumers[0]).await;
    let yanis = other.access_token(FRENCH_DEMO.consumers[1]).await;
    funded_wallet(&app, &camille, "30.00").await;
    funded_wallet(&other, &yanis, "30.00").await;
    // each puts two jars in the cart, one through each instance
    let cart_path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let two_jars = json!({"lines": [{"variant_id": honey, "quantity": 2}]});
    for (instance, token) in [(&app, &camille), (&other, &yanis)] {
        let cart = authed(instance, "PUT", &cart_path, token, None, &two_jars).await;
        assert_eq!(cart.status, 200, "{}", cart.json());
    }
    // both check out at once, each through its instance: one has the jars, one is told no
    let checkout = format!("/api/v1/order-cycles/{}/checkout", shop.cycle);
    let body = json!({"shipping_method_id": shop.method[FRENCH_DEMO.pickup],
        "local_amount": FRENCH_DEMO.local_amount("0")});
    let (k1, k2) = (key(), key());
    let (first, second) = futures_util::future::join(
        authed(&app, "POST", &checkout, &camille, Some(&k1), &body),
        authed(&other, "POST", &checkout, &yanis, Some(&k2), &body),
    )
    .await;
    let mut statuses = [first.status.as_u16(), second.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} {}", first.json(), second.json());
    {
        use comptoir::db::schema::variants;
        let conn = &mut app.db.db.conn().expect("conn");
        let left: Option<i64> = variants::table
            .find(&honey)
            .select(variants::stock_on_hand)
            .first(conn.diesel())
            .expect("stock");
        assert_eq!(left, Some(1), "two of three jars sold, no more");
    }
    // the close, asked of both instances at once: the cycle settles once
    let manager = app.access_token(FRENCH_DEMO.hub_manager).await;
    let close = format!("/api/v1/order-cycles/{}/close", shop.cycle);
    let (a, b) = futures_util::future::join(
        app.call("POST", &close, Some(&manager), None),
        other.call("POST", &close, Some(&manager), None),
    )
    .await;
    for reply in [&a, &b] {
        assert!(
            reply.status == 200 || reply.status == 409,
            "{}: {}",
            reply.status,
            reply.json()
        );
    }
    assert!(
        a.status == 200 || b.status == 200,
        "{} {}",
        a.json(),
        b.json()
    );
    let cycle = app
        .get(&format!("/api/v1/order-cycles/{}", shop.cycle))
        .await
        .json();
    assert_eq!(cycle["state"], "settled", "{cycle}");
    // asked again, nothing more is written; the books hold
    let written = entries(&app);
    let again = other.call("POST", &close, Some(&manager), None).await;
    assert!(
        again.status == 200 || again.status == 409,
        "{}",
        again.json()
    );
    assert_eq!(entries(&app), written, "a second close writes nothing");
    let conn = &mut app.db.db.conn().expect("conn");
    let verified = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert!(verified.ok(), "{verified}");
    drop(other);
}
