//! The cart: one per customer and open cycle, kept on the server (an order in state `cart`).
//! Setting it replaces its lines — which adds, updates and removes them in one request —
//! after checking them against the cycle's offer and stock; nothing is reserved until
//! checkout.

use diesel::prelude::*;

use super::cycles;
use super::order::{OrderRow, OrderState};
use super::quote::{Quote, QuoteLineRequest, QuoteRequest};
use crate::db::schema::{order_lines, orders};
use crate::db::DbConn;
use crate::orders::OrderError;

/// A cart and its current price.
#[derive(Debug, Clone)]
pub struct Cart {
    pub order_id: Option<String>,
    pub order_cycle_id: String,
    pub lines: Vec<CartLine>,
    /// The basket priced now (`null` when empty, or when a line is no longer available:
    /// setting the cart again says which).
    pub quote: Option<Quote>,
}

#[derive(Debug, Clone)]
pub struct CartLine {
    pub variant_id: String,
    pub quantity: i64,
}

/// The customer's cart row in a cycle, if any.
pub fn find(
    conn: &mut DbConn,
    cycle_id: &str,
    customer_id: &str,
) -> Result<Option<OrderRow>, OrderError> {
    Ok(orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::customer_id.eq(customer_id))
        .filter(orders::state.eq(OrderState::Cart.as_str()))
        .select(OrderRow::as_select())
        .first(conn.diesel())
        .optional()?)
}

/// The cart's lines as a pricing request.
pub fn request(conn: &mut DbConn, order_id: &str) -> Result<QuoteRequest, OrderError> {
    Ok(request_of(&super::order::lines(conn, order_id)?))
}

/// What the cart of these lines asks for.
pub fn request_of(lines: &[super::order::LineRow]) -> QuoteRequest {
    QuoteRequest {
        lines: lines
            .iter()
            .map(|l| QuoteLineRequest {
                variant_id: l.variant_id.clone(),
                quantity: l.quantity,
            })
            .collect(),
    }
}

/// The customer's cart in a cycle (empty when there is none).
pub fn get(conn: &mut DbConn, cycle_id: &str, customer_id: &str) -> Result<Cart, OrderError> {
    let cycle = cycles::find_row(conn, cycle_id)?;
    let Some(row) = find(conn, cycle_id, customer_id)? else {
        return Ok(Cart {
            order_id: None,
            order_cycle_id: cycle.id,
            lines: Vec::new(),
            quote: None,
        });
    };
    let request = request(conn, &row.id)?;
    let quote = if request.lines.is_empty() {
        None
    } else {
        crate::orders::quote::at_cycle(conn, cycle_id, &request).ok()
    };
    Ok(view(row.id, cycle.id, &request, quote))
}

fn view(order_id: String, cycle_id: String, request: &QuoteRequest, quote: Option<Quote>) -> Cart {
    Cart {
        order_id: Some(order_id),
        order_cycle_id: cycle_id,
        lines: request
            .lines
            .iter()
            .map(|l| CartLine {
                variant_id: l.variant_id.clone(),
                quantity: l.quantity,
            })
            .collect(),
        quote,
    }
}

/// Replaces the cart's lines (an empty list empties it). Every bad line is reported at once.
///
/// The cart row is locked first, like checkout does: a cart checked out meanwhile is left
/// alone and a new cart is started. Two first requests racing to create the cart meet on the
/// one-cart-per-cycle index; the loser runs again and finds the winner's cart.
pub fn set(
    conn: &mut DbConn,
    cycle_id: &str,
    customer_id: &str,
    request: &QuoteRequest,
) -> Result<Cart, OrderError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut raced = false;
        let result =
            conn.transaction(|conn| set_tx(conn, cycle_id, customer_id, request, &mut raced));
        if raced && attempts < 3 {
            continue;
        }
        return result;
    }
}

fn set_tx(
    conn: &mut DbConn,
    cycle_id: &str,
    customer_id: &str,
    request: &QuoteRequest,
    raced: &mut bool,
) -> Result<Cart, OrderError> {
    let cycle = cycles::find_open(conn, cycle_id)?;
    let quote = if request.lines.is_empty() {
        None
    } else {
        Some(crate::orders::quote::at_cycle(conn, cycle_id, request)?)
    };
    let existing = match find(conn, cycle_id, customer_id)? {
        Some(row) => Some(super::order::lock(conn, &row.id)?)
            .filter(|r| r.state == OrderState::Cart.as_str()),
        None => None,
    };
    let row = match existing {
        Some(row) => row,
        None => {
            let row = OrderRow::cart(cycle_id, &cycle.hub_id, customer_id);
            let inserted = diesel::insert_into(orders::table)
                .values(&row)
                .execute(conn.diesel());
            if let Err(e) = &inserted {
                *raced =
                    crate::db::violates_unique(e, &["orders.order_cycle_id", "orders_one_cart"]);
            }
            inserted?;
            row
        }
    };
    let now = crate::time::now();
    {
        let conn = conn.diesel();
        diesel::delete(order_lines::table.filter(order_lines::order_id.eq(&row.id)))
            .execute(conn)?;
        for (i, line) in request.lines.iter().enumerate() {
            diesel::insert_into(order_lines::table)
                .values((
                    order_lines::order_id.eq(&row.id),
                    order_lines::variant_id.eq(&line.variant_id),
                    order_lines::position.eq(i as i32),
                    order_lines::quantity.eq(line.quantity),
                ))
                .execute(conn)?;
        }
        diesel::update(orders::table.find(&row.id))
            .set(orders::updated_at.eq(now))
            .execute(conn)
    }?;
    Ok(view(row.id, cycle.id, request, quote))
}
