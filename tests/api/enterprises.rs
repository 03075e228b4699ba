//! Creating and editing enterprises over HTTP: legal identifiers checked by their check
//! digits, wallets opened with the enterprise, visibility, and who may do what.

use serde_json::json;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};

backend_tests!(
    a_person_creates_a_producer_with_checked_identifiers_and_wallets,
    identifiers_with_bad_check_digits_are_refused,
    owners_and_managers_edit_others_cannot,
    every_route_naming_an_enterprise_takes_its_slug,
);

async fn a_person_creates_a_producer_with_checked_identifiers_and_wallets(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let yanis = app.access_token("yanis@example.org").await;
    let created = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&yanis),
            Some(&json!({
                "name": "Les Jardins d'Émile",
                "kind": "producer",
                "siret": "732 829 320 00074",
                "vat_number": "FR44732829320",
                "email": "Emile@Jardins.example.org",
                "address": {"line": "2 chemin des Prés", "postcode": "31000", "city": "Toulouse"},
                "accepted_currencies": ["LEM"]
            })),
        )
        .await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let e = created.json();
    assert_eq!(e["slug"], "les-jardins-d-emile");
    assert_eq!(e["siret"], "73282932000074");
    assert_eq!(e["siren"], "732829320", "filled in from the SIRET");
    assert_eq!(e["email"], "emile@jardins.example.org");
    // LEM is asked for, not accepted until the association approves (tests/api/professionals.rs)
    assert_eq!(e["accepted_currencies"], json!(["EUR"]));
    let id = e["id"].as_str().expect("id").to_string();
    // the creator owns it, with its wallet in the legal currency
    let mine = app
        .call("GET", "/api/v1/me/enterprises", Some(&yanis), None)
        .await
        .json();
    let entry = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["enterprise"]["id"] == id.as_str())
        .expect("listed");
    assert_eq!(entry["roles"], json!(["owner"]));
    let token = app.access_token("yanis@example.org").await; // roles are read per request
    let accounts = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{id}/accounts"),
            Some(&token),
            None,
        )
        .await
        .json();
    let mut wallets: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "enterprise_wallet")
        .map(|a| a["currency"].as_str().unwrap())
        .collect();
    wallets.sort();
    assert_eq!(wallets, ["EUR"]);
    // public: listed in the directory; the same name again gets a distinct slug, while a
    // slug asked for explicitly must be free
    assert_eq!(
        app.get("/api/v1/enterprises/les-jardins-d-emile")
            .await
            .status,
        200
    );
    let again = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&yanis),
            Some(&json!({"name": "Les Jardins d'Émile", "kind": "hub"})),
        )
        .await;
    assert_eq!(again.status, 201);
    let slug = again.json()["slug"].as_str().unwrap().to_string();
    assert!(
        slug.starts_with("les-jardins-d-emile-") && slug.len() > 20,
        "{slug}"
    );
    let taken = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&yanis),
            Some(&json!({"name": "Autre", "kind": "hub", "slug": "les-jardins-d-emile"})),
        )
        .await
        .problem(422, "validation");
    assert_eq!(taken["errors"][0]["code"], "taken");
    // hidden ones are not
    let hidden = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&yanis),
            Some(&json!({"name": "Cagette privée", "kind": "hub", "visibility": "hidden"})),
        )
        .await;
    assert_eq!(hidden.status, 201);
    app.get("/api/v1/enterprises/cagette-privee")
        .await
        .problem(404, "not-found");
    // only platform admins create currency associations
    app.call(
        "POST",
        "/api/v1/enterprises",
        Some(&yanis),
        Some(&json!({"name": "Ma monnaie", "kind": "currency_association"})),
    )
    .await
    .problem(403, "forbidden");
    let admin = app.access_token("admin@comptoir.example.org").await;
    let assoc = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&admin),
            Some(&json!({"name": "Monnaie du Pays", "kind": "currency_association"})),
        )
        .await;
    assert_eq!(
        assoc.status,
        201,
        "{}",
        String::from_utf8_lossy(&assoc.body)
    );
    // nobody may create an enterprise without logging in
    app.call(
        "POST",
        "/api/v1/enterprises",
        None,
        Some(&json!({"name": "X", "kind": "hub"})),
    )
    .await
    .problem(401, "unauthorized");
}

async fn identifiers_with_bad_check_digits_are_refused(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let yanis = app.access_token("yanis@example.org").await;
    let cases = [
        (
            json!({"siren": "732829321"}),
            "siren",
            "invalid_check_digit",
        ),
        (json!({"siren": "7328293"}), "siren", "invalid_format"),
        (
            json!({"siret": "73282932000075"}),
            "siret",
            "invalid_check_digit",
        ),
        (
            json!({"vat_number": "FR45732829320"}),
            "vat_number",
            "invalid_check_digit",
        ),
        (
            json!({"siren": "552032534", "siret": "73282932000074"}),
            "siret",
            "siren_mismatch",
        ),
        (
            json!({"siren": "552032534", "vat_number": "FR44732829320"}),
            "vat_number",
            "siren_mismatch",
        ),
        (
            json!({"accepted_currencies": ["XYZ"]}),
            "accepted_currencies[0]",
            "unknown_currency",
        ),
        (
            json!({"visibility": "secret"}),
            "visibility",
            "invalid_choice",
        ),
        (json!({"slug": "Bad Slug"}), "slug", "invalid_slug"),
        (
            json!({"slug": "0190f3a2-7c4e-7b1a-9d2e-3f4a5b6c7d8e"}),
            "slug",
            "invalid_slug",
        ),
        (
            json!({"siret": "12345678900007"}),
            "siret",
            "invalid_check_digit",
        ),
    ];
    for (extra, field, code) in cases {
        let mut body = json!({"name": "Ferme test", "kind": "producer"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let problem = app
            .call("POST", "/api/v1/enterprises", Some(&yanis), Some(&body))
            .await
            .problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], field, "{body} → {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{body} → {problem}");
    }
    // La Poste's establishments follow their own rule
    let poste = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&yanis),
            Some(&json!({"name": "Bureau de poste", "kind": "hub", "siret": "35600000000047"})),
        )
        .await;
    assert_eq!(
        poste.status,
        201,
        "{}",
        String::from_utf8_lossy(&poste.body)
    );
    // nothing else was created
    let mine = app
        .call(
            "GET",
            "/api/v1/me/enterprises",
            Some(&app.access_token("yanis@example.org").await),
            None,
        )
        .await
        .json();
    let names: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["enterprise"]["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Ferme test"), "{names:?}");
}

async fn owners_and_managers_edit_others_cannot(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let hub = app.get("/api/v1/enterprises/la-cagette").await.json();
    let hub_id = hub["id"].as_str().unwrap().to_string();
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let edited = app
        .call(
            "PATCH",
            &format!("/api/v1/enterprises/{hub_id}"),
            Some(&manager),
            Some(&json!({"description": "Épicerie coopérative", "phone": "+33 5 61 00 00 00", "siren": ""})),
        )
        .await;
    assert_eq!(
        edited.status,
        200,
        "{}",
        String::from_utf8_lossy(&edited.body)
    );
    let edited = edited.json();
    assert_eq!(edited["description"], "Épicerie coopérative");
    assert_eq!(
        edited["siren"],
        serde_json::Value::Null,
        "an empty string clears it"
    );
    assert_eq!(edited["name"], hub["name"], "fields not sent are kept");
    // a member of the hub, and another enterprise's owner, may not
    for who in ["yanis@example.org", "fournil@colline.example.org"] {
        let token = app.access_token(who).await;
        app.call(
            "PATCH",
            &format!("/api/v1/enterprises/{hub_id}"),
            Some(&token),
            Some(&json!({"name": "Pris"})),
        )
        .await
        .problem(403, "forbidden");
    }
    // a hub may become a producer-hub, never a currency association
    let problem = app
        .call(
            "PATCH",
            &format!("/api/v1/enterprises/{hub_id}"),
            Some(&manager),
            Some(&json!({"kind": "currency_association"})),
        )
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["code"], "invalid_change");
    let both = app
        .call(
            "PATCH",
            &format!("/api/v1/enterprises/{hub_id}"),
            Some(&manager),
            Some(&json!({"kind": "producer_hub"})),
        )
        .await;
    assert_eq!(both.json()["kind"], "producer_hub");
}

/// Every route that names an enterprise takes its id or its slug, and answers 404 for one
/// that does not exist or that the caller may not see (a hidden one of others), 403 only
/// for one the caller sees but may not manage.
async fn every_route_naming_an_enterprise_takes_its_slug(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let farmer = app.access_token("ferme@troischenes.example.org").await;
    let farm = "ferme-des-trois-chenes";
    for (method, path, body) in [
        ("GET", format!("/api/v1/enterprises/{farm}/accounts"), None),
        (
            "GET",
            format!("/api/v1/enterprises/{farm}/permissions"),
            None,
        ),
        (
            "GET",
            format!("/api/v1/enterprises/{farm}/catalog/export"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/enterprises/{farm}/wallets"),
            Some(json!({"currency": "LEM"})),
        ),
        (
            "PATCH",
            format!("/api/v1/enterprises/{farm}"),
            Some(json!({"description": "Maraîchage bio"})),
        ),
        (
            "PUT",
            format!("/api/v1/enterprises/{farm}/permissions/la-cagette"),
            Some(json!({"can_add_to_order_cycles": true})),
        ),
    ] {
        let reply = app.call(method, &path, Some(&farmer), body.as_ref()).await;
        assert!(
            reply.status.is_success(),
            "{method} {path}: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    // no such enterprise: 404, not 403
    app.call(
        "GET",
        "/api/v1/enterprises/nowhere/accounts",
        Some(&farmer),
        None,
    )
    .await
    .problem(404, "not-found");
    app.call(
        "PATCH",
        "/api/v1/enterprises/nowhere",
        Some(&farmer),
        Some(&json!({"description": "x"})),
    )
    .await
    .problem(404, "not-found");
    // one it sees but may not manage: 403
    app.call(
        "GET",
        "/api/v1/enterprises/la-cagette/accounts",
        Some(&farmer),
        None,
    )
    .await
    .problem(403, "forbidden");
    // a hidden one of someone else: 404 for the farmer, seen by its owner
    let yanis = app.access_token("yanis@example.org").await;
    let hidden = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&yanis),
            Some(&json!({"name": "Épicerie discrète", "kind": "hub", "visibility": "hidden"})),
        )
        .await;
    assert_eq!(
        hidden.status,
        201,
        "{}",
        String::from_utf8_lossy(&hidden.body)
    );
    app.call(
        "GET",
        "/api/v1/enterprises/epicerie-discrete/accounts",
        Some(&farmer),
        None,
    )
    .await
    .problem(404, "not-found");
    let own = app
        .call(
            "GET",
            "/api/v1/enterprises/epicerie-discrete/accounts",
            Some(&yanis),
            None,
        )
        .await;
    assert_eq!(own.status, 200, "{}", String::from_utf8_lossy(&own.body));
}
