//! Orders as stored and as shown: a cart until checkout, then confirmed, then cancelled or
//! fulfilled. Checkout snapshots every line (name, unit, price, VAT, local share), so that
//! later catalogue edits never change an order.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::catalog::vat_percent;
use crate::db::schema::{currencies, order_lines, orders};
use crate::db::DbConn;
use crate::deployment::Legal;
use crate::error::Invalid;
use crate::money::{Amount, CurrencyCode, Money};
use crate::orders::quote::FeeLine;
use crate::orders::OrderError;
use crate::pagination::PageParams;
use crate::time::utc;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Cart,
    Confirmed,
    Cancelled,
    Fulfilled,
}

impl OrderState {
    pub const ALL: &'static [OrderState] = &[
        OrderState::Cart,
        OrderState::Confirmed,
        OrderState::Cancelled,
        OrderState::Fulfilled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Cart => "cart",
            OrderState::Confirmed => "confirmed",
            OrderState::Cancelled => "cancelled",
            OrderState::Fulfilled => "fulfilled",
        }
    }

    pub fn parse(s: &str) -> Result<OrderState, OrderError> {
        Ok(match s {
            "cart" => OrderState::Cart,
            "confirmed" => OrderState::Confirmed,
            "cancelled" => OrderState::Cancelled,
            "fulfilled" => OrderState::Fulfilled,
            other => return Err(OrderError::internal(format!("unknown order state {other}"))),
        })
    }
}

/// Where the euro part of an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EuroState {
    /// Nothing to pay in euros.
    None,
    /// To be paid to the hub (at pickup or by transfer).
    Due,
    /// Marked paid by the hub.
    Paid,
    /// The order was cancelled before it was paid.
    Cancelled,
}

impl EuroState {
    pub const ALL: &'static [EuroState] = &[
        EuroState::None,
        EuroState::Due,
        EuroState::Paid,
        EuroState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EuroState::None => "none",
            EuroState::Due => "due",
            EuroState::Paid => "paid",
            EuroState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<EuroState, OrderError> {
        Ok(match s {
            "none" => EuroState::None,
            "due" => EuroState::Due,
            "paid" => EuroState::Paid,
            "cancelled" => EuroState::Cancelled,
            other => return Err(OrderError::internal(format!("unknown euro state {other}"))),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = orders, treat_none_as_null = true)]
pub struct OrderRow {
    pub id: String,
    pub number: Option<String>,
    pub order_cycle_id: String,
    pub hub_id: String,
    pub customer_id: String,
    pub state: String,
    pub shipping_method_id: Option<String>,
    pub items_total_minor: i64,
    pub shipping_fee_minor: i64,
    pub total_minor: i64,
    pub vat_total_minor: i64,
    pub local_currency: Option<String>,
    pub local_minor: i64,
    pub local_eur_minor: i64,
    pub euro_minor: i64,
    pub hold_id: Option<String>,
    pub euro_state: String,
    pub euro_paid_at: Option<NaiveDateTime>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The hub's fees charged to the customer (not the pickup or delivery fee).
    pub fees_total_minor: i64,
    /// The local part when checked out; an adjustment may capture less (`local_minor`).
    pub local_held_minor: i64,
    pub adjusted_at: Option<NaiveDateTime>,
    /// When the close posted the hold and booked the sale.
    pub booked_at: Option<NaiveDateTime>,
    /// Euros recorded as received so far (payments and customer credit used).
    pub euro_received_minor: i64,
    /// Euros given back so far: refunded, or turned into credit with the hub.
    pub euro_refunded_minor: i64,
    /// Customer credit used to pay it (part of `euro_received_minor`).
    pub credit_used_minor: i64,
    /// How much more than ordered (percent) the customer accepted for weighed lines.
    pub weight_tolerance_percent: i32,
}

impl OrderRow {
    /// A new, empty cart.
    pub fn cart(cycle_id: &str, hub_id: &str, customer_id: &str) -> OrderRow {
        let now = crate::time::now();
        OrderRow {
            id: crate::time::new_id(),
            number: None,
            order_cycle_id: cycle_id.into(),
            hub_id: hub_id.into(),
            customer_id: customer_id.into(),
            state: OrderState::Cart.as_str().into(),
            shipping_method_id: None,
            items_total_minor: 0,
            shipping_fee_minor: 0,
            total_minor: 0,
            vat_total_minor: 0,
            local_currency: None,
            local_minor: 0,
            local_eur_minor: 0,
            euro_minor: 0,
            hold_id: None,
            euro_state: EuroState::None.as_str().into(),
            euro_paid_at: None,
            confirmed_at: None,
            cancelled_at: None,
            created_at: now,
            updated_at: now,
            fees_total_minor: 0,
            local_held_minor: 0,
            adjusted_at: None,
            booked_at: None,
            euro_received_minor: 0,
            euro_refunded_minor: 0,
            credit_used_minor: 0,
            weight_tolerance_percent: 0,
        }
    }

    /// The euros the hub holds for this order: received, less what it gave back.
    pub fn net_received(&self) -> i64 {
        self.euro_received_minor - self.euro_refunded_minor
    }

    /// The euros the hub owes the customer back: all it holds for a cancelled order, what it
    /// holds beyond the euro part for any other (weighed down after payment).
    pub fn owed_back(&self) -> i64 {
        match self.state.as_str() {
            "cancelled" => self.net_received().max(0),
            "confirmed" | "fulfilled" => (self.net_received() - self.euro_minor).max(0),
            _ => 0,
        }
    }

    /// The euro state that the amounts say, for an order not cancelled: nothing to pay, due
    /// (the hub holds less than the euro part) or paid.
    pub fn euro_state_due(&self) -> EuroState {
        if self.euro_minor > self.net_received() {
            EuroState::Due
        } else if self.euro_minor == 0 && self.net_received() == 0 {
            EuroState::None
        } else {
            EuroState::Paid
        }
    }

    pub fn state(&self) -> Result<OrderState, OrderError> {
        OrderState::parse(&self.state)
    }

    /// What the customer owes for the order, tax and fees included (in the legal currency).
    pub fn total(&self, legal: Legal) -> Amount {
        legal.amount(self.total_minor)
    }

    /// The value of its local-currency part in the legal currency.
    pub fn local_eur(&self, legal: Legal) -> Amount {
        legal.amount(self.local_eur_minor)
    }

    /// Its local-currency part, in the local currency (none when paid all in euros).
    pub fn local(&self) -> Result<Option<Amount>, OrderError> {
        match &self.local_currency {
            Some(code) if self.local_minor != 0 => {
                let currency = crate::ledger::currencies::stored_code(code)?;
                Ok(Some(Amount::new(self.local_minor, currency)))
            }
            _ => Ok(None),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = order_lines, treat_none_as_null = true)]
pub struct LineRow {
    pub order_id: String,
    pub variant_id: String,
    pub position: i32,
    pub quantity: i64,
    pub producer_id: Option<String>,
    pub name: String,
    pub unit: String,
    pub unit_price_minor: i64,
    pub total_minor: i64,
    pub vat_rate_bp: i32,
    pub vat_minor: i64,
    pub local_share_percent: i32,
    pub local_max_minor: i64,
    pub stock_reserved: bool,
    /// Weight of the whole line in grams (for per-kg fees; 0 if not sold by weight).
    pub weight_grams: i64,
    /// Quantity delivered, in thousandths of the unit, when the hub adjusted the line.
    pub delivered_milli: Option<i64>,
    /// Part of the line paid in local currency (euro value): allocated at checkout and
    /// at each adjustment ([`super::close::allocate_order`]), again when the close books it.
    pub local_alloc_minor: i64,
    /// `missing` or `substituted`, when the hub found so while packing.
    pub delivery_status: Option<String>,
    /// What the hub says of it (what was given instead of a substituted line).
    pub delivery_note: String,
}

/// A line of a confirmed order (a snapshot taken at checkout).
#[derive(Debug, Clone, Serialize)]
pub struct OrderLine {
    pub variant_id: String,
    pub producer_id: Option<String>,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub total: Money,
    pub vat_rate: String,
    pub vat: Money,
    /// Most of this line that could be paid in local currency (euro value).
    pub local_max: Money,
    /// Units delivered, when the hub adjusted a weighed item (e.g. "0.86").
    pub delivered: Option<String>,
    /// `missing` or `substituted`, when the hub found so while packing.
    pub delivery_status: Option<String>,
    /// What the hub says of it (what was given instead of a substituted line).
    pub delivery_note: Option<String>,
}

/// How an order is paid.
#[derive(Debug, Clone, Serialize)]
pub struct OrderPayment {
    /// The local-currency part, held on the customer's wallet until the cycle closes.
    pub local: Option<Money>,
    /// Its value in euros (at the currency's parity).
    pub local_eur_value: Money,
    /// The euro part, paid to the hub at pickup or by transfer.
    pub euro: Money,
    pub euro_state: EuroState,
    /// The ledger hold of the local part.
    pub hold_id: Option<String>,
    /// Euros received so far (payments and customer credit used).
    pub euro_received: Money,
    /// Customer credit with the hub used to pay it (part of `euro_received`).
    pub credit_used: Money,
    /// Euros given back so far (refunded or turned into credit).
    pub euro_refunded: Money,
    /// Euros the hub owes the customer back (a cancelled or weighed-down order it was paid
    /// for): to refund, or to turn into credit.
    pub owed_back: Money,
    /// How much more than ordered (percent) the customer accepted for weighed lines.
    pub weight_tolerance_percent: i32,
}

/// An order as shown to people: its lines, totals and payment (the API's view is
/// `api::views::orders::Order`; a person's data export writes it as it is).
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: String,
    /// Human-readable number, given at checkout.
    pub number: Option<String>,
    pub order_cycle_id: String,
    pub hub_id: String,
    pub customer_id: String,
    pub state: OrderState,
    pub shipping_method_id: Option<String>,
    /// Where the order is delivered, as given at checkout (`None` for a pickup).
    pub delivery_address: Option<crate::orders::addresses::DeliveryAddress>,
    pub lines: Vec<OrderLine>,
    pub items_total: Money,
    pub shipping_fee: Money,
    /// The hub's fees charged on this order.
    pub fees: Vec<crate::orders::quote::FeeLine>,
    pub fees_total: Money,
    /// Everything, tax included.
    pub total: Money,
    pub vat_total: Money,
    pub payment: OrderPayment,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the hub last adjusted a weighed item.
    pub adjusted_at: Option<DateTime<Utc>>,
    /// When the cycle's close captured the payment and booked the sale.
    pub booked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The order row, or 404.
pub fn find_row(conn: &mut DbConn, id: &str) -> Result<OrderRow, OrderError> {
    let row: Option<OrderRow> = orders::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn.diesel())
        .optional()?;
    row.ok_or_else(|| OrderError::NotFound(format!("no order `{id}`")))
}

/// The lines of an order, in their order.
pub fn lines(conn: &mut DbConn, order_id: &str) -> Result<Vec<LineRow>, OrderError> {
    Ok(order_lines::table
        .filter(order_lines::order_id.eq(order_id))
        .order(order_lines::position.asc())
        .select(LineRow::as_select())
        .load(conn.diesel())?)
}

/// The row re-read under its lock (`FOR UPDATE` on PostgreSQL; SQLite's write transaction
/// already excludes other writers): the state seen is the one the caller may change.
pub fn lock(conn: &mut DbConn, order_id: &str) -> Result<OrderRow, OrderError> {
    crate::db::lock_row(conn, "orders", order_id)?;
    find_row(conn, order_id)
}

/// The view of an order.
pub fn view(conn: &mut DbConn, row: OrderRow) -> Result<Order, OrderError> {
    views(conn, vec![row])?
        .pop()
        .ok_or_else(|| OrderError::internal("an order without its view"))
}

/// The views of many orders, in their order: their lines and the currencies' scales are read
/// in one query each, whatever the number of orders.
pub fn views(conn: &mut DbConn, rows: Vec<OrderRow>) -> Result<Vec<Order>, OrderError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let all_lines: Vec<LineRow> = order_lines::table
        .filter(order_lines::order_id.eq_any(&ids))
        .order((order_lines::order_id.asc(), order_lines::position.asc()))
        .select(LineRow::as_select())
        .load(conn.diesel())?;
    let mut lines_of: HashMap<String, Vec<LineRow>> = HashMap::new();
    for line in all_lines {
        lines_of
            .entry(line.order_id.clone())
            .or_default()
            .push(line);
    }
    let legal = crate::ledger::currencies::legal(conn)?;
    let mut fees_of: HashMap<String, Vec<FeeLine>> = HashMap::new();
    for fee in crate::orders::fees::of_orders(conn, &ids)? {
        // the pickup or delivery fee is shown apart (`shipping_fee`), producer fees not at all
        if fee.charged_to == "customer" && fee.fee_type != "shipping" {
            fees_of
                .entry(fee.order_id.clone())
                .or_default()
                .push(FeeLine::of_row(&fee, legal));
        }
    }
    let scales: HashMap<String, i32> = if rows.iter().any(|r| r.local_currency.is_some()) {
        currencies::table
            .select((currencies::code, currencies::scale))
            .load::<(String, i32)>(conn.diesel())?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
    let mut addresses = crate::orders::addresses::of_orders(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let lines = lines_of.remove(&row.id).unwrap_or_default();
            let fees = fees_of.remove(&row.id).unwrap_or_default();
            let delivery_address = addresses.remove(&row.id);
            build(legal, row, lines, fees, &scales).map(|order| Order {
                delivery_address,
                ..order
            })
        })
        .collect()
}

fn build(
    legal: Legal,
    row: OrderRow,
    lines: Vec<LineRow>,
    fees: Vec<FeeLine>,
    scales: &HashMap<String, i32>,
) -> Result<Order, OrderError> {
    let local = match &row.local_currency {
        Some(code) => {
            let scale = *scales
                .get(code)
                .ok_or_else(|| OrderError::internal(format!("no currency {code}")))?;
            let code: CurrencyCode = code.parse().map_err(OrderError::internal)?;
            Some(Money::new(
                row.local_minor,
                code,
                crate::money::minor_scale(scale),
            ))
        }
        None => None,
    };
    Ok(Order {
        lines: lines
            .into_iter()
            .map(|l| OrderLine {
                variant_id: l.variant_id,
                producer_id: l.producer_id,
                name: l.name,
                unit: l.unit,
                quantity: l.quantity,
                unit_price: legal.money(l.unit_price_minor),
                total: legal.money(l.total_minor),
                vat_rate: vat_percent(l.vat_rate_bp),
                vat: legal.money(l.vat_minor),
                local_max: legal.money(l.local_max_minor),
                delivered: l
                    .delivered_milli
                    .map(|m| rust_decimal::Decimal::new(m, 3).normalize().to_string()),
                delivery_status: l.delivery_status,
                delivery_note: Some(l.delivery_note).filter(|n| !n.is_empty()),
            })
            .collect(),
        fees,
        fees_total: legal.money(row.fees_total_minor),
        adjusted_at: row.adjusted_at.map(utc),
        booked_at: row.booked_at.map(utc),
        state: row.state()?,
        payment: OrderPayment {
            local,
            local_eur_value: legal.money(row.local_eur_minor),
            euro: legal.money(row.euro_minor),
            euro_state: EuroState::parse(&row.euro_state)?,
            euro_received: legal.money(row.euro_received_minor),
            credit_used: legal.money(row.credit_used_minor),
            euro_refunded: legal.money(row.euro_refunded_minor),
            owed_back: legal.money(row.owed_back()),
            weight_tolerance_percent: row.weight_tolerance_percent,
            hold_id: row.hold_id.clone(),
        },
        items_total: legal.money(row.items_total_minor),
        shipping_fee: legal.money(row.shipping_fee_minor),
        total: legal.money(row.total_minor),
        vat_total: legal.money(row.vat_total_minor),
        confirmed_at: row.confirmed_at.map(utc),
        cancelled_at: row.cancelled_at.map(utc),
        created_at: utc(row.created_at),
        id: row.id,
        number: row.number,
        order_cycle_id: row.order_cycle_id,
        hub_id: row.hub_id,
        customer_id: row.customer_id,
        shipping_method_id: row.shipping_method_id,
        delivery_address: None,
    })
}

/// The VAT an order holds, by rate (lowest rate first): its lines', its fees', and the rest of
/// `vat_total` — the pickup or delivery fee's — at `shipping_vat_rate` (the method's rate, as
/// [`crate::catalog::vat_percent`] writes it). Rates with no VAT are left out.
pub fn vat_per_rate(order: &Order, shipping_vat_rate: Option<&str>) -> Vec<(String, Money)> {
    let mut by_rate: Vec<(String, i64)> = Vec::new();
    let mut add = |rate: &str, minor: i64| match by_rate.iter_mut().find(|(r, _)| r == rate) {
        Some((_, sum)) => *sum += minor,
        None => by_rate.push((rate.to_string(), minor)),
    };
    let mut counted = 0;
    for line in &order.lines {
        add(&line.vat_rate, line.vat.minor);
        counted += line.vat.minor;
    }
    for fee in &order.fees {
        add(&fee.vat_rate, fee.vat.minor);
        counted += fee.vat.minor;
    }
    let rest = order.vat_total.minor - counted;
    if rest != 0 {
        add(shipping_vat_rate.unwrap_or("0"), rest);
    }
    let rate_of = |r: &str| r.parse::<rust_decimal::Decimal>().unwrap_or_default();
    by_rate.sort_by_key(|(r, _)| rate_of(r));
    by_rate
        .into_iter()
        .filter(|(_, minor)| *minor != 0)
        .map(|(rate, minor)| {
            (
                rate,
                Money::new(minor, order.total.currency, order.total.scale),
            )
        })
        .collect()
}

/// A customer's orders (carts excluded), newest first.
pub fn for_customer(conn: &mut DbConn, customer_id: &str) -> Result<Vec<Order>, OrderError> {
    let rows: Vec<OrderRow> = orders::table
        .filter(orders::customer_id.eq(customer_id))
        .filter(orders::state.ne(OrderState::Cart.as_str()))
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(200)
        .select(OrderRow::as_select())
        .load(conn.diesel())?;
    views(conn, rows)
}

/// One page of a customer's orders, newest first, and the cursors of the pages beside it.
#[derive(Debug, Clone)]
pub struct CustomerPage {
    pub items: Vec<Order>,
    /// The cursor (`after`) of the next page, older orders; `None` on the last page.
    pub older: Option<String>,
    /// The cursor (`before`) of the previous page, newer orders; `None` on the first page.
    pub newer: Option<String>,
}

/// One page of customer `customer_id`'s orders (carts excluded), newest first, as
/// [`for_customer`] orders them: `page.after` (a cursor of [`CustomerPage::older`]) reads the
/// older ones, `before` (a cursor of [`CustomerPage::newer`]) the newer ones. Both cursors
/// are order ids; an id that is not one of the customer's orders is refused (`after` or
/// `before`, `invalid_cursor`).
pub fn for_customer_page(
    conn: &mut DbConn,
    customer_id: &str,
    page: &PageParams,
    before: Option<&str>,
) -> Result<CustomerPage, OrderError> {
    page.validate()?;
    let back = PageParams {
        limit: page.limit,
        after: before.map(str::to_string),
    };
    back.validate().map_err(|_| {
        Invalid::field(
            "before",
            "invalid_cursor",
            "is not a cursor from a page's link",
        )
    })?;
    // a cursor's place: its order's creation time, then its id
    let mut place = |field: &str, id: &str| -> Result<NaiveDateTime, OrderError> {
        orders::table
            .filter(orders::id.eq(id))
            .filter(orders::customer_id.eq(customer_id))
            .select(orders::created_at)
            .first::<NaiveDateTime>(conn.diesel())
            .optional()?
            .ok_or_else(|| {
                Invalid::field(
                    field,
                    "invalid_cursor",
                    "is not a cursor from a page's link",
                )
                .into()
            })
    };
    let after = match &page.after {
        Some(id) => Some((place("after", id)?, id.clone())),
        None => None,
    };
    let before = match before {
        Some(id) => Some((place("before", id)?, id.to_string())),
        None => None,
    };
    let mut query = orders::table
        .filter(orders::customer_id.eq(customer_id))
        .filter(orders::state.ne(OrderState::Cart.as_str()))
        .limit(page.fetch_limit())
        .select(OrderRow::as_select())
        .into_boxed();
    let backwards = before.is_some();
    if let Some((at, id)) = &before {
        query = query
            .filter(
                orders::created_at
                    .gt(*at)
                    .or(orders::created_at.eq(*at).and(orders::id.gt(id.clone()))),
            )
            .order((orders::created_at.asc(), orders::id.asc()));
    } else {
        if let Some((at, id)) = &after {
            query = query.filter(
                orders::created_at
                    .lt(*at)
                    .or(orders::created_at.eq(*at).and(orders::id.lt(id.clone()))),
            );
        }
        query = query.order((orders::created_at.desc(), orders::id.desc()));
    }
    let rows: Vec<OrderRow> = query.load(conn.diesel())?;
    let found = page.paginate(rows, |r| r.id.clone());
    let more = found.next_cursor.is_some();
    let mut rows = found.items;
    let (older, newer) = if backwards {
        rows.reverse();
        // the cursor's own order is older than this page
        let older = rows.last().map(|r| r.id.clone());
        let newer = if more {
            rows.first().map(|r| r.id.clone())
        } else {
            None
        };
        (older, newer)
    } else {
        let older = if more {
            rows.last().map(|r| r.id.clone())
        } else {
            None
        };
        // the cursor's own order is newer than this page
        let newer = if after.is_some() {
            rows.first().map(|r| r.id.clone())
        } else {
            None
        };
        (older, newer)
    };
    Ok(CustomerPage {
        items: views(conn, rows)?,
        older,
        newer,
    })
}

/// A hub's orders in one cycle (carts excluded), by number.
pub fn for_cycle(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<Order>, OrderError> {
    let rows: Vec<OrderRow> = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::state.ne(OrderState::Cart.as_str()))
        .order(orders::number.asc())
        .select(OrderRow::as_select())
        .load(conn.diesel())?;
    views(conn, rows)
}

/// A customer of an order, as the hub's pages show them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Customer {
    pub name: String,
    pub email: String,
}

/// The name and e-mail of every customer with an order (carts included) in cycle `cycle_id`,
/// by user id — one query, however many orders (the hub's search of a cycle's orders).
pub fn customers_of_cycle(
    conn: &mut DbConn,
    cycle_id: &str,
) -> Result<HashMap<String, Customer>, OrderError> {
    use crate::db::schema::users;
    let rows: Vec<(String, String, String)> = users::table
        .filter(
            users::id.eq_any(
                orders::table
                    .filter(orders::order_cycle_id.eq(cycle_id))
                    .select(orders::customer_id),
            ),
        )
        .select((users::id, users::display_name, users::email))
        .load(conn.diesel())?;
    Ok(by_id(rows))
}

/// Customers read as (id, name, e-mail), by id.
fn by_id(rows: Vec<(String, String, String)>) -> HashMap<String, Customer> {
    rows.into_iter()
        .map(|(id, name, email)| (id, Customer { name, email }))
        .collect()
}

/// What the hub's list of a cycle's orders keeps (each `None`: no filter).
#[derive(Debug, Clone, Default)]
pub struct CycleFilter {
    /// The order's state (carts are never listed).
    pub state: Option<OrderState>,
    /// Where the euro part stands.
    pub euro_state: Option<EuroState>,
    /// Only the orders owing euros back to their customer ([`OrderRow::owed_back`] > 0).
    pub owed_back: bool,
    /// A search: the orders of these customers, or whose number holds `number`.
    pub search: Option<(Vec<String>, String)>,
}

impl CycleFilter {
    /// No filter set: every order of the cycle is kept.
    pub fn keeps_all(&self) -> bool {
        self.state.is_none()
            && self.euro_state.is_none()
            && !self.owed_back
            && self.search.is_none()
    }
}

fn cycle_filtered<'a>(
    cycle_id: &'a str,
    filter: &'a CycleFilter,
) -> orders::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut q = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::state.ne(OrderState::Cart.as_str()))
        .into_boxed();
    if let Some(state) = filter.state {
        q = q.filter(orders::state.eq(state.as_str()));
    }
    if let Some(euro) = filter.euro_state {
        q = q.filter(orders::euro_state.eq(euro.as_str()));
    }
    if filter.owed_back {
        // as `OrderRow::owed_back`: all the euros held for a cancelled order, what is held
        // beyond the euro part for any other
        let held = || orders::euro_received_minor - orders::euro_refunded_minor;
        q = q.filter(
            orders::state
                .eq(OrderState::Cancelled.as_str())
                .and(held().gt(0_i64))
                .or(orders::state
                    .ne(OrderState::Cancelled.as_str())
                    .and(held().gt(orders::euro_minor))),
        );
    }
    if let Some((customers, number)) = &filter.search {
        let pattern = format!(
            "%{}%",
            number
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        q = q.filter(
            orders::customer_id
                .eq_any(customers)
                .or(orders::number.like(pattern).escape('\\')),
        );
    }
    q
}

/// How many orders of cycle `cycle_id` `filter` keeps, and how many orders (carts aside)
/// the cycle has: two counts.
pub fn cycle_counts(
    conn: &mut DbConn,
    cycle_id: &str,
    filter: &CycleFilter,
) -> Result<(i64, i64), OrderError> {
    let c = conn.diesel();
    let all: i64 = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::state.ne(OrderState::Cart.as_str()))
        .count()
        .get_result(c)?;
    // no filter keeps them all: one count, not the same one twice
    if filter.keeps_all() {
        return Ok((all, all));
    }
    let kept: i64 = cycle_filtered(cycle_id, filter).count().get_result(c)?;
    Ok((kept, all))
}

/// One page of the hub's list of a cycle's orders: the orders `filter` keeps, by number,
/// from the `offset`-th, at most `limit`, as views — the page's rows, then their lines, fees
/// and addresses ([`views`]): the same cost for a cycle of any size.
pub fn cycle_page(
    conn: &mut DbConn,
    cycle_id: &str,
    filter: &CycleFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Order>, OrderError> {
    let rows: Vec<OrderRow> = cycle_filtered(cycle_id, filter)
        .order((orders::number.asc(), orders::id.asc()))
        .offset(offset.max(0))
        .limit(limit.max(0))
        .select(OrderRow::as_select())
        .load(conn.diesel())?;
    views(conn, rows)
}

/// The name and e-mail of customers `ids`, by user id (one query).
pub fn customers(conn: &mut DbConn, ids: &[&str]) -> Result<HashMap<String, Customer>, OrderError> {
    use crate::db::schema::users;
    let rows: Vec<(String, String, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name, users::email))
        .load(conn.diesel())?;
    Ok(by_id(rows))
}
