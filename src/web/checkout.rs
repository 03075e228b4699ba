//! Checking out, in two steps and without JavaScript: a form (pickup or delivery and the
//! address, the split between local currency and the legal one, customer credit), then
//! "check your answers", then the order is placed.
//!
//! - `GET /checkout?cycle=ID`: the form. The amount paid in local currency starts at the most
//!   the wallet and the order's local shares allow ([`checkout::local_offer`], the rule
//!   checkout applies). It is computed for the method selected first; the form carries it
//!   back (`local_default`), and when the customer chose another method without changing the
//!   amount, the most for that method is taken instead.
//! - `POST /checkout`: the answers are checked by [`checkout::preview`] — the very checkout,
//!   rolled back — and the "check your answers" page shows what the order will be, its
//!   choices in hidden fields. Its "Change" buttons post them back here (`change`): the form
//!   again, filled in.
//! - `POST /checkout/confirm`: [`checkout::checkout`], the function of
//!   `POST /api/v1/order-cycles/{id}/checkout`, for the cart that was reviewed (`cart_id`):
//!   a second submit of the same confirmation (the back button, a double click) finds that
//!   cart an order already and lands on the order, never placing a second one.
//!
//! A refusal (funds short, out of stock, a bad address) comes back on the form, by its field;
//! a cycle that closed meanwhile or an empty cart, on a page that says so with a link back to
//! the shop.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::WebError;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::{redirect, render_status};
use crate::auth::policy::{authorize, Action};
use crate::error::FieldError;
use crate::ids::{CycleId, UserId};
use crate::mail::format::mail_time;
use crate::money::AmountInput;
use crate::orders::addresses::{self, AddressInput};
use crate::orders::checkout::{self, CheckoutRequest};
use crate::orders::order::{self, OrderState};
use crate::orders::shipping::{self, ShippingMethod};
use crate::orders::{cart, cycles, refunds, OrderError};
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "checkout.html",
    "checkout_review.html",
    "checkout_unavailable.html"
);

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/checkout", web::get().to(form_page))
        .route("/checkout", web::post().to(review))
        .route("/checkout/confirm", web::post().to(confirm));
}

#[derive(Debug, Deserialize)]
pub struct CycleQuery {
    pub cycle: Option<String>,
}

/// The fields of a new address, by the form's input names.
const ADDRESS_FIELDS: [&str; 8] = [
    "name", "line1", "line2", "postcode", "city", "country", "phone", "note",
];

/// What the customer chose, as the form and the review page carry it.
#[derive(Debug, Clone, Default)]
struct Choices {
    cycle: String,
    shipping_method_id: String,
    /// A saved address's id, or `new`.
    address_id: String,
    address: Vec<(String, String)>,
    save_address: bool,
    local_amount: String,
    local_currency: String,
    local_default: String,
    credit_amount: String,
    /// How much more weighed lines may weigh, in percent, as typed (`10`, `10 %`).
    weight_tolerance: String,
    cart_id: String,
}

/// An amount as people type it: `12,50`, ` 12.5 `, `1 200,00`.
fn typed_amount(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect()
}

impl Choices {
    fn of_form(form: &Form) -> Choices {
        Choices {
            cycle: form.get("cycle").to_string(),
            shipping_method_id: form.get("shipping_method_id").to_string(),
            address_id: form.get("address_id").to_string(),
            address: ADDRESS_FIELDS
                .iter()
                .map(|f| (f.to_string(), form.get(&format!("address_{f}")).to_string()))
                .collect(),
            save_address: form.get("save_address") == "yes",
            local_amount: form.get("local_amount").to_string(),
            local_currency: form.get("local_currency").to_string(),
            local_default: form.get("local_default").to_string(),
            credit_amount: form.get("credit_amount").to_string(),
            weight_tolerance: form.get("weight_tolerance_percent").to_string(),
            cart_id: form.get("cart_id").to_string(),
        }
    }

    fn address_value(&self, field: &str) -> &str {
        self.address
            .iter()
            .find(|(k, _)| k == field)
            .map_or("", |(_, v)| v.as_str())
    }

    fn new_address(&self) -> Option<AddressInput> {
        if self.address.iter().all(|(_, v)| v.trim().is_empty()) {
            return None;
        }
        let opt = |f: &str| Some(self.address_value(f).to_string()).filter(|v| !v.is_empty());
        Some(AddressInput {
            name: self.address_value("name").to_string(),
            line1: self.address_value("line1").to_string(),
            line2: opt("line2"),
            postcode: self.address_value("postcode").to_string(),
            city: self.address_value("city").to_string(),
            country: opt("country"),
            phone: self.address_value("phone").to_string(),
            note: opt("note"),
        })
    }

    /// The weight tolerance typed (`10`, `10 %`) as a whole percentage; `None` when left
    /// empty (the default), `Err` when not a whole number (the domain checks the range).
    fn tolerance_percent(&self) -> Result<Option<i32>, ()> {
        let typed: String = self
            .weight_tolerance
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '%')
            .collect();
        if typed.is_empty() {
            return Ok(None);
        }
        typed.parse::<i32>().map(Some).map_err(|_| ())
    }

    /// The domain's request, or the field errors of what cannot even be read.
    fn request(&self) -> Result<CheckoutRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let local = typed_amount(&self.local_amount);
        let local_amount = if local.is_empty() {
            None
        } else {
            match self.local_currency.parse() {
                Ok(currency) => Some(AmountInput {
                    amount: local,
                    currency,
                }),
                Err(_) => {
                    errors.push(FieldError::new(
                        "local_amount",
                        "not_accepted",
                        "the hub accepts no local currency",
                    ));
                    None
                }
            }
        };
        let credit = typed_amount(&self.credit_amount);
        let weight_tolerance_percent = match self.tolerance_percent() {
            Ok(p) => p,
            Err(()) => {
                errors.push(FieldError::new(
                    "weight_tolerance_percent",
                    "not_a_number",
                    "enter a whole number of percent",
                ));
                None
            }
        };
        let (address, address_id) = if self.address_id.is_empty() || self.address_id == "new" {
            (self.new_address(), None)
        } else {
            (None, Some(self.address_id.clone()))
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckoutRequest {
            shipping_method_id: self.shipping_method_id.clone(),
            local_amount,
            credit_amount: Some(credit).filter(|c| !c.is_empty()),
            weight_tolerance_percent,
            address,
            address_id,
            save_address: self.save_address,
            cart_id: Some(self.cart_id.clone()).filter(|c| !c.is_empty()),
        })
    }

    /// The values the form is filled with.
    fn values(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (k, v) in [
            ("cycle", &self.cycle),
            ("shipping_method_id", &self.shipping_method_id),
            ("address_id", &self.address_id),
            ("local_amount", &self.local_amount),
            ("local_currency", &self.local_currency),
            ("local_default", &self.local_default),
            ("credit_amount", &self.credit_amount),
            ("cart_id", &self.cart_id),
        ] {
            map.insert(k.into(), v.clone().into());
        }
        for (k, v) in &self.address {
            map.insert(format!("address_{k}"), v.clone().into());
        }
        // the default is shown, so that the customer sees what an empty field means
        let tolerance = match self.tolerance_percent() {
            Ok(None) => checkout::DEFAULT_WEIGHT_TOLERANCE_PERCENT.to_string(),
            Ok(Some(p)) => p.to_string(),
            Err(()) => self.weight_tolerance.clone(),
        };
        map.insert("weight_tolerance_percent".into(), tolerance.into());
        map.insert(
            "save_address".into(),
            if self.save_address { "yes" } else { "" }.into(),
        );
        Value::Object(map)
    }
}

/// Why the form cannot be shown.
enum Unavailable {
    /// The cycle takes no orders now.
    Closed,
    /// Nothing in the cart.
    Empty,
    /// A line is no longer offered, or out of stock: the cart must change.
    CartChanged,
}

/// What the form shows besides the customer's values.
struct FormContext {
    context: Value,
    /// The most payable in local currency for the method selected first (`None`: the hub
    /// accepts no local currency).
    default_local: Option<String>,
    local_currency: String,
    first_method: String,
    first_address: String,
    has_saved: bool,
}

/// The cycle, shop, cart, methods, addresses, credit and local offer of the form.
fn form_context(
    conn: &mut crate::db::DbConn,
    cycle_id: &str,
    user: &UserId,
    method: Option<&str>,
) -> Result<Result<FormContext, (Unavailable, Value)>, WebError> {
    let cycle = match cycles::find_row(conn, cycle_id) {
        Ok(c) => c,
        Err(OrderError::NotFound(d)) => return Err(WebError::NotFound(d)),
        Err(e) => return Err(e.into()),
    };
    let hub = crate::enterprises::get_row(conn, &cycle.hub_id)?;
    let shop = json!({"slug": hub.slug, "name": hub.name, "cycle": cycle.name,
        "closes_at": mail_time(cycle.closes_at, &hub.time_zone)});
    if cycle.state(crate::time::now()) != cycles::CycleState::Open {
        return Ok(Err((Unavailable::Closed, shop)));
    }
    let basket = cart::get(conn, cycle_id, user)?;
    if basket.lines.is_empty() {
        return Ok(Err((Unavailable::Empty, shop)));
    }
    let Some(quote) = basket.quote else {
        return Ok(Err((Unavailable::CartChanged, shop)));
    };
    let legal = crate::ledger::currencies::legal(conn)?;
    let methods: Vec<ShippingMethod> = shipping::for_cycle(conn, cycle_id)?
        .into_iter()
        .map(|m| ShippingMethod::of(m, legal))
        .collect();
    let first_method = method
        .filter(|id| methods.iter().any(|m| m.id == *id))
        .map(str::to_string)
        .or_else(|| methods.first().map(|m| m.id.clone()))
        .unwrap_or_default();
    let offer = match checkout::local_offer(
        conn,
        &CycleId::from(cycle_id),
        user,
        Some(first_method.as_str()).filter(|m| !m.is_empty()),
    ) {
        Ok(offer) => offer,
        Err(OrderError::Invalid(_) | OrderError::OutOfStock(_)) => {
            return Ok(Err((Unavailable::CartChanged, shop)))
        }
        Err(OrderError::CycleNotOpen(_)) => return Ok(Err((Unavailable::Closed, shop))),
        Err(OrderError::OrderState(_)) => return Ok(Err((Unavailable::Empty, shop))),
        Err(e) => return Err(e.into()),
    };
    let saved = addresses::list(conn, user)?;
    let credit = refunds::of_customer(conn, user)?
        .into_iter()
        .find(|c| c.hub_id == cycle.hub_id)
        .map(|c| c.amount);
    let zone = hub.time_zone.clone();
    let context = json!({
        "shop": shop,
        "cycle_id": cycle.id,
        "legal": legal.code.to_string(),
        "lines": quote.lines.iter().map(|l| json!({
            "name": l.name, "unit": l.unit, "quantity": l.quantity, "total": l.total,
        })).collect::<Vec<_>>(),
        "fees": quote.fees.iter().map(|f| json!({"name": f.name, "amount": f.amount})).collect::<Vec<_>>(),
        "total": quote.total,
        "methods": methods.iter().enumerate().map(|(i, m)| json!({
            "id": m.id, "input_id": if i == 0 { "shipping_method_id".to_string() } else { format!("shipping_method_id-{i}") },
            "kind": m.kind, "name": m.name, "address": m.address, "instructions": m.instructions,
            "at": mail_time(m.at.naive_utc(), &zone), "fee": m.fee, "free": m.fee.minor == 0,
        })).collect::<Vec<_>>(),
        "delivery": methods.iter().any(|m| m.kind == shipping::ShippingKind::Delivery.as_str()),
        "saved": saved.iter().enumerate().map(|(i, a)| json!({
            "id": a.id, "input_id": if i == 0 { "address_id".to_string() } else { format!("address_id-{i}") },
            "address": a.address.to_json(),
        })).collect::<Vec<_>>(),
        "local": offer.as_ref().map(|o| json!({
            "currency": o.currency.to_string(), "most": o.most, "available": o.available,
            "share_max": o.share_max,
        })),
        "credit": credit,
        "tolerance": {
            "default": checkout::DEFAULT_WEIGHT_TOLERANCE_PERCENT,
            "max": checkout::MAX_WEIGHT_TOLERANCE_PERCENT,
        },
    });
    Ok(Ok(FormContext {
        context,
        default_local: offer.as_ref().map(|o| o.most.amount_string()),
        local_currency: offer.map(|o| o.currency.to_string()).unwrap_or_default(),
        first_method,
        first_address: saved
            .first()
            .map_or_else(|| "new".to_string(), |a| a.id.clone()),
        has_saved: !saved.is_empty(),
    }))
}

/// The page saying why there is no form, with a link back to the shop or the cart.
fn unavailable(
    pages: &Pages,
    visitor: &Visitor,
    why: Unavailable,
    shop: Value,
) -> Result<HttpResponse, WebError> {
    let (reason, status) = match why {
        Unavailable::Closed => ("closed", StatusCode::CONFLICT),
        Unavailable::Empty => ("empty", StatusCode::OK),
        Unavailable::CartChanged => ("cart-changed", StatusCode::CONFLICT),
    };
    render_status(
        pages,
        visitor,
        "checkout_unavailable.html",
        json!({"reason": reason, "shop": shop}),
        status,
    )
}

/// The form page, filled with `choices` (or the defaults when `None`), with `errors`.
async fn show_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    cycle_id: String,
    choices: Option<Choices>,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let user = reader.actor.user_id.clone();
    let method = choices.as_ref().map(|c| c.shipping_method_id.clone());
    let id = cycle_id.clone();
    let loaded = state
        .db
        .run(move |conn| form_context(conn, &id, &user, method.as_deref()))
        .await?;
    let form = match loaded {
        Ok(form) => form,
        Err((why, shop)) => return unavailable(pages, visitor, why, shop),
    };
    let choices = choices.unwrap_or_else(|| Choices {
        cycle: cycle_id,
        shipping_method_id: form.first_method.clone(),
        address_id: form.first_address.clone(),
        address: ADDRESS_FIELDS
            .iter()
            .map(|f| (f.to_string(), String::new()))
            .collect(),
        local_amount: form.default_local.clone().unwrap_or_default(),
        local_default: form.default_local.clone().unwrap_or_default(),
        local_currency: form.local_currency.clone(),
        ..Choices::default()
    });
    let errors = form_errors(pages, visitor, &errors, form.has_saved);
    let mut context = form.context;
    context["values"] = choices.values();
    context["errors"] = errors;
    render_status(pages, visitor, "checkout.html", context, status)
}

/// `GET /checkout?cycle=ID`: the form, with its defaults.
pub async fn form_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<CycleQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::Shop)?;
    let Some(cycle) = query.cycle.clone().filter(|c| !c.is_empty()) else {
        return Err(WebError::NotFound("which order cycle?".into()));
    };
    show_form(
        &state,
        &pages,
        &visitor,
        cycle,
        None,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// A refusal of the domain as the form shows it: field errors by their field, funds short
/// by the local amount, stock by the basket; `None` for a refusal the form cannot show.
fn refusal_errors(e: OrderError) -> Result<Vec<FieldError>, OrderError> {
    use crate::ledger::LedgerError;
    match e {
        OrderError::Invalid(invalid) => Ok(invalid.0),
        OrderError::Ledger(LedgerError::InsufficientFunds { .. }) => Ok(vec![FieldError::new(
            "local_amount",
            "insufficient_funds",
            "your wallet does not hold that much",
        )]),
        OrderError::OutOfStock(detail) => Ok(vec![FieldError::new("cart", "out_of_stock", detail)]),
        other => Err(other),
    }
}

/// The domain's field names as the form's input ids (`address.postcode` → `address_postcode`,
/// `local_amount.amount` → `local_amount`).
fn form_field(field: &str, has_saved: bool) -> String {
    if field.starts_with("local_amount") {
        return "local_amount".into();
    }
    if field.starts_with("lines") {
        return "cart".into();
    }
    if field == "address" {
        return if has_saved {
            "address_id"
        } else {
            "address_name"
        }
        .into();
    }
    if let Some(part) = field.strip_prefix("address.") {
        return format!("address_{part}");
    }
    field.to_string()
}

/// Field errors as the form shows them: by input id, in the page's words when the catalogue
/// has them (`checkout-error-<field>-<code>`, then `checkout-error-<code>`), else as the
/// domain wrote them.
fn form_errors(pages: &Pages, visitor: &Visitor, errors: &[FieldError], has_saved: bool) -> Value {
    let locale = super::i18n::page_locale(visitor.locale);
    let list: Vec<Value> = errors
        .iter()
        .map(|e| {
            let field = form_field(&e.field, has_saved);
            let code = e.code.replace('_', "-");
            let specific = format!("checkout-error-{}-{code}", field.replace('_', "-"));
            let general = format!("checkout-error-{code}");
            let message = if pages.catalogue.has(locale, &specific) {
                pages.catalogue.text(locale, &specific, &[])
            } else if pages.catalogue.has(locale, &general) {
                pages.catalogue.text(locale, &general, &[])
            } else {
                e.message.clone()
            };
            json!({"field": field, "message": message})
        })
        .collect();
    json!(list)
}

/// What the review page shows of a previewed order.
fn review_context(conn: &mut crate::db::DbConn, order: &order::Order) -> Result<Value, WebError> {
    let hub = crate::enterprises::get_row(conn, &order.hub_id)?;
    let cycle = cycles::find_row(conn, &order.order_cycle_id)?;
    let method = match &order.shipping_method_id {
        Some(id) => shipping::for_cycle(conn, &order.order_cycle_id)?
            .into_iter()
            .find(|m| m.id == *id),
        None => None,
    };
    let vat = order::vat_per_rate(
        order,
        method
            .as_ref()
            .map(|m| crate::catalog::vat_percent(m.vat_rate_bp))
            .as_deref(),
    );
    Ok(json!({
        "shop": {"slug": hub.slug, "name": hub.name, "cycle": cycle.name},
        "order": order_json(order, &std::collections::HashMap::new()),
        "vat": vat.iter().map(|(rate, amount)| json!({"rate": rate, "amount": amount})).collect::<Vec<_>>(),
        "method": method.map(|m| json!({
            "kind": m.kind, "name": m.name, "address": m.address,
            "instructions": m.instructions, "at": mail_time(m.at_time, &hub.time_zone),
        })),
    }))
}

/// An order's facts as the pages show them (lines with their producer's name from
/// `producers`, fees, totals, payment, address).
pub fn order_json(
    order: &order::Order,
    producers: &std::collections::HashMap<String, String>,
) -> Value {
    let lines: Vec<Value> = order
        .lines
        .iter()
        .map(|l| {
            let mut line = json!(l);
            line["producer"] = l
                .producer_id
                .as_ref()
                .and_then(|p| producers.get(p))
                .cloned()
                .into();
            line
        })
        .collect();
    json!({
        "id": order.id,
        "number": order.number,
        "lines": lines,
        "fees": order.fees,
        "items_total": order.items_total,
        "fees_total": order.fees_total,
        "shipping_fee": order.shipping_fee,
        "has_shipping_fee": order.shipping_fee.minor != 0,
        "total": order.total,
        "vat_total": order.vat_total,
        "local": order.payment.local.filter(|l| l.minor != 0),
        "local_eur_value": order.payment.local_eur_value,
        "euro": order.payment.euro,
        "euro_due": order.payment.euro.minor - order.payment.euro_received.minor,
        "euro_state": order.payment.euro_state,
        "euro_received": order.payment.euro_received,
        "credit_used": order.payment.credit_used,
        "has_paid_legal": order.payment.euro_received.minor > order.payment.credit_used.minor,
        "has_credit_used": order.payment.credit_used.minor != 0,
        "owed_back": order.payment.owed_back,
        "has_owed_back": order.payment.owed_back.minor != 0,
        "euro_refunded": order.payment.euro_refunded,
        "has_refunded": order.payment.euro_refunded.minor != 0,
        "address": order.delivery_address.as_ref().map(|a| a.to_json()),
    })
}

/// `POST /checkout`: checks the answers and shows them to confirm ("check your answers"); with
/// `change`, the form again with the answers.
pub async fn review(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::Shop)?;
    let mut choices = Choices::of_form(&form);
    if choices.cycle.is_empty() {
        return Err(WebError::NotFound("which order cycle?".into()));
    }
    if !form.get("change").is_empty() {
        let cycle = choices.cycle.clone();
        return show_form(
            &state,
            &pages,
            &visitor,
            cycle,
            Some(choices),
            Vec::new(),
            StatusCode::OK,
        )
        .await;
    }
    let user = reader.actor.user_id.clone();
    let cycle = choices.cycle.clone();
    // the amount left as it was offered: the most for the method chosen
    if !choices.local_default.is_empty() && choices.local_amount == choices.local_default {
        let (user, cycle, method) = (
            user.clone(),
            cycle.clone(),
            choices.shipping_method_id.clone(),
        );
        let offer = state
            .db
            .run(move |conn| {
                checkout::local_offer(conn, &CycleId::from(&cycle), &user, Some(&method))
            })
            .await;
        if let Ok(Some(offer)) = offer {
            choices.local_amount = offer.most.amount_string();
        }
    }
    let request = match choices.request() {
        Ok(r) => r,
        Err(errors) => {
            return show_form(
                &state,
                &pages,
                &visitor,
                cycle,
                Some(choices),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let cycle_id = cycle.clone();
    let outcome = state
        .db
        .run(move |conn| -> Result<Result<Value, OrderError>, WebError> {
            match checkout::preview(conn, &CycleId::from(&cycle_id), &user, &request) {
                Ok(order) => Ok(Ok(review_context(conn, &order)?)),
                Err(e) => Ok(Err(e)),
            }
        })
        .await?;
    match outcome {
        Ok(mut context) => {
            // the cart checked out is the order previewed (checkout keeps its row)
            choices.cart_id = context["order"]["id"].as_str().unwrap_or("").to_string();
            context["values"] = choices.values();
            context["address_fields"] = json!(ADDRESS_FIELDS);
            super::render(&pages, &visitor, "checkout_review.html", context)
        }
        Err(e) => refused(&state, &pages, &visitor, choices, e).await,
    }
}

/// A refusal of the domain: on the form by its field, or on the page saying why not.
async fn refused(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    choices: Choices,
    e: OrderError,
) -> Result<HttpResponse, WebError> {
    let cycle = choices.cycle.clone();
    match refusal_errors(e) {
        Ok(errors) => {
            show_form(
                state,
                pages,
                visitor,
                cycle,
                Some(choices),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        // closed or emptied meanwhile: the page that says so (show_form finds it again);
        // else the basket changed since it was reviewed: the form, to check again
        Err(OrderError::CycleNotOpen(_) | OrderError::OrderState(_)) => {
            show_form(
                state,
                pages,
                visitor,
                cycle,
                Some(choices),
                vec![FieldError::new(
                    "cart",
                    "changed",
                    "your basket changed: check your answers again",
                )],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /checkout/confirm`: places the order reviewed, then to its page.
pub async fn confirm(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::Shop)?;
    let choices = Choices::of_form(&form);
    if choices.cycle.is_empty() || choices.cart_id.is_empty() {
        return Err(WebError::NotFound("which order cycle?".into()));
    }
    let request = match choices.request() {
        Ok(r) => r,
        Err(errors) => {
            let cycle = choices.cycle.clone();
            return show_form(
                &state,
                &pages,
                &visitor,
                cycle,
                Some(choices),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (user, cycle, cart_id) = (
        reader.actor.user_id.clone(),
        choices.cycle.clone(),
        choices.cart_id.clone(),
    );
    let placed = state
        .db
        .run(
            move |conn| -> Result<Result<String, (OrderError, Option<String>)>, WebError> {
                match checkout::checkout(conn, &CycleId::from(&cycle), &user, &request) {
                    Ok(order) => Ok(Ok(order.id)),
                    Err(e @ (OrderError::OrderState(_) | OrderError::Conflict(_))) => {
                        // the cart reviewed is an order already (a second submit): that order
                        let placed = match order::find_row(conn, &cart_id) {
                            Ok(row)
                                if row.customer_id == user.as_str()
                                    && row.state != OrderState::Cart.as_str() =>
                            {
                                Some(row.id)
                            }
                            _ => None,
                        };
                        Ok(Err((e, placed)))
                    }
                    Err(e) => Ok(Err((e, None))),
                }
            },
        )
        .await?;
    match placed {
        Ok(id) => Ok(redirect(&format!("/orders/{id}?notice=placed"))),
        Err((_, Some(id))) => Ok(redirect(&format!("/orders/{id}?notice=already-placed"))),
        Err((e, None)) => refused(&state, &pages, &visitor, choices, e).await,
    }
}
