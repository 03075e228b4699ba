//! Logging in with an email and a password: the throttle (per account and per address,
//! reserved before the password is checked, so parallel guesses cannot all pass), the
//! look-up, the password check (argon2id, run whether or not the user exists: the same
//! time either way) and the new session.
//!
//! [`log_in`] blocks: call it off the async workers. It holds no database connection while
//! the password is hashed.

use diesel::prelude::*;

use super::sessions::{self, Issued};
use super::throttle::LoginThrottle;
use super::users::normalise_email;
use super::{passwords, AuthError};
use crate::db::schema::users;
use crate::db::Db;

/// What a person sent to log in, and the address it came from.
pub struct Attempt {
    pub email: String,
    pub password: String,
    /// The client's IP address as text (empty when unknown).
    pub address: String,
}

/// What log-in reads of a user: id, password hash, disabled at, email verified at.
type Credentials = (
    String,
    Option<String>,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
);

/// Checks the attempt and starts a session of `refresh_ttl_seconds`.
///
/// Refused: too many attempts for this account or address ([`AuthError::Throttled`]); a
/// wrong email or password, or a disabled account, with one message for all
/// ([`AuthError::Unauthorized`]); an address not confirmed yet ([`AuthError::Forbidden`],
/// told only to the password's owner).
pub fn log_in(
    db: &Db,
    throttle: &LoginThrottle,
    attempt: Attempt,
    refresh_ttl_seconds: u64,
) -> Result<Issued, AuthError> {
    let email = normalise_email(&attempt.email);
    let account_key = format!("email:{email}");
    let address_key = format!("address:{}", attempt.address);
    // a success gives its reservations back
    {
        let conn = &mut db.conn()?;
        throttle.accounts.reserve(conn, &account_key)?;
        if let Err(e) = throttle.addresses.reserve(conn, &address_key) {
            throttle.accounts.release(conn, &account_key)?;
            return Err(e);
        }
    }
    let user: Option<Credentials> = users::table
        .filter(users::email.eq(&email))
        .select((
            users::id,
            users::password_hash,
            users::disabled_at,
            users::email_verified_at,
        ))
        .first(db.conn()?.diesel())
        .optional()?;
    let stored = user.as_ref().and_then(|(_, hash, _, _)| hash.as_deref());
    let matches = passwords::verify(&attempt.password, stored);
    let (user_id, verified) = match user {
        Some((id, _, None, verified)) if matches => (id, verified.is_some()),
        _ => {
            return Err(AuthError::Unauthorized(
                "the email or the password is wrong".into(),
            ))
        }
    };
    if !verified {
        // only the password's owner gets this far: telling them is no leak
        return Err(AuthError::Forbidden(
            "confirm your email address first: follow the link we mailed you".into(),
        ));
    }
    let conn = &mut db.conn()?;
    throttle.accounts.clear(conn, &account_key)?;
    throttle.addresses.release(conn, &address_key)?;
    sessions::start(conn, &user_id, refresh_ttl_seconds)
}
