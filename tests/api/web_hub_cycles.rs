//! Planning a hub's cycles on the pages, over real HTTP on the French demo: a manager creates
//! a cycle with its offer and a hub price (the API then shows both), edits its dates, changes
//! its offer, adds and removes a fee and a pickup method, copies it; bad forms come back as
//! 422 with their messages and values; a cashier reads a cycle but plans nothing, a consumer
//! neither; forms without their token are refused. And the domain's rules for changing a
//! cycle ([`planning::update`], [`planning::set_offer`]) by the cycle's state.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde_json::Value;

use comptoir::orders::planning::{self, CycleChanges, OfferLine};
use comptoir::orders::OrderError;

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Visitor};

backend_tests!(
    a_manager_plans_a_cycle_on_the_pages,
    bad_planning_forms_come_back_with_their_messages,
    only_owners_and_managers_plan,
    planning_forms_need_their_token,
    changes_follow_the_cycles_state
);

const CASHIER: &str = "caisse@lacagette.example.org";

async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Visitor<'a> {
    let mut visitor = Visitor::new(app);
    visitor.sign_in(email).await;
    visitor
}

fn paris() -> chrono_tz::Tz {
    "Europe/Paris".parse().expect("a zone")
}

/// `t` as a `datetime-local` value in Paris.
fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&paris())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The UTC instant of a `datetime-local` value in Paris, as the API writes it.
fn utc_of(value: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M").expect("a local time");
    paris()
        .from_local_datetime(&naive)
        .earliest()
        .expect("exists in Paris")
        .with_timezone(&Utc)
}

/// Whole minutes from now, `days` ahead, at 10:00 Paris time (never near a DST gap).
fn day_at_ten(days: i64) -> String {
    let day = (Utc::now() + Duration::days(days)).with_timezone(&paris());
    format!("{}T10:00", day.format("%Y-%m-%d"))
}

async fn offer_of(app: &TestApp, cycle_id: &str) -> Vec<Value> {
    let detail = app
        .get(&format!("/api/v1/order-cycles/{cycle_id}"))
        .await
        .json();
    detail["offer"].as_array().cloned().unwrap_or_default()
}

fn variant(offer: &[Value], sku: &str) -> String {
    offer
        .iter()
        .find(|v| v["sku"] == sku)
        .and_then(|v| v["id"].as_str())
        .unwrap_or_else(|| panic!("{sku} is offered"))
        .to_string()
}

/// The cycle id in `/hub/{slug}/cycles/{id}?…`.
fn cycle_in(location: &str) -> String {
    location
        .split("/cycles/")
        .nth(1)
        .and_then(|rest| rest.split(['?', '/']).next())
        .expect("a cycle's page")
        .to_string()
}

async fn a_manager_plans_a_cycle_on_the_pages(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let office = format!("/hub/{}", FRENCH_DEMO.hub);
    let open = app.open_cycle_id().await;
    let offer = offer_of(&app, &open).await;
    let (carrots, honey, baguette) = (
        variant(&offer, "FERME-CAR-1KG"),
        variant(&offer, "RUCH-HYD-75CL"),
        variant(&offer, "FOUR-BAG-TRAD"),
    );
    let mut manager = signed_in(&app, FRENCH_DEMO.hub_manager).await;
    let new = manager.get(&format!("{office}/cycles/new")).await;
    let page = unescape(new.ok());
    // the suppliers' variants, by producer, each with its box and price field
    assert!(page.contains(&format!("value=\"{carrots}\"")), "{page}");
    assert!(page.contains(&format!("name=\"price[{honey}]\"")));
    assert!(page.contains("Ferme des Trois Chênes"));
    assert!(page.contains("type=\"datetime-local\""));

    let (opens, closes) = (day_at_ten(2), day_at_ten(5));
    let created = manager
        .post(
            &format!("{office}/cycles/new"),
            &[
                ("name", "Distribution de Noël"),
                ("opens_at", &opens),
                ("closes_at", &closes),
                ("settles_at", ""),
                ("producer_settlement", "euros"),
                ("offer", &carrots),
                ("offer", &honey),
                (&format!("price[{honey}]"), "9,90"),
            ],
        )
        .await;
    let location = created.location();
    assert!(location.ends_with("?notice=created"), "{location}");
    let id = cycle_in(&location);
    let overview = manager.get(&location).await;
    assert!(overview.shows("Le cycle est créé."), "{}", overview.text);
    assert!(overview.shows("Distribution de Noël"));
    assert!(overview.shows("2 produits"));
    assert!(overview.shows(&format!("{office}/cycles/{id}/copy")));

    // the API's cycle is the page's: times in UTC, the offer with its hub price
    let detail = app.get(&format!("/api/v1/order-cycles/{id}")).await.json();
    assert_eq!(detail["name"], "Distribution de Noël");
    assert_eq!(detail["state"], "upcoming");
    assert_eq!(detail["producer_settlement"], "euros");
    let at = |v: &Value| v.as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok());
    assert_eq!(at(&detail["opens_at"]), Some(utc_of(&opens)));
    assert_eq!(at(&detail["closes_at"]), Some(utc_of(&closes)));
    let offered = detail["offer"].as_array().cloned().unwrap_or_default();
    assert_eq!(offered.len(), 2);
    let honey_line = offered
        .iter()
        .find(|v| v["id"] == honey.as_str())
        .expect("honey");
    assert_eq!(honey_line["cycle_price"]["amount"], "9.90");

    // the close moves a day later
    let edit = manager.get(&format!("{office}/cycles/{id}/edit")).await;
    edit.ok();
    assert_eq!(
        edit.input_value("closes_at").as_deref(),
        Some(closes.as_str())
    );
    let later = day_at_ten(6);
    let saved = manager
        .post(
            &format!("{office}/cycles/{id}/edit"),
            &[
                ("name", "Distribution de Noël"),
                ("opens_at", &opens),
                ("closes_at", &later),
                ("settles_at", ""),
                ("producer_settlement", "euros"),
            ],
        )
        .await;
    assert_eq!(
        saved.location(),
        format!("{office}/cycles/{id}?notice=saved")
    );
    let detail = app.get(&format!("/api/v1/order-cycles/{id}")).await.json();
    assert_eq!(at(&detail["closes_at"]), Some(utc_of(&later)));

    // the offer: the baguette added, the honey's price kept
    let page = manager.get(&format!("{office}/cycles/{id}/offer")).await;
    assert_eq!(
        page.input_value(&format!("price[{honey}]")).as_deref(),
        Some("9.90")
    );
    let saved = manager
        .post(
            &format!("{office}/cycles/{id}/offer"),
            &[
                ("offer", &carrots),
                ("offer", &honey),
                (&format!("price[{honey}]"), "9.90"),
                ("offer", &baguette),
                (&format!("price[{baguette}]"), "1.50"),
            ],
        )
        .await;
    assert!(saved.location().ends_with("/offer?notice=offer-saved"));
    let offered = offer_of(&app, &id).await;
    assert_eq!(offered.len(), 3);
    let bread = offered
        .iter()
        .find(|v| v["id"] == baguette.as_str())
        .expect("baguette");
    assert_eq!(bread["cycle_price"]["amount"], "1.50");

    // a fee with its calculator, then a pickup point
    let fees = format!("{office}/cycles/{id}/fees");
    manager.get(&fees).await.ok();
    let added = manager
        .post(
            &fees,
            &[
                ("fee_name", "Participation au local"),
                ("fee_type", "admin"),
                ("calculator", "percent_of_items"),
                ("charged_to", "customer"),
                ("amount", ""),
                ("percent", "5,5"),
                ("fee_vat_rate", "20"),
                ("fee_local_share_percent", "50"),
            ],
        )
        .await;
    assert_eq!(added.location(), format!("{fees}?notice=fee-added"));
    let detail = app.get(&format!("/api/v1/order-cycles/{id}")).await.json();
    assert_eq!(detail["fees"].as_array().map(Vec::len), Some(1));
    assert_eq!(detail["fees"][0]["calculator"], "percent_of_items");
    assert_eq!(detail["fees"][0]["percent"], "5.5");
    assert_eq!(detail["fees"][0]["local_share_percent"], 50);
    let handed = day_at_ten(7);
    let added = manager
        .post(
            &format!("{office}/cycles/{id}/methods"),
            &[
                ("method_kind", "pickup"),
                ("method_name", "Local de la rue Neuve"),
                ("method_address", "3 rue Neuve, Lyon"),
                ("method_instructions", ""),
                ("method_at", &handed),
                ("method_fee", "0"),
                ("method_vat_rate", "20"),
                ("method_local_share_percent", "100"),
            ],
        )
        .await;
    assert_eq!(added.location(), format!("{fees}?notice=method-added"));
    let methods = app
        .get(&format!("/api/v1/order-cycles/{id}/shipping-methods"))
        .await
        .json();
    assert_eq!(methods.as_array().map(Vec::len), Some(1));
    assert_eq!(methods[0]["name"], "Local de la rue Neuve");
    assert_eq!(at(&methods[0]["at"]), Some(utc_of(&handed)));
    let page = manager.get(&fees).await;
    assert!(page.shows("Participation au local") && page.shows("Local de la rue Neuve"));

    // the copy, a week later by default, with the offer, fee and method
    let copy = manager.get(&format!("{office}/cycles/{id}/copy")).await;
    copy.ok();
    let week_later = local(utc_of(&later) + Duration::days(7));
    assert_eq!(
        copy.input_value("closes_at").as_deref(),
        Some(week_later.as_str())
    );
    let opens_copy = copy.input_value("opens_at").expect("prefilled");
    let copied = manager
        .post(
            &format!("{office}/cycles/{id}/copy"),
            &[
                ("name", "Distribution du Nouvel An"),
                ("opens_at", &opens_copy),
                ("closes_at", &week_later),
                ("settles_at", ""),
            ],
        )
        .await;
    let location = copied.location();
    assert!(location.ends_with("?notice=copied"), "{location}");
    let copy_id = cycle_in(&location);
    assert_ne!(copy_id, id);
    let detail = app
        .get(&format!("/api/v1/order-cycles/{copy_id}"))
        .await
        .json();
    assert_eq!(detail["name"], "Distribution du Nouvel An");
    assert_eq!(detail["copied_from_id"], id.as_str());
    assert_eq!(detail["offer"].as_array().map(Vec::len), Some(3));
    assert_eq!(detail["fees"].as_array().map(Vec::len), Some(1));

    // the fee and the method are taken back (no order was charged or chose them)
    let fee_id = app.get(&format!("/api/v1/order-cycles/{id}")).await.json()["fees"][0]["id"]
        .as_str()
        .expect("a fee")
        .to_string();
    let removed = manager.post(&format!("{fees}/{fee_id}/remove"), &[]).await;
    assert_eq!(removed.location(), format!("{fees}?notice=fee-removed"));
    let method_id = methods[0]["id"].as_str().expect("a method").to_string();
    let removed = manager
        .post(
            &format!("{office}/cycles/{id}/methods/{method_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(removed.location(), format!("{fees}?notice=method-removed"));
    let detail = app.get(&format!("/api/v1/order-cycles/{id}")).await.json();
    assert_eq!(detail["fees"].as_array().map(Vec::len), Some(0));
    let methods = app
        .get(&format!("/api/v1/order-cycles/{id}/shipping-methods"))
        .await
        .json();
    assert_eq!(methods.as_array().map(Vec::len), Some(0));
}

async fn bad_planning_forms_come_back_with_their_messages(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let office = format!("/hub/{}", FRENCH_DEMO.hub);
    let open = app.open_cycle_id().await;
    let carrots = variant(&offer_of(&app, &open).await, "FERME-CAR-1KG");
    let mut manager = signed_in(&app, FRENCH_DEMO.hub_manager).await;
    manager.get(&format!("{office}/cycles/new")).await.ok();
    let (opens, closes) = (day_at_ten(5), day_at_ten(2));
    let bad = manager
        .post(
            &format!("{office}/cycles/new"),
            &[
                ("name", "Distribution ratée"),
                ("opens_at", &opens),
                ("closes_at", &closes),
                ("producer_settlement", "as_paid"),
                ("offer", &carrots),
                (&format!("price[{carrots}]"), "abc"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(
        bad.shows("La fermeture doit venir après l’ouverture"),
        "{}",
        bad.text
    );
    assert!(bad.shows("Saisissez le prix du comptoir comme un montant"));
    assert!(bad.shows("href=\"#closes_at\""));
    // the values are kept, the box still ticked
    assert_eq!(
        bad.input_value("name").as_deref(),
        Some("Distribution ratée")
    );
    assert_eq!(bad.input_value("opens_at").as_deref(), Some(opens.as_str()));
    assert_eq!(
        bad.input_value(&format!("price[{carrots}]")).as_deref(),
        Some("abc")
    );
    assert!(unescape(&bad.text).contains(&format!("value=\"{carrots}\" checked")));

    // nothing offered, no times
    let empty = manager
        .post(
            &format!("{office}/cycles/new"),
            &[("name", "Rien"), ("opens_at", ""), ("closes_at", "demain")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.shows("Choisissez au moins un produit à proposer"));
    assert!(empty.shows("Indiquez quand le cycle ouvre"));
    assert!(empty.shows("Saisissez la fermeture comme une date et une heure"));
    let cycles = app
        .get("/api/v1/enterprises/la-cagette/order-cycles")
        .await
        .json();
    assert!(!cycles.to_string().contains("Distribution ratée"));

    // an open cycle keeps its opening
    let detail = app
        .get(&format!("/api/v1/order-cycles/{open}"))
        .await
        .json();
    let opened: DateTime<Utc> = detail["opens_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("opens_at");
    let closed: DateTime<Utc> = detail["closes_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("closes_at");
    manager
        .get(&format!("{office}/cycles/{open}/edit"))
        .await
        .ok();
    let moved = manager
        .post(
            &format!("{office}/cycles/{open}/edit"),
            &[
                ("name", "Distribution du jeudi"),
                ("opens_at", &local(opened - Duration::days(1))),
                ("closes_at", &local(closed)),
                ("producer_settlement", "as_paid"),
            ],
        )
        .await;
    assert_eq!(moved.status, 422, "{}", moved.text);
    assert!(moved.shows("L’ouverture d’un cycle ouvert ne peut plus changer"));

    // a fee without its percent, a method without its time
    let fees = format!("{office}/cycles/{open}/fees");
    manager.get(&fees).await.ok();
    let bad = manager
        .post(
            &fees,
            &[
                ("fee_name", "Commission"),
                ("fee_type", "sales"),
                ("calculator", "percent_of_items"),
                ("charged_to", "producer"),
                ("percent", ""),
                ("fee_vat_rate", "20"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.shows("Saisissez le pourcentage pour un pourcentage des produits"));
    assert_eq!(bad.input_value("fee_name").as_deref(), Some("Commission"));
    let bad = manager
        .post(
            &format!("{office}/cycles/{open}/methods"),
            &[
                ("method_kind", "delivery"),
                ("method_name", "Vélo"),
                ("method_at", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.shows("Indiquez quand les commandes sont remises"));
}

async fn only_owners_and_managers_plan(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let office = format!("/hub/{}", FRENCH_DEMO.hub);
    let open = app.open_cycle_id().await;
    let base = format!("{office}/cycles/{open}");
    let mut cashier = signed_in(&app, CASHIER).await;
    // the cashier reads the cycle's overview, without the planning links
    let overview = cashier.get(&base).await;
    assert!(!unescape(overview.ok()).contains(&format!("{base}/edit")));
    for email in [CASHIER, FRENCH_DEMO.consumers[0]] {
        let mut visitor = signed_in(&app, email).await;
        for path in ["/cycles/new".to_string(), format!("/cycles/{open}/edit")] {
            let page = visitor.get(&format!("{office}{path}")).await;
            assert_eq!(page.status, 403, "{email} {path}");
        }
        for path in [
            "/cycles/new".to_string(),
            format!("/cycles/{open}/copy"),
            format!("/cycles/{open}/edit"),
            format!("/cycles/{open}/offer"),
            format!("/cycles/{open}/fees"),
            format!("/cycles/{open}/methods"),
            format!("/cycles/{open}/fees/x/remove"),
            format!("/cycles/{open}/methods/x/remove"),
        ] {
            let page = visitor
                .post(&format!("{office}{path}"), &[("name", "x")])
                .await;
            assert_eq!(page.status, 403, "{email} POST {path}: {}", page.text);
        }
    }
    // a consumer does not read the cycle either
    let mut consumer = signed_in(&app, FRENCH_DEMO.consumers[0]).await;
    assert_eq!(consumer.get(&base).await.status, 403);
    let detail = app
        .get(&format!("/api/v1/order-cycles/{open}"))
        .await
        .json();
    assert_eq!(detail["name"], "Distribution du jeudi");
}

async fn planning_forms_need_their_token(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let office = format!("/hub/{}", FRENCH_DEMO.hub);
    let open = app.open_cycle_id().await;
    let mut manager = signed_in(&app, FRENCH_DEMO.hub_manager).await;
    for path in [
        "/cycles/new".to_string(),
        format!("/cycles/{open}/edit"),
        format!("/cycles/{open}/offer"),
        format!("/cycles/{open}/fees"),
    ] {
        let page = manager
            .post_raw(&format!("{office}{path}"), &[("name", "x")])
            .await;
        assert_eq!(page.status, 403, "{path}");
    }
    let page = manager
        .post_raw(
            &format!("{office}/cycles/{open}/edit"),
            &[("_csrf", "0".repeat(64).as_str()), ("name", "x")],
        )
        .await;
    assert_eq!(page.status, 403);
}

/// The domain's rules: an open cycle's close moves but its opening stays, not into the
/// past; a settled cycle is final; an ordered variant stays in the offer.
async fn changes_follow_the_cycles_state(backend: Backend) {
    use comptoir::db::schema::{order_cycles, order_lines, orders};
    let app = TestApp::with_demo(backend).await;
    let open = app.open_cycle_id().await;
    let conn = &mut app.db.db.conn().expect("conn");
    let row = comptoir::orders::cycles::find_row(conn, &open).expect("the open cycle");
    let changes = CycleChanges {
        name: row.name.clone(),
        opens_at: row.opens_at.and_utc(),
        closes_at: row.closes_at.and_utc() + Duration::hours(2),
        settles_at: None,
        producer_settlement: row.producer_settlement.clone(),
    };
    let moved = planning::update(conn, &open, &changes).expect("the close moves later");
    assert_eq!(moved.cycle.closes_at, changes.closes_at);
    let codes = |e: OrderError| match e {
        OrderError::Invalid(invalid) => invalid
            .0
            .into_iter()
            .map(|f| format!("{}:{}", f.field, f.code))
            .collect::<Vec<_>>(),
        other => panic!("not invalid: {other}"),
    };
    let past = CycleChanges {
        closes_at: Utc::now() - Duration::minutes(5),
        opens_at: row.opens_at.and_utc() + Duration::minutes(1),
        producer_settlement: "other".into(),
        ..changes.clone()
    };
    let refused = codes(planning::update(conn, &open, &past).expect_err("refused"));
    assert!(
        refused.contains(&"closes_at:in_the_past".to_string()),
        "{refused:?}"
    );
    assert!(
        refused.contains(&"opens_at:fixed".to_string()),
        "{refused:?}"
    );
    assert!(refused.contains(&"producer_settlement:fixed".to_string()));

    // a settled cycle is final
    let settled: String = order_cycles::table
        .filter(order_cycles::settled_at.is_not_null())
        .filter(order_cycles::hub_id.eq(&row.hub_id))
        .select(order_cycles::id)
        .first(conn.diesel())
        .expect("the demo's settled cycle");
    assert!(matches!(
        planning::update(conn, &settled, &changes),
        Err(OrderError::CycleNotOpen(_))
    ));
    assert!(matches!(
        planning::set_offer(conn, &settled, &[]),
        Err(OrderError::CycleNotOpen(_))
    ));
    // and its pages say so: no link to change it, a change refused
    let office = format!("/hub/{}", FRENCH_DEMO.hub);
    let mut manager = signed_in(&app, FRENCH_DEMO.hub_manager).await;
    let overview = manager.get(&format!("{office}/cycles/{settled}")).await;
    let body = unescape(overview.ok());
    assert!(body.contains("Réglé") || body.contains("Settled"), "{body}");
    assert!(!body.contains(&format!("{office}/cycles/{settled}/edit\"")));
    assert!(manager
        .get(&format!("{office}/cycles/{settled}/offer"))
        .await
        .shows("Ce cycle est fermé"));
    let refused = manager
        .post(
            &format!("{office}/cycles/{settled}/edit"),
            &[
                ("name", "x"),
                ("opens_at", &day_at_ten(1)),
                ("closes_at", &day_at_ten(2)),
                ("producer_settlement", "as_paid"),
            ],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);

    // an ordered variant stays in the open cycle's offer: a customer orders carrots
    {
        use comptoir::ids::{CycleId, UserId};
        use comptoir::ledger::accounts::Owner;
        use comptoir::ledger::ops::{self, EuroMethod};
        use comptoir::money::{AmountInput, CurrencyCode};
        use comptoir::orders::checkout::{self, CheckoutRequest};
        use comptoir::orders::quote::{QuoteLineRequest, QuoteRequest};
        use comptoir::orders::{cart, shipping};
        let carrots: String = comptoir::db::schema::variants::table
            .filter(comptoir::db::schema::variants::sku.eq(FRENCH_DEMO.skus[0]))
            .select(comptoir::db::schema::variants::id)
            .first(conn.diesel())
            .expect("carrots");
        let method = shipping::for_cycle(conn, &open).expect("methods")[0]
            .id
            .clone();
        let customer = crate::support::new_customer(conn, 0);
        let wallet = ops::wallet(
            conn,
            Owner::User(customer.clone().into()),
            FRENCH_DEMO.local,
        )
        .expect("wallet");
        ops::issue(
            conn,
            &crate::support::operator(),
            &crate::support::key(),
            &wallet.id,
            1000,
            EuroMethod::Cash,
            "top-up",
        )
        .expect("issue");
        let lines = vec![QuoteLineRequest {
            variant_id: carrots,
            quantity: 1,
        }];
        cart::set(conn, &open, &customer, &QuoteRequest { lines }).expect("cart");
        let request = CheckoutRequest {
            shipping_method_id: method,
            local_amount: Some(AmountInput {
                amount: "2.00".into(),
                currency: FRENCH_DEMO.local.parse::<CurrencyCode>().expect("code"),
            }),
            ..Default::default()
        };
        checkout::checkout(
            conn,
            &CycleId::from(&open),
            &UserId::from(&customer),
            &request,
        )
        .expect("checkout");
        // the method the order chose stays
        assert!(matches!(
            planning::remove_method(conn, &open, &request.shipping_method_id),
            Err(OrderError::Conflict(_))
        ));
    }
    let ordered: Vec<String> = order_lines::table
        .inner_join(orders::table)
        .filter(orders::order_cycle_id.eq(&open))
        .filter(orders::state.eq_any(["confirmed", "fulfilled"]))
        .select(order_lines::variant_id)
        .distinct()
        .load(conn.diesel())
        .expect("lines");
    let offer = comptoir::orders::cycles::offer(conn, &open).expect("offer");
    let all: Vec<OfferLine> = offer
        .iter()
        .map(|v| OfferLine {
            variant_id: v.variant.id.clone(),
            hub_price: None,
        })
        .collect();
    let first = ordered.first().expect("the demo's open cycle has orders");
    {
        let without: Vec<OfferLine> = all
            .iter()
            .filter(|l| &l.variant_id != first)
            .cloned()
            .collect();
        let refused = codes(planning::set_offer(conn, &open, &without).expect_err("refused"));
        assert_eq!(refused, ["offer:ordered"]);
    }
    // the whole offer again, without hub prices: accepted
    let saved = planning::set_offer(conn, &open, &all).expect("saved");
    assert_eq!(saved.offer.len(), offer.len());
    assert!(saved.offer.iter().all(|v| v.cycle_price == v.variant.price));
}
