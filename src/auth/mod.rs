//! People: users and their roles in enterprises.
//!
//! Log-in, tokens and the authorization layer are built on these tables (issue: accounts,
//! authentication and per-enterprise authorization).

pub mod users;
