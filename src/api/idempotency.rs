//! `Idempotency-Key` for requests that move money or stock without a client-chosen id of
//! their own (checkout, cancel, recording a payment).
//!
//! The key (a fresh random string per new request, 8–255 visible ASCII characters; a UUID
//! is the natural choice) is claimed, per user, in the same transaction as the work: the
//! row is written first, so a concurrent twin waits on it and then finds the saved response.
//! The response is saved with the work; a retry with the same key, route and body gets it
//! back (same status and body, `Idempotent-Replayed: true`), the same key with another body
//! or route gets 422 `idempotency-key-reused`. A failed request saves nothing: it may be
//! retried with the same key. Saved responses are kept [`KEEP_HOURS`] hours (a client
//! retries within minutes), then purged by a background job.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;

use crate::api::error::{ApiError, ProblemKind};
use crate::db::schema::idempotency_keys;
use crate::db::DbConn;

pub const HEADER: &str = "Idempotency-Key";

/// How long a saved response answers retries.
pub const KEEP_HOURS: i64 = 24;

/// Deletes the keys saved before `before`; returns how many.
pub fn purge(conn: &mut DbConn, before: chrono::NaiveDateTime) -> Result<usize, ApiError> {
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
            .execute(conn.diesel())?,
    )
}

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

/// A response to send, and whether it is a replay.
pub struct Saved {
    pub status: u16,
    pub body: serde_json::Value,
    pub replayed: bool,
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

fn hash(route: &str, body: &impl Serialize) -> Result<String, ApiError> {
    let json = serde_json::to_string(body).map_err(ApiError::internal)?;
    Ok(crate::ledger::journal::request_hash(&[route, &json]))
}

/// Runs `work` once per `(user, key)`; see the module documentation.
pub fn run<T: Serialize, E: Into<ApiError>>(
    conn: &mut DbConn,
    user_id: &str,
    key: &str,
    route: &str,
    body: &impl Serialize,
    status: StatusCode,
    work: impl Fn(&mut DbConn) -> Result<T, E>,
) -> Result<Saved, ApiError> {
    let request_hash = hash(route, body)?;
    // a concurrent twin that claimed the key first makes our claim fail once it commits;
    // the second attempt finds its saved response
    for _ in 0..2 {
        let mut taken = false;
        let attempt = conn.transaction(|conn| {
            if let Some((saved_route, saved_hash, code, text)) = saved(conn, user_id, key)? {
                if saved_route != route || saved_hash != request_hash {
                    // the status comes from the kind: 422
                    return Err(ApiError::Conflict {
                        kind: ProblemKind::IdempotencyKeyReused,
                        detail: "this Idempotency-Key was used before with another body or route: use a new key".into(),
                    });
                }
                let body = serde_json::from_str(&text).map_err(ApiError::internal)?;
                return Ok(Saved {
                    status: u16::try_from(code).unwrap_or(200),
                    body,
                    replayed: true,
                });
            }
            let now = crate::time::now();
            let claim = diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(user_id),
                    idempotency_keys::idem_key.eq(key),
                    idempotency_keys::route.eq(route),
                    idempotency_keys::request_hash.eq(&request_hash),
                    idempotency_keys::status.eq(0),
                    idempotency_keys::body.eq(""),
                    idempotency_keys::created_at.eq(now),
                ))
                .execute(conn.diesel());
            if let Err(e) = &claim {
                taken = crate::db::violates_unique(
                    e,
                    &["idempotency_keys.user_id", "idempotency_keys_pkey"],
                );
            }
            claim?;
            let result = work(conn).map_err(Into::into)?;
            let body = serde_json::to_value(&result).map_err(ApiError::internal)?;
            let text = body.to_string();
            diesel::update(
                idempotency_keys::table
                    .filter(idempotency_keys::user_id.eq(user_id))
                    .filter(idempotency_keys::idem_key.eq(key)),
            )
            .set((
                idempotency_keys::status.eq(i32::from(status.as_u16())),
                idempotency_keys::body.eq(&text),
            ))
            .execute(conn.diesel())?;
            Ok(Saved {
                status: status.as_u16(),
                body,
                replayed: false,
            })
        });
        if attempt.is_err() && taken {
            continue;
        }
        return attempt;
    }
    Err(ApiError::Conflict {
        kind: ProblemKind::Conflict,
        detail: "a request with this Idempotency-Key is still running: retry shortly".into(),
    })
}

type SavedRow = (String, String, i32, String);

fn saved(conn: &mut DbConn, user_id: &str, key: &str) -> Result<Option<SavedRow>, ApiError> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::idem_key.eq(key))
        .select((
            idempotency_keys::route,
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::body,
        ))
        .first::<SavedRow>(conn.diesel())
        .optional()?)
}
