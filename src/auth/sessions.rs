//! Log-in sessions: refresh tokens, rotated on every use, in families.
//!
//! A log-in starts a family and hands out its first refresh token (a random 256-bit value,
//! stored only as its SHA-256). Each refresh marks the presented token used and issues the
//! next one in the same family. Presenting a token that was already used means it was copied:
//! the whole family is revoked, the thief's and the owner's tokens alike. Logging out revokes
//! the family too; access tokens carry the family id (`sid`) and stop working with it.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::AuthError;
use crate::db::schema::{refresh_tokens, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
struct RefreshRow {
    id: String,
    family_id: String,
    user_id: String,
    token_hash: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

/// A refresh token handed to a client, and the session it belongs to.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub family_id: String,
    pub user_id: String,
}

/// SHA-256 (hex) of a secret token: what is stored instead of the token.
pub fn digest(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn insert(
    conn: &mut DbConn,
    user_id: &str,
    family_id: &str,
    ttl_seconds: u64,
) -> Result<Issued, AuthError> {
    let token = random_token();
    let now = crate::time::now();
    let ttl = Duration::try_seconds(ttl_seconds as i64).unwrap_or(Duration::days(30));
    let row = RefreshRow {
        id: crate::time::new_id(),
        family_id: family_id.to_string(),
        user_id: user_id.to_string(),
        token_hash: digest(&token),
        created_at: now,
        expires_at: now + ttl,
        used_at: None,
        revoked_at: None,
    };
    diesel::insert_into(refresh_tokens::table)
        .values(&row)
        .execute(conn.diesel())?;
    Ok(Issued {
        token,
        family_id: family_id.to_string(),
        user_id: user_id.to_string(),
    })
}

/// Starts a session for `user_id`.
pub fn start(conn: &mut DbConn, user_id: &str, ttl_seconds: u64) -> Result<Issued, AuthError> {
    insert(conn, user_id, &crate::time::new_id(), ttl_seconds)
}

fn revoke_family(conn: &mut DbConn, family_id: &str) -> Result<(), AuthError> {
    let now = crate::time::now();
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn.diesel())?;
    Ok(())
}

fn refused() -> AuthError {
    AuthError::Unauthorized("the refresh token is invalid, expired or revoked: log in again".into())
}

/// Exchanges a refresh token for the next one. A token used before revokes its family.
///
/// The outer `Result` is for database failures (roll back); the inner one is the answer to
/// the client. A refusal is returned as a value so that the revocation it caused commits.
pub fn rotate(
    conn: &mut DbConn,
    token: &str,
    ttl_seconds: u64,
) -> Result<Result<Issued, AuthError>, AuthError> {
    let hash = digest(token);
    let row: Option<RefreshRow> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(&hash))
        .select(RefreshRow::as_select())
        .first(conn.diesel())
        .optional()?;
    let Some(row) = row else {
        return Ok(Err(refused()));
    };
    let now = crate::time::now();
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Ok(Err(refused()));
    }
    let disabled: Option<Option<NaiveDateTime>> = users::table
        .find(&row.user_id)
        .select(users::disabled_at)
        .first(conn.diesel())
        .optional()?;
    if !matches!(disabled, Some(None)) {
        return Ok(Err(refused()));
    }
    // marking the token used is guarded, so two concurrent uses cannot both succeed
    let marked = diesel::update(
        refresh_tokens::table
            .find(&row.id)
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(Some(now)))
    .execute(conn.diesel())?;
    if marked == 0 {
        tracing::warn!(family = %row.family_id, user = %row.user_id, "refresh token reused: session revoked");
        revoke_family(conn, &row.family_id)?;
        return Ok(Err(AuthError::Unauthorized(
            "this refresh token was already used: every session of this log-in was revoked, log in again".into(),
        )));
    }
    insert(conn, &row.user_id, &row.family_id, ttl_seconds).map(Ok)
}

/// Ends the session the token belongs to (idempotent; an unknown token changes nothing).
pub fn end(conn: &mut DbConn, token: &str) -> Result<(), AuthError> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest(token)))
        .select(refresh_tokens::family_id)
        .first(conn.diesel())
        .optional()?;
    match family {
        Some(family) => revoke_family(conn, &family),
        None => Ok(()),
    }
}

/// Whether `family_id` is a session of `user_id` that was started and not ended (by a
/// logout, the reuse of a spent refresh token, a password reset): an access token counts only
/// for such a session, so a token signed with the real key for a session that never existed,
/// or another user's, is refused.
pub fn is_live(conn: &mut DbConn, family_id: &str, user_id: &str) -> Result<bool, AuthError> {
    let revoked: Vec<Option<chrono::NaiveDateTime>> = refresh_tokens::table
        .filter(refresh_tokens::family_id.eq(family_id))
        .filter(refresh_tokens::user_id.eq(user_id))
        .select(refresh_tokens::revoked_at)
        .load(conn.diesel())?;
    Ok(!revoked.is_empty() && revoked.iter().all(Option::is_none))
}

/// The session a browser's cookie names: `(user id, family id)` when `token` is a session
/// token that was neither used, ended nor expired. A browser's session is a family whose one
/// token is never rotated (the cookie keeps it): ending the family (log-out, a password
/// change or reset, a disabled account) ends the browser's session at once, as it ends an
/// API client's.
pub fn find_live(conn: &mut DbConn, token: &str) -> Result<Option<(String, String)>, AuthError> {
    let now = crate::time::now();
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest(token)))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::expires_at.gt(now))
        .select((refresh_tokens::user_id, refresh_tokens::family_id))
        .first(conn.diesel())
        .optional()?)
}
