//! A hub's orders (see [`super::hub`]): a cycle's orders, an order's page, weighing,
//! missing lines, substitutions, euro payments and refunds. Each page and action asks the
//! policy for the action the JSON API asks for the same thing, and calls the same domain
//! function:
//!
//! - `GET /hub/{slug}/cycles/{id}/orders[?state=&payment=&q=&page=]`: the cycle's orders,
//!   50 a page (`ListHubOrders`, as `GET /api/v1/order-cycles/{id}/orders`), filtered by
//!   order state, euro payment state (`due`, `paid`, `none`, `cancelled`, or `owed`: euros
//!   owed back) and a search in the customer's name, e-mail and the order's number. The
//!   database filters, counts and pages ([`order::cycle_counts`], [`order::cycle_page`]);
//!   only a search reads the cycle's customers first, to match names in any case and
//!   alphabet ([`order::customers_of_cycle`]). The page's orders then come with their lines,
//!   fees and addresses ([`order::views`]) and customers ([`order::customers`]): the same
//!   work for a cycle of any size.
//! - `GET /hub/{slug}/orders/{order_id}`: an order of the hub (another hub's is 404): its
//!   customer, pickup or delivery, lines, fees, totals, the local and euro parts, what was
//!   received and given back, and the forms the reader's role and the order's state allow.
//! - `POST /hub/{slug}/orders/{order_id}/lines`: weighs a line (the delivered quantity), marks
//!   it missing or substituted — [`adjust::adjust`] with `WeighOrder`, as
//!   `POST /api/v1/orders/{id}/adjustments`.
//! - `POST /hub/{slug}/orders/{order_id}/payment`: the euro part was paid —
//!   [`checkout::mark_euro_paid`] with `CollectPayment`, as `…/euro-payment`.
//! - `POST /hub/{slug}/orders/{order_id}/refund`: euros owed back refunded (amount, method,
//!   reference) — [`refunds::refund`] with `RecordRefund`, as `…/refunds`.
//! - `POST /hub/{slug}/orders/{order_id}/credit`: euros owed back turned into the customer's
//!   credit with the hub — [`refunds::credit`] with `RecordRefund`, as `…/credit`.
//! - `POST /hub/{slug}/orders/{order_id}/hand-over`: handed over — [`checkout::fulfil`] with
//!   `HandOverOrder`, as `…/fulfil`.
//! - `GET /hub/{slug}/orders/{order_id}/cancel` asks "are you sure?";
//!   `POST /hub/{slug}/orders/{order_id}/cancel` cancels as the hub ([`Canceller::Hub`], with
//!   `CancelOrder` then `ManageHubOrders`, as the API's `…/cancel` for the hub's people).
//!
//! Every action ends on the order's page: a notice when done (POST → 303 → GET); else the
//! page again with the domain's refusal — 422 with the message beside the field for a bad
//! value, 409 with the reason in the error summary when the order's state refuses it.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::checkout::order_json;
use super::error::WebError;
use super::hub::{self, CycleView, HubView};
use super::i18n::{page_locale, Arg};
use super::pager::{PageQuery, Pager};
use super::render::Pages;
use super::session::{Form, Reader, Visitor};
use super::NoticeQuery;
use super::{redirect, render_status};
use crate::auth::actor::Actor;
use crate::auth::policy::{authorize, Action};
use crate::db::DbConn;
use crate::error::FieldError;
use crate::ids::OrderId;
use crate::mail::format::mail_time;
use crate::money::Money;
use crate::orders::adjust::{self, AdjustRequest, DeliveredLine, LineStatus};
use crate::orders::checkout::{self, Canceller};
use crate::orders::cycles::{self, CycleState};
use crate::orders::order::{self, EuroState, OrderState};
use crate::orders::refunds::{self, RefundMethod, RefundRequest};
use crate::orders::{shipping, OrderError};
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] =
    crate::web_templates!("hub_orders.html", "hub_order.html", "hub_order_cancel.html");

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hub/{slug}/cycles/{id}/orders", web::get().to(list))
        .route("/hub/{slug}/orders/{order_id}", web::get().to(page))
        .route("/hub/{slug}/orders/{order_id}/lines", web::post().to(lines))
        .route(
            "/hub/{slug}/orders/{order_id}/payment",
            web::post().to(payment),
        )
        .route(
            "/hub/{slug}/orders/{order_id}/refund",
            web::post().to(refund),
        )
        .route(
            "/hub/{slug}/orders/{order_id}/credit",
            web::post().to(credit),
        )
        .route(
            "/hub/{slug}/orders/{order_id}/hand-over",
            web::post().to(hand_over),
        )
        .route(
            "/hub/{slug}/orders/{order_id}/cancel",
            web::get().to(cancel_page),
        )
        .route(
            "/hub/{slug}/orders/{order_id}/cancel",
            web::post().to(cancel),
        );
}

/// The order states the list filters by (carts are never listed).
const STATES: &[&str] = &["confirmed", "fulfilled", "cancelled"];
/// The euro payment states the list filters by; `owed` is an order owing euros back.
const PAYMENTS: &[&str] = &["due", "paid", "none", "cancelled", "owed"];
/// The most a cancellation's reason may hold (it goes to the customer in a mail).
const REASON_MAX: usize = 500;

/// The list's filters, as the GET form sends them (blank: no filter).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub payment: String,
    #[serde(default)]
    pub q: String,
    /// The page of the list, from 1 ([`PageQuery`]).
    #[serde(default)]
    pub page: String,
}

/// One order of the list.
#[derive(Debug, Serialize)]
struct Listed {
    href: String,
    number: String,
    customer: String,
    email: String,
    method_kind: Option<String>,
    method_name: Option<String>,
    total: Money,
    local: Option<Money>,
    local_eur_value: Money,
    euro: Money,
    euro_state: &'static str,
    owed_back: Option<Money>,
    state: &'static str,
}

#[derive(Serialize)]
struct ListPage {
    hub: HubView,
    cycle: CycleView,
    orders: Vec<Listed>,
    /// Orders of the cycle, before filtering.
    all: i64,
    /// Which of the orders kept this page shows.
    pager: Pager,
    filter: ListQuery,
    filtered: bool,
    states: &'static [&'static str],
    payments: &'static [&'static str],
}

/// Orders a page of the list shows.
const ORDERS_PAGE: i64 = 50;

/// The list's filters as the domain reads them: an unknown state or payment is no filter; a
/// search keeps the orders whose customer's name or e-mail holds it (any case: matched here,
/// among the cycle's customers) or whose number does.
fn cycle_filter(
    conn: &mut crate::db::DbConn,
    cycle_id: &str,
    filter: &ListQuery,
) -> Result<order::CycleFilter, OrderError> {
    let state = STATES
        .contains(&filter.state.as_str())
        .then(|| order::OrderState::parse(&filter.state))
        .transpose()?;
    let (euro_state, owed_back) = match filter.payment.as_str() {
        "owed" => (None, true),
        p if PAYMENTS.contains(&p) => (Some(order::EuroState::parse(p)?), false),
        _ => (None, false),
    };
    let search = if filter.q.is_empty() {
        None
    } else {
        let q = filter.q.to_lowercase();
        let matched = order::customers_of_cycle(conn, cycle_id)?
            .into_iter()
            .filter(|(_, c)| {
                c.name.to_lowercase().contains(&q) || c.email.to_lowercase().contains(&q)
            })
            .map(|(id, _)| id)
            .collect();
        Some((matched, q))
    };
    Ok(order::CycleFilter {
        state,
        euro_state,
        owed_back,
        search,
    })
}

/// `GET /hub/{slug}/cycles/{id}/orders[?state=&payment=&q=&page=]`: the cycle's orders,
/// [`ORDERS_PAGE`] a page.
pub async fn list(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, cycle_id) = path.into_inner();
    let (hub, row) = hub::cycle(&state, reader, slug, cycle_id, |hub_id| {
        Action::ListHubOrders { hub_id }
    })
    .await?;
    let cycle = CycleView::of(&hub, &row);
    let filter = ListQuery {
        state: query.state.trim().to_string(),
        payment: query.payment.trim().to_string(),
        q: query.q.trim().to_string(),
        page: String::new(),
    };
    let asked = PageQuery {
        page: query.page.clone(),
    }
    .number();
    let id = row.id.clone();
    let sent = filter.clone();
    let link_base = format!("{}/orders", cycle.base);
    let (orders, customers, methods, pager, all) = state
        .db
        .run(move |conn| -> Result<_, WebError> {
            let wanted = cycle_filter(conn, &id, &sent)?;
            let (kept, all) = order::cycle_counts(conn, &id, &wanted)?;
            // the page asked for, brought within the pages there are
            let link = move |n: u32| list_link(&link_base, &sent, n);
            let pager = Pager::new(asked, ORDERS_PAGE, kept, link);
            let orders = order::cycle_page(conn, &id, &wanted, pager.offset(), ORDERS_PAGE)?;
            let ids: Vec<&str> = orders.iter().map(|o| o.customer_id.as_str()).collect();
            let customers = order::customers(conn, &ids)?;
            let methods = shipping::for_cycle(conn, &id)?;
            Ok((orders, customers, methods, pager, all))
        })
        .await?;
    let nobody = order::Customer::default();
    let listed = orders
        .into_iter()
        .map(|o| {
            let customer = customers.get(&o.customer_id).unwrap_or(&nobody);
            let method = o
                .shipping_method_id
                .as_ref()
                .and_then(|m| methods.iter().find(|s| &s.id == m));
            Listed {
                href: format!("{}/orders/{}", hub.base, o.id),
                number: o.number.clone().unwrap_or_else(|| o.id.clone()),
                customer: customer.name.clone(),
                email: customer.email.clone(),
                method_kind: method.map(|m| m.kind.clone()),
                method_name: method.map(|m| m.name.clone()),
                total: o.total,
                local: o.payment.local.filter(|l| l.minor != 0),
                local_eur_value: o.payment.local_eur_value,
                euro: o.payment.euro,
                euro_state: o.payment.euro_state.as_str(),
                owed_back: Some(o.payment.owed_back).filter(|m| m.minor > 0),
                state: o.state.as_str(),
            }
        })
        .collect();
    let filtered = !(filter.state.is_empty() && filter.payment.is_empty() && filter.q.is_empty());
    render_status(
        &pages,
        &visitor,
        "hub_orders.html",
        ListPage {
            hub,
            cycle,
            orders: listed,
            all,
            pager,
            filter,
            filtered,
            states: STATES,
            payments: PAYMENTS,
        },
        StatusCode::OK,
    )
}

/// The address of the list's page `n` with the same filters.
fn list_link(base: &str, filter: &ListQuery, n: u32) -> String {
    let mut link = format!("{base}?page={n}");
    for (key, value) in [
        ("state", &filter.state),
        ("payment", &filter.payment),
        ("q", &filter.q),
    ] {
        if !value.is_empty() {
            let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
            link.push_str(&format!("&{key}={value}"));
        }
    }
    link
}

/// What the reader may do with the order now: their role allows it and so does the order's
/// state (the domain has the last word: its refusals are shown).
#[derive(Debug, Default, Serialize)]
struct May {
    weigh: bool,
    pay: bool,
    refund: bool,
    hand_over: bool,
    cancel: bool,
}

/// A line as the order's page shows it, with its weighing form's values.
#[derive(Debug, Serialize)]
struct LineView {
    variant_id: String,
    name: String,
    unit: String,
    producer: Option<String>,
    quantity: i64,
    delivered: Option<String>,
    delivery_status: Option<String>,
    delivery_note: Option<String>,
    unit_price: Money,
    total: Money,
    /// The most that may be recorded (the quantity plus the customer's tolerance).
    most: String,
    input_delivered: String,
    input_note: String,
}

#[derive(Debug, Serialize)]
struct MethodView {
    kind: String,
    name: String,
    address: String,
    at: String,
}

/// A message of the page: beside field `field` and in the error summary.
#[derive(Debug, Clone, Serialize)]
struct Shown {
    field: String,
    message: String,
}

#[derive(Serialize)]
struct OrderPage {
    hub: HubView,
    cycle: CycleView,
    /// Totals and payment, as the customer's own order page reads them.
    order: Value,
    lines: Vec<LineView>,
    number: String,
    state: &'static str,
    euro_state: &'static str,
    customer: order::Customer,
    method: Option<MethodView>,
    confirmed_at: Option<String>,
    cancelled_at: Option<String>,
    adjusted_at: Option<String>,
    booked_at: Option<String>,
    /// What is still due in euros (the euro part less what the hub holds).
    euro_due: Money,
    tolerance: i32,
    may: May,
    refund_methods: Vec<&'static str>,
    /// The one-time keys of the refund and credit forms (sent twice, each gives back once).
    refund_key: String,
    credit_key: String,
    errors: Vec<Shown>,
    values: HashMap<String, String>,
    notice: Option<String>,
    base: String,
}

/// The hub's order `order_id`, as its page shows it to `actor`: 404 when it is another hub's
/// or a cart.
fn load(
    conn: &mut DbConn,
    actor: &Actor,
    hub: HubView,
    order_id: &str,
) -> Result<OrderPage, WebError> {
    let row = hub_order(conn, &hub, order_id)?;
    let cycle_row = cycles::find_row(conn, &row.order_cycle_id)?;
    let customer = crate::auth::users::find(conn, &row.customer_id)
        .map(|u| order::Customer {
            name: u.display_name,
            email: u.email,
        })
        .unwrap_or_default();
    let order_state = row.state()?;
    let unsettled = cycle_row.state(crate::time::now()) != CycleState::Settled;
    let pending = order_state == OrderState::Confirmed && row.booked_at.is_none() && unsettled;
    let allowed = |action: Action| authorize(actor, action).is_ok();
    let hub_id = row.hub_id.as_str();
    let may = May {
        weigh: pending && allowed(Action::WeighOrder { hub_id }),
        pay: matches!(order_state, OrderState::Confirmed | OrderState::Fulfilled)
            && EuroState::parse(&row.euro_state)? == EuroState::Due
            && allowed(Action::CollectPayment { hub_id }),
        refund: row.owed_back() > 0 && allowed(Action::RecordRefund { hub_id }),
        hand_over: order_state == OrderState::Confirmed
            && row.booked_at.is_some()
            && allowed(Action::HandOverOrder { hub_id }),
        cancel: pending && allowed(Action::ManageHubOrders { hub_id }),
    };
    let view = order::view(conn, row)?;
    let producers = super::orders::producer_names(conn, &view)?;
    let method = match &view.shipping_method_id {
        Some(m) => shipping::for_cycle(conn, &view.order_cycle_id)?
            .into_iter()
            .find(|s| s.id == *m),
        None => None,
    };
    let zone = hub.time_zone.clone();
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| mail_time(t.naive_utc(), &zone));
    let tolerance = view.payment.weight_tolerance_percent.clamp(0, 100);
    let lines = view
        .lines
        .iter()
        .map(|l| LineView {
            variant_id: l.variant_id.clone(),
            name: l.name.clone(),
            unit: l.unit.clone(),
            producer: l
                .producer_id
                .as_ref()
                .and_then(|p| producers.get(p))
                .cloned(),
            quantity: l.quantity,
            delivered: l.delivered.clone(),
            delivery_status: l.delivery_status.clone(),
            delivery_note: l.delivery_note.clone(),
            unit_price: l.unit_price,
            total: l.total,
            most: most(l.quantity, tolerance),
            input_delivered: l
                .delivered
                .clone()
                .unwrap_or_else(|| l.quantity.to_string()),
            input_note: l.delivery_note.clone().unwrap_or_default(),
        })
        .collect();
    let held = view.payment.euro_received.minor - view.payment.euro_refunded.minor;
    let euro = view.payment.euro;
    let page = OrderPage {
        order: order_json(&view, &producers),
        cycle: CycleView::of(&hub, &cycle_row),
        number: view.number.clone().unwrap_or_else(|| view.id.clone()),
        base: format!("{}/orders/{}", hub.base, view.id),
        hub,
        lines,
        state: view.state.as_str(),
        euro_state: view.payment.euro_state.as_str(),
        customer,
        method: method.map(|m| MethodView {
            kind: m.kind,
            name: m.name,
            address: m.address,
            at: mail_time(m.at_time, &zone),
        }),
        confirmed_at: at(view.confirmed_at),
        cancelled_at: at(view.cancelled_at),
        adjusted_at: at(view.adjusted_at),
        booked_at: at(view.booked_at),
        euro_due: Money::new((euro.minor - held).max(0), euro.currency, euro.scale),
        tolerance,
        may,
        refund_methods: RefundMethod::ALL.iter().map(|m| m.as_str()).collect(),
        refund_key: crate::time::new_id(),
        credit_key: crate::time::new_id(),
        errors: Vec::new(),
        values: HashMap::new(),
        notice: None,
    };
    Ok(page)
}

/// The most of `quantity` units that may be recorded with `tolerance` percent more.
fn most(quantity: i64, tolerance: i32) -> String {
    let milli = quantity * 1000 * (100 + i64::from(tolerance)) / 100;
    rust_decimal::Decimal::new(milli, 3).normalize().to_string()
}

/// The order `order_id` of `hub` (a cart or another hub's order is 404).
fn hub_order(
    conn: &mut DbConn,
    hub: &HubView,
    order_id: &str,
) -> Result<order::OrderRow, WebError> {
    let row = order::find_row(conn, order_id)?;
    if row.hub_id != hub.id || row.state()? == OrderState::Cart {
        return Err(WebError::NotFound(format!("no order `{order_id}`")));
    }
    Ok(row)
}

/// The hub of an order's page: any of its team reads it (`ListHubOrders`); each action
/// asks for its own.
async fn office(state: &AppState, reader: &Reader, slug: String) -> Result<HubView, WebError> {
    hub::hub(state, reader, slug, |hub_id| Action::ListHubOrders {
        hub_id,
    })
    .await
}

async fn load_page(
    state: &AppState,
    reader: &Reader,
    hub: HubView,
    order_id: String,
) -> Result<OrderPage, WebError> {
    let actor = reader.actor.clone();
    state
        .db
        .run(move |conn| load(conn, &actor, hub, &order_id))
        .await
}

/// The catalogue key of a known notice (never the query's text itself).
fn notice_key(notice: Option<&str>) -> Option<&'static str> {
    Some(match notice? {
        "weighed" => "hub-orders-notice-weighed",
        "missing" => "hub-orders-notice-missing",
        "substituted" => "hub-orders-notice-substituted",
        "paid" => "hub-orders-notice-paid",
        "refunded" => "hub-orders-notice-refunded",
        "credited" => "hub-orders-notice-credited",
        "handed-over" => "hub-orders-notice-handed-over",
        "cancelled" => "hub-orders-notice-cancelled",
        _ => return None,
    })
}

/// `GET /hub/{slug}/orders/{order_id}`.
pub async fn page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, order_id) = path.into_inner();
    let hub = office(&state, reader, slug).await?;
    let mut page = load_page(&state, reader, hub, order_id).await?;
    page.notice =
        notice_key(query.notice.as_deref()).map(|k| pages.text(page_locale(visitor.locale), k));
    render_status(&pages, &visitor, "hub_order.html", page, StatusCode::OK)
}

/// How an action ended, when it did not fail outright.
enum Outcome {
    Done(&'static str),
    /// Bad values: 422, beside their fields.
    Invalid(Vec<FieldError>),
    /// The order's state refuses it: 409, with the reason.
    Refused(String),
}

/// Runs `work` on the hub's order `order_id` (it asks the policy itself), and tells how it
/// ended.
async fn act<W>(
    state: &AppState,
    reader: &Reader,
    hub: &HubView,
    order_id: String,
    work: W,
) -> Result<Outcome, WebError>
where
    W: FnOnce(&mut DbConn, &Actor, &order::OrderRow) -> Result<&'static str, OrderError>
        + Send
        + 'static,
{
    let actor = reader.actor.clone();
    let hub = hub.clone();
    state
        .db
        .run(move |conn| -> Result<Outcome, WebError> {
            let row = hub_order(conn, &hub, &order_id)?;
            match work(conn, &actor, &row) {
                Ok(notice) => Ok(Outcome::Done(notice)),
                Err(OrderError::Invalid(invalid)) => Ok(Outcome::Invalid(invalid.0)),
                Err(
                    OrderError::OrderState(detail)
                    | OrderError::Conflict(detail)
                    | OrderError::CycleNotOpen(detail),
                ) => Ok(Outcome::Refused(detail)),
                Err(e) => Err(e.into()),
            }
        })
        .await
}

/// The words of a field error: this page's own (`hub-orders-error-<field>-<code>`, filled
/// with `args`), else the shared ones (`field-error-<code>`), else the domain's.
fn message(
    pages: &Pages,
    visitor: &Visitor,
    field: &str,
    error: &FieldError,
    args: &[(&str, Arg)],
) -> String {
    let locale = page_locale(visitor.locale);
    let code = error.code.replace('_', "-");
    let own = format!("hub-orders-error-{field}-{code}");
    let shared = format!("field-error-{code}");
    if pages.catalogue.has(locale, &own) {
        pages.catalogue.text(locale, &own, args)
    } else if pages.catalogue.has(locale, &shared) {
        pages.catalogue.text(locale, &shared, &[])
    } else {
        error.message.clone()
    }
}

/// Ends an action: back to the order with a notice, or the order's page again with the
/// domain's refusal (`anchor`: where a refusal of the whole form is shown; `shown`: how a
/// field error is placed and worded).
#[allow(clippy::too_many_arguments)]
async fn finish<S>(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    hub: HubView,
    order_id: String,
    outcome: Outcome,
    anchor: &str,
    form: &Form,
    shown: S,
) -> Result<HttpResponse, WebError>
where
    S: Fn(&OrderPage, &FieldError) -> Shown,
{
    let reader = visitor.require()?;
    let (errors, status) = match outcome {
        Outcome::Done(notice) => {
            return Ok(redirect(&format!(
                "{}/orders/{order_id}?notice={notice}",
                hub.base
            )))
        }
        Outcome::Invalid(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        Outcome::Refused(detail) => {
            let locale = page_locale(visitor.locale);
            let message = pages.catalogue.text(
                locale,
                "hub-orders-refused",
                &[("reason", Arg::Text(detail))],
            );
            let mut page = load_page(state, reader, hub, order_id).await?;
            page.errors = vec![Shown {
                field: anchor.to_string(),
                message,
            }];
            return render_status(pages, visitor, "hub_order.html", page, StatusCode::CONFLICT);
        }
    };
    let mut page = load_page(state, reader, hub, order_id).await?;
    page.errors = errors.iter().map(|e| shown(&page, e)).collect();
    page.values = form
        .0
        .iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    render_status(pages, visitor, "hub_order.html", page, status)
}

/// A decimal as typed in French (`0,86`) or English (`0.86`).
fn decimal(text: &str) -> String {
    text.trim().replace(',', ".")
}

/// `POST /hub/{slug}/orders/{order_id}/lines`: a line weighed (`action=weigh`, `delivered`),
/// missing (`action=missing`) or substituted (`action=substitute`, `note`, `delivered`).
pub async fn lines(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, order_id) = path.into_inner();
    let hub = office(&state, reader, slug).await?;
    let variant_id = form.get("variant_id").to_string();
    let action = form.get("action").to_string();
    let delivered = form.opt("delivered").map(|d| decimal(&d));
    let note = form.opt("note");
    let outcome = act(
        &state,
        reader,
        &hub,
        order_id.clone(),
        move |conn, actor, row| {
            authorize(
                actor,
                Action::WeighOrder {
                    hub_id: &row.hub_id,
                },
            )?;
            let (status, delivered, notice) = match action.as_str() {
                "weigh" => {
                    if delivered.is_none() {
                        return Err(OrderError::field(
                            "lines[0].delivered",
                            "required",
                            "enter the quantity delivered",
                        ));
                    }
                    (None, delivered, "weighed")
                }
                "missing" => (Some(LineStatus::Missing), None, "missing"),
                "substitute" => (Some(LineStatus::Substituted), delivered, "substituted"),
                _ => {
                    return Err(OrderError::field(
                        "lines[0].action",
                        "unknown_action",
                        "choose what to record",
                    ))
                }
            };
            let request = AdjustRequest {
                lines: vec![DeliveredLine {
                    variant_id,
                    delivered,
                    status,
                    note,
                }],
            };
            adjust::adjust(conn, &row.id, &request)?;
            Ok(notice)
        },
    )
    .await?;
    let wanted = form.get("variant_id").to_string();
    let p = pages.clone();
    let v = visitor.clone();
    finish(
        &state,
        &pages,
        &visitor,
        hub,
        order_id,
        outcome,
        "lines-heading",
        &form,
        move |page, e| {
            let generic = e.field.rsplit('.').next().unwrap_or("delivered");
            let generic = if generic == "note" {
                "note"
            } else {
                "delivered"
            };
            let line = page.lines.iter().find(|l| l.variant_id == wanted);
            let args = match line {
                Some(l) => vec![
                    (
                        "most",
                        Arg::Text(crate::mail::format::decimal(&l.most, page_locale(v.locale))),
                    ),
                    ("ordered", Arg::Number(l.quantity)),
                    ("percent", Arg::Number(i64::from(page.tolerance))),
                ],
                None => Vec::new(),
            };
            Shown {
                field: format!("{generic}-{wanted}"),
                message: message(&p, &v, generic, e, &args),
            }
        },
    )
    .await
}

/// `POST /hub/{slug}/orders/{order_id}/payment`: the euro part due was paid.
pub async fn payment(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, order_id) = path.into_inner();
    let hub = office(&state, reader, slug).await?;
    let outcome = act(
        &state,
        reader,
        &hub,
        order_id.clone(),
        |conn, actor, row| {
            authorize(
                actor,
                Action::CollectPayment {
                    hub_id: &row.hub_id,
                },
            )?;
            checkout::mark_euro_paid(conn, &OrderId::from(&row.id))?;
            Ok("paid")
        },
    )
    .await?;
    let (p, v) = (pages.clone(), visitor.clone());
    finish(
        &state,
        &pages,
        &visitor,
        hub,
        order_id,
        outcome,
        "payment",
        &form,
        move |_, e| Shown {
            field: "payment".into(),
            message: message(&p, &v, "payment", e, &[]),
        },
    )
    .await
}

/// The one-time key a form posted back; a form without one (or a forged one) is refused.
fn posted_key(form: &Form) -> Result<String, WebError> {
    let key = form.get("key");
    if !(8..=64).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(WebError::BadForm);
    }
    Ok(key.to_string())
}

/// Does `work` once per one-time form key `key` of `user` (the [`crate::idempotency`]
/// record the API's `Idempotency-Key` uses): the same form sent twice (a double click, back
/// and send again) gives back once, and the second lands on the order as the first left it.
fn once<B: Serialize>(
    conn: &mut DbConn,
    user: &str,
    key: &str,
    route: &str,
    body: &B,
    work: impl Fn(&mut DbConn) -> Result<(), OrderError>,
) -> Result<(), OrderError> {
    use crate::idempotency::Refusal;
    match crate::idempotency::run(
        conn,
        user,
        key,
        route,
        body,
        StatusCode::SEE_OTHER.as_u16(),
        work,
    ) {
        Ok(_) => Ok(()),
        Err(Refusal::Work(e)) => Err(e),
        Err(Refusal::Reused | Refusal::Busy) => Err(OrderError::Conflict(
            "this form was sent already: read the order as it is now, then send it again if \
             need be"
                .into(),
        )),
        Err(Refusal::Store(e)) => Err(e.into()),
        Err(Refusal::Encode(e)) => Err(OrderError::internal(e)),
    }
}

/// `POST /hub/{slug}/orders/{order_id}/refund`: euros owed back refunded (`refund-amount`,
/// blank for all that is owed; `method`; `refund-reference`).
pub async fn refund(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, order_id) = path.into_inner();
    let hub = office(&state, reader, slug).await?;
    let key = posted_key(&form)?;
    let amount = form.opt("refund-amount").map(|a| decimal(&a));
    let method = form.get("method").to_string();
    let reference = form.get("refund-reference").to_string();
    let by = reader.actor.user_id.clone();
    let outcome = act(
        &state,
        reader,
        &hub,
        order_id.clone(),
        move |conn, actor, row| {
            authorize(
                actor,
                Action::RecordRefund {
                    hub_id: &row.hub_id,
                },
            )?;
            let Some(method) = RefundMethod::ALL
                .iter()
                .copied()
                .find(|m| m.as_str() == method)
            else {
                return Err(OrderError::field(
                    "method",
                    "required",
                    "choose how the money was given back",
                ));
            };
            let asked = (&amount, method.as_str(), &reference);
            let route = format!("web refund {}", row.id);
            once(conn, &by, &key, &route, &asked, |conn| {
                let request = RefundRequest {
                    amount: amount.clone(),
                    method,
                    reference: reference.clone(),
                };
                refunds::refund(conn, &OrderId::from(&row.id), &request, &by).map(|_| ())
            })?;
            Ok("refunded")
        },
    )
    .await?;
    let (p, v) = (pages.clone(), visitor.clone());
    finish(
        &state,
        &pages,
        &visitor,
        hub,
        order_id,
        outcome,
        "payment",
        &form,
        move |_, e| {
            let field = match e.field.as_str() {
                "method" => "method",
                "reference" => "reference",
                _ => "amount",
            };
            Shown {
                field: format!("refund-{field}"),
                message: message(&p, &v, field, e, &[]),
            }
        },
    )
    .await
}

/// `POST /hub/{slug}/orders/{order_id}/credit`: euros owed back turned into the customer's
/// credit with the hub (`credit-amount`, blank for all that is owed).
pub async fn credit(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, order_id) = path.into_inner();
    let hub = office(&state, reader, slug).await?;
    let key = posted_key(&form)?;
    let amount = form.opt("credit-amount").map(|a| decimal(&a));
    let by = reader.actor.user_id.clone();
    let outcome = act(
        &state,
        reader,
        &hub,
        order_id.clone(),
        move |conn, actor, row| {
            authorize(
                actor,
                Action::RecordRefund {
                    hub_id: &row.hub_id,
                },
            )?;
            let route = format!("web credit {}", row.id);
            once(conn, &by, &key, &route, &amount, |conn| {
                refunds::credit(conn, &OrderId::from(&row.id), amount.as_deref(), &by).map(|_| ())
            })?;
            Ok("credited")
        },
    )
    .await?;
    let (p, v) = (pages.clone(), visitor.clone());
    finish(
        &state,
        &pages,
        &visitor,
        hub,
        order_id,
        outcome,
        "payment",
        &form,
        move |_, e| Shown {
            field: "credit-amount".into(),
            message: message(&p, &v, "amount", e, &[]),
        },
    )
    .await
}

/// `POST /hub/{slug}/orders/{order_id}/hand-over`: the order was picked up or delivered.
pub async fn hand_over(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, order_id) = path.into_inner();
    let hub = office(&state, reader, slug).await?;
    let outcome = act(
        &state,
        reader,
        &hub,
        order_id.clone(),
        |conn, actor, row| {
            authorize(
                actor,
                Action::HandOverOrder {
                    hub_id: &row.hub_id,
                },
            )?;
            checkout::fulfil(conn, &OrderId::from(&row.id))?;
            Ok("handed-over")
        },
    )
    .await?;
    let (p, v) = (pages.clone(), visitor.clone());
    finish(
        &state,
        &pages,
        &visitor,
        hub,
        order_id,
        outcome,
        "hand-over",
        &form,
        move |_, e| Shown {
            field: "hand-over".into(),
            message: message(&p, &v, "hand-over", e, &[]),
        },
    )
    .await
}

/// Whether the reader may cancel the order as the hub: `CancelOrder` (as the API asks) and,
/// the hub cancelling, `ManageHubOrders`.
fn may_cancel(actor: &Actor, row: &order::OrderRow) -> Result<(), OrderError> {
    authorize(
        actor,
        Action::CancelOrder {
            customer_id: &row.customer_id,
            hub_id: &row.hub_id,
        },
    )?;
    authorize(
        actor,
        Action::ManageHubOrders {
            hub_id: &row.hub_id,
        },
    )?;
    Ok(())
}

/// `GET /hub/{slug}/orders/{order_id}/cancel`: are you sure? (with the reason to give).
pub async fn cancel_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, order_id) = path.into_inner();
    let hub = office(&state, reader, slug).await?;
    let page = load_page(&state, reader, hub, order_id).await?;
    if !page.may.cancel {
        // not the reader's to do (403), or no longer possible (back to the order)
        let actor = reader.actor.clone();
        let id = page.order["id"].as_str().unwrap_or_default().to_string();
        let hub_id = page.hub.id.clone();
        state
            .db
            .run(move |conn| -> Result<(), WebError> {
                let row = order::find_row(conn, &id)?;
                if row.hub_id != hub_id {
                    return Err(WebError::NotFound(format!("no order `{id}`")));
                }
                Ok(may_cancel(&actor, &row)?)
            })
            .await?;
        return Ok(redirect(&page.base));
    }
    render_status(
        &pages,
        &visitor,
        "hub_order_cancel.html",
        page,
        StatusCode::OK,
    )
}

/// `POST /hub/{slug}/orders/{order_id}/cancel`: cancels as the hub (`reason`, told to the
/// customer).
pub async fn cancel(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, order_id) = path.into_inner();
    let hub = office(&state, reader, slug).await?;
    let reason = form.get("reason").to_string();
    let outcome = act(
        &state,
        reader,
        &hub,
        order_id.clone(),
        move |conn, actor, row| {
            may_cancel(actor, row)?;
            if reason.chars().count() > REASON_MAX {
                return Err(OrderError::field(
                    "reason",
                    "too_long",
                    format!("must be at most {REASON_MAX} characters"),
                ));
            }
            checkout::cancel(conn, &OrderId::from(&row.id), &reason, Canceller::Hub)?;
            Ok("cancelled")
        },
    )
    .await?;
    if let Outcome::Invalid(errors) = outcome {
        let mut page = load_page(&state, reader, hub, order_id).await?;
        page.errors = errors
            .iter()
            .map(|e| Shown {
                field: "reason".into(),
                message: message(
                    &pages,
                    &visitor,
                    "reason",
                    e,
                    &[("most", Arg::Number(REASON_MAX as i64))],
                ),
            })
            .collect();
        page.values
            .insert("reason".into(), form.get("reason").into());
        return render_status(
            &pages,
            &visitor,
            "hub_order_cancel.html",
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let (p, v) = (pages.clone(), visitor.clone());
    finish(
        &state,
        &pages,
        &visitor,
        hub,
        order_id,
        outcome,
        "cancel",
        &form,
        move |_, e| Shown {
            field: "cancel".into(),
            message: message(&p, &v, "cancel", e, &[]),
        },
    )
    .await
}
