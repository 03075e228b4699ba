//! The push of the books to Odoo, as the treasurer's office shows it (what `comptoir odoo
//! status` and `comptoir odoo retry` do on the server's machine), for whoever keeps the
//! books ([`crate::accounting::export::may_keep_books`]).
//!
//! - `GET /treasury/{slug}/odoo`: moves per state (sent, waiting, failed, in conflict, not
//!   seen yet), the sync running now and since when, the latest failures, every conflict
//!   with both sides, and the reconciliations Odoo refused ([`odoo::status()`]).
//! - `POST /treasury/{slug}/odoo/retry`: after a person fixed Odoo, makes one move (its
//!   number, `MLC2026-000052`) or every failed and conflicting move due at the next sync
//!   ([`odoo::retry`]). The sync itself runs in the background job, never in a request.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::error::WebError;
use super::i18n::page_locale;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::treasury::{books_office, Office};
use super::{field_errors_of, redirect, render_status, NoticeQuery};
use crate::accounting::odoo::{self, Retry, SyncStatus};
use crate::accounting::AccountingError;
use crate::error::FieldError;
use crate::mail::format::mail_time;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("treasury_odoo.html");

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/treasury/{slug}/odoo", web::get().to(status_page))
        .route("/treasury/{slug}/odoo/retry", web::post().to(retry));
}

#[derive(Serialize)]
struct OdooPage {
    office: serde_json::Value,
    status: SyncStatus,
    /// Who runs the sync now and since when, in words.
    running: Option<(String, String)>,
    errors: serde_json::Value,
    typed: String,
    notice: Option<String>,
}

/// What the page shows beside the status: the form's errors and its number as typed, or a
/// notice.
struct Shown {
    errors: Vec<FieldError>,
    typed: String,
    notice: Option<String>,
    status: StatusCode,
}

async fn show(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    office: Office,
    shown: Shown,
) -> Result<HttpResponse, WebError> {
    let sync = state.db.run(odoo::status).await?;
    let zone = pages.deployment.country.time_zone();
    let running = sync
        .running
        .as_ref()
        .map(|h| (h.who(), mail_time(h.since, zone)));
    render_status(
        pages,
        visitor,
        "treasury_odoo.html",
        OdooPage {
            office: office.json(),
            status: sync,
            running,
            errors: field_errors_of(pages, visitor, "treasury-odoo", &shown.errors),
            typed: shown.typed,
            notice: shown.notice,
        },
        shown.status,
    )
}

/// `GET /treasury/{slug}/odoo`.
pub async fn status_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let office = books_office(&state, &visitor, slug.into_inner()).await?;
    let notice = pages.notice(
        page_locale(visitor.locale),
        query.notice.as_deref(),
        &[("retried", "treasury-odoo-retried")],
    );
    let shown = Shown {
        errors: Vec::new(),
        typed: String::new(),
        notice,
        status: StatusCode::OK,
    };
    show(&state, &pages, &visitor, office, shown).await
}

/// `POST /treasury/{slug}/odoo/retry`: `move` (a move's number), or every failed and
/// conflicting move when it is empty.
pub async fn retry(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let office = books_office(&state, &visitor, slug.into_inner()).await?;
    let typed = form.get("move").to_string();
    let which = if typed.is_empty() {
        Retry::All
    } else {
        Retry::Move(typed.clone())
    };
    let done = state.db.run(move |conn| odoo::retry(conn, &which)).await;
    let errors = match done {
        Ok(_) => {
            return Ok(redirect(&format!(
                "/treasury/{}/odoo?notice=retried",
                office.slug
            )))
        }
        Err(AccountingError::NotFound(why)) | Err(AccountingError::Conflict(why)) => {
            vec![FieldError::new("move", "refused", why)]
        }
        Err(AccountingError::Invalid(invalid)) => invalid.0,
        Err(other) => return Err(other.into()),
    };
    let shown = Shown {
        errors,
        typed,
        notice: None,
        status: StatusCode::UNPROCESSABLE_ENTITY,
    };
    show(&state, &pages, &visitor, office, shown).await
}
