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

/// A pickup or delivery method a hub adds to a cycle.
#[derive(Debug, Clone)]
pub struct NewMethod {
    pub kind: ShippingKind,
    pub name: String,
    pub address: String,
    pub instructions: String,
    /// When orders are handed over.
    pub at: DateTime<Utc>,
    /// Fee, tax included, in the legal currency (`"2.00"`; absent: free).
    pub fee: Option<String>,
    /// VAT rate of the fee in percent (absent: the standard rate, the highest configured).
    pub vat_rate: Option<String>,
    /// Share of the fee payable in local currency, 0–100 (absent: 100).
    pub local_share_percent: Option<i32>,
}

impl NewMethod {
    /// The row to store in cycle `cycle_id`, or every field error at once (`name`, `fee`,
    /// `vat_rate`, `local_share_percent`).
    pub fn into_row(
        &self,
        rules: &crate::catalog::rules::CatalogRules,
        cycle_id: &str,
    ) -> Result<ShippingMethodRow, OrderError> {
        use crate::error::FieldError;
        use crate::money::{parse_amount, Sign};
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push(FieldError::new(
                "name",
                "length",
                "must be 1 to 120 characters",
            ));
        }
        let fee_minor = match parse_amount(self.fee.as_deref().unwrap_or("0"), 2, Sign::NonNegative)
        {
            Ok(minor) if minor > super::limits::MAX_BASKET_MINOR => {
                errors.push(FieldError::new("fee", "too_large", "the fee is too large"));
                0
            }
            Ok(minor) => minor,
            Err(e) => {
                errors.push(FieldError::new("fee", e.code(), e.to_string()));
                0
            }
        };
        let vat_rate_bp = match self.vat_rate.as_deref() {
            None => rules.standard_rate_bp(),
            Some(rate) => rules.vat_rate(rate).unwrap_or_else(|(code, message)| {
                errors.push(FieldError::new("vat_rate", code, message));
                0
            }),
        };
        let share = self.local_share_percent.unwrap_or(100);
        if !(0..=100).contains(&share) {
            errors.push(FieldError::new(
                "local_share_percent",
                "out_of_range",
                "must be between 0 and 100",
            ));
        }
        if !errors.is_empty() {
            return Err(OrderError::invalid(errors));
        }
        Ok(ShippingMethodRow {
            id: crate::time::new_id(),
            order_cycle_id: cycle_id.into(),
            kind: self.kind.as_str().into(),
            name: name.into(),
            address: self.address.trim().into(),
            instructions: self.instructions.trim().into(),
            at_time: self.at.naive_utc(),
            fee_minor,
            vat_rate_bp,
            local_share_percent: share,
            created_at: crate::time::now(),
        })
    }
}
