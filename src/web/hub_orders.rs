//! A hub's orders (see [`super::hub`]): a cycle's orders, an order's page, weighing,
//! missing lines, substitutions, euro payments and refunds.

use actix_web::web;

pub const TEMPLATES: &[(&str, &str)] = &[];

/// This module's pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
