//! Mail templates: for each mail a subject, a plain-text body and an HTML body per language,
//! in `templates/mail/{fr,de,en}/` (`NAME.subject`, `NAME.txt`, `NAME.html`, the HTML ones
//! extending `layout.html`). They are built into the binary; a deployment overrides any of
//! them by putting a file of the same relative name in `mail.templates_dir` — no rebuild.
//!
//! Rendering is strict: a value the template names but the mail does not carry is an error,
//! never a blank. HTML templates escape every value (minijinja's auto-escaping by file
//! extension); plain-text ones do not. Filters: `money` (`{"amount": "12.50", "currency":
//! "EUR"}` → `12,50 €` in French and German, `€12.50`), `number` (`5.5` → `5,5` in French and
//! German), `datetime` (a local time with its offset, `2026-11-26T18:00+01:00` → `jeudi 26
//! novembre 2026 à 18:00 (UTC+1)` / `Donnerstag, 26. November 2026 um 18:00 (UTC+1)`: every
//! time a mail shows is in the local time of the enterprise concerned —
//! [`format::mail_time`]) and `payment_method` (`bank_transfer` →
//! `virement bancaire` / `Banküberweisung` / `bank transfer`), all in the mail's language.

use std::path::PathBuf;

use minijinja::{Environment, State, UndefinedBehavior, Value};

use super::format::{self, Locale};

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[
            ("fr/layout.html", include_str!("../../templates/mail/fr/layout.html")),
            ("de/layout.html", include_str!("../../templates/mail/de/layout.html")),
            ("en/layout.html", include_str!("../../templates/mail/en/layout.html")),
            $(
                (concat!("fr/", $name, ".subject"), include_str!(concat!("../../templates/mail/fr/", $name, ".subject"))),
                (concat!("fr/", $name, ".txt"), include_str!(concat!("../../templates/mail/fr/", $name, ".txt"))),
                (concat!("fr/", $name, ".html"), include_str!(concat!("../../templates/mail/fr/", $name, ".html"))),
                (concat!("de/", $name, ".subject"), include_str!(concat!("../../templates/mail/de/", $name, ".subject"))),
                (concat!("de/", $name, ".txt"), include_str!(concat!("../../templates/mail/de/", $name, ".txt"))),
                (concat!("de/", $name, ".html"), include_str!(concat!("../../templates/mail/de/", $name, ".html"))),
                (concat!("en/", $name, ".subject"), include_str!(concat!("../../templates/mail/en/", $name, ".subject"))),
                (concat!("en/", $name, ".txt"), include_str!(concat!("../../templates/mail/en/", $name, ".txt"))),
                (concat!("en/", $name, ".html"), include_str!(concat!("../../templates/mail/en/", $name, ".html"))),
            )*
        ]
    };
}

/// Declares every mail once: its name in [`KINDS`] and its nine templates (three per
/// language) in [`EMBEDDED`].
macro_rules! mails {
    ($($name:literal),* $(,)?) => {
        /// Every mail Comptoir sends.
        pub const KINDS: &[&str] = &[$($name),*];
        /// The templates built into the binary, by relative name.
        const EMBEDDED: &[(&str, &str)] = embedded!($($name),*);
    };
}

mails!(
    "verify_email",
    "account_exists",
    "password_reset",
    "password_reset_unknown",
    "admin_setup",
    "order_confirmation",
    "order_new_for_hub",
    "order_cancelled",
    "producer_cycle_report",
    "topup_receipt",
    "topup_requested",
    "topup_refused",
    "reconversion_receipt",
    "professional_requested",
    "professional_decided",
);

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The template set of a deployment.
pub struct Templates {
    env: Environment<'static>,
    default_locale: Locale,
}

fn locale_of(state: &State) -> Locale {
    state
        .lookup("locale")
        .and_then(|v| v.as_str().and_then(Locale::parse))
        .unwrap_or(Locale::Fr)
}

fn money_filter(state: &State, value: Value) -> Result<String, minijinja::Error> {
    let bad = || {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "money expects {\"amount\": \"12.50\", \"currency\": \"EUR\"}",
        )
    };
    let amount = value.get_attr("amount").map_err(|_| bad())?;
    let currency = value.get_attr("currency").map_err(|_| bad())?;
    let (Some(amount), Some(currency)) = (amount.as_str(), currency.as_str()) else {
        return Err(bad());
    };
    Ok(format::money(amount, currency, locale_of(state)))
}

/// A way of paying in words: `bank_transfer` → `virement bancaire` / `Banküberweisung` /
/// `bank transfer` (an unknown one as it is).
fn payment_method_filter(state: &State, value: String) -> String {
    let words = match (value.as_str(), locale_of(state)) {
        ("bank_transfer", Locale::Fr) => "virement bancaire",
        ("bank_transfer", Locale::De) => "Banküberweisung",
        ("bank_transfer", Locale::En) => "bank transfer",
        ("cash", Locale::Fr) => "espèces",
        ("cash", Locale::De) => "Barzahlung",
        ("cash", Locale::En) => "cash",
        ("card", Locale::Fr) => "carte bancaire",
        ("card", Locale::De) => "Kartenzahlung",
        ("card", Locale::En) => "card",
        _ => return value,
    };
    words.to_string()
}

/// A decimal as the language writes it ([`format::decimal`]).
fn number_filter(state: &State, value: Value) -> String {
    format::decimal(&value.to_string(), locale_of(state))
}

fn datetime_filter(state: &State, value: String) -> Result<String, minijinja::Error> {
    let t = format::parse_local(&value).ok_or_else(|| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("datetime expects 2026-11-26T18:00, got {value}"),
        )
    })?;
    let words = format::datetime(t, locale_of(state));
    // a local time says its offset (`(UTC+1)`); a time marked `Z` says UTC; a bare one is
    // shown as it is
    Ok(match format::offset_words(&value) {
        Some(offset) if value.ends_with('Z') => format!("{words} {offset}"),
        Some(offset) => format!("{words} ({offset})"),
        None => words,
    })
}

/// A value written into a URL's query (`a b&c` → `a+b%26c`): minijinja's own `urlencode`
/// is a feature this build leaves out.
fn urlencode_filter(value: Value) -> String {
    let text = match value.as_str() {
        Some(s) => s.to_string(),
        None => value.to_string(),
    };
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Registers the filters every template of Comptoir shares, mails and pages alike: `money`,
/// `datetime`, `number` and `payment_method`, each in the language the render context names
/// as `locale`, and `urlencode`.
pub fn add_shared_filters(env: &mut Environment<'static>) {
    env.add_filter("urlencode", urlencode_filter);
    env.add_filter("money", money_filter);
    env.add_filter("datetime", datetime_filter);
    env.add_filter("number", number_filter);
    env.add_filter("payment_method", payment_method_filter);
}

impl Templates {
    /// The built-in templates, overridden file by file from `override_dir`.
    pub fn new(override_dir: Option<PathBuf>, default_locale: Locale) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        add_shared_filters(&mut env);
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
            Ok(EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| text.to_string()))
        });
        Templates {
            env,
            default_locale,
        }
    }

    /// Renders mail `kind` in `locale` (the default language when it is not one of ours).
    pub fn render(
        &self,
        kind: &str,
        locale: &str,
        payload: &serde_json::Value,
    ) -> Result<Rendered, String> {
        let locale = Locale::parse(locale).unwrap_or(self.default_locale);
        let mut context = payload.clone();
        match &mut context {
            serde_json::Value::Object(map) => {
                map.insert("locale".into(), locale.as_str().into());
            }
            _ => return Err(format!("the values of mail {kind} are not an object")),
        }
        let context = Value::from_serialize(&context);
        let part = |ext: &str| -> Result<String, String> {
            let name = format!("{}/{kind}.{ext}", locale.as_str());
            let template = self
                .env
                .get_template(&name)
                .map_err(|e| format!("template {name}: {e}"))?;
            template
                .render(&context)
                .map_err(|e| format!("template {name}: {e:#}"))
        };
        let subject = part("subject")?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Rendered {
            subject,
            text: part("txt")?,
            html: part("html")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_has_every_part_built_in() {
        for kind in KINDS {
            for locale in ["fr", "de", "en"] {
                for ext in ["subject", "txt", "html"] {
                    let name = format!("{locale}/{kind}.{ext}");
                    assert!(EMBEDDED.iter().any(|(n, _)| *n == name), "{name}");
                }
            }
        }
    }

    #[test]
    fn html_escapes_user_data_and_text_does_not() {
        let t = Templates::new(None, Locale::Fr);
        let payload = json!({"display_name": "<b>Ève</b> & co", "token": "t", "app_url": "https://x", "ttl_hours": 48});
        let r = t.render("verify_email", "fr", &payload).unwrap();
        assert!(
            r.html.contains("&lt;b&gt;Ève&lt;&#x2f;b&gt; &amp; co"),
            "{}",
            r.html
        );
        assert!(r.text.contains("<b>Ève</b> & co"));
        assert_eq!(r.subject, "Confirmez votre adresse e-mail");
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_blank() {
        let t = Templates::new(None, Locale::Fr);
        let err = t
            .render("verify_email", "en", &json!({"display_name": "A"}))
            .unwrap_err();
        assert!(err.contains("verify_email"), "{err}");
    }

    #[test]
    fn unknown_locales_use_the_default_and_overrides_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("en")).unwrap();
        std::fs::write(
            dir.path().join("en/account_exists.subject"),
            "Hi {{ display_name }}",
        )
        .unwrap();
        let t = Templates::new(Some(dir.path().to_path_buf()), Locale::En);
        let r = t
            .render("account_exists", "it", &json!({"display_name": "Ann"}))
            .unwrap();
        assert_eq!(r.subject, "Hi Ann");
        assert!(
            r.text.starts_with("Hello Ann"),
            "the other parts stay built in"
        );
    }
}
