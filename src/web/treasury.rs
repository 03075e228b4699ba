//! The treasurer's office of a currency association: the top-up queue, the professionals to
//! approve, refuse or suspend, and the statement of circulation against the guarantee fund
//! with its chart over time.
//!
//! Every page is under `/treasury/{association}` (the association's slug) and reads the
//! association's local currency; the association's treasurers (and platform admins) may read
//! them (`RunCurrency`), anyone else is refused (403).
//!
//! - `GET /treasury/{slug}`: the office's home — how many top-ups and professionals wait,
//!   and the statement's summary ([`crate::ledger::verify::statement`], as `GET
//!   /api/v1/currencies/{code}/statement`).
//! - `GET /treasury/{slug}/top-ups`: the pending queue ([`topups::queue`]);
//!   `POST …/top-ups/{id}/approve` ([`topups::approve`]: the issuance) and
//!   `POST …/top-ups/{id}/refuse` ([`topups::refuse`], with a reason), as the API's
//!   `POST /api/v1/topup-requests/{id}/approve|refuse`.
//!   `POST /treasury/{slug}/issuances`: issuing directly to a member (by email) against
//!   money received, without a request ([`topups::issue_directly`]: the issuance and the
//!   receipt of `POST /api/v1/currencies/{code}/issuances`), once per form shown.
//! - `GET /treasury/{slug}/professionals`: every enterprise that asked
//!   ([`professionals::list`]); `POST …/professionals/{enterprise}/approve|refuse|suspend`
//!   as the API's `POST /api/v1/currencies/{code}/professionals/{enterprise}/…`.
//! - `GET /treasury/{slug}/statement[?days=]`: the statement, a line chart of circulation
//!   and the fund over the last 30 (90, 365) days drawn here as inline SVG (two line styles,
//!   a legend and labels at the lines' ends, and the same figures as a table), and the day's
//!   movements ([`circulation::daily`], [`circulation::movements_of_day`]).
//! - `GET /treasury/{slug}/exports`: the deployment's books for a period (a `GET` form: the
//!   first and last day, the SIREN a FEC is named after), downloaded from
//!   `GET …/exports/download?format=fec|odoo|balance&from=&to=&siren=` — the FEC and the
//!   Odoo CSV streamed page by page ([`export::stream`], as `GET /api/v1/accounting/fec` and
//!   `…/odoo.csv`), the trial balance as CSV ([`balance::trial_balance`], as `GET
//!   /api/v1/accounting/balance.csv`). For those who keep the books
//!   ([`export::may_keep_books`]).
//!
//! The wallets, the ledger's audit and the accounting periods are in
//! [`super::treasury_more`], which loads the office with `office`; the euros owed for
//! reconversions and their payouts in [`super::treasury_payouts`]; the chart mapping in
//! [`super::treasury_chart`] and the push to Odoo in [`super::treasury_odoo`], for those
//! who keep the books (`books_office`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::books::{self, BooksPage, ExportQuery};
use super::error::WebError;
use super::render::Pages;
use super::session::{Form, Reader, Visitor};
use super::NoticeQuery;
use super::{redirect, render, render_status};
use crate::accounting::books::Book;
use crate::accounting::export;
use crate::association::{professionals, topups, AssociationError};
use crate::auth::policy::{authorize, Action};
use crate::error::FieldError;
use crate::ledger::currencies::{self, CurrencyRow};
use crate::ledger::{circulation, history, verify};
use crate::mail::format::mail_time;
use crate::pagination::PageParams;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "treasury.html",
    "treasury_nav.html",
    "treasury_summary.html",
    "treasury_topups.html",
    "treasury_professionals.html",
    "treasury_statement.html",
);

/// The top-ups the queue page shows at once.
const QUEUE_PAGE: u32 = 50;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/treasury/{slug}", web::get().to(home))
        .route("/treasury/{slug}/top-ups", web::get().to(topups_page))
        .route(
            "/treasury/{slug}/top-ups/{id}/{decision}",
            web::post().to(decide_topup),
        )
        .route("/treasury/{slug}/issuances", web::post().to(issue))
        .route(
            "/treasury/{slug}/professionals",
            web::get().to(professionals_page),
        )
        .route(
            "/treasury/{slug}/professionals/{enterprise}/{decision}",
            web::post().to(decide_professional),
        )
        .route("/treasury/{slug}/statement", web::get().to(statement))
        .route("/treasury/{slug}/exports", web::get().to(exports))
        .route("/treasury/{slug}/exports/download", web::get().to(download));
}

/// The association an office page is about.
#[derive(Debug, Clone)]
pub(super) struct Office {
    pub(super) slug: String,
    pub(super) name: String,
    pub(super) currency: CurrencyRow,
}

impl Office {
    pub(super) fn json(&self) -> serde_json::Value {
        json!({"slug": self.slug, "name": self.name, "currency": self.currency.code})
    }
}

/// The association `slug` and its local currency, for a reader who runs it (else 403; 404
/// when it is no currency association).
pub(super) async fn office(
    state: &AppState,
    reader: &Reader,
    slug: String,
) -> Result<Office, WebError> {
    let actor = reader.actor.clone();
    state
        .db
        .run(move |conn| -> Result<Office, WebError> {
            let not_found = || WebError::NotFound(format!("no currency association {slug}"));
            let id = crate::enterprises::find_id(conn, &slug)?.ok_or_else(not_found)?;
            let code = currencies::list(conn)?
                .into_iter()
                .find(|c| c.issuer_id.as_deref() == Some(id.as_str()))
                .map(|c| c.code)
                .ok_or_else(not_found)?;
            authorize(&actor, Action::RunCurrency { issuer_id: &id })?;
            let row = crate::enterprises::get_row(conn, &id)?;
            let currency = currencies::get(conn, &code)?;
            Ok(Office {
                slug: row.slug,
                name: row.name,
                currency,
            })
        })
        .await
}

/// The association `slug`'s office, for a reader who keeps the deployment's books
/// ([`export::may_keep_books`]): the exports, the ledger audit, the periods, the push to Odoo.
pub(super) async fn books_office(
    state: &AppState,
    visitor: &Visitor,
    slug: String,
) -> Result<Office, WebError> {
    let reader = visitor.require()?;
    let office = office(state, reader, slug).await?;
    let actor = reader.actor.clone();
    state
        .db
        .run(move |conn| export::may_keep_books(conn, &actor))
        .await?;
    Ok(office)
}

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[
    ("topup-approved", "treasury-notice-topup-approved"),
    ("topup-refused", "treasury-notice-topup-refused"),
    ("issued", "treasury-notice-issued"),
    (
        "professional-approved",
        "treasury-notice-professional-approved",
    ),
    (
        "professional-refused",
        "treasury-notice-professional-refused",
    ),
    (
        "professional-suspended",
        "treasury-notice-professional-suspended",
    ),
];

/// The statement's figures of `currency`, as the API's statement reads them.
fn summary(
    conn: &mut crate::db::DbConn,
    currency: &CurrencyRow,
) -> Result<serde_json::Value, WebError> {
    let report = conn.read_snapshot(|conn| verify::statement(conn, currency))?;
    let scales = history::scales(conn)?;
    let legal = currencies::legal(conn)?;
    Ok(json!({
        "circulation": history::money(&scales, report.circulation, &currency.code),
        "guarantee_fund": legal.money(report.fund_eur),
        "difference": legal.money(report.difference_eur),
        "short": report.difference_eur < 0,
        "held": history::money(&scales, report.held, &currency.code),
        "credit_outstanding": history::money(&scales, report.credit_outstanding, &currency.code),
    }))
}

/// `GET /treasury/{slug}`: what waits, and where the currency stands.
pub async fn home(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let (actor, currency) = (reader.actor.clone(), office.currency.clone());
    let values = state
        .db
        .run(move |conn| -> Result<serde_json::Value, WebError> {
            let page = PageParams {
                limit: Some(crate::pagination::MAX_LIMIT),
                after: None,
            };
            let pending = topups::queue(
                conn,
                &actor,
                &currency.code,
                Some(topups::State::Pending),
                None,
                &page,
            )?;
            let requested = professionals::list(
                conn,
                &actor,
                &currency.code,
                Some(professionals::State::Requested),
            )?;
            Ok(json!({
                "pending_topups": pending.items.len(),
                "more_topups": pending.next_cursor.is_some(),
                "requested_professionals": requested.len(),
                "statement": summary(conn, &currency)?,
            }))
        })
        .await?;
    let mut values = values;
    values["office"] = office.json();
    render(&pages, &visitor, "treasury.html", values)
}

/// What a page shows beside its list: a form's errors and values (answered 422), or a
/// notice.
struct Shown {
    errors: Vec<FieldError>,
    values: serde_json::Value,
    status: StatusCode,
    notice: Option<String>,
}

impl Shown {
    fn page(notice: Option<String>) -> Shown {
        Shown {
            errors: Vec::new(),
            values: json!({}),
            status: StatusCode::OK,
            notice,
        }
    }

    fn refused(errors: Vec<FieldError>, form: &Form) -> Shown {
        Shown {
            errors,
            values: form.values(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: None,
        }
    }
}

/// The pending queue's page, with `errors` (by field `reason-<id>`) and the values posted.
async fn queue_page(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    office: &Office,
    shown: Shown,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (actor, code) = (reader.actor.clone(), office.currency.code.clone());
    let zone = pages.deployment.country.time_zone();
    // the direct issuance's entry: the form posted again (an error) keeps its own
    let key = match shown.values.get("key").and_then(|k| k.as_str()) {
        Some(k) if !k.is_empty() => k.to_string(),
        _ => crate::time::new_id(),
    };
    let queue = state
        .db
        .run(move |conn| -> Result<serde_json::Value, WebError> {
            let page = PageParams {
                limit: Some(QUEUE_PAGE),
                after: None,
            };
            let pending = topups::queue(
                conn,
                &actor,
                &code,
                Some(topups::State::Pending),
                None,
                &page,
            )?;
            let mut rows = Vec::new();
            for t in pending.items {
                let member = crate::auth::users::find(conn, &t.user_id)?;
                rows.push(json!({
                    "id": t.id,
                    "number": t.number,
                    "member": member.display_name,
                    "email": member.email,
                    "amount": t.amount,
                    "to_pay": t.to_pay,
                    "method": t.method.as_str(),
                    "reference": t.reference,
                    "created_at": mail_time(t.created_at, zone),
                }));
            }
            Ok(json!({"items": rows, "more": pending.next_cursor.is_some()}))
        })
        .await?;
    render_status(
        pages,
        visitor,
        "treasury_topups.html",
        json!({
            "office": office.json(),
            "queue": queue,
            "errors": row_errors(pages, visitor, &shown.errors),
            "values": shown.values,
            "notice": shown.notice,
            "key": key,
        }),
        shown.status,
    )
}

/// `GET /treasury/{slug}/top-ups`: the pending requests, oldest first, each with its approve
/// and refuse forms.
pub async fn topups_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let text = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    queue_page(&state, &pages, &visitor, &office, Shown::page(text)).await
}

/// `POST /treasury/{slug}/top-ups/{id}/approve` ([`topups::approve`], with what was
/// received) or `…/refuse` ([`topups::refuse`], saying why).
pub async fn decide_topup(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id, decision) = path.into_inner();
    let approve = match decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(WebError::NotFound(format!("no decision {decision}"))),
    };
    let office = office(&state, reader, slug).await?;
    let (actor, who) = (reader.actor.clone(), reader.who(&req));
    let field = if approve {
        "received_reference"
    } else {
        "reason"
    };
    let text = form.get(&format!("{field}-{id}")).to_string();
    let topup_id = id.clone();
    let outcome = state
        .db
        .run(move |conn| {
            if approve {
                topups::approve(conn, &actor, &who, &topup_id, &text)
            } else {
                topups::refuse(conn, &actor, &who, &topup_id, &text)
            }
        })
        .await;
    let done = if approve { "approved" } else { "refused" };
    match outcome {
        Ok(_) => Ok(redirect(&format!(
            "/treasury/{}/top-ups?notice=topup-{done}",
            office.slug
        ))),
        Err(AssociationError::Invalid(invalid)) => {
            let errors = on_row(invalid.0, &id);
            queue_page(
                &state,
                &pages,
                &visitor,
                &office,
                Shown::refused(errors, &form),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /treasury/{slug}/issuances`: [`topups::issue_directly`], then the queue with a
/// notice.
pub async fn issue(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let key = form.get("key").to_string();
    if uuid::Uuid::parse_str(&key).is_err() {
        return Err(WebError::BadForm);
    }
    let mut errors = Vec::new();
    let method = topups::Method::parse(form.get("method"));
    if method.is_none() {
        errors.push(FieldError::new(
            "method",
            "required",
            "choose how it was paid",
        ));
    }
    let amount = form.get("amount").replace([' ', '\u{a0}', '\u{202f}'], "");
    if amount.is_empty() {
        errors.push(FieldError::new("amount", "required", "enter an amount"));
    }
    let (Some(method), true) = (method, errors.is_empty()) else {
        return queue_page(
            &state,
            &pages,
            &visitor,
            &office,
            Shown::refused(errors, &form),
        )
        .await;
    };
    let amount = crate::money::AmountInput {
        amount: amount.replace(',', "."),
        currency: office
            .currency
            .code
            .parse()
            .map_err(|_| WebError::Internal("a currency code".into()))?,
    };
    let (actor, who) = (reader.actor.clone(), reader.who(&req));
    let (code, email, reference) = (
        office.currency.code.clone(),
        form.get("email").to_string(),
        form.get("reference").to_string(),
    );
    let outcome = state
        .db
        .run(move |conn| {
            topups::issue_directly(
                conn, &actor, &who, &code, &key, &email, &amount, method, &reference,
            )
        })
        .await;
    match outcome {
        Ok(_) => Ok(redirect(&format!(
            "/treasury/{}/top-ups?notice=issued",
            office.slug
        ))),
        Err(AssociationError::Invalid(invalid)) => {
            let errors = invalid
                .0
                .into_iter()
                .map(|mut e| {
                    if e.field.starts_with("amount") {
                        e.field = "amount".into();
                    }
                    e
                })
                .collect();
            queue_page(
                &state,
                &pages,
                &visitor,
                &office,
                Shown::refused(errors, &form),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// Field errors of one row's form: `reason` → `reason-<id>` (the field's id on the page), the
/// code kept so the catalogue's words are found by the field's own name.
fn on_row(errors: Vec<FieldError>, id: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = format!("{}-{id}", e.field);
            e
        })
        .collect()
}

/// The errors of a row's form, with the words of the field they are about (`reason`,
/// `received_reference`).
fn row_errors(pages: &Pages, visitor: &Visitor, errors: &[FieldError]) -> serde_json::Value {
    let locale = super::i18n::page_locale(visitor.locale);
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let field = e.field.split('-').next().unwrap_or_default();
            let key = format!("treasury-error-{}", field.replace('_', "-"));
            json!({"field": e.field, "message": pages.text_or(locale, &key, &e.message)})
        })
        .collect();
    json!(list)
}

/// The professionals' page, with `errors` (by field `reason-<enterprise>`).
async fn professionals_view(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    office: &Office,
    shown: Shown,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (actor, code) = (reader.actor.clone(), office.currency.code.clone());
    let zone = pages.deployment.country.time_zone();
    let list = state
        .db
        .run(move |conn| professionals::list(conn, &actor, &code, None))
        .await?;
    let by_state = |wanted: professionals::State| -> Vec<serde_json::Value> {
        list.iter()
            .filter(|p| p.state == wanted)
            .map(|p| {
                json!({
                    "id": p.enterprise_id,
                    "name": p.enterprise_name,
                    "kind": p.kind,
                    "city": p.city,
                    "reason": p.reason,
                    "requested_at": p.requested_at.map(|t| mail_time(t, zone)),
                    "decided_at": p.decided_at.map(|t| mail_time(t, zone)),
                })
            })
            .collect()
    };
    use professionals::State as S;
    render_status(
        pages,
        visitor,
        "treasury_professionals.html",
        json!({
            "office": office.json(),
            "requested": by_state(S::Requested),
            "approved": by_state(S::Approved),
            "suspended": by_state(S::Suspended),
            "refused": by_state(S::Refused),
            "errors": row_errors(pages, visitor, &shown.errors),
            "values": shown.values,
            "notice": shown.notice,
        }),
        shown.status,
    )
}

/// `GET /treasury/{slug}/professionals`: who asked to take the currency, and where each
/// stands.
pub async fn professionals_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let text = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    professionals_view(&state, &pages, &visitor, &office, Shown::page(text)).await
}

/// `POST /treasury/{slug}/professionals/{enterprise}/{approve|refuse|suspend}`: the
/// association's decision ([`professionals::approve`], [`professionals::refuse`],
/// [`professionals::suspend`]).
pub async fn decide_professional(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, enterprise, decision) = path.into_inner();
    if !matches!(decision.as_str(), "approve" | "refuse" | "suspend") {
        return Err(WebError::NotFound(format!("no decision {decision}")));
    }
    let office = office(&state, reader, slug).await?;
    let (actor, who) = (reader.actor.clone(), reader.who(&req));
    let code = office.currency.code.clone();
    let reason = form
        .get(&format!("reason-{decision}-{enterprise}"))
        .to_string();
    let (id, what) = (enterprise.clone(), decision.clone());
    let outcome = state
        .db
        .run(move |conn| match what.as_str() {
            "approve" => professionals::approve(conn, &actor, &who, &code, &id),
            "refuse" => professionals::refuse(conn, &actor, &who, &code, &id, &reason),
            _ => professionals::suspend(conn, &actor, &who, &code, &id, &reason),
        })
        .await;
    let done = match decision.as_str() {
        "approve" => "approved",
        "refuse" => "refused",
        _ => "suspended",
    };
    match outcome {
        Ok(_) => Ok(redirect(&format!(
            "/treasury/{}/professionals?notice=professional-{done}",
            office.slug
        ))),
        Err(AssociationError::Invalid(invalid)) => {
            let errors = on_row(invalid.0, &format!("{decision}-{enterprise}"));
            professionals_view(
                &state,
                &pages,
                &visitor,
                &office,
                Shown::refused(errors, &form),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct StatementQuery {
    pub days: Option<u32>,
}

/// The periods the chart offers, in days.
const PERIODS: [u32; 3] = [30, 90, 365];

/// The chart's drawing box, in SVG user units.
const CHART_WIDTH: i64 = 640;
const CHART_HEIGHT: i64 = 260;
const CHART_LEFT: i64 = 8;
const CHART_TOP: i64 = 16;
const PLOT_WIDTH: i64 = 440;
const PLOT_HEIGHT: i64 = 200;

/// A polyline's points: `x,y x,y …` of `values` over the plot box, scaled to `max`.
fn polyline(values: &[i64], max: i64) -> String {
    let n = values.len().max(2) as i64 - 1;
    let max = max.max(1);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = CHART_LEFT + (i as i64) * PLOT_WIDTH / n;
            let y = CHART_TOP + PLOT_HEIGHT - (v.clamp(&0, &max) * PLOT_HEIGHT) / max;
            format!("{x},{y}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Circulation's value in minor units of the legal currency, at the currency's parity.
fn at_parity(minor: i64, currency: &CurrencyRow, legal_scale: u32) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    use rust_decimal::Decimal;
    let parity: Decimal = currency
        .parity_to_eur
        .as_deref()
        .unwrap_or("1")
        .parse()
        .unwrap_or(Decimal::ONE);
    let value = Decimal::new(minor, currency.decimals()) * parity;
    (value * Decimal::from(10i64.pow(legal_scale)))
        .trunc()
        .to_i64()
        .unwrap_or(i64::MAX)
}

/// `GET /treasury/{slug}/statement[?days=30|90|365]`: circulation against the fund, now and
/// over time, and today's movements.
pub async fn statement(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let days = query
        .days
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(PERIODS[0]);
    let zone = pages.deployment.country.time_zone();
    let currency = office.currency.clone();
    let actor = reader.actor.clone();
    let mut values = state
        .db
        .run(move |conn| -> Result<serde_json::Value, WebError> {
            authorize(
                &actor,
                Action::ReadStatement {
                    issuer_id: currency.issuer_id.as_deref().unwrap_or_default(),
                },
            )?;
            let today = crate::time::local(crate::time::now(), zone).date_naive();
            let (points, moves) = conn.read_snapshot(|conn| {
                Ok::<_, crate::ledger::LedgerError>((
                    circulation::daily(conn, &currency, today, days, zone)?,
                    circulation::movements_of_day(conn, &currency, today, zone)?,
                ))
            })?;
            let scales = history::scales(conn)?;
            let legal = currencies::legal(conn)?;
            let local = |minor: i64| history::money(&scales, minor, &currency.code);
            let circ: Vec<i64> = points
                .iter()
                .map(|p| at_parity(p.circulation, &currency, legal.scale))
                .collect();
            let fund: Vec<i64> = points.iter().map(|p| p.fund).collect();
            let top = circ.iter().chain(fund.iter()).copied().max().unwrap_or(0);
            // a round top for the axis: 1, 2 or 5 × 10^n of the legal currency's units
            let unit = 10i64.pow(legal.scale);
            let mut step = unit;
            let max = loop {
                if let Some(m) = [1, 2, 5]
                    .iter()
                    .map(|k| k * step)
                    .find(|m| *m >= top.max(unit))
                {
                    break m;
                }
                step = step.saturating_mul(10);
            };
            let y_of = |v: i64| CHART_TOP + PLOT_HEIGHT - v * PLOT_HEIGHT / max;
            let ticks: Vec<serde_json::Value> = [0, max / 2, max]
                .iter()
                .map(|v| json!({"y": y_of(*v), "label": legal.money(*v)}))
                .collect();
            let last_x = CHART_LEFT + PLOT_WIDTH;
            let rows: Vec<serde_json::Value> = points
                .iter()
                .rev()
                .map(|p| {
                    json!({
                        "day": p.day.to_string(),
                        "circulation": local(p.circulation),
                        "fund": legal.money(p.fund),
                    })
                })
                .collect();
            let movements: Vec<serde_json::Value> = moves
                .iter()
                .map(|m| {
                    json!({
                        "at": mail_time(m.at, zone),
                        "code": m.code,
                        "reference": m.reference,
                        "circulation": (m.circulation != 0).then(|| local(m.circulation.abs())),
                        "circulation_up": m.circulation > 0,
                        "fund": (m.fund != 0).then(|| legal.money(m.fund.abs())),
                        "fund_up": m.fund > 0,
                    })
                })
                .collect();
            Ok(json!({
                "statement": summary(conn, &currency)?,
                "legal": legal.code.as_str(),
                "chart": {
                    "width": CHART_WIDTH,
                    "height": CHART_HEIGHT,
                    "left": CHART_LEFT,
                    "right": last_x,
                    "bottom": CHART_TOP + PLOT_HEIGHT,
                    "circulation": polyline(&circ, max),
                    "fund": polyline(&fund, max),
                    "circulation_end": y_of(circ.last().copied().unwrap_or(0).clamp(0, max)),
                    "fund_end": y_of(fund.last().copied().unwrap_or(0).clamp(0, max)),
                    "ticks": ticks,
                    "first_day": points.first().map(|p| p.day.to_string()),
                    "last_day": points.last().map(|p| p.day.to_string()),
                },
                "rows": rows,
                "movements": movements,
                "today": today.to_string(),
            }))
        })
        .await?;
    values["office"] = office.json();
    values["days"] = days.into();
    values["periods"] = json!(PERIODS);
    render(&pages, &visitor, "treasury_statement.html", values)
}

/// The deployment's books, as this office shows them ([`super::books`]).
fn books_page(office: &Office) -> BooksPage {
    BooksPage {
        book: Book::Deployment,
        nav: "treasury_nav.html",
        office_key: "office",
        office: office.json(),
        action: format!("/treasury/{}/exports/download", office.slug),
        lead: "treasury-exports-lead",
        name: office.name.clone(),
        siren: None,
    }
}

/// `GET /treasury/{slug}/exports`: the period picker and the three downloads.
pub async fn exports(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let office = books_office(&state, &visitor, slug.into_inner()).await?;
    books::form(&pages, &visitor, &books_page(&office))
}

/// `GET /treasury/{slug}/exports/download`: the file asked for, or the form again with its
/// errors (422).
pub async fn download(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, WebError> {
    let office = books_office(&state, &visitor, slug.into_inner()).await?;
    books::download(
        &state,
        &pages,
        &visitor,
        books_page(&office),
        query.into_inner(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polyline_spans_the_plot_and_scales_to_its_top() {
        let line = polyline(&[0, 50, 100], 100);
        let top = CHART_TOP;
        let bottom = CHART_TOP + PLOT_HEIGHT;
        let right = CHART_LEFT + PLOT_WIDTH;
        assert_eq!(
            line,
            format!(
                "{CHART_LEFT},{bottom} {},{} {right},{top}",
                CHART_LEFT + PLOT_WIDTH / 2,
                CHART_TOP + PLOT_HEIGHT / 2
            )
        );
    }
}
