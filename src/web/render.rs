//! Rendering pages: the minijinja templates of `templates/web/` (built into the binary,
//! overridden file by file from `web.templates_dir`), the words of [`super::i18n`], the
//! filters the mails share (`money`, `datetime`, `number`, `payment_method`), and the one
//! stylesheet served under its content hash.
//!
//! Every page gets `locale` (the language it is written in), `page` (the reader: signed in or
//! not, their name, the CSRF token for its forms, the path, the stylesheet's address, the
//! languages to switch to) and what its handler gives. In a template, `t("key", name=value)`
//! gives the words of `key` in the page's language.

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, State, UndefinedBehavior};
use sha2::{Digest, Sha256};

use super::i18n::{Arg, Catalogue};
use crate::mail::format::Locale;

/// `web_templates!("a.html", "b.html")`: the templates of a module, built into the binary by
/// name (`templates/web/a.html`). Each page module lists its own; [`super::all_templates`] gathers
/// them.
#[macro_export]
macro_rules! web_templates {
    ($($name:literal),* $(,)?) => {
        &[
            $(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/web/", $name))),)*
        ]
    };
}

/// The templates every page shares.
pub const SHARED: &[(&str, &str)] =
    crate::web_templates!("layout.html", "macros.html", "error.html");

/// The stylesheet, built in.
pub const STYLESHEET: &str = include_str!("../../templates/web/static/comptoir.css");

/// What a page knows of its deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The legal currency's code (`EUR`, `CHF`).
    pub legal: String,
    pub country: crate::deployment::Country,
    /// Whether cookies carry `Secure` (the site is served over TLS: `mail.app_url` is
    /// `https://…`).
    pub secure_cookies: bool,
}

/// The page renderer of a server: templates, words and the stylesheet's address.
pub struct Pages {
    pub(super) env: Environment<'static>,
    pub catalogue: Arc<Catalogue>,
    pub deployment: Deployment,
    /// `/static/comptoir.<hash>.css`: a new stylesheet gets a new address, so it is cached
    /// for a year.
    pub stylesheet_path: String,
}

fn stylesheet_path() -> String {
    let hash = format!("{:x}", Sha256::digest(STYLESHEET.as_bytes()));
    format!("/static/comptoir.{}.css", &hash[..12])
}

/// The words of every message that takes no value, in every language, formatted once at
/// start-up: a shop page asks for its buttons' and labels' words hundreds of times.
struct FixedWords(Vec<(Locale, std::collections::HashMap<String, Value>)>);

impl FixedWords {
    fn of(catalogue: &Catalogue) -> FixedWords {
        let locales = [Locale::Fr, Locale::En, Locale::De];
        let mut keys: Vec<&String> = locales.iter().flat_map(|l| catalogue.keys(*l)).collect();
        keys.sort();
        keys.dedup();
        FixedWords(
            locales
                .iter()
                .map(|locale| {
                    let words = keys
                        .iter()
                        .filter_map(|key| {
                            let text = catalogue.fixed_text(*locale, key)?;
                            Some(((*key).clone(), Value::from(text)))
                        })
                        .collect();
                    (*locale, words)
                })
                .collect(),
        )
    }

    fn get(&self, locale: Locale, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(l, _)| *l == locale)
            .and_then(|(_, words)| words.get(key))
    }
}

fn locale_of(state: &State) -> Locale {
    state
        .lookup("locale")
        .and_then(|v| v.as_str().and_then(Locale::parse))
        .unwrap_or(Locale::Fr)
}

impl Pages {
    /// The built-in templates (overridden from `override_dir`) and catalogues.
    pub fn new(
        override_dir: Option<PathBuf>,
        deployment: Deployment,
        templates: Vec<&'static (&'static str, &'static str)>,
    ) -> Result<Pages, String> {
        let catalogue = Arc::new(Catalogue::built_in()?);
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        crate::mail::templates::add_shared_filters(&mut env);
        let words = catalogue.clone();
        let fixed = FixedWords::of(&catalogue);
        env.add_function(
            "t",
            move |state: &State, key: &str, kwargs: Kwargs| -> Result<Value, minijinja::Error> {
                let locale = locale_of(state);
                if kwargs.args().next().is_none() {
                    if let Some(text) = fixed.get(locale, key) {
                        return Ok(text.clone());
                    }
                }
                let mut args = Vec::new();
                for name in kwargs.args() {
                    let value: Value = kwargs.get(name)?;
                    let arg = match value.as_i64() {
                        Some(n) if value.is_integer() => Arg::Number(n),
                        _ => Arg::Text(value.to_string()),
                    };
                    args.push((name, arg));
                }
                Ok(Value::from(words.text(locale, key, &args)))
            },
        );
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                let path = dir.join(name);
                if path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::TemplateNotFound,
                            format!("{}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(templates
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| text.to_string()))
        });
        Ok(Pages {
            env,
            catalogue,
            deployment,
            stylesheet_path: stylesheet_path(),
        })
    }

    /// Renders template `name` with `page` (the reader, [`super::page_context`]) and the
    /// values of `context` (a struct or a map) in `locale`. The values are serialised
    /// straight into the template's own, once.
    pub fn render<T: serde::Serialize + ?Sized>(
        &self,
        name: &str,
        locale: Locale,
        page: serde_json::Value,
        context: &T,
    ) -> Result<String, String> {
        let values = Value::from_serialize(context);
        if values.kind() != minijinja::value::ValueKind::Map {
            return Err(format!("the values of page {name} are not an object"));
        }
        let context = minijinja::context! {
            locale => locale.as_str(),
            page => Value::from_serialize(&page),
            ..values
        };
        let template = self
            .env
            .get_template(name)
            .map_err(|e| format!("template {name}: {e:#}"))?;
        template
            .render(context)
            .map_err(|e| format!("template {name}: {e:#}"))
    }

    /// The words of `key` in `locale` (for what a handler writes itself: a redirect's notice,
    /// a field's message).
    pub fn text(&self, locale: Locale, key: &str) -> String {
        self.catalogue.text(locale, key, &[])
    }

    /// A redirect's `?notice=` in words: the key that `known` pairs with `suffix` (each page
    /// module's table), nothing for any other suffix — a notice is never text taken from the
    /// address.
    pub fn notice(
        &self,
        locale: Locale,
        suffix: Option<&str>,
        known: &[(&str, &str)],
    ) -> Option<String> {
        let suffix = suffix?;
        let (_, key) = known.iter().find(|(s, _)| *s == suffix)?;
        Some(self.text(locale, key))
    }

    /// The words of `key`, or `fallback` when the catalogue has none (an error's own
    /// message, a code shown as it is).
    pub fn text_or(&self, locale: Locale, key: &str, fallback: &str) -> String {
        if self.catalogue.has(locale, key) {
            self.text(locale, key)
        } else {
            fallback.to_string()
        }
    }
}

/// The `page` object every template gets, for a reader not known (the error pages).
pub fn page_context_anonymous(pages: &Pages, locale: Locale, path: &str) -> serde_json::Value {
    serde_json::json!({
        "signed_in": false,
        "name": null,
        "offices": false,
        "csrf": "",
        "path": path,
        "stylesheet": pages.stylesheet_path,
        "lang": super::i18n::page_locale(locale).as_str(),
        "languages": languages(pages, locale),
    })
}

/// The languages the switch offers (the deployment's country's that have a catalogue), the
/// one of the page marked `current`.
pub fn languages(pages: &Pages, locale: Locale) -> Vec<serde_json::Value> {
    let current = super::i18n::page_locale(locale);
    super::i18n::PAGE_LOCALES
        .iter()
        .filter(|l| pages.deployment.country.languages().contains(l))
        .map(|l| serde_json::json!({"code": l.as_str(), "current": *l == current}))
        .collect()
}
