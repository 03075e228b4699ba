//! The chart mapping in the treasurer's office over real HTTP, on the French demo: the form
//! sent back as it is changes nothing; a code and a label changed, a rule added then removed,
//! show in `GET /api/v1/accounting/chart`; a bad code or a rule matching the same accounts
//! as another is refused beside its field with nothing written; the country's defaults come
//! back after a confirmation. A consumer is refused; the form needs its CSRF token.

use serde_json::Value;

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Page, Visitor};

backend_tests!(
    a_treasurer_changes_a_code_and_a_label,
    a_bad_code_or_a_duplicate_rule_is_refused_beside_its_field,
    a_treasurer_adds_and_removes_a_rule_then_resets_the_chart,
    a_consumer_is_refused_the_chart,
);

const OFFICE: &str = "/treasury/monnaie-lem";

/// The chart as the API shows it to the treasurer, once stored: the very first read
/// installs the defaults and answers them in the file's order, every later one in the
/// stored order (by kind), which the page shows too.
async fn stored_chart(app: &TestApp) -> Value {
    api_chart(app).await;
    api_chart(app).await
}

/// The chart as the API shows it to the treasurer.
async fn api_chart(app: &TestApp) -> Value {
    let token = app.access_token(FRENCH_DEMO.treasurer).await;
    let reply = app
        .call("GET", "/api/v1/accounting/chart", Some(&token), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json()
}

/// The value of an attribute in a tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')?;
    Some(unescape(&tag[at..at + end]))
}

/// What the chart's form would send as a browser sends it: its inputs (the checked boxes
/// only) and each select's chosen option, in order; never the token (the visitor adds it).
fn form_fields(page: &Page) -> Vec<(String, String)> {
    let text = &page.text;
    let start = text
        .find("action=\"/treasury/monnaie-lem/chart\"")
        .expect("the chart's form");
    let end = start + text[start..].find("</form>").expect("its end");
    let form = &text[start..end];
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let close = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..close];
        if tag.starts_with("<input") {
            let name = attribute(tag, "name").unwrap_or_default();
            let kind = attribute(tag, "type").unwrap_or_default();
            let value = attribute(tag, "value").unwrap_or_default();
            let sent = kind != "checkbox" || tag.contains(" checked");
            if sent && !name.is_empty() && name != "_csrf" {
                fields.push((name, value));
            }
        } else if tag.starts_with("<select") {
            let name = attribute(tag, "name").unwrap_or_default();
            let body_end = rest.find("</select>").expect("select's end");
            let body = &rest[..body_end];
            let options: Vec<&str> = body.split("<option").skip(1).collect();
            let chosen = options
                .iter()
                .find(|o| o.split('>').next().unwrap_or("").contains(" selected"))
                .or(options.first())
                .map(|o| attribute(o, "value").unwrap_or_default())
                .unwrap_or_default();
            fields.push((name, chosen));
        }
        rest = &rest[1..];
    }
    fields
}

/// `fields` with `name` set to `value` (added when absent).
fn with(mut fields: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(field) => field.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
    fields
}

async fn post(visitor: &mut Visitor<'_>, path: &str, fields: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    visitor.post(path, &pairs).await
}

async fn a_treasurer_changes_a_code_and_a_label(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let before = stored_chart(&app).await;
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    let page = treasurer.get(&format!("{OFFICE}/chart")).await;
    let text = unescape(page.ok());
    assert!(
        text.contains(&format!("href=\"{OFFICE}/chart\"")),
        "the nav"
    );
    assert!(
        text.contains("Les écritures déjà validées gardent les comptes"),
        "{text}"
    );
    // the kinds in words, the stored codes in the fields
    assert!(text.contains("Fonds de garantie"), "{text}");
    let first = &before["account"][0];
    assert_eq!(
        page.input_value("account-0-code").as_deref(),
        first["code"].as_str()
    );
    assert_eq!(
        page.input_value("books-customers-code").as_deref(),
        before["books"]["customers"]["code"].as_str()
    );

    // sent back unchanged, the chart is the same
    let fields = form_fields(&page);
    let saved = post(&mut treasurer, &format!("{OFFICE}/chart"), &fields).await;
    assert_eq!(saved.location(), format!("{OFFICE}/chart?notice=saved"));
    assert_eq!(api_chart(&app).await, before);

    // one code and one label changed
    let page = treasurer.get(&format!("{OFFICE}/chart?notice=saved")).await;
    assert!(
        page.shows("Le plan comptable est enregistré"),
        "{}",
        page.text
    );
    let fields = with(form_fields(&page), "account-0-code", "467999");
    let fields = with(
        fields,
        "account-0-label",
        "Portefeuilles des membres (test)",
    );
    let fields = with(fields, "journal-default-code", "ODX");
    let saved = post(&mut treasurer, &format!("{OFFICE}/chart"), &fields).await;
    assert_eq!(saved.location(), format!("{OFFICE}/chart?notice=saved"));
    let after = api_chart(&app).await;
    let rule = &after["account"][0];
    assert_eq!(rule["kind"], first["kind"]);
    assert_eq!(rule["currency"], first["currency"]);
    assert_eq!(rule["code"], "467999");
    assert_eq!(rule["label"], "Portefeuilles des membres (test)");
    assert_eq!(after["journals"]["default"]["code"], "ODX");
    // nothing else moved
    let rest = |chart: &Value| chart["account"].as_array().expect("rules")[1..].to_vec();
    assert_eq!(rest(&after), rest(&before));
    assert_eq!(after["books"], before["books"]);
    let page = treasurer.get(&format!("{OFFICE}/chart")).await;
    assert_eq!(
        page.input_value("account-0-code").as_deref(),
        Some("467999")
    );
}

async fn a_bad_code_or_a_duplicate_rule_is_refused_beside_its_field(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let before = stored_chart(&app).await;
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    let page = treasurer.get(&format!("{OFFICE}/chart")).await;
    let fields = form_fields(&page);
    let cases = [
        (
            with(fields.clone(), "account-1-code", "4 67!"),
            "account-1-code",
            "Saisissez un numéro de 1 à 20 lettres",
        ),
        (
            with(fields.clone(), "account-2-label", ""),
            "account-2-label",
            "Saisissez un libellé de 1 à 100 caractères",
        ),
        (
            with(fields.clone(), "books-bank-code", ""),
            "books-bank-code",
            "et un libellé de 1 à 100 caractères",
        ),
        (
            with(fields.clone(), "vat-1-rate", "deux"),
            "vat-1-rate",
            "Saisissez un taux de 0 à 100",
        ),
        (
            // a second rule for the same accounts as the first
            with(
                with(
                    with(
                        with(fields.clone(), "new-label", "Essai"),
                        "new-kind",
                        before["account"][0]["kind"].as_str().expect("kind"),
                    ),
                    "new-currency",
                    before["account"][0]["currency"].as_str().unwrap_or(""),
                ),
                "new-code",
                "411999",
            ),
            "new-kind",
            "Une autre règle vise la même sorte",
        ),
    ];
    for (sent, field, words) in cases {
        let refused = post(&mut treasurer, &format!("{OFFICE}/chart"), &sent).await;
        assert_eq!(refused.status, 422, "{field}: {}", refused.text);
        let text = unescape(&refused.text);
        assert!(
            text.contains(&format!("id=\"{field}-error\"")),
            "{field}: {text}"
        );
        assert!(
            text.contains(&format!("href=\"#{field}\"")),
            "{field}: {text}"
        );
        assert!(text.contains(words), "{field}: {text}");
        assert_eq!(api_chart(&app).await, before, "{field}: nothing written");
    }
    // the values typed are kept
    let refused = post(
        &mut treasurer,
        &format!("{OFFICE}/chart"),
        &with(fields.clone(), "account-1-code", "4 67!"),
    )
    .await;
    assert_eq!(
        refused.input_value("account-1-code").as_deref(),
        Some("4 67!")
    );
}

/// The form's prefix (`account-3`) of the rule whose code is `code`.
fn rule_with_code(page: &Page, code: &str) -> Option<String> {
    form_fields(page)
        .into_iter()
        .find(|(k, v)| k.starts_with("account-") && k.ends_with("-code") && v == code)
        .map(|(k, _)| k.trim_end_matches("-code").to_string())
}

async fn a_treasurer_adds_and_removes_a_rule_then_resets_the_chart(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let before = stored_chart(&app).await;
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    let page = treasurer.get(&format!("{OFFICE}/chart")).await;
    let fields = with(form_fields(&page), "new-kind", "exchange");
    let fields = with(fields, "new-currency", "LEM");
    let fields = with(fields, "new-code", "478100");
    let fields = with(fields, "new-label", "Change en Lem");
    let fields = with(fields, "new-auxiliary", "yes");
    let saved = post(&mut treasurer, &format!("{OFFICE}/chart"), &fields).await;
    assert_eq!(saved.location(), format!("{OFFICE}/chart?notice=saved"));
    let added = api_chart(&app).await;
    let rules = added["account"].as_array().expect("rules");
    assert_eq!(
        rules.len(),
        before["account"].as_array().expect("rules").len() + 1
    );
    let rule = rules
        .iter()
        .find(|r| r["code"] == "478100")
        .expect("the rule added");
    assert_eq!(
        (
            &rule["kind"],
            &rule["currency"],
            &rule["label"],
            &rule["auxiliary"]
        ),
        (
            &Value::from("exchange"),
            &Value::from("LEM"),
            &Value::from("Change en Lem"),
            &Value::from(true)
        )
    );

    // removed again
    let page = treasurer.get(&format!("{OFFICE}/chart")).await;
    let prefix = rule_with_code(&page, "478100").expect("its row");
    let fields = with(form_fields(&page), &format!("{prefix}-remove"), "yes");
    let saved = post(&mut treasurer, &format!("{OFFICE}/chart"), &fields).await;
    assert_eq!(saved.location(), format!("{OFFICE}/chart?notice=saved"));
    assert_eq!(api_chart(&app).await, before);

    // a change, then the country's defaults back after a confirmation
    let page = treasurer.get(&format!("{OFFICE}/chart")).await;
    let fields = with(form_fields(&page), "account-0-code", "467999");
    let saved = post(&mut treasurer, &format!("{OFFICE}/chart"), &fields).await;
    assert_eq!(saved.location(), format!("{OFFICE}/chart?notice=saved"));
    assert_eq!(api_chart(&app).await["account"][0]["code"], "467999");
    let asked = treasurer.post(&format!("{OFFICE}/chart/reset"), &[]).await;
    assert!(
        asked.shows("Revenir au plan comptable par défaut ?"),
        "{}",
        asked.text
    );
    assert_eq!(api_chart(&app).await["account"][0]["code"], "467999");
    let reset = treasurer
        .post(&format!("{OFFICE}/chart/reset"), &[("confirmed", "yes")])
        .await;
    assert_eq!(reset.location(), format!("{OFFICE}/chart?notice=reset"));
    assert_eq!(api_chart(&app).await, before);
}

async fn a_consumer_is_refused_the_chart(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let before = stored_chart(&app).await;
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    let page = treasurer.get(&format!("{OFFICE}/chart")).await;
    let fields = with(form_fields(&page), "account-0-code", "467999");
    // the treasurer's form needs its token
    let mut forged: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    forged.retain(|(k, _)| *k != "_csrf");
    let refused = treasurer
        .post_raw(&format!("{OFFICE}/chart"), &forged)
        .await;
    assert_eq!(refused.status, 403);
    for email in [FRENCH_DEMO.consumers[0], FRENCH_DEMO.hub_manager] {
        let mut visitor = Visitor::new(&app);
        visitor.sign_in(email).await;
        assert_eq!(
            visitor.get(&format!("{OFFICE}/chart")).await.status,
            403,
            "{email}"
        );
        visitor.get("/wallet").await.ok();
        let posted = post(&mut visitor, &format!("{OFFICE}/chart"), &fields).await;
        assert_eq!(posted.status, 403, "{email}");
        let reset = visitor
            .post(&format!("{OFFICE}/chart/reset"), &[("confirmed", "yes")])
            .await;
        assert_eq!(reset.status, 403, "{email}");
    }
    assert_eq!(api_chart(&app).await, before, "nothing written");
}
