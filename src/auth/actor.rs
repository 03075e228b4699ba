//! Who is calling: a user with their platform flag and per-enterprise roles, loaded fresh for
//! every request (so a disabled user's tokens stop working at once).

use diesel::prelude::*;

use super::users::Role;
use super::AuthError;
use crate::db::schema::{enterprise_roles, users};
use crate::db::DbConn;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: crate::ids::UserId,
    pub is_platform_admin: bool,
    /// `(enterprise id, role)` pairs.
    pub roles: Vec<(String, Role)>,
    /// `Some(scopes)` when the request comes with an API key rather than a person's session.
    pub key_scopes: Option<Vec<crate::auth::api_keys::Scope>>,
}

impl Actor {
    /// Whether the caller holds one of `roles` in `enterprise_id`.
    pub fn has_role(&self, enterprise_id: &str, roles: &[Role]) -> bool {
        self.roles
            .iter()
            .any(|(e, r)| e == enterprise_id && roles.contains(r))
    }
}

/// The actor for `user_id`, or `None` when the user is gone or disabled.
pub fn load(conn: &mut DbConn, user_id: &str) -> Result<Option<Actor>, AuthError> {
    let user: Option<(bool, Option<chrono::NaiveDateTime>)> = users::table
        .find(user_id)
        .select((users::is_platform_admin, users::disabled_at))
        .first(conn.diesel())
        .optional()?;
    let Some((is_platform_admin, None)) = user else {
        return Ok(None);
    };
    let roles: Vec<(String, String)> = enterprise_roles::table
        .filter(enterprise_roles::user_id.eq(user_id))
        .select((enterprise_roles::enterprise_id, enterprise_roles::role))
        .load(conn.diesel())?;
    Ok(Some(Actor {
        user_id: crate::ids::UserId::from(user_id),
        is_platform_admin,
        roles: roles
            .into_iter()
            .filter_map(|(e, r)| Role::parse(&r).map(|r| (e, r)))
            .collect(),
        key_scopes: None,
    }))
}
