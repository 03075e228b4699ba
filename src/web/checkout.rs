//! Checking out: pickup or delivery, the split between local currency and the legal one, customer credit, a summary to check, confirm.

use actix_web::web;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!();

/// This module's pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
