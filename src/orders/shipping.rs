//! Pickup points and delivery rounds of a cycle: when and where orders are handed over, at
//! what fee (tax included, at its own VAT rate) and with which share payable in local
//! currency (the hub's policy for that fee).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalog::vat_percent;
use crate::db::schema::cycle_shipping_methods;
use crate::db::DbConn;
use crate::deployment::Legal;
use crate::money::Money;
use crate::orders::OrderError;
use crate::time::utc;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cycle_shipping_methods)]
pub struct ShippingMethodRow {
    pub id: String,
    pub order_cycle_id: String,
    pub kind: String,
    pub name: String,
    pub address: String,
    pub instructions: String,
    pub at_time: NaiveDateTime,
    pub fee_minor: i64,
    pub vat_rate_bp: i32,
    pub local_share_percent: i32,
    pub created_at: NaiveDateTime,
}

/// Pickup or delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingKind {
    Pickup,
    Delivery,
}

impl ShippingKind {
    pub const ALL: &'static [ShippingKind] = &[ShippingKind::Pickup, ShippingKind::Delivery];

    pub fn as_str(self) -> &'static str {
        match self {
            ShippingKind::Pickup => "pickup",
            ShippingKind::Delivery => "delivery",
        }
    }
}

/// A way a cycle's orders are handed over.
#[derive(Debug, Clone)]
pub struct ShippingMethod {
    pub id: String,
    /// `pickup` or `delivery`.
    pub kind: String,
    pub name: String,
    pub address: String,
    pub instructions: String,
    /// When the orders are handed over.
    pub at: DateTime<Utc>,
    /// Tax included.
    pub fee: Money,
    pub vat_rate: String,
    /// Share of the fee payable in local currency, 0–100.
    pub local_share_percent: i32,
}

impl ShippingMethod {
    /// A method as stored, its fee in the legal currency `legal`.
    pub fn of(r: ShippingMethodRow, legal: Legal) -> Self {
        ShippingMethod {
            id: r.id,
            kind: r.kind,
            name: r.name,
            address: r.address,
            instructions: r.instructions,
            at: utc(r.at_time),
            fee: legal.money(r.fee_minor),
            vat_rate: vat_percent(r.vat_rate_bp),
            local_share_percent: r.local_share_percent,
        }
    }
}

/// A cycle's methods, by time then name.
pub fn for_cycle(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<ShippingMethodRow>, OrderError> {
    Ok(cycle_shipping_methods::table
        .filter(cycle_shipping_methods::order_cycle_id.eq(cycle_id))
        .order((
            cycle_shipping_methods::at_time.asc(),
            cycle_shipping_methods::name.asc(),
            cycle_shipping_methods::id.asc(),
        ))
        .select(ShippingMethodRow::as_select())
        .load(conn.diesel())?)
}

/// Adds methods (the demo, and hubs through the API).
pub fn insert(conn: &mut DbConn, rows: &[ShippingMethodRow]) -> Result<(), OrderError> {
    crate::db::execute(
        conn.diesel(),
        diesel::insert_into(cycle_shipping_methods::table).values(rows),
    )?;
    Ok(())
}
