//! What a hub needs to run a real week (#20): readable gapless order numbers per hub and
//! year, and its own local time in mails (what the hub's people may do at its till is in
//! the authorization matrix, tests/api/authorization.rs).

use chrono::Datelike;
use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::{
    cycle_shipping_methods, enterprises, order_counters, order_cycle_variants, order_cycles,
    orders, variants,
};
use comptoir::db::DbConn;
use comptoir::enterprises::manage::{self, EnterpriseInput};
use comptoir::enterprises::EnterpriseKind;
use comptoir::mail::templates::Templates;
use comptoir::money::{AmountInput, CurrencyCode};
use comptoir::orders::checkout::{self, CheckoutRequest};
use comptoir::orders::quote::{QuoteLineRequest, QuoteRequest};
use comptoir::orders::{cart, shipping, OrderError};

use crate::backend_tests;
use crate::harness::{Backend, DemoFacts, TestApp, TestDb, FRENCH_DEMO, SWISS_DEMO};
use crate::support::{big_pool, created, key, lem, mails_to, new_customer, place_order_in};

backend_tests!(
    order_numbers_are_gapless_per_hub_and_year,
    concurrent_checkouts_take_consecutive_numbers,
    order_prefix_and_time_zone_are_set_by_the_hubs_people,
    order_mails_show_the_hubs_local_time,
    a_french_topup_receipt_says_virement_bancaire,
);

/// The id of the enterprise with `slug`.
fn enterprise_id(conn: &mut DbConn, slug: &str) -> String {
    enterprises::table
        .filter(enterprises::slug.eq(slug))
        .select(enterprises::id)
        .first(conn.diesel())
        .expect("enterprise")
}

/// The open cycle of hub `hub_id`.
fn open_cycle(conn: &mut DbConn, hub_id: &str) -> String {
    let now = comptoir::time::now();
    order_cycles::table
        .filter(order_cycles::hub_id.eq(hub_id))
        .filter(order_cycles::opens_at.lt(now))
        .filter(order_cycles::closes_at.gt(now))
        .select(order_cycles::id)
        .first(conn.diesel())
        .expect("open cycle")
}

fn variant(conn: &mut DbConn, sku: &str) -> String {
    variants::table
        .filter(variants::sku.eq(sku))
        .select(variants::id)
        .first(conn.diesel())
        .expect("variant")
}

/// A new customer `buyer{n}` with `quantity` of `variant` in their cart in `cycle`.
fn buyer(conn: &mut DbConn, n: usize, cycle: &str, variant: &str, quantity: i64) -> String {
    let customer = new_customer(conn, n);
    cart::set(
        conn,
        cycle,
        &customer,
        &QuoteRequest {
            lines: vec![QuoteLineRequest {
                variant_id: variant.to_string(),
                quantity,
            }],
        },
    )
    .expect("cart");
    customer
}

/// How many orders carry a number starting with `prefix` (the demo's history has some).
fn numbered(conn: &mut DbConn, prefix: &str) -> i64 {
    use comptoir::db::schema::orders;
    orders::table
        .filter(orders::number.like(format!("{prefix}%")))
        .count()
        .get_result(conn.diesel())
        .expect("orders")
}

fn pay_in_euros(method: &str) -> CheckoutRequest {
    CheckoutRequest {
        shipping_method_id: method.to_string(),
        local_amount: None,
        ..Default::default()
    }
}

fn check_out(
    conn: &mut DbConn,
    cycle: &str,
    customer: &str,
    request: &CheckoutRequest,
) -> Result<String, OrderError> {
    checkout::checkout(
        conn,
        &comptoir::ids::CycleId::from(cycle),
        &comptoir::ids::UserId::from(customer),
        request,
    )
    .map(|order| order.number.expect("a confirmed order has a number"))
}

/// This year in the hub's time zone.
fn year_in(zone: &str) -> i32 {
    comptoir::time::local(comptoir::time::now(), zone).year()
}

/// Checkouts at La Cagette numbered CAG-YEAR-000001, 2, 3, 4 with no gap, though one
/// checkout failed before taking a number (stock gone) and one after (no wallet for the local
/// part asked); a second hub's sequence is its own.
async fn order_numbers_are_gapless_per_hub_and_year(backend: Backend) {
    let db = TestDb::with_demo(backend);
    let conn = &mut db.db.conn().expect("conn");
    let hub = enterprise_id(conn, "la-cagette");
    let cycle = open_cycle(conn, &hub);
    let carrots = variant(conn, "FERME-CAR-1KG");
    let pollen = variant(conn, "RUCH-POL-250G");
    let method = shipping::for_cycle(conn, &cycle).expect("methods")[0]
        .id
        .clone();
    let euros = pay_in_euros(&method);
    let year = year_in("Europe/Paris");
    // the demo's history numbered its own orders first
    let base = numbered(conn, &format!("CAG-{year}-"));
    let number = |n: i64| format!("CAG-{year}-{:06}", base + n);

    let b0 = buyer(conn, 0, &cycle, &carrots, 1);
    assert_eq!(check_out(conn, &cycle, &b0, &euros).expect("b0"), number(1));
    let b1 = buyer(conn, 1, &cycle, &carrots, 2);
    assert_eq!(check_out(conn, &cycle, &b1, &euros).expect("b1"), number(2));

    // the pollen sold out between the cart and the checkout
    let b2 = buyer(conn, 2, &cycle, &pollen, 1);
    diesel::update(variants::table.find(&pollen))
        .set(variants::stock_on_hand.eq(Some(0_i64)))
        .execute(conn.diesel())
        .expect("sold out");
    assert!(matches!(
        check_out(conn, &cycle, &b2, &euros),
        Err(OrderError::OutOfStock(_))
    ));
    // a local part without a wallet: refused after the number was taken, which goes back
    let b3 = buyer(conn, 3, &cycle, &carrots, 1);
    let local = CheckoutRequest {
        shipping_method_id: method.clone(),
        local_amount: Some(AmountInput {
            amount: "1.00".into(),
            currency: "LEM".parse::<CurrencyCode>().expect("code"),
        }),
        ..Default::default()
    };
    let refused = check_out(conn, &cycle, &b3, &local);
    assert!(
        matches!(&refused, Err(OrderError::Invalid(e)) if format!("{e:?}").contains("no_wallet")),
        "{refused:?}"
    );
    let b4 = buyer(conn, 4, &cycle, &carrots, 1);
    assert_eq!(check_out(conn, &cycle, &b4, &euros).expect("b4"), number(3));

    // a second hub, its own prefix, its own sequence
    let owner = new_customer(conn, 90);
    let other = manage::create(
        conn,
        &owner,
        &EnterpriseInput {
            name: Some("Biocoop du Parc".into()),
            kind: Some(EnterpriseKind::Hub),
            order_prefix: Some("bio".into()),
            ..Default::default()
        },
    )
    .expect("a second hub");
    assert_eq!(other.order_prefix, "BIO");
    let other_cycle = key();
    let now = comptoir::time::now();
    {
        let c = conn.diesel();
        diesel::insert_into(order_cycles::table)
            .values((
                order_cycles::id.eq(&other_cycle),
                order_cycles::hub_id.eq(&other.id),
                order_cycles::name.eq("Marché du parc"),
                order_cycles::opens_at.eq(now - chrono::Duration::hours(1)),
                order_cycles::closes_at.eq(now + chrono::Duration::hours(48)),
                order_cycles::created_at.eq(now),
                order_cycles::updated_at.eq(now),
            ))
            .execute(c)
            .expect("cycle");
        diesel::insert_into(order_cycle_variants::table)
            .values((
                order_cycle_variants::order_cycle_id.eq(&other_cycle),
                order_cycle_variants::variant_id.eq(&carrots),
            ))
            .execute(c)
            .expect("offer");
        diesel::insert_into(cycle_shipping_methods::table)
            .values((
                cycle_shipping_methods::id.eq(key()),
                cycle_shipping_methods::order_cycle_id.eq(&other_cycle),
                cycle_shipping_methods::kind.eq("pickup"),
                cycle_shipping_methods::name.eq("Au parc"),
                cycle_shipping_methods::at_time.eq(now + chrono::Duration::hours(50)),
                cycle_shipping_methods::created_at.eq(now),
            ))
            .execute(c)
            .expect("method");
    }
    let other_method = shipping::for_cycle(conn, &other_cycle).expect("methods")[0]
        .id
        .clone();
    let b5 = buyer(conn, 5, &other_cycle, &carrots, 1);
    assert_eq!(
        check_out(conn, &other_cycle, &b5, &pay_in_euros(&other_method)).expect("b5"),
        format!("BIO-{year}-000001")
    );
    let b6 = buyer(conn, 6, &cycle, &carrots, 1);
    assert_eq!(check_out(conn, &cycle, &b6, &euros).expect("b6"), number(4));

    // the hub's orders carry the history's and 1..4 after them exactly, and its counter says
    // as many
    let mut numbers: Vec<Option<String>> = orders::table
        .filter(orders::hub_id.eq(&hub))
        .filter(orders::number.is_not_null())
        .select(orders::number)
        .load(conn.diesel())
        .expect("numbers");
    numbers.sort();
    assert_eq!(
        numbers,
        (1 - base..=4).map(|n| Some(number(n))).collect::<Vec<_>>()
    );
    let last: i64 = order_counters::table
        .find((&hub, year))
        .select(order_counters::last_number)
        .first(conn.diesel())
        .expect("counter");
    assert_eq!(last, base + 4);
}

/// 16 buyers check out at La Cagette at once: 16 distinct consecutive numbers, 1 to 16.
async fn concurrent_checkouts_take_consecutive_numbers(backend: Backend) {
    let db = TestDb::with_demo(backend);
    let pool = big_pool(&db);
    let conn = &mut pool.conn().expect("conn");
    let hub = enterprise_id(conn, "la-cagette");
    let cycle = open_cycle(conn, &hub);
    let carrots = variant(conn, "FERME-CAR-1KG");
    let method = shipping::for_cycle(conn, &cycle).expect("methods")[0]
        .id
        .clone();
    let buyers: Vec<String> = (0..16)
        .map(|n| buyer(conn, n, &cycle, &carrots, 1))
        .collect();
    let request = pay_in_euros(&method);
    let mut numbers: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = buyers
            .iter()
            .map(|customer| {
                let (pool, cycle, request) = (&pool, &cycle, &request);
                scope.spawn(move || {
                    let mut conn = pool.conn().expect("conn");
                    check_out(&mut conn, cycle, customer, request).expect("checkout")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("buyer"))
            .collect()
    });
    numbers.sort();
    let year = year_in("Europe/Paris");
    let base = numbered(&mut pool.conn().expect("conn"), &format!("CAG-{year}-")) - 16;
    assert_eq!(
        numbers,
        (base + 1..=base + 16)
            .map(|n| format!("CAG-{year}-{n:06}"))
            .collect::<Vec<_>>()
    );
}

/// The owner and the manager set the prefix and the time zone; bad values are 422 on their
/// field; a taken prefix is refused; a cashier may not edit the hub; a new hub's prefix is
/// read from its name, made free, and its zone is its country's.
async fn order_prefix_and_time_zone_are_set_by_the_hubs_people(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let owner = app.access_token("presidence@lacagette.example.org").await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let cashier = app.access_token("caisse@lacagette.example.org").await;
    let hub = app.get("/api/v1/enterprises/la-cagette").await.json();
    assert_eq!(hub["order_prefix"], "CAG");
    assert_eq!(hub["time_zone"], "Europe/Paris");
    assert!(hub["created_at"].as_str().expect("time").ends_with('Z'));
    let path = "/api/v1/enterprises/la-cagette";
    let patch = |token: &str, body: Value| {
        let token = token.to_string();
        let app = &app;
        async move { app.call("PATCH", path, Some(&token), Some(&body)).await }
    };
    let edited = patch(
        &owner,
        json!({"order_prefix": " cagq ", "time_zone": "Europe/Zurich"}),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.json());
    assert_eq!(edited.json()["order_prefix"], "CAGQ");
    assert_eq!(edited.json()["time_zone"], "Europe/Zurich");
    let back = patch(
        &manager,
        json!({"order_prefix": "CAG", "time_zone": "Europe/Paris"}),
    )
    .await;
    assert_eq!(back.status, 200, "{}", back.json());
    for (body, field, code) in [
        (
            json!({"order_prefix": "1AB"}),
            "order_prefix",
            "invalid_prefix",
        ),
        (
            json!({"order_prefix": "ABCDEFG"}),
            "order_prefix",
            "invalid_prefix",
        ),
        (
            json!({"order_prefix": "C-G"}),
            "order_prefix",
            "invalid_prefix",
        ),
        (json!({"order_prefix": "LEM"}), "order_prefix", "taken"),
        (
            json!({"time_zone": "Europe/Lyon"}),
            "time_zone",
            "unknown_time_zone",
        ),
    ] {
        let reply = patch(&owner, body.clone()).await;
        let problem = reply.problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}: {problem}");
    }
    assert_eq!(
        patch(&cashier, json!({"time_zone": "UTC"})).await.status,
        403
    );
    // a new hub named like La Cagette: the next free prefix
    let camille = app.access_token("camille@example.org").await;
    let made = created(
        app.call(
            "POST",
            "/api/v1/enterprises",
            Some(&camille),
            Some(&json!({"name": "La Cagette des Pentes", "kind": "hub"})),
        )
        .await,
    );
    assert_eq!(made["order_prefix"], "CAG2");
    assert_eq!(made["time_zone"], "Europe/Paris");
    // the document describes both
    let doc = app.get("/openapi.json").await.json();
    for schema in ["Enterprise", "EnterpriseInput"] {
        let props = &doc["components"]["schemas"][schema]["properties"];
        assert!(props["order_prefix"].is_object(), "{schema}");
        assert!(props["time_zone"].is_object(), "{schema}");
    }
}

/// A checkout's mails show the pickup and the cycle's close in the hub's local time with its
/// offset: a winter 17:00 UTC is 18:00 in Paris; a summer 16:00 UTC 18:00 in Zurich.
async fn order_mails_show_the_hubs_local_time(backend: Backend) {
    for (demo, at, local, words) in [
        (
            &FRENCH_DEMO,
            "2027-01-14 17:00:00",
            "2027-01-14T18:00+01:00",
            "jeudi 14 janvier 2027 à 18:00 (UTC+1)",
        ),
        (
            &SWISS_DEMO,
            "2027-07-01 16:00:00",
            "2027-07-01T18:00+02:00",
            "jeudi 1er juillet 2027 à 18:00 (UTC+2)",
        ),
    ] {
        let app = TestApp::with_demo_of(backend, demo.demo).await;
        let shop = crate::support::shop_of(&app, demo.hub).await;
        {
            let conn = &mut app.db.db.conn().expect("conn");
            let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").expect("at");
            diesel::update(cycle_shipping_methods::table.find(&shop.method[demo.pickup]))
                .set(cycle_shipping_methods::at_time.eq(at))
                .execute(conn.diesel())
                .expect("pickup time");
        }
        let customer = demo.consumers[0];
        let token = app.access_token(customer).await;
        let sku = &shop.variant[demo.skus[0]];
        place_order_in(
            &app,
            demo,
            &shop,
            &token,
            &json!({"lines": [{"variant_id": sku, "quantity": 1}]}),
            demo.pickup,
            "0",
        )
        .await;
        let mails = mails_to(&app, customer, "order_confirmation");
        let values = mails.last().expect("a confirmation");
        assert_eq!(values["fulfilment"]["time"], local, "{}", demo.hub);
        // the cycle's close too, in the hub's zone (winter or summer time)
        assert!(
            values["cycle_closes_at"]
                .as_str()
                .is_some_and(|t| t.ends_with("+01:00") || t.ends_with("+02:00")),
            "{values}"
        );
        // the delivery adds the site's address, as it does to every mail
        let mut values = values.clone();
        values["app_url"] = json!("https://comptoir.example.org");
        let rendered = Templates::new(None, comptoir::mail::format::Locale::Fr)
            .render("order_confirmation", "fr", &values)
            .expect("renders");
        assert!(
            rendered
                .text
                .contains("https://comptoir.example.org/orders/"),
            "the mail links to the order's page: {}",
            rendered.text
        );
        assert!(rendered.text.contains(words), "{}", rendered.text);
        assert!(!rendered.text.contains(" UTC\n"), "{}", rendered.text);
        // the hub's own notice too
        let hub_mail = hub_notice(&app, demo);
        assert_eq!(hub_mail["fulfilment"]["time"], local);
        // a hub created in the deployment's country takes its zone
        let camille = app.access_token(demo.consumers[1]).await;
        let made = created(
            app.call(
                "POST",
                "/api/v1/enterprises",
                Some(&camille),
                Some(&json!({"name": "Épicerie du Coin", "kind": "hub"})),
            )
            .await,
        );
        assert_eq!(made["time_zone"], demo.time_zone);
        assert_eq!(made["order_prefix"], "EPI");
    }
}

/// The last `order_new_for_hub` mail to the demo hub's address.
fn hub_notice(app: &TestApp, demo: &DemoFacts) -> Value {
    let conn = &mut app.db.db.conn().expect("conn");
    let email: Option<String> = enterprises::table
        .filter(enterprises::slug.eq(demo.hub))
        .select(enterprises::email)
        .first(conn.diesel())
        .expect("hub");
    let email = email.expect("the demo hub has an address");
    mails_to(app, &email, "order_new_for_hub")
        .pop()
        .expect("the hub's notice")
}

/// A top-up by bank transfer: the French receipt says "virement bancaire", never the raw
/// `bank_transfer`, and its time is Paris time with its offset.
async fn a_french_topup_receipt_says_virement_bancaire(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let camille = app.access_token("camille@example.org").await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let wallet = created(
        app.call(
            "POST",
            "/api/v1/me/wallets",
            Some(&camille),
            Some(&json!({"currency": "LEM"})),
        )
        .await,
    )["id"]
        .as_str()
        .expect("wallet")
        .to_string();
    let issued = app
        .call(
            "POST",
            "/api/v1/currencies/LEM/issuances",
            Some(&treasurer),
            Some(
                &json!({"entry_id": key(), "wallet_id": wallet, "amount": lem("30.00"),
                "method": "bank_transfer", "reference": "VIR-0042"}),
            ),
        )
        .await;
    assert_eq!(issued.status, 201, "{}", issued.json());
    let mails = mails_to(&app, "camille@example.org", "topup_receipt");
    let values = mails.last().expect("a receipt");
    let date = values["date"].as_str().expect("date");
    assert!(
        date.ends_with("+01:00") || date.ends_with("+02:00"),
        "Paris time: {date}"
    );
    let rendered = Templates::new(None, comptoir::mail::format::Locale::Fr)
        .render("topup_receipt", "fr", values)
        .expect("renders");
    for part in [&rendered.text, &rendered.html] {
        assert!(part.contains("virement bancaire"), "{part}");
        assert!(!part.contains("bank_transfer"), "{part}");
        assert!(part.contains("(UTC+"), "{part}");
    }
    // and cash is "espèces"
    let cash = Templates::new(None, comptoir::mail::format::Locale::Fr)
        .render(
            "topup_receipt",
            "fr",
            &json!({"display_name": "C", "association_name": "A", "amount": lem("1.00"),
                "euros": {"amount": "1.00", "currency": "EUR"}, "method": "cash",
                "reference": "R", "date": "2027-01-14T18:00+01:00",
                "balance": lem("1.00"), "entry_id": "e"}),
        )
        .expect("renders");
    assert!(cash.text.contains("espèces"), "{}", cash.text);
}
