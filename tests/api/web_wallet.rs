//! The wallet's pages over real HTTP, on both demos (the Lem in euros, the Moléson in
//! francs): opening a local wallet, balances, money set aside for an order, the history page
//! by page and its CSV (the API's, byte for byte), a top-up request and how to pay it (with
//! the transfer's QR code), and paying a payment request from its QR code's link.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, DemoFacts, TestApp};
use crate::pages::Visitor;
use crate::support::{authed, created, key, place_order_in, shop_of};

backend_tests!(;
    per_demo: balances_holds_history_and_its_csv,
    a_top_up_request_and_how_to_pay_it,
    paying_a_payment_request_from_its_link
);

/// `12.50` of `currency` as a French page writes it.
fn fr(amount: &str, currency: &str) -> String {
    format!("{}\u{a0}{currency}", amount.replace('.', ","))
}

/// Signs `visitor` in as `email` and reads the pages in French (the account remembers it).
async fn sign_in_fr(visitor: &mut Visitor<'_>, email: &str) {
    visitor.sign_in(email).await;
    visitor.get("/").await.ok();
    let switched = visitor
        .post("/language", &[("lang", "fr"), ("next", "/")])
        .await;
    assert_eq!(switched.location(), "/");
}

/// A producer of the demo that takes its local currency, and the email of its owner.
fn farm(demo: &DemoFacts) -> (&'static str, &'static str) {
    match demo.demo {
        comptoir::demo::Demo::France => ("ferme-des-trois-chenes", "ferme@troischenes.example.org"),
        comptoir::demo::Demo::Switzerland => ("ferme-du-grand-pre", "ferme@grandpre.example.org"),
    }
}

/// Issues `amount` of the local currency on `wallet` (the association's treasurer).
async fn issue(app: &TestApp, demo: &DemoFacts, treasurer: &str, wallet: &str, amount: &str) {
    let issued = app
        .call(
            "POST",
            &format!("/api/v1/currencies/{}/issuances", demo.local),
            Some(treasurer),
            Some(&json!({"entry_id": key(), "wallet_id": wallet, "amount": demo.local_amount(amount), "method": "cash", "reference": "counter"})),
        )
        .await;
    created(issued);
}

/// The reader's member wallet in `currency`, through the API.
async fn wallet_of(app: &TestApp, token: &str, currency: &str) -> Option<Value> {
    app.call("GET", "/api/v1/me/accounts", Some(token), None)
        .await
        .json()
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["kind"] == "member_wallet" && a["currency"] == currency)
        .cloned()
}

async fn balances_holds_history_and_its_csv(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let member = demo.consumers[0];
    let token = app.access_token(member).await;
    let mut signed_out = Visitor::new(&app);
    assert_eq!(
        signed_out.get("/wallet").await.location(),
        "/login?next=%2Fwallet"
    );

    // no wallet in the local currency yet: a button opens one
    let mut visitor = Visitor::new(&app);
    sign_in_fr(&mut visitor, member).await;
    let page = visitor.get("/wallet").await;
    assert!(page.ok().contains("action=\"/wallet/open\""));
    assert!(page
        .text
        .contains(&format!("name=\"currency\" value=\"{}\"", demo.local)));
    assert!(wallet_of(&app, &token, demo.local).await.is_none());
    let forged = visitor
        .post_raw("/wallet/open", &[("currency", demo.local)])
        .await;
    assert_eq!(forged.status, 403);
    let opened = visitor
        .post("/wallet/open", &[("currency", demo.local)])
        .await
        .location();
    let wallet = wallet_of(&app, &token, demo.local)
        .await
        .expect("the wallet is open");
    let id = wallet["id"].as_str().expect("id").to_string();
    assert_eq!(opened, format!("/wallet?account={id}&notice=opened"));
    let page = visitor.get(&opened).await;
    assert!(page.shows("Votre porte-monnaie est ouvert"));
    assert!(!page.text.contains("action=\"/wallet/open\""));

    // 21 top-ups of 1 to 21, then an order paid in the local currency sets money aside
    let treasurer = app.access_token(demo.treasurer).await;
    for n in 1..=21 {
        issue(&app, demo, &treasurer, &id, &format!("{n}.00")).await;
    }
    let shop = shop_of(&app, demo.hub).await;
    let carrots = shop.variant[demo.skus[0]].clone();
    let lines = json!({"lines": [{"variant_id": carrots, "quantity": 1}]});
    let price = match demo.demo {
        comptoir::demo::Demo::France => "2.80",
        comptoir::demo::Demo::Switzerland => "4.20",
    };
    let order = place_order_in(&app, demo, &shop, &token, &lines, demo.pickup, price).await;
    let number = app
        .call(
            "GET",
            &format!("/api/v1/orders/{order}"),
            Some(&token),
            None,
        )
        .await
        .json()["number"]
        .as_str()
        .expect("number")
        .to_string();
    let wallet = wallet_of(&app, &token, demo.local).await.expect("wallet");
    assert_eq!(wallet["balance"]["amount"], "231.00");

    let page = visitor.get("/wallet").await;
    let text = page.ok();
    // the balance first, then what is set aside and for which order
    let balance = text.find(&fr("231.00", demo.local)).expect("the balance");
    let holds = text.find("holds-heading").expect("the holds");
    assert!(balance < holds);
    assert!(page.shows(&format!(
        "Dont mis de côté pour des commandes : {}",
        fr(price, demo.local)
    )));
    assert!(
        page.shows(&format!("Commande nº {number}")),
        "{number}: {text}"
    );
    let available = wallet["available"]["amount"].as_str().expect("available");
    assert!(page.shows(&format!("Disponible : {}", fr(available, demo.local))));

    // the history, newest first: the hold, then top-ups 21 down to 3; older ones after
    assert!(page.shows("Mise de côté pour une commande"));
    assert!(page.shows(&format!("+{}", fr("21.00", demo.local))));
    assert!(!page.shows(&format!("+{}", fr("2.00", demo.local))));
    let older = page
        .text
        .split("&amp;after=")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("a link to older transfers")
        .to_string();
    let second = visitor
        .get(&format!("/wallet?account={id}&after={older}"))
        .await;
    assert!(second.ok().contains("Recharge"));
    assert!(second.shows(&format!("+{}", fr("2.00", demo.local))));
    assert!(second.shows(&format!("+{}", fr("1.00", demo.local))));
    assert!(!second.shows(&format!("+{}", fr("3.00", demo.local))));
    assert!(!second.shows("Opérations plus anciennes"));
    assert!(second
        .text
        .contains(&format!("href=\"/wallet?account={id}\"")));
    assert_eq!(
        visitor
            .get(&format!("/wallet?account={id}&after=nope"))
            .await
            .status,
        404
    );

    // the CSV: the API's, as a download
    let csv_path = format!("/wallet/accounts/{id}/history.csv");
    assert!(page.text.contains(&format!("href=\"{csv_path}\"")));
    let csv = visitor.get(&csv_path).await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.reply.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    assert!(csv
        .reply
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("attachment")));
    let api = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{id}/transfers.csv"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(api.status, 200);
    assert_eq!(csv.reply.body, api.body);
    assert_eq!(csv.text.lines().count(), 23, "a header and 22 transfers");

    // another member reads none of it
    let mut other = Visitor::new(&app);
    sign_in_fr(&mut other, demo.consumers[1]).await;
    assert_eq!(
        other.get(&format!("/wallet?account={id}")).await.status,
        404
    );
    assert_eq!(other.get(&csv_path).await.status, 403);
    assert_eq!(signed_out.get(&csv_path).await.status, 303);
}

async fn a_top_up_request_and_how_to_pay_it(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let member = demo.consumers[1];
    let token = app.access_token(member).await;
    let mut visitor = Visitor::new(&app);
    assert_eq!(
        visitor.get("/wallet/top-up").await.location(),
        "/login?next=%2Fwallet%2Ftop-up"
    );
    sign_in_fr(&mut visitor, member).await;
    let form = visitor.get("/wallet/top-up").await;
    assert!(form.ok().contains("action=\"/wallet/top-up\""));
    assert_eq!(
        form.input_value("currency").as_deref(),
        Some(demo.local),
        "one local currency: no question"
    );
    // the form's one-time key: sent once, it makes one request
    let key = form.input_value("key").expect("the form's key");
    let key = key.as_str();
    let fields = |amount: &'static str, method: &'static str| {
        [
            ("key", key),
            ("currency", demo.local),
            ("amount", amount),
            ("method", method),
        ]
    };
    let empty = visitor
        .post("/wallet/top-up", &fields("", "bank_transfer"))
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.text.contains("href=\"#amount\""));
    assert!(empty.shows("Saisissez un montant"));
    let words = visitor
        .post("/wallet/top-up", &fields("vingt", "bank_transfer"))
        .await;
    assert_eq!(words.status, 422);
    assert!(words.shows("Saisissez un montant en chiffres"));
    assert_eq!(words.input_value("amount").as_deref(), Some("vingt"));
    let no_method = visitor.post("/wallet/top-up", &fields("20", "")).await;
    assert_eq!(no_method.status, 422);
    assert!(no_method.text.contains("href=\"#method\""));
    assert!(
        visitor
            .post_raw("/wallet/top-up", &fields("20", "cash"))
            .await
            .status
            == 403
    );

    // a transfer: the request, the association's account and reference, the QR code
    let asked = visitor
        .post("/wallet/top-up", &fields("20,50", "bank_transfer"))
        .await
        .location();
    let id = asked
        .strip_prefix("/wallet/top-ups/")
        .expect("the request's page")
        .to_string();
    let mine = app
        .call("GET", "/api/v1/me/topup-requests", Some(&token), None)
        .await
        .json();
    let request = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("the request, through the API")
        .clone();
    assert_eq!(request["amount"], demo.local_amount("20.50"));
    assert_eq!(request["method"], "bank_transfer");
    let transfer = app
        .call(
            "GET",
            &format!("/api/v1/topup-requests/{id}/transfer"),
            Some(&token),
            None,
        )
        .await
        .json();
    let page = visitor.get(&asked).await;
    page.ok();
    assert!(page.shows("En attente du paiement"));
    assert!(page.shows(&fr("20.50", demo.local)));
    for field in ["iban", "reference", "creditor"] {
        let value = transfer[field].as_str().expect("a transfer's field");
        assert!(page.shows(value), "{field} {value}: {}", page.text);
    }
    assert!(transfer["qr"].is_string(), "{transfer}");
    let qr_path = format!("/wallet/top-ups/{id}/qr.svg");
    assert!(page.text.contains(&format!("src=\"{qr_path}\"")));
    let qr = visitor.get(&qr_path).await;
    assert_eq!(qr.status, 200);
    assert_eq!(
        qr.reply.header("content-type").as_deref(),
        Some("image/svg+xml")
    );
    assert!(qr.text.starts_with("<svg"));
    // the API's QR code is the same drawing
    let api_qr = app
        .call(
            "GET",
            &format!("/api/v1/topup-requests/{id}/qr.svg"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(qr.reply.body, api_qr.body);

    // someone else's request is nobody's business
    let mut other = Visitor::new(&app);
    sign_in_fr(&mut other, demo.consumers[0]).await;
    assert_eq!(other.get(&asked).await.status, 404);
    assert_eq!(other.get(&qr_path).await.status, 404);

    // cash: what to bring, no account
    // (a new form: a new key)
    let cash_form = visitor.get("/wallet/top-up").await;
    let cash_key = cash_form.input_value("key").expect("the form's key");
    let cash = visitor
        .post(
            "/wallet/top-up",
            &[
                ("key", cash_key.as_str()),
                ("currency", demo.local),
                ("amount", "10"),
                ("method", "cash"),
            ],
        )
        .await
        .location();
    let page = visitor.get(&cash).await;
    assert!(page.shows("Rendez-vous dans un bureau de change"));
    assert!(!page.text.contains("qr.svg"));
    assert!(!page.shows(transfer["iban"].as_str().expect("iban")));
}

async fn paying_a_payment_request_from_its_link(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_bare_demo_of(backend, demo.demo).await;
    let (farm_slug, farmer_email) = farm(demo);
    let farmer = app.access_token(farmer_email).await;
    let member = demo.consumers[0];
    let token = app.access_token(member).await;
    let wallet = crate::support::funded_wallet_in(&app, demo, &token, "30.00").await;
    let ask = |body: Value| {
        let (app, farmer) = (&app, farmer.clone());
        async move {
            created(
                authed(
                    app,
                    "POST",
                    &format!("/api/v1/enterprises/{farm_slug}/payment-requests"),
                    &farmer,
                    Some(&key()),
                    &body,
                )
                .await,
            )
        }
    };
    let asked = ask(json!({"currency": demo.local, "amount": demo.local_amount("12.50"), "label": "Panier du samedi"})).await;
    let id = asked["id"].as_str().expect("id").to_string();
    // the request's link (and its QR code) is the page
    let url = asked["url"].as_str().expect("url");
    assert!(url.ends_with(&format!("/pay/{id}")), "{url}");
    let path = format!("/pay/{id}");

    let mut visitor = Visitor::new(&app);
    assert_eq!(
        visitor.get(&path).await.location(),
        format!("/login?next=%2Fpay%2F{id}")
    );
    sign_in_fr(&mut visitor, member).await;
    let page = visitor.get(&path).await;
    assert!(page.ok().contains(&format!("action=\"{path}\"")));
    assert!(page.shows("Panier du samedi"));
    assert!(page.shows(asked["enterprise_name"].as_str().expect("name")));
    assert!(page.shows(&format!("Payer {}", fr("12.50", demo.local))));
    assert!(
        page.shows(&fr("30.00", demo.local)),
        "what the wallet holds"
    );
    let pay_key = page.input_value("key").expect("the page's key");
    assert_eq!(
        visitor
            .post_raw(&path, &[("key", pay_key.as_str())])
            .await
            .status,
        403
    );
    let paid = visitor.post(&path, &[("key", &pay_key)]).await.location();
    assert!(paid.starts_with(&format!("{path}/paid/")), "{paid}");
    let done = visitor.get(&paid).await;
    assert!(done.ok().contains("Paiement effectué"));
    assert!(done.shows(&format!("Vous avez payé {}", fr("12.50", demo.local))));
    // the same form sent again pays nothing more: the same payment
    visitor.get(&path).await.ok();
    let again = visitor.post(&path, &[("key", &pay_key)]).await;
    assert_eq!(again.location(), paid);
    let balance = app
        .call(
            "GET",
            &format!("/api/v1/accounts/{wallet}"),
            Some(&token),
            None,
        )
        .await
        .json()["balance"]
        .clone();
    assert_eq!(balance, demo.local_amount("17.50"));
    let state = app
        .call(
            "GET",
            &format!("/api/v1/payment-requests/{id}"),
            Some(&token),
            None,
        )
        .await
        .json()["state"]
        .clone();
    assert_eq!(state, "paid");
    // paid: the page says so and offers no button
    let page = visitor.get(&path).await;
    assert!(page.shows("Cette demande est déjà payée"));
    assert!(!page.text.contains(&format!("action=\"{path}\"")));
    // someone else's payment page is not found
    let mut other = Visitor::new(&app);
    sign_in_fr(&mut other, demo.consumers[1]).await;
    assert_eq!(other.get(&paid).await.status, 404);

    // an open amount, reusable: the payer says how much
    let open = ask(json!({"currency": demo.local, "label": "Marché", "reusable": true})).await;
    let open_path = format!("/pay/{}", open["id"].as_str().expect("id"));
    let page = visitor.get(&open_path).await;
    assert!(page.ok().contains("name=\"amount\""));
    let key = page.input_value("key").expect("key");
    let words = visitor
        .post(&open_path, &[("key", &key), ("amount", "cinq")])
        .await;
    assert_eq!(words.status, 422);
    assert!(words.text.contains("href=\"#amount\""));
    let too_much = visitor
        .post(&open_path, &[("key", &key), ("amount", "100")])
        .await;
    assert_eq!(too_much.status, 422);
    assert!(too_much.text.contains("href=\"#pay\""));
    assert!(too_much.shows("Votre porte-monnaie ne contient pas assez"));
    let paid = visitor
        .post(&open_path, &[("key", &key), ("amount", "5,25")])
        .await
        .location();
    assert!(visitor
        .get(&paid)
        .await
        .shows(&format!("Vous avez payé {}", fr("5.25", demo.local))));
    // a member without a wallet in the currency is told to open one
    let page = other.get(&open_path).await;
    assert!(
        page.shows(&format!(
            "Vous n’avez pas de porte-monnaie en {}",
            demo.local
        )),
        "{}",
        page.text
    );
    assert!(!page.text.contains("name=\"key\""));
    assert_eq!(visitor.get("/pay/no-such-request").await.status, 404);
}
