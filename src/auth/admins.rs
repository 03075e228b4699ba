//! Platform administrators: the people who may create currency associations and act on any
//! enterprise (see [`super::policy`]). A fresh deployment has none; the first is created on
//! the server's machine with `comptoir admin create` (nothing on the network can create one),
//! and admins are then granted and revoked there too. Each act is in the audit trail.
//!
//! Decisions:
//! - The first admin gets a password typed on the terminal, or (`--link`) a one-time set-up
//!   link valid [`SETUP_TTL_HOURS`] hours, printed and mailed: following it sets the password
//!   (the password-reset page) and proves the address.
//! - An admin created here is verified: whoever runs the command on the server vouches for
//!   the address.
//! - The last platform admin cannot be revoked: a deployment without one cannot create a
//!   currency association, and nothing but this command could make a new one.
//! - Rights are read on every request, so a revocation takes effect at once.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::json;

use super::registration::{self, Email};
use super::users::UserRow;
use super::AuthError;
use crate::audit::{self, Act, Who};
use crate::db::schema::users;
use crate::db::DbConn;

/// How long the set-up link of a new admin stays valid.
pub const SETUP_TTL_HOURS: i64 = 24;

/// A new admin, and the set-up token when one was asked for.
#[derive(Debug)]
pub struct Created {
    pub user: UserRow,
    /// Present when created without a password: the token of the one-time set-up link.
    pub setup_token: Option<String>,
}

/// How many active platform admins there are.
pub fn count(conn: &mut DbConn) -> Result<i64, AuthError> {
    Ok(users::table
        .filter(users::is_platform_admin.eq(true))
        .filter(users::disabled_at.is_null())
        .count()
        .get_result(conn.diesel())?)
}

/// The platform admins, by address.
pub fn list(conn: &mut DbConn) -> Result<Vec<UserRow>, AuthError> {
    Ok(users::table
        .filter(users::is_platform_admin.eq(true))
        .order(users::email.asc())
        .select(UserRow::as_select())
        .load(conn.diesel())?)
}

fn recorded(conn: &mut DbConn, who: &Who, action: &str, user: &UserRow) -> Result<(), AuthError> {
    audit::record(conn, who, Act::on_user(action, &user.id, None, json!({})))?;
    Ok(())
}

/// Creates a platform admin with this password hash, or (`None`) with a one-time set-up
/// link. An existing address is refused: grant it instead.
pub fn create(
    conn: &mut DbConn,
    who: &Who,
    email: &Email,
    display_name: &str,
    locale: &str,
    password_hash: Option<String>,
) -> Result<Created, AuthError> {
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(AuthError::field(
            "name",
            "invalid_length",
            "must be 1 to 100 characters",
        ));
    }
    conn.transaction(|conn| {
        if registration::find_user(conn, email.as_str())?.is_some() {
            return Err(AuthError::field(
                "email",
                "taken",
                format!(
                    "{} already has an account: make it an admin with `comptoir admin grant {}`",
                    email.as_str(),
                    email.as_str()
                ),
            ));
        }
        let now = crate::time::now();
        let user = UserRow {
            id: crate::time::new_id(),
            email: email.as_str().to_string(),
            display_name: display_name.to_string(),
            password_hash: password_hash.clone(),
            locale: locale.to_string(),
            is_platform_admin: true,
            email_verified_at: Some(now),
            disabled_at: None,
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(users::table)
            .values(&user)
            .execute(conn.diesel())?;
        let setup_token = match password_hash {
            Some(_) => None,
            None => Some(registration::setup_link(
                conn,
                &user,
                Duration::hours(SETUP_TTL_HOURS),
            )?),
        };
        recorded(conn, who, "admin.create", &user)?;
        Ok(Created { user, setup_token })
    })
}

/// Makes an existing, active account a platform admin; `false` when it was one already.
pub fn grant(conn: &mut DbConn, who: &Who, email: &Email) -> Result<(UserRow, bool), AuthError> {
    conn.transaction(|conn| {
        let user = registration::find_user(conn, email.as_str())?.ok_or_else(|| {
            AuthError::NotFound(format!(
                "no account has the address {}: create it with `comptoir admin create`",
                email.as_str()
            ))
        })?;
        if user.disabled_at.is_some() {
            return Err(AuthError::field(
                "email",
                "disabled",
                format!("the account of {} is disabled", email.as_str()),
            ));
        }
        if user.is_platform_admin {
            return Ok((user, false));
        }
        set_admin(conn, &user.id, true)?;
        recorded(conn, who, "admin.grant", &user)?;
        Ok((
            UserRow {
                is_platform_admin: true,
                ..user
            },
            true,
        ))
    })
}

/// Takes the platform admin right away from an account; `false` when it had none. The last
/// active admin is kept.
pub fn revoke(conn: &mut DbConn, who: &Who, email: &Email) -> Result<(UserRow, bool), AuthError> {
    conn.transaction(|conn| {
        let user = registration::find_user(conn, email.as_str())?.ok_or_else(|| {
            AuthError::NotFound(format!("no account has the address {}", email.as_str()))
        })?;
        if !user.is_platform_admin {
            return Ok((user, false));
        }
        if other_active_admins(conn, &user.id)? == 0 {
            return Err(AuthError::field(
                "email",
                "last_admin",
                format!(
                    "{} is the last platform admin: grant another account first",
                    email.as_str()
                ),
            ));
        }
        set_admin(conn, &user.id, false)?;
        recorded(conn, who, "admin.revoke", &user)?;
        Ok((
            UserRow {
                is_platform_admin: false,
                ..user
            },
            true,
        ))
    })
}

/// How many active platform admins there are besides `user_id`, counted with every admin row
/// locked (PostgreSQL; SQLite's write transaction is exclusive): two revocations or
/// disablings at once cannot both see another admin left. Call it inside the transaction.
fn other_active_admins(conn: &mut DbConn, user_id: &str) -> Result<i64, AuthError> {
    crate::db::lock_row_by(conn, "users", "CAST(is_platform_admin AS TEXT)", "true")?;
    Ok(users::table
        .filter(users::is_platform_admin.eq(true))
        .filter(users::disabled_at.is_null())
        .filter(users::id.ne(user_id))
        .count()
        .get_result(conn.diesel())?)
}

fn set_admin(conn: &mut DbConn, user_id: &str, admin: bool) -> Result<(), AuthError> {
    diesel::update(users::table.find(user_id))
        .set((
            users::is_platform_admin.eq(admin),
            users::updated_at.eq(crate::time::now()),
        ))
        .execute(conn.diesel())?;
    Ok(())
}

/// Accounts as a platform admin finds them: those whose address or name contains `query`
/// (any case; all when empty), by address, `limit` after the address `after`.
pub fn find_users(
    conn: &mut DbConn,
    query: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>, AuthError> {
    let mut select = users::table
        .select(UserRow::as_select())
        .order(users::email.asc())
        .limit(limit)
        .into_boxed();
    let query = query.trim().to_lowercase();
    if !query.is_empty() {
        // addresses are stored lower-cased; names are compared as typed, and lower-cased
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        select = select.filter(
            users::email
                .like(pattern.clone())
                .escape('\\')
                .or(crate::db::lower(users::display_name)
                    .like(pattern)
                    .escape('\\')),
        );
    }
    if let Some(after) = after {
        select = select.filter(users::email.gt(after.to_string()));
    }
    Ok(select.load(conn.diesel())?)
}

/// Disables (or enables again) the account `user_id`; `false` when it was so already. A
/// disabled account cannot sign in, its sessions end at once (rights and sessions are read on
/// every request; its refresh tokens are revoked) and it keeps its data, roles and money. A
/// platform admin cannot disable their own account, nor the last active admin.
pub fn set_disabled(
    conn: &mut DbConn,
    who: &Who,
    user_id: &str,
    disabled: bool,
) -> Result<(UserRow, bool), AuthError> {
    use crate::db::schema::refresh_tokens;
    conn.transaction(|conn| {
        let user = super::users::find(conn, user_id)?;
        if user.disabled_at.is_some() == disabled {
            return Ok((user, false));
        }
        if disabled {
            if who.user_id.as_ref().is_some_and(|u| u.as_str() == user.id) {
                return Err(AuthError::field(
                    "user",
                    "own_account",
                    "you cannot disable your own account: ask another admin",
                ));
            }
            if user.is_platform_admin && other_active_admins(conn, &user.id)? == 0 {
                return Err(AuthError::field(
                    "user",
                    "last_admin",
                    "this is the last platform admin: grant another account first",
                ));
            }
        }
        let now = crate::time::now();
        let disabled_at = disabled.then_some(now);
        diesel::update(users::table.find(&user.id))
            .set((
                users::disabled_at.eq(disabled_at),
                users::updated_at.eq(now),
            ))
            .execute(conn.diesel())?;
        if disabled {
            diesel::update(
                refresh_tokens::table
                    .filter(refresh_tokens::user_id.eq(&user.id))
                    .filter(refresh_tokens::revoked_at.is_null()),
            )
            .set(refresh_tokens::revoked_at.eq(now))
            .execute(conn.diesel())?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        recorded(conn, who, action, &user)?;
        Ok((
            UserRow {
                disabled_at,
                updated_at: now,
                ..user
            },
            true,
        ))
    })
}
