//! Books to download, in every office that keeps some: a period picker (a `GET` form: the
//! first and last day, the SIREN a FEC is named after) and three downloads of one book
//! ([`Book`]) — the FEC and the Odoo CSV streamed page by page ([`export::stream`], as the
//! API's `…/accounting/fec` and `…/odoo.csv`), the trial balance as CSV
//! ([`balance::trial_balance`], as `…/accounting/balance.csv`).
//!
//! The office's module decides who may (the treasury: [`export::may_keep_books`]; a hub's or
//! a producer's own books: [`crate::auth::policy::Action::KeepEnterpriseBooks`]) before it
//! calls [`form`] or [`download`], which only read.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::error::WebError;
use super::render::Pages;
use super::session::Visitor;
use super::{field_errors_of, render_status};
use crate::accounting::books::Book;
use crate::accounting::{balance, export};
use crate::error::FieldError;
use crate::ledger::currencies;
use crate::state::{attachment, AppState};

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("books.html");

/// What the query of the form holds (every field optional: a bad one is an error beside it).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ExportQuery {
    pub format: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub siren: Option<String>,
}

/// An office's books page: which book, and how the page sits in its office.
#[derive(Debug, Clone)]
pub struct BooksPage {
    pub book: Book,
    /// The office's navigation template (`treasury_nav.html`, `hub_nav.html`, …), included
    /// with `office` in the context under `office_key`.
    pub nav: &'static str,
    pub office_key: &'static str,
    pub office: serde_json::Value,
    /// Where the form downloads from (`…/exports/download`).
    pub action: String,
    /// The catalogue key of the page's first paragraph, and the name it may say.
    pub lead: &'static str,
    pub name: String,
    /// The SIREN the FEC is named after, when the deployment knows it.
    pub siren: Option<String>,
}

#[derive(Serialize)]
struct FormPage<'a> {
    nav: &'static str,
    action: &'a str,
    lead: &'static str,
    name: &'a str,
    errors: serde_json::Value,
    values: ExportQuery,
    #[serde(flatten)]
    office: serde_json::Map<String, serde_json::Value>,
}

/// The period and format asked for, or the errors of the form's fields.
fn asked(
    query: &ExportQuery,
) -> Result<(&'static str, chrono::NaiveDate, chrono::NaiveDate, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let day = |field: &str, text: &Option<String>, errors: &mut Vec<FieldError>| {
        let text = text.as_deref().unwrap_or_default().trim();
        match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) => Some(day),
            Err(_) => {
                errors.push(FieldError::new(field, "not_a_date", "a day as YYYY-MM-DD"));
                None
            }
        }
    };
    let from = day("from", &query.from, &mut errors);
    let to = day("to", &query.to, &mut errors);
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            errors.push(FieldError::new(
                "to",
                "before_from",
                "not before the first day",
            ));
        }
    }
    let format = match query.format.as_deref() {
        Some("fec") => "fec",
        Some("odoo") => "odoo",
        _ => "balance",
    };
    let typed = query.siren.as_deref().unwrap_or_default();
    let siren = match crate::enterprises::identifiers::Siren::parse(typed) {
        Ok(siren) => siren.as_str().to_string(),
        Err(_) if format == "fec" => {
            errors.push(FieldError::new("siren", "invalid", "nine digits"));
            String::new()
        }
        Err(_) => String::new(),
    };
    match (from, to, errors.is_empty()) {
        (Some(from), Some(to), true) => Ok((format, from, to, siren)),
        _ => Err(errors),
    }
}

fn show(
    pages: &Pages,
    visitor: &Visitor,
    page: &BooksPage,
    errors: &[FieldError],
    values: ExportQuery,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let mut office = serde_json::Map::new();
    office.insert(page.office_key.to_string(), page.office.clone());
    render_status(
        pages,
        visitor,
        "books.html",
        FormPage {
            nav: page.nav,
            action: &page.action,
            lead: page.lead,
            name: &page.name,
            errors: field_errors_of(pages, visitor, "books", errors),
            values,
            office,
        },
        status,
    )
}

/// The period picker, this month so far by default.
pub fn form(pages: &Pages, visitor: &Visitor, page: &BooksPage) -> Result<HttpResponse, WebError> {
    let today =
        crate::time::local(crate::time::now(), pages.deployment.country.time_zone()).date_naive();
    let first = chrono::Datelike::with_day(&today, 1).unwrap_or(today);
    let values = ExportQuery {
        format: None,
        from: Some(first.to_string()),
        to: Some(today.to_string()),
        siren: page.siren.clone(),
    };
    show(pages, visitor, page, &[], values, StatusCode::OK)
}

/// The file asked for, or the form again with its errors (422).
pub async fn download(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    page: BooksPage,
    query: ExportQuery,
) -> Result<HttpResponse, WebError> {
    let (format, from, to, siren) = match asked(&query) {
        Ok(asked) => asked,
        Err(errors) => {
            return show(
                pages,
                visitor,
                &page,
                &errors,
                query,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let book = page.book;
    if format == "balance" {
        let csv = state
            .db
            .run(move |conn| -> Result<String, WebError> {
                let rows = balance::trial_balance(conn, &book, from, to)?;
                let legal = currencies::legal(conn)?;
                Ok(balance::TrialBalance::new(from, to, &rows, legal).csv()?)
            })
            .await?;
        let name = format!("balance-{from}-{to}.csv");
        return Ok(attachment("text/csv; charset=utf-8", &name).body(csv));
    }
    let kind = if format == "fec" {
        export::Format::Fec
    } else {
        export::Format::OdooCsv
    };
    let checked = book.clone();
    let start = state
        .db
        .run(move |conn| -> Result<String, WebError> {
            checked.validate_until(conn, to)?;
            Ok(export::start(conn, &checked, kind, from, to)?)
        })
        .await?;
    let body = futures_util::StreamExt::map(
        export::stream(state.db.clone(), book, kind, from, to, start),
        |page| {
            page.map(web::Bytes::from)
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))
        },
    );
    let (content_type, name) = if format == "fec" {
        (
            "text/plain; charset=utf-8",
            export::fec_file_name(&siren, to),
        )
    } else {
        ("text/csv; charset=utf-8", format!("moves-{from}-{to}.csv"))
    };
    Ok(attachment(content_type, &name).streaming(body))
}
