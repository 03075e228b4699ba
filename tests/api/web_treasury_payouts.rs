//! The euros owed for reconversions in the treasurer's office over real HTTP, on the French
//! demo: a producer reconverts Lem through the API, the treasurer sees what is owed, records
//! a partial payout (the ledger then owes the rest; the same form sent twice records once),
//! and an over-payment, a bad amount or a missing reference are refused beside their field.
//! A consumer and a hub's manager are refused; the form needs its CSRF token.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Visitor};
use crate::support::{funded_wallet, key, lem};

backend_tests!(
    a_treasurer_records_a_payout_of_a_reconversion_once,
    a_payout_beyond_what_is_owed_or_without_reference_is_refused,
    a_consumer_and_a_hub_manager_are_refused_the_payouts,
);

const OFFICE: &str = "/treasury/monnaie-lem";
const FARMER: &str = "ferme@troischenes.example.org";
const FARM: &str = "ferme-des-trois-chenes";

/// The farm's accounts, as the API shows them to its owner.
async fn farm_accounts(app: &TestApp) -> Vec<Value> {
    let token = app.access_token(FARMER).await;
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{FARM}/accounts"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json().as_array().expect("accounts").clone()
}

/// The farm's euro payable of Lem reconversions, as the API shows it (once it reconverted).
async fn payable(app: &TestApp) -> Value {
    farm_accounts(app)
        .await
        .into_iter()
        .find(|a| a["kind"] == "euro_payable")
        .expect("the farm's euro payable")
}

/// Camille pays the farm 20 Lem, then the farm reconverts 10 of them, all through the API;
/// returns the payable's id and what it is owed.
pub(crate) async fn reconverted(app: &TestApp) -> (String, Decimal) {
    let camille = app.access_token(FRENCH_DEMO.consumers[0]).await;
    let from = funded_wallet(app, &camille, "30.00").await;
    let farmer = app.access_token(FARMER).await;
    let farm_wallet = match farm_accounts(app)
        .await
        .into_iter()
        .find(|a| a["currency"] == "LEM" && a["kind"] == "enterprise_wallet")
    {
        Some(w) => w["id"].as_str().expect("id").to_string(),
        None => {
            let opened = app
                .call(
                    "POST",
                    &format!("/api/v1/enterprises/{FARM}/wallets"),
                    Some(&farmer),
                    Some(&json!({"currency": "LEM"})),
                )
                .await;
            assert_eq!(opened.status, 201, "{}", opened.json());
            opened.json()["id"].as_str().expect("id").to_string()
        }
    };
    let paid = app
        .call(
            "POST",
            "/api/v1/payments",
            Some(&camille),
            Some(
                &json!({"entry_id": key(), "from_account_id": from, "to_account_id": farm_wallet,
                "amount": lem("20.00"), "reference": "panier"}),
            ),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.json());
    let reconverted = app
        .call(
            "POST",
            "/api/v1/reconversions",
            Some(&farmer),
            Some(
                &json!({"entry_id": key(), "wallet_id": farm_wallet, "amount": lem("10.00"),
                "reference": "R-1"}),
            ),
        )
        .await;
    assert_eq!(reconverted.status, 201, "{}", reconverted.json());
    let payable = payable(app).await;
    let owed: Decimal = payable["balance"]["amount"]
        .as_str()
        .expect("balance")
        .parse()
        .expect("a decimal");
    assert!(owed > Decimal::ZERO, "{payable}");
    (payable["id"].as_str().expect("id").to_string(), owed)
}

/// What the payable `id` is owed now, as the API shows it.
async fn owed(app: &TestApp, id: &str) -> Decimal {
    let token = app.access_token(FARMER).await;
    let reply = app
        .call("GET", &format!("/api/v1/accounts/{id}"), Some(&token), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json()["balance"]["amount"]
        .as_str()
        .expect("balance")
        .parse()
        .expect("a decimal")
}

async fn a_treasurer_records_a_payout_of_a_reconversion_once(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    let before = treasurer.get(&format!("{OFFICE}/payouts")).await;
    assert!(
        before.shows("Aucun professionnel n’attend"),
        "{}",
        before.text
    );
    assert!(unescape(before.ok()).contains(&format!("href=\"{OFFICE}/payouts\"")));

    let (id, due) = reconverted(&app).await;
    let page = treasurer.get(&format!("{OFFICE}/payouts")).await;
    let text = unescape(page.ok());
    assert!(text.contains("Ferme des Trois Chênes"), "{text}");
    // what is owed fills the amount, exactly
    let field = format!("amount-{id}");
    assert_eq!(
        page.input_value(&field),
        Some(format!("{due:.2}")),
        "{text}"
    );
    let entry = page.input_value("entry").expect("the form's entry id");
    assert!(text.contains("Aucun versement enregistré"), "{text}");

    // a part of it is paid
    let part = Decimal::new(400, 2);
    let reference = format!("reference-{id}");
    let fields = [
        ("entry", entry.as_str()),
        (field.as_str(), "4,00"),
        (reference.as_str(), "VIR-REC-0001"),
    ];
    let done = treasurer
        .post(&format!("{OFFICE}/payouts/{id}"), &fields)
        .await;
    assert_eq!(done.location(), format!("{OFFICE}/payouts?notice=paid"));
    assert_eq!(owed(&app, &id).await, due - part);
    // the same form sent again records nothing more
    let again = treasurer
        .post(&format!("{OFFICE}/payouts/{id}"), &fields)
        .await;
    assert_eq!(again.location(), format!("{OFFICE}/payouts?notice=paid"));
    assert_eq!(owed(&app, &id).await, due - part);

    // the page owes the rest, and lists the payout once
    let page = treasurer
        .get(&format!("{OFFICE}/payouts?notice=paid"))
        .await;
    let text = unescape(page.ok());
    assert!(text.contains("Le versement est enregistré"), "{text}");
    assert_eq!(
        page.input_value(&field),
        Some(format!("{:.2}", due - part)),
        "{text}"
    );
    assert_eq!(text.matches("VIR-REC-0001").count(), 1, "{text}");
    assert_ne!(page.input_value("entry"), Some(entry), "a fresh entry id");

    // the rest, paid: nobody is owed anything any more
    let entry = page.input_value("entry").expect("entry");
    let rest = format!("{:.2}", due - part);
    let done = treasurer
        .post(
            &format!("{OFFICE}/payouts/{id}"),
            &[
                ("entry", entry.as_str()),
                (field.as_str(), rest.as_str()),
                (reference.as_str(), "VIR-REC-0002"),
            ],
        )
        .await;
    assert_eq!(done.location(), format!("{OFFICE}/payouts?notice=paid"));
    assert_eq!(owed(&app, &id).await, Decimal::ZERO);
    let page = treasurer.get(&format!("{OFFICE}/payouts")).await;
    let text = unescape(page.ok());
    assert!(text.contains("Aucun professionnel n’attend"), "{text}");
    assert!(
        text.contains("VIR-REC-0001") && text.contains("VIR-REC-0002"),
        "{text}"
    );
}

async fn a_payout_beyond_what_is_owed_or_without_reference_is_refused(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let (id, due) = reconverted(&app).await;
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    let page = treasurer.get(&format!("{OFFICE}/payouts")).await;
    let entry = page.input_value("entry").expect("entry");
    let (field, reference) = (format!("amount-{id}"), format!("reference-{id}"));
    let path = format!("{OFFICE}/payouts/{id}");
    let too_much = format!("{:.2}", due + Decimal::new(1, 2));
    let cases = [
        (
            too_much.as_str(),
            "VIR-1",
            &field,
            "Saisissez un montant qui ne dépasse pas ce qui est dû",
        ),
        (
            "douze",
            "VIR-1",
            &field,
            "Saisissez le montant versé en chiffres",
        ),
        ("0", "VIR-1", &field, "supérieur à zéro"),
        (
            "1.00",
            "",
            &reference,
            "Saisissez la référence du versement",
        ),
    ];
    for (amount, typed_reference, wrong, words) in cases {
        let refused = treasurer
            .post(
                &path,
                &[
                    ("entry", entry.as_str()),
                    (field.as_str(), amount),
                    (reference.as_str(), typed_reference),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{amount}: {}", refused.text);
        let text = unescape(&refused.text);
        // beside the field, and in the summary that links to it
        assert!(text.contains(&format!("id=\"{wrong}-error\"")), "{text}");
        assert!(text.contains(&format!("href=\"#{wrong}\"")), "{text}");
        assert!(text.contains(words), "{amount}: {text}");
        // the values typed are kept
        assert_eq!(refused.input_value(&field).as_deref(), Some(amount));
        assert_eq!(owed(&app, &id).await, due, "nothing was paid");
    }
    let long = "r".repeat(201);
    let refused = treasurer
        .post(
            &path,
            &[
                ("entry", entry.as_str()),
                (field.as_str(), "1.00"),
                (reference.as_str(), long.as_str()),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.shows("200 caractères au plus"), "{}", refused.text);
    // after all that, the same form still pays (once)
    let done = treasurer
        .post(
            &path,
            &[
                ("entry", entry.as_str()),
                (field.as_str(), "1.00"),
                (reference.as_str(), "VIR-1"),
            ],
        )
        .await;
    assert_eq!(done.location(), format!("{OFFICE}/payouts?notice=paid"));
    assert_eq!(owed(&app, &id).await, due - Decimal::ONE);
}

async fn a_consumer_and_a_hub_manager_are_refused_the_payouts(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let (id, due) = reconverted(&app).await;
    let entry = key();
    let (field, reference) = (format!("amount-{id}"), format!("reference-{id}"));
    let fields = [
        ("entry", entry.as_str()),
        (field.as_str(), "1.00"),
        (reference.as_str(), "VIR-X"),
    ];
    for email in [FRENCH_DEMO.consumers[0], FRENCH_DEMO.hub_manager] {
        let mut visitor = Visitor::new(&app);
        visitor.sign_in(email).await;
        assert_eq!(
            visitor.get(&format!("{OFFICE}/payouts")).await.status,
            403,
            "{email}"
        );
        // nor may they record one, even with their own valid token
        visitor.get("/wallet").await.ok();
        let posted = visitor
            .post(&format!("{OFFICE}/payouts/{id}"), &fields)
            .await;
        assert_eq!(posted.status, 403, "{email}");
    }
    // the treasurer's form needs its token
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    treasurer.get(&format!("{OFFICE}/payouts")).await.ok();
    let forged = treasurer
        .post_raw(&format!("{OFFICE}/payouts/{id}"), &fields)
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text);
    assert_eq!(owed(&app, &id).await, due, "nothing was paid");
    // signed out: to the log-in page
    let mut stranger = Visitor::new(&app);
    let page = stranger.get(&format!("{OFFICE}/payouts")).await;
    assert!(page.location().starts_with("/login"), "{}", page.location());
}
