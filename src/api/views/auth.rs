//! API keys as listed.

use crate::auth::api_keys::Scope;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A key as listed (never with its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<crate::auth::api_keys::ApiKey> for ApiKey {
    fn from(value: crate::auth::api_keys::ApiKey) -> Self {
        let crate::auth::api_keys::ApiKey {
            id,
            name,
            prefix,
            scopes,
            created_at,
            expires_at,
            revoked_at,
            last_used_at,
        } = value;
        ApiKey {
            id,
            name,
            prefix,
            scopes,
            created_at,
            expires_at,
            revoked_at,
            last_used_at,
        }
    }
}
