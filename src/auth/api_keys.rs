//! API keys for machine clients (an accounting sync, a shop's till): created by a person,
//! shown once, stored as SHA-256, scoped, expiring, revocable, listed with their last use.
//! A key acts for the person who made it, within its scopes (see [`super::policy`]).

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::sessions::digest;
use super::AuthError;
use crate::db::schema::api_keys;
use crate::db::DbConn;

/// Prefix that tells an API key from an access token in `Authorization: Bearer`.
pub const KEY_PREFIX: &str = "cpt_";

/// What a key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read balances, histories and statements the person may read.
    Read,
    /// Place and manage orders (for the orders module).
    Orders,
    /// Export and sync accounting (for the accounting module).
    Accounting,
    /// Manage the catalogues of the person's producers (products, variants, CSV import).
    Catalog,
}

impl Scope {
    pub const ALL: &'static [Scope] = &[
        Scope::Read,
        Scope::Orders,
        Scope::Accounting,
        Scope::Catalog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Orders => "orders",
            Scope::Accounting => "accounting",
            Scope::Catalog => "catalog",
        }
    }

    fn parse(s: &str) -> Option<Scope> {
        [
            Scope::Read,
            Scope::Orders,
            Scope::Accounting,
            Scope::Catalog,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
struct KeyRow {
    id: String,
    user_id: String,
    name: String,
    prefix: String,
    scopes: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    last_used_at: Option<NaiveDateTime>,
}

/// A key as listed (never with its secret).
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn scopes_of(text: &str) -> Vec<Scope> {
    text.split(',').filter_map(Scope::parse).collect()
}

impl From<KeyRow> for ApiKey {
    fn from(row: KeyRow) -> ApiKey {
        ApiKey {
            scopes: scopes_of(&row.scopes),
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created_at: crate::time::utc(row.created_at),
            expires_at: crate::time::utc(row.expires_at),
            revoked_at: row.revoked_at.map(crate::time::utc),
            last_used_at: row.last_used_at.map(crate::time::utc),
        }
    }
}

/// Creates a key; returns it listed, and its secret (to show once).
pub fn create(
    conn: &mut DbConn,
    user_id: &str,
    name: &str,
    scopes: &[Scope],
    days: i64,
) -> Result<(ApiKey, String), AuthError> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!(
        "{KEY_PREFIX}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let now = crate::time::now();
    let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let row = KeyRow {
        id: crate::time::new_id(),
        user_id: user_id.to_string(),
        name: name.to_string(),
        prefix: secret[..KEY_PREFIX.len() + 6].to_string(),
        scopes: names.join(","),
        created_at: now,
        expires_at: now + Duration::days(days),
        revoked_at: None,
        last_used_at: None,
    };
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(&row.id),
            api_keys::user_id.eq(&row.user_id),
            api_keys::name.eq(&row.name),
            api_keys::prefix.eq(&row.prefix),
            api_keys::key_hash.eq(digest(&secret)),
            api_keys::scopes.eq(&row.scopes),
            api_keys::created_at.eq(row.created_at),
            api_keys::expires_at.eq(row.expires_at),
        ))
        .execute(conn.diesel())?;
    Ok((row.into(), secret))
}

/// A person's keys, newest first.
pub fn list(conn: &mut DbConn, user_id: &str) -> Result<Vec<ApiKey>, AuthError> {
    let rows: Vec<KeyRow> = api_keys::table
        .filter(api_keys::user_id.eq(user_id))
        .order(api_keys::id.desc())
        .select(KeyRow::as_select())
        .load(conn.diesel())?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

/// Revokes one of the person's keys (404 when it is not theirs).
pub fn revoke(conn: &mut DbConn, user_id: &str, key_id: &str) -> Result<(), AuthError> {
    let changed = diesel::update(
        api_keys::table
            .find(key_id)
            .filter(api_keys::user_id.eq(user_id)),
    )
    .set(api_keys::revoked_at.eq(Some(crate::time::now())))
    .execute(conn.diesel())?;
    if changed == 0 {
        return Err(AuthError::NotFound(format!("no API key `{key_id}`")));
    }
    Ok(())
}

/// The person and scopes of a valid key; records its use (at most once a minute).
pub fn authenticate(
    conn: &mut DbConn,
    secret: &str,
) -> Result<Option<(String, Vec<Scope>)>, AuthError> {
    let now = crate::time::now();
    let row: Option<KeyRow> = api_keys::table
        .filter(api_keys::key_hash.eq(digest(secret)))
        .filter(api_keys::revoked_at.is_null())
        .filter(api_keys::expires_at.gt(now))
        .select(KeyRow::as_select())
        .first(conn.diesel())
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    if row
        .last_used_at
        .is_none_or(|t| now - t > Duration::minutes(1))
    {
        diesel::update(api_keys::table.find(&row.id))
            .set(api_keys::last_used_at.eq(Some(now)))
            .execute(conn.diesel())?;
    }
    Ok(Some((row.user_id, scopes_of(&row.scopes))))
}
