//! The treasurer's office over real HTTP, on the French demo: who may read it (the
//! association's treasurer; a consumer is refused every page), the top-up queue (refusing
//! needs a reason, approving issues the money the API then shows), the professionals to
//! approve, and the statement with its chart and the day's movements. Every form needs its
//! CSRF token.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::Visitor;
use crate::support::{authed, key};

backend_tests!(
    a_consumer_is_refused_every_treasury_page,
    a_treasurer_decides_top_ups_and_professionals_and_reads_the_statement,
);

const OFFICE: &str = "/treasury/monnaie-lem";

/// Every page of the office.
fn pages() -> Vec<String> {
    [
        "",
        "/top-ups",
        "/professionals",
        "/statement",
        "/statement?days=90",
    ]
    .iter()
    .map(|p| format!("{OFFICE}{p}"))
    .collect()
}

async fn a_consumer_is_refused_every_treasury_page(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let mut signed_out = Visitor::new(&app);
    assert_eq!(
        signed_out.get(OFFICE).await.location(),
        "/login?next=%2Ftreasury%2Fmonnaie-lem"
    );
    let mut consumer = Visitor::new(&app);
    consumer.sign_in(FRENCH_DEMO.consumers[0]).await;
    for page in pages() {
        assert_eq!(consumer.get(&page).await.status, 403, "{page}");
    }
    // nor may it decide anything, even with its own valid token
    consumer.get("/wallet").await.ok();
    let posted = consumer
        .post(&format!("{OFFICE}/professionals/la-cagette/approve"), &[])
        .await;
    assert_eq!(posted.status, 403);
    // the treasurer reads every page; a hub or an unknown slug is no office at all
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    assert_eq!(treasurer.get("/treasury/la-cagette").await.status, 404);
    assert_eq!(treasurer.get("/treasury/nowhere").await.status, 404);
    for page in pages() {
        treasurer.get(&page).await.ok();
    }
}

/// The member's LEM balance, through the API.
async fn lem_balance(app: &TestApp, token: &str) -> Option<Value> {
    app.call("GET", "/api/v1/me/accounts", Some(token), None)
        .await
        .json()
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["kind"] == "member_wallet" && a["currency"] == "LEM")
        .map(|a| a["balance"].clone())
}

async fn a_treasurer_decides_top_ups_and_professionals_and_reads_the_statement(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let member = app.access_token(FRENCH_DEMO.consumers[0]).await;
    let asked = |amount: &'static str| {
        let (app, member) = (&app, member.clone());
        async move {
            let reply = authed(
                app,
                "POST",
                "/api/v1/currencies/LEM/topup-requests",
                &member,
                Some(&key()),
                &json!({"amount": {"amount": amount, "currency": "LEM"}, "method": "cash"}),
            )
            .await;
            assert_eq!(reply.status, 201, "{}", reply.json());
            reply.json()["id"].as_str().expect("id").to_string()
        }
    };
    let first = asked("20.00").await;
    let second = asked("5.00").await;
    // a business asks to accept the Lem
    let owner = app.access_token(FRENCH_DEMO.consumers[1]).await;
    let producer = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&owner),
            Some(&json!({
                "name": "Les Jardins d'Émile",
                "kind": "producer",
                "address": {"line": "2 chemin des Prés", "postcode": "69530", "city": "Brignais"},
                "accepted_currencies": ["LEM"]
            })),
        )
        .await;
    assert_eq!(producer.status, 201, "{}", producer.json());
    let producer = producer.json()["id"].as_str().expect("id").to_string();

    let mut visitor = Visitor::new(&app);
    visitor.sign_in(FRENCH_DEMO.treasurer).await;
    let home = visitor.get(OFFICE).await;
    assert!(home.ok().contains("href=\"/treasury/monnaie-lem/top-ups\""));
    assert!(home.shows("Décider les 2 rechargements en attente"));
    assert!(home.shows("Décider la demande en attente"));
    assert!(home.shows("Fonds de garantie"));

    // the queue, oldest first, each with its two forms
    let queue = visitor.get(&format!("{OFFICE}/top-ups")).await;
    let text = queue.ok();
    let (a, b) = (
        text.find(&format!("/top-ups/{first}/approve"))
            .expect("first"),
        text.find(&format!("/top-ups/{second}/approve"))
            .expect("second"),
    );
    assert!(a < b, "oldest first");
    assert!(queue.shows("Approuver et émettre 20,00\u{a0}LEM"));

    // a form without its token is refused before anything happens
    let forged = visitor
        .post_raw(&format!("{OFFICE}/top-ups/{first}/approve"), &[])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        lem_balance(&app, &member)
            .await
            .and_then(|b| b["amount"].as_str().map(str::to_string))
            .as_deref()
            .unwrap_or("0.00"),
        "0.00"
    );

    // refusing needs a reason: the error beside its field, the page again
    let reason_field = format!("reason-{second}");
    let refused = visitor
        .post(
            &format!("{OFFICE}/top-ups/{second}/refuse"),
            &[(reason_field.as_str(), "  ")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.shows("Dites pourquoi, en 1 à 500 caractères"));
    assert!(refused.text.contains(&format!("href=\"#{reason_field}\"")));
    assert!(refused
        .text
        .contains(&format!("id=\"{reason_field}-error\"")));
    let refused = visitor
        .post(
            &format!("{OFFICE}/top-ups/{second}/refuse"),
            &[(reason_field.as_str(), "Rien reçu à la caisse")],
        )
        .await;
    assert_eq!(
        refused.location(),
        format!("{OFFICE}/top-ups?notice=topup-refused")
    );

    // approving issues the money, which the API shows
    let received = format!("received_reference-{first}");
    let approved = visitor
        .post(
            &format!("{OFFICE}/top-ups/{first}/approve"),
            &[(received.as_str(), "reçu 42")],
        )
        .await;
    assert_eq!(
        approved.location(),
        format!("{OFFICE}/top-ups?notice=topup-approved")
    );
    let balance = lem_balance(&app, &member).await.expect("a LEM wallet");
    assert_eq!(balance["amount"], "20.00", "{balance}");
    let queue = visitor.get(&approved.location()).await;
    assert!(queue.shows("Le rechargement est approuvé"));
    assert!(queue.shows("Aucune demande de rechargement n'attend."));
    let api = app
        .call(
            "GET",
            &format!("/api/v1/topup-requests/{first}"),
            Some(&member),
            None,
        )
        .await
        .json();
    assert_eq!(api["state"], "approved");
    assert_eq!(api["received_reference"], "reçu 42");

    // a direct issuance: a stranger's address is refused beside its field, then 5 Lem issued
    // once, even when the form is posted twice
    let queue = visitor.get(&format!("{OFFICE}/top-ups")).await;
    let key = queue.input_value("key").expect("the issuance's key");
    let stranger = visitor
        .post(
            &format!("{OFFICE}/issuances"),
            &[
                ("key", key.as_str()),
                ("email", "nobody@example.org"),
                ("amount", "5"),
                ("method", "cash"),
                ("reference", "marché"),
            ],
        )
        .await;
    assert_eq!(stranger.status, 422, "{}", stranger.text);
    assert!(stranger.text.contains("id=\"email-error\""));
    assert_eq!(stranger.input_value("key").as_deref(), Some(key.as_str()));
    for _ in 0..2 {
        let issued = visitor
            .post(
                &format!("{OFFICE}/issuances"),
                &[
                    ("key", key.as_str()),
                    ("email", FRENCH_DEMO.consumers[0]),
                    ("amount", "5,00"),
                    ("method", "cash"),
                    ("reference", "marché du samedi"),
                ],
            )
            .await;
        assert_eq!(issued.location(), format!("{OFFICE}/top-ups?notice=issued"));
    }
    let balance = lem_balance(&app, &member).await.expect("a LEM wallet");
    assert_eq!(balance["amount"], "25.00", "issued once: {balance}");

    // the professional
    let page = visitor.get(&format!("{OFFICE}/professionals")).await;
    assert!(page.shows("Les Jardins d'Émile"));
    let refuse_field = format!("reason-refuse-{producer}");
    let empty = visitor
        .post(
            &format!("{OFFICE}/professionals/{producer}/refuse"),
            &[(refuse_field.as_str(), "")],
        )
        .await;
    assert_eq!(empty.status, 422, "{}", empty.text);
    assert!(empty.text.contains(&format!("id=\"{refuse_field}-error\"")));
    let approved = visitor
        .post(&format!("{OFFICE}/professionals/{producer}/approve"), &[])
        .await;
    assert_eq!(
        approved.location(),
        format!("{OFFICE}/professionals?notice=professional-approved")
    );
    let approvals = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{producer}/currency-approvals"),
            Some(&owner),
            None,
        )
        .await
        .json();
    assert_eq!(approvals[0]["state"], "approved", "{approvals}");
    let page = visitor.get(&approved.location()).await;
    assert!(page.shows("L'entreprise est agréée"));
    assert!(page.shows("Suspendre Les Jardins d'Émile"));

    // the statement: the API's figures, the chart, today's issuance
    let treasurer = app.access_token(FRENCH_DEMO.treasurer).await;
    let api = app
        .call(
            "GET",
            "/api/v1/currencies/LEM/statement",
            Some(&treasurer),
            None,
        )
        .await
        .json();
    assert_eq!(api["circulation"]["amount"], "25.00", "{api}");
    let statement = visitor.get(&format!("{OFFICE}/statement")).await;
    let text = statement.ok();
    assert!(text.contains("<svg viewBox="));
    assert!(
        text.contains("stroke-dasharray"),
        "the fund's line is dashed"
    );
    assert!(statement.shows("25,00\u{a0}LEM"));
    assert!(statement.shows("Fonds de garantie (tirets)"));
    assert!(statement.shows("Mouvements du jour"));
    assert!(
        text.contains("<code>issuance</code>") || text.contains("<code>"),
        "{text}"
    );
    assert_eq!(
        text.matches("<th scope=\"row\">").count(),
        30,
        "a row a day in the chart's table"
    );
    let year = visitor.get(&format!("{OFFICE}/statement?days=365")).await;
    assert_eq!(year.ok().matches("<th scope=\"row\">").count(), 365);

    // the exports: the FEC of today, byte for byte the API's; a FEC needs the SIREN
    let exports = visitor.get(&format!("{OFFICE}/exports")).await;
    assert!(exports.ok().contains("name=\"format\" value=\"fec\""));
    let today = comptoir::time::now().date();
    let no_siren = visitor
        .get(&format!(
            "{OFFICE}/exports/download?from={today}&to={today}&siren=&format=fec"
        ))
        .await;
    assert_eq!(no_siren.status, 422, "{}", no_siren.text);
    assert!(no_siren.shows("Saisissez le SIREN : neuf chiffres"));
    let backwards = visitor
        .get(&format!(
            "{OFFICE}/exports/download?from={today}&to=2000-01-01&format=balance"
        ))
        .await;
    assert_eq!(backwards.status, 422, "{}", backwards.text);
    let fec = visitor
        .get(&format!(
            "{OFFICE}/exports/download?from={today}&to={today}&siren=732829320&format=fec"
        ))
        .await;
    assert_eq!(fec.status, 200, "{}", fec.text);
    assert_eq!(
        fec.reply.header("content-disposition").as_deref(),
        Some(
            format!(
                "attachment; filename=\"732829320FEC{}.txt\"",
                today.format("%Y%m%d")
            )
            .as_str()
        )
    );
    assert_eq!(
        fec.text,
        crate::accounting::fec_of_today(&app, &treasurer).await
    );
    let odoo = visitor
        .get(&format!(
            "{OFFICE}/exports/download?from={today}&to={today}&format=odoo"
        ))
        .await;
    assert_eq!(odoo.status, 200, "{}", odoo.text);
    assert!(odoo.text.lines().count() > 1, "{}", odoo.text);
    let balance = visitor
        .get(&format!(
            "{OFFICE}/exports/download?from={today}&to={today}&format=balance"
        ))
        .await;
    assert_eq!(balance.status, 200, "{}", balance.text);
    assert!(balance
        .reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/csv")));
}
