//! The front page: what this marketplace is, the hubs taking orders now (and until when, in
//! each hub's time), and the producers.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::error::WebError;
use super::render::Pages;
use super::session::Visitor;
use crate::enterprises::{self, KindFilter};
use crate::mail::format::mail_time;
use crate::orders::cycles;
use crate::pagination::PageParams;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("home.html");

/// `GET /`.
pub async fn home(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
) -> Result<HttpResponse, WebError> {
    let (shops, producers) = state
        .db
        .run(|conn| -> Result<_, WebError> {
            let shops = cycles::open_shops(conn)?;
            let producers = enterprises::list_public(
                conn,
                Some(KindFilter::Producer),
                &PageParams {
                    limit: Some(100),
                    after: None,
                },
            )?;
            Ok((shops, producers.items))
        })
        .await?;
    let shops: Vec<_> = shops
        .into_iter()
        .map(|s| {
            json!({
                "slug": s.hub_slug,
                "name": s.hub_name,
                "description": s.hub_description,
                "cycle": s.cycle.name,
                "closes_at": mail_time(s.cycle.closes_at, &s.cycle.time_zone),
            })
        })
        .collect();
    let producers: Vec<_> = producers
        .into_iter()
        .map(|p| {
            json!({
                "slug": p.slug,
                "name": p.name,
                "description": p.description,
                "city": p.address.city,
            })
        })
        .collect();
    super::render(
        &pages,
        &visitor,
        "home.html",
        json!({"shops": shops, "producers": producers}),
    )
}
