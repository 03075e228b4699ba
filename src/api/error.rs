//! The one error type of the HTTP API and its one mapping to RFC 9457 `application/problem+json`.
//!
//! Every problem has a stable `type` (`/problems/<slug>`, documented at `GET /problems/{slug}`
//! and in the README), a `title` that never changes for that type, the HTTP `status`, and a
//! `detail` written for the person who has to act on it. Validation problems list each bad
//! field in `errors`. Internal errors never show their cause: the client gets the request id
//! and the cause goes to the log under the same id.

use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::views;
use crate::error::{summary, FieldError, Invalid};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> ApiError {
        ApiError::validation(e.0)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable URI reference identifying the kind of problem.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<views::FieldError>,
    /// Set on internal errors: quote it when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Every way a request can fail. Each variant maps to exactly one status and problem type.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, bad query string…).
    #[error("{detail}")]
    BadRequest { kind: ProblemKind, detail: String },
    /// 422: the request was read but some values are not acceptable.
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the resource does not exist (or is not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the current state.
    #[error("{detail}")]
    Conflict { kind: ProblemKind, detail: String },
    /// 413: the body is larger than the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: too many attempts; retry after the given seconds.
    #[error("too many requests, retry in {retry_after_seconds} s")]
    TooManyRequests { retry_after_seconds: u64 },
    /// 503: a dependency (the database) is unavailable. The cause is logged, not shown.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. The cause is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn internal(cause: impl fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
    }

    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        ApiError::Validation {
            detail: summary(&errors),
            errors,
        }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::validation(vec![FieldError::new(field, code, message)])
    }

    fn kind(&self) -> ProblemKind {
        match self {
            ApiError::BadRequest { kind, .. } | ApiError::Conflict { kind, .. } => *kind,
            ApiError::Validation { .. } => ProblemKind::Validation,
            ApiError::Unauthorized(_) => ProblemKind::Unauthorized,
            ApiError::Forbidden(_) => ProblemKind::Forbidden,
            ApiError::NotFound(_) => ProblemKind::NotFound,
            ApiError::PayloadTooLarge(_) => ProblemKind::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ProblemKind::UnsupportedMediaType,
            ApiError::TooManyRequests { .. } => ProblemKind::TooManyRequests,
            ApiError::Unavailable(_) => ProblemKind::Unavailable,
            ApiError::Internal(_) => ProblemKind::Internal,
        }
    }

    /// The problem document for this error (what the client sees).
    pub fn problem(&self) -> Problem {
        let kind = self.kind();
        let (detail, errors) = match self {
            ApiError::Validation { detail, errors } => (detail.clone(), errors.clone()),
            ApiError::Unavailable(_) | ApiError::Internal(_) => {
                (kind.info().description.to_string(), Vec::new())
            }
            other => (other.to_string(), Vec::new()),
        };
        kind.problem(detail, errors)
    }
}

impl From<diesel::result::Error> for ApiError {
    /// A lost connection, a serialisation failure or a SQLite lock that outlived its busy
    /// timeout is a passing unavailability (503, retry); anything else is a bug (500).
    fn from(e: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        let passing = match &e {
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure,
                _,
            ) => true,
            Error::DatabaseError(_, info) => {
                let message = info.message();
                message.contains("database is locked")
                    || message.contains("database table is locked")
                    // PostgreSQL chose this transaction to break a deadlock: retry
                    || message.contains("deadlock detected")
            }
            _ => false,
        };
        if passing {
            ApiError::Unavailable(format!("database: {e}"))
        } else {
            ApiError::Internal(format!("database: {e}"))
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(cause = %cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(cause = %cause, "service unavailable"),
            _ => {}
        }
        let mut response = problem_response(&self.problem());
        let retry_after = match self {
            ApiError::TooManyRequests {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            ApiError::Unavailable(_) => Some(5),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Serialises a problem with the right status and media type.
pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(serde_json::to_string(problem).unwrap_or_else(|_| "{}".to_string()))
}

/// Documentation of one problem type, served at `/problems/{slug}`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct ProblemInfo {
    pub slug: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub description: &'static str,
}

macro_rules! problem_kinds {
    ($($variant:ident => $slug:literal, $status:literal, $title:literal, $description:literal;)*) => {
        /// The stable problem types of the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProblemKind { $($variant),* }

        impl ProblemKind {
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$variant),*];

            pub fn info(self) -> ProblemInfo {
                match self {
                    $(ProblemKind::$variant => ProblemInfo {
                        slug: $slug, title: $title, status: $status, description: $description,
                    }),*
                }
            }
        }
    };
}

problem_kinds! {
    MalformedJson => "malformed-json", 400, "Malformed JSON body",
        "The request body is not valid JSON. Check quoting, commas and brackets.";
    InvalidQuery => "invalid-query", 400, "Invalid query string",
        "A query-string parameter could not be read; see detail for which one.";
    BadRequest => "bad-request", 400, "Bad request",
        "The request could not be read.";
    Validation => "validation", 422, "Invalid input",
        "Some values are not acceptable; `errors` lists each field with the reason.";
    Unauthorized => "unauthorized", 401, "Authentication required",
        "This resource needs a valid access token or API key.";
    Forbidden => "forbidden", 403, "Not allowed",
        "You are authenticated but your roles do not allow this action.";
    NotFound => "not-found", 404, "Resource not found",
        "The resource does not exist or is not visible to you.";
    NoSuchRoute => "no-such-route", 404, "No such route",
        "No API route matches this path; see /openapi.json for the routes.";
    MethodNotAllowed => "method-not-allowed", 405, "Method not allowed",
        "The route exists but does not accept this HTTP method.";
    Conflict => "conflict", 409, "Conflict",
        "The request conflicts with the current state of the resource.";
    CycleNotOpen => "cycle-not-open", 409, "Order cycle not open",
        "The order cycle is upcoming, closed or settled: it takes no orders now.";
    InsufficientFunds => "insufficient-funds", 409, "Insufficient funds",
        "The account does not hold enough available money (holds count against it) for this movement.";
    AccountNotActive => "account-not-active", 409, "Account not active",
        "The account is frozen or closed: no money may move through it.";
    FlowNotAllowed => "flow-not-allowed", 409, "Payment flow not allowed",
        "The currency's rules forbid this payment (e.g. between two individuals, or from a wallet restricted to paying professionals).";
    ReconversionNotAllowed => "reconversion-not-allowed", 409, "Reconversion not allowed",
        "Only professionals may convert local currency back to euros.";
    HoldResolved => "hold-resolved", 409, "Hold already resolved",
        "The hold was already posted, voided or has expired; a hold is resolved exactly once.";
    AlreadyReversed => "already-reversed", 409, "Entry already reversed",
        "A ledger entry can be reversed once.";
    IdempotencyConflict => "idempotency-conflict", 409, "Idempotency key reused",
        "This id or Idempotency-Key was already used for a different request; use a new one.";
    OutOfStock => "out-of-stock", 409, "Out of stock",
        "Not enough of a variant is left for this order; see detail for which one. Others may have bought it since the cart was set.";
    OrderState => "order-state", 409, "Not possible in the order's state",
        "The order is not in a state that allows this (an empty cart, an order already cancelled, paid or checked out).";
    IdempotencyKeyReused => "idempotency-key-reused", 422, "Idempotency-Key reused",
        "This Idempotency-Key was used before with another request body or route; use a new key for a new request.";
    AccountingUnmapped => "accounting-unmapped", 409, "Ledger account not mapped",
        "A ledger account carrying entries in the period has no rule in the chart mapping; add one (`PUT /api/v1/accounting/chart`) and export again.";
    NothingToExport => "nothing-to-export", 409, "Nothing to export",
        "The books hold no move in the period: a FEC needs at least one entry. Choose a period with moves.";
    PeriodClosed => "period-closed", 409, "Accounting period closed",
        "The period is closed or overlaps a closed one: its moves are final.";
    IdempotencyKeyRequired => "idempotency-key-required", 400, "Idempotency-Key required",
        "This request changes money or stock: send an `Idempotency-Key` header (a fresh UUID per new request, the same one on retries).";
    PayloadTooLarge => "payload-too-large", 413, "Request body too large",
        "The request body is larger than this server accepts.";
    UnsupportedMediaType => "unsupported-media-type", 415, "Unsupported media type",
        "Send JSON bodies with `Content-Type: application/json`.";
    TooManyRequests => "too-many-requests", 429, "Too many requests",
        "Too many attempts; wait for the number of seconds in `Retry-After`.";
    Unavailable => "unavailable", 503, "Service unavailable",
        "A dependency of the service (usually the database) is unavailable; retry shortly.";
    Internal => "internal", 500, "Internal error",
        "An unexpected error happened. Quote the request id when reporting it.";
}

impl ProblemKind {
    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.info().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The stable `type` URI reference of this problem.
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.info().slug)
    }

    pub fn from_slug(slug: &str) -> Option<ProblemKind> {
        ProblemKind::ALL
            .iter()
            .copied()
            .find(|k| k.info().slug == slug)
    }

    /// The problem kind that stands for a bare HTTP status (used for errors raised by the
    /// framework itself, such as 405 on a known path).
    pub fn for_status(status: StatusCode) -> ProblemKind {
        match status.as_u16() {
            401 => ProblemKind::Unauthorized,
            403 => ProblemKind::Forbidden,
            404 => ProblemKind::NoSuchRoute,
            405 => ProblemKind::MethodNotAllowed,
            409 => ProblemKind::Conflict,
            413 => ProblemKind::PayloadTooLarge,
            415 => ProblemKind::UnsupportedMediaType,
            422 => ProblemKind::Validation,
            429 => ProblemKind::TooManyRequests,
            503 => ProblemKind::Unavailable,
            s if s >= 500 => ProblemKind::Internal,
            _ => ProblemKind::BadRequest,
        }
    }

    pub fn problem(self, detail: String, errors: Vec<FieldError>) -> Problem {
        let info = self.info();
        Problem {
            type_: self.type_uri(),
            title: info.title.to_string(),
            status: info.status,
            detail,
            errors: views::all(errors),
            request_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_round_trip() {
        for kind in ProblemKind::ALL {
            assert_eq!(ProblemKind::from_slug(kind.info().slug), Some(*kind));
        }
    }

    #[test]
    fn internal_detail_is_never_shown() {
        let problem = ApiError::internal("password=xyz in SQL").problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("xyz"));
    }
}
