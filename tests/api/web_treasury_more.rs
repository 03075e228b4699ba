//! More of the treasurer's office over real HTTP, on the French demo: the wallets in the
//! Lem (searched, frozen and unfrozen, an enterprise's credit limit set — the API then
//! shows what the page did; a bad limit is refused beside its field) and the ledger's audit
//! with its report. A consumer and a hub's manager are refused; every form needs its CSRF
//! token.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::Visitor;

backend_tests!(
    a_consumer_and_a_hub_manager_are_refused_the_wallets_and_the_audit,
    a_treasurer_searches_freezes_and_limits_wallets,
    a_treasurer_runs_the_ledger_audit,
    a_treasurer_closes_a_period_after_confirming,
    wallets_are_found_by_their_owner_in_one_currency,
);

const OFFICE: &str = "/treasury/monnaie-lem";

/// Opens the caller's wallet in `currency` through the API.
async fn wallet(app: &TestApp, token: &str, currency: &str) -> String {
    let reply = app
        .call(
            "POST",
            "/api/v1/me/wallets",
            Some(token),
            Some(&json!({ "currency": currency })),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.json());
    reply.json()["id"].as_str().expect("id").to_string()
}

/// A business of `owner`'s, approved to take the Lem, and its Lem wallet, through the API.
async fn business_wallet(app: &TestApp, owner: &str) -> String {
    let created = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(owner),
            Some(&json!({
                "name": "Les Jardins d'Émile",
                "kind": "producer",
                "address": {"line": "2 chemin des Prés", "postcode": "69530", "city": "Brignais"},
                "accepted_currencies": ["LEM"]
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    let id = created.json()["id"].as_str().expect("id").to_string();
    let treasurer = app.access_token(FRENCH_DEMO.treasurer).await;
    let approved = app
        .call(
            "POST",
            &format!("/api/v1/currencies/LEM/professionals/{id}/approve"),
            Some(&treasurer),
            None,
        )
        .await;
    assert!(approved.status.is_success(), "{}", approved.json());
    let opened = app
        .call(
            "POST",
            &format!("/api/v1/enterprises/{id}/wallets"),
            Some(owner),
            Some(&json!({ "currency": "LEM" })),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.json());
    opened.json()["id"].as_str().expect("id").to_string()
}

/// The account as the API shows it to `token`.
async fn account(app: &TestApp, token: &str, id: &str) -> Value {
    let reply = app
        .call("GET", &format!("/api/v1/accounts/{id}"), Some(token), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json()
}

async fn a_consumer_and_a_hub_manager_are_refused_the_wallets_and_the_audit(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let member = app.access_token(FRENCH_DEMO.consumers[0]).await;
    let id = wallet(&app, &member, "LEM").await;
    for email in [FRENCH_DEMO.consumers[0], FRENCH_DEMO.hub_manager] {
        let mut visitor = Visitor::new(&app);
        visitor.sign_in(email).await;
        for page in ["/wallets", "/wallets?q=camille", "/verify", "/periods"] {
            assert_eq!(
                visitor.get(&format!("{OFFICE}{page}")).await.status,
                403,
                "{email} {page}"
            );
        }
        // nor may they change anything, even with their own valid token
        visitor.get("/wallet").await.ok();
        let frozen = visitor
            .post(
                &format!("{OFFICE}/wallets/{id}/status"),
                &[("status", "frozen")],
            )
            .await;
        assert_eq!(frozen.status, 403, "{email}");
        let verified = visitor.post(&format!("{OFFICE}/verify"), &[]).await;
        assert_eq!(verified.status, 403, "{email}");
        let closed = visitor
            .post(
                &format!("{OFFICE}/periods"),
                &[
                    ("from", "2020-01-01"),
                    ("to", "2020-01-31"),
                    ("confirmed", "yes"),
                ],
            )
            .await;
        assert_eq!(closed.status, 403, "{email}");
    }
    assert_eq!(account(&app, &member, &id).await["status"], "active");
    let treasurer = app.access_token(FRENCH_DEMO.treasurer).await;
    assert_eq!(periods(&app, &treasurer).await, json!([]));
}

/// The closed periods, as the API lists them.
async fn periods(app: &TestApp, token: &str) -> Value {
    let reply = app
        .call("GET", "/api/v1/accounting/periods", Some(token), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json()
}

async fn a_treasurer_searches_freezes_and_limits_wallets(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let member = app.access_token(FRENCH_DEMO.consumers[0]).await;
    let manager = app.access_token(FRENCH_DEMO.consumers[1]).await;
    let mine = wallet(&app, &member, "LEM").await;
    let euros = wallet(&app, &member, "EUR").await;
    let hub = business_wallet(&app, &manager).await;

    let mut visitor = Visitor::new(&app);
    visitor.sign_in(FRENCH_DEMO.treasurer).await;
    let all = visitor.get(&format!("{OFFICE}/wallets")).await;
    let text = all.ok();
    assert!(text.contains(&format!("id=\"wallet-{mine}\"")), "{text}");
    assert!(text.contains(&format!("id=\"wallet-{hub}\"")));
    assert!(
        !text.contains(&format!("id=\"wallet-{euros}\"")),
        "a LEM list"
    );
    assert!(text.contains("/wallets\" aria-current=\"page\">Portefeuilles</a>"));
    // searched by address (whatever its case), or by the business's name
    let camille = visitor.get(&format!("{OFFICE}/wallets?q=CAMILLE")).await;
    assert!(camille.ok().contains(&format!("id=\"wallet-{mine}\"")));
    assert!(!camille.text.contains(&format!("id=\"wallet-{hub}\"")));
    let jardins = visitor.get(&format!("{OFFICE}/wallets?q=jardins")).await;
    assert!(jardins.ok().contains(&format!("id=\"wallet-{hub}\"")));
    assert!(!jardins.text.contains(&format!("id=\"wallet-{mine}\"")));
    let nobody = visitor.get(&format!("{OFFICE}/wallets?q=zzz%25")).await;
    assert!(nobody.shows("Aucun portefeuille ne correspond."));

    // a form without its token changes nothing
    let forged = visitor
        .post_raw(
            &format!("{OFFICE}/wallets/{mine}/status"),
            &[("status", "frozen")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(account(&app, &member, &mine).await["status"], "active");

    // frozen, as the API then says, and active again; the search kept
    visitor
        .get(&format!("{OFFICE}/wallets?q=camille"))
        .await
        .ok();
    let frozen = visitor
        .post(
            &format!("{OFFICE}/wallets/{mine}/status"),
            &[("status", "frozen"), ("q", "camille"), ("page", "1")],
        )
        .await;
    assert_eq!(
        frozen.location(),
        format!("{OFFICE}/wallets?notice=frozen&q=camille")
    );
    assert_eq!(account(&app, &member, &mine).await["status"], "frozen");
    let page = visitor.get(&frozen.location()).await;
    assert!(page.shows("Le portefeuille est gelé."));
    assert!(page.shows("Gelé"));
    assert!(page.shows("Dégeler le portefeuille de"));
    let active = visitor
        .post(
            &format!("{OFFICE}/wallets/{mine}/status"),
            &[("status", "active")],
        )
        .await;
    assert_eq!(active.location(), format!("{OFFICE}/wallets?notice=active"));
    assert_eq!(account(&app, &member, &mine).await["status"], "active");
    // a wallet in another currency is no wallet of this office
    let other = visitor
        .post(
            &format!("{OFFICE}/wallets/{euros}/status"),
            &[("status", "frozen")],
        )
        .await;
    assert_eq!(other.status, 404);
    assert_eq!(account(&app, &member, &euros).await["status"], "active");

    // the business's credit limit: bad amounts are refused beside the field, the value kept
    let field = format!("limit-{hub}");
    for (typed, words) in [
        ("", "Saisissez une limite"),
        ("beaucoup", "Saisissez la limite en chiffres"),
        ("-5", "Saisissez une limite positive ou nulle"),
        ("1,234", "avec moins de décimales"),
    ] {
        let refused = visitor
            .post(
                &format!("{OFFICE}/wallets/{hub}/limit"),
                &[(field.as_str(), typed)],
            )
            .await;
        assert_eq!(refused.status, 422, "{typed}: {}", refused.text);
        assert!(refused.shows(words), "{typed}: {}", refused.text);
        assert!(refused.text.contains(&format!("href=\"#{field}\"")));
        assert!(refused.text.contains(&format!("id=\"{field}-error\"")));
        assert_eq!(refused.input_value(&field).as_deref(), Some(typed));
    }
    let set = visitor
        .post(
            &format!("{OFFICE}/wallets/{hub}/limit"),
            &[(field.as_str(), "150,50")],
        )
        .await;
    assert_eq!(set.location(), format!("{OFFICE}/wallets?notice=limit"));
    let api = account(&app, &manager, &hub).await;
    assert_eq!(api["overdraft_limit"]["amount"], "150.50", "{api}");
    let page = visitor.get(&set.location()).await;
    assert!(page.shows("La limite de crédit est fixée."));
    assert_eq!(page.input_value(&field).as_deref(), Some("150.50"));
    // a person's wallet has no credit: refused, and the API agrees
    let person = format!("limit-{mine}");
    let refused = visitor
        .post(
            &format!("{OFFICE}/wallets/{mine}/limit"),
            &[(person.as_str(), "10")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.shows("Seul le portefeuille d'une entreprise a du crédit"));
    let treasurer = app.access_token(FRENCH_DEMO.treasurer).await;
    let api = app
        .call(
            "PUT",
            &format!("/api/v1/accounts/{mine}/overdraft-limit"),
            Some(&treasurer),
            Some(&json!({"limit": {"amount": "10", "currency": "LEM"}})),
        )
        .await;
    assert_eq!(api.status, 422, "{}", api.json());
}

async fn a_treasurer_runs_the_ledger_audit(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(FRENCH_DEMO.treasurer).await;
    let page = visitor.get(&format!("{OFFICE}/verify")).await;
    assert!(page.shows("Lancer l'audit"), "{}", page.text);
    assert!(!page.shows("Rapport"));
    let forged = visitor.post_raw(&format!("{OFFICE}/verify"), &[]).await;
    assert_eq!(forged.status, 403);
    let report = visitor.post(&format!("{OFFICE}/verify"), &[]).await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(report.shows("Tout est en ordre : le grand livre est intact."));
    assert!(report.shows("Écritures vérifiées"));
    assert!(report.shows("Relancer l'audit"));
    assert!(report.text.contains("<th scope=\"row\">LEM</th>"));
}

async fn a_treasurer_closes_a_period_after_confirming(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let treasurer = app.access_token(FRENCH_DEMO.treasurer).await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(FRENCH_DEMO.treasurer).await;
    let page = visitor.get(&format!("{OFFICE}/periods")).await;
    assert!(
        page.shows("Aucune période n'est encore clôturée."),
        "{}",
        page.text
    );
    let today = comptoir::time::now().date();
    let from = (today - chrono::Duration::days(30)).to_string();
    let to = (today - chrono::Duration::days(1)).to_string();

    // bad days are refused beside their field, the values kept
    let bad = visitor
        .post(
            &format!("{OFFICE}/periods"),
            &[("from", "hier"), ("to", to.as_str())],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.shows("Saisissez le premier jour sous la forme AAAA-MM-JJ"));
    assert!(bad.text.contains("id=\"from-error\""));
    assert_eq!(bad.input_value("to").as_deref(), Some(to.as_str()));
    // without the token, nothing
    let forged = visitor
        .post_raw(
            &format!("{OFFICE}/periods"),
            &[
                ("from", from.as_str()),
                ("to", to.as_str()),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(periods(&app, &treasurer).await, json!([]));

    // first what closing means, and nothing closed yet
    let confirm = visitor
        .post(
            &format!("{OFFICE}/periods"),
            &[("from", from.as_str()), ("to", to.as_str())],
        )
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.text);
    assert!(confirm.shows(&format!("Clôturer les comptes du {from} au {to} ?")));
    assert!(confirm.shows(&format!("est datée du {today}, le lendemain de la période")));
    assert!(confirm.shows("Une période clôturée ne peut pas être rouverte."));
    assert_eq!(confirm.input_value("confirmed").as_deref(), Some("yes"));
    assert_eq!(periods(&app, &treasurer).await, json!([]));

    // a day not yet ended is refused at the confirmation, beside its field
    let today_text = today.to_string();
    let not_past = visitor
        .post(
            &format!("{OFFICE}/periods"),
            &[
                ("from", from.as_str()),
                ("to", today_text.as_str()),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(not_past.status, 422, "{}", not_past.text);
    assert!(not_past.shows("Saisissez un dernier jour avant aujourd'hui"));
    assert!(not_past.text.contains("id=\"to-error\""));

    // confirmed: closed, as the API lists it
    let closed = visitor
        .post(
            &format!("{OFFICE}/periods"),
            &[
                ("from", from.as_str()),
                ("to", to.as_str()),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(closed.location(), format!("{OFFICE}/periods?notice=closed"));
    let listed = periods(&app, &treasurer).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["starts_on"], from.as_str(), "{listed}");
    assert_eq!(listed[0]["ends_on"], to.as_str(), "{listed}");
    let page = visitor.get(&closed.location()).await;
    assert!(page.shows("La période est clôturée."));
    assert!(page
        .text
        .contains(&format!("<th scope=\"row\">{from}</th>")));
    // the next form starts the day after
    assert_eq!(
        page.input_value("from").as_deref(),
        Some(today_text.as_str())
    );

    // an overlapping period: refused (409), nothing more closed
    let overlap = visitor
        .post(
            &format!("{OFFICE}/periods"),
            &[
                ("from", to.as_str()),
                ("to", to.as_str()),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(overlap.status, 409, "{}", overlap.text);
    assert!(overlap.shows("La période n'a pas pu être clôturée"));
    assert_eq!(
        periods(&app, &treasurer).await.as_array().map(Vec::len),
        Some(1)
    );
}

/// The domain's search the wallets' page reads ([`comptoir::ledger::accounts::wallets`]).
async fn wallets_are_found_by_their_owner_in_one_currency(backend: Backend) {
    use comptoir::ledger::accounts;
    let w = crate::ledger::world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let ids = |found: Vec<accounts::WalletFound>| -> Vec<String> {
        found.into_iter().map(|f| f.account.id).collect()
    };
    let all = accounts::wallets(conn, "LEM", "", 0, 1000).expect("all");
    assert!(all.iter().all(|f| f.account.currency == "LEM"));
    assert!(all.iter().all(|f| matches!(
        f.account.kind.as_str(),
        "member_wallet" | "enterprise_wallet"
    )));
    let all = ids(all);
    for id in w.members.iter().chain(w.pros.iter()) {
        assert!(all.contains(id), "{id}");
    }
    assert!(
        ids(accounts::wallets(conn, "EUR", "", 0, 1000).expect("eur"))
            .iter()
            .all(|id| !all.contains(id))
    );
    // by a person's address, whatever its case, with the owner's name and address
    let camille = accounts::wallets(conn, "LEM", " CAMILLE ", 0, 50).expect("camille");
    assert_eq!(camille.len(), 1);
    assert_eq!(camille[0].account.id, w.members[0]);
    assert_eq!(
        camille[0].owner_email.as_deref(),
        Some(FRENCH_DEMO.consumers[0])
    );
    // by a business's name, or its slug
    let farm = ids(accounts::wallets(conn, "LEM", "TROIS", 0, 50).expect("farm"));
    assert_eq!(farm, vec![w.pros[0].clone()]);
    let slug = ids(accounts::wallets(conn, "LEM", "fournil-de-la", 0, 50).expect("slug"));
    assert_eq!(slug, vec![w.pros[1].clone()]);
    // a wildcard is a character like any other
    assert!(accounts::wallets(conn, "LEM", "%", 0, 50)
        .expect("%")
        .is_empty());
    assert!(accounts::wallets(conn, "LEM", "_", 0, 50)
        .expect("_")
        .is_empty());
    // paged
    let page = ids(accounts::wallets(conn, "LEM", "", 1, 2).expect("page"));
    assert_eq!(page, all[1..3].to_vec());
}
