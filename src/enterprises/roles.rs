//! The people of an enterprise and their roles: owner, manager, cashier, treasurer, member (see
//! [`crate::auth::policy`] for what each may do). An enterprise's creator is its first owner;
//! owners (and platform admins) then name the others — a currency association its
//! treasurers, a hub its managers. Each grant and revocation is in the audit trail.
//!
//! Decisions:
//! - A role is given to an existing account, named by its address: Comptoir never creates an
//!   account for someone else (they register, and confirm their address, themselves).
//! - The last owner cannot be removed: an enterprise without one could never be managed
//!   again but by a platform admin.
//! - Rights are read on every request, so a grant or a revocation takes effect at once.
//! - A cashier works a hub's till: the role is given in hubs and producer-hubs only.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::EnterpriseError;
use crate::audit::{self, Act, Who};
use crate::auth::registration::Email;
use crate::auth::users::Role;
use crate::db::schema::{enterprise_roles, users};
use crate::db::DbConn;

/// Someone's role in the enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub since: NaiveDateTime,
}

/// Someone to mail about an enterprise: their address, language and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub locale: String,
    pub display_name: String,
}

/// The people holding any of `roles` in enterprise `enterprise_id`, each once: whom to mail
/// about it (its owners of a decision, an association's owners and treasurers of a request).
pub fn recipients(
    conn: &mut DbConn,
    enterprise_id: &str,
    roles: &[Role],
) -> Result<Vec<Recipient>, diesel::result::Error> {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let rows: Vec<(String, String, String)> = enterprise_roles::table
        .inner_join(users::table)
        .filter(enterprise_roles::enterprise_id.eq(enterprise_id))
        .filter(enterprise_roles::role.eq_any(names))
        .select((users::email, users::locale, users::display_name))
        .distinct()
        .order(users::email.asc())
        .load(conn.diesel())?;
    Ok(rows
        .into_iter()
        .map(|(email, locale, display_name)| Recipient {
            email,
            locale,
            display_name,
        })
        .collect())
}

/// Parses a role's name.
pub fn role(name: &str) -> Result<Role, EnterpriseError> {
    Role::parse(name).ok_or_else(|| {
        EnterpriseError::field(
            "role",
            "unknown_role",
            "must be owner, manager, cashier, treasurer or member",
        )
    })
}

/// The enterprise's people and roles, by address then role.
pub fn list(conn: &mut DbConn, enterprise_id: &str) -> Result<Vec<Member>, EnterpriseError> {
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = enterprise_roles::table
        .inner_join(users::table)
        .filter(enterprise_roles::enterprise_id.eq(enterprise_id))
        .order((users::email.asc(), enterprise_roles::role.asc()))
        .select((
            users::id,
            users::email,
            users::display_name,
            enterprise_roles::role,
            enterprise_roles::created_at,
        ))
        .load(conn.diesel())?;
    Ok(rows
        .into_iter()
        .map(|(user_id, email, display_name, role, since)| Member {
            user_id,
            email,
            display_name,
            role,
            since,
        })
        .collect())
}

fn recorded(
    conn: &mut DbConn,
    who: &Who,
    action: &str,
    enterprise_id: &str,
    user_id: &str,
    role: Role,
) -> Result<(), EnterpriseError> {
    audit::record(
        conn,
        who,
        Act::on_user(
            action,
            user_id,
            Some(enterprise_id),
            json!({ "role": role.as_str() }),
        ),
    )?;
    Ok(())
}

/// Gives `role` in the enterprise to the account at `email`; `false` when it had it.
pub fn grant(
    conn: &mut DbConn,
    who: &Who,
    enterprise_id: &str,
    email: &Email,
    role: Role,
) -> Result<(String, bool), EnterpriseError> {
    conn.transaction(|conn| {
        if role == Role::Cashier {
            let kind = super::get_row(conn, enterprise_id)?.kind;
            if !super::EnterpriseKind::parse(&kind).is_some_and(|k| k.is_hub()) {
                return Err(EnterpriseError::field(
                    "role",
                    "not_a_hub",
                    "a cashier works a hub's till: only a hub or a producer-hub has one",
                ));
            }
        }
        let found = crate::auth::registration::find_user(conn, email.as_str())?;
        let Some(user_id) = found.filter(|u| u.disabled_at.is_none()).map(|u| u.id) else {
            return Err(EnterpriseError::field(
                "email",
                "no_account",
                "no active account has this address: ask the person to register first",
            ));
        };
        let created = crate::db::execute(
            conn.diesel(),
            diesel::insert_into(enterprise_roles::table)
                .values((
                    enterprise_roles::enterprise_id.eq(enterprise_id),
                    enterprise_roles::user_id.eq(&user_id),
                    enterprise_roles::role.eq(role.as_str()),
                    enterprise_roles::created_at.eq(crate::time::now()),
                ))
                .on_conflict_do_nothing(),
        )?;
        if created == 1 {
            recorded(conn, who, "role.grant", enterprise_id, &user_id, role)?;
        }
        Ok((user_id, created == 1))
    })
}

/// Takes `role` in the enterprise away from `user_id`; `false` when it had none. The last
/// owner is kept.
pub fn revoke(
    conn: &mut DbConn,
    who: &Who,
    enterprise_id: &str,
    user_id: &str,
    role: Role,
) -> Result<bool, EnterpriseError> {
    conn.transaction(|conn| {
        if role == Role::Owner {
            // every owner row locked (PostgreSQL; SQLite's write transaction is exclusive):
            // two revocations at once cannot both see another owner left
            crate::db::lock_row_by(conn, "enterprise_roles", "enterprise_id", enterprise_id)?;
            let others: i64 = enterprise_roles::table
                .filter(enterprise_roles::enterprise_id.eq(enterprise_id))
                .filter(enterprise_roles::role.eq(Role::Owner.as_str()))
                .filter(enterprise_roles::user_id.ne(user_id))
                .count()
                .get_result(conn.diesel())?;
            if others == 0 {
                return Err(EnterpriseError::Conflict(
                    "this is the enterprise's last owner: name another owner first".into(),
                ));
            }
        }
        let removed =
            diesel::delete(enterprise_roles::table.find((enterprise_id, user_id, role.as_str())))
                .execute(conn.diesel())?;
        if removed == 1 {
            recorded(conn, who, "role.revoke", enterprise_id, user_id, role)?;
        }
        Ok(removed == 1)
    })
}
