//! The producer's trade pages over real HTTP, on the French demo: supplying a hub (the hub
//! then sees it waiting, the API's permissions agree) and stopping; a payment request asked
//! from the office, paid by a member through the API; then part of the Lem received
//! reconverted to euros — once, however often the form is sent — with the commission the
//! association takes; a bad amount answered beside its field.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Visitor};
use crate::support::{authed, funded_wallet, key};

backend_tests!(
    a_producer_supplies_a_hub_and_stops,
    a_producer_asks_a_payment_and_reconverts_what_it_received,
);

const FARM: &str = "/producer/ferme-des-trois-chenes";
const FARMER: &str = "ferme@troischenes.example.org";

async fn a_producer_supplies_a_hub_and_stops(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let mut baker = Visitor::new(&app);
    baker.sign_in("fournil@colline.example.org").await;
    // another producer's hubs are not the baker's to manage
    assert_eq!(baker.get(&format!("{FARM}/hubs")).await.status, 403);

    let mut farmer = Visitor::new(&app);
    farmer.sign_in(FARMER).await;
    let page = farmer.get(&format!("{FARM}/hubs")).await;
    assert!(page.shows("La Cagette"), "{}", page.text);
    assert!(page.shows("Accepté par le comptoir"));
    let hub = app
        .call("GET", "/api/v1/enterprises/la-cagette", None, None)
        .await
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let none = farmer.post(&format!("{FARM}/hubs"), &[("hub", "")]).await;
    assert_eq!(none.status, 422);
    assert!(none.shows("Choisissez un comptoir"));
    // the hub may no longer see who ordered
    let changed = farmer
        .post(&format!("{FARM}/hubs"), &[("hub", &hub), ("offer", "yes")])
        .await;
    assert_eq!(changed.location(), format!("{FARM}/hubs?notice=granted"));
    let token = app.access_token(FARMER).await;
    let permissions = app
        .call(
            "GET",
            "/api/v1/enterprises/ferme-des-trois-chenes/permissions",
            Some(&token),
            None,
        )
        .await
        .json();
    let cagette = permissions
        .as_array()
        .expect("permissions")
        .iter()
        .find(|p| p["hub_id"] == hub.as_str())
        .cloned()
        .expect("still supplied");
    assert_eq!(
        (
            &cagette["can_add_to_order_cycles"],
            &cagette["can_see_orders"]
        ),
        (&json!(true), &json!(false)),
        "{cagette}"
    );
    let ended = farmer.post(&format!("{FARM}/hubs/{hub}/end"), &[]).await;
    assert_eq!(ended.location(), format!("{FARM}/hubs?notice=ended"));
    let page = farmer.get(&format!("{FARM}/hubs?notice=ended")).await;
    assert!(page.shows("Vous ne fournissez plus ce comptoir"));
    assert!(
        page.shows("Vous ne fournissez encore aucun comptoir")
            || !page.shows("Accepté par le comptoir")
    );
}

async fn lem_wallet(app: &TestApp, token: &str) -> Value {
    let accounts = app
        .call(
            "GET",
            "/api/v1/enterprises/ferme-des-trois-chenes/accounts",
            Some(token),
            None,
        )
        .await;
    assert_eq!(accounts.status, 200, "{}", accounts.json());
    accounts
        .json()
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["currency"] == "LEM" && a["kind"] == "enterprise_wallet")
        .cloned()
        .expect("a LEM wallet")
}

async fn a_producer_asks_a_payment_and_reconverts_what_it_received(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let mut farmer = Visitor::new(&app);
    farmer.sign_in(FARMER).await;
    let form = farmer.get(&format!("{FARM}/payment-requests/new")).await;
    assert!(form.ok().contains("name=\"label\""));
    let bad = farmer
        .post(
            &format!("{FARM}/payment-requests/new"),
            &[("label", ""), ("currency", "LEM"), ("amount", "douze")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(
        bad.shows("Dites l’objet") || bad.shows("Saisissez un montant"),
        "{}",
        bad.text
    );
    let made = farmer
        .post(
            &format!("{FARM}/payment-requests/new"),
            &[
                ("label", "Stand du samedi"),
                ("currency", "LEM"),
                ("amount", "12,50"),
            ],
        )
        .await;
    assert_eq!(made.location(), format!("{FARM}/payment-requests"));
    let list = unescape(farmer.get(&format!("{FARM}/payment-requests")).await.ok());
    assert!(list.contains("Stand du samedi"), "{list}");
    let at = list.find("/pay/").expect("the request's link") + 5;
    let id: String = list[at..]
        .chars()
        .take_while(|c| *c != '"' && *c != '<')
        .collect();

    // a member pays it through the API
    let camille = app.access_token(FRENCH_DEMO.consumers[0]).await;
    funded_wallet(&app, &camille, "30.00").await;
    let paid = authed(
        &app,
        "POST",
        &format!("/api/v1/payment-requests/{id}/pay"),
        &camille,
        Some(&key()),
        &json!({}),
    )
    .await;
    assert_eq!(paid.status, 201, "{}", paid.json());
    let token = app.access_token(FARMER).await;
    let wallet = lem_wallet(&app, &token).await;
    assert_eq!(wallet["balance"]["amount"], "12.50", "{wallet}");
    let wallet_id = wallet["id"].as_str().expect("id").to_string();

    // reconverting: a bad amount first, beside its field
    let page = farmer.get(&format!("{FARM}/reconversion")).await;
    let entry = page.input_value("entry").expect("the form's entry");
    let bad = farmer
        .post(
            &format!("{FARM}/reconversion"),
            &[("entry", &entry), ("wallet", &wallet_id), ("amount", "-3")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.shows("Saisissez un montant supérieur à zéro"));
    let too_much = farmer
        .post(
            &format!("{FARM}/reconversion"),
            &[("entry", &entry), ("wallet", &wallet_id), ("amount", "500")],
        )
        .await;
    assert_eq!(too_much.status, 422, "{}", too_much.text);
    let fields = [
        ("entry", entry.as_str()),
        ("wallet", wallet_id.as_str()),
        ("amount", "10,00"),
        ("reference", "vente du samedi"),
    ];
    let done = farmer.post(&format!("{FARM}/reconversion"), &fields).await;
    assert_eq!(
        done.location(),
        format!("/producer/ferme-des-trois-chenes/wallets?notice=reconverted")
    );
    // the same form again: nothing more
    let again = farmer.post(&format!("{FARM}/reconversion"), &fields).await;
    assert_eq!(again.status, 303, "{}", again.text);
    let wallet = lem_wallet(&app, &token).await;
    assert_eq!(wallet["balance"]["amount"], "2.50", "{wallet}");
    let notice = farmer
        .get(&format!("{FARM}/wallets?notice=reconverted"))
        .await;
    assert!(notice.shows("C’est reconverti"));
    // someone else's wallet is not a choice
    let other = funded_wallet(&app, &camille, "1.00").await;
    let page = farmer.get(&format!("{FARM}/reconversion")).await;
    let entry = page.input_value("entry").expect("entry");
    let theirs = farmer
        .post(
            &format!("{FARM}/reconversion"),
            &[("entry", &entry), ("wallet", &other), ("amount", "1")],
        )
        .await;
    assert_eq!(theirs.status, 422, "{}", theirs.text);
    assert!(theirs.shows("Choisissez un porte-monnaie"));
}
