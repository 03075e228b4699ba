//! Planning a hub's cycles (see [`super::hub`]): create, copy and edit a cycle, its offer,
//! fees and pickup/delivery methods. Every change is the hub's owners' and managers'
//! ([`Action::ManageHubOrders`], as the API's planning routes ask); a cycle's overview is the
//! whole hub team's ([`Action::ListHubOrders`]).
//!
//! - `GET/POST /hub/{slug}/cycles/new`: a new cycle — name, opening and close (typed in the
//!   hub's time zone), an optional later settlement, the producers' settlement policy, and
//!   its offer chosen among the variants of the hub's suppliers that permit it, each with an
//!   optional hub price ([`planning::create`], the API's
//!   `POST /api/v1/enterprises/{hub_id}/order-cycles`).
//! - `GET /hub/{slug}/cycles/{id}`: the cycle's overview — state, times, settlement, what it
//!   offers and how many orders it has, why its last close failed.
//! - `GET/POST /hub/{slug}/cycles/{id}/copy`: a copy at new times, a week later by default
//!   ([`planning::copy`], `POST /api/v1/order-cycles/{id}/copy`).
//! - `GET/POST /hub/{slug}/cycles/{id}/edit`: name, times, settlement date and policy
//!   ([`planning::update`]: an open cycle keeps its opening and policy, a closed one is final).
//! - `GET/POST /hub/{slug}/cycles/{id}/offer`: the offer replaced ([`planning::set_offer`]: a
//!   variant already ordered stays).
//! - `GET /hub/{slug}/cycles/{id}/fees`: the fees and the pickup/delivery methods;
//!   `POST …/fees` adds a fee ([`planning::add_fee`], `POST /api/v1/order-cycles/{id}/fees`),
//!   `POST …/fees/{fee_id}/remove` removes one no order was charged ([`planning::remove_fee`]);
//!   `POST …/methods` adds a method ([`planning::add_method`], with the checks of
//!   `POST /api/v1/order-cycles/{id}/shipping-methods`), `POST …/methods/{method_id}/remove`
//!   removes one no order chose ([`planning::remove_method`]).
//!
//! Times are `<input type="datetime-local">` values read in the hub's time zone; prices and
//! amounts are decimals, `3,50` or `3.50`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::error::WebError;
use super::hub::{local_input, local_time, CycleView, HubView};
use super::i18n::page_locale;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::NoticeQuery;
use super::{redirect, render_status};
use crate::auth::policy::Action;
use crate::error::FieldError;
use crate::money::Money;
use crate::orders::cycles::OrderCycleRow;
use crate::orders::fees::{self, Calculator, ChargedTo, FeeType};
use crate::orders::planning::{self, CopyCycle, CycleChanges, NewCycle, OfferLine};
use crate::orders::shipping::{self, NewMethod, ShippingKind};
use crate::orders::OrderError;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "hub_cycle_macros.html",
    "hub_cycle_new.html",
    "hub_cycle.html",
    "hub_cycle_copy.html",
    "hub_cycle_edit.html",
    "hub_cycle_offer.html",
    "hub_cycle_fees.html",
);

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hub/{slug}/cycles/new", web::get().to(new_page))
        .route("/hub/{slug}/cycles/new", web::post().to(create))
        .route("/hub/{slug}/cycles/{id}", web::get().to(overview))
        .route("/hub/{slug}/cycles/{id}/copy", web::get().to(copy_page))
        .route("/hub/{slug}/cycles/{id}/copy", web::post().to(copy))
        .route("/hub/{slug}/cycles/{id}/edit", web::get().to(edit_page))
        .route("/hub/{slug}/cycles/{id}/edit", web::post().to(edit))
        .route("/hub/{slug}/cycles/{id}/offer", web::get().to(offer_page))
        .route("/hub/{slug}/cycles/{id}/offer", web::post().to(set_offer))
        .route("/hub/{slug}/cycles/{id}/fees", web::get().to(fees_page))
        .route("/hub/{slug}/cycles/{id}/fees", web::post().to(add_fee))
        .route(
            "/hub/{slug}/cycles/{id}/fees/{fee_id}/remove",
            web::post().to(remove_fee),
        )
        .route(
            "/hub/{slug}/cycles/{id}/methods",
            web::post().to(add_method),
        )
        .route(
            "/hub/{slug}/cycles/{id}/methods/{method_id}/remove",
            web::post().to(remove_method),
        );
}

fn manage(hub_id: &str) -> Action<'_> {
    Action::ManageHubOrders { hub_id }
}

fn read(hub_id: &str) -> Action<'_> {
    Action::ListHubOrders { hub_id }
}

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[
    ("created", "hub-cycles-notice-created"),
    ("copied", "hub-cycles-notice-copied"),
    ("saved", "hub-cycles-notice-saved"),
    ("offer-saved", "hub-cycles-notice-offer-saved"),
    ("fee-added", "hub-cycles-notice-fee-added"),
    ("fee-removed", "hub-cycles-notice-fee-removed"),
    ("method-added", "hub-cycles-notice-method-added"),
    ("method-removed", "hub-cycles-notice-method-removed"),
];

/// The field errors as this module's templates show them (its own words first).
/// A variant's row (`price-{id}`, `offer-{id}`) finds its words under `hub_price` and
/// `offer_variant`.
fn errors_json(pages: &Pages, visitor: &Visitor, errors: &[FieldError]) -> Value {
    let list: Vec<Value> = errors
        .iter()
        .map(|e| {
            let words_of = if e.field.starts_with("price-") {
                "hub_price"
            } else if e.field.starts_with("offer-") {
                "offer_variant"
            } else {
                e.field.as_str()
            };
            let mut lookup = e.clone();
            lookup.field = words_of.to_string();
            let mut shown =
                super::field_errors_of(pages, visitor, "hub-cycles", std::slice::from_ref(&lookup))
                    [0]
                .clone();
            shown["field"] = Value::String(e.field.clone());
            shown
        })
        .collect();
    Value::Array(list)
}

/// A `datetime-local` value of field `name` read in zone `zone`; `None` when blank (then
/// `required` says whether that is an error) or not a time of that zone.
fn read_time(
    form: &Form,
    name: &str,
    zone: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let text = form.get(name);
    if text.is_empty() {
        if required {
            errors.push(FieldError::new(name, "required", "enter a date and time"));
        }
        return None;
    }
    let at = local_time(text, zone);
    if at.is_none() {
        errors.push(FieldError::new(
            name,
            "not_a_time",
            "enter a date and time like 2026-12-24T18:00",
        ));
    }
    at
}

/// A cycle form's opening and close (required) and settlement (optional), read in `zone`.
type Times = (
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn read_times(form: &Form, zone: &str, errors: &mut Vec<FieldError>) -> Times {
    (
        read_time(form, "opens_at", zone, true, errors),
        read_time(form, "closes_at", zone, true, errors),
        read_time(form, "settles_at", zone, false, errors),
    )
}

/// A decimal as typed (`3,50` or `3.50`): `None` when blank.
fn decimal(form: &Form, name: &str) -> Option<String> {
    form.opt(name)
        .map(|v| v.replace([' ', '\u{a0}', '\u{202f}'], "").replace(',', "."))
}

/// A whole number typed in field `name`: `None` when blank.
fn whole(form: &Form, name: &str, errors: &mut Vec<FieldError>) -> Option<i32> {
    let text = form.get(name);
    if text.is_empty() {
        return None;
    }
    match text.parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(
                name,
                "not_a_number",
                "enter a whole number",
            ));
            None
        }
    }
}

/// The domain's field errors on this page's fields: `prefix` before each field (`fee_`),
/// `offer[i].…` on the variant's own row.
fn on_fields(errors: Vec<FieldError>, prefix: &str, offer: &[OfferLine]) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.field.strip_prefix("offer[") {
                let (index, field) = rest.split_once("].").unwrap_or((rest, ""));
                let variant = index
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| offer.get(i))
                    .map(|l| l.variant_id.clone())
                    .unwrap_or_default();
                e.field = match field {
                    "hub_price" => format!("price-{variant}"),
                    _ => format!("offer-{variant}"),
                };
            } else if !prefix.is_empty() {
                e.field = format!("{prefix}{}", e.field);
            }
            e
        })
        .collect()
}

/// The message of the first error on field `field`, if any.
fn message_of(errors: &Value, field: &str) -> Option<String> {
    errors.as_array()?.iter().find_map(|e| {
        (e["field"] == field).then(|| e["message"].as_str().unwrap_or_default().to_string())
    })
}

/// One variant of the offer's form.
#[derive(Debug, Serialize)]
struct ChoiceRow {
    id: String,
    product: String,
    name: String,
    unit: String,
    sku: String,
    price: Money,
    checked: bool,
    hub_price: String,
    /// The message beside the row (a bad price, a variant not permitted or ordered).
    error: Option<String>,
}

/// A producer's variants in the offer's form.
#[derive(Debug, Serialize)]
struct ProducerGroup {
    name: String,
    rows: Vec<ChoiceRow>,
}

/// The offer's form: the choices grouped by producer, checked and priced as `offer` says.
fn offer_groups(
    choices: Vec<planning::OfferChoice>,
    offer: &[OfferLine],
    errors: &Value,
) -> Vec<ProducerGroup> {
    let mut groups: Vec<ProducerGroup> = Vec::new();
    for c in choices {
        let line = offer.iter().find(|l| l.variant_id == c.variant.id);
        let field_error = message_of(errors, &format!("price-{}", c.variant.id))
            .or_else(|| message_of(errors, &format!("offer-{}", c.variant.id)));
        let row = ChoiceRow {
            checked: line.is_some(),
            hub_price: line.and_then(|l| l.hub_price.clone()).unwrap_or_default(),
            error: field_error,
            id: c.variant.id,
            product: c.product_name,
            name: c.variant.display_name,
            unit: c.variant.unit.label,
            sku: c.variant.sku,
            price: c.variant.price,
        };
        match groups.last_mut() {
            Some(g) if g.name == c.producer_name => g.rows.push(row),
            _ => groups.push(ProducerGroup {
                name: c.producer_name,
                rows: vec![row],
            }),
        }
    }
    groups
}

/// The offer as a form sent it: every `offer` checked, with its `price[id]`.
fn offer_of_form(form: &Form) -> Vec<OfferLine> {
    let prices = form.keyed("price");
    form.0
        .iter()
        .filter(|(k, _)| k == "offer")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .map(|variant_id| OfferLine {
            hub_price: prices
                .iter()
                .find(|(k, _)| *k == variant_id)
                .map(|(_, p)| p.replace([' ', '\u{a0}', '\u{202f}'], "").replace(',', "."))
                .filter(|p| !p.is_empty()),
            variant_id,
        })
        .collect()
}

/// The offer as stored: the choices a cycle offers, with their hub prices.
fn offer_of_choices(choices: &[planning::OfferChoice]) -> Vec<OfferLine> {
    choices
        .iter()
        .filter(|c| c.offered)
        .map(|c| OfferLine {
            variant_id: c.variant.id.clone(),
            hub_price: c.hub_price_minor.map(crate::deployment::legal_text),
        })
        .collect()
}

async fn choices_of(
    state: &AppState,
    hub: &HubView,
    cycle_id: Option<String>,
) -> Result<Vec<planning::OfferChoice>, WebError> {
    let hub_id = hub.id.clone();
    Ok(state
        .db
        .run(move |conn| planning::offer_choices(conn, &hub_id, cycle_id.as_deref()))
        .await?)
}

/// The times and policy fields of a cycle's forms, as typed.
#[derive(Debug, Serialize, Default)]
struct CycleValues {
    name: String,
    opens_at: String,
    closes_at: String,
    settles_at: String,
    producer_settlement: String,
}

impl CycleValues {
    fn of_form(form: &Form) -> CycleValues {
        CycleValues {
            name: form.get("name").into(),
            opens_at: form.get("opens_at").into(),
            closes_at: form.get("closes_at").into(),
            settles_at: form.get("settles_at").into(),
            producer_settlement: form.get("producer_settlement").into(),
        }
    }

    fn of_row(row: &OrderCycleRow) -> CycleValues {
        let zone = &row.time_zone;
        CycleValues {
            name: row.name.clone(),
            opens_at: local_input(row.opens_at, zone),
            closes_at: local_input(row.closes_at, zone),
            settles_at: row
                .settles_at
                .map(|t| local_input(t, zone))
                .unwrap_or_default(),
            producer_settlement: row.producer_settlement.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// A new cycle

#[derive(Serialize)]
struct NewPage {
    hub: HubView,
    values: CycleValues,
    groups: Vec<ProducerGroup>,
    errors: Value,
}

#[allow(clippy::too_many_arguments)]
async fn new_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    hub: HubView,
    values: CycleValues,
    offer: &[OfferLine],
    errors: Value,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let choices = choices_of(state, &hub, None).await?;
    let groups = offer_groups(choices, offer, &errors);
    render_status(
        pages,
        visitor,
        "hub_cycle_new.html",
        NewPage {
            hub,
            values,
            groups,
            errors,
        },
        status,
    )
}

/// `GET /hub/{slug}/cycles/new`: opens in a day and closes in a week (at this time of day).
pub async fn new_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let hub = super::hub::hub(&state, reader, slug.into_inner(), manage).await?;
    let now = crate::time::now();
    let values = CycleValues {
        opens_at: local_input(now + chrono::Duration::days(1), &hub.time_zone),
        closes_at: local_input(now + chrono::Duration::days(7), &hub.time_zone),
        producer_settlement: "as_paid".into(),
        ..CycleValues::default()
    };
    new_form(
        &state,
        &pages,
        &visitor,
        hub,
        values,
        &[],
        Value::Array(Vec::new()),
        StatusCode::OK,
    )
    .await
}

/// `POST /hub/{slug}/cycles/new`: [`planning::create`] → the new cycle's page.
pub async fn create(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let hub = super::hub::hub(&state, reader, slug.into_inner(), manage).await?;
    let mut errors = Vec::new();
    let zone = hub.time_zone.clone();
    let (opens_at, closes_at, settles_at) = read_times(&form, &zone, &mut errors);
    let offer = offer_of_form(&form);
    if offer.is_empty() {
        errors.push(FieldError::new(
            "offer",
            "empty",
            "choose at least one product to offer",
        ));
    }
    let created = match (opens_at, closes_at) {
        // the domain is asked only for a form without errors of its own (else it would create)
        (Some(opens_at), Some(closes_at)) if errors.is_empty() => {
            let new = NewCycle {
                name: form.get("name").into(),
                opens_at,
                closes_at,
                time_zone: None,
                producer_settlement: form.opt("producer_settlement"),
                offer: offer.clone(),
                settles_at,
            };
            let hub_id = hub.id.clone();
            let created = state
                .db
                .run(move |conn| planning::create(conn, &hub_id, &new))
                .await;
            match created {
                Ok(detail) => Some(detail),
                Err(OrderError::Invalid(invalid)) => {
                    errors.extend(invalid.0);
                    None
                }
                Err(other) => return Err(other.into()),
            }
        }
        _ => None,
    };
    match created {
        Some(detail) => Ok(redirect(&format!(
            "{}/cycles/{}?notice=created",
            hub.base, detail.cycle.id
        ))),
        None => {
            let errors = errors_json(&pages, &visitor, &on_fields(errors, "", &offer));
            new_form(
                &state,
                &pages,
                &visitor,
                hub,
                CycleValues::of_form(&form),
                &offer,
                errors,
                UNPROCESSABLE,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// The overview

#[derive(Serialize)]
struct OverviewPage {
    hub: HubView,
    cycle: CycleView,
    offered: usize,
    orders: i64,
    fees: usize,
    methods: usize,
    may_plan: bool,
    /// Whether the offer, fees and methods may still change (upcoming or open).
    plannable: bool,
    notice: Option<String>,
}

/// `GET /hub/{slug}/cycles/{id}`.
pub async fn overview(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, read).await?;
    let cycle_id = row.id.clone();
    let (offered, orders, fees, methods) = state
        .db
        .run(move |conn| -> Result<_, OrderError> {
            Ok((
                crate::orders::cycles::offer(conn, &cycle_id)?.len(),
                planning::order_count(conn, &cycle_id)?,
                fees::for_cycle(conn, &cycle_id)?.len(),
                shipping::for_cycle(conn, &cycle_id)?.len(),
            ))
        })
        .await?;
    let may_plan = crate::auth::policy::authorize(&reader.actor, manage(&hub.id)).is_ok();
    let cycle = CycleView::of(&hub, &row);
    let plannable = matches!(cycle.state, "upcoming" | "open");
    render_status(
        &pages,
        &visitor,
        "hub_cycle.html",
        OverviewPage {
            notice: pages.notice(
                page_locale(visitor.locale),
                query.notice.as_deref(),
                NOTICES,
            ),
            hub,
            cycle,
            offered,
            orders,
            fees,
            methods,
            may_plan,
            plannable,
        },
        StatusCode::OK,
    )
}

// ---------------------------------------------------------------------------------------
// Copy

#[derive(Serialize)]
struct CopyPage {
    hub: HubView,
    cycle: CycleView,
    values: CycleValues,
    errors: Value,
}

/// `GET /hub/{slug}/cycles/{id}/copy`: the source's times a week later.
pub async fn copy_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let week = chrono::Duration::days(7);
    let zone = &row.time_zone;
    let values = CycleValues {
        name: row.name.clone(),
        opens_at: local_input(row.opens_at + week, zone),
        closes_at: local_input(row.closes_at + week, zone),
        settles_at: row
            .settles_at
            .map(|t| local_input(t + week, zone))
            .unwrap_or_default(),
        producer_settlement: row.producer_settlement.clone(),
    };
    let cycle = CycleView::of(&hub, &row);
    render_status(
        &pages,
        &visitor,
        "hub_cycle_copy.html",
        CopyPage {
            hub,
            cycle,
            values,
            errors: Value::Array(Vec::new()),
        },
        StatusCode::OK,
    )
}

/// `POST /hub/{slug}/cycles/{id}/copy`: [`planning::copy`] → the copy's page.
pub async fn copy(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let mut errors = Vec::new();
    let zone = row.time_zone.clone();
    let (opens_at, closes_at, settles_at) = read_times(&form, &zone, &mut errors);
    if let (Some(opens_at), Some(closes_at), true) = (opens_at, closes_at, errors.is_empty()) {
        let request = CopyCycle {
            name: form.opt("name"),
            opens_at,
            closes_at,
            settles_at,
        };
        let source = row.id.clone();
        let copied = state
            .db
            .run(move |conn| planning::copy(conn, &source, &request))
            .await;
        match copied {
            Ok(detail) => {
                return Ok(redirect(&format!(
                    "{}/cycles/{}?notice=copied",
                    hub.base, detail.cycle.id
                )))
            }
            Err(OrderError::Invalid(invalid)) => errors.extend(invalid.0),
            Err(other) => return Err(other.into()),
        }
    }
    let errors = errors_json(&pages, &visitor, &errors);
    let cycle = CycleView::of(&hub, &row);
    render_status(
        &pages,
        &visitor,
        "hub_cycle_copy.html",
        CopyPage {
            hub,
            cycle,
            values: CycleValues::of_form(&form),
            errors,
        },
        UNPROCESSABLE,
    )
}

// ---------------------------------------------------------------------------------------
// Edit

#[derive(Serialize)]
struct EditPage {
    hub: HubView,
    cycle: CycleView,
    values: CycleValues,
    errors: Value,
    notice: Option<String>,
}

/// `GET /hub/{slug}/cycles/{id}/edit`.
pub async fn edit_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let cycle = CycleView::of(&hub, &row);
    render_status(
        &pages,
        &visitor,
        "hub_cycle_edit.html",
        EditPage {
            notice: pages.notice(
                page_locale(visitor.locale),
                query.notice.as_deref(),
                NOTICES,
            ),
            hub,
            cycle,
            values: CycleValues::of_row(&row),
            errors: Value::Array(Vec::new()),
        },
        StatusCode::OK,
    )
}

/// `POST /hub/{slug}/cycles/{id}/edit`: [`planning::update`] → the cycle's page.
pub async fn edit(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let mut errors = Vec::new();
    let zone = row.time_zone.clone();
    let (opens_at, closes_at, settles_at) = read_times(&form, &zone, &mut errors);
    if let (Some(opens_at), Some(closes_at), true) = (opens_at, closes_at, errors.is_empty()) {
        let changes = CycleChanges {
            name: form.get("name").into(),
            opens_at,
            closes_at,
            settles_at,
            producer_settlement: form.get("producer_settlement").into(),
        };
        let cycle_id = row.id.clone();
        let updated = state
            .db
            .run(move |conn| planning::update(conn, &cycle_id, &changes))
            .await;
        match updated {
            Ok(_) => {
                return Ok(redirect(&format!(
                    "{}/cycles/{}?notice=saved",
                    hub.base, row.id
                )))
            }
            Err(OrderError::Invalid(invalid)) => errors.extend(invalid.0),
            Err(other) => return Err(other.into()),
        }
    }
    let errors = errors_json(&pages, &visitor, &errors);
    let cycle = CycleView::of(&hub, &row);
    render_status(
        &pages,
        &visitor,
        "hub_cycle_edit.html",
        EditPage {
            hub,
            cycle,
            values: CycleValues::of_form(&form),
            errors,
            notice: None,
        },
        UNPROCESSABLE,
    )
}

// ---------------------------------------------------------------------------------------
// The offer

#[derive(Serialize)]
struct OfferPage {
    hub: HubView,
    cycle: CycleView,
    groups: Vec<ProducerGroup>,
    plannable: bool,
    errors: Value,
    notice: Option<String>,
}

/// `GET /hub/{slug}/cycles/{id}/offer`.
pub async fn offer_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let choices = choices_of(&state, &hub, Some(row.id.clone())).await?;
    let offer = offer_of_choices(&choices);
    let errors = Value::Array(Vec::new());
    let cycle = CycleView::of(&hub, &row);
    render_status(
        &pages,
        &visitor,
        "hub_cycle_offer.html",
        OfferPage {
            plannable: matches!(cycle.state, "upcoming" | "open"),
            groups: offer_groups(choices, &offer, &errors),
            notice: pages.notice(
                page_locale(visitor.locale),
                query.notice.as_deref(),
                NOTICES,
            ),
            hub,
            cycle,
            errors,
        },
        StatusCode::OK,
    )
}

/// `POST /hub/{slug}/cycles/{id}/offer`: [`planning::set_offer`].
pub async fn set_offer(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let offer = offer_of_form(&form);
    let mut errors = Vec::new();
    if offer.is_empty() {
        errors.push(FieldError::new(
            "offer",
            "empty",
            "choose at least one product to offer",
        ));
    } else {
        let (cycle_id, lines) = (row.id.clone(), offer.clone());
        let saved = state
            .db
            .run(move |conn| planning::set_offer(conn, &cycle_id, &lines))
            .await;
        match saved {
            Ok(_) => {
                return Ok(redirect(&format!(
                    "{}/cycles/{}/offer?notice=offer-saved",
                    hub.base, row.id
                )))
            }
            Err(OrderError::Invalid(invalid)) => errors.extend(invalid.0),
            Err(other) => return Err(other.into()),
        }
    }
    let errors = errors_json(&pages, &visitor, &on_fields(errors, "", &offer));
    let choices = choices_of(&state, &hub, Some(row.id.clone())).await?;
    let cycle = CycleView::of(&hub, &row);
    render_status(
        &pages,
        &visitor,
        "hub_cycle_offer.html",
        OfferPage {
            plannable: true,
            groups: offer_groups(choices, &offer, &errors),
            hub,
            cycle,
            errors,
            notice: None,
        },
        UNPROCESSABLE,
    )
}

// ---------------------------------------------------------------------------------------
// Fees and methods

/// A fee as the page lists it.
#[derive(Debug, Serialize)]
struct FeeRow {
    id: String,
    name: String,
    fee_type: &'static str,
    calculator: &'static str,
    charged_to: &'static str,
    amount: Option<Money>,
    percent: Option<String>,
    vat_rate: String,
    local_share_percent: i32,
}

/// A method as the page lists it.
#[derive(Debug, Serialize)]
struct MethodRow {
    id: String,
    kind: String,
    name: String,
    address: String,
    instructions: String,
    /// In the hub's zone, for `|datetime`.
    at: String,
    fee: Money,
    vat_rate: String,
    local_share_percent: i32,
}

#[derive(Serialize)]
struct Choices {
    fee_types: Vec<&'static str>,
    calculators: Vec<&'static str>,
    charged_to: Vec<&'static str>,
    kinds: Vec<&'static str>,
    vat_rates: Vec<String>,
    standard_vat: String,
}

#[derive(Serialize)]
struct FeesPage {
    hub: HubView,
    cycle: CycleView,
    fees: Vec<FeeRow>,
    methods: Vec<MethodRow>,
    plannable: bool,
    choices: Choices,
    /// The values of the form sent, to fill it again.
    values: Value,
    errors: Value,
    notice: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn fees_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    hub: HubView,
    row: &OrderCycleRow,
    values: Value,
    errors: Value,
    notice_text: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let cycle_id = row.id.clone();
    let zone = row.time_zone.clone();
    let (fee_list, method_list) = state
        .db
        .run(move |conn| -> Result<_, OrderError> {
            let legal = crate::ledger::currencies::legal(conn)?;
            let fee_list = fees::for_cycle(conn, &cycle_id)?
                .into_iter()
                .map(|f| fees::CycleFee::of(f, legal))
                .collect::<Result<Vec<_>, _>>()?;
            let method_list: Vec<shipping::ShippingMethod> = shipping::for_cycle(conn, &cycle_id)?
                .into_iter()
                .map(|m| shipping::ShippingMethod::of(m, legal))
                .collect();
            Ok((fee_list, method_list))
        })
        .await?;
    let fees = fee_list
        .into_iter()
        .map(|f| FeeRow {
            id: f.id,
            name: f.name,
            fee_type: f.fee_type.as_str(),
            calculator: f.calculator.as_str(),
            charged_to: f.charged_to.as_str(),
            amount: f.amount,
            percent: f.percent,
            vat_rate: f.vat_rate,
            local_share_percent: f.local_share_percent,
        })
        .collect();
    let methods = method_list
        .into_iter()
        .map(|m| MethodRow {
            id: m.id,
            kind: m.kind,
            name: m.name,
            address: m.address,
            instructions: m.instructions,
            at: crate::mail::format::mail_time(m.at.naive_utc(), &zone),
            fee: m.fee,
            vat_rate: m.vat_rate,
            local_share_percent: m.local_share_percent,
        })
        .collect();
    let choices = Choices {
        fee_types: FeeType::ALL.iter().map(|t| t.as_str()).collect(),
        calculators: Calculator::ALL.iter().map(|c| c.as_str()).collect(),
        charged_to: ChargedTo::ALL.iter().map(|c| c.as_str()).collect(),
        kinds: ShippingKind::ALL.iter().map(|k| k.as_str()).collect(),
        vat_rates: state
            .catalog
            .vat_rates_bp
            .iter()
            .map(|r| crate::catalog::vat_percent(*r))
            .collect(),
        standard_vat: crate::catalog::vat_percent(state.catalog.standard_rate_bp()),
    };
    let cycle = CycleView::of(&hub, row);
    render_status(
        pages,
        visitor,
        "hub_cycle_fees.html",
        FeesPage {
            plannable: matches!(cycle.state, "upcoming" | "open"),
            hub,
            cycle,
            fees,
            methods,
            choices,
            values,
            errors,
            notice: notice_text,
        },
        status,
    )
}

/// `GET /hub/{slug}/cycles/{id}/fees`: the fees and methods, and the forms to add them.
pub async fn fees_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let notice_text = pages.notice(
        page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    fees_form(
        &state,
        &pages,
        &visitor,
        hub,
        &row,
        Value::Object(Default::default()),
        Value::Array(Vec::new()),
        notice_text,
        StatusCode::OK,
    )
    .await
}

/// One of `all` named by field `name`, or an error on it.
fn one_of<T: Copy>(
    form: &Form,
    name: &str,
    all: &[T],
    text: fn(T) -> &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let found = all.iter().copied().find(|t| text(*t) == form.get(name));
    if found.is_none() {
        errors.push(FieldError::new(name, "choose", "choose one of the list"));
    }
    found
}

/// `POST /hub/{slug}/cycles/{id}/fees`: [`planning::add_fee`].
pub async fn add_fee(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let mut errors = Vec::new();
    let fee_type = one_of(
        &form,
        "fee_type",
        FeeType::ALL,
        FeeType::as_str,
        &mut errors,
    );
    let calculator = one_of(
        &form,
        "calculator",
        Calculator::ALL,
        Calculator::as_str,
        &mut errors,
    );
    let charged_to = one_of(
        &form,
        "charged_to",
        ChargedTo::ALL,
        ChargedTo::as_str,
        &mut errors,
    );
    let share = whole(&form, "fee_local_share_percent", &mut errors);
    if let (Some(fee_type), Some(calculator), Some(charged_to), true) =
        (fee_type, calculator, charged_to, errors.is_empty())
    {
        let percent_calculator = calculator == Calculator::PercentOfItems;
        let new = fees::NewFee {
            name: form.get("fee_name").into(),
            fee_type,
            calculator,
            charged_to,
            // the form shows both boxes: only the calculator's own is read
            amount: decimal(&form, "amount").filter(|_| !percent_calculator),
            percent: decimal(&form, "percent").filter(|_| percent_calculator),
            vat_rate: form.opt("fee_vat_rate"),
            local_share_percent: share.filter(|_| charged_to == ChargedTo::Customer),
        };
        let (rules, cycle_id) = (state.catalog.clone(), row.id.clone());
        let added = state
            .db
            .run(move |conn| planning::add_fee(conn, &rules, &cycle_id, new))
            .await;
        match added {
            Ok(_) => {
                return Ok(redirect(&format!(
                    "{}/cycles/{}/fees?notice=fee-added",
                    hub.base, row.id
                )))
            }
            Err(OrderError::Invalid(invalid)) => errors.extend(on_fields(
                invalid
                    .0
                    .into_iter()
                    .map(|mut e| {
                        // the fee's own fields carry the `fee_` prefix on this page
                        if matches!(
                            e.field.as_str(),
                            "name" | "vat_rate" | "local_share_percent"
                        ) {
                            e.field = format!("fee_{}", e.field);
                        }
                        e
                    })
                    .collect(),
                "",
                &[],
            )),
            Err(other) => return Err(other.into()),
        }
    }
    let errors = errors_json(&pages, &visitor, &errors);
    fees_form(
        &state,
        &pages,
        &visitor,
        hub,
        &row,
        form.values(),
        errors,
        None,
        UNPROCESSABLE,
    )
    .await
}

/// `POST /hub/{slug}/cycles/{id}/methods`: [`planning::add_method`].
pub async fn add_method(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let mut errors = Vec::new();
    let kind = one_of(
        &form,
        "method_kind",
        ShippingKind::ALL,
        ShippingKind::as_str,
        &mut errors,
    );
    let at = read_time(&form, "method_at", &row.time_zone, true, &mut errors);
    let share = whole(&form, "method_local_share_percent", &mut errors);
    if let (Some(kind), Some(at), true) = (kind, at, errors.is_empty()) {
        let new = NewMethod {
            kind,
            name: form.get("method_name").into(),
            address: form.get("method_address").into(),
            instructions: form.get("method_instructions").into(),
            at,
            fee: decimal(&form, "method_fee"),
            vat_rate: form.opt("method_vat_rate"),
            local_share_percent: share,
        };
        let (rules, cycle_id) = (state.catalog.clone(), row.id.clone());
        let added = state
            .db
            .run(move |conn| planning::add_method(conn, &rules, &cycle_id, &new))
            .await;
        match added {
            Ok(_) => {
                return Ok(redirect(&format!(
                    "{}/cycles/{}/fees?notice=method-added",
                    hub.base, row.id
                )))
            }
            Err(OrderError::Invalid(invalid)) => {
                errors.extend(on_fields(invalid.0, "method_", &[]))
            }
            Err(other) => return Err(other.into()),
        }
    }
    let errors = errors_json(&pages, &visitor, &errors);
    fees_form(
        &state,
        &pages,
        &visitor,
        hub,
        &row,
        form.values(),
        errors,
        None,
        UNPROCESSABLE,
    )
    .await
}

/// `POST /hub/{slug}/cycles/{id}/fees/{fee_id}/remove`: [`planning::remove_fee`].
pub async fn remove_fee(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    _form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id, fee_id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let cycle_id = row.id.clone();
    state
        .db
        .run(move |conn| planning::remove_fee(conn, &cycle_id, &fee_id))
        .await?;
    Ok(redirect(&format!(
        "{}/cycles/{}/fees?notice=fee-removed",
        hub.base, row.id
    )))
}

/// `POST /hub/{slug}/cycles/{id}/methods/{method_id}/remove`: [`planning::remove_method`].
pub async fn remove_method(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    _form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id, method_id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, manage).await?;
    let cycle_id = row.id.clone();
    state
        .db
        .run(move |conn| planning::remove_method(conn, &cycle_id, &method_id))
        .await?;
    Ok(redirect(&format!(
        "{}/cycles/{}/fees?notice=method-removed",
        hub.base, row.id
    )))
}
