//! Planning a hub's cycles (see [`super::hub`]): create, copy and edit a cycle, its offer,
//! fees and pickup/delivery methods. Pages under `/hub/{slug}/cycles/…`.

use actix_web::web;

pub const TEMPLATES: &[(&str, &str)] = &[];

/// This module's pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
