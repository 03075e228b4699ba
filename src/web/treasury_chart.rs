//! The chart mapping in the treasurer's office ([`super::treasury`]): which accounting account
//! each ledger account is written to, the journals, the books' language and the accounts of
//! enterprise books — for whoever keeps the books ([`crate::accounting::export::may_keep_books`],
//! the policy of `GET|PUT /api/v1/accounting/chart`), loaded with
//! `super::treasury::books_office`.
//!
//! - `GET /treasury/{slug}/chart`: the deployment's chart ([`chart::get`]) as one form: each
//!   account rule (its kind in words, currency, code, label, auxiliary, a box to remove it),
//!   a new rule to add, the journal of each kind of entry, the books' language and the
//!   enterprise books' accounts and VAT rows.
//! - `POST /treasury/{slug}/chart`: the whole chart built from the form replaces the stored
//!   one ([`chart::replace`], as `PUT /api/v1/accounting/chart`, with who did it for the
//!   audit trail). [`chart::Chart::validate`]'s field errors (`account[3].code`,
//!   `journals.default`, `books.vat[0].rate`…) are shown beside the form's fields, 422,
//!   nothing written. Entries already validated keep the accounts they were validated with.
//! - `POST /treasury/{slug}/chart/reset`: first asks to confirm, then with `confirmed=yes`
//!   puts the country's defaults back ([`chart::Chart::preset`]).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::error::WebError;
use super::i18n::page_locale;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::treasury::{books_office, Office};
use super::{redirect, render_status, NoticeQuery};
use crate::accounting::chart::{
    self, AccountRule, BookAccount, Books, Chart, JournalRule, VatAccounts,
};
use crate::accounting::AccountingError;
use crate::error::FieldError;
use crate::ledger::accounts::AccountKind;
use crate::ledger::currencies;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("treasury_chart.html");

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/treasury/{slug}/chart", web::get().to(chart_page))
        .route("/treasury/{slug}/chart", web::post().to(save))
        .route("/treasury/{slug}/chart/reset", web::post().to(reset));
}

/// The accounts of enterprise books, by their name in [`Books`].
const BOOK_ACCOUNTS: [&str; 9] = [
    "customers",
    "customer_credit",
    "producers",
    "hubs",
    "bank",
    "local_cash",
    "commissions",
    "sales_journal",
    "bank_journal",
];

/// The accounts of a VAT rate, by their name in [`VatAccounts`].
const VAT_ACCOUNTS: [&str; 4] = ["goods", "fees", "collected", "deductible"];

/// A rule to add, as typed.
#[derive(Debug, Clone, Default)]
struct NewRule {
    kind: String,
    currency: String,
    code: String,
    label: String,
    auxiliary: bool,
}

/// The form: every rule as typed (those to remove still there), the rule to add, and the
/// rest of the chart.
#[derive(Debug, Clone)]
struct Posted {
    rules: Vec<AccountRule>,
    removed: Vec<bool>,
    new: NewRule,
    journals: BTreeMap<String, JournalRule>,
    books: Books,
    language: String,
}

impl Posted {
    /// The stored chart, as the form first shows it.
    fn of(stored: Chart, books: Books, language: String) -> Posted {
        Posted {
            removed: vec![false; stored.accounts.len()],
            rules: stored.accounts,
            new: NewRule::default(),
            journals: stored.journals,
            books: stored.books.unwrap_or(books),
            language: stored.language.unwrap_or(language),
        }
    }

    /// The form as posted; `None` when it is not this page's form.
    fn read(form: &Form) -> Option<Posted> {
        let count: usize = form.get("accounts").parse().ok()?;
        if count > 1000 {
            return None;
        }
        let mut rules = Vec::with_capacity(count);
        let mut removed = Vec::with_capacity(count);
        for i in 0..count {
            let field = |name: &str| form.get(&format!("account-{i}-{name}")).to_string();
            rules.push(AccountRule {
                kind: field("kind"),
                currency: Some(field("currency")).filter(|c| !c.is_empty()),
                ledger_account_id: Some(field("ledger")).filter(|c| !c.is_empty()),
                code: field("code"),
                label: field("label"),
                auxiliary: !field("auxiliary").is_empty(),
            });
            removed.push(!field("remove").is_empty());
        }
        let journals = form
            .0
            .iter()
            .filter_map(|(k, _)| k.strip_prefix("journal-")?.strip_suffix("-code"))
            .map(|kind| {
                let journal = JournalRule {
                    code: form.get(&format!("journal-{kind}-code")).to_string(),
                    label: form.get(&format!("journal-{kind}-label")).to_string(),
                };
                (kind.to_string(), journal)
            })
            .collect();
        let account = |prefix: &str| BookAccount {
            code: form.get(&format!("{prefix}-code")).to_string(),
            label: form.get(&format!("{prefix}-label")).to_string(),
        };
        let journal = |prefix: &str| JournalRule {
            code: form.get(&format!("{prefix}-code")).to_string(),
            label: form.get(&format!("{prefix}-label")).to_string(),
        };
        let vats: usize = form.get("vat").parse().ok()?;
        if vats > 100 {
            return None;
        }
        let vat = (0..vats)
            .map(|i| VatAccounts {
                rate: form.get(&format!("vat-{i}-rate")).replace(',', "."),
                goods: account(&format!("vat-{i}-goods")),
                fees: account(&format!("vat-{i}-fees")),
                collected: account(&format!("vat-{i}-collected")),
                deductible: account(&format!("vat-{i}-deductible")),
            })
            .collect();
        Some(Posted {
            rules,
            removed,
            new: NewRule {
                kind: form.get("new-kind").to_string(),
                currency: form.get("new-currency").to_string(),
                code: form.get("new-code").to_string(),
                label: form.get("new-label").to_string(),
                auxiliary: !form.get("new-auxiliary").is_empty(),
            },
            journals,
            books: Books {
                customers: account("books-customers"),
                customer_credit: account("books-customer_credit"),
                producers: account("books-producers"),
                hubs: account("books-hubs"),
                bank: account("books-bank"),
                local_cash: account("books-local_cash"),
                commissions: account("books-commissions"),
                sales_journal: journal("books-sales_journal"),
                bank_journal: journal("books-bank_journal"),
                vat,
            },
            language: form.get("language").to_string(),
        })
    }

    /// The chart to store, and the form's prefix of each of its rules (`account-3`, `new`).
    fn chart(&self) -> (Chart, Vec<String>) {
        let mut accounts = Vec::new();
        let mut prefixes = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if !self.removed.get(i).copied().unwrap_or(false) {
                accounts.push(rule.clone());
                prefixes.push(format!("account-{i}"));
            }
        }
        let new = &self.new;
        if !new.kind.is_empty() || !new.code.is_empty() || !new.label.is_empty() {
            accounts.push(AccountRule {
                kind: new.kind.clone(),
                currency: Some(new.currency.clone()).filter(|c| !c.is_empty()),
                ledger_account_id: None,
                code: new.code.clone(),
                label: new.label.clone(),
                auxiliary: new.auxiliary,
            });
            prefixes.push("new".into());
        }
        let chart = Chart {
            accounts,
            journals: self.journals.clone(),
            books: Some(self.books.clone()),
            language: Some(self.language.clone()),
        };
        (chart, prefixes)
    }
}

/// The form's field a [`Chart::validate`] error is about, and the words' group in the
/// catalogue (`treasury-mapping-error-<group>-<code>`).
fn form_field(domain: &str, prefixes: &[String]) -> (String, &'static str) {
    if let Some(rest) = domain.strip_prefix("account[") {
        let (index, name) = rest.split_once("].").unwrap_or((rest, ""));
        let prefix = index
            .parse::<usize>()
            .ok()
            .and_then(|i| prefixes.get(i))
            .cloned()
            .unwrap_or_else(|| "new".into());
        return match name {
            "kind" if prefix == "new" => ("new-kind".into(), "kind"),
            // an existing rule's kind is not typed: its code says which rule
            "kind" => (format!("{prefix}-code"), "kind"),
            "label" => (format!("{prefix}-label"), "label"),
            _ => (format!("{prefix}-code"), "code"),
        };
    }
    if let Some(kind) = domain.strip_prefix("journals.") {
        return (format!("journal-{kind}-code"), "journal");
    }
    if let Some(rest) = domain.strip_prefix("books.vat[") {
        let (index, name) = rest.split_once("].").unwrap_or((rest, ""));
        return match name {
            "rate" => (format!("vat-{index}-rate"), "rate"),
            _ => (format!("vat-{index}-{name}-code"), "book"),
        };
    }
    if let Some(name) = domain.strip_prefix("books.") {
        return (format!("books-{name}-code"), "book");
    }
    (domain.to_string(), "language")
}

/// The domain's errors beside the form's fields, in the catalogue's words when it has them.
fn errors_of(
    pages: &Pages,
    visitor: &Visitor,
    errors: &[FieldError],
    prefixes: &[String],
) -> serde_json::Value {
    let locale = page_locale(visitor.locale);
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let (field, group) = form_field(&e.field, prefixes);
            let key = format!(
                "treasury-mapping-error-{group}-{}",
                e.code.replace('_', "-")
            );
            json!({"field": field, "message": pages.text_or(locale, &key, &e.message)})
        })
        .collect();
    json!(list)
}

/// The words of `key`, else `fallback`.
fn words(pages: &Pages, visitor: &Visitor, key: &str, fallback: &str) -> String {
    pages.text_or(page_locale(visitor.locale), key, fallback)
}

/// A kind of ledger account in words (its code when the catalogue has none).
fn kind_words(pages: &Pages, visitor: &Visitor, kind: &str) -> String {
    let key = format!("treasury-mapping-kind-{}", kind.replace('_', "-"));
    words(pages, visitor, &key, kind)
}

/// What the page shows beside the form.
struct Shown {
    errors: serde_json::Value,
    status: StatusCode,
    notice: Option<String>,
    confirm_reset: bool,
}

async fn show(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    office: &Office,
    posted: &Posted,
    shown: Shown,
) -> Result<HttpResponse, WebError> {
    let codes: Vec<String> = state
        .db
        .run(|conn| currencies::list(conn).map(|l| l.into_iter().map(|c| c.code).collect()))
        .await?;
    let rules: Vec<serde_json::Value> = posted
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "prefix": format!("account-{i}"),
                "kind": r.kind,
                "kind_words": kind_words(pages, visitor, &r.kind),
                "currency": r.currency,
                "ledger": r.ledger_account_id,
                "code": r.code,
                "label": r.label,
                "auxiliary": r.auxiliary,
                "remove": posted.removed.get(i).copied().unwrap_or(false),
            })
        })
        .collect();
    let journals: Vec<serde_json::Value> = posted
        .journals
        .iter()
        .map(|(kind, j)| {
            let key = format!("treasury-mapping-entry-{}", kind.replace('_', "-"));
            json!({"kind": kind, "words": words(pages, visitor, &key, kind), "code": j.code, "label": j.label})
        })
        .collect();
    let b = &posted.books;
    let book_rows: Vec<serde_json::Value> = BOOK_ACCOUNTS
        .iter()
        .map(|name| {
            let (code, label) = match *name {
                "customers" => (&b.customers.code, &b.customers.label),
                "customer_credit" => (&b.customer_credit.code, &b.customer_credit.label),
                "producers" => (&b.producers.code, &b.producers.label),
                "hubs" => (&b.hubs.code, &b.hubs.label),
                "bank" => (&b.bank.code, &b.bank.label),
                "local_cash" => (&b.local_cash.code, &b.local_cash.label),
                "commissions" => (&b.commissions.code, &b.commissions.label),
                "sales_journal" => (&b.sales_journal.code, &b.sales_journal.label),
                _ => (&b.bank_journal.code, &b.bank_journal.label),
            };
            let key = format!("treasury-mapping-book-{}", name.replace('_', "-"));
            json!({"prefix": format!("books-{name}"), "words": words(pages, visitor, &key, name),
                   "code": code, "label": label})
        })
        .collect();
    let vat: Vec<serde_json::Value> = b
        .vat
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let accounts: Vec<serde_json::Value> = VAT_ACCOUNTS
                .iter()
                .zip([&v.goods, &v.fees, &v.collected, &v.deductible])
                .map(|(name, a)| {
                    let key = format!("treasury-mapping-vat-{name}");
                    json!({"prefix": format!("vat-{i}-{name}"), "words": words(pages, visitor, &key, name),
                           "code": a.code, "label": a.label})
                })
                .collect();
            json!({"index": i, "rate": v.rate, "accounts": accounts})
        })
        .collect();
    let kinds: Vec<serde_json::Value> = AccountKind::ALL
        .iter()
        .map(|k| json!({"value": k.as_str(), "words": kind_words(pages, visitor, k.as_str())}))
        .collect();
    let new = &posted.new;
    render_status(
        pages,
        visitor,
        "treasury_chart.html",
        json!({
            "office": office.json(),
            "rules": rules,
            "journals": journals,
            "books": book_rows,
            "vat": vat,
            "language": posted.language,
            "languages": chart::LANGUAGES,
            "kinds": kinds,
            "currencies": codes,
            "new": {"kind": new.kind, "currency": new.currency, "code": new.code,
                    "label": new.label, "auxiliary": new.auxiliary},
            "errors": shown.errors,
            "notice": shown.notice,
            "confirm_reset": shown.confirm_reset,
        }),
        shown.status,
    )
}

/// The stored chart, as the form shows it.
async fn stored(state: &AppState) -> Result<Posted, WebError> {
    Ok(state
        .db
        .run(|conn| -> Result<Posted, AccountingError> {
            let stored = chart::get(conn)?;
            let books = chart::books(conn)?;
            let language = chart::language(conn)?;
            Ok(Posted::of(stored, books, language))
        })
        .await?)
}

/// `GET /treasury/{slug}/chart`.
pub async fn chart_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let office = books_office(&state, &visitor, slug.into_inner()).await?;
    let locale = page_locale(visitor.locale);
    let notice = pages.notice(
        locale,
        query.notice.as_deref(),
        &[
            ("saved", "treasury-mapping-saved"),
            ("reset", "treasury-mapping-was-reset"),
        ],
    );
    let posted = stored(&state).await?;
    let shown = Shown {
        errors: json!([]),
        status: StatusCode::OK,
        notice,
        confirm_reset: false,
    };
    show(&state, &pages, &visitor, &office, &posted, shown).await
}

/// `POST /treasury/{slug}/chart`: [`chart::replace`] with the chart of the form.
pub async fn save(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let office = books_office(&state, &visitor, slug.into_inner()).await?;
    let reader = visitor.require()?;
    let posted = Posted::read(&form).ok_or(WebError::BadForm)?;
    let (new, prefixes) = posted.chart();
    let who = reader.who(&req);
    let done = state
        .db
        .run(move |conn| chart::replace(conn, &who, &new))
        .await;
    let errors = match done {
        Ok(()) => {
            return Ok(redirect(&format!(
                "/treasury/{}/chart?notice=saved",
                office.slug
            )))
        }
        Err(AccountingError::Invalid(invalid)) => invalid.0,
        Err(other) => return Err(other.into()),
    };
    let shown = Shown {
        errors: errors_of(&pages, &visitor, &errors, &prefixes),
        status: StatusCode::UNPROCESSABLE_ENTITY,
        notice: None,
        confirm_reset: false,
    };
    show(&state, &pages, &visitor, &office, &posted, shown).await
}

/// `POST /treasury/{slug}/chart/reset`: the question first, then with `confirmed=yes` the
/// country's defaults in place of the chart ([`chart::Chart::preset`]).
pub async fn reset(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let office = books_office(&state, &visitor, slug.into_inner()).await?;
    let reader = visitor.require()?;
    if form.get("confirmed") != "yes" {
        let posted = stored(&state).await?;
        let shown = Shown {
            errors: json!([]),
            status: StatusCode::OK,
            notice: None,
            confirm_reset: true,
        };
        return show(&state, &pages, &visitor, &office, &posted, shown).await;
    }
    let who = reader.who(&req);
    state
        .db
        .run(move |conn| -> Result<(), AccountingError> {
            let defaults = Chart::preset(conn)?;
            chart::replace(conn, &who, &defaults)
        })
        .await?;
    Ok(redirect(&format!(
        "/treasury/{}/chart?notice=reset",
        office.slug
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domains_fields_are_found_on_the_form() {
        let prefixes = vec!["account-0".to_string(), "account-2".into(), "new".into()];
        let cases = [
            ("account[1].code", "account-2-code"),
            ("account[1].label", "account-2-label"),
            ("account[0].kind", "account-0-code"),
            ("account[2].kind", "new-kind"),
            ("account[2].code", "new-code"),
            ("journals.default", "journal-default-code"),
            ("books.customers", "books-customers-code"),
            ("books.vat[3].rate", "vat-3-rate"),
            ("books.vat[0].goods", "vat-0-goods-code"),
            ("language", "language"),
        ];
        for (domain, field) in cases {
            assert_eq!(form_field(domain, &prefixes).0, field, "{domain}");
        }
    }
}
