//! My orders: the list, an order's page (lines, fees, VAT per rate, the split, pickup or
//! delivery, refunds and credit), its print-friendly receipt, and cancelling while the cycle
//! is open.
//!
//! - `GET /orders[?after=|?before=]`: the reader's orders, newest first, 20 a page
//!   ([`order::for_customer_page`], in the order of the API's `GET /api/v1/me/orders`), with
//!   links to the older page (`after`, the last order's id) and the newer one (`before`, the
//!   first order's id).
//! - `GET /orders/{id}`: authorized as the API's `GET /api/v1/orders/{id}` (`ReadOrder`:
//!   another customer's order is refused, 403, as the API does). Times in the hub's zone.
//! - `GET /orders/{id}/receipt`: the same facts with the hub's legal identity, to print.
//! - `GET /orders/{id}/cancel` asks "are you sure?" and says what happens to the money;
//!   `POST /orders/{id}/cancel` cancels with [`checkout::cancel`] as the customer
//!   ([`Canceller::Customer`], authorized by `CancelOrder`, as the API's `cancel_order`),
//!   then back to the order with a notice.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::checkout::order_json;
use super::error::WebError;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::NoticeQuery;
use super::{redirect, render, render_status};
use crate::auth::actor::Actor;
use crate::auth::policy::{authorize, Action};
use crate::db::DbConn;
use crate::ids::OrderId;
use crate::mail::format::mail_time;
use crate::orders::checkout::{self, Canceller};
use crate::orders::order::{self, EuroState, OrderState};
use crate::orders::{cycles, shipping, OrderError};
use crate::pagination::PageParams;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "orders.html",
    "order.html",
    "order_cancel.html",
    "receipt.html",
    "order_lines.html",
    "order_payment.html",
    "address.html"
);

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/orders", web::get().to(list))
        .route("/orders/{id}", web::get().to(page))
        .route("/orders/{id}/receipt", web::get().to(receipt))
        .route("/orders/{id}/cancel", web::get().to(cancel_page))
        .route("/orders/{id}/cancel", web::post().to(cancel));
}

/// Orders a page of the list shows.
const ORDERS_PAGE: u32 = 20;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub after: Option<String>,
    pub before: Option<String>,
}

/// The catalogue key of a known notice (never the query's text itself).
fn notice_key(notice: Option<&str>) -> Option<&'static str> {
    match notice? {
        "placed" => Some("orders-notice-placed"),
        "already-placed" => Some("orders-notice-already-placed"),
        "cancelled" => Some("orders-notice-cancelled"),
        "not-cancellable" => Some("orders-notice-not-cancellable"),
        _ => None,
    }
}

/// The names of the producers of an order's lines, by id.
pub fn producer_names(
    conn: &mut DbConn,
    order: &order::Order,
) -> Result<HashMap<String, String>, WebError> {
    let mut names = HashMap::new();
    for id in order.lines.iter().filter_map(|l| l.producer_id.as_ref()) {
        if !names.contains_key(id) {
            let row = crate::enterprises::get_row(conn, id)?;
            names.insert(id.clone(), row.name);
        }
    }
    Ok(names)
}

/// `GET /orders[?after=|?before=]`: one page of the reader's orders.
pub async fn list(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::ReadOwnAccounts)?;
    let user = reader.actor.user_id.clone();
    let page = PageParams {
        limit: Some(ORDERS_PAGE),
        after: query.after.clone().filter(|a| !a.is_empty()),
    };
    let before = query.before.clone().filter(|b| !b.is_empty());
    let values = state
        .db
        .run(move |conn| -> Result<Value, WebError> {
            let found = match order::for_customer_page(conn, &user, &page, before.as_deref()) {
                Ok(found) => found,
                Err(OrderError::Invalid(_)) => {
                    return Err(WebError::NotFound("no such page of your orders".into()))
                }
                Err(e) => return Err(e.into()),
            };
            let orders = found.items;
            let mut hubs: HashMap<String, crate::enterprises::EnterpriseRow> = HashMap::new();
            let mut cycle_names: HashMap<String, String> = HashMap::new();
            let mut list = Vec::new();
            for o in orders {
                if !hubs.contains_key(&o.hub_id) {
                    let hub = crate::enterprises::get_row(conn, &o.hub_id)?;
                    hubs.insert(o.hub_id.clone(), hub);
                }
                if !cycle_names.contains_key(&o.order_cycle_id) {
                    let cycle = cycles::find_row(conn, &o.order_cycle_id)?;
                    cycle_names.insert(o.order_cycle_id.clone(), cycle.name);
                }
                let hub = &hubs[&o.hub_id];
                let when = o.confirmed_at.unwrap_or(o.created_at).naive_utc();
                list.push(json!({
                    "id": o.id,
                    "number": o.number,
                    "hub": hub.name,
                    "cycle": cycle_names[&o.order_cycle_id],
                    "at": mail_time(when, &hub.time_zone),
                    "total": o.total,
                    "state": o.state,
                }));
            }
            Ok(json!({"orders": list, "older": found.older, "newer": found.newer}))
        })
        .await?;
    render(&pages, &visitor, "orders.html", values)
}

/// An order the reader may read, with what its pages show.
struct Loaded {
    context: Value,
    may_cancel: bool,
    state: OrderState,
}

fn load(conn: &mut DbConn, actor: &Actor, id: &str) -> Result<Loaded, WebError> {
    let row = order::find_row(conn, id)?;
    authorize(
        actor,
        Action::ReadOrder {
            customer_id: &row.customer_id,
            hub_id: &row.hub_id,
        },
    )?;
    if row.state()? == OrderState::Cart {
        return Err(WebError::NotFound(format!("no order `{id}`")));
    }
    let may_cancel =
        row.customer_id == actor.user_id.as_str() && checkout::customer_may_cancel(conn, &row)?;
    let view = order::view(conn, row)?;
    let hub = crate::enterprises::get_row(conn, &view.hub_id)?;
    let cycle = cycles::find_row(conn, &view.order_cycle_id)?;
    let method = match &view.shipping_method_id {
        Some(m) => shipping::for_cycle(conn, &view.order_cycle_id)?
            .into_iter()
            .find(|s| s.id == *m),
        None => None,
    };
    let vat = order::vat_per_rate(
        &view,
        method
            .as_ref()
            .map(|m| crate::catalog::vat_percent(m.vat_rate_bp))
            .as_deref(),
    );
    let producers = producer_names(conn, &view)?;
    let zone = hub.time_zone.clone();
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| mail_time(t.naive_utc(), &zone));
    let euro_state = match view.payment.euro_state {
        EuroState::None => "none",
        EuroState::Due => "due",
        EuroState::Paid => "paid",
        EuroState::Cancelled => "cancelled",
    };
    let context = json!({
        "order": order_json(&view, &producers),
        "state": view.state,
        "euro_state": euro_state,
        "vat": vat.iter().map(|(rate, amount)| json!({"rate": rate, "amount": amount})).collect::<Vec<_>>(),
        "confirmed_at": at(view.confirmed_at),
        "cancelled_at": at(view.cancelled_at),
        "cycle": {"name": cycle.name, "closes_at": mail_time(cycle.closes_at, &zone)},
        "hub": {
            "slug": hub.slug, "name": hub.name, "address_line": hub.address_line,
            "postcode": hub.postcode, "city": hub.city, "country": hub.country_code,
            "email": hub.email, "phone": hub.phone, "siren": hub.siren, "siret": hub.siret,
            "uid": hub.uid, "vat_number": hub.vat_number,
        },
        "method": method.map(|m| json!({
            "kind": m.kind, "name": m.name, "address": m.address,
            "instructions": m.instructions, "at": mail_time(m.at_time, &zone),
        })),
        "may_cancel": may_cancel,
    });
    Ok(Loaded {
        context,
        may_cancel,
        state: view.state,
    })
}

async fn load_for(state: &AppState, visitor: &Visitor, id: String) -> Result<Loaded, WebError> {
    let reader = visitor.require()?;
    let actor = reader.actor.clone();
    state.db.run(move |conn| load(conn, &actor, &id)).await
}

/// `GET /orders/{id}`.
pub async fn page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let loaded = load_for(&state, &visitor, id.into_inner()).await?;
    let mut context = loaded.context;
    context["notice"] = notice_key(query.notice.as_deref())
        .map(|k| pages.text(super::i18n::page_locale(visitor.locale), k))
        .into();
    render(&pages, &visitor, "order.html", context)
}

/// `GET /orders/{id}/receipt`: to print.
pub async fn receipt(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let loaded = load_for(&state, &visitor, id.into_inner()).await?;
    render(&pages, &visitor, "receipt.html", loaded.context)
}

/// `GET /orders/{id}/cancel`: are you sure? (and what happens to the money).
pub async fn cancel_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let loaded = load_for(&state, &visitor, id.clone()).await?;
    if !loaded.may_cancel {
        let notice = if loaded.state == OrderState::Cancelled {
            "cancelled"
        } else {
            "not-cancellable"
        };
        return Ok(redirect(&format!("/orders/{id}?notice={notice}")));
    }
    render_status(
        &pages,
        &visitor,
        "order_cancel.html",
        loaded.context,
        StatusCode::OK,
    )
}

/// `POST /orders/{id}/cancel`: cancels as the customer, then back to the order.
pub async fn cancel(
    state: web::Data<AppState>,
    visitor: Visitor,
    _form: Form,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let actor = reader.actor.clone();
    let id = id.into_inner();
    let order_id = id.clone();
    let outcome = state
        .db
        .run(move |conn| -> Result<&'static str, WebError> {
            let row = order::find_row(conn, &order_id)?;
            authorize(
                &actor,
                Action::CancelOrder {
                    customer_id: &row.customer_id,
                    hub_id: &row.hub_id,
                },
            )?;
            match checkout::cancel(conn, &OrderId::from(&order_id), "", Canceller::Customer) {
                Ok(_) => Ok("cancelled"),
                Err(OrderError::OrderState(_) | OrderError::CycleNotOpen(_)) => {
                    // cancelled already (a second submit), or too late
                    let row = order::find_row(conn, &order_id)?;
                    Ok(if row.state()? == OrderState::Cancelled {
                        "cancelled"
                    } else {
                        "not-cancellable"
                    })
                }
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    Ok(redirect(&format!("/orders/{id}?notice={outcome}")))
}
