//! Carts, checkout and orders; a cycle's pickup and delivery methods.

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::JsonBody;
use crate::api::idempotency;
use crate::api::views;
use crate::api::views::cycles::ShippingMethod;
use crate::api::views::orders::{
    AdjustRequest, CancelRequest, Cart, CheckoutRequest, CreditRequest, CustomerCredit, Order,
    QuoteRequest, RefundRequest,
};
use crate::api::AppState;
use crate::auth::policy::{authorize, Action};
use crate::auth::AuthError;
use crate::ids::{CycleId, OrderId};
use crate::orders::adjust;
use crate::orders::cart;
use crate::orders::checkout as checkouts;
use crate::orders::cycles;
use crate::orders::order;
use crate::orders::planning;
use crate::orders::refunds;
use crate::orders::shipping::{self, ShippingKind};
use crate::orders::OrderError;

/// The caller's cart in a cycle, priced now.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    responses((status = 200, body = Cart), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/order-cycles/{cycle_id}/cart")]
pub async fn get_cart(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
) -> Result<web::Json<Cart>, ApiError> {
    authorize(&caller.0, Action::Shop)?;
    let (id, user) = (cycle_id.into_inner(), caller.0.user_id);
    Ok(web::Json(
        state
            .db
            .run(move |conn| cart::get(conn, &id, &user))
            .await?
            .into(),
    ))
}

/// Sets the caller's cart in an open cycle: the lines given replace the cart's (add, change
/// and remove in one request; an empty list empties it). Every bad line is reported at once.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    request_body = QuoteRequest,
    responses((status = 200, body = Cart), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "The cycle is not open", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[put("/api/v1/order-cycles/{cycle_id}/cart")]
pub async fn set_cart(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
    body: JsonBody<QuoteRequest>,
) -> Result<web::Json<Cart>, ApiError> {
    authorize(&caller.0, Action::Shop)?;
    let (id, user, request) = (cycle_id.into_inner(), caller.0.user_id, body.0.into());
    Ok(web::Json(
        state
            .db
            .run(move |conn| cart::set(conn, &id, &user, &request))
            .await?
            .into(),
    ))
}

/// Checks out the caller's cart: stock reserved, the local part held on the caller's wallet,
/// the euro part due to the hub. Needs an `Idempotency-Key` header.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = CheckoutRequest,
    responses((status = 201, body = Order), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Cycle not open, empty cart, out of stock, insufficient funds", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/order-cycles/{cycle_id}/checkout")]
pub async fn checkout(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
    body: JsonBody<CheckoutRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller.0, Action::Shop)?;
    let key = idempotency::key(&req)?;
    let (id, user, request) = (cycle_id.into_inner(), caller.0.user_id, body.0);
    let route = format!("checkout {id}");
    let saved = state
        .db
        .run(move |conn| {
            idempotency::run(
                conn,
                &user,
                &key,
                &route,
                &request,
                StatusCode::CREATED,
                |conn| {
                    let checkout = request.clone().into();
                    checkouts::checkout(conn, &CycleId::from(&id), &user, &checkout)
                        .map(Order::from)
                },
            )
        })
        .await?;
    Ok(saved.respond())
}

/// An order: its customer, or the hub's people.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = String, Path)),
    responses((status = 200, body = Order), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/orders/{order_id}")]
pub async fn get_order(
    state: web::Data<AppState>,
    caller: Authenticated,
    order_id: web::Path<String>,
) -> Result<web::Json<Order>, ApiError> {
    let id = order_id.into_inner();
    let order = state
        .db
        .run(move |conn| {
            let row = order::find_row(conn, &id)?;
            authorize(
                &caller.0,
                Action::ReadOrder {
                    customer_id: &row.customer_id,
                    hub_id: &row.hub_id,
                },
            )?;
            order::view(conn, row)
        })
        .await?;
    Ok(web::Json(order.into()))
}

/// The caller's orders, newest first (the last 200).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Order>), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/me/orders")]
pub async fn my_orders(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<Vec<Order>>, ApiError> {
    authorize(&caller.0, Action::ReadOwnAccounts)?;
    let user = caller.0.user_id;
    Ok(web::Json(
        state
            .db
            .run(move |conn| order::for_customer(conn, &user))
            .await
            .map(views::all)?,
    ))
}

/// Cancels a confirmed order: stock released, hold voided, fiat part no longer due, the
/// customer credit it used given back to credit; fiat already paid is then owed back
/// (`payment.owed_back`) until the hub refunds it or turns it into credit. By its customer
/// while the cycle is open, or the hub's owners and managers until the cycle's settlement.
/// Needs an `Idempotency-Key` header.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = CancelRequest,
    responses((status = 200, body = Order), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/orders/{order_id}/cancel")]
pub async fn cancel_order(
    state: web::Data<AppState>,
    caller: Authenticated,
    order_id: web::Path<String>,
    body: JsonBody<CancelRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let by_hub = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let as_hub = by_hub.clone();
    order_action(
        &state,
        caller,
        order_id.into_inner(),
        &req,
        "cancel",
        request.clone(),
        move |actor, row| {
            authorize(
                actor,
                Action::CancelOrder {
                    customer_id: &row.customer_id,
                    hub_id: &row.hub_id,
                },
            )?;
            // the hub's people cancel as the hub (until the settlement), anyone else as the
            // customer (while the cycle is open)
            let hub = authorize(
                actor,
                Action::ManageHubOrders {
                    hub_id: &row.hub_id,
                },
            )
            .is_ok();
            by_hub.store(hub, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        },
        move |conn, id| {
            let by = if as_hub.load(std::sync::atomic::Ordering::Relaxed) {
                checkouts::Canceller::Hub
            } else {
                checkouts::Canceller::Customer
            };
            checkouts::cancel(conn, id, &request.reason, by)
        },
    )
    .await
}

/// Refunds what an order owes its customer back (`payment.owed_back`: a cancelled order, or
/// one weighed down after it was paid), by bank transfer, cash, cheque, card or otherwise,
/// with a reference. By the hub's owners, managers, cashiers and treasurers. Needs an
/// `Idempotency-Key` header.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = RefundRequest,
    responses((status = 200, body = Order), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Nothing is owed back", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/orders/{order_id}/refunds")]
pub async fn refund_order(
    state: web::Data<AppState>,
    caller: Authenticated,
    order_id: web::Path<String>,
    req: HttpRequest,
    body: JsonBody<RefundRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let by = caller.0.user_id.clone();
    order_action(
        &state,
        caller,
        order_id.into_inner(),
        &req,
        "refund",
        request.clone(),
        |actor, row| {
            authorize(
                actor,
                Action::RecordRefund {
                    hub_id: &row.hub_id,
                },
            )
        },
        move |conn, id| refunds::refund(conn, id, &request.clone().into(), &by),
    )
    .await
}

/// Turns what an order owes its customer back into the customer's credit with the hub,
/// usable at its next checkouts (`credit_amount`). By the hub's owners, managers, cashiers
/// and treasurers. Needs an `Idempotency-Key` header.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = CreditRequest,
    responses((status = 200, body = Order), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Nothing is owed back", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/orders/{order_id}/credit")]
pub async fn credit_order(
    state: web::Data<AppState>,
    caller: Authenticated,
    order_id: web::Path<String>,
    req: HttpRequest,
    body: JsonBody<CreditRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let by = caller.0.user_id.clone();
    order_action(
        &state,
        caller,
        order_id.into_inner(),
        &req,
        "credit",
        request.clone(),
        |actor, row| {
            authorize(
                actor,
                Action::RecordRefund {
                    hub_id: &row.hub_id,
                },
            )
        },
        move |conn, id| refunds::credit(conn, id, request.amount.as_deref(), &by),
    )
    .await
}

/// The caller's credit with hubs (those where it is not zero), usable at their checkouts.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<CustomerCredit>), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/me/credits")]
pub async fn my_credits(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<Vec<CustomerCredit>>, ApiError> {
    authorize(&caller.0, Action::ReadOwnAccounts)?;
    let user = caller.0.user_id;
    Ok(web::Json(
        state
            .db
            .run(move |conn| refunds::of_customer(conn, &user))
            .await
            .map(views::all)?,
    ))
}

/// A hub's customers with credit, largest first (at most 500). By the hub's owners,
/// managers, cashiers and treasurers.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("hub_id" = String, Path)),
    responses((status = 200, body = Vec<CustomerCredit>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{hub_id}/customer-credits")]
pub async fn hub_customer_credits(
    state: web::Data<AppState>,
    caller: Authenticated,
    hub_id: web::Path<String>,
) -> Result<web::Json<Vec<CustomerCredit>>, ApiError> {
    let hub = super::resolve::enterprise(&state, &caller.0, hub_id.into_inner()).await?;
    authorize(&caller.0, Action::RecordRefund { hub_id: &hub })?;
    Ok(web::Json(
        state
            .db
            .run(move |conn| refunds::of_hub(conn, &hub))
            .await
            .map(views::all)?,
    ))
}

/// An action on one order: the policy is asked first (`allowed`), then `work` runs once per
/// `Idempotency-Key`, `body` being the request the key is bound to (see [`idempotency`]).
#[allow(clippy::too_many_arguments)]
async fn order_action<B, A, W>(
    state: &AppState,
    caller: Authenticated,
    order_id: String,
    req: &HttpRequest,
    route: &'static str,
    body: B,
    allowed: A,
    work: W,
) -> Result<HttpResponse, ApiError>
where
    B: Serialize + Send + 'static,
    A: FnOnce(&crate::auth::actor::Actor, &order::OrderRow) -> Result<(), AuthError>
        + Send
        + 'static,
    W: Fn(&mut crate::db::DbConn, &OrderId) -> Result<order::Order, OrderError> + Send + 'static,
{
    let key = idempotency::key(req);
    let saved = state
        .db
        .run(move |conn| {
            let row = order::find_row(conn, &order_id)?;
            allowed(&caller.0, &row)?;
            idempotency::run(
                conn,
                &caller.0.user_id,
                &key?,
                &format!("{route} {order_id}"),
                &body,
                StatusCode::OK,
                |conn| work(conn, &OrderId::from(&order_id)).map(Order::from),
            )
        })
        .await?;
    Ok(saved.respond())
}

/// Records that an order's fiat part (in the deployment's legal currency) was paid to the hub
/// (at pickup or by transfer). By the hub's owners, managers, cashiers and treasurers. Needs
/// an `Idempotency-Key` header.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = String, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = Order), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/orders/{order_id}/fiat-payment")]
pub async fn record_fiat_payment(
    state: web::Data<AppState>,
    caller: Authenticated,
    order_id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    fiat_paid(&state, caller, order_id.into_inner(), &req).await
}

/// `…/fiat-payment` under its former path, from when the legal currency was always the
/// euro: the same action, the same `Idempotency-Key`s. Deprecated (marked so in the document,
/// [`crate::api::openapi::DEPRECATED`]); removed in the next major version of the API.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = String, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = Order), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/orders/{order_id}/euro-payment")]
pub async fn record_euro_payment(
    state: web::Data<AppState>,
    caller: Authenticated,
    order_id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    fiat_paid(&state, caller, order_id.into_inner(), &req).await
}

async fn fiat_paid(
    state: &AppState,
    caller: Authenticated,
    order_id: String,
    req: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    order_action(
        state,
        caller,
        order_id,
        req,
        // the route's key for idempotency: the same under both paths
        "euro-payment",
        (),
        |actor, row| {
            authorize(
                actor,
                Action::CollectPayment {
                    hub_id: &row.hub_id,
                },
            )
        },
        checkouts::mark_euro_paid,
    )
    .await
}

/// Records what was delivered of weighed items before the cycle closes, and prices the order
/// again (the close captures less than was held). By the hub's owners, managers and cashiers.
/// Needs an `Idempotency-Key` header.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = AdjustRequest,
    responses((status = 200, body = Order), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/orders/{order_id}/adjustments")]
pub async fn adjust_order(
    state: web::Data<AppState>,
    caller: Authenticated,
    order_id: web::Path<String>,
    req: HttpRequest,
    body: JsonBody<AdjustRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    order_action(
        &state,
        caller,
        order_id.into_inner(),
        &req,
        "adjust",
        request.clone(),
        |actor, row| {
            authorize(
                actor,
                Action::WeighOrder {
                    hub_id: &row.hub_id,
                },
            )
        },
        move |conn, id| adjust::adjust(conn, id, &request.clone().into()),
    )
    .await
}

/// Records that a booked order was handed over (picked up or delivered). By the hub's owners,
/// managers and cashiers, once the cycle's close has booked the order. Needs an
/// `Idempotency-Key`.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = String, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = Order), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/orders/{order_id}/fulfil")]
pub async fn fulfil_order(
    state: web::Data<AppState>,
    caller: Authenticated,
    order_id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    order_action(
        &state,
        caller,
        order_id.into_inner(),
        &req,
        "fulfil",
        (),
        |actor, row| {
            authorize(
                actor,
                Action::HandOverOrder {
                    hub_id: &row.hub_id,
                },
            )
        },
        checkouts::fulfil,
    )
    .await
}

/// A cycle's orders (carts excluded), for the hub's owners, managers, cashiers and treasurers.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    responses((status = 200, body = Vec<Order>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/order-cycles/{cycle_id}/orders")]
pub async fn cycle_orders(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
) -> Result<web::Json<Vec<Order>>, ApiError> {
    let id = cycle_id.into_inner();
    let orders = state
        .db
        .run(move |conn| {
            cycles::find_for(conn, &id, &caller.0, |hub_id| Action::ListHubOrders {
                hub_id,
            })?;
            order::for_cycle(conn, &id)
        })
        .await?;
    Ok(web::Json(views::all(orders)))
}

/// A cycle's pickup and delivery methods.
#[utoipa::path(
    tag = "orders",
    params(("cycle_id" = String, Path)),
    responses((status = 200, body = Vec<ShippingMethod>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/order-cycles/{cycle_id}/shipping-methods")]
pub async fn list_shipping_methods(
    state: web::Data<AppState>,
    cycle_id: web::Path<String>,
) -> Result<web::Json<Vec<ShippingMethod>>, ApiError> {
    let id = cycle_id.into_inner();
    let (methods, legal) = state
        .db
        .run(move |conn| {
            cycles::find_row(conn, &id)?;
            let legal = crate::ledger::currencies::legal(conn)?;
            Ok::<_, OrderError>((shipping::for_cycle(conn, &id)?, legal))
        })
        .await?;
    Ok(web::Json(
        methods
            .into_iter()
            .map(|m| ShippingMethod::from(shipping::ShippingMethod::of(m, legal)))
            .collect(),
    ))
}

/// A pickup or delivery method to add to a cycle.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingMethodCreate {
    pub kind: ShippingKind,
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub instructions: String,
    /// When orders are handed over (RFC 3339).
    pub at: DateTime<Utc>,
    /// Fee, tax included, in euros (`"2.00"`; default `"0"`).
    #[serde(default)]
    pub fee: Option<String>,
    /// VAT rate of the fee in percent (default: the standard rate, the highest configured:
    /// `"20"` in France, `"8.1"` in Switzerland).
    #[serde(default)]
    pub vat_rate: Option<String>,
    /// Share of the fee payable in local currency, 0–100 (default 100).
    #[serde(default)]
    pub local_share_percent: Option<i32>,
}

fn new_method(body: &ShippingMethodCreate) -> shipping::NewMethod {
    shipping::NewMethod {
        kind: body.kind,
        name: body.name.clone(),
        address: body.address.clone(),
        instructions: body.instructions.clone(),
        at: body.at,
        fee: body.fee.clone(),
        vat_rate: body.vat_rate.clone(),
        local_share_percent: body.local_share_percent,
    }
}

/// Adds a pickup or delivery method to a cycle while it is upcoming or open (the hub's
/// owners and managers; [`planning::add_method`], as the hub's office does): a closed
/// cycle's methods are final, 409.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    request_body = ShippingMethodCreate,
    responses((status = 201, body = ShippingMethod), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/order-cycles/{cycle_id}/shipping-methods")]
pub async fn add_shipping_method(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
    body: JsonBody<ShippingMethodCreate>,
) -> Result<HttpResponse, ApiError> {
    let id = cycle_id.into_inner();
    let rules = state.catalog.clone();
    let body = body.0;
    let created = state
        .db
        .run(move |conn| {
            cycles::find_for(conn, &id, &caller.0, |hub_id| Action::ManageHubOrders {
                hub_id,
            })?;
            let row = planning::add_method(conn, &rules, &id, &new_method(&body))?;
            let legal = crate::ledger::currencies::legal(conn)?;
            Ok::<_, ApiError>(ShippingMethod::from(shipping::ShippingMethod::of(
                row, legal,
            )))
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}
