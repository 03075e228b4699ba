//! The hub's suppliers, team and books pages over real HTTP, on the French demo: ending and
//! accepting a supplier changes what the API's permissions say; naming someone needs their
//! account (a field message otherwise) and shows in the API's roles; the last owner stays;
//! the hub's books download as the API's; who may do what is the API's policy.

use serde_json::json;

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::Visitor;

backend_tests!(
    a_manager_ends_and_accepts_a_supplier,
    an_owner_names_and_removes_a_cashier,
    the_hub_books_download_as_the_api_gives_them,
);

const OFFICE: &str = "/hub/la-cagette";
const OWNER: &str = "presidence@lacagette.example.org";
const CASHIER: &str = "caisse@lacagette.example.org";

/// The hub's permission from `producer`, as the API lists the hub's permissions.
async fn permission(app: &TestApp, token: &str, producer: &str) -> Option<serde_json::Value> {
    let reply = app
        .call(
            "GET",
            "/api/v1/enterprises/la-cagette/permissions",
            Some(token),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply
        .json()
        .as_array()
        .expect("permissions")
        .iter()
        .find(|p| p["producer_slug"] == producer || p["producer_name"] == producer)
        .cloned()
}

/// The hub's people, as the API lists them.
async fn team_of(app: &TestApp, token: &str) -> serde_json::Value {
    let reply = app
        .call(
            "GET",
            "/api/v1/enterprises/la-cagette/roles",
            Some(token),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    reply.json()
}

async fn a_manager_ends_and_accepts_a_supplier(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let token = app.access_token(FRENCH_DEMO.hub_manager).await;
    let mut cashier = Visitor::new(&app);
    cashier.sign_in(CASHIER).await;
    assert_eq!(
        cashier.get(&format!("{OFFICE}/suppliers")).await.status,
        403
    );

    let mut manager = Visitor::new(&app);
    manager.sign_in(FRENCH_DEMO.hub_manager).await;
    let page = manager.get(&format!("{OFFICE}/suppliers")).await;
    assert!(page.shows("Rucher du Val"), "{}", page.text);
    assert!(page.shows("Accepté"));
    let rucher = app
        .call("GET", "/api/v1/enterprises/rucher-du-val", None, None)
        .await
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(permission(&app, &token, "Rucher du Val").await.is_some());

    // without its token, nothing happens
    let forged = manager
        .post_raw(&format!("{OFFICE}/suppliers/{rucher}/end"), &[])
        .await;
    assert_eq!(forged.status, 403);
    let ended = manager
        .post(&format!("{OFFICE}/suppliers/{rucher}/end"), &[])
        .await;
    assert_eq!(ended.location(), format!("{OFFICE}/suppliers?notice=ended"));
    assert!(permission(&app, &token, "Rucher du Val").await.is_none());

    // the producer grants again: the hub sees it waiting, and accepts it
    let beekeeper = app.access_token("miel@rucherduval.example.org").await;
    let granted = app
        .call(
            "PUT",
            "/api/v1/enterprises/rucher-du-val/permissions/la-cagette",
            Some(&beekeeper),
            Some(&json!({"can_add_to_order_cycles": true, "can_see_orders": false})),
        )
        .await;
    assert_eq!(granted.status, 200, "{}", granted.json());
    let page = manager.get(&format!("{OFFICE}/suppliers")).await;
    assert!(page.shows("En attente de votre réponse"), "{}", page.text);
    assert!(page.shows("Ne pas voir qui a commandé"));
    let accepted = manager
        .post(&format!("{OFFICE}/suppliers/{rucher}/accept"), &[])
        .await;
    assert_eq!(
        accepted.location(),
        format!("{OFFICE}/suppliers?notice=accepted")
    );
    let now = permission(&app, &token, "Rucher du Val")
        .await
        .expect("accepted");
    assert!(!now["hub_accepted_at"].is_null(), "{now}");
    let page = manager
        .get(&format!("{OFFICE}/suppliers?notice=accepted"))
        .await;
    assert!(page.shows("Le producteur est accepté"));
    // an unknown decision names nothing
    let odd = manager
        .post(&format!("{OFFICE}/suppliers/{rucher}/adopt"), &[])
        .await;
    assert_eq!(odd.status, 404);
}

async fn an_owner_names_and_removes_a_cashier(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let token = app.access_token(OWNER).await;
    // a manager reads the team but names nobody
    let mut manager = Visitor::new(&app);
    manager.sign_in(FRENCH_DEMO.hub_manager).await;
    let page = manager.get(&format!("{OFFICE}/team")).await;
    assert!(page.shows("Karim Caissier"), "{}", page.text);
    assert!(!page.ok().contains("name=\"email\""));
    let refused = manager
        .post(
            &format!("{OFFICE}/team"),
            &[("email", FRENCH_DEMO.consumers[1]), ("role", "cashier")],
        )
        .await;
    assert_eq!(refused.status, 403);
    // the cashier reads no team (as the API's roles)
    let mut cashier = Visitor::new(&app);
    cashier.sign_in(CASHIER).await;
    assert_eq!(cashier.get(&format!("{OFFICE}/team")).await.status, 403);

    let mut owner = Visitor::new(&app);
    owner.sign_in(OWNER).await;
    owner.get(&format!("{OFFICE}/team")).await.ok();
    // nobody has this address: the message beside the field, the values kept
    let unknown = owner
        .post(
            &format!("{OFFICE}/team"),
            &[("email", "personne@example.org"), ("role", "cashier")],
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert!(unknown.shows("Aucun compte actif n’a cette adresse"));
    assert_eq!(
        unknown.input_value("email").as_deref(),
        Some("personne@example.org")
    );
    let bad = owner
        .post(
            &format!("{OFFICE}/team"),
            &[("email", "pas une adresse"), ("role", "chef")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.shows("Saisissez une adresse e-mail") && bad.shows("Choisissez un rôle"));

    let named = owner
        .post(
            &format!("{OFFICE}/team"),
            &[("email", FRENCH_DEMO.consumers[1]), ("role", "cashier")],
        )
        .await;
    assert_eq!(named.location(), format!("{OFFICE}/team?notice=granted"));
    let listed = team_of(&app, &token).await;
    let yanis = listed
        .as_array()
        .expect("roles")
        .iter()
        .find(|m| m["email"] == FRENCH_DEMO.consumers[1] && m["role"] == "cashier")
        .cloned()
        .expect("named cashier");
    let user = yanis["user_id"].as_str().expect("user id");
    let removed = owner
        .post(&format!("{OFFICE}/team/{user}/cashier/remove"), &[])
        .await;
    assert_eq!(removed.location(), format!("{OFFICE}/team?notice=removed"));
    let listed = team_of(&app, &token).await;
    assert!(!listed
        .as_array()
        .expect("roles")
        .iter()
        .any(|m| m["user_id"] == user && m["role"] == "cashier"));
    // the last owner stays: a refusal page, and still an owner
    let me = listed
        .as_array()
        .expect("roles")
        .iter()
        .find(|m| m["email"] == OWNER)
        .cloned()
        .expect("owner");
    let last = owner
        .post(
            &format!(
                "{OFFICE}/team/{}/owner/remove",
                me["user_id"].as_str().expect("id")
            ),
            &[],
        )
        .await;
    assert_eq!(last.status, 409, "{}", last.text);
    assert!(
        last.shows("dernier") || last.shows("last owner"),
        "{}",
        last.text
    );
}

async fn the_hub_books_download_as_the_api_gives_them(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    // the manager keeps no books (the API's KeepEnterpriseBooks: owners and treasurers)
    let mut manager = Visitor::new(&app);
    manager.sign_in(FRENCH_DEMO.hub_manager).await;
    assert_eq!(manager.get(&format!("{OFFICE}/books")).await.status, 403);

    let token = app.access_token(OWNER).await;
    let mut owner = Visitor::new(&app);
    owner.sign_in(OWNER).await;
    let form = owner.get(&format!("{OFFICE}/books")).await;
    assert!(form.ok().contains("name=\"format\" value=\"fec\""));
    let today = chrono::Utc::now().date_naive();
    let backwards = owner
        .get(&format!(
            "{OFFICE}/books/download?from={today}&to=2000-01-01&format=balance"
        ))
        .await;
    assert_eq!(backwards.status, 422);
    assert!(backwards.shows("pas avant le premier"));
    for (format, api) in [("odoo", "odoo.csv"), ("balance", "balance.csv")] {
        let page = owner
            .get(&format!(
                "{OFFICE}/books/download?from=2020-01-01&to={today}&format={format}"
            ))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let from_api = app
            .call(
                "GET",
                &format!(
                    "/api/v1/enterprises/la-cagette/accounting/{api}?from=2020-01-01&to={today}"
                ),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(from_api.status, 200);
        assert_eq!(page.text.as_bytes(), from_api.body.as_slice(), "{format}");
    }
    // the producer's own books, from its office, the same way
    let mut baker = Visitor::new(&app);
    baker.sign_in("fournil@colline.example.org").await;
    let form = baker.get("/producer/fournil-de-la-colline/books").await;
    assert!(form.ok().contains("name=\"format\" value=\"odoo\""));
    let csv = baker
        .get(&format!(
            "/producer/fournil-de-la-colline/books/download?from=2020-01-01&to={today}&format=odoo"
        ))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(baker.get("/producer/rucher-du-val/books").await.status, 403);
}
