//! Approved professionals over HTTP, on the demo: a new producer asking for LEM is not paid
//! in LEM (no wallet, none may be opened) until the association approves it; refusing,
//! asking again, suspending (the wallet frozen, the balance kept) and reinstating; the mails
//! both ways; who may decide.

use serde_json::{json, Value};

use crate::harness::{Backend, Reply, TestApp, TestDb};
use crate::support::{funded_wallet, key, lem, mails_to};

crate::backend_tests!(
    a_new_producer_is_paid_in_lem_only_once_approved,
    refusals_suspensions_and_who_may_decide,
);

const TREASURER: &str = "tresorerie@lem.example.org";
const ADMIN: &str = "admin@comptoir.example.org";
const PRODUCER: &str = "yanis@example.org";
const MEMBER: &str = "camille@example.org";

trait Succeeded {
    /// The reply's JSON, once its status is `status`.
    fn ok_status(self, status: u16) -> Value;
}

impl Succeeded for Reply {
    fn ok_status(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
}

/// Yanis creates a producer asking for LEM; its id.
async fn new_producer(app: &TestApp, token: &str) -> String {
    let created = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(token),
            Some(&json!({
                "name": "Les Jardins d'Émile",
                "kind": "producer",
                "address": {"line": "2 chemin des Prés", "postcode": "69530", "city": "Brignais"},
                "accepted_currencies": ["LEM"]
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    assert_eq!(
        created.json()["accepted_currencies"],
        json!(["EUR"]),
        "asked, not accepted"
    );
    created.json()["id"].as_str().expect("id").to_string()
}

async fn decide(app: &TestApp, token: &str, id: &str, what: &str, reason: Option<&str>) -> Reply {
    let body = reason.map(|r| json!({"reason": r}));
    app.call(
        "POST",
        &format!("/api/v1/currencies/LEM/professionals/{id}/{what}"),
        Some(token),
        body.as_ref(),
    )
    .await
}

async fn lem_wallet(app: &TestApp, token: &str, id: &str) -> Option<Value> {
    let accounts = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{id}/accounts"),
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
        .find(|a| a["kind"] == "enterprise_wallet" && a["currency"] == "LEM")
        .cloned()
}

async fn pay(app: &TestApp, token: &str, from: &str, to: &str, amount: &str) -> Reply {
    app.call(
        "POST",
        "/api/v1/payments",
        Some(token),
        Some(
            &json!({"entry_id": key(), "from_account_id": from, "to_account_id": to,
            "amount": lem(amount), "reference": "marché"}),
        ),
    )
    .await
}

async fn a_new_producer_is_paid_in_lem_only_once_approved(backend: Backend) {
    let app = TestApp::serve(TestDb::with_demo(backend)).await;
    let yanis = app.access_token(PRODUCER).await;
    let id = new_producer(&app, &yanis).await;
    let yanis = app.access_token(PRODUCER).await; // roles are read per token

    // the hole, closed: no LEM wallet, and none may be opened by its owner
    assert_eq!(lem_wallet(&app, &yanis, &id).await, None);
    app.call(
        "POST",
        &format!("/api/v1/enterprises/{id}/wallets"),
        Some(&yanis),
        Some(&json!({"currency": "LEM"})),
    )
    .await
    .problem(409, "flow-not-allowed");
    // the producer cannot decide for itself
    decide(&app, &yanis, &id, "approve", None)
        .await
        .problem(403, "forbidden");
    // it sees where it stands
    let mine = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{id}/currency-approvals"),
            Some(&yanis),
            None,
        )
        .await;
    assert_eq!(mine.status, 200, "{}", mine.json());
    assert_eq!(mine.json()[0]["state"], "requested");
    let asked_at = &mine.json()[0]["requested_at"];
    assert!(
        asked_at.as_str().is_some_and(|t| t.ends_with('Z')),
        "{asked_at}"
    );

    // the association is told, and sees it in its queue
    let told = mails_to(&app, TREASURER, "professional_requested");
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["enterprise_name"], "Les Jardins d'Émile");
    let treasurer = app.access_token(TREASURER).await;
    let queue = app
        .call(
            "GET",
            "/api/v1/currencies/LEM/professionals?state=requested",
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(queue.status, 200, "{}", queue.json());
    let ids: Vec<Value> = queue
        .json()
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["enterprise_id"].clone())
        .collect();
    assert_eq!(
        ids,
        [json!(id)],
        "only the new one waits: the demo's are approved"
    );
    let approved_before = app
        .call(
            "GET",
            "/api/v1/currencies/LEM/professionals?state=approved",
            Some(&treasurer),
            None,
        )
        .await
        .json();
    assert!(
        approved_before.as_array().expect("list").len() >= 2,
        "{approved_before}"
    );

    // approved (twice: the second changes nothing): the wallet opens, LEM is accepted
    let approved = decide(&app, &treasurer, &id, "approve", None).await;
    assert_eq!(approved.status, 200, "{}", approved.json());
    assert_eq!(approved.json()["state"], "approved");
    decide(&app, &treasurer, &id, "approve", None)
        .await
        .ok_status(200);
    let decided = mails_to(&app, PRODUCER, "professional_decided");
    assert_eq!(decided.len(), 1, "mailed once: {decided:?}");
    assert_eq!(decided[0]["decision"], "approved");
    let view = app
        .call("GET", &format!("/api/v1/enterprises/{id}"), None, None)
        .await
        .json();
    assert_eq!(view["accepted_currencies"], json!(["EUR", "LEM"]));
    let wallet = lem_wallet(&app, &yanis, &id).await.expect("the LEM wallet");
    let wallet_id = wallet["id"].as_str().expect("id").to_string();

    // now Camille pays it in LEM
    let camille = app.access_token(MEMBER).await;
    let from = funded_wallet(&app, &camille, "30.00").await;
    let paid = pay(&app, &camille, &from, &wallet_id, "12.00").await;
    assert_eq!(paid.status, 201, "{}", paid.json());

    // suspended: frozen, payments refused, its balance kept; LEM no longer shown
    decide(
        &app,
        &treasurer,
        &id,
        "suspend",
        Some("Reconversions à vérifier"),
    )
    .await
    .ok_status(200);
    let frozen = lem_wallet(&app, &yanis, &id).await.expect("kept");
    assert_eq!(frozen["status"], "frozen");
    assert_eq!(frozen["balance"], lem("12.00"));
    pay(&app, &camille, &from, &wallet_id, "1.00")
        .await
        .problem(409, "account-not-active");
    let view = app
        .call("GET", &format!("/api/v1/enterprises/{id}"), None, None)
        .await
        .json();
    assert_eq!(view["accepted_currencies"], json!(["EUR"]));
    let decided = mails_to(&app, PRODUCER, "professional_decided");
    assert_eq!(
        decided.last().expect("mail")["reason"],
        "Reconversions à vérifier"
    );
    // a suspension is not undone by the producer withdrawing and asking again
    app.call(
        "PATCH",
        &format!("/api/v1/enterprises/{id}"),
        Some(&yanis),
        Some(&json!({"accepted_currencies": []})),
    )
    .await
    .ok_status(200);
    app.call(
        "PATCH",
        &format!("/api/v1/enterprises/{id}"),
        Some(&yanis),
        Some(&json!({"accepted_currencies": ["LEM"]})),
    )
    .await
    .ok_status(200);
    let mine = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{id}/currency-approvals"),
            Some(&yanis),
            None,
        )
        .await
        .json();
    assert_eq!(mine[0]["state"], "suspended", "{mine}");

    // reinstated: active again, paid again
    decide(&app, &treasurer, &id, "approve", None)
        .await
        .ok_status(200);
    assert_eq!(
        lem_wallet(&app, &yanis, &id).await.expect("wallet")["status"],
        "active"
    );
    let paid = pay(&app, &camille, &from, &wallet_id, "1.00").await;
    assert_eq!(paid.status, 201, "{}", paid.json());

    // the audit trail names each decision
    let admin = app.access_token(ADMIN).await;
    let audit = app
        .call(
            "GET",
            "/api/v1/audit?action=professional.approve",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{}", audit.json());
    let text = audit.json().to_string();
    assert!(text.contains(&id), "{text}");
}

async fn refusals_suspensions_and_who_may_decide(backend: Backend) {
    let app = TestApp::serve(TestDb::with_demo(backend)).await;
    let yanis = app.access_token(PRODUCER).await;
    let id = new_producer(&app, &yanis).await;
    let treasurer = app.access_token(TREASURER).await;
    let camille = app.access_token(MEMBER).await;

    // a reason is required to refuse; someone else may not decide
    let missing = decide(&app, &treasurer, &id, "refuse", Some("  "))
        .await
        .problem(422, "validation");
    assert_eq!(missing["errors"][0]["field"], "reason");
    decide(&app, &camille, &id, "refuse", Some("non"))
        .await
        .problem(403, "forbidden");
    // a request cannot be suspended, nor an approval refused
    decide(&app, &treasurer, &id, "suspend", Some("x"))
        .await
        .problem(409, "conflict");
    let approved = decide(&app, &treasurer, "la-cagette", "refuse", Some("x"))
        .await
        .problem(409, "conflict");
    assert!(
        approved["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("suspend"),
        "{approved}"
    );
    // refused, with its reason mailed; the wallet never opened
    let refused = decide(
        &app,
        &treasurer,
        &id,
        "refuse",
        Some("Hors de notre territoire"),
    )
    .await;
    assert_eq!(refused.status, 200, "{}", refused.json());
    assert_eq!(refused.json()["reason"], "Hors de notre territoire");
    let mailed = mails_to(&app, PRODUCER, "professional_decided");
    assert_eq!(mailed[0]["decision"], "refused");
    let yanis = app.access_token(PRODUCER).await;
    assert_eq!(lem_wallet(&app, &yanis, &id).await, None);
    // listing LEM again asks again, and the association is told again
    app.call(
        "PATCH",
        &format!("/api/v1/enterprises/{id}"),
        Some(&yanis),
        Some(&json!({"description": "Maraîchage bio", "accepted_currencies": ["LEM"]})),
    )
    .await
    .ok_status(200);
    let mine = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{id}/currency-approvals"),
            Some(&yanis),
            None,
        )
        .await
        .json();
    assert_eq!(
        (&mine[0]["state"], &mine[0]["reason"]),
        (&json!("requested"), &json!(""))
    );
    assert_eq!(mails_to(&app, TREASURER, "professional_requested").len(), 2);
    // not a local currency
    app.call(
        "GET",
        "/api/v1/currencies/EUR/professionals",
        Some(&treasurer),
        None,
    )
    .await
    .problem(422, "validation");
    // the queue is the association's: a member is refused
    app.call(
        "GET",
        "/api/v1/currencies/LEM/professionals",
        Some(&camille),
        None,
    )
    .await
    .problem(403, "forbidden");
}
