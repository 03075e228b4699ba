//! A hub's shop (its open cycles' offer by producer and category, search, filters, pages) and a producer's page.

use actix_web::web;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!();

/// This module's pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
