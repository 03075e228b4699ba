//! The euros owed for reconversions, in the treasurer's office of a currency association
//! ([`super::treasury`]): who is owed what, and recording a payout once it was paid.
//!
//! Every page is under `/treasury/{association}` and loads the association with
//! `super::treasury::office` (its treasurers and platform admins, `RunCurrency`, the policy
//! of `POST /api/v1/accounts/{account_id}/payouts`; anyone else 403).
//!
//! - `GET /treasury/{slug}/payouts`: the professionals owed euros for their reconversions of
//!   the association's currency (its euro payables with a balance, [`accounts::payables_owed`]),
//!   each with what is owed and a form to record a payout, and the latest payouts
//!   ([`history::recent_payouts`]).
//! - `POST /treasury/{slug}/payouts/{account}` (`amount-{account}`, `reference-{account}`,
//!   `entry`): records a payout ([`ops::reconversion_paid`], as `POST
//!   /api/v1/accounts/{account_id}/payouts`). The form carries the entry's id (a v7 UUID)
//!   chosen when the page is shown: sent twice, it records once. A bad amount, more than is
//!   owed, or no reference is answered 422 beside its field.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::error::WebError;
use super::i18n::page_locale;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::treasury::{office, Office};
use super::{redirect, render_status, NoticeQuery};
use crate::error::FieldError;
use crate::ledger::{accounts, currencies, history, journal, ops, LedgerError};
use crate::mail::format::mail_time;
use crate::money::{parse_amount, Sign};
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("treasury_payouts.html");

/// The latest payouts the page lists.
const RECENT_PAYOUTS: i64 = 20;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/treasury/{slug}/payouts", web::get().to(payouts_page))
        .route(
            "/treasury/{slug}/payouts/{account}",
            web::post().to(record_payout),
        );
}

/// What the page shows beside its lists: one row's form errors and values (answered 422),
/// or a notice.
struct Shown {
    errors: Vec<FieldError>,
    values: serde_json::Value,
    status: StatusCode,
    notice: Option<String>,
}

/// The page: every payable owed, each form with a fresh entry id (but the one posted, shown
/// again with its errors, keeps its own).
async fn show(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    office: &Office,
    shown: Shown,
) -> Result<HttpResponse, WebError> {
    let code = office.currency.code.clone();
    let zone = pages.deployment.country.time_zone();
    let values = shown.values.clone();
    let lists = state
        .db
        .run(move |conn| -> Result<serde_json::Value, WebError> {
            let legal = currencies::legal(conn)?;
            let owed: Vec<serde_json::Value> = accounts::payables_owed(conn, &code)?
                .into_iter()
                .map(|p| {
                    let id = p.account.id.clone();
                    let owed = legal.money(p.account.balance());
                    let field = |name: &str| format!("{name}-{id}");
                    let posted = values.get("account").and_then(|a| a.as_str()) == Some(&id);
                    let typed = |name: &str| -> Option<String> {
                        posted
                            .then(|| values.get(field(name)).and_then(|v| v.as_str()))
                            .flatten()
                            .map(str::to_string)
                    };
                    json!({
                        "id": id,
                        "name": p.enterprise_name,
                        "slug": p.enterprise_slug,
                        "owed": owed,
                        "amount": typed("amount").unwrap_or_else(|| owed.amount_string()),
                        "reference": typed("reference").unwrap_or_default(),
                        "entry": typed("entry")
                            .filter(|e| !e.is_empty())
                            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
                    })
                })
                .collect();
            let scales = history::scales(conn)?;
            let paid: Vec<serde_json::Value> =
                history::recent_payouts(conn, &code, RECENT_PAYOUTS)?
                    .into_iter()
                    .map(|p| {
                        json!({
                            "when": mail_time(p.created_at, zone),
                            "name": p.enterprise_name,
                            "amount": history::money(&scales, p.amount, &p.currency),
                            "reference": p.reference,
                        })
                    })
                    .collect();
            Ok(json!({"owed": owed, "paid": paid}))
        })
        .await?;
    render_status(
        pages,
        visitor,
        "treasury_payouts.html",
        json!({
            "office": office.json(),
            "owed": lists["owed"],
            "paid": lists["paid"],
            "errors": row_errors(pages, visitor, &shown.errors),
            "notice": shown.notice,
        }),
        shown.status,
    )
}

/// `GET /treasury/{slug}/payouts`.
pub async fn payouts_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let notice = pages.notice(
        page_locale(visitor.locale),
        query.notice.as_deref(),
        &[("paid", "treasury-payouts-notice")],
    );
    let shown = Shown {
        errors: Vec::new(),
        values: json!({}),
        status: StatusCode::OK,
        notice,
    };
    show(&state, &pages, &visitor, &office, shown).await
}

/// `POST /treasury/{slug}/payouts/{account}`: [`ops::reconversion_paid`], then the page with
/// a notice.
pub async fn record_payout(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, payable) = path.into_inner();
    let office = office(&state, reader, slug).await?;
    let entry = form.get("entry").to_string();
    if uuid::Uuid::parse_str(&entry).map(|u| u.get_version_num()) != Ok(7) {
        return Err(WebError::BadForm);
    }
    let typed = form.get(&format!("amount-{payable}")).to_string();
    let reference = form.get(&format!("reference-{payable}")).to_string();
    let mut errors = Vec::new();
    let legal_scale = state
        .db
        .run(|conn| currencies::legal(conn).map(|l| l.scale))
        .await?;
    let cleaned = typed
        .replace([' ', '\u{a0}', '\u{202f}'], "")
        .replace(',', ".");
    let amount = if cleaned.is_empty() {
        errors.push(FieldError::new("amount", "required", "enter an amount"));
        None
    } else {
        match parse_amount(&cleaned, legal_scale, Sign::Positive) {
            Ok(minor) => Some(minor),
            Err(e) => {
                errors.push(FieldError::new("amount", e.code(), e.to_string()));
                None
            }
        }
    };
    if reference.is_empty() {
        errors.push(FieldError::new(
            "reference",
            "required",
            "enter the payment's reference",
        ));
    } else if reference.chars().count() > journal::MAX_REFERENCE_CHARS {
        errors.push(FieldError::new(
            "reference",
            "too_long",
            "must be at most 200 characters",
        ));
    }
    let errors = match (amount, errors.is_empty()) {
        (Some(amount), true) => {
            let (who, code, id) = (
                reader.who(&req),
                office.currency.code.clone(),
                payable.clone(),
            );
            let done = state
                .db
                .run(move |conn| {
                    ops::reconversion_paid(conn, &who, &entry, &id, &code, amount, &reference)
                })
                .await;
            match done {
                Ok(_) => {
                    return Ok(redirect(&format!(
                        "/treasury/{}/payouts?notice=paid",
                        office.slug
                    )))
                }
                Err(LedgerError::InsufficientFunds { .. }) => vec![FieldError::new(
                    "amount",
                    "more_than_owed",
                    "more than is owed",
                )],
                Err(LedgerError::Invalid { field, message }) if field == "reference" => {
                    vec![FieldError::new("reference", "too_long", message)]
                }
                Err(LedgerError::Invalid { field, .. }) if field == "payable_id" => {
                    return Err(WebError::NotFound(format!("no payable {payable}")))
                }
                Err(other) => return Err(other.into()),
            }
        }
        _ => errors,
    };
    let mut values = form.values();
    values["account"] = json!(payable);
    values[format!("entry-{payable}")] = json!(form.get("entry"));
    let shown = Shown {
        errors: on_row(errors, &payable),
        values,
        status: StatusCode::UNPROCESSABLE_ENTITY,
        notice: None,
    };
    show(&state, &pages, &visitor, &office, shown).await
}

/// Field errors of one row's form: `amount` → `amount-<account>` (the field's id on the
/// page), the code kept so the catalogue's words are found by the field's own name.
fn on_row(errors: Vec<FieldError>, account: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = format!("{}-{account}", e.field);
            e
        })
        .collect()
}

/// The errors of a row's form in the catalogue's words
/// (`treasury-payouts-error-<field>-<code>`), else as the domain wrote them.
fn row_errors(pages: &Pages, visitor: &Visitor, errors: &[FieldError]) -> serde_json::Value {
    let locale = page_locale(visitor.locale);
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let field = e.field.split('-').next().unwrap_or_default();
            let key = format!(
                "treasury-payouts-error-{field}-{}",
                e.code.replace('_', "-")
            );
            json!({"field": e.field, "message": pages.text_or(locale, &key, &e.message)})
        })
        .collect();
    json!(list)
}
