//! A hub's reports and the end of a cycle (see [`super::hub`]): the seven reports as tables,
//! CSV and printable sheets; closing and settling with a preview.

use actix_web::web;

pub const TEMPLATES: &[(&str, &str)] = &[];

/// This module's pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
