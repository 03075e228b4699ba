//! My orders: the list, an order's page (lines, split, state, receipt), cancelling while the cycle is open.

use actix_web::web;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!();

/// This module's pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
