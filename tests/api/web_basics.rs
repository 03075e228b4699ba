//! The pages' foundation over real HTTP: the home page, signing in and out, CSRF, the
//! language, the error pages, the stylesheet.

use crate::backend_tests;
use crate::harness::{Backend, DemoFacts, TestApp};
use crate::pages::Visitor;

backend_tests!(
    signing_in_and_out_with_a_cookie_session,
    forms_without_the_token_are_refused,
    error_pages_and_the_stylesheet,
    templates_are_overridden_and_a_failing_page_shows_its_request_id;
    per_demo: home_lists_open_hubs_and_producers, language_follows_the_reader
);

async fn home_lists_open_hubs_and_producers(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let mut visitor = Visitor::new(&app);
    let home = visitor.get("/").await;
    let text = home.ok();
    assert!(
        text.contains(&format!("href=\"/hubs/{}\"", demo.hub)),
        "{text}"
    );
    for producer in demo.producers {
        assert!(
            text.contains(&format!("href=\"/producers/{producer}\"")),
            "{producer}"
        );
    }
    // the closing time in the hub's time zone, with its offset
    assert!(home.shows("(UTC+1)"), "{text}");
    assert!(text.contains("<html lang=\"fr\">"));
    assert!(home
        .reply
        .header("content-security-policy")
        .is_some_and(|c| c.contains("default-src 'self'")));
    // a new browser is given its CSRF cookie
    assert!(visitor.cookies.contains_key("comptoir_csrf"));
}

async fn signing_in_and_out_with_a_cookie_session(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut visitor = Visitor::new(&app);
    // a wrong password: the form again, the error by its field and in the summary
    visitor.get("/login").await.ok();
    let refused = visitor
        .post(
            "/login",
            &[
                ("email", "camille@example.org"),
                ("password", "wrong"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.shows("L’adresse e-mail ou le mot de passe est incorrect"));
    assert!(refused.text.contains("href=\"#email\""));
    assert_eq!(
        refused.input_value("email").as_deref(),
        Some("camille@example.org")
    );
    assert!(!visitor.cookies.contains_key("comptoir_session"));
    // an empty form names both fields
    let empty = visitor
        .post("/login", &[("email", ""), ("password", "")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.text.contains("href=\"#email\"") && empty.text.contains("href=\"#password\""));

    // signing in: the session cookie, HttpOnly and SameSite=Lax, and back to `next`
    visitor.get("/login?next=/orders").await.ok();
    let signed = visitor
        .post(
            "/login",
            &[
                ("email", "camille@example.org"),
                ("password", comptoir::demo::DEMO_PASSWORD),
                ("next", "/orders"),
            ],
        )
        .await;
    assert_eq!(signed.location(), "/orders");
    let set_cookie = signed.reply.header("set-cookie").expect("cookie");
    assert!(set_cookie.starts_with("comptoir_session="));
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    assert!(!set_cookie.contains("Secure"), "no TLS here: {set_cookie}");
    let session = visitor.cookies["comptoir_session"].clone();
    let home = visitor.get("/").await;
    assert!(home.text.contains("action=\"/logout\""));
    // the log-in page sends a signed-in reader on
    assert_eq!(
        visitor.get("/login?next=/wallet").await.location(),
        "/wallet"
    );

    // `next` never leaves the site
    let mut other = Visitor::new(&app);
    other.get("/login").await.ok();
    let page = other
        .post(
            "/login",
            &[
                ("email", "yanis@example.org"),
                ("password", comptoir::demo::DEMO_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/");

    // signing out ends the session at once: the old cookie no longer signs anyone in
    visitor.get("/").await.ok();
    let out = visitor.post("/logout", &[]).await;
    assert_eq!(out.location(), "/");
    assert!(!visitor.cookies.contains_key("comptoir_session"));
    visitor.cookies.insert("comptoir_session".into(), session);
    let home = visitor.get("/").await;
    assert!(
        home.text.contains("href=\"/login\""),
        "the ended session still signs in"
    );
    assert!(!home.text.contains("action=\"/logout\""));
}

async fn forms_without_the_token_are_refused(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut visitor = Visitor::new(&app);
    visitor.get("/login").await.ok();
    let fields = [
        ("email", "camille@example.org"),
        ("password", comptoir::demo::DEMO_PASSWORD),
    ];
    // no token, a wrong token, and a token from another browser: 403, nothing signed in
    let none = visitor.post_raw("/login", &fields).await;
    assert_eq!(none.status, 403);
    assert!(none
        .reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
    let wrong = visitor
        .post_raw("/login", &[("_csrf", "0000"), fields[0], fields[1]])
        .await;
    assert_eq!(wrong.status, 403);
    let mut other = Visitor::new(&app);
    other.get("/login").await.ok();
    let stolen = other.csrf.clone().expect("token");
    let crossed = visitor
        .post_raw(
            "/login",
            &[("_csrf", stolen.as_str()), fields[0], fields[1]],
        )
        .await;
    assert_eq!(crossed.status, 403);
    assert!(!visitor.cookies.contains_key("comptoir_session"));
    // a browser that says the form came from another site
    let cross_site = app
        .send(
            "POST",
            "/login",
            None,
            &[("sec-fetch-site", "cross-site")],
            Some(("application/x-www-form-urlencoded", b"email=a".to_vec())),
        )
        .await;
    assert_eq!(cross_site.status.as_u16(), 403);
    // the right token passes
    let ok = visitor.post("/login", &fields).await;
    assert_eq!(ok.status, 303, "{}", ok.text);
}

async fn language_follows_the_reader(backend: Backend, demo: &'static DemoFacts) {
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    // a browser asking for English gets English
    let mut english = Visitor::new(&app);
    english.accept_language = "en-GB,en;q=0.9".into();
    let page = english.get("/").await;
    assert!(page.text.contains("<html lang=\"en\">"));
    assert!(page.shows("Producers"));
    // German, a Swiss language, is read in German; in France it is not a language of the
    // deployment: French
    let mut german = Visitor::new(&app);
    german.accept_language = "de-CH".into();
    let lang = if demo.legal == "CHF" { "de" } else { "fr" };
    let page = german.get("/").await;
    assert!(page.text.contains(&format!("<html lang=\"{lang}\">")));
    if demo.legal == "CHF" {
        assert!(
            page.shows("Produzentinnen und Produzenten"),
            "{}",
            page.text
        );
        assert!(page.shows("Direkt zum Inhalt"));
    }

    // the switch: remembered by a cookie, and by the account of a signed-in reader
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(demo.consumers[0]).await;
    visitor.get("/").await.ok();
    let switched = visitor
        .post("/language", &[("lang", "en"), ("next", "/")])
        .await;
    assert_eq!(switched.location(), "/");
    assert_eq!(
        visitor.cookies.get("comptoir_lang").map(String::as_str),
        Some("en")
    );
    assert!(visitor.get("/").await.text.contains("<html lang=\"en\">"));
    // a new browser of the same account reads English: the account remembers it
    let mut again = Visitor::new(&app);
    again.sign_in(demo.consumers[0]).await;
    assert!(again.get("/").await.text.contains("<html lang=\"en\">"));
    // a language the deployment does not offer is refused
    let refused = visitor
        .post("/language", &[("lang", "xx"), ("next", "/")])
        .await;
    assert_eq!(refused.status, 422);
}

async fn error_pages_and_the_stylesheet(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut visitor = Visitor::new(&app);
    let missing = visitor.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.shows("Page introuvable"));
    assert!(missing.reply.header("x-request-id").is_some());
    visitor.accept_language = "en".into();
    let missing = visitor.get("/no/such/page").await;
    assert!(missing.shows("Page not found"));
    // the API keeps its problems
    let api = app.get("/api/v1/no-such").await;
    assert_eq!(
        api.header("content-type").as_deref(),
        Some("application/problem+json")
    );

    // the stylesheet, under its hash, cached for a year; any other name is a 404 page
    let home = visitor.get("/").await;
    let start = home
        .text
        .find("/static/comptoir.")
        .or_else(|| home.text.find("&#x2f;static&#x2f;comptoir."))
        .expect("stylesheet link");
    let href: String = crate::pages::unescape(&home.text[start..])
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let css = app.get(&href).await;
    assert_eq!(css.status.as_u16(), 200);
    assert_eq!(
        css.header("content-type").as_deref(),
        Some("text/css; charset=utf-8")
    );
    assert!(css
        .header("cache-control")
        .is_some_and(|c| c.contains("max-age=31536000")));
    assert_eq!(
        app.get("/static/comptoir.000000000000.css")
            .await
            .status
            .as_u16(),
        404
    );
}

async fn templates_are_overridden_and_a_failing_page_shows_its_request_id(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary directory");
    // a deployment's own front page, broken: it names a value no handler gives
    std::fs::write(
        dir.path().join("home.html"),
        "{% extends \"layout.html\" %}{% block title %}{{ t(\"home-title\") }}{% endblock %}\
         {% block content %}<h1>{{ shops|length }}</h1>{{ no_such_value }}{% endblock %}",
    )
    .expect("template written");
    let path = dir.path().to_path_buf();
    let app = TestApp::serve_with(crate::harness::TestDb::with_demo(backend), move |config| {
        config.web.templates_dir = Some(path);
    })
    .await;
    let mut visitor = Visitor::new(&app);
    let failed = visitor.get("/").await;
    assert_eq!(failed.status, 500);
    let id = failed.reply.header("x-request-id").expect("request id");
    assert!(failed.shows(&id), "the 500 page shows the request id {id}");
    assert!(failed.shows("Désolé, un problème est survenu"));
    // the cause is in the log, never on the page
    assert!(!failed.text.contains("no_such_value"));
    // a page whose template is not overridden renders as built in
    assert_eq!(visitor.get("/login").await.status, 200);
}
