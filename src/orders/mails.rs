//! Order mails, put in the outbox inside the transaction of the checkout or cancellation:
//! the customer's confirmation and the hub's notice of a new order, and the customer's
//! notice of a cancellation. Times are shown in the hub's time zone, with their offset
//! ([`crate::mail::format::mail_time`]), whoever reads them. The customer's mails carry
//! `order_id`, for the link to the order's page (`{app_url}/orders/{order_id}`). A delivered
//! order's address (`delivery_address`: name, lines, postcode, city, country, phone, note;
//! `null` for a pickup) is in the customer's confirmation and in the hub's notice.

use serde_json::json;

use super::order::Order;
use super::shipping::ShippingMethodRow;
use crate::orders::OrderError;
use diesel::prelude::*;

use crate::auth::users::UserRow;
use crate::db::schema::{order_cycles, users};
use crate::db::DbConn;
use crate::enterprises;
use crate::mail::format::mail_time;
use crate::mail::outbox;
use crate::money::Money;

/// The customer of an order: address, language and name.
fn customer(conn: &mut DbConn, user_id: &str) -> Result<UserRow, OrderError> {
    Ok(users::table
        .find(user_id)
        .select(UserRow::as_select())
        .first(conn.diesel())?)
}

/// The local part paid, or nothing paid (in the legal currency: the fiat part's).
fn local_or_zero(order: &Order) -> Money {
    order.payment.local.unwrap_or(Money::new(
        0,
        order.payment.euro.currency,
        order.payment.euro.scale,
    ))
}

/// The pickup or delivery, its time in the hub's time zone `zone`.
fn fulfilment(method: &ShippingMethodRow, zone: &str) -> serde_json::Value {
    json!({
        "kind": method.kind,
        "name": method.name,
        "address": method.address,
        "instructions": method.instructions,
        "time": mail_time(method.at_time, zone),
    })
}

/// The confirmation to the customer and the notice to the hub (when it has an address).
pub fn confirmed(
    conn: &mut DbConn,
    order: &Order,
    cycle_name: &str,
    method: &ShippingMethodRow,
) -> Result<(), OrderError> {
    let customer = customer(conn, &order.customer_id)?;
    let hub = enterprises::get_row(conn, &order.hub_id)?;
    let number = order.number.clone().unwrap_or_default();
    let closes_at: chrono::NaiveDateTime = order_cycles::table
        .find(&order.order_cycle_id)
        .select(order_cycles::closes_at)
        .first(conn.diesel())?;
    let mut vat: Vec<(String, i64)> = Vec::new();
    for line in &order.lines {
        match vat.iter_mut().find(|(rate, _)| *rate == line.vat_rate) {
            Some((_, amount)) => *amount += line.vat.minor,
            None => vat.push((line.vat_rate.clone(), line.vat.minor)),
        }
    }
    let items_vat: i64 = vat.iter().map(|(_, v)| *v).sum();
    let fee_vat = order.vat_total.minor - items_vat;
    if fee_vat > 0 {
        let rate = crate::catalog::vat_percent(method.vat_rate_bp);
        match vat.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, amount)) => *amount += fee_vat,
            None => vat.push((rate, fee_vat)),
        }
    }
    let lines: Vec<serde_json::Value> = order
        .lines
        .iter()
        .map(|l| {
            json!({
                "name": l.name, "unit": l.unit, "quantity": l.quantity,
                "unit_price": l.unit_price, "total": l.total, "vat_rate": l.vat_rate,
            })
        })
        .collect();
    let delivery_fee = (order.shipping_fee.minor > 0).then_some(order.shipping_fee);
    let delivery_address = order.delivery_address.as_ref().map(|a| a.to_json());
    outbox::enqueue(
        conn,
        &customer.email,
        "order_confirmation",
        &customer.locale,
        &json!({
            "customer_name": customer.display_name,
            "order_id": order.id,
            "order_number": number,
            "hub_name": hub.name,
            "cycle_name": cycle_name,
            "cycle_closes_at": mail_time(closes_at, &hub.time_zone),
            "lines": lines,
            "items_total": order.items_total,
            "fees_total": null,
            "delivery_fee": delivery_fee,
            "total": order.total,
            "vat": vat.iter().map(|(rate, amount)| json!({"rate": rate, "amount": Money::new(*amount, order.total.currency, order.total.scale)})).collect::<Vec<_>>(),
            "paid_local": local_or_zero(order),
            "paid_eur": order.payment.euro,
            "fulfilment": fulfilment(method, &hub.time_zone),
            "delivery_address": delivery_address,
        }),
    )?;
    if let Some(email) = &hub.email {
        outbox::enqueue(
            conn,
            email,
            "order_new_for_hub",
            "",
            &json!({
                "hub_name": hub.name,
                "cycle_name": cycle_name,
                "order_number": number,
                "customer_name": customer.display_name,
                "customer_email": customer.email,
                "lines": lines,
                "total": order.total,
                "paid_local": local_or_zero(order),
                "paid_eur": order.payment.euro,
                "fulfilment": fulfilment(method, &hub.time_zone),
                "delivery_address": delivery_address,
            }),
        )?;
    }
    Ok(())
}

/// The cancellation notice to the customer.
pub fn cancelled(
    conn: &mut DbConn,
    order: &Order,
    cycle_name: &str,
    reason: &str,
) -> Result<(), OrderError> {
    let customer = customer(conn, &order.customer_id)?;
    let hub = enterprises::get_row(conn, &order.hub_id)?;
    outbox::enqueue(
        conn,
        &customer.email,
        "order_cancelled",
        &customer.locale,
        &json!({
            "customer_name": customer.display_name,
            "order_id": order.id,
            "order_number": order.number.clone().unwrap_or_default(),
            "hub_name": hub.name,
            "cycle_name": cycle_name,
            "released_local": local_or_zero(order),
            "cancelled_eur": order.payment.euro,
            "reason": reason,
        }),
    )?;
    Ok(())
}
