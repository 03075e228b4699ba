//! The cart: the reader's carts — one per open cycle they put something in (the domain's
//! cart is per cycle and customer, [`crate::orders::cart`]) — each line's quantity in a
//! number field with a "Remove" button, one "Update the cart" button, and the totals of the
//! same quote the API gives ([`crate::orders::quote`]: goods, the hub's fees, VAT per rate,
//! total, the most payable in local currency), then a link on to checkout.
//!
//! - `GET /cart`.
//! - `POST /cart/update` (`cycle`, `quantity[VARIANT_ID]`…; 0 removes a line).
//! - `POST /cart/remove` (`cycle`, `variant`).
//!
//! Both set the cart as the API's `set_cart` does ([`cart::set`]); a refusal (a quantity
//! that is not a whole number, more than the stock, a closed cycle) shows the cart page
//! again (422) with the error by its field and the values typed.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::WebError;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::shop::{parse_quantity, shopper_error};
use super::{redirect, render_status};
use crate::auth::policy::{authorize, Action};
use crate::error::FieldError;
use crate::mail::format::mail_time;
use crate::money::{CurrencyCode, Money};
use crate::orders::quote::{QuoteLineRequest, QuoteRequest};
use crate::orders::{cart, quote, shopfront, OrderError};
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("cart.html");

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/cart", web::get().to(cart_page))
        .route("/cart/update", web::post().to(update))
        .route("/cart/remove", web::post().to(remove));
}

#[derive(Debug, Deserialize)]
pub struct CartQuery {
    pub notice: Option<String>,
}

/// The notices the cart page knows, by their `?notice=` suffix.
fn notice_key(suffix: &str) -> Option<&'static str> {
    match suffix {
        "updated" => Some("cart-notice-updated"),
        "removed" => Some("cart-notice-removed"),
        _ => None,
    }
}

/// The id of a cart line's quantity field.
fn field_id(cycle_id: &str, variant_id: &str) -> String {
    format!("quantity-{cycle_id}-{variant_id}")
}

/// One cart as read for the page.
struct CartData {
    open: shopfront::OpenCart,
    cart: cart::Cart,
    /// The cart's variants as the cycle offers them (to name lines the quote could not price).
    offered: Vec<crate::orders::cycles::OfferedVariant>,
    /// Why the cart cannot be priced now (a line no longer available), by line.
    problems: Vec<FieldError>,
    local: Option<CurrencyCode>,
}

async fn carts_of(state: &AppState, user: String) -> Result<Vec<CartData>, WebError> {
    state
        .db
        .run(move |conn| -> Result<Vec<CartData>, WebError> {
            let legal = crate::ledger::currencies::legal(conn)?.code.to_string();
            let mut out = Vec::new();
            for open in shopfront::open_carts(conn, &user)? {
                let cart = cart::get(conn, &open.cycle.id, &user)?;
                if cart.lines.is_empty() {
                    continue;
                }
                let ids: Vec<String> = cart.lines.iter().map(|l| l.variant_id.clone()).collect();
                let offered = shopfront::offered_variants(conn, &open.cycle.id, &ids)?;
                let problems = if cart.quote.is_none() {
                    let request = cart::request(conn, cart.order_id.as_deref().unwrap_or(""))?;
                    match quote::at_cycle(conn, &open.cycle.id, &request) {
                        Err(OrderError::Invalid(invalid)) => invalid.0,
                        _ => Vec::new(),
                    }
                } else {
                    Vec::new()
                };
                let accepted = crate::enterprises::accepted_currencies(
                    conn,
                    std::slice::from_ref(&open.cycle.hub_id),
                )?;
                let local = accepted
                    .get(&open.cycle.hub_id)
                    .and_then(|codes| codes.iter().find(|c| **c != legal))
                    .and_then(|c| c.parse().ok());
                out.push(CartData {
                    open,
                    cart,
                    offered,
                    problems,
                    local,
                });
            }
            Ok(out)
        })
        .await
}

fn money(m: &Money) -> Value {
    json!(m)
}

/// The line errors of a cart (`lines[i].…`) for the fields of `lines` in `cycle_id`.
fn line_errors(cycle_id: &str, lines: &[String], errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            let index = e
                .field
                .strip_prefix("lines[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok());
            match index.and_then(|i| lines.get(i)) {
                Some(variant) => shopper_error(e, &field_id(cycle_id, variant)),
                None => shopper_error(e, &format!("cart-{cycle_id}")),
            }
        })
        .collect()
}

/// Renders the cart page with `errors` (by field) and the quantities `posted` (by field id).
async fn render_carts(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    notice: Option<&str>,
    errors: Vec<FieldError>,
    posted: HashMap<String, String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let carts = carts_of(state, reader.actor.user_id.to_string()).await?;
    let mut errors = errors;
    let mut views = Vec::new();
    for data in carts {
        let cycle = &data.open.cycle;
        let by_id: HashMap<&str, &crate::orders::cycles::OfferedVariant> = data
            .offered
            .iter()
            .map(|o| (o.variant.id.as_str(), o))
            .collect();
        let line_ids: Vec<String> = data
            .cart
            .lines
            .iter()
            .map(|l| l.variant_id.clone())
            .collect();
        if status == StatusCode::OK {
            // a line no longer available: said by its field, even on a plain visit
            errors.extend(line_errors(&cycle.id, &line_ids, data.problems.clone()));
        }
        let priced: HashMap<&str, &quote::QuoteLine> = data
            .cart
            .quote
            .as_ref()
            .map(|q| q.lines.iter().map(|l| (l.variant_id.as_str(), l)).collect())
            .unwrap_or_default();
        let lines: Vec<Value> = data
            .cart
            .lines
            .iter()
            .map(|l| {
                let offered = by_id.get(l.variant_id.as_str());
                let field = field_id(&cycle.id, &l.variant_id);
                json!({
                    "variant": l.variant_id,
                    "product": offered.map(|o| o.product_name.clone()).unwrap_or_default(),
                    "name": offered.map(|o| o.variant.display_name.clone()).unwrap_or_default(),
                    "producer": offered.map(|o| o.producer_name.clone()).unwrap_or_default(),
                    "unit": offered.map(|o| o.variant.unit.label.clone()).unwrap_or_default(),
                    "unit_price": offered.map(|o| money(&o.cycle_price)),
                    "total": priced.get(l.variant_id.as_str()).map(|p| money(&p.total)),
                    "quantity": posted.get(&field).cloned().unwrap_or_else(|| l.quantity.to_string()),
                    "field": field,
                })
            })
            .collect();
        let totals = data.cart.quote.as_ref().map(|q| {
            json!({
                "items": money(&q.items_total),
                "fees": q.fees.iter().map(|f| json!({"name": f.name, "amount": money(&f.amount)})).collect::<Vec<_>>(),
                "vat": q.vat_breakdown.iter().map(|v| json!({"rate": v.rate, "base": money(&v.base), "vat": money(&v.vat)})).collect::<Vec<_>>(),
                "total": money(&q.total),
                "local_max": data.local.map(|code| money(&Money::new(q.local_max.minor, code, q.local_max.scale))),
            })
        });
        views.push(json!({
            "cycle": {
                "id": cycle.id,
                "name": cycle.name,
                "closes_at": mail_time(cycle.closes_at, &cycle.time_zone),
            },
            "hub": {"slug": data.open.hub_slug, "name": data.open.hub_name},
            "anchor": format!("cart-{}", cycle.id),
            "lines": lines,
            "totals": totals,
        }));
    }
    let locale = super::i18n::page_locale(visitor.locale);
    let notice = notice.and_then(notice_key).map(|k| pages.text(locale, k));
    let errors = super::field_errors(pages, visitor, &errors);
    render_status(
        pages,
        visitor,
        "cart.html",
        json!({"carts": views, "notice": notice, "errors": errors}),
        status,
    )
}

/// `GET /cart`.
pub async fn cart_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<CartQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::Shop)?;
    render_carts(
        &state,
        &pages,
        &visitor,
        query.notice.as_deref(),
        Vec::new(),
        HashMap::new(),
        StatusCode::OK,
    )
    .await
}

/// Sets the reader's cart in `cycle_id` to `wanted` (variant, quantity; 0 drops a line),
/// in the cart's order. The domain's line errors come back by their fields.
async fn set_lines(
    state: &AppState,
    user: String,
    cycle_id: String,
    wanted: HashMap<String, i64>,
    drop: Option<String>,
) -> Result<Vec<FieldError>, WebError> {
    state
        .db
        .run(move |conn| -> Result<Vec<FieldError>, WebError> {
            let current = cart::get(conn, &cycle_id, &user)?;
            let lines: Vec<QuoteLineRequest> = current
                .lines
                .iter()
                .filter(|l| drop.as_deref() != Some(l.variant_id.as_str()))
                .map(|l| QuoteLineRequest {
                    variant_id: l.variant_id.clone(),
                    quantity: wanted.get(&l.variant_id).copied().unwrap_or(l.quantity),
                })
                .filter(|l| l.quantity > 0)
                .collect();
            let ids: Vec<String> = lines.iter().map(|l| l.variant_id.clone()).collect();
            match cart::set(conn, &cycle_id, &user, &QuoteRequest { lines }) {
                Ok(_) => Ok(Vec::new()),
                Err(OrderError::Invalid(invalid)) => Ok(line_errors(&cycle_id, &ids, invalid.0)),
                Err(OrderError::CycleNotOpen(message)) => Ok(vec![FieldError::new(
                    format!("cart-{cycle_id}"),
                    "shop_cycle_not_open",
                    message,
                )]),
                Err(e) => Err(e.into()),
            }
        })
        .await
}

/// `POST /cart/update`.
pub async fn update(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let Some(reader) = &visitor.reader else {
        return Err(WebError::SignIn("/cart".into()));
    };
    authorize(&reader.actor, Action::Shop)?;
    let cycle_id = form.get("cycle").to_string();
    let mut errors = Vec::new();
    let mut wanted = HashMap::new();
    let mut posted = HashMap::new();
    for (variant, text) in form.keyed("quantity") {
        let field = field_id(&cycle_id, &variant);
        posted.insert(field.clone(), text.clone());
        match parse_quantity(&text, &field, true) {
            Ok(n) => {
                wanted.insert(variant, n);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        errors = set_lines(
            &state,
            reader.actor.user_id.to_string(),
            cycle_id,
            wanted,
            None,
        )
        .await?;
    }
    if errors.is_empty() {
        return Ok(redirect("/cart?notice=updated"));
    }
    render_carts(
        &state,
        &pages,
        &visitor,
        None,
        errors,
        posted,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /cart/remove`.
pub async fn remove(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let Some(reader) = &visitor.reader else {
        return Err(WebError::SignIn("/cart".into()));
    };
    authorize(&reader.actor, Action::Shop)?;
    let errors = set_lines(
        &state,
        reader.actor.user_id.to_string(),
        form.get("cycle").to_string(),
        HashMap::new(),
        Some(form.get("variant").to_string()),
    )
    .await?;
    if errors.is_empty() {
        return Ok(redirect("/cart?notice=removed"));
    }
    render_carts(
        &state,
        &pages,
        &visitor,
        None,
        errors,
        HashMap::new(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
