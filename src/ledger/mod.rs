//! The ledger: double-entry, multi-currency, append-only and verifiable. See DOMAIN.md §3–4.
//!
//! - [`currencies`]: the euro and local currencies (scale, parity, issuer, flow rules).
//! - [`accounts`]: one currency each, an owner, a kind, a limit, cached totals.
//! - [`engine`]: the state machine applying transfers and checking the invariants.
//! - [`journal`]: commits entries in one transaction, idempotently, with locks and a hash chain.
//! - [`group`]: group commit — concurrent commits share one write transaction.
//! - [`ops`]: the local-currency operations (issue, pay, hold/post/void, reverse, reconvert…).
//! - [`batch`]: payments and issuances in batches, one write transaction for many entries.
//! - [`history`]: an account's transfers page by page and as CSV, its open holds.
//! - [`verify`]: recomputes everything from the journal and reports violations.

pub mod accounts;
pub mod batch;
pub mod circulation;
pub mod currencies;
pub mod engine;
pub mod group;
pub mod history;
pub mod holds;
pub mod journal;
pub mod kinds;
pub mod ops;
pub mod receipts;
pub mod rules;
pub mod store;
pub mod verify;

use accounts::AccountStatus;

/// Why the ledger refused an operation. Nothing was written when one is returned.
/// `138.00 LEM` (or `13800 minor units of LEM` while the scale is unknown).
fn shown(minor: i64, currency: &str, scale: Option<u32>) -> String {
    match scale {
        Some(scale) => format!("{} {currency}", crate::money::format_minor(minor, scale)),
        None => format!("{minor} minor units of {currency}"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("no account `{0}`")]
    AccountNotFound(String),
    #[error("no currency `{0}`")]
    CurrencyNotFound(String),
    #[error("no hold `{0}`")]
    HoldNotFound(String),
    #[error("no ledger entry `{0}`")]
    EntryNotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("account `{account}` is in {account_currency}, not {currency}")]
    CurrencyMismatch {
        account: String,
        account_currency: String,
        currency: String,
    },
    #[error("account `{account}` is {}", status.as_str())]
    AccountNotActive {
        account: String,
        status: AccountStatus,
    },
    /// `available` is what the account could spend: its available balance plus its overdraft.
    /// Amounts are minor units of `currency`, shown in its decimals once `scale` is known
    /// (the journal fills it in: the engine knows no currency's scale).
    #[error(
        "account `{account}` can spend {} (overdraft limit {} included); {} requested",
        shown(*available, currency, *scale),
        shown(*overdraft_limit, currency, *scale),
        shown(*requested, currency, *scale)
    )]
    InsufficientFunds {
        account: String,
        currency: String,
        scale: Option<u32>,
        available: i64,
        overdraft_limit: i64,
        requested: i64,
    },
    #[error("{0}")]
    FlowNotAllowed(String),
    #[error("{0}")]
    ReconversionNotAllowed(String),
    #[error("hold `{0}` was already posted or voided")]
    HoldResolved(String),
    #[error("hold `{0}` has expired")]
    HoldExpired(String),
    #[error("entry `{0}` was already reversed")]
    AlreadyReversed(String),
    #[error("entry id `{0}` was already used for a different request")]
    IdempotencyConflict(String),
    #[error("the amounts would overflow")]
    Overflow,
    #[error("ledger invariant violated: {0}")]
    Invariant(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
    /// The deployment's legal currency cannot be read.
    #[error(transparent)]
    Deployment(#[from] crate::deployment::DeploymentError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

impl From<crate::money::AmountMismatch> for LedgerError {
    fn from(e: crate::money::AmountMismatch) -> LedgerError {
        match e {
            crate::money::AmountMismatch::Overflow => LedgerError::Overflow,
            // amounts the ledger combines are of one currency by construction
            other => LedgerError::Invariant(other.to_string()),
        }
    }
}
