//! The ledger: currencies (euro and local currencies) and, as it grows, accounts, transfers
//! and journal entries. See DOMAIN.md §3–4.

pub mod currencies;
