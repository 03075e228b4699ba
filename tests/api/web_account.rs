//! The account's pages over real HTTP: creating an account through the pages and confirming
//! it from the mail the file-less mail transport delivers, a forgotten password, the
//! account's page and a password change (which signs every other session out at once).

use comptoir::mail::mailer_with;
use comptoir::mail::transport::Memory;

use crate::backend_tests;
use crate::harness::{test_config, Backend, DemoFacts, TestApp};
use crate::pages::Visitor;
use crate::support::mails_to;

backend_tests!(
    registering_confirming_and_signing_in_through_the_pages,
    registration_refusals_show_by_their_fields,
    a_forgotten_password_is_reset_from_the_mails_link,
    the_account_page_and_a_password_change;
    per_demo: the_registration_form_offers_the_countrys_languages
);

const NEW_PASSWORD: &str = "a long enough secret";

/// Sends the queued mails through a memory transport (as the worker would) and returns the
/// text part of the last one to `to`.
fn delivered_text(app: &TestApp, to: &str) -> String {
    let memory = Memory::default();
    let mailer = mailer_with(&test_config(&app.db.url), Box::new(memory.clone())).expect("mailer");
    let conn = &mut app.db.db.conn().expect("conn");
    mailer.deliver_due(conn).expect("delivery");
    let kept = memory.kept.lock().expect("mails").clone();
    let raw = &kept
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t == to))
        .expect("a mail to the address")
        .raw;
    let mail = mailparse::parse_mail(raw).expect("a mail");
    mail.subparts[0].get_body().expect("text part")
}

/// The site path of the link in `text` that starts with `path?token=`.
fn link(text: &str, path: &str) -> String {
    let at = text.find(&format!("{path}?token=")).expect("a link");
    text[at..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_string()
}

async fn registering_confirming_and_signing_in_through_the_pages(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut visitor = Visitor::new(&app);
    let form = visitor.get("/register").await;
    assert!(form.ok().contains("action=\"/register\""));
    assert!(form.shows("De 10 à 128 caractères"), "the rule in a hint");
    // no token: refused before anything is read
    let fields = [
        ("display_name", "Nadia"),
        ("email", "Nadia@Example.org"),
        ("password", NEW_PASSWORD),
        ("locale", "en"),
    ];
    assert_eq!(visitor.post_raw("/register", &fields).await.status, 403);
    assert!(mails_to(&app, "nadia@example.org", "verify_email").is_empty());

    let sent = visitor.post("/register", &fields).await;
    assert_eq!(sent.location(), "/register/sent");
    assert!(visitor
        .get("/register/sent")
        .await
        .shows("Consultez votre messagerie"));
    // an address with an account already: the same answer, and its owner is told by mail
    visitor.get("/register").await.ok();
    let known = visitor
        .post(
            "/register",
            &[
                ("display_name", "Someone"),
                ("email", "camille@example.org"),
                ("password", NEW_PASSWORD),
                ("locale", "fr"),
            ],
        )
        .await;
    assert_eq!(known.location(), "/register/sent");
    assert_eq!(
        mails_to(&app, "camille@example.org", "account_exists").len(),
        1
    );

    // not confirmed yet: the log-in page says what to do
    visitor.get("/login").await.ok();
    let early = visitor
        .post(
            "/login",
            &[("email", "nadia@example.org"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(early.status, 422);
    assert!(early.shows("Confirmez d’abord votre adresse e-mail"));

    // the mail, in the language chosen, links to the confirmation page
    let text = delivered_text(&app, "nadia@example.org");
    assert!(text.contains("To activate your Comptoir account"), "{text}");
    let path = link(&text, "/verify-email");
    // opening the link (as a mail scanner would, twice) uses nothing: one button
    for _ in 0..2 {
        let page = visitor.get(&path).await;
        assert!(page.ok().contains("action=\"/verify-email\""));
        assert!(page.shows("Confirmer mon adresse"));
    }
    let token = path.split("token=").nth(1).expect("token").to_string();
    let confirmed = visitor.post("/verify-email", &[("token", &token)]).await;
    assert_eq!(confirmed.location(), "/login?notice=verified");
    let login = visitor.get("/login?notice=verified").await;
    assert!(
        login.shows("Votre adresse e-mail est confirmée"),
        "{}",
        login.text
    );
    // only known notices are shown
    assert!(!visitor
        .get("/login?notice=%3Cscript%3E")
        .await
        .text
        .contains("class=\"notice\""));
    // the link has served: a page says so, and how to get another
    let again = visitor.post("/verify-email", &[("token", &token)]).await;
    assert_eq!(again.status, 410);
    assert!(again.shows("Ce lien ne fonctionne plus"));
    assert!(again.text.contains("href=\"/register\""));
    assert_eq!(visitor.get(&path).await.status, 410);
    assert_eq!(visitor.get("/verify-email?token=nope").await.status, 410);
    assert_eq!(visitor.get("/verify-email").await.status, 410);

    // signing in through the log-in page
    visitor.get("/login").await.ok();
    let signed = visitor
        .post(
            "/login",
            &[
                ("email", "nadia@example.org"),
                ("password", NEW_PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(signed.location(), "/account");
    let account = visitor.get("/account").await;
    assert!(account.shows("Nadia") && account.shows("nadia@example.org"));
    // the language chosen at registration is the account's
    assert!(account.text.contains("<html lang=\"en\">"));
}

async fn registration_refusals_show_by_their_fields(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut visitor = Visitor::new(&app);
    visitor.get("/register").await.ok();
    let refused = visitor
        .post(
            "/register",
            &[
                ("display_name", "  "),
                ("email", "not-an-address"),
                ("password", "short"),
                ("locale", "xx"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    for field in ["display_name", "email", "password", "locale"] {
        assert!(
            refused.text.contains(&format!("href=\"#{field}\"")),
            "{field}: {}",
            refused.text
        );
    }
    assert!(refused.shows("Saisissez votre nom"));
    assert!(refused.shows("Saisissez une adresse e-mail valide"));
    assert!(refused.shows("Choisissez un mot de passe de 10 à 128 caractères"));
    // the first radio carries the group's id the summary links to
    assert!(refused.text.contains("id=\"locale\""));
    assert_eq!(
        refused.input_value("email").as_deref(),
        Some("not-an-address")
    );
    // the password is never sent back
    assert!(!refused.text.contains("value=\"short\""));
    // the email itself as the password
    let same = visitor
        .post(
            "/register",
            &[
                ("display_name", "Ada"),
                ("email", "ada.lovelace@example.org"),
                ("password", "ada.lovelace@example.org"),
                ("locale", "fr"),
            ],
        )
        .await;
    assert_eq!(same.status, 422);
    assert!(same.text.contains("href=\"#password\""));
    assert!(mails_to(&app, "ada.lovelace@example.org", "verify_email").is_empty());
}

async fn the_registration_form_offers_the_countrys_languages(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let mut visitor = Visitor::new(&app);
    let form = visitor.get("/register").await;
    let text = form.ok();
    let offers_german = text.contains("value=\"de\"");
    assert_eq!(offers_german, demo.legal == "CHF", "{text}");
    assert!(text.contains("value=\"fr\" checked"), "French by default");
    if offers_german {
        // a Swiss account in German: its mails are in German
        let sent = visitor
            .post(
                "/register",
                &[
                    ("display_name", "Lena"),
                    ("email", "lena@example.ch"),
                    ("password", NEW_PASSWORD),
                    ("locale", "de"),
                ],
            )
            .await;
        assert_eq!(sent.location(), "/register/sent");
        let text = delivered_text(&app, "lena@example.ch");
        assert!(text.contains("/verify-email?token="));
        assert!(text.contains("Guten Tag Lena"), "{text}");
    } else {
        let refused = visitor
            .post(
                "/register",
                &[
                    ("display_name", "Lena"),
                    ("email", "lena@example.org"),
                    ("password", NEW_PASSWORD),
                    ("locale", "de"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(refused.text.contains("href=\"#locale\""));
    }
}

async fn a_forgotten_password_is_reset_from_the_mails_link(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    // a browser signed in before the reset
    let mut before = Visitor::new(&app);
    before.sign_in("camille@example.org").await;

    let mut visitor = Visitor::new(&app);
    visitor.get("/forgot-password").await.ok();
    let empty = visitor.post("/forgot-password", &[("email", "")]).await;
    assert_eq!(empty.status, 422);
    assert!(empty.text.contains("href=\"#email\""));
    // a known and an unknown address: the same answer
    for email in ["Camille@Example.org", "nobody@example.org"] {
        let sent = visitor.post("/forgot-password", &[("email", email)]).await;
        assert_eq!(sent.location(), "/forgot-password/sent");
    }
    assert!(visitor
        .get("/forgot-password/sent")
        .await
        .shows("Consultez votre messagerie"));
    assert_eq!(
        mails_to(&app, "nobody@example.org", "password_reset_unknown").len(),
        1
    );
    let text = delivered_text(&app, "camille@example.org");
    let path = link(&text, "/reset-password");
    let token = path.split("token=").nth(1).expect("token").to_string();

    let form = visitor.get(&path).await;
    assert!(form.ok().contains("action=\"/reset-password\""));
    assert_eq!(form.input_value("token").as_deref(), Some(token.as_str()));
    let short = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("new_password", "short")],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short.text.contains("href=\"#new_password\""));
    assert_eq!(short.input_value("token").as_deref(), Some(token.as_str()));
    let done = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(done.location(), "/login?notice=password-reset");
    assert!(visitor
        .get("/login?notice=password-reset")
        .await
        .shows("Votre mot de passe est changé"));
    // the browser signed in before is signed out
    let home = before.get("/account").await;
    assert!(home.location().starts_with("/login?next="));
    // the link served once
    let again = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(again.status, 410);
    assert!(again.text.contains("href=\"/forgot-password\""));
    assert_eq!(visitor.get(&path).await.status, 410);
    // the old password no longer works, the new one does
    visitor.get("/login").await.ok();
    let old = visitor
        .post(
            "/login",
            &[
                ("email", "camille@example.org"),
                ("password", comptoir::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(old.status, 422);
    let new = visitor
        .post(
            "/login",
            &[
                ("email", "camille@example.org"),
                ("password", NEW_PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(new.location(), "/");
}

async fn the_account_page_and_a_password_change(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let email = "camille@example.org";
    let mut signed_out = Visitor::new(&app);
    assert_eq!(
        signed_out.get("/account").await.location(),
        "/login?next=%2Faccount"
    );
    assert_eq!(
        signed_out.get("/account/password").await.location(),
        "/login?next=%2Faccount%2Fpassword"
    );

    let mut visitor = Visitor::new(&app);
    visitor.sign_in(email).await;
    let mut other = Visitor::new(&app);
    other.sign_in(email).await;
    let api_token = app.access_token(email).await;
    let account = visitor.get("/account").await;
    assert!(account.ok().contains("href=\"/account/password\""));
    assert!(account.shows(email));
    assert!(account.shows("Français"));

    visitor.get("/account/password").await.ok();
    let empty = visitor
        .post(
            "/account/password",
            &[("current_password", ""), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.shows("Saisissez votre mot de passe actuel"));
    let wrong = visitor
        .post(
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.text.contains("href=\"#current_password\""));
    assert!(wrong.shows("Ce n’est pas votre mot de passe actuel"));
    let weak = visitor
        .post(
            "/account/password",
            &[
                ("current_password", comptoir::demo::DEMO_PASSWORD),
                ("new_password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.text.contains("href=\"#new_password\""));
    // nothing changed so far: the other browser is still signed in
    other.get("/account").await.ok();
    // without the form's token: refused
    let forged = visitor
        .post_raw(
            "/account/password",
            &[
                ("current_password", comptoir::demo::DEMO_PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    let old_cookie = visitor.cookies["comptoir_session"].clone();
    let changed = visitor
        .post(
            "/account/password",
            &[
                ("current_password", comptoir::demo::DEMO_PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.location(), "/account?notice=password-changed");
    // this browser stays signed in, with a new session
    assert_ne!(visitor.cookies["comptoir_session"], old_cookie);
    let page = visitor.get("/account?notice=password-changed").await;
    assert!(page.shows("Votre mot de passe est changé"), "{}", page.text);
    // every other session ends at once: another browser, this browser's old cookie, the API
    assert!(other
        .get("/account")
        .await
        .location()
        .starts_with("/login?next="));
    let mut stale = Visitor::new(&app);
    stale
        .cookies
        .insert("comptoir_session".into(), old_cookie.clone());
    assert!(stale
        .get("/account")
        .await
        .location()
        .starts_with("/login?next="));
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&api_token), None)
            .await
            .status
            .as_u16(),
        401
    );
    // the new password signs in
    let mut again = Visitor::new(&app);
    again.get("/login").await.ok();
    let signed = again
        .post(
            "/login",
            &[("email", email), ("password", NEW_PASSWORD), ("next", "/")],
        )
        .await;
    assert_eq!(signed.location(), "/");
}
