//! How a page fails: [`WebError`], one status each, and the friendly error pages (404, 403,
//! 409, 429, 500…) in the reader's language.
//!
//! A handler returns `Err(WebError)`; the error becomes a bare response of its status with
//! its detail in the response's extensions, and [`crate::api::middleware::request_context`]
//! turns every error response of a page's path that is not already HTML into [`page`] — so
//! a path nobody serves, a method nobody accepts and a failing handler all end on the same
//! page. A 5xx page shows the request id and never the cause (which is in the log).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use super::i18n::asked_locale;
use super::render::Pages;
use crate::auth::AuthError;
use crate::db::DbError;
use crate::error::{FieldError, Invalid};
use crate::ledger::LedgerError;
use crate::orders::OrderError;

/// Every way a page can fail.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The reader must sign in first: a redirect to the log-in page, then back to this path.
    #[error("sign in first")]
    SignIn(String),
    /// 422: values a form should show next to their fields (a handler that has a form
    /// renders it again instead; this page lists them).
    #[error("{}", crate::error::summary(.0))]
    Invalid(Vec<FieldError>),
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request cannot be done in the present state (the cycle closed, out of stock,
    /// not enough money); the detail is shown.
    #[error("{0}")]
    Refused(String),
    /// 403: the form's CSRF token is missing or wrong (an old tab, another site's form).
    #[error("the form's security token did not match")]
    Csrf,
    /// 400: not a form, or a form too large.
    #[error("the form could not be read")]
    BadForm,
    /// 429: too many attempts.
    #[error("too many attempts, retry in {retry_after_seconds} s")]
    Throttled { retry_after_seconds: u64 },
    /// 503: the database is unavailable.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug; the cause goes to the log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    pub fn internal(cause: impl std::fmt::Display) -> WebError {
        WebError::Internal(cause.to_string())
    }
}

/// What an error page says beside its status's words (in extensions of the bare response).
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn(_) => StatusCode::SEE_OTHER,
            WebError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Forbidden(_) | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Refused(_) => StatusCode::CONFLICT,
            WebError::BadForm => StatusCode::BAD_REQUEST,
            WebError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            WebError::SignIn(next) => {
                let target = format!(
                    "/login?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return response.insert_header((header::LOCATION, target)).finish();
            }
            WebError::Throttled {
                retry_after_seconds,
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            WebError::Internal(cause) | WebError::Unavailable(cause) => {
                tracing::error!(%cause, "page failed");
            }
            _ => {}
        }
        let mut response = response.finish();
        let detail = match self {
            WebError::Refused(d) => Some(d.clone()),
            WebError::Invalid(errors) => Some(
                errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(" · "),
            ),
            _ => None,
        };
        if let Some(detail) = detail {
            response.extensions_mut().insert(ErrorDetail(detail));
        }
        response
    }
}

/// Whether `path` belongs to the JSON API (its errors are problem+json), rather than to the
/// pages.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/problems")
        || matches!(path, "/openapi.json" | "/health" | "/ready" | "/metrics")
}

/// The error page of `status` for `req`, in the reader's language; `request_id` is shown on
/// a 5xx page.
pub fn page(
    req: &HttpRequest,
    status: StatusCode,
    request_id: &str,
    detail: Option<&str>,
) -> HttpResponse {
    let Some(pages) = req.app_data::<web::Data<Pages>>() else {
        return HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(format!("{status} ({request_id})"));
    };
    let locale = asked_locale(req, pages.deployment.country);
    let code = status.as_u16();
    let kind = match code {
        400 | 403 | 404 | 405 | 409 | 413 | 422 | 429 | 503 => code,
        c if c >= 500 => 500,
        _ => 400,
    };
    let context = json!({
        "status": code,
        "kind": kind,
        "detail": detail,
        "request_id": (code >= 500).then_some(request_id),
    });
    let page = super::render::page_context_anonymous(pages, locale, req.path());
    match pages.render(
        "error.html",
        super::i18n::page_locale(locale),
        page,
        &context,
    ) {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "the error page does not render");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(format!("{status} ({request_id})"))
        }
    }
}

impl From<Invalid> for WebError {
    fn from(e: Invalid) -> WebError {
        WebError::Invalid(e.0)
    }
}

impl From<DbError> for WebError {
    fn from(e: DbError) -> WebError {
        match e {
            DbError::Unavailable(cause) => WebError::Unavailable(cause),
            DbError::Task(cause) => WebError::Internal(cause),
        }
    }
}

impl From<diesel::result::Error> for WebError {
    fn from(e: diesel::result::Error) -> WebError {
        WebError::internal(e)
    }
}

impl From<AuthError> for WebError {
    fn from(e: AuthError) -> WebError {
        match e {
            AuthError::Invalid(invalid) => invalid.into(),
            AuthError::Unauthorized(detail) | AuthError::Forbidden(detail) => {
                WebError::Forbidden(detail)
            }
            AuthError::Throttled {
                retry_after_seconds,
            } => WebError::Throttled {
                retry_after_seconds,
            },
            AuthError::NotFound(detail) => WebError::NotFound(detail),
            AuthError::Db(e) => e.into(),
            AuthError::Unavailable(e) => e.into(),
            other => WebError::internal(other),
        }
    }
}

impl From<OrderError> for WebError {
    fn from(e: OrderError) -> WebError {
        match e {
            OrderError::Invalid(invalid) => invalid.into(),
            OrderError::NotFound(detail) => WebError::NotFound(detail),
            OrderError::Conflict(detail)
            | OrderError::CycleNotOpen(detail)
            | OrderError::OutOfStock(detail)
            | OrderError::OrderState(detail) => WebError::Refused(detail),
            OrderError::Auth(e) => e.into(),
            OrderError::Ledger(e) => e.into(),
            OrderError::Enterprise(e) => e.into(),
            OrderError::Catalog(e) => e.into(),
            OrderError::Db(e) => e.into(),
            OrderError::Unavailable(e) => e.into(),
            other => WebError::internal(other),
        }
    }
}

impl From<crate::enterprises::EnterpriseError> for WebError {
    fn from(e: crate::enterprises::EnterpriseError) -> WebError {
        use crate::enterprises::EnterpriseError as E;
        match e {
            E::Invalid(invalid) => invalid.into(),
            E::NotFound(detail) => WebError::NotFound(detail),
            E::Conflict(detail) => WebError::Refused(detail),
            E::Auth(e) => e.into(),
            E::Ledger(e) => e.into(),
            E::Db(e) => e.into(),
            E::Unavailable(e) => e.into(),
            other => WebError::internal(other),
        }
    }
}

impl From<crate::accounting::AccountingError> for WebError {
    fn from(e: crate::accounting::AccountingError) -> WebError {
        use crate::accounting::AccountingError as E;
        match e {
            E::Invalid(invalid) => invalid.into(),
            E::NotFound(detail) => WebError::NotFound(detail),
            E::Conflict(detail)
            | E::Unmapped(detail)
            | E::PeriodClosed(detail)
            | E::NothingToExport(detail) => WebError::Refused(detail),
            E::Auth(e) => e.into(),
            E::Ledger(e) => e.into(),
            E::Db(e) => e.into(),
            E::Unavailable(e) => e.into(),
            other => WebError::internal(other),
        }
    }
}

impl From<crate::catalog::CatalogError> for WebError {
    fn from(e: crate::catalog::CatalogError) -> WebError {
        use crate::catalog::CatalogError as E;
        match e {
            E::Invalid(invalid) => invalid.into(),
            E::NotFound(detail) => WebError::NotFound(detail),
            E::Conflict(detail) => WebError::Refused(detail),
            E::Auth(e) => e.into(),
            E::Enterprise(e) => e.into(),
            E::Ledger(e) => e.into(),
            E::Db(e) => e.into(),
            E::Unavailable(e) => e.into(),
            other => WebError::internal(other),
        }
    }
}

impl From<crate::association::AssociationError> for WebError {
    fn from(e: crate::association::AssociationError) -> WebError {
        use crate::association::AssociationError as E;
        match e {
            E::Invalid(invalid) => invalid.into(),
            E::NotFound(detail) => WebError::NotFound(detail),
            E::Conflict(detail) => WebError::Refused(detail),
            E::Auth(e) => e.into(),
            E::Ledger(e) => e.into(),
            E::Db(e) => e.into(),
            E::Unavailable(e) => e.into(),
            other => WebError::internal(other),
        }
    }
}

impl From<LedgerError> for WebError {
    fn from(e: LedgerError) -> WebError {
        let detail = e.to_string();
        match e {
            LedgerError::AccountNotFound(_)
            | LedgerError::CurrencyNotFound(_)
            | LedgerError::HoldNotFound(_)
            | LedgerError::EntryNotFound(_) => WebError::NotFound(detail),
            LedgerError::Invalid { field, message } => {
                WebError::Invalid(vec![FieldError::new(field, "invalid", message)])
            }
            LedgerError::CurrencyMismatch { .. } | LedgerError::Overflow => {
                WebError::Invalid(vec![FieldError::new("amount", "invalid", detail)])
            }
            LedgerError::AccountNotActive { .. }
            | LedgerError::InsufficientFunds { .. }
            | LedgerError::FlowNotAllowed(_)
            | LedgerError::ReconversionNotAllowed(_)
            | LedgerError::HoldResolved(_)
            | LedgerError::HoldExpired(_)
            | LedgerError::AlreadyReversed(_)
            | LedgerError::IdempotencyConflict(_) => WebError::Refused(detail),
            LedgerError::Unavailable(e) => e.into(),
            other => WebError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Catalogue;

    /// Every status the error page can show has its title and its words in each language.
    #[test]
    fn every_error_page_has_its_words() {
        let catalogue = Catalogue::built_in().expect("catalogues");
        for kind in [400, 403, 404, 405, 409, 413, 422, 429, 500, 503] {
            for part in ["title", "body"] {
                let key = format!("error-{kind}-{part}");
                for locale in crate::web::i18n::PAGE_LOCALES {
                    assert!(catalogue.has(locale, &key), "{key} in {}", locale.as_str());
                }
            }
        }
        for code in ["fr", "en", "de"] {
            assert!(catalogue.has(crate::mail::format::Locale::Fr, &format!("language-{code}")));
        }
    }

    #[test]
    fn api_paths_are_told_from_pages() {
        for api in [
            "/api/v1/orders",
            "/openapi.json",
            "/problems/x",
            "/health",
            "/ready",
            "/metrics",
        ] {
            assert!(is_api_path(api), "{api}");
        }
        for page in [
            "/",
            "/login",
            "/hubs/la-cagette",
            "/apiary",
            "/healthy-food",
        ] {
            assert!(!is_api_path(page), "{page}");
        }
    }
}
