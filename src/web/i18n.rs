//! The pages' words: one Fluent catalogue per language (`templates/web/locales/fr.ftl`,
//! `en.ftl`, `de.ftl`), the format translators' tools read (Pontoon, Weblate). Templates hold
//! no words of their own: each is a `t("key")` call, and a test checks every key a template
//! names is in every catalogue, with the same keys in French and English.
//!
//! French is the first language; English the second; German (a Swiss deployment's second
//! language) the third. German falls back to English message by message: a key `de.ftl`
//! lacks (a page newer than its translation) is read in English, never shown as its key. A
//! test checks `de.ftl` covers the consumer pages and holds no key `en.ftl` lacks.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::mail::format::Locale;

/// The cookie the language switch sets.
pub const LANG_COOKIE: &str = "comptoir_lang";

const FR: &str = include_str!("../../templates/web/locales/fr.ftl");
const EN: &str = include_str!("../../templates/web/locales/en.ftl");
const DE: &str = include_str!("../../templates/web/locales/de.ftl");

/// The language asked of a reader who is not signed in: the cookie, then
/// `Accept-Language`, then the country's first language. Read without the database (the
/// error pages use it too).
pub fn asked_locale(req: &actix_web::HttpRequest, country: crate::deployment::Country) -> Locale {
    let speaks = |l: Locale| country.languages().contains(&l);
    if let Some(l) = req
        .cookie(LANG_COOKIE)
        .and_then(|c| Locale::parse(c.value()))
        .filter(|l| speaks(*l))
    {
        return l;
    }
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',') {
        let tag = part.split(';').next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        if let Some(l) = Locale::parse(&primary).filter(|l| speaks(*l)) {
            return l;
        }
    }
    country.languages()[0]
}

/// The language a page is written in for a reader of `locale`: each language has its
/// catalogue (German's missing messages are read in English, message by message).
pub fn page_locale(locale: Locale) -> Locale {
    locale
}

/// The languages pages are written in, in the order the language switch shows them.
pub const PAGE_LOCALES: [Locale; 3] = [Locale::Fr, Locale::De, Locale::En];

/// Every catalogue, parsed once at start-up.
pub struct Catalogue {
    fr: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
    de: FluentBundle<FluentResource>,
    /// The keys of each catalogue (for the completeness tests).
    keys: [(Locale, Vec<String>); 3],
}

fn bundle(lang: &str, source: &str) -> Result<(FluentBundle<FluentResource>, Vec<String>), String> {
    let id: LanguageIdentifier = lang.parse().map_err(|e| format!("{lang}: {e}"))?;
    let resource = FluentResource::try_new(source.to_string())
        .map_err(|(_, errors)| format!("{lang}.ftl does not parse: {errors:?}"))?;
    let keys = resource
        .entries()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // no Unicode isolation marks around arguments: the pages are left-to-right only, and
    // the marks would break copy-and-paste of amounts
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .map_err(|errors| format!("{lang}.ftl: {errors:?}"))?;
    Ok((bundle, keys))
}

impl Catalogue {
    /// The built-in catalogues; an error names the file and the fault (a start-up failure).
    pub fn built_in() -> Result<Catalogue, String> {
        Catalogue::with_german(DE)
    }

    /// The built-in French and English catalogues, and `german` as the German one.
    fn with_german(german: &str) -> Result<Catalogue, String> {
        let (fr, fr_keys) = bundle("fr", FR)?;
        let (en, en_keys) = bundle("en", EN)?;
        let (de, de_keys) = bundle("de", german)?;
        Ok(Catalogue {
            fr,
            en,
            de,
            keys: [
                (Locale::Fr, fr_keys),
                (Locale::En, en_keys),
                (Locale::De, de_keys),
            ],
        })
    }

    /// The catalogue holding `key` for a reader of `locale`: the language's own, or for
    /// German without the key, English's.
    fn bundle(&self, locale: Locale, key: &str) -> &FluentBundle<FluentResource> {
        match page_locale(locale) {
            Locale::En => &self.en,
            Locale::De if self.de.has_message(key) => &self.de,
            Locale::De => &self.en,
            Locale::Fr => &self.fr,
        }
    }

    /// The keys of `locale`'s own catalogue (without the ones it falls back for).
    pub fn keys(&self, locale: Locale) -> &[String] {
        let locale = page_locale(locale);
        self.keys
            .iter()
            .find(|(l, _)| *l == locale)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }

    /// Whether a reader of `locale` reads `key` (in their language or, for German, in
    /// English).
    pub fn has(&self, locale: Locale, key: &str) -> bool {
        self.bundle(locale, key).has_message(key)
    }

    /// The words of `key` in `locale` with `args`; a missing key is shown as itself (and
    /// logged), never as a blank.
    pub fn text(&self, locale: Locale, key: &str, args: &[(&str, Arg)]) -> String {
        let bundle = self.bundle(locale, key);
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(
                key,
                locale = locale.as_str(),
                "no such message in the catalogue"
            );
            return key.to_string();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(s) => fluent_args.set(*name, FluentValue::from(s.clone())),
                Arg::Number(n) => fluent_args.set(*name, FluentValue::from(*n)),
            }
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "a message could not be filled in");
        }
        text.into_owned()
    }
}

impl Catalogue {
    /// The words of `key` in `locale` when the message takes no value (most labels and
    /// buttons); `None` for a message that needs one, or a missing key. Pages keep these
    /// ready ([`super::render::Pages`]) rather than format them again on every page.
    pub fn fixed_text(&self, locale: Locale, key: &str) -> Option<String> {
        let bundle = self.bundle(locale, key);
        let pattern = bundle.get_message(key).and_then(|m| m.value())?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, None, &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }
}

/// A value filled into a message: words, or a whole number (plural forms choose by it).
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_parse_and_hold_the_same_keys() {
        let catalogue = Catalogue::built_in().expect("catalogues");
        let mut fr = catalogue.keys(Locale::Fr).to_vec();
        let mut en = catalogue.keys(Locale::En).to_vec();
        fr.sort();
        en.sort();
        let only_fr: Vec<_> = fr.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !fr.contains(k)).collect();
        assert!(only_fr.is_empty(), "only in fr.ftl: {only_fr:?}");
        assert!(only_en.is_empty(), "only in en.ftl: {only_en:?}");
        assert!(fr.len() > 20);
    }

    #[test]
    fn plurals_and_arguments() {
        let c = Catalogue::built_in().expect("catalogues");
        assert_eq!(
            c.text(Locale::Fr, "cart-count", &[("count", Arg::Number(1))]),
            "1 article"
        );
        assert_eq!(
            c.text(Locale::Fr, "cart-count", &[("count", Arg::Number(3))]),
            "3 articles"
        );
        assert_eq!(
            c.text(Locale::En, "cart-count", &[("count", Arg::Number(1))]),
            "1 item"
        );
        assert_eq!(
            c.text(Locale::De, "cart-count", &[("count", Arg::Number(2))]),
            "2 Artikel"
        );
        assert_eq!(c.text(Locale::Fr, "no-such-key", &[]), "no-such-key");
    }

    #[test]
    fn german_holds_no_key_english_lacks_and_falls_back_to_english() {
        let c = Catalogue::built_in().expect("catalogues");
        let en = c.keys(Locale::En);
        let extra: Vec<_> = c
            .keys(Locale::De)
            .iter()
            .filter(|k| !en.contains(k))
            .collect();
        assert!(extra.is_empty(), "only in de.ftl: {extra:?}");
        assert_eq!(c.text(Locale::De, "nav-cart", &[]), "Warenkorb");
        // a key German lacks (a page newer than its translation) is read in English
        let partial = Catalogue::with_german("nav-cart = Warenkorb\n").expect("catalogues");
        assert_eq!(partial.text(Locale::De, "nav-cart", &[]), "Warenkorb");
        assert!(partial.has(Locale::De, "nav-orders"));
        assert_eq!(partial.text(Locale::De, "nav-orders", &[]), "My orders");
        assert_eq!(
            partial.text(Locale::De, "cart-count", &[("count", Arg::Number(1))]),
            "1 item"
        );
        assert!(!partial.has(Locale::De, "no-such-key"));
    }
}
