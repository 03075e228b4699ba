//! The wallet: balances, holds, history with paging and CSV, a top-up request, paying a payment request.

use actix_web::web;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!();

/// This module's pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
