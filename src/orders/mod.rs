//! The marketplace: order cycles of a hub, what they offer, carts, checkout and orders.
//!
//! - [`cycles`]: a hub's order cycles and their offer.
//! - [`planning`]: creating a cycle, copying one to make the next.
//! - [`shipping`]: a cycle's pickup and delivery methods.
//! - [`fees`]: the hub's enterprise fees and their calculators.
//! - [`quote`]: pricing of a basket (VAT per line, local-currency share), pure arithmetic.
//! - [`cart`]: the customer's cart in an open cycle.
//! - [`shopfront`]: what the shop pages read — one page of a cycle's offer filtered in SQL,
//!   a hub's open cycles, a customer's carts.
//! - [`checkout`]: checkout (stock, hold, euro receivable), cancellation, euro payment.
//! - [`adjust`]: weighed, missing and substituted lines — what was really delivered,
//!   priced again before the settlement.
//! - [`close`]: closing a cycle (ordering stops), then settling it — payments captured,
//!   sales booked, producers paid.
//! - [`reports`]: the cycle's reports for the hub (JSON or CSV).
//! - [`refunds`]: euros owed back — refunds and customer credit with a hub.
//! - [`order`]: orders as stored and shown.
//! - [`addresses`]: delivery addresses — parsed, saved in a person's book, snapshotted on an
//!   order.
//! - [`payment`]: how the euro part is collected.
//! - [`mails`]: the order mails, through the outbox.
//! - [`numbers`]: order numbers per hub and year (`CAG-2026-000123`), gapless.

pub mod addresses;
pub mod adjust;
pub mod cart;
pub mod checkout;
pub mod close;
pub mod cycles;
pub mod fees;
pub mod limits;
pub mod mails;
pub mod numbers;
pub mod order;
pub mod payment;
pub mod planning;
pub mod quote;
pub mod refunds;
pub mod reports;
pub mod shipping;
pub mod shopfront;

/// What can go wrong with order cycles, carts, orders, their close and reports.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
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
    /// The cycle is upcoming, closed or settled: it takes no orders now.
    #[error("{0}")]
    CycleNotOpen(String),
    /// Not enough of a variant is left.
    #[error("{0}")]
    OutOfStock(String),
    /// The order's state does not allow this.
    #[error("{0}")]
    OrderState(String),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Enterprise(#[from] crate::enterprises::EnterpriseError),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
}

impl From<crate::money::AmountMismatch> for OrderError {
    fn from(e: crate::money::AmountMismatch) -> OrderError {
        OrderError::Ledger(e.into())
    }
}

crate::error::domain_error!(OrderError);
