//! The cart: quantities, removal, totals with fees, VAT per rate, the most payable in local currency.

use actix_web::web;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!();

/// This module's pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
