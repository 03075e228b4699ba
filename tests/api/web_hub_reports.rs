//! A hub's reports and the end of a cycle over real HTTP, on the French demo without its
//! history: the seven reports as tables (a figure of the API's report in each), their CSV
//! (the API's bytes), the printed packing sheet; the close page's preview, closing with a
//! settlement time then settling through the pages, and what producers were paid equal to
//! the preview; who may do what (a cashier may not close, a customer may not read reports).

use serde_json::json;

use comptoir::ledger::verify::verify;
use comptoir::orders::close;
use comptoir::orders::cycles;

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Visitor};
use crate::support::{authed, funded_wallet, place_order, shop, Shop};

backend_tests!(
    the_reports_are_tables_csv_and_printed_sheets,
    closing_and_settling_from_the_office_pays_what_the_preview_said,
    a_cycle_closes_and_settles_at_once_and_a_failure_is_said_in_words,
    a_large_cycle_is_read_a_page_at_a_time_and_its_pages_add_up_to_the_whole,
);

const CASHIER: &str = "caisse@lacagette.example.org";

/// A membership fee (customers) and a 10 % commission (producers) on the open cycle, then
/// Camille's and Yanis's orders, part in local currency. Returns the shop.
async fn orders_placed(app: &TestApp) -> Shop {
    let shop = shop(app).await;
    let manager = app.access_token(FRENCH_DEMO.hub_manager).await;
    let fees = format!("/api/v1/order-cycles/{}/fees", shop.cycle);
    for fee in [
        json!({"name": "Adhésion", "fee_type": "admin", "calculator": "flat_per_order",
            "charged_to": "customer", "amount": "1.00"}),
        json!({"name": "Commission", "fee_type": "sales", "calculator": "percent_of_items",
            "charged_to": "producer", "percent": "10"}),
    ] {
        let added = authed(app, "POST", &fees, &manager, None, &fee).await;
        assert_eq!(added.status, 201, "{}", added.json());
    }
    let skus = FRENCH_DEMO.skus;
    for (n, email) in FRENCH_DEMO.consumers.iter().enumerate() {
        let token = app.access_token(email).await;
        funded_wallet(app, &token, "50.00").await;
        let lines = json!({"lines": [
            {"variant_id": shop.variant[skus[0]], "quantity": 2 + n},
            {"variant_id": shop.variant[skus[1]], "quantity": 1},
            {"variant_id": shop.variant[skus[2]], "quantity": 3},
        ]});
        let method = if n == 0 {
            FRENCH_DEMO.bike
        } else {
            FRENCH_DEMO.pickup
        };
        place_order(app, &shop, &token, &lines, method, "6.00").await;
    }
    shop
}

async fn the_reports_are_tables_csv_and_printed_sheets(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let shop = orders_placed(&app).await;
    let api = app.access_token(FRENCH_DEMO.hub_manager).await;
    let base = format!("/hub/{}/cycles/{}", FRENCH_DEMO.hub, shop.cycle);
    let mut manager = Visitor::new(&app);
    manager.sign_in(FRENCH_DEMO.hub_manager).await;

    // the list: every report the domain has, a sentence each
    let list = manager.get(&format!("{base}/reports")).await;
    let body = unescape(list.ok());
    assert_eq!(comptoir::orders::reports::NAMES.len(), 7);
    for name in comptoir::orders::reports::NAMES {
        assert!(
            body.contains(&format!("{base}/reports/{name}\"")),
            "{name}: {body}"
        );
        assert!(body.contains(&format!("{base}/reports/{name}.csv\"")));
    }
    assert!(body.contains("Préparation par client"));
    assert!(body.contains(&format!("{base}/reports/packing_by_customer/print\"")));
    assert!(body.contains("hub-cycle-nav") || body.contains("cycle-nav"));

    for name in comptoir::orders::reports::NAMES {
        let path = format!("/api/v1/order-cycles/{}/reports/{name}", shop.cycle);
        let from_api = app.call("GET", &path, Some(&api), None).await.json();
        let rows = from_api["rows"].as_array().expect("rows").clone();
        let page = manager.get(&format!("{base}/reports/{name}")).await;
        let text = unescape(page.ok());
        assert!(text.contains("<caption"), "{name}: a caption");
        assert!(text.contains("scope=\"col\""), "{name}: column headers");
        if rows.is_empty() {
            assert!(text.contains("ce rapport est vide"), "{name}: {text}");
        } else {
            // every cell of the first row is in the table, numbers written the French way
            for cell in rows[0].as_array().expect("cells") {
                let cell = cell.as_str().expect("text");
                let shown = if cell.contains('.') && cell.parse::<f64>().is_ok() {
                    cell.replace('.', ",")
                } else {
                    cell.to_string()
                };
                assert!(
                    text.contains(&format!(">{shown}</")),
                    "{name}: `{shown}` is not in {text}"
                );
            }
        }
        // the CSV: the API's bytes, as a download
        let csv = manager.get(&format!("{base}/reports/{name}.csv")).await;
        assert_eq!(csv.status, 200, "{}", csv.text);
        assert!(csv
            .reply
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment") && d.contains(&format!("{name}.csv"))));
        assert!(csv
            .reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/csv")));
        let api_csv = app
            .call("GET", &format!("{path}?format=csv"), Some(&api), None)
            .await;
        assert_eq!(csv.reply.body, api_csv.body, "{name}: the same CSV");
    }
    // money is right-aligned, row headers have their scope
    let suppliers = manager
        .get(&format!("{base}/reports/pay_your_suppliers"))
        .await;
    let text = unescape(suppliers.ok());
    assert!(text.contains("<td class=\"num\">"), "{text}");
    assert!(text.contains("<th scope=\"row\">"));
    assert!(text.contains("Rucher du Val"));

    // the printed packing sheet: one block per customer, with their lines
    let packing = app
        .call(
            "GET",
            &format!(
                "/api/v1/order-cycles/{}/reports/packing_by_customer",
                shop.cycle
            ),
            Some(&api),
            None,
        )
        .await
        .json();
    let sheet = manager
        .get(&format!("{base}/reports/packing_by_customer/print"))
        .await;
    let text = unescape(sheet.ok());
    let orders: Vec<&str> = packing["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r[0].as_str())
        .collect();
    let mut numbers = orders.clone();
    numbers.dedup();
    assert_eq!(numbers.len(), 2, "two customers");
    assert_eq!(text.matches("class=\"print-block\"").count(), 2, "{text}");
    for row in packing["rows"].as_array().expect("rows") {
        let (number, customer, product) = (
            row[0].as_str().expect("order"),
            row[1].as_str().expect("customer"),
            row[3].as_str().expect("product"),
        );
        assert!(
            text.contains(&format!("Commande {number} — {customer}")),
            "{text}"
        );
        assert!(text.contains(product));
    }
    assert!(text.contains("Ctrl+P"), "how to print, in words");
    let delivery = manager
        .get(&format!("{base}/reports/delivery_list/print"))
        .await;
    assert!(unescape(delivery.ok()).contains("Local de la Cagette"));

    // unknown names are 404, and only the packing and delivery lists print
    assert_eq!(
        manager.get(&format!("{base}/reports/nope")).await.status,
        404
    );
    assert_eq!(
        manager
            .get(&format!("{base}/reports/nope.csv"))
            .await
            .status,
        404
    );
    assert_eq!(
        manager
            .get(&format!("{base}/reports/sales_tax/print"))
            .await
            .status,
        404
    );

    // a customer reads no report; a cashier reads no report either (as the API)
    let mut camille = Visitor::new(&app);
    camille.sign_in(FRENCH_DEMO.consumers[0]).await;
    assert_eq!(camille.get(&format!("{base}/reports")).await.status, 403);
    assert_eq!(
        camille
            .get(&format!("{base}/reports/supplier_totals"))
            .await
            .status,
        403
    );
    assert_eq!(
        camille
            .get(&format!("{base}/reports/supplier_totals.csv"))
            .await
            .status,
        403
    );
    let cashier_api = app.access_token(CASHIER).await;
    let api_status = app
        .call(
            "GET",
            &format!(
                "/api/v1/order-cycles/{}/reports/supplier_totals",
                shop.cycle
            ),
            Some(&cashier_api),
            None,
        )
        .await
        .status;
    let mut cashier = Visitor::new(&app);
    cashier.sign_in(CASHIER).await;
    assert_eq!(
        cashier.get(&format!("{base}/reports")).await.status,
        api_status.as_u16(),
        "the page refuses whom the API refuses"
    );
}

/// (producer, currency, goods, fees, paid) of each payment.
fn payments(views: &[close::SettlementView]) -> Vec<(String, String, i64, i64, i64)> {
    views
        .iter()
        .map(|v| {
            (
                v.producer_id.clone(),
                v.currency.clone(),
                v.goods.minor,
                v.fees.minor,
                v.paid.minor,
            )
        })
        .collect()
}

async fn closing_and_settling_from_the_office_pays_what_the_preview_said(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let shop = orders_placed(&app).await;
    let base = format!("/hub/{}/cycles/{}", FRENCH_DEMO.hub, shop.cycle);
    let conn = &mut app.db.db.conn().expect("conn");
    let row = cycles::find_row(conn, &shop.cycle).expect("cycle");
    let preview = close::preview(conn, &row).expect("preview");
    assert_eq!(preview.orders, 2);
    let previewed = payments(&preview.settlements);
    assert!(previewed.iter().any(|p| p.4 > 0), "{previewed:?}");
    assert!(!preview.kept.is_empty() && !preview.vat.is_empty());

    // a cashier may not close or settle (nor see the page), as the API
    let mut cashier = Visitor::new(&app);
    cashier.sign_in(CASHIER).await;
    assert_eq!(cashier.get(&format!("{base}/close")).await.status, 403);
    cashier.get(&format!("/hub/{}", FRENCH_DEMO.hub)).await.ok();
    assert_eq!(
        cashier
            .post(&format!("{base}/close"), &[("settle", "now")])
            .await
            .status,
        403
    );
    assert_eq!(
        cashier.post(&format!("{base}/settle"), &[]).await.status,
        403
    );
    let cashier_api = app.access_token(CASHIER).await;
    let refused = app
        .call(
            "POST",
            &format!("/api/v1/order-cycles/{}/close", shop.cycle),
            Some(&cashier_api),
            None,
        )
        .await;
    assert_eq!(refused.status, 403);

    let mut manager = Visitor::new(&app);
    manager.sign_in(FRENCH_DEMO.hub_manager).await;
    let page = manager.get(&format!("{base}/close")).await;
    let text = unescape(page.ok());
    assert!(
        text.contains("Ce que chaque producteur va recevoir"),
        "{text}"
    );
    for name in [
        "Ferme des Trois Chênes",
        "Rucher du Val",
        "Fournil de la Colline",
    ] {
        assert!(text.contains(name), "{name}: {text}");
    }
    assert!(text.contains("Arrêter les commandes maintenant"));
    assert!(text.contains("name=\"settles_at\""), "a settlement time");
    assert!(text.contains("hub-cycle-nav") || text.contains("cycle-nav"));
    // the page wrote nothing
    let again = cycles::find_row(conn, &shop.cycle).expect("cycle");
    assert!(again.closed_at.is_none() && again.settles_at.is_none());

    // no CSRF token, no close
    let forged = manager
        .post_raw(&format!("{base}/close"), &[("settle", "now")])
        .await;
    assert_eq!(forged.status, 403);
    // a settlement time that is no time: 422, the message beside the field, values kept
    manager.get(&format!("{base}/close")).await.ok();
    let bad = manager
        .post(
            &format!("{base}/close"),
            &[("settle", "later"), ("settles_at", "jeudi soir")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.shows("Indiquez une date et une heure"));
    assert_eq!(bad.input_value("settles_at").as_deref(), Some("jeudi soir"));
    // before the planned close: the domain's rule, in words
    let closes = comptoir::time::local(row.closes_at, FRENCH_DEMO.time_zone);
    let early = (closes - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let refused = manager
        .post(
            &format!("{base}/close"),
            &[("settle", "later"), ("settles_at", &early)],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.shows("après la fermeture prévue"),
        "{}",
        refused.text
    );

    // stop ordering now, settle a day after the planned close
    let later = (closes + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let closed = manager
        .post(
            &format!("{base}/close"),
            &[("settle", "later"), ("settles_at", &later)],
        )
        .await;
    assert_eq!(closed.location(), format!("{base}/close?notice=closed"));
    let detail = app
        .get(&format!("/api/v1/order-cycles/{}", shop.cycle))
        .await
        .json();
    assert_eq!(detail["state"], "closed", "{detail}");
    assert!(detail["settles_at"].is_string(), "{detail}");
    let page = manager.get(&format!("{base}/close?notice=closed")).await;
    let text = unescape(page.ok());
    assert!(text.contains("Les commandes sont arrêtées."));
    assert!(text.contains(&format!("{base}/settle\"")));
    // the preview of a closed cycle is still what it will pay
    let row = cycles::find_row(conn, &shop.cycle).expect("cycle");
    assert_eq!(
        payments(&close::preview(conn, &row).expect("preview").settlements),
        previewed
    );

    // settle, after a confirmation step
    let confirm = manager.get(&format!("{base}/settle")).await;
    assert!(unescape(confirm.ok()).contains("Oui, régler maintenant"));
    let settled = manager.post(&format!("{base}/settle"), &[]).await;
    assert_eq!(settled.location(), format!("{base}/close?notice=settled"));
    let detail = app
        .get(&format!("/api/v1/order-cycles/{}", shop.cycle))
        .await
        .json();
    assert_eq!(detail["state"], "settled", "{detail}");

    // what producers were paid is what the preview said
    let row = cycles::find_row(conn, &shop.cycle).expect("cycle");
    let summary = close::summary(conn, &row).expect("summary");
    assert_eq!(payments(&summary.settlements), previewed);
    assert!(summary.settlements.iter().all(|s| s.entry_id.is_some()));

    // the page now shows what was paid, with the ledger entries
    let page = manager.get(&format!("{base}/close?notice=settled")).await;
    let text = unescape(page.ok());
    assert!(text.contains("Ce que chaque producteur a reçu"), "{text}");
    assert!(!text.contains("Ce que chaque producteur va recevoir"));
    for s in &summary.settlements {
        let entry = s.entry_id.as_deref().unwrap_or("");
        assert!(text.contains(entry), "{entry}");
    }
    assert!(!text.contains("Arrêter les commandes maintenant"));
    // settling again changes nothing
    manager.get(&format!("{base}/settle")).await.ok();
    let again = manager.post(&format!("{base}/settle"), &[]).await;
    assert_eq!(again.location(), format!("{base}/close?notice=settled"));
    let row = cycles::find_row(conn, &shop.cycle).expect("cycle");
    assert_eq!(
        payments(&close::summary(conn, &row).expect("summary").settlements),
        previewed
    );
    let verified = verify(conn, &mut |_| {}).expect("verify");
    assert!(verified.ok(), "{verified}");
}

/// A cycle with no settlement time closes and settles in one step; before, a failed
/// settlement's reason and the holds lost (released) are said in words (in English here),
/// and the preview — counting the lost holds' local parts as euros due — is what is paid.
async fn a_cycle_closes_and_settles_at_once_and_a_failure_is_said_in_words(backend: Backend) {
    use comptoir::db::schema::{order_cycles, orders};
    use diesel::prelude::*;

    let app = TestApp::with_bare_demo(backend).await;
    let shop = orders_placed(&app).await;
    let base = format!("/hub/{}/cycles/{}", FRENCH_DEMO.hub, shop.cycle);
    let conn = &mut app.db.db.conn().expect("conn");
    // the holds on the customers' Lem are released before the close
    let holds: Vec<Option<String>> = orders::table
        .filter(orders::order_cycle_id.eq(&shop.cycle))
        .select(orders::hold_id)
        .load(conn.diesel())
        .expect("holds");
    let holds: Vec<String> = holds.into_iter().flatten().collect();
    assert_eq!(holds.len(), 2);
    for hold in &holds {
        comptoir::ledger::holds::void_hold(
            conn,
            &comptoir::ids::EntryId::from(crate::support::key()),
            &comptoir::ids::TransferId::from(hold),
            "released",
        )
        .expect("void");
    }
    diesel::update(order_cycles::table.find(&shop.cycle))
        .set(order_cycles::close_error.eq(Some("ledger: the holding account is short")))
        .execute(conn.diesel())
        .expect("a failure");
    let row = cycles::find_row(conn, &shop.cycle).expect("cycle");
    let preview = close::preview(conn, &row).expect("preview");
    assert_eq!(preview.lost_holds, 2);
    assert!(
        preview
            .settlements
            .iter()
            .all(|s| s.currency == "EUR" || s.paid.minor == 0),
        "the local parts are due in euros: {:?}",
        preview.settlements
    );

    let mut manager = Visitor::new(&app);
    manager.sign_in(FRENCH_DEMO.hub_manager).await;
    manager.get("/").await.ok();
    let english = manager
        .post("/language", &[("lang", "en"), ("next", "/")])
        .await;
    assert_eq!(english.location(), "/");
    let page = manager.get(&format!("{base}/close")).await;
    let text = unescape(page.ok());
    assert!(text.contains("The settlement failed"), "{text}");
    assert!(text.contains("the holding account is short"));
    assert!(text.contains("2 orders’ holds on local currency have expired"));
    assert!(text.contains("What each producer will be paid"));
    assert!(
        text.contains("Settle on"),
        "the manager may choose a settlement time"
    );

    let done = manager
        .post(&format!("{base}/close"), &[("settle", "now")])
        .await;
    assert_eq!(done.location(), format!("{base}/close?notice=settled"));
    let detail = app
        .get(&format!("/api/v1/order-cycles/{}", shop.cycle))
        .await
        .json();
    assert_eq!(detail["state"], "settled", "{detail}");
    let row = cycles::find_row(conn, &shop.cycle).expect("cycle");
    assert!(row.close_error.is_none());
    let summary = close::summary(conn, &row).expect("summary");
    assert_eq!(
        payments(&summary.settlements),
        payments(&preview.settlements)
    );
    let page = manager.get(&format!("{base}/close?notice=settled")).await;
    let text = unescape(page.ok());
    assert!(text.contains("The cycle is settled: the producers are paid."));
    assert!(text.contains("What each producer was paid"));
    assert!(!text.contains("The settlement failed"));
    let verified = verify(conn, &mut |_| {}).expect("verify");
    assert!(verified.ok(), "{verified}");
}

/// How many times `needle` occurs in `body`.
fn occurrences(body: &str, needle: &str) -> usize {
    body.matches(needle).count()
}

/// A cycle of 120 orders (the benchmark's seeding: split payments, five lines each): the
/// orders list and the per-order reports show 50 orders a page with links to the others (the
/// filters kept), a page past the end shows the last; the printed sheet comes in parts of
/// 50; the pages of each per-order report, put end to end, are the whole report (the API's);
/// and the reports the database sums agree with the per-order ones.
async fn a_large_cycle_is_read_a_page_at_a_time_and_its_pages_add_up_to_the_whole(
    backend: Backend,
) {
    use comptoir::orders::reports;
    let app = TestApp::with_bare_demo(backend).await;
    let seeded = comptoir::bench::close::seed(&app.db.db, "Paged", 120, 1).expect("seeded");
    let cycle_id = seeded.cycle_id;
    let mut office = Visitor::new(&app);
    office.sign_in(FRENCH_DEMO.hub_manager).await;
    let hub = format!("/hub/{}", FRENCH_DEMO.hub);
    let list = format!("{hub}/cycles/{cycle_id}/orders");

    // the orders list: 50, 50, then 20, each page linking its neighbours
    let mut numbers = Vec::new();
    for (page, shown, first, last) in [(1, 50, 1, 50), (2, 50, 51, 100), (3, 20, 101, 120)] {
        let body = unescape(office.get(&format!("{list}?page={page}")).await.ok());
        assert_eq!(
            occurrences(&body, &format!("href=\"{hub}/orders/")),
            shown,
            "page {page}"
        );
        assert!(
            body.contains("120 commandes sur 120 dans ce cycle."),
            "{body}"
        );
        assert!(
            body.contains(&format!("Commandes {first} à {last} sur 120")),
            "{body}"
        );
        assert!(body.contains(&format!("Page {page} sur 3")), "{body}");
        let previous = format!("{list}?page={}", page - 1);
        let next = format!("{list}?page={}", page + 1);
        assert_eq!(body.contains(&previous), page > 1, "page {page}: {body}");
        assert_eq!(body.contains(&next), page < 3, "page {page}: {body}");
        for piece in body.split(&format!("href=\"{hub}/orders/")).skip(1) {
            let number = piece
                .split("\">")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .expect("the order's number");
            numbers.push(number.to_string());
        }
    }
    // every order once, in their numbers' order
    let mut sorted = numbers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(numbers.len(), 120);
    assert_eq!(numbers, sorted);
    // past the end: the last page; a filter stays in the links
    let body = unescape(office.get(&format!("{list}?page=99")).await.ok());
    assert!(body.contains("Commandes 101 à 120 sur 120"), "{body}");
    let body = unescape(
        office
            .get(&format!("{list}?state=confirmed&payment=due"))
            .await
            .ok(),
    );
    assert!(
        body.contains(&format!("{list}?page=2&state=confirmed&payment=due")),
        "{body}"
    );
    let body = unescape(office.get(&format!("{list}?state=cancelled")).await.ok());
    assert!(body.contains("0 commande sur 120 dans ce cycle."), "{body}");

    // a per-order report's table: 50 orders a page; the printed sheet: parts of 50
    let reports_base = format!("{hub}/cycles/{cycle_id}/reports");
    let body = unescape(
        office
            .get(&format!("{reports_base}/customer_totals?page=3"))
            .await
            .ok(),
    );
    assert!(body.contains("Commandes 101 à 120 sur 120"), "{body}");
    assert!(body.contains(&format!("{reports_base}/customer_totals?page=2")));
    assert_eq!(occurrences(&body, "<tr><th scope=\"row\""), 20, "{body}");
    let print = format!("{reports_base}/packing_by_customer/print");
    let body = unescape(office.get(&print).await.ok());
    assert_eq!(occurrences(&body, "class=\"print-block\""), 50, "{body}");
    assert!(body.contains("commandes 1 à 50 sur 120"), "{body}");
    assert!(body.contains(&format!("{print}?page=2")), "{body}");
    let body = unescape(office.get(&format!("{print}?page=3")).await.ok());
    assert_eq!(occurrences(&body, "class=\"print-block\""), 20, "{body}");
    assert!(body.contains("commandes 101 à 120 sur 120"), "{body}");
    // a summed report has no pages
    let body = unescape(
        office
            .get(&format!("{reports_base}/supplier_totals"))
            .await
            .ok(),
    );
    assert!(!body.contains("?page="), "{body}");

    // the pages end to end are the whole report, as the API gives it
    let conn = &mut app.db.db.conn().expect("conn");
    let cycle = cycles::find_row(conn, &cycle_id).expect("the cycle");
    assert_eq!(
        reports::counted_orders(conn, &cycle_id).expect("count"),
        120
    );
    for name in reports::PER_ORDER {
        let whole = reports::build(conn, &cycle, name).expect("the whole report");
        let mut pieced = Vec::new();
        for offset in (0..120).step_by(50) {
            let page = reports::page(conn, &cycle, name, offset, 50).expect("a page");
            assert_eq!(page.columns, whole.columns, "{name}");
            pieced.extend(page.rows);
        }
        assert_eq!(pieced, whole.rows, "{name}");
        assert!(!whole.rows.is_empty(), "{name}");
    }

    // the summed reports agree with the per-order ones: goods, quantities, fees
    let cents = |text: &str| -> i64 {
        let d: rust_decimal::Decimal = text.parse().expect("a decimal");
        (d * rust_decimal::Decimal::from(100))
            .try_into()
            .expect("cents")
    };
    let column = |report: &reports::Report, name: &str| -> Vec<String> {
        let i = report
            .columns
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        report.rows.iter().map(|r| r[i].clone()).collect()
    };
    let report = |conn: &mut comptoir::db::DbConn, name: &str| {
        reports::build(conn, &cycle, name).expect("a report")
    };
    let totals = report(conn, "customer_totals");
    let items: i64 = column(&totals, "items_total")
        .iter()
        .map(|t| cents(t))
        .sum();
    let fees: i64 = column(&totals, "fees_total").iter().map(|t| cents(t)).sum();
    let shipping: i64 = column(&totals, "shipping_fee")
        .iter()
        .map(|t| cents(t))
        .sum();
    let suppliers = report(conn, "supplier_totals");
    let supplied: i64 = column(&suppliers, "total").iter().map(|t| cents(t)).sum();
    assert_eq!(supplied, items, "supplier totals against customer totals");
    let packing = report(conn, "packing_by_customer");
    let packed: rust_decimal::Decimal = column(&packing, "quantity")
        .iter()
        .map(|q| q.parse::<rust_decimal::Decimal>().expect("a quantity"))
        .sum();
    let delivered: rust_decimal::Decimal = column(&suppliers, "quantity")
        .iter()
        .map(|q| q.parse::<rust_decimal::Decimal>().expect("a quantity"))
        .sum();
    assert_eq!(packed, delivered);
    assert_eq!(packing.rows.len(), 600, "five lines an order");
    let owed = report(conn, "pay_your_suppliers");
    let sold: i64 = column(&owed, "goods_total").iter().map(|t| cents(t)).sum();
    assert_eq!(sold, items);
    let tax = report(conn, "sales_tax");
    let (mut goods, mut charged) = (0, 0);
    for row in &tax.rows {
        match row[0].as_str() {
            "goods" => goods += cents(&row[4]),
            _ => charged += cents(&row[4]),
        }
    }
    assert_eq!(goods, items, "{:?}", tax.rows);
    let summary = report(conn, "enterprise_fee_summary");
    let all_fees: i64 = column(&summary, "amount").iter().map(|t| cents(t)).sum();
    assert_eq!(charged, all_fees, "{:?} {:?}", tax.rows, summary.rows);
    let customer_fees: i64 = summary
        .rows
        .iter()
        .filter(|r| r[2] == "customer")
        .map(|r| cents(&r[4]))
        .sum();
    assert_eq!(customer_fees, fees + shipping, "{:?}", summary.rows);
}
