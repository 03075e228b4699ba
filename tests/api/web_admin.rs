//! The platform admin's office over real HTTP, on the French demo: only platform admins
//! enter; a currency association is created for an existing account, then its local currency
//! (the API lists it, with its issuer); a disabled account cannot sign in and its open session
//! ends at once, and it signs in again once enabled; an admin cannot disable their own account.
//! The demo's admin reads English.

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Visitor};

backend_tests!(
    only_platform_admins_enter_the_admin_office,
    an_admin_creates_an_association_and_its_currency,
    a_disabled_account_is_signed_out_at_once_and_enabled_again,
);

const ADMIN: &str = "admin@comptoir.example.org";

async fn only_platform_admins_enter_the_admin_office(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let mut nobody = Visitor::new(&app);
    assert_eq!(
        nobody.get("/admin").await.location(),
        "/login?next=%2Fadmin"
    );
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    for page in [
        "/admin",
        "/admin/currencies",
        "/admin/associations",
        "/admin/users",
    ] {
        assert_eq!(treasurer.get(page).await.status, 403, "{page}");
    }
    treasurer.get("/office").await.ok();
    let posted = treasurer
        .post("/admin/associations", &[("name", "Monnaie pirate")])
        .await;
    assert_eq!(posted.status, 403);

    let mut admin = Visitor::new(&app);
    admin.sign_in(ADMIN).await;
    let office = admin.get("/office").await;
    assert!(office.ok().contains("href=\"/admin\""), "{}", office.text);
    let home = admin.get("/admin").await;
    assert!(home.shows("Platform administration"));
    let currencies = admin.get("/admin/currencies").await;
    assert!(currencies.shows("LEM") && currencies.shows("Local currency"));
    assert!(
        currencies.shows("Monnaie Lem")
            || currencies.shows("monnaie-lem")
            || currencies.shows("Lem")
    );
}

async fn an_admin_creates_an_association_and_its_currency(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let mut admin = Visitor::new(&app);
    admin.sign_in(ADMIN).await;
    admin.get("/admin/associations").await.ok();
    // the owner must have an account; every field's message in one answer
    let refused = admin
        .post(
            "/admin/associations",
            &[
                ("name", ""),
                ("line", "1 place du Marché"),
                ("postcode", "38000"),
                ("city", "Grenoble"),
                ("owner", "personne@example.org"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.shows("No active account has this address"));
    assert_eq!(refused.input_value("city").as_deref(), Some("Grenoble"));

    let created = admin
        .post(
            "/admin/associations",
            &[
                ("name", "Le Cairn"),
                ("line", "1 place du Marché"),
                ("postcode", "38000"),
                ("city", "Grenoble"),
                ("owner", FRENCH_DEMO.consumers[1]),
            ],
        )
        .await;
    assert_eq!(
        created.location(),
        "/admin/associations?notice=association-created"
    );
    let list = admin.get("/admin/associations").await;
    assert!(list.shows("Le Cairn") && list.shows("No currency yet"));

    // the currency: a bad form keeps its values and says what is wrong, field by field
    let page = admin.get("/admin/currencies").await;
    let body = unescape(page.ok());
    let at = body
        .find(">Le Cairn<")
        .expect("the new association is offered");
    let option = &body[..at];
    let value_at = option.rfind("value=\"").expect("option value") + 7;
    let cairn = option[value_at..]
        .split('"')
        .next()
        .expect("id")
        .to_string();
    let bad = admin
        .post(
            "/admin/currencies",
            &[
                ("issuer", &cairn),
                ("code", "CA1"),
                ("name", "Cairn"),
                ("symbol", "CRN"),
                ("scale", "9"),
                ("parity", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.shows("Enter three letters"));
    assert!(bad.shows("from 0 to 4") && bad.shows("above zero"));
    assert_eq!(bad.input_value("name").as_deref(), Some("Cairn"));
    let made = admin
        .post(
            "/admin/currencies",
            &[
                ("issuer", &cairn),
                ("code", "crn"),
                ("name", "Cairn"),
                ("symbol", "CRN"),
                ("scale", "2"),
                ("parity", "1"),
                ("member_to_member", "yes"),
            ],
        )
        .await;
    assert_eq!(made.location(), "/admin/currencies?notice=currency-created");
    let listed = app
        .call("GET", "/api/v1/currencies", None, None)
        .await
        .json();
    let crn = listed
        .as_array()
        .expect("currencies")
        .iter()
        .find(|c| c["code"] == "CRN")
        .cloned()
        .expect("the API lists the new currency");
    assert_eq!(crn["issuer_id"], cairn.as_str(), "{crn}");
    // its association now issues one: it is no longer offered, and a second is refused
    let again = admin
        .post(
            "/admin/currencies",
            &[
                ("issuer", &cairn),
                ("code", "CRM"),
                ("name", "Cairn 2"),
                ("symbol", "C2"),
                ("scale", "2"),
                ("parity", "1"),
            ],
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.text);
    assert!(again.shows("issues a currency already"));
    let list = admin.get("/admin/associations").await;
    assert!(list.shows("CRN"));
}

async fn a_disabled_account_is_signed_out_at_once_and_enabled_again(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let camille = FRENCH_DEMO.consumers[0];
    let token = app.access_token(camille).await;
    let mut member = Visitor::new(&app);
    member.sign_in(camille).await;
    member.get("/wallet").await.ok();

    let mut admin = Visitor::new(&app);
    admin.sign_in(ADMIN).await;
    let found = admin.get("/admin/users?q=CAMILLE").await;
    let body = unescape(found.ok());
    assert!(body.contains(camille), "search ignores case: {body}");
    assert!(!body.contains(FRENCH_DEMO.consumers[1]));
    let start = body.find("/admin/users/").expect("a form");
    let rest = &body[start + "/admin/users/".len()..];
    let user = rest.split('/').next().expect("id").to_string();
    assert!(rest.starts_with(&format!("{user}/disable")));

    let disabled = admin
        .post(&format!("/admin/users/{user}/disable"), &[])
        .await;
    assert!(disabled.location().starts_with("/admin/users?q="));
    // at once: the page session ends, the API token is refused, signing in fails
    assert_eq!(
        member.get("/wallet").await.location(),
        "/login?next=%2Fwallet"
    );
    let me = app.call("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.status, 401);
    let mut again = Visitor::new(&app);
    again.get("/login").await.ok();
    let login = again
        .post(
            "/login",
            &[
                ("email", camille),
                ("password", comptoir::demo::DEMO_PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_ne!(
        login.status, 303,
        "a disabled account signs in: {}",
        login.text
    );

    let enabled = admin
        .post(&format!("/admin/users/{user}/enable"), &[])
        .await;
    assert!(enabled.location().contains("notice=enabled"));
    again.sign_in(camille).await;
    again.get("/wallet").await.ok();

    // never one's own account
    let mine = unescape(admin.get("/admin/users?q=admin%40comptoir").await.ok());
    assert!(mine.contains("Your account"));
    let start = mine.find("admin@comptoir.example.org").expect("listed");
    assert!(
        !mine[start..].contains("/disable\""),
        "no button for oneself"
    );
    let me_start = mine[..start].rfind("<tr>").expect("row");
    let _ = me_start;
    let admin_id = app
        .call(
            "GET",
            "/api/v1/me",
            Some(&app.access_token(ADMIN).await),
            None,
        )
        .await
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let forced = admin
        .post(&format!("/admin/users/{admin_id}/disable"), &[])
        .await;
    assert_eq!(forced.status, 422, "{}", forced.text);
    assert!(forced.shows("You cannot disable your own account"));
    let audit = app
        .call(
            "GET",
            "/api/v1/audit?action=user.disable",
            Some(&app.access_token(ADMIN).await),
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{}", audit.json());
    assert!(audit.json().to_string().contains("user.disable"));
}
