//! Accounting: the marketplace's ledger in the deployment's books.
//!
//! - [`balance`]: the trial balance of a period, and the opening entries of a fiscal year.
//! - [`books`]: enterprise books — a hub's or a producer's own accounts, written from its
//!   orders and settlements (sales split per VAT rate, VAT collected and deductible).
//! - [`chart`]: which accounting account each ledger account maps to, which journal each
//!   kind of entry goes to (French defaults in `fixtures/chart_fr.toml`).
//! - [`nature`]: each kind of ledger account's nature in the books (asset, liability,
//!   income), which decides on which side a ledger movement lands.
//! - [`moves`]: validation — each ledger entry that moves money becomes a numbered,
//!   balanced move in euros, stored as exported.
//! - [`labels`]: the moves' labels in the books' language.
//! - [`export`]: the FEC and Odoo's import CSV, rendered from the stored moves.
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
pub mod labels;
pub mod moves;
pub mod nature;
pub mod odoo;
pub mod periods;
