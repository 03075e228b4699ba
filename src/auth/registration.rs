//! Account life cycle: registration with email verification, password reset by emailed
//! token, password change. Tokens are random, single use, expiring, stored only as SHA-256;
//! the mails carrying them are enqueued in the same transaction (see [`crate::mail::outbox`]).
//! Answers never tell whether an email is registered: a second registration mails the owner
//! instead, and a reset request for an unknown address mails that address a notice. An
//! unverified account can be taken over by registering again (the mailbox decides), and a
//! password reset proves the mailbox, ends every session and revokes the API keys.
//! Until the mail worker exists (mail issue), the mails — tokens included — wait in
//! `mail_outbox` in plain text: the worker must send and then blank them.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::users::{normalise_email, UserRow};
use super::AuthError;
use crate::db::schema::{account_tokens, api_keys, refresh_tokens, users};
use crate::db::DbConn;
use crate::mail::outbox;

/// How long a verification link stays valid.
pub const VERIFY_TTL_HOURS: i64 = 48;
/// How long a password-reset link stays valid.
pub const RESET_TTL_MINUTES: i64 = 60;

/// A syntactically plausible email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, AuthError> {
        let email = normalise_email(text);
        let bad = || AuthError::field("email", "invalid_email", "is not an email address");
        let (local, domain) = email.split_once('@').ok_or_else(bad)?;
        let labels_ok = domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty());
        if email.len() > 254
            || local.is_empty()
            || local.len() > 64
            || domain.contains('@')
            || !labels_ok
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad());
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password: 10 to 128 characters, not the email itself.
pub fn check_password(field: &str, password: &str, email: Option<&str>) -> Result<(), AuthError> {
    let length = password.chars().count();
    if !(10..=128).contains(&length) {
        return Err(AuthError::field(
            field,
            "weak_password",
            "must be 10 to 128 characters long",
        ));
    }
    if email.is_some_and(|e| normalise_email(password) == e) {
        return Err(AuthError::field(
            field,
            "weak_password",
            "must not be your email address",
        ));
    }
    Ok(())
}

/// Checks a display name: 1 to 100 characters once trimmed; returns it trimmed.
pub fn check_display_name(field: &str, name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AuthError::field(
            field,
            "invalid",
            "must be 1 to 100 characters",
        ));
    }
    Ok(name.to_string())
}

fn new_token(
    conn: &mut DbConn,
    user_id: &str,
    purpose: &str,
    ttl: Duration,
) -> Result<String, AuthError> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let now = crate::time::now();
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::id.eq(crate::time::new_id()),
            account_tokens::user_id.eq(user_id),
            account_tokens::purpose.eq(purpose),
            account_tokens::token_hash.eq(super::sessions::digest(&token)),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(now + ttl),
        ))
        .execute(conn.diesel())?;
    Ok(token)
}

/// A one-time set-up link for `user` (a new platform admin without a password): a
/// password-reset token valid `ttl`, printed by the command and mailed to the address.
/// Following it sets the password ([`confirm_reset`]).
pub(super) fn setup_link(
    conn: &mut DbConn,
    user: &UserRow,
    ttl: Duration,
) -> Result<String, AuthError> {
    let token = new_token(conn, &user.id, "reset_password", ttl)?;
    outbox::enqueue(
        conn,
        &user.email,
        "admin_setup",
        &user.locale,
        &json!({"display_name": user.display_name, "token": token, "ttl_hours": ttl.num_hours()}),
    )?;
    Ok(token)
}

/// Uses a token once: the user it belongs to, or a validation error.
fn use_token(conn: &mut DbConn, token: &str, purpose: &str) -> Result<String, AuthError> {
    let hash = super::sessions::digest(token);
    let now = crate::time::now();
    let found: Option<(String, String)> = account_tokens::table
        .filter(account_tokens::token_hash.eq(&hash))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select((account_tokens::id, account_tokens::user_id))
        .first(conn.diesel())
        .optional()?;
    let (id, user_id) = found.ok_or_else(|| {
        AuthError::field(
            "token",
            "invalid_token",
            "is invalid, expired or already used",
        )
    })?;
    // guarded: of two concurrent uses, one wins
    let marked = diesel::update(
        account_tokens::table
            .find(&id)
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .execute(conn.diesel())?;
    if marked == 0 {
        return Err(AuthError::field(
            "token",
            "invalid_token",
            "is invalid, expired or already used",
        ));
    }
    Ok(user_id)
}

/// The account with this address (stored trimmed and lower-cased: pass it so, as [`Email`]
/// gives it).
pub fn find_user(conn: &mut DbConn, email: &str) -> Result<Option<UserRow>, AuthError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn.diesel())
        .optional()?)
}

/// Registers a user (unverified) and mails a verification link; an existing address gets a
/// notice instead. `password_hash` is computed by the caller, off the database connection.
pub fn register(
    conn: &mut DbConn,
    email: &Email,
    display_name: &str,
    locale: &str,
    password_hash: String,
) -> Result<(), AuthError> {
    conn.transaction(|conn| {
        let now = crate::time::now();
        let candidate = UserRow {
            id: crate::time::new_id(),
            email: email.as_str().to_string(),
            display_name: display_name.to_string(),
            password_hash: Some(password_hash.clone()),
            locale: locale.to_string(),
            is_platform_admin: false,
            email_verified_at: None,
            disabled_at: None,
            created_at: now,
            updated_at: now,
        };
        // no error on a concurrent registration of the same address (it would abort the
        // PostgreSQL transaction): the row count says whether this one created the user
        let created = crate::db::execute(
            conn.diesel(),
            diesel::insert_into(users::table)
                .values(&candidate)
                .on_conflict_do_nothing(),
        )?;
        let user = if created == 1 {
            candidate
        } else {
            let existing = find_user(conn, email.as_str())?
                .ok_or_else(|| AuthError::internal("a user vanished during registration"))?;
            if existing.email_verified_at.is_some() {
                outbox::enqueue(
                    conn,
                    email.as_str(),
                    "account_exists",
                    &existing.locale,
                    &json!({"display_name": existing.display_name}),
                )?;
                return Ok(());
            }
            // an unverified account proves nothing: whoever registers again takes it over,
            // and earlier verification links die (no squatting, no pre-hijacking)
            diesel::update(users::table.find(&existing.id))
                .set((
                    users::password_hash.eq(Some(password_hash)),
                    users::display_name.eq(display_name),
                    users::locale.eq(locale),
                    users::updated_at.eq(now),
                ))
                .execute(conn.diesel())?;
            expire_tokens(conn, &existing.id, "verify_email")?;
            existing
        };
        let token = new_token(
            conn,
            &user.id,
            "verify_email",
            Duration::hours(VERIFY_TTL_HOURS),
        )?;
        outbox::enqueue(
            conn,
            email.as_str(),
            "verify_email",
            locale,
            &json!({"display_name": display_name, "token": token, "ttl_hours": VERIFY_TTL_HOURS}),
        )?;
        Ok(())
    })
}

/// Marks every unused token of this purpose of the user as used.
fn expire_tokens(conn: &mut DbConn, user_id: &str, purpose: &str) -> Result<(), AuthError> {
    let now = crate::time::now();
    diesel::update(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .execute(conn.diesel())?;
    Ok(())
}

/// Whether `token` is a usable token of this purpose (without using it).
pub fn token_is_usable(conn: &mut DbConn, token: &str, purpose: &str) -> Result<bool, AuthError> {
    let hash = super::sessions::digest(token);
    let now = crate::time::now();
    let found: Option<String> = account_tokens::table
        .filter(account_tokens::token_hash.eq(&hash))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select(account_tokens::id)
        .first(conn.diesel())
        .optional()?;
    Ok(found.is_some())
}

/// Marks the email of the token's user as verified.
pub fn verify_email(conn: &mut DbConn, token: &str) -> Result<(), AuthError> {
    conn.transaction(|conn| {
        let user_id = use_token(conn, token, "verify_email")?;
        let now: NaiveDateTime = crate::time::now();
        diesel::update(users::table.find(&user_id))
            .set((
                users::email_verified_at.eq(Some(now)),
                users::updated_at.eq(now),
            ))
            .execute(conn.diesel())?;
        Ok(())
    })
}

/// Mails a password-reset link when the address belongs to an active user.
pub fn request_reset(conn: &mut DbConn, email: &str) -> Result<(), AuthError> {
    let email = normalise_email(email);
    conn.transaction(|conn| {
        match find_user(conn, &email)? {
            Some(user) if user.disabled_at.is_none() => {
                let token = new_token(
                    conn,
                    &user.id,
                    "reset_password",
                    Duration::minutes(RESET_TTL_MINUTES),
                )?;
                outbox::enqueue(
                    conn,
                    &user.email,
                    "password_reset",
                    &user.locale,
                    &json!({"display_name": user.display_name, "token": token, "ttl_minutes": RESET_TTL_MINUTES}),
                )?;
            }
            // unknown or disabled: the owner of the address learns someone asked; the work
            // done (and its time) is close to the known case's
            _ => {
                outbox::enqueue(conn, &email, "password_reset_unknown", "fr", &json!({}))?;
            }
        }
        Ok(())
    })
}

/// Sets a new password and signs the user out everywhere (every session is revoked).
pub fn set_password(
    conn: &mut DbConn,
    user_id: &str,
    password_hash: String,
) -> Result<(), AuthError> {
    let now = crate::time::now();
    expire_tokens(conn, user_id, "reset_password")?;
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(Some(password_hash)),
            users::updated_at.eq(now),
        ))
        .execute(conn.diesel())?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn.diesel())?;
    Ok(())
}

/// Completes a reset: the token is used once and the user's sessions end.
pub fn confirm_reset(
    conn: &mut DbConn,
    token: &str,
    password_hash: String,
) -> Result<(), AuthError> {
    conn.transaction(|conn| {
        let user_id = use_token(conn, token, "reset_password")?;
        set_password(conn, &user_id, password_hash)?;
        let now = crate::time::now();
        // the reset link reached the mailbox: the address is proven
        diesel::update(
            users::table
                .find(&user_id)
                .filter(users::email_verified_at.is_null()),
        )
        .set(users::email_verified_at.eq(Some(now)))
        .execute(conn.diesel())?;
        // a reset means the account may have been taken: its API keys go too
        diesel::update(
            api_keys::table
                .filter(api_keys::user_id.eq(&user_id))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(Some(now)))
        .execute(conn.diesel())?;
        Ok(())
    })
}

/// The email and password hash of a user (for password checks).
pub fn credentials(
    conn: &mut DbConn,
    user_id: &str,
) -> Result<(String, Option<String>), AuthError> {
    Ok(users::table
        .find(user_id)
        .select((users::email, users::password_hash))
        .first(conn.diesel())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Camille@Example.ORG ")
                .map(|e| e.0)
                .ok()
                .as_deref(),
            Some("camille@example.org")
        );
        for bad in [
            "",
            "camille",
            "@example.org",
            "camille@",
            "camille@org",
            "a@b@c.org",
            "ca mille@example.org",
            "camille@example..org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_ten_characters_and_not_the_email() {
        assert!(check_password("password", "short", None).is_err());
        assert!(check_password(
            "password",
            "camille@example.org",
            Some("camille@example.org")
        )
        .is_err());
        assert!(check_password(
            "password",
            "correct horse battery",
            Some("camille@example.org")
        )
        .is_ok());
    }
}
