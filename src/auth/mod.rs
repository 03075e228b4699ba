//! People: users, their roles in enterprises, passwords, access tokens, and the one
//! authorization policy every route goes through.

pub mod actor;
pub mod api_keys;
pub mod passwords;
pub mod policy;
pub mod registration;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
