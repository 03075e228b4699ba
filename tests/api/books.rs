//! Enterprise books: the hub's and a producer's own FEC after a cycle with fees, a
//! split payment, a close with settlement and a euro payment — every amount worked out by
//! hand, the sales split per VAT rate cross-checked with the cycle's sales-tax report, the
//! producers' accounts cleared, lettering, authorization, the command line. Both backends,
//! on the demo without its history (its own cycle is all the books hold).

use std::collections::BTreeMap;

use serde_json::json;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};
use crate::support::{
    authed, close_cycle, euro_paid, funded_wallet, hub_owner_token, key, lem, place_order, shop,
    Shop,
};

backend_tests!(
    a_hub_and_a_producer_export_their_own_books,
    each_euro_receipt_is_booked_on_its_own_day,
    an_order_paid_cancelled_and_refunded_nets_to_zero_in_the_hubs_books,
    credit_given_back_and_used_at_a_later_checkout_is_on_419,
);

/// One FEC line.
#[derive(Debug, Clone)]
struct Line {
    journal: String,
    number: String,
    account: String,
    aux: String,
    aux_label: String,
    piece: String,
    debit: i64,
    credit: i64,
    letter: String,
    currency_amount: String,
    currency: String,
}

impl Line {
    /// Debit minus credit.
    fn net(&self) -> i64 {
        self.debit - self.credit
    }
}

fn cents(text: &str) -> i64 {
    let (units, decimals) = text.split_once(',').expect("a decimal comma");
    assert_eq!(decimals.len(), 2, "{text}");
    units.parse::<i64>().expect("units") * 100 + decimals.parse::<i64>().expect("cents")
}

/// Parses a FEC, checking the header, 18 cells per line, one side per line, balanced moves
/// and continuous numbering per journal.
fn parse(fec: &str) -> Vec<Line> {
    let rows: Vec<&str> = fec.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(
        rows[0].starts_with("JournalCode|JournalLib|EcritureNum|"),
        "{fec}"
    );
    let lines: Vec<Line> = rows[1..]
        .iter()
        .map(|row| {
            let c: Vec<&str> = row.split('|').collect();
            assert_eq!(c.len(), 18, "{row}");
            let line = Line {
                journal: c[0].into(),
                number: c[2].into(),
                account: c[4].into(),
                aux: c[6].into(),
                aux_label: c[7].into(),
                piece: c[8].into(),
                debit: cents(c[11]),
                credit: cents(c[12]),
                letter: c[13].into(),
                currency_amount: c[16].into(),
                currency: c[17].into(),
            };
            assert!((line.debit == 0) != (line.credit == 0), "one side: {row}");
            line
        })
        .collect();
    let mut moves: BTreeMap<&str, i64> = BTreeMap::new();
    let mut numbers: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for l in &lines {
        *moves.entry(&l.number).or_default() += l.net();
        let list = numbers.entry(&l.journal).or_default();
        if list.last() != Some(&l.number) {
            list.push(l.number.clone());
        }
    }
    for (number, net) in moves {
        assert_eq!(net, 0, "move {number} balances: {fec}");
    }
    for (journal, list) in numbers {
        let got: Vec<i64> = list
            .iter()
            .map(|n| {
                let (prefix, number) = n.split_once('-').expect("EcritureNum");
                assert!(prefix.starts_with(journal), "{n}");
                number.parse().expect("number")
            })
            .collect();
        let expected: Vec<i64> = (1..=list.len() as i64).collect();
        assert_eq!(got, expected, "continuous numbering in {journal}");
    }
    lines
}

/// Net (debit − credit) of the lines on `account`, optionally of one auxiliary account.
fn net(lines: &[Line], account: &str, aux: Option<&str>) -> i64 {
    lines
        .iter()
        .filter(|l| l.account == account && aux.is_none_or(|a| l.aux == a))
        .map(Line::net)
        .sum()
}

/// The lines of the moves whose piece is `piece`.
fn of_piece<'a>(lines: &'a [Line], piece: &str) -> Vec<&'a Line> {
    lines.iter().filter(|l| l.piece == piece).collect()
}

/// Camille buys carrots 2 × 2.80 (5.5 %, Ferme), mead 12.50 (20 %, Rucher) and baguettes
/// 3 × 1.40 (5.5 %, Fournil), delivered by bike for 3.00 (20 %); the hub charges 1.00 of
/// membership (20 %) and its producers a 10 % commission (20 %). Total 26.30: 18.55 in LEM,
/// 7.75 in euros, paid after the close.
async fn a_hub_and_a_producer_export_their_own_books(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let shop = shop(&app).await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let fees_path = format!("/api/v1/order-cycles/{}/fees", shop.cycle);
    for fee in [
        json!({"name": "Adhésion", "fee_type": "admin", "calculator": "flat_per_order",
            "charged_to": "customer", "amount": "1.00"}),
        json!({"name": "Commission", "fee_type": "sales", "calculator": "percent_of_items",
            "charged_to": "producer", "percent": "10"}),
    ] {
        let added = authed(&app, "POST", &fees_path, &manager, None, &fee).await;
        assert_eq!(added.status, 201, "{}", added.json());
    }
    let camille = app.access_token("camille@example.org").await;
    funded_wallet(&app, &camille, "50.00").await;
    let lines = json!({"lines": [
        {"variant_id": shop.variant["FERME-CAR-1KG"], "quantity": 2},
        {"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1},
        {"variant_id": shop.variant["FOUR-BAG-TRAD"], "quantity": 3},
    ]});
    let order_id = place_order(&app, &shop, &camille, &lines, "Livraison à vélo", "18.55").await;
    close_cycle(&app, &shop, &manager).await;
    let order = app
        .call(
            "GET",
            &format!("/api/v1/orders/{order_id}"),
            Some(&camille),
            None,
        )
        .await
        .json();
    assert_eq!(order["total"]["amount"], "26.30", "{order}");
    let number = order["number"].as_str().expect("number").to_string();
    let today = comptoir::time::now().date();
    let range = format!("from={today}&to={today}");
    let hub_path = format!("/api/v1/enterprises/la-cagette/accounting/fec?{range}");
    // only the hub's owners and treasurers: not its customer, a producer or a manager
    let farmer = app.access_token("ferme@troischenes.example.org").await;
    for token in [&camille, &farmer, &manager] {
        app.call("GET", &hub_path, Some(token), None)
            .await
            .problem(403, "forbidden");
    }
    let owner = hub_owner_token(&app).await;
    euro_paid(&app, &order_id, &owner).await;

    app.call(
        "GET",
        &format!("/api/v1/enterprises/nobody/accounting/fec?{range}"),
        Some(&owner),
        None,
    )
    .await
    .problem(404, "not-found");

    // a VAT rate without accounts stops the export, naming the rate; a bad rate is refused
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let chart = app
        .call("GET", "/api/v1/accounting/chart", Some(&treasurer), None)
        .await
        .json();
    assert_eq!(chart["books"]["customers"]["code"], "411000", "{chart}");
    let mut without_20 = chart.clone();
    without_20["books"]["vat"]
        .as_array_mut()
        .expect("rates")
        .retain(|v| v["rate"] != "20");
    let mut bad = chart.clone();
    bad["books"]["vat"][0]["rate"] = json!("5,5");
    app.call(
        "PUT",
        "/api/v1/accounting/chart",
        Some(&treasurer),
        Some(&bad),
    )
    .await
    .problem(422, "validation");
    let put = |chart: serde_json::Value| {
        let (app, treasurer) = (&app, &treasurer);
        async move {
            let reply = app
                .call(
                    "PUT",
                    "/api/v1/accounting/chart",
                    Some(treasurer),
                    Some(&chart),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.json());
        }
    };
    put(without_20).await;
    let problem = app
        .call("GET", &hub_path, Some(&owner), None)
        .await
        .problem(409, "accounting-unmapped");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("20 %")),
        "{problem}"
    );
    put(chart).await;

    let reply = app.call("GET", &hub_path, Some(&owner), None).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    // named after the hub's own SIREN
    let name = format!("812345676FEC{}.txt", today.format("%Y%m%d"));
    assert_eq!(
        reply.header("content-disposition"),
        Some(format!("attachment; filename=\"{name}\""))
    );
    let fec = String::from_utf8(reply.body.clone()).expect("utf-8");
    let hub = parse(&fec);
    let piece = format!("order {number}");
    let sale = of_piece(&hub, &piece);
    let customer = sale
        .iter()
        .find(|l| l.account == "411000")
        .map(|l| l.aux.clone())
        .expect("the customer's account");
    assert!(customer.starts_with('M'), "{customer}");
    assert!(sale.iter().any(|l| l.aux_label == "Camille Consommatrice"));
    // the sale: 26.30 owed by the customer, goods owed to their producers, the hub's fees
    // (membership 1.00 and delivery 3.00, VAT 0.17 + 0.50) its revenue at 20 %
    let expected_sale: Vec<(&str, &str, i64)> = vec![
        ("411000", customer.as_str(), 2630),
        ("467100", "FERME-DES-TROIS-CHENES", -560),
        ("467100", "FOURNIL-DE-LA-COLLINE", -420),
        ("467100", "RUCHER-DU-VAL", -1250),
        ("708200", "", -333),
        ("445711", "", -67),
        ("530100", "", 1855),
        ("411000", customer.as_str(), -1855),
        // the receipt
        ("512000", "", 775),
        ("411000", customer.as_str(), -775),
    ];
    let got: Vec<(&str, &str, i64)> = sale
        .iter()
        .map(|l| (l.account.as_str(), l.aux.as_str(), l.net()))
        .collect();
    assert_eq!(got, expected_sale, "{fec}");
    let local = sale.iter().find(|l| l.account == "530100").expect("530");
    assert_eq!(
        (local.currency_amount.as_str(), local.currency.as_str()),
        ("18,55", "LEM")
    );
    assert_eq!(sale[0].journal, "VT");
    assert_eq!(sale.last().map(|l| l.journal.as_str()), Some("BQ"));
    // the customer's account is settled and lettered
    assert_eq!(net(&hub, "411000", Some(&customer)), 0);
    for l in sale.iter().filter(|l| l.account == "411000") {
        assert_eq!(l.letter, "A", "{l:?}");
    }
    // settlements clear each producer's account: goods less the commission (VAT 20 %
    // included: 0.56 → 0.09, 1.25 → 0.21, 0.42 → 0.07), paid as it was paid
    for producer in [
        "FERME-DES-TROIS-CHENES",
        "FOURNIL-DE-LA-COLLINE",
        "RUCHER-DU-VAL",
    ] {
        assert_eq!(net(&hub, "467100", Some(producer)), 0, "{producer}: {fec}");
    }
    let settlements: Vec<&Line> = hub
        .iter()
        .filter(|l| l.piece.starts_with("cycle "))
        .collect();
    let rucher = settlements
        .iter()
        .find(|l| l.aux == "RUCHER-DU-VAL")
        .map(|l| l.number.clone())
        .expect("the Rucher's settlement");
    let got: Vec<(&str, i64, &str)> = settlements
        .iter()
        .filter(|l| l.number == rucher)
        .map(|l| (l.account.as_str(), l.net(), l.currency_amount.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("467100", 1250, ""),
            ("708200", -104, ""),
            ("445711", -21, ""),
            ("512000", -500, ""),
            ("530100", -625, "6,25"),
        ],
        "{fec}"
    );
    // revenue and VAT per rate agree with the cycle's sales-tax report (fees rows)
    let tax = app
        .call(
            "GET",
            &format!("/api/v1/order-cycles/{}/reports/sales_tax", shop.cycle),
            Some(&owner),
            None,
        )
        .await
        .json();
    let mut fee_rows = 0;
    for row in tax["rows"].as_array().expect("rows") {
        if row[0] != "fees" {
            continue;
        }
        fee_rows += 1;
        let (revenue, vat) = match row[1].as_str() {
            Some("20") => ("708200", "445711"),
            Some("5.5") => ("708055", "445713"),
            other => panic!("a fee rate {other:?}"),
        };
        let amount = |i: usize| -> i64 {
            let text = row[i].as_str().expect("amount").replace('.', ",");
            cents(&text)
        };
        assert_eq!(-net(&hub, revenue, None), amount(2), "{row}");
        assert_eq!(-net(&hub, vat, None), amount(3), "{row}");
    }
    assert_eq!(fee_rows, 1);
    // what the hub holds: 18.55 LEM in, 15.07 LEM out to producers; 7.75 € in, 5.00 € out
    assert_eq!(net(&hub, "530100", None), 1855 - 504 - 378 - 625);
    assert_eq!(net(&hub, "512000", None), 775 - 500);

    // the farm's own books: its sales at 5.5 %, the commission an expense, its payment
    let farm_path = format!("/api/v1/enterprises/ferme-des-trois-chenes/accounting/fec?{range}");
    app.call("GET", &farm_path, Some(&owner), None)
        .await
        .problem(403, "forbidden");
    let reply = app.call("GET", &farm_path, Some(&farmer), None).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let farm_fec = String::from_utf8(reply.body.clone()).expect("utf-8");
    let farm = parse(&farm_fec);
    let got: Vec<(&str, &str, i64)> = farm
        .iter()
        .map(|l| (l.account.as_str(), l.aux.as_str(), l.net()))
        .collect();
    assert_eq!(
        got,
        [
            ("467200", "LA-CAGETTE", 560),
            ("707055", "", -531),
            ("445713", "", -29),
            ("622000", "", 47),
            ("445661", "", 9),
            ("530100", "", 504),
            ("467200", "LA-CAGETTE", -560),
        ],
        "{farm_fec}"
    );
    for l in farm.iter().filter(|l| l.account == "467200") {
        assert_eq!(l.letter, "A", "{l:?}");
    }
    assert!(farm.iter().all(|l| l.journal == "VT"));

    // exported again: the same bytes; the command line writes the same file
    let again = app.call("GET", &hub_path, Some(&owner), None).await;
    assert_eq!(String::from_utf8_lossy(&again.body), fec);
    let written = crate::accounting::fec_on_the_command_line(
        &app,
        today,
        &["--enterprise", "la-cagette"],
        &name,
    );
    assert_eq!(written, fec);

    // the Odoo CSV of the hub's books: one row per line
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/la-cagette/accounting/odoo.csv?{range}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    let mut reader = csv::Reader::from_reader(reply.body.as_slice());
    assert_eq!(reader.records().count(), hub.len());
}

/// An order's euro part is paid (yesterday, say); its hold is then released before the
/// close, so its local part becomes euros due, paid today. The hub's books have two receipts
/// on their own days, and the customer's account is settled and lettered.
async fn each_euro_receipt_is_booked_on_its_own_day(backend: Backend) {
    use comptoir::db::schema::{order_receipts, orders};
    use diesel::prelude::*;
    let app = TestApp::with_bare_demo(backend).await;
    let shop = shop(&app).await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let camille = app.access_token("camille@example.org").await;
    funded_wallet(&app, &camille, "20.00").await;
    let lines = json!({"lines": [{"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1}]});
    let order_id = place_order(&app, &shop, &camille, &lines, "Local de la Cagette", "5.00").await;
    let owner = hub_owner_token(&app).await;
    euro_paid(&app, &order_id, &owner).await;
    let today = comptoir::time::now().date();
    let yesterday = today - chrono::Duration::days(1);
    {
        let conn = &mut app.db.db.conn().expect("conn");
        // the first receipt was yesterday
        diesel::update(order_receipts::table.filter(order_receipts::order_id.eq(&order_id)))
            .set(order_receipts::received_at.eq(yesterday.and_hms_opt(15, 0, 0).expect("time")))
            .execute(conn.diesel())
            .expect("backdated");
        // the hold is released before the close: the local part will be due in euros
        let hold: String = orders::table
            .find(&order_id)
            .select(orders::hold_id)
            .first::<Option<String>>(conn.diesel())
            .expect("order")
            .expect("a hold");
        comptoir::ledger::holds::void_hold(
            conn,
            &comptoir::ids::EntryId::from(key()),
            &comptoir::ids::TransferId::from(&hold),
            "released",
        )
        .expect("void");
    }
    close_cycle(&app, &shop, &manager).await;
    euro_paid(&app, &order_id, &owner).await;

    let path = format!("/api/v1/enterprises/la-cagette/accounting/fec?from={yesterday}&to={today}");
    let reply = app.call("GET", &path, Some(&owner), None).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let fec = String::from_utf8(reply.body.clone()).expect("utf-8");
    let hub = parse(&fec);
    // 12.50 in all: 7.50 in euros yesterday, then the 5.00 the hold no longer covered
    let receipts: Vec<(String, i64)> = fec
        .split("\r\n")
        .filter(|row| {
            let cells: Vec<&str> = row.split('|').collect();
            cells.len() == 18 && cells[4] == "512000" && cells[8].starts_with("order ")
        })
        .map(|row| {
            let cells: Vec<&str> = row.split('|').collect();
            (cells[3].to_string(), cents(cells[11]))
        })
        .collect();
    assert_eq!(
        receipts,
        [
            (yesterday.format("%Y%m%d").to_string(), 750),
            (today.format("%Y%m%d").to_string(), 500),
        ],
        "{fec}"
    );
    let customer = hub
        .iter()
        .find(|l| l.account == "411000")
        .map(|l| l.aux.clone())
        .expect("411");
    assert_eq!(net(&hub, "411000", Some(&customer)), 0, "{fec}");
    assert!(hub
        .iter()
        .filter(|l| l.account == "411000")
        .all(|l| l.letter == "A"));
    // nothing was captured in Lem: no 530 line
    assert_eq!(net(&hub, "530100", None), 0, "{fec}");
}

/// The hub's FEC for today, as `owner` exports it (200 expected), and its lines.
async fn todays_hub_fec(app: &TestApp, owner: &str) -> (String, Vec<Line>) {
    let today = comptoir::time::now().date();
    let path = format!("/api/v1/enterprises/la-cagette/accounting/fec?from={today}&to={today}");
    let reply = app.call("GET", &path, Some(owner), None).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let fec = String::from_utf8(reply.body.clone()).expect("utf-8");
    let lines = parse(&fec);
    (fec, lines)
}

/// `token` posts `body` to `/api/v1/orders/{order_id}/{action}` (with an idempotency key),
/// which must succeed; returns the order.
async fn order_action(
    app: &TestApp,
    order_id: &str,
    action: &str,
    token: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let path = format!("/api/v1/orders/{order_id}/{action}");
    let reply = authed(app, "POST", &path, token, Some(&key()), &body).await;
    assert_eq!(reply.status, 200, "{action}: {}", reply.json());
    reply.json()
}

/// Camille orders a bottle of mead (12.50: 5.00 in LEM, 7.50 in euros, of which `credit`
/// from her credit with the hub), or checkout fails; returns the order's id and number.
async fn order_mead(
    app: &TestApp,
    shop: &Shop,
    camille: &str,
    credit: Option<&str>,
) -> (String, String) {
    let lines = json!({"lines": [{"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1}]});
    let cart_path = format!("/api/v1/order-cycles/{}/cart", shop.cycle);
    let cart = authed(app, "PUT", &cart_path, camille, None, &lines).await;
    assert_eq!(cart.status, 200, "{}", cart.json());
    let mut body = json!({"shipping_method_id": shop.method["Local de la Cagette"],
        "local_amount": lem("5.00")});
    if let Some(credit) = credit {
        body["credit_amount"] = json!(credit);
    }
    let placed = authed(
        app,
        "POST",
        &format!("/api/v1/order-cycles/{}/checkout", shop.cycle),
        camille,
        Some(&key()),
        &body,
    )
    .await;
    assert_eq!(placed.status, 201, "{}", placed.json());
    let order = placed.json();
    (
        order["id"].as_str().expect("id").to_string(),
        order["number"].as_str().expect("number").to_string(),
    )
}

/// Camille's auxiliary account in the hub's books (from its 411 lines).
fn customer_of(lines: &[Line], fec: &str) -> String {
    let customer = lines
        .iter()
        .find(|l| l.account == "411000" && l.aux_label == "Camille Consommatrice")
        .map(|l| l.aux.clone())
        .unwrap_or_else(|| panic!("Camille's 411: {fec}"));
    assert!(customer.starts_with('M'), "{customer}");
    customer
}

/// An order's euro part is paid (7.50), then Camille cancels it while the cycle is open and
/// the hub refunds her by bank transfer: the order is never sold (the close does not book a
/// cancelled order), the receipt and the refund are in the bank journal, her 411 nets to
/// zero and is lettered, and the bank nets to zero for that order.
async fn an_order_paid_cancelled_and_refunded_nets_to_zero_in_the_hubs_books(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let shop = shop(&app).await;
    let camille = app.access_token("camille@example.org").await;
    funded_wallet(&app, &camille, "20.00").await;
    let (order_id, number) = order_mead(&app, &shop, &camille, None).await;
    let owner = hub_owner_token(&app).await;
    euro_paid(&app, &order_id, &owner).await;
    let cancelled = order_action(
        &app,
        &order_id,
        "cancel",
        &camille,
        json!({"reason": "empêchée"}),
    )
    .await;
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    // nothing to refund to a customer who asks herself
    let refund_path = format!("/api/v1/orders/{order_id}/refunds");
    let refund = json!({"method": "bank_transfer", "reference": "VIR-0042"});
    let denied = authed(&app, "POST", &refund_path, &camille, Some(&key()), &refund).await;
    assert_eq!(denied.status, 403, "{}", denied.json());
    order_action(&app, &order_id, "refunds", &owner, refund).await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    close_cycle(&app, &shop, &manager).await;

    let (fec, hub) = todays_hub_fec(&app, &owner).await;
    let customer = customer_of(&hub, &fec);
    let piece = format!("order {number}");
    let got: Vec<(&str, &str, &str, i64)> = of_piece(&hub, &piece)
        .iter()
        .map(|l| {
            (
                l.journal.as_str(),
                l.account.as_str(),
                l.aux.as_str(),
                l.net(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // the receipt
            ("BQ", "512000", "", 750),
            ("BQ", "411000", customer.as_str(), -750),
            // the refund
            ("BQ", "512000", "", -750),
            ("BQ", "411000", customer.as_str(), 750),
        ],
        "{fec}"
    );
    assert!(
        fec.contains(&format!(
            "|Remboursement commande {number} (virement VIR-0042)|"
        )),
        "{fec}"
    );
    assert_eq!(net(&hub, "411000", Some(&customer)), 0, "{fec}");
    let letters: Vec<&str> = of_piece(&hub, &piece)
        .iter()
        .filter(|l| l.account == "411000")
        .map(|l| l.letter.as_str())
        .collect();
    assert_eq!(letters, ["A", "A"], "{fec}");
    let bank: i64 = of_piece(&hub, &piece)
        .iter()
        .filter(|l| l.account == "512000")
        .map(|l| l.net())
        .sum();
    assert_eq!(bank, 0, "{fec}");
    // a cancelled order is not sold: no revenue, no producer owed
    assert!(hub.iter().all(|l| l.piece != piece || l.journal == "BQ"));
    // exported again: the same file
    let (again, _) = todays_hub_fec(&app, &owner).await;
    assert_eq!(again, fec);
}

/// A first order's euro part is paid (7.50), Camille cancels it, and the hub turns the 7.50
/// into her credit; she pays 3.00 of a second order's euro part (7.50) from it and the rest
/// (4.50) in euros, and the cycle closes. The hub's 419 holds what is left of her credit
/// (4.50, her as auxiliary account), her 411 is lettered to zero for both orders, and the
/// auditor finds the ledger's customer credit and the per-customer detail agree — until
/// the detail is altered.
async fn credit_given_back_and_used_at_a_later_checkout_is_on_419(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let shop = shop(&app).await;
    let camille = app.access_token("camille@example.org").await;
    funded_wallet(&app, &camille, "20.00").await;
    let owner = hub_owner_token(&app).await;
    let (first, first_number) = order_mead(&app, &shop, &camille, None).await;
    euro_paid(&app, &first, &owner).await;
    order_action(&app, &first, "cancel", &camille, json!({})).await;
    order_action(&app, &first, "credit", &owner, json!({})).await;
    let (second, second_number) = order_mead(&app, &shop, &camille, Some("3.00")).await;
    euro_paid(&app, &second, &owner).await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    close_cycle(&app, &shop, &manager).await;

    let (fec, hub) = todays_hub_fec(&app, &owner).await;
    let customer = customer_of(&hub, &fec);
    let moves = |piece: &str| -> Vec<(String, String, String, i64)> {
        of_piece(&hub, piece)
            .iter()
            .map(|l| (l.journal.clone(), l.account.clone(), l.aux.clone(), l.net()))
            .collect()
    };
    let line = |journal: &str, account: &str, aux: &str, net: i64| {
        (
            journal.to_string(),
            account.to_string(),
            aux.to_string(),
            net,
        )
    };
    let c = customer.as_str();
    // the first order: paid, then the 7.50 owed back turned into credit (no money moves)
    assert_eq!(
        moves(&format!("order {first_number}")),
        [
            line("BQ", "512000", "", 750),
            line("BQ", "411000", c, -750),
            line("VT", "419100", c, -750),
            line("VT", "411000", c, 750),
        ],
        "{fec}"
    );
    // the second: 3.00 from the credit at checkout, 4.50 in euros, then the sale at the
    // close (12.50, 5.00 of it paid in LEM)
    let second_moves = moves(&format!("order {second_number}"));
    assert_eq!(
        second_moves[..4],
        [
            line("VT", "419100", c, 300),
            line("VT", "411000", c, -300),
            line("BQ", "512000", "", 450),
            line("BQ", "411000", c, -450),
        ],
        "{fec}"
    );
    assert_eq!(second_moves[4], line("VT", "411000", c, 1250), "{fec}");
    assert!(
        second_moves.contains(&line("VT", "411000", c, -500)),
        "{fec}"
    );
    // what is left of her credit; her 411 settled and lettered, order by order
    assert_eq!(net(&hub, "419100", Some(c)), -450, "{fec}");
    assert_eq!(net(&hub, "419100", None), -450, "{fec}");
    assert!(hub
        .iter()
        .filter(|l| l.account == "419100")
        .all(|l| l.letter.is_empty()));
    assert_eq!(net(&hub, "411000", Some(c)), 0, "{fec}");
    let mut letters = Vec::new();
    for number in [&first_number, &second_number] {
        let piece = format!("order {number}");
        let of_order: Vec<&str> = of_piece(&hub, &piece)
            .iter()
            .filter(|l| l.account == "411000")
            .map(|l| l.letter.as_str())
            .collect();
        assert!(!of_order[0].is_empty(), "{piece}: {fec}");
        assert!(of_order.iter().all(|l| *l == of_order[0]), "{piece}: {fec}");
        letters.push(of_order[0]);
    }
    assert_ne!(letters[0], letters[1], "{fec}");
    // the first order's 7.50 stays in the bank: it is owed to Camille as credit
    let bank_first: i64 = of_piece(&hub, &format!("order {first_number}"))
        .iter()
        .filter(|l| l.account == "512000")
        .map(|l| l.net())
        .sum();
    assert_eq!(bank_first, 750, "{fec}");

    // the auditor: the hub's customer credit account agrees with Camille's credit (4.50)
    use comptoir::db::schema::customer_credits;
    use diesel::prelude::*;
    let conn = &mut app.db.db.conn().expect("conn");
    let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert!(report.ok(), "{report}");
    diesel::update(customer_credits::table)
        .set(customer_credits::balance_minor.eq(customer_credits::balance_minor + 1))
        .execute(conn.diesel())
        .expect("altered");
    let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert_eq!(report.violations.len(), 1, "{report}");
    assert!(
        report.violations[0].contains("customer credit account holds 450 minor units but its customers' credits add up to 451"),
        "{report}"
    );
}
