//! Throttling of failed log-ins (and of registrations, resets and password checks), per
//! account and per client address.
//!
//! Each key (an email, an address) may be tried `limit` times in a window; further attempts
//! are refused with 429 and `Retry-After` until the window ends — even with the right
//! password, so guessing gains nothing. An attempt is counted *before* it is made
//! ([`Throttle::reserve`]: parallel guesses cannot all slip past the check) and given back
//! when it succeeds ([`Throttle::release`]); a successful log-in clears its account's count
//! ([`Throttle::clear`]), not its address's.
//!
//! The counts live in the database (`login_throttle`: one row per scope and key, the
//! window's start and the attempts in it) and the windows run on **the database's clock**
//! ([`crate::db::clock_seconds`]): every instance serving one database counts the same
//! attempts, whichever instance each request reaches. Each count is one atomic upsert, so two
//! instances reserving at once cannot both take the last attempt. Finished windows are
//! deleted as new ones start (an index on the window's start).

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::AuthError;
use crate::db::DbConn;

/// One throttle: its scope in the table, how many attempts a window allows, how long a
/// window lasts.
#[derive(Debug)]
pub struct Throttle {
    scope: &'static str,
    limit: u32,
    window: Duration,
}

/// A window's count, as the upsert leaves it.
#[derive(Debug, QueryableByName)]
struct Count {
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Counts one attempt of `(scope, key)` (`$1`, `$2`) at `now` (`$3`, Unix seconds), in a
/// window of `$4` seconds with a limit of `$5`: a finished window starts again at 1. A full
/// one is left as it is and no row is returned: the attempt is refused **and not counted**.
/// (Counting refusals one past the limit, as before, left a reservation no success ever gave
/// back: 31 log-ins at once from one address locked it out for the whole window.) The
/// condition is read under the row's lock, so two instances cannot both take the last
/// attempt. (Parameters first appear in their numbers' order: SQLite numbers `$N` by their
/// first appearance.)
const RESERVE: &str = "INSERT INTO login_throttle (scope, key, window_start, attempts)
    VALUES ($1, $2, $3, 1)
    ON CONFLICT (scope, key) DO UPDATE SET
        window_start = CASE WHEN login_throttle.window_start <= $3 - $4 THEN $3
            ELSE login_throttle.window_start END,
        attempts = CASE WHEN login_throttle.window_start <= $3 - $4 THEN 1
            ELSE login_throttle.attempts + 1 END
        WHERE login_throttle.window_start <= $3 - $4 OR login_throttle.attempts < $5
    RETURNING attempts";

/// When the window of `(scope, key)` started (read after a refusal, for `Retry-After`).
#[derive(Debug, QueryableByName)]
struct Started {
    #[diesel(sql_type = BigInt)]
    window_start: i64,
}

impl Throttle {
    /// A throttle of `limit` attempts per `window`, its counts kept under `scope`.
    pub fn new(scope: &'static str, limit: u32, window: Duration) -> Throttle {
        Throttle {
            scope,
            limit,
            window,
        }
    }

    fn window_seconds(&self) -> i64 {
        i64::try_from(self.window.as_secs())
            .unwrap_or(i64::MAX)
            .max(1)
    }

    /// Counts an attempt of `key` before it is made; [`AuthError::Throttled`] (with the
    /// seconds until the window ends) when the window's attempts are all taken.
    pub fn reserve(&self, conn: &mut DbConn, key: &str) -> Result<(), AuthError> {
        let now = crate::db::clock_seconds(conn)?;
        let window = self.window_seconds();
        let counted: Option<Count> = diesel::sql_query(RESERVE)
            .bind::<Text, _>(self.scope)
            .bind::<Text, _>(key)
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(window)
            .bind::<Integer, _>(i32::try_from(self.limit).unwrap_or(i32::MAX))
            .get_result(conn.diesel())
            .optional()?;
        let refused = match &counted {
            // a limit of 0 refuses even a window's first attempt
            Some(count) if i64::from(count.attempts) > i64::from(self.limit) => {
                self.release(conn, key)?;
                true
            }
            Some(_) => false,
            None => true,
        };
        if refused {
            // the window is full (and stays so until it ends)
            let started: Option<Started> = diesel::sql_query(
                "SELECT window_start FROM login_throttle WHERE scope = $1 AND key = $2",
            )
            .bind::<Text, _>(self.scope)
            .bind::<Text, _>(key)
            .get_result(conn.diesel())
            .optional()?;
            let start = started.map_or(now, |s| s.window_start);
            let left = start + window - now;
            return Err(AuthError::Throttled {
                retry_after_seconds: u64::try_from(left).unwrap_or(0).max(1),
            });
        }
        if counted.is_some_and(|c| c.attempts == 1) {
            // a window started: the finished ones of this scope go
            diesel::sql_query("DELETE FROM login_throttle WHERE scope = $1 AND window_start <= $2")
                .bind::<Text, _>(self.scope)
                .bind::<BigInt, _>(now - window)
                .execute(conn.diesel())?;
        }
        Ok(())
    }

    /// Gives back an attempt reserved by [`Throttle::reserve`] that turned out not to fail.
    pub fn release(&self, conn: &mut DbConn, key: &str) -> Result<(), AuthError> {
        diesel::sql_query(
            "UPDATE login_throttle SET attempts = attempts - 1
             WHERE scope = $1 AND key = $2 AND attempts > 0",
        )
        .bind::<Text, _>(self.scope)
        .bind::<Text, _>(key)
        .execute(conn.diesel())?;
        Ok(())
    }

    /// Forgets `key`'s attempts.
    pub fn clear(&self, conn: &mut DbConn, key: &str) -> Result<(), AuthError> {
        diesel::sql_query("DELETE FROM login_throttle WHERE scope = $1 AND key = $2")
            .bind::<Text, _>(self.scope)
            .bind::<Text, _>(key)
            .execute(conn.diesel())?;
        Ok(())
    }
}

/// Forgets the attempts counted against the account of `email` (its log-ins, registrations
/// and resets): the erasure of a person leaves no address of theirs here.
pub fn forget_account(conn: &mut DbConn, email: &str) -> diesel::QueryResult<usize> {
    let email = super::users::normalise_email(email);
    diesel::sql_query("DELETE FROM login_throttle WHERE scope = 'account' AND key IN ($1, $2, $3)")
        .bind::<Text, _>(format!("email:{email}"))
        .bind::<Text, _>(format!("register:{email}"))
        .bind::<Text, _>(format!("reset:{email}"))
        .execute(conn.diesel())
}

/// Which of the log-in throttles a key is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Per account (an email): 5 attempts per 15 minutes.
    Account,
    /// Per client address: 30 attempts per 15 minutes.
    Address,
}

/// The log-in throttles: 5 failures per account and 30 per address, per 15 minutes.
#[derive(Debug)]
pub struct LoginThrottle {
    pub accounts: Throttle,
    pub addresses: Throttle,
}

impl Default for LoginThrottle {
    fn default() -> LoginThrottle {
        let window = Duration::from_secs(15 * 60);
        LoginThrottle {
            accounts: Throttle::new("account", 5, window),
            addresses: Throttle::new("address", 30, window),
        }
    }
}

impl LoginThrottle {
    pub fn of(&self, limit: Limit) -> &Throttle {
        match limit {
            Limit::Account => &self.accounts,
            Limit::Address => &self.addresses,
        }
    }

    /// Counts an attempt against each key in turn before the work is done;
    /// [`AuthError::Throttled`] at the first one locked out, the ones before given back (a
    /// refused request did nothing, so it counts against none of its keys).
    pub fn reserve_all(
        &self,
        conn: &mut DbConn,
        keys: &[(Limit, String)],
    ) -> Result<(), AuthError> {
        for (taken, (limit, key)) in keys.iter().enumerate() {
            if let Err(refused) = self.of(*limit).reserve(conn, key) {
                for (limit, key) in &keys[..taken] {
                    self.of(*limit).release(conn, key)?;
                }
                return Err(refused);
            }
        }
        Ok(())
    }
}
