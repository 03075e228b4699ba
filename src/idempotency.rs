//! One answer per key: the record behind the API's `Idempotency-Key` and the pages' one-time
//! form keys, for requests that move money or stock without an id of their own (checkout,
//! cancel, recording a payment, a top-up request).
//!
//! The key (8–255 visible ASCII characters; a UUID is the natural choice) is claimed, per
//! user, in the same transaction as the work: the row is written first, so a concurrent twin
//! waits on it and then finds the saved answer. The answer is saved with the work; a retry
//! with the same key, route and body gets it back ([`Saved::replayed`]); the same key with
//! another body or route is [`Refusal::Reused`]. Refused work saves nothing: it may be
//! retried with the same key. Saved answers are kept [`KEEP_HOURS`] hours (a client retries
//! within minutes), then purged by a background job.
//!
//! The edges map the refusals to their own words: `api::idempotency` to problem documents,
//! the pages to a form's field errors.

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys;
use crate::db::DbConn;

/// How long a saved answer answers retries.
pub const KEEP_HOURS: i64 = 24;

/// Deletes the keys saved before `before`; returns how many.
pub fn purge(conn: &mut DbConn, before: chrono::NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
        .execute(conn.diesel())
}

/// An answer to give, and whether it is a replay.
pub struct Saved {
    pub status: u16,
    pub body: serde_json::Value,
    pub replayed: bool,
}

/// Why [`run`] gave no answer.
#[derive(Debug)]
pub enum Refusal<E> {
    /// The work refused: nothing was saved, the key may be used again.
    Work(E),
    /// The key was used before with another body or route.
    Reused,
    /// A twin with the same key is still running.
    Busy,
    /// The database failed.
    Store(diesel::result::Error),
    /// The answer could not be written down (a bug).
    Encode(String),
}

impl<E> From<diesel::result::Error> for Refusal<E> {
    fn from(e: diesel::result::Error) -> Self {
        Refusal::Store(e)
    }
}

/// The fingerprint of a request: its route and its body (length-prefixed parts, SHA-256).
fn request_hash(route: &str, body: &impl Serialize) -> Result<String, String> {
    let json = serde_json::to_string(body).map_err(|e| e.to_string())?;
    let mut hasher = Sha256::new();
    for part in [route, json.as_str()] {
        hasher.update(part.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(part.as_bytes());
        hasher.update(b";");
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Runs `work` once per `(user, key)` and saves its result with `status`; see the module
/// documentation.
pub fn run<T: Serialize, E>(
    conn: &mut DbConn,
    user_id: &str,
    key: &str,
    route: &str,
    body: &impl Serialize,
    status: u16,
    work: impl Fn(&mut DbConn) -> Result<T, E>,
) -> Result<Saved, Refusal<E>> {
    let request_hash = request_hash(route, body).map_err(Refusal::Encode)?;
    // a concurrent twin that claimed the key first makes our claim fail once it commits;
    // the second attempt finds its saved answer
    for _ in 0..2 {
        let mut taken = false;
        let attempt = conn.transaction(|conn| -> Result<Saved, Refusal<E>> {
            if let Some((saved_route, saved_hash, code, text)) = saved(conn, user_id, key)? {
                if saved_route != route || saved_hash != request_hash {
                    return Err(Refusal::Reused);
                }
                let body =
                    serde_json::from_str(&text).map_err(|e| Refusal::Encode(e.to_string()))?;
                return Ok(Saved {
                    status: u16::try_from(code).unwrap_or(200),
                    body,
                    replayed: true,
                });
            }
            let claim = diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(user_id),
                    idempotency_keys::idem_key.eq(key),
                    idempotency_keys::route.eq(route),
                    idempotency_keys::request_hash.eq(&request_hash),
                    idempotency_keys::status.eq(0),
                    idempotency_keys::body.eq(""),
                    idempotency_keys::created_at.eq(crate::time::now()),
                ))
                .execute(conn.diesel());
            if let Err(e) = &claim {
                taken = crate::db::violates_unique(
                    e,
                    &["idempotency_keys.user_id", "idempotency_keys_pkey"],
                );
            }
            claim?;
            let result = work(conn).map_err(Refusal::Work)?;
            let body = serde_json::to_value(&result).map_err(|e| Refusal::Encode(e.to_string()))?;
            diesel::update(
                idempotency_keys::table
                    .filter(idempotency_keys::user_id.eq(user_id))
                    .filter(idempotency_keys::idem_key.eq(key)),
            )
            .set((
                idempotency_keys::status.eq(i32::from(status)),
                idempotency_keys::body.eq(body.to_string()),
            ))
            .execute(conn.diesel())?;
            Ok(Saved {
                status,
                body,
                replayed: false,
            })
        });
        if attempt.is_err() && taken {
            continue;
        }
        return attempt;
    }
    Err(Refusal::Busy)
}

type SavedRow = (String, String, i32, String);

fn saved(conn: &mut DbConn, user_id: &str, key: &str) -> QueryResult<Option<SavedRow>> {
    idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::idem_key.eq(key))
        .select((
            idempotency_keys::route,
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::body,
        ))
        .first::<SavedRow>(conn.diesel())
        .optional()
}
