//! People: users, their roles in enterprises, passwords, access tokens, and the one
//! authorization policy every route goes through.

pub mod actor;
pub mod admins;
pub mod api_keys;
pub mod login;
pub mod passwords;
pub mod policy;
pub mod registration;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

/// What can go wrong with people, their credentials and their rights.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Invalid(#[from] crate::error::Invalid),
    /// No valid credentials: log in (again).
    #[error("{0}")]
    Unauthorized(String),
    /// Too many attempts: wait this many seconds.
    #[error("too many attempts, retry in {retry_after_seconds} s")]
    Throttled { retry_after_seconds: u64 },
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A failure that is no one's input (hashing, signing, a broken invariant).
    #[error("{0}")]
    Internal(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

crate::error::domain_error!(AuthError);
