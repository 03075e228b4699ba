//! Comptoir: marketplace backend for the social and solidarity economy.
//!
//! Domain modules own their models, queries and rules; [`api`] holds the thin HTTP layer.
//! - [`enterprises`]: producers, hubs, currency associations
//! - [`catalog`]: products and variants
//! - [`orders`]: order cycles and basket pricing
//! - [`ledger`]: currencies, and as it grows the double-entry ledger
//! - [`auth`]: users and roles, passwords, tokens, sessions, authorization
//! - [`mail`]: the transactional outbox
//! - [`demo`]: the demo marketplace in `fixtures/demo/`
//! - [`db`], [`config`], [`error`], [`money`], [`time`]: foundations shared by all

pub mod accounting;
pub mod api;
pub mod auth;
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod enterprises;
pub mod error;
pub mod ledger;
pub mod mail;
pub mod money;
pub mod orders;
pub mod server;
pub mod time;
