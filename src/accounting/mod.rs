//! Accounting: the marketplace's ledger in the deployment's books.
//!
//! - [`balance`]: the trial balance of a period, and the opening entries of a fiscal year.
//! - [`books`]: enterprise books — a hub's or a producer's own accounts, written from its
//!   orders and settlements (sales split per VAT rate, VAT collected and deductible) — and
//!   [`books::Book`], which books to validate or export.
//! - [`chart`]: which accounting account each ledger account maps to, which journal each
//!   kind of entry goes to, with each country's plan ([`chart::Plan`]: the French PCG in
//!   `fixtures/chart_fr.toml`, the Swiss SME chart with Odoo `l10n_ch`'s codes in
//!   `fixtures/chart_ch.toml`).
//! - [`nature`]: each kind of ledger account's nature in the books (asset, liability,
//!   income), which decides on which side a ledger movement lands.
//! - [`pipeline`]: the one book pipeline every book goes through — validation in chunks
//!   under the book's lock, numbering per journal and year, storage, lettering, paging for
//!   the exports — with each book's sources and tables supplied by the book.
//! - [`moves`]: the deployment's book — each ledger entry that moves money becomes a
//!   numbered, balanced move in euros, stored as exported.
//! - [`labels`]: the moves' labels in the books' language.
//! - [`export`]: the FEC and Odoo's import CSV, rendered from the stored moves;
//!   [`general_ledger`]: the general ledger as CSV (Switzerland's legal export, with the
//!   trial balance).
//! - [`periods`]: closing a past period; [`closed`]: the closed periods as the books read
//!   them (an entry reaching the books late is dated the day after).
//! - [`odoo`]: the push of validated moves to Odoo (JSON-RPC or JSON-2): identities,
//!   conflicts, set-up ([`odoo::prepare`]).
//!
//! The books are the deployment's (the association running Comptoir): every ledger account
//! is in them, wallets as third-party accounts (467, one auxiliary account per holder).
//! Each enterprise also has its own books ([`books`]), exported the same way.

pub mod balance;
pub mod books;
pub mod chart;
pub mod closed;
pub mod export;
pub mod general_ledger;
pub mod labels;
pub mod moves;
pub mod nature;
pub mod odoo;
pub mod periods;
pub mod pipeline;

/// What can go wrong with the books: the chart, validation into moves, periods, exports and the Odoo sync.
#[derive(Debug, thiserror::Error)]
pub enum AccountingError {
    #[error(transparent)]
    Invalid(#[from] crate::error::Invalid),
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state.
    #[error("{0}")]
    Conflict(String),
    /// A failure that is no one's input (a broken invariant, an I/O error).
    #[error("{0}")]
    Internal(String),
    /// A ledger account or a VAT rate the chart does not map.
    #[error("{0}")]
    Unmapped(String),
    /// The period is closed, or overlaps a closed one.
    #[error("{0}")]
    PeriodClosed(String),
    /// The period holds no move to export.
    #[error("{0}")]
    NothingToExport(String),
    /// Odoo is not available now (unreachable, refusing, misconfigured): retry later.
    #[error("{0}")]
    RetryLater(String),
    /// Another Odoo sync holds the lease: retry when it is done.
    #[error("{0}")]
    SyncRunning(String),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Enterprise(#[from] crate::enterprises::EnterpriseError),
    #[error(transparent)]
    Order(#[from] crate::orders::OrderError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
}

impl From<crate::money::AmountMismatch> for AccountingError {
    fn from(e: crate::money::AmountMismatch) -> AccountingError {
        AccountingError::Ledger(e.into())
    }
}

crate::error::domain_error!(AccountingError);
