//! Users and their per-enterprise roles.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{enterprise_roles, users};

/// A person with a login. Emails are stored trimmed and lower-cased, and are unique.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// argon2id PHC string; `None` means the user cannot log in with a password yet.
    pub password_hash: Option<String>,
    pub locale: String,
    pub is_platform_admin: bool,
    pub email_verified_at: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A role a user holds in one enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Manager,
    /// Works a hub's till at pickup: records euro payments and refunds, weighs, hands orders
    /// over; edits neither cycles nor catalogue.
    Cashier,
    Treasurer,
    /// A consumer member of a hub (or of a currency association).
    Member,
}

impl Role {
    /// The role a stored or given name means, if any.
    pub fn parse(name: &str) -> Option<Role> {
        [
            Role::Owner,
            Role::Manager,
            Role::Cashier,
            Role::Treasurer,
            Role::Member,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Cashier => "cashier",
            Role::Treasurer => "treasurer",
            Role::Member => "member",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enterprise_roles)]
pub struct EnterpriseRoleRow {
    pub enterprise_id: String,
    pub user_id: String,
    pub role: String,
    pub created_at: NaiveDateTime,
}

/// Normalises an email for storage and look-up: trimmed and lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The user `user_id` (disabled or not).
pub fn find(conn: &mut crate::db::DbConn, user_id: &str) -> Result<UserRow, super::AuthError> {
    users::table
        .find(user_id)
        .select(UserRow::as_select())
        .first(conn.diesel())
        .optional()?
        .ok_or_else(|| super::AuthError::NotFound(format!("no user {user_id}")))
}

/// Sets the language `user_id` reads pages and mails in (one of the deployment's country's
/// languages: the caller checks).
pub fn set_locale(
    conn: &mut crate::db::DbConn,
    user_id: &str,
    locale: crate::mail::format::Locale,
) -> Result<(), super::AuthError> {
    diesel::update(users::table.find(user_id))
        .set((
            users::locale.eq(locale.as_str()),
            users::updated_at.eq(crate::time::now()),
        ))
        .execute(conn.diesel())?;
    Ok(())
}
