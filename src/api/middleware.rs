//! Per-request context: a request id, a tracing span, an access log line, and the guarantee
//! that every error leaves as problem+json.
//!
//! - The request id is taken from a well-formed incoming `X-Request-Id` (so a proxy's id is
//!   kept) or generated (UUID v7); it is echoed in the `X-Request-Id` response header and is
//!   a field of every log line of the request.
//! - Errors raised by the framework itself (405 on a known path, for instance) arrive without
//!   a problem body; they are rewritten into one here. Every 5xx body is rewritten to carry
//!   only the request id: causes are in the log, never in the response.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};
use tracing::Instrument;

use crate::api::error::{problem_response, ApiError, ProblemKind, PROBLEM_JSON};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub use crate::state::RequestId;

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID_HEADER)?.to_str().ok()?;
    let sane = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    sane.then(|| value.to_string())
}

/// A path holding a NUL character (`%00`): answered 404 on both backends before any route.
fn nul_in_path(req: &ServiceRequest) -> Option<ApiError> {
    let raw = req.uri().path().to_ascii_lowercase();
    raw.contains("%00").then(|| {
        ApiError::NotFound("no such resource: the path holds a NUL character (%00)".into())
    })
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    // Handlers and extractors turn their errors into responses; an `Err` here comes from a
    // middleware (a CORS refusal, say): it too leaves as a problem, with the request id.
    let mut response = match nul_in_path(&req) {
        // no resource is named with a NUL, and PostgreSQL cannot even compare one
        Some(refusal) => req.into_response(refusal.error_response()),
        None => match next.call(req).instrument(span.clone()).await {
            Ok(response) => response.map_into_boxed_body(),
            Err(error) => {
                let status = error.as_response_error().status_code();
                span.in_scope(
                    || tracing::info!(status = status.as_u16(), %error, "refused by middleware"),
                );
                return Err(FrameworkProblem {
                    status,
                    detail: error.to_string(),
                    request_id,
                }
                .into());
            }
        },
    };

    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if (status.is_client_error() || status.is_server_error())
        && !is_html
        && !crate::web::error::is_api_path(response.request().path())
    {
        // a page's error: the friendly page in the reader's language, headers kept
        let detail = response
            .response()
            .extensions()
            .get::<crate::web::error::ErrorDetail>()
            .map(|d| d.0.clone());
        let kept: Vec<(HeaderName, HeaderValue)> = response
            .headers()
            .iter()
            .filter(|(name, _)| **name != header::CONTENT_TYPE && **name != header::CONTENT_LENGTH)
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let mut page =
            crate::web::error::page(response.request(), status, &request_id, detail.as_deref());
        for (name, value) in kept {
            page.headers_mut().append(name, value);
        }
        response = response.into_response(page);
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !is_html && (status.is_server_error() || (status.is_client_error() && !is_problem)) {
        let kind = ProblemKind::for_status(status);
        let mut problem = kind.problem(kind.info().description.to_string(), Vec::new());
        problem.status = status.as_u16();
        if status.is_server_error() {
            problem.request_id = Some(request_id.clone());
        }
        // every header but the body's own travels on (CORS, Retry-After, Allow…)
        let kept: Vec<(HeaderName, HeaderValue)> = response
            .headers()
            .iter()
            .filter(|(name, _)| **name != header::CONTENT_TYPE && **name != header::CONTENT_LENGTH)
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let mut rewritten = problem_response(&problem);
        for (name, value) in kept {
            rewritten.headers_mut().append(name, value);
        }
        response = response.into_response(rewritten);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let elapsed = started.elapsed();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    super::metrics::observe(
        response.request().method().as_str(),
        &route,
        status.as_u16(),
        elapsed,
    );
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), elapsed_ms, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), elapsed_ms, "request served");
        }
    });
    Ok(response)
}

/// An error raised by a middleware, rendered as a problem of its status.
#[derive(Debug)]
struct FrameworkProblem {
    status: actix_web::http::StatusCode,
    detail: String,
    request_id: String,
}

impl std::fmt::Display for FrameworkProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl actix_web::ResponseError for FrameworkProblem {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.status
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let kind = ProblemKind::for_status(self.status);
        let detail = if self.status.is_server_error() {
            kind.info().description.to_string()
        } else {
            self.detail.clone()
        };
        let mut problem = kind.problem(detail, Vec::new());
        problem.status = self.status.as_u16();
        if self.status.is_server_error() {
            problem.request_id = Some(self.request_id.clone());
        }
        let mut response = problem_response(&problem);
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        response
    }
}
