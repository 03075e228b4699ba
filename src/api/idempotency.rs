//! `Idempotency-Key` for requests that move money or stock without a client-chosen id of
//! their own (checkout, cancel, recording a payment): the header read and checked, and
//! [`crate::idempotency`]'s record answered as HTTP. A retry with the same key, route and
//! body gets the saved response back (same status and body, `Idempotent-Replayed: true`);
//! the same key with another body or route gets 422 `idempotency-key-reused`; a failed
//! request saves nothing and may be retried with the same key.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::api::error::{ApiError, ProblemKind};
use crate::db::DbConn;
use crate::idempotency::Refusal;
pub use crate::idempotency::{Saved, KEEP_HOURS};

pub const HEADER: &str = "Idempotency-Key";

/// The request's key; 400 when missing or malformed.
pub fn key(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if !(8..=255).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest {
            kind: ProblemKind::IdempotencyKeyRequired,
            detail: format!(
                "send an `{HEADER}` header of 8 to 255 visible ASCII characters (a new UUID per request, the same on retries)"
            ),
        });
    }
    Ok(value.to_string())
}

impl Saved {
    pub fn respond(self) -> HttpResponse {
        let mut response =
            HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        if self.replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        response.json(self.body)
    }
}

/// Runs `work` once per `(user, key)` ([`crate::idempotency::run`]), its refusals as
/// problems.
pub fn run<T: Serialize, E: Into<ApiError>>(
    conn: &mut DbConn,
    user_id: &str,
    key: &str,
    route: &str,
    body: &impl Serialize,
    status: StatusCode,
    work: impl Fn(&mut DbConn) -> Result<T, E>,
) -> Result<Saved, ApiError> {
    crate::idempotency::run(conn, user_id, key, route, body, status.as_u16(), work).map_err(
        |refusal| match refusal {
            Refusal::Work(e) => e.into(),
            // the status comes from the kind: 422
            Refusal::Reused => ApiError::Conflict {
                kind: ProblemKind::IdempotencyKeyReused,
                detail:
                    "this Idempotency-Key was used before with another body or route: use a new key"
                        .into(),
            },
            Refusal::Busy => ApiError::Conflict {
                kind: ProblemKind::Conflict,
                detail: "a request with this Idempotency-Key is still running: retry shortly"
                    .into(),
            },
            Refusal::Store(e) => e.into(),
            Refusal::Encode(e) => ApiError::internal(e),
        },
    )
}
