//! The producer's money and deliveries in its office: what to deliver cycle by cycle, its
//! wallets and their balances, its payment requests with their QR codes (what a member scans
//! to pay at the stall: `/pay/{id}`).
//!
//! - `GET /producer/{slug}/deliveries`: the last cycles with orders of its products, per
//!   cycle its products' quantities and totals ([`reports::producer_deliveries`], the
//!   `supplier_totals` report's rows of this producer), for its owners and managers
//!   ([`Action::ManageEnterprise`]).
//! - `GET /producer/{slug}/wallets`: the API's `GET /api/v1/enterprises/{id}/accounts`
//!   ([`accounts::list_for_owner`], [`Action::ListEnterpriseAccounts`]), each account's
//!   history a link to the wallet's CSV when the reader may read it.
//! - `GET /producer/{slug}/payment-requests`: the API's list
//!   ([`payment_requests::list`], which asks [`Action::RequestPayments`]);
//!   `GET /producer/{slug}/payment-requests/{id}/qr.svg`: a request's QR code, drawn as the
//!   API's `…/qr.svg` draws it, with the cookie session.
//! - `GET /producer/{slug}/books` and `…/books/download`: the producer's own books
//!   ([`super::books`], `Book::Enterprise`), for its owners and treasurers
//!   ([`Action::KeepEnterpriseBooks`], as `GET /api/v1/enterprises/{id}/accounting/…`).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::books::{self, BooksPage, ExportQuery};
use super::error::WebError;
use super::render;
use super::render::Pages;
use super::session::{Reader, Visitor};
use crate::accounting::books::Book;
use crate::association::payment_requests;
use crate::auth::policy::{authorize, Action};
use crate::enterprises::{self, EnterpriseKind, EnterpriseRow};
use crate::ledger::accounts::{self, Owner};
use crate::ledger::history;
use crate::orders::reports;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "producer_wallets.html",
    "producer_payment_requests.html",
    "producer_deliveries.html",
    "producer_nav.html",
);

/// Cycles the deliveries page shows.
const DELIVERY_CYCLES: usize = 12;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/producer/{slug}/deliveries", web::get().to(deliveries))
        .route("/producer/{slug}/wallets", web::get().to(wallets))
        .route("/producer/{slug}/payment-requests", web::get().to(requests))
        .route(
            "/producer/{slug}/payment-requests/{id}/qr.svg",
            web::get().to(request_qr),
        )
        .route("/producer/{slug}/books", web::get().to(books_form))
        .route(
            "/producer/{slug}/books/download",
            web::get().to(books_download),
        );
}

/// The producer the path names, as the reader may see it (404 when it is not a producer or
/// is hidden from the reader); each page then asks the policy for its own action.
pub(super) async fn producer(
    state: &AppState,
    reader: &Reader,
    slug: String,
) -> Result<EnterpriseRow, WebError> {
    let actor = reader.actor.clone();
    let row = state
        .db
        .run(move |conn| -> Result<EnterpriseRow, WebError> {
            let id = enterprises::resolve(conn, &actor, &slug)?;
            Ok(enterprises::get_row(conn, &id)?)
        })
        .await?;
    if !EnterpriseKind::parse(&row.kind).is_some_and(EnterpriseKind::is_producer) {
        return Err(WebError::NotFound(format!(
            "`{}` is not a producer",
            row.slug
        )));
    }
    Ok(row)
}

fn enterprise_json(row: &EnterpriseRow) -> serde_json::Value {
    json!({"name": row.name, "slug": row.slug, "base": format!("/producer/{}", row.slug)})
}

/// `GET /producer/{slug}/wallets`.
pub async fn wallets(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<super::NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = producer(&state, reader, slug.into_inner()).await?;
    authorize(
        &reader.actor,
        Action::ListEnterpriseAccounts {
            enterprise_id: &row.id,
        },
    )?;
    let id = row.id.clone();
    let list = state
        .db
        .run(move |conn| -> Result<Vec<serde_json::Value>, WebError> {
            let rows = accounts::list_for_owner(conn, &Owner::Enterprise(id.into()))?;
            let scales = history::scales(conn)?;
            Ok(rows
                .iter()
                .map(|a| {
                    json!({
                        "id": a.id,
                        "currency": a.currency,
                        "kind": a.kind,
                        "balance": history::money(&scales, a.balance(), &a.currency),
                        "set_aside": history::money(&scales, a.debits_pending, &a.currency),
                        "has_holds": a.debits_pending != 0,
                        "status": a.status,
                    })
                })
                .collect())
        })
        .await?;
    render(
        &pages,
        &visitor,
        "producer_wallets.html",
        json!({
            "enterprise": enterprise_json(&row),
            "accounts": list,
            "notice": (query.notice.as_deref() == Some("reconverted"))
                .then(|| pages.text(super::i18n::page_locale(visitor.locale), "producer-notice-reconverted")),
        }),
    )
}

/// `GET /producer/{slug}/payment-requests`.
pub async fn requests(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = producer(&state, reader, slug.into_inner()).await?;
    let (actor, id, app_url) = (reader.actor.clone(), row.id.clone(), state.app_url.clone());
    let list = state
        .db
        .run(move |conn| payment_requests::list(conn, &actor, &id, &app_url))
        .await?;
    let list: Vec<serde_json::Value> = list
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "label": r.label,
                "currency": r.currency,
                "amount": r.amount,
                "reusable": r.reusable,
                "state": r.state.as_str(),
                "payments": r.payments,
                "received": r.received,
                "url": r.url,
                "path": format!("/pay/{}", r.id),
            })
        })
        .collect();
    render(
        &pages,
        &visitor,
        "producer_payment_requests.html",
        json!({"enterprise": enterprise_json(&row), "requests": list}),
    )
}

/// `GET /producer/{slug}/payment-requests/{id}/qr.svg`: the request's QR code (its URL).
pub async fn request_qr(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = producer(&state, reader, slug).await?;
    let (actor, app_url) = (reader.actor.clone(), state.app_url.clone());
    let bytes = state
        .db
        .run(move |conn| -> Result<Vec<u8>, WebError> {
            let request = payment_requests::get(conn, &actor, &id, &app_url)?;
            if request.enterprise_id != row.id {
                return Err(WebError::NotFound(format!(
                    "no payment request `{id}` here"
                )));
            }
            crate::banking::draw(&request.code(), crate::banking::Picture::Svg)
                .map_err(WebError::internal)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// `GET /producer/{slug}/deliveries`.
pub async fn deliveries(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = producer(&state, reader, slug.into_inner()).await?;
    authorize(
        &reader.actor,
        Action::ManageEnterprise {
            enterprise_id: &row.id,
        },
    )?;
    let id = row.id.clone();
    let list = state
        .db
        .run(move |conn| -> Result<Vec<serde_json::Value>, WebError> {
            let legal = crate::ledger::currencies::legal(conn)?;
            let found = reports::producer_deliveries(conn, &id, DELIVERY_CYCLES)?;
            Ok(found
                .into_iter()
                .map(|d| {
                    json!({
                        "cycle": d.cycle.name,
                        "hub": d.hub_name,
                        "closes_at": crate::mail::format::mail_time(d.cycle.closes_at, &d.cycle.time_zone),
                        "total": legal.money(d.total_minor),
                        "lines": d.lines.iter().map(|l| json!({
                            "name": l.name,
                            "unit": l.unit,
                            "quantity": l.quantity,
                            "total": legal.money(l.total_minor),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect())
        })
        .await?;
    render(
        &pages,
        &visitor,
        "producer_deliveries.html",
        json!({"enterprise": enterprise_json(&row), "cycles": list}),
    )
}

/// The producer's own books, as [`super::books`] shows them.
async fn books_page(
    state: &AppState,
    visitor: &Visitor,
    slug: String,
) -> Result<BooksPage, WebError> {
    let reader = visitor.require()?;
    let row = producer(state, reader, slug).await?;
    authorize(
        &reader.actor,
        Action::KeepEnterpriseBooks {
            enterprise_id: &row.id,
        },
    )?;
    let id = row.id.clone();
    let siren = state
        .db
        .run(move |conn| crate::accounting::books::siren_of(conn, &id))
        .await?;
    Ok(BooksPage {
        book: Book::Enterprise(row.id.clone()),
        nav: "producer_nav.html",
        office_key: "enterprise",
        office: enterprise_json(&row),
        action: format!("/producer/{}/books/download", row.slug),
        lead: "books-lead-enterprise",
        name: row.name.clone(),
        siren,
    })
}

/// `GET /producer/{slug}/books`.
pub async fn books_form(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let page = books_page(&state, &visitor, slug.into_inner()).await?;
    books::form(&pages, &visitor, &page)
}

/// `GET /producer/{slug}/books/download`.
pub async fn books_download(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, WebError> {
    let page = books_page(&state, &visitor, slug.into_inner()).await?;
    books::download(&state, &pages, &visitor, page, query.into_inner()).await
}
