//! The pages: a second edge over the same domain as the JSON API (`api/`), for people with a
//! browser rather than programs. Read `WEB.md`'s conventions in the README's "Web pages".
//!
//! - Handlers here are thin: they read the [`session::Visitor`] (who, which language, the
//!   CSRF token), authorize with the one policy function ([`crate::auth::policy::authorize`]),
//!   call the same domain function the API calls, and render a page of `templates/web/`
//!   ([`render::Pages`]) or redirect (POST → redirect → GET). No page reaches the database
//!   but through a domain function.
//! - Forms post `application/x-www-form-urlencoded` with a CSRF token ([`session::Form`]);
//!   field errors come back beside their fields and in an error summary, the values kept.
//! - Every page works without JavaScript; there is none today. One stylesheet, served under
//!   its content hash with a year's cache; no request leaves the site's origin
//!   (`Content-Security-Policy: default-src 'self'`).
//! - Errors end on a friendly page in the reader's language ([`error::page`]).
//!
//! Paths: `/` (home), `/login`, `/logout`, `/language`, `/static/…`, and the pages of each
//! module below.

pub mod account;
pub mod admin;
pub mod books;
pub mod cart;
pub mod checkout;
pub mod error;
pub mod home;
pub mod hub;
pub mod hub_cycles;
pub mod hub_orders;
pub mod hub_people;
pub mod hub_reports;
pub mod i18n;
pub mod office;
pub mod orders;
pub mod pager;
pub mod producer;
pub mod producer_money;
pub mod producer_trade;
pub mod render;
pub mod session;
pub mod shop;
pub mod treasury;
pub mod treasury_chart;
pub mod treasury_more;
pub mod treasury_odoo;
pub mod treasury_payouts;
pub mod upload;
pub mod wallet;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use error::WebError;
use render::Pages;
use session::Visitor;

/// What the site sends with every page: no framing, no script or style from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// Every page's route. Registered after the API's, before the fallback.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/static/{file}", web::get().to(stylesheet))
        .configure(account::routes)
        .configure(shop::routes)
        .configure(cart::routes)
        .configure(checkout::routes)
        .configure(orders::routes)
        .configure(wallet::routes)
        .configure(office::routes)
        .configure(producer::routes)
        .configure(producer_money::routes)
        .configure(producer_trade::routes)
        .configure(treasury::routes)
        .configure(treasury_more::routes)
        .configure(treasury_odoo::routes)
        .configure(treasury_payouts::routes)
        .configure(treasury_chart::routes)
        .configure(admin::routes)
        .configure(hub::routes)
        .configure(hub_cycles::routes)
        .configure(hub_orders::routes)
        .configure(hub_people::routes)
        .configure(hub_reports::routes);
}

/// Every built-in template, by name: the shared ones and each page module's.
pub fn all_templates() -> Vec<&'static (&'static str, &'static str)> {
    [
        render::SHARED,
        books::TEMPLATES,
        home::TEMPLATES,
        account::TEMPLATES,
        shop::TEMPLATES,
        cart::TEMPLATES,
        checkout::TEMPLATES,
        orders::TEMPLATES,
        wallet::TEMPLATES,
        office::TEMPLATES,
        producer::TEMPLATES,
        producer_money::TEMPLATES,
        producer_trade::TEMPLATES,
        treasury::TEMPLATES,
        treasury_more::TEMPLATES,
        treasury_odoo::TEMPLATES,
        treasury_payouts::TEMPLATES,
        treasury_chart::TEMPLATES,
        admin::TEMPLATES,
        hub::TEMPLATES,
        hub_cycles::TEMPLATES,
        hub_orders::TEMPLATES,
        hub_people::TEMPLATES,
        hub_reports::TEMPLATES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The page renderer of a server: every built-in template, overridden from `override_dir`.
pub fn pages(
    override_dir: Option<std::path::PathBuf>,
    deployment: render::Deployment,
) -> Result<Pages, String> {
    Pages::new(override_dir, deployment, all_templates())
}

/// The `page` object of `visitor`.
pub fn page_context(pages: &Pages, visitor: &Visitor) -> serde_json::Value {
    json!({
        "signed_in": visitor.reader.is_some(),
        "name": visitor.reader.as_ref().map(|r| r.display_name.clone()),
        "offices": visitor.reader.as_ref().is_some_and(|r| office::has_office(&r.actor)),
        "csrf": visitor.csrf,
        "path": visitor.path,
        "stylesheet": pages.stylesheet_path,
        "lang": i18n::page_locale(visitor.locale).as_str(),
        "languages": render::languages(pages, visitor.locale),
    })
}

/// Renders `template` for `visitor` with `values` (an object; `page` is added) as a 200 page.
pub fn render(
    pages: &Pages,
    visitor: &Visitor,
    template: &str,
    values: serde_json::Value,
) -> Result<HttpResponse, WebError> {
    render_status(
        pages,
        visitor,
        template,
        values,
        actix_web::http::StatusCode::OK,
    )
}

/// [`render`] with another status (a form with errors is answered 422). `values` is an
/// object: a `json!` map, or a page's own `Serialize` struct.
pub fn render_status<T: serde::Serialize>(
    pages: &Pages,
    visitor: &Visitor,
    template: &str,
    values: T,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    let body = pages
        .render(
            template,
            i18n::page_locale(visitor.locale),
            page_context(pages, visitor),
            &values,
        )
        .map_err(WebError::Internal)?;
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body);
    visitor.finish(&mut response, pages);
    Ok(response)
}

/// The `?notice=` a page was redirected to after a form (POST → redirect → GET): the suffix
/// of words the page's module knows, never text shown as it came.
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// POST → redirect → GET: `303 See Other` to `to`.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// A path on this site to come back to (`next=`): only a local absolute path, never
/// `//elsewhere` or a full URL (an open redirect).
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n']);
    ok.then_some(next)
}

/// The field errors of a form, as templates show them: by field, and in order for the
/// summary. A message comes from the catalogue by its code (`field-error-required`) when the
/// catalogue has one, else as the domain wrote it.
pub fn field_errors(
    pages: &Pages,
    visitor: &Visitor,
    errors: &[crate::error::FieldError],
) -> serde_json::Value {
    let locale = i18n::page_locale(visitor.locale);
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let key = format!("field-error-{}", e.code.replace('_', "-"));
            json!({"field": e.field, "message": pages.text_or(locale, &key, &e.message)})
        })
        .collect();
    json!(list)
}

/// [`field_errors`] with a page group's own words first: `<area>-error-<field>-<code>`
/// (`wallet-error-amount-insufficient-funds`) when the catalogue has them.
pub fn field_errors_of(
    pages: &Pages,
    visitor: &Visitor,
    area: &str,
    errors: &[crate::error::FieldError],
) -> serde_json::Value {
    let locale = i18n::page_locale(visitor.locale);
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let key = format!(
                "{area}-error-{}-{}",
                e.field.replace('_', "-"),
                e.code.replace('_', "-")
            );
            if pages.catalogue.has(locale, &key) {
                json!({"field": e.field, "message": pages.text(locale, &key)})
            } else {
                field_errors(pages, visitor, std::slice::from_ref(e))[0].clone()
            }
        })
        .collect();
    json!(list)
}

/// `GET /static/comptoir.<hash>.css`: the stylesheet, cached for a year (its address changes
/// with it). Any other name is a 404.
async fn stylesheet(
    pages: web::Data<Pages>,
    file: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    if format!("/static/{}", file.as_str()) != pages.stylesheet_path {
        return Err(WebError::NotFound("no such file".into()));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(render::STYLESHEET))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_come_back() {
        assert_eq!(local_path("/orders"), Some("/orders"));
        assert_eq!(local_path("/hubs/x?page=2"), Some("/hubs/x?page=2"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "orders",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod template_tests {
    use super::render::Deployment;
    use super::*;
    use crate::mail::format::Locale;
    use crate::web::i18n::{Catalogue, PAGE_LOCALES};

    /// The built-in pages of a French deployment in euros.
    fn french_pages() -> Pages {
        pages(
            None,
            Deployment {
                legal: "EUR".into(),
                country: crate::deployment::Country::France,
                secure_cookies: false,
            },
        )
        .expect("pages")
    }

    /// Every template parses (a syntax error is caught here, not by a reader).
    #[test]
    fn every_template_parses() {
        let pages = french_pages();
        for (name, _) in all_templates() {
            if let Err(e) = pages.env.get_template(name) {
                panic!("{name}: {e:#}");
            }
        }
    }

    /// Every field size a template asks for (`size="…"`, the `input-…` class) has its rule
    /// in the style sheet: `size="small"` was asked for by seven fields and styled by none.
    #[test]
    fn every_field_size_is_styled() {
        let css = super::render::STYLESHEET;
        let mut sizes = std::collections::BTreeSet::new();
        for (name, text) in all_templates() {
            for (i, _) in text.match_indices("size=\"") {
                // the macro's argument, not an SVG's `font-size`
                if text[..i].ends_with('-') {
                    continue;
                }
                let piece = &text[i + "size=\"".len()..];
                let size: String = piece.chars().take_while(|c| *c != '"').collect();
                // the macro's own default: no size
                if !size.is_empty() {
                    sizes.insert((size, *name));
                }
            }
        }
        assert!(!sizes.is_empty());
        for (size, template) in sizes {
            assert!(
                css.contains(&format!(".input-{size} ")),
                "{template} asks for the field size `{size}`, which comptoir.css does not style"
            );
        }
    }

    /// Every filter a template uses exists (minijinja finds an unknown one only when the
    /// line runs: the wallets' "next page" link failed so, shown only past 50 wallets).
    #[test]
    fn every_filter_a_template_uses_exists() {
        let pages = french_pages();
        let mut names = std::collections::BTreeSet::new();
        for (name, text) in all_templates() {
            for (i, _) in text.match_indices('|') {
                let rest = text[i + 1..].trim_start();
                let filter: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // `||` and a `|` in plain text are no filters
                if !filter.is_empty()
                    && text[..i].rfind("{{").max(text[..i].rfind("{%"))
                        > text[..i].rfind("}}").max(text[..i].rfind("%}"))
                {
                    names.insert((filter, *name));
                }
            }
        }
        assert!(names.iter().any(|(f, _)| f == "urlencode"), "{names:?}");
        for (filter, template) in names {
            let probe = format!("{{{{ 'a b&c'|{filter} }}}}");
            if let Err(e) = pages
                .env
                .render_str(&probe, minijinja::context! {locale => "fr"})
            {
                assert_ne!(
                    e.kind(),
                    minijinja::ErrorKind::UnknownFilter,
                    "{template} uses the unknown filter `{filter}`"
                );
            }
        }
        let encoded = pages
            .env
            .render_str("{{ q|urlencode }}", minijinja::context! {q => "é a&b=c"})
            .expect("rendered");
        assert_eq!(encoded, "%C3%A9+a%26b%3Dc");
    }

    /// The keys template `text` names: `t("key")` calls, and the prefixes of keys made at
    /// render time (`t("orders-state-" ~ state)` names `orders-state-`).
    fn named_keys(text: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for (i, _) in text.match_indices("t(\"") {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `default("…")`, not `t("…")`
            }
            keys.push(text[i + 3..].chars().take_while(|c| *c != '"').collect());
        }
        keys
    }

    /// German covers the consumer pages (the part-1 templates): every key they name, and
    /// every key of the catalogue a prefix they build at render time starts.
    #[test]
    fn german_covers_the_consumer_pages() {
        let catalogue = Catalogue::built_in().expect("catalogues");
        let german = catalogue.keys(Locale::De);
        let english = catalogue.keys(Locale::En);
        let consumer = [
            render::SHARED,
            home::TEMPLATES,
            account::TEMPLATES,
            shop::TEMPLATES,
            cart::TEMPLATES,
            checkout::TEMPLATES,
            orders::TEMPLATES,
            wallet::TEMPLATES,
        ];
        let mut missing = Vec::new();
        for (name, text) in consumer.into_iter().flatten() {
            for key in named_keys(text) {
                let wanted: Vec<&String> = if key.ends_with('-') {
                    english.iter().filter(|k| k.starts_with(&key)).collect()
                } else {
                    english.iter().filter(|k| **k == key).collect()
                };
                for k in wanted {
                    if !german.contains(k) {
                        missing.push(format!("{name}: {k}"));
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "not in de.ftl: {missing:#?}");
    }

    /// No words in a template outside `t()`: everything between tags and `{{ }}`/`{% %}`
    /// blocks is blank or punctuation, and every key a template names is in both catalogues.
    #[test]
    fn templates_hold_no_words_of_their_own_and_name_known_keys() {
        let catalogue = Catalogue::built_in().expect("catalogues");
        for (name, text) in all_templates() {
            let mut outside = String::new();
            let mut rest = *text;
            // drop jinja blocks and comments, then tags, keep what is left
            while let Some(i) = rest.find(['{', '<']) {
                outside.push_str(&rest[..i]);
                let tail = &rest[i..];
                let close = if tail.starts_with("{{") {
                    "}}"
                } else if tail.starts_with("{%") {
                    "%}"
                } else if tail.starts_with("{#") {
                    "#}"
                } else if tail.starts_with("<script") {
                    "</script>"
                } else if tail.starts_with("<style") {
                    "</style>"
                } else if tail.starts_with('<') {
                    ">"
                } else {
                    outside.push('{');
                    rest = &tail[1..];
                    continue;
                };
                match tail.find(close) {
                    Some(j) => rest = &tail[j + close.len()..],
                    None => panic!("{name}: unclosed {close}"),
                }
            }
            outside.push_str(rest);
            let words: String = outside.chars().filter(|c| c.is_alphabetic()).collect();
            assert!(
                words.is_empty(),
                "{name} holds words outside t(): {:?}",
                outside.split_whitespace().collect::<Vec<_>>()
            );
            for key in named_keys(text) {
                if key.ends_with('-') {
                    // a key made at render time (`"error-" ~ kind ~ "-title"`): the module
                    // that fills it in checks its keys
                    continue;
                }
                for locale in PAGE_LOCALES {
                    assert!(
                        catalogue.has(locale, &key),
                        "{name}: `{key}` is not in {}.ftl",
                        locale.as_str()
                    );
                }
            }
        }
    }
}
