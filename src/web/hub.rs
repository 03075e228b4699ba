//! The hub's office: the hub's cycles and everything done with them, its suppliers, its team
//! and its books. Every page is under `/hub/{slug}` (the hub's slug, resolved as the API
//! resolves it: a hub hidden from the reader is 404) and asks the one policy function for
//! the action the API asks for the same thing — reading is open to the hub's team
//! ([`Action::ListHubOrders`]: owners, managers, cashiers, treasurers), editing cycles to
//! its owners and managers ([`Action::ManageHubOrders`]), the till's work (weighing, payments,
//! refunds) to the roles the API lets do it.
//!
//! The office is four modules, one per part of a hub's week:
//! - this one: `GET /hub/{slug}`, the office's home — the cycles newest first, with their
//!   state, and the way to the other parts; the loaders every hub page uses ([`hub`],
//!   [`cycle`]) and the navigation ([`HubView`], `hub_nav.html`, `hub_cycle_nav.html`);
//! - [`super::hub_cycles`]: planning — create, copy and edit a cycle, its offer, fees and
//!   pickup/delivery methods;
//! - [`super::hub_orders`]: a cycle's orders, an order's page, weighing, missing lines,
//!   substitutions, euro payments and refunds;
//! - [`super::hub_reports`]: the seven reports (tables, CSV, printable sheets), closing and
//!   settling a cycle with a preview.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::error::WebError;
use super::render::Pages;
use super::render_status;
use super::session::{Reader, Visitor};
use crate::auth::policy::{authorize, Action};
use crate::enterprises::{self, EnterpriseKind, EnterpriseRow};
use crate::mail::format::mail_time;
use crate::orders::cycles::{self, OrderCycleRow};
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] =
    crate::web_templates!("hub_home.html", "hub_nav.html", "hub_cycle_nav.html");

/// Cycles the home page lists.
const CYCLES_PAGE: u32 = 30;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hub/{slug}", web::get().to(home));
}

/// The hub a page is about, as templates read it (`hub.name`, `hub.slug`, `hub.base`).
#[derive(Debug, Clone, Serialize)]
pub struct HubView {
    pub id: String,
    pub name: String,
    pub slug: String,
    /// `/hub/{slug}`: every link of the office starts here.
    pub base: String,
    /// The IANA zone the hub shows its times in.
    pub time_zone: String,
}

impl HubView {
    fn of(row: &EnterpriseRow) -> HubView {
        HubView {
            id: row.id.clone(),
            name: row.name.clone(),
            slug: row.slug.clone(),
            base: format!("/hub/{}", row.slug),
            time_zone: row.time_zone.clone(),
        }
    }
}

/// The hub `slug`, once the policy allows `action` on it to the reader: 404 when it is no
/// hub (or is hidden from the reader), 403 when the action is not the reader's.
pub async fn hub(
    state: &AppState,
    reader: &Reader,
    slug: String,
    action: for<'a> fn(&'a str) -> Action<'a>,
) -> Result<HubView, WebError> {
    let actor = reader.actor.clone();
    let row = state
        .db
        .run(move |conn| -> Result<EnterpriseRow, WebError> {
            let id = enterprises::resolve(conn, &actor, &slug)?;
            Ok(enterprises::get_row(conn, &id)?)
        })
        .await?;
    if !EnterpriseKind::parse(&row.kind).is_some_and(EnterpriseKind::is_hub) {
        return Err(WebError::NotFound(format!("`{}` is not a hub", row.slug)));
    }
    authorize(&reader.actor, action(&row.id))?;
    Ok(HubView::of(&row))
}

/// The hub `slug` and its cycle `cycle_id`, once the policy allows `action` on the hub: 404
/// when the cycle is another hub's (a path never reaches another hub's cycle).
pub async fn cycle(
    state: &AppState,
    reader: &Reader,
    slug: String,
    cycle_id: String,
    action: for<'a> fn(&'a str) -> Action<'a>,
) -> Result<(HubView, OrderCycleRow), WebError> {
    let hub = hub(state, reader, slug, action).await?;
    let hub_id = hub.id.clone();
    let row = state
        .db
        .run(move |conn| -> Result<OrderCycleRow, WebError> {
            let row = cycles::find_row(conn, &cycle_id)?;
            if row.hub_id != hub_id {
                return Err(WebError::NotFound(format!("no order cycle `{cycle_id}`")));
            }
            Ok(row)
        })
        .await?;
    Ok((hub, row))
}

/// A stored time as an `<input type="datetime-local">` value in zone `zone`
/// (`2026-12-10T18:00`).
pub fn local_input(t: chrono::NaiveDateTime, zone: &str) -> String {
    crate::time::local(t, zone)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A `datetime-local` value (`2026-12-10T18:00`, seconds allowed) read in zone `zone`, in
/// UTC; `None` when it is no time of that zone.
pub fn local_time(text: &str, zone: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let text = text.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    crate::time::zone(zone)?
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A cycle as the office's pages show it: its times in the hub's zone (`|datetime` in
/// templates), its state, and its page's path.
#[derive(Debug, Clone, Serialize)]
pub struct CycleView {
    pub id: String,
    pub name: String,
    pub state: &'static str,
    pub opens_at: String,
    pub closes_at: String,
    pub settles_at: Option<String>,
    pub time_zone: String,
    pub producer_settlement: String,
    /// Why the last close failed, until one succeeds.
    pub close_error: Option<String>,
    /// `/hub/{slug}/cycles/{id}`.
    pub base: String,
}

impl CycleView {
    pub fn of(hub: &HubView, row: &OrderCycleRow) -> CycleView {
        let zone = &row.time_zone;
        CycleView {
            id: row.id.clone(),
            name: row.name.clone(),
            state: row.state(crate::time::now()).as_str(),
            opens_at: mail_time(row.opens_at, zone),
            closes_at: mail_time(row.closes_at, zone),
            settles_at: row.settles_at.map(|t| mail_time(t, zone)),
            time_zone: zone.clone(),
            producer_settlement: row.producer_settlement.clone(),
            close_error: row.close_error.clone(),
            base: format!("{}/cycles/{}", hub.base, row.id),
        }
    }
}

#[derive(Serialize)]
struct HomePage {
    hub: HubView,
    cycles: Vec<CycleView>,
    /// Whether the reader may plan cycles (the "new cycle" and "copy" links).
    may_plan: bool,
}

/// `GET /hub/{slug}`: the hub's cycles, newest first.
pub async fn home(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let hub = hub(&state, reader, slug.into_inner(), |hub_id| {
        Action::ListHubOrders { hub_id }
    })
    .await?;
    let hub_id = hub.id.clone();
    let rows = state
        .db
        .run(move |conn| -> Result<Vec<OrderCycleRow>, WebError> {
            Ok(cycles::newest_of_hub(conn, &hub_id, CYCLES_PAGE)?)
        })
        .await?;
    let may_plan = authorize(&reader.actor, Action::ManageHubOrders { hub_id: &hub.id }).is_ok();
    let cycles = rows.iter().map(|r| CycleView::of(&hub, r)).collect();
    render_status(
        &pages,
        &visitor,
        "hub_home.html",
        HomePage {
            hub,
            cycles,
            may_plan,
        },
        actix_web::http::StatusCode::OK,
    )
}
