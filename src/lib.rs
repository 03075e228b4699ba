//! Comptoir: marketplace backend for the social and solidarity economy.
//!
//! Domain modules own their models, queries and rules; [`api`] holds the thin HTTP layer.
//! - [`enterprises`]: producers, hubs, currency associations
//! - [`catalog`]: products and variants
//! - [`orders`]: order cycles and basket pricing
//! - [`ledger`]: currencies and the double-entry ledger
//! - [`association`]: a currency association's operations beside the ledger: members'
//!   top-up requests, its bank account
//! - [`banking`]: IBANs, payment references, and the bank-transfer QR codes (EPC, Swiss
//!   QR-bill)
//! - [`privacy`]: a person's data, exported and erased
//! - [`accounting`]: the deployment's and the enterprises' books, FEC, Odoo
//! - [`auth`]: users and roles, passwords, tokens, sessions, authorization
//! - [`mail`]: the transactional outbox
//! - [`audit`]: the append-only trail of administrative acts
//! - [`demo`]: the demo marketplace in `fixtures/demo/`
//! - [`setup`]: migrations, then the reference data the domain owns
//! - [`db`], [`config`], [`error`], [`ids`], [`money`], [`time`], [`pagination`], [`text`],
//!   [`idempotency`], [`memory`]: foundations shared by all

pub mod accounting;
pub mod api;
pub mod association;
pub mod audit;
pub mod auth;
pub mod banking;
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod deployment;
pub mod enterprises;
pub mod error;
pub mod files;
pub mod idempotency;
pub mod ids;
pub mod ledger;
pub mod mail;
pub mod memory;
pub mod money;
pub mod orders;
pub mod pagination;
pub mod privacy;
pub mod server;
pub mod setup;
pub mod state;
pub mod text;
pub mod time;
pub mod web;
