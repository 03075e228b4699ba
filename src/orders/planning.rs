//! Planning cycles: a hub opens a cycle with the variants of the producers that let it sell
//! them, or copies its last cycle to make the next one.
//!
//! - Times are RFC 3339 instants (any offset), stored in UTC; `time_zone` is the IANA zone
//!   the hub shows them in.
//! - A variant may be offered only if its producer granted the hub `can_add_to_order_cycles`
//!   and the hub accepted the producer; archived variants are refused.
//! - **Copy** makes a new cycle with the given times and the same offer (variants still
//!   permitted and active), hub prices, fees, settlement policy, and pickup/delivery methods
//!   moved by as much as the close moved. Orders are not copied.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::cycles::{self, OfferRow, OrderCycleDetail, OrderCycleRow};
use super::fees::{self, CycleFeeRow};
use super::shipping::{self, ShippingMethodRow};
use crate::db::schema::{
    enterprise_relationships as rel, order_cycle_variants, order_cycles, variants,
};
use crate::db::DbConn;
use crate::error::FieldError;
use crate::money::{parse_amount, Sign};
use crate::orders::OrderError;

/// A variant to offer, with an optional hub price.
#[derive(Debug, Clone)]
pub struct OfferLine {
    pub variant_id: String,
    /// The price in this cycle, tax included (`"3.20"`); absent: the producer's price.
    pub hub_price: Option<String>,
}

/// A new cycle.
#[derive(Debug, Clone)]
pub struct NewCycle {
    pub name: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// IANA time zone the hub shows times in (default: the hub's own).
    pub time_zone: Option<String>,
    /// `as_paid` (default) or `euros`: how producers are paid at close.
    pub producer_settlement: Option<String>,
    pub offer: Vec<OfferLine>,
    /// When the settlement runs, if later than the close (at most
    /// [`MAX_SETTLEMENT_DELAY_DAYS`] after it); absent: the close settles at once.
    pub settles_at: Option<DateTime<Utc>>,
}

/// The times (and optionally the name) of a copy.
#[derive(Debug, Clone)]
pub struct CopyCycle {
    pub name: Option<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// Absent: the source's delay between close and settlement, if it had one.
    pub settles_at: Option<DateTime<Utc>>,
}

/// The most days a settlement may come after its cycle's close: the customers' holds last
/// [`super::checkout::HOLD_GRACE_DAYS`] days after it, so they are still there to capture.
pub const MAX_SETTLEMENT_DELAY_DAYS: i64 = 14;

fn check_settlement(
    errors: &mut Vec<FieldError>,
    closes_at: DateTime<Utc>,
    settles_at: Option<DateTime<Utc>>,
) {
    let Some(settles_at) = settles_at else {
        return;
    };
    if settles_at <= closes_at {
        errors.push(FieldError::new(
            "settles_at",
            "before_closing",
            "must be after closes_at (leave it out to settle at the close)",
        ));
    } else if settles_at - closes_at > chrono::Duration::days(MAX_SETTLEMENT_DELAY_DAYS) {
        errors.push(FieldError::new(
            "settles_at",
            "too_late",
            format!("must be at most {MAX_SETTLEMENT_DELAY_DAYS} days after closes_at"),
        ));
    }
}

/// A zone of the tz database (`Europe/Paris`).
fn valid_zone(zone: &str) -> bool {
    crate::time::zone(zone).is_some()
}

fn check_times(errors: &mut Vec<FieldError>, opens_at: DateTime<Utc>, closes_at: DateTime<Utc>) {
    if closes_at <= opens_at {
        errors.push(FieldError::new(
            "closes_at",
            "before_opening",
            "must be after opens_at",
        ));
    }
    if closes_at <= Utc::now() {
        errors.push(FieldError::new(
            "closes_at",
            "in_the_past",
            "must be in the future",
        ));
    }
}

fn check_name(errors: &mut Vec<FieldError>, name: &str) {
    if name.trim().is_empty() || name.trim().chars().count() > 120 {
        errors.push(FieldError::new(
            "name",
            "length",
            "must be 1 to 120 characters",
        ));
    }
}

/// The variants of `ids` the hub may offer: active, and its own (a producer-hub) or from a
/// producer that granted the permission and that the hub accepted.
fn offerable(conn: &mut DbConn, hub_id: &str, ids: &[String]) -> Result<Vec<String>, OrderError> {
    Ok({
        let conn = conn.diesel();
        let mut allowed: Vec<String> = variants::table
            .inner_join(rel::table.on(rel::producer_id.eq(variants::producer_id)))
            .filter(rel::hub_id.eq(hub_id))
            .filter(rel::can_add_to_order_cycles.eq(true))
            .filter(rel::hub_accepted_at.is_not_null())
            .filter(variants::archived_at.is_null())
            .filter(variants::id.eq_any(ids))
            .select(variants::id)
            .load(conn)?;
        let own: Vec<String> = variants::table
            .filter(variants::producer_id.eq(hub_id))
            .filter(variants::archived_at.is_null())
            .filter(variants::id.eq_any(ids))
            .select(variants::id)
            .load(conn)?;
        allowed.extend(own);
        Ok::<_, diesel::result::Error>(allowed)
    }?)
}

/// Creates a cycle of `hub_id` (the caller is authorised to manage its orders).
pub fn create(
    conn: &mut DbConn,
    hub_id: &str,
    new: &NewCycle,
) -> Result<OrderCycleDetail, OrderError> {
    let mut errors = Vec::new();
    check_name(&mut errors, &new.name);
    check_times(&mut errors, new.opens_at, new.closes_at);
    check_settlement(&mut errors, new.closes_at, new.settles_at);
    // the hub's own time zone unless the cycle names another
    let zone = match &new.time_zone {
        Some(zone) => zone.clone(),
        None => crate::enterprises::time_zone(conn, hub_id)?,
    };
    if !valid_zone(&zone) {
        errors.push(FieldError::new(
            "time_zone",
            "invalid",
            "must be an IANA time zone such as Europe/Paris",
        ));
    }
    let settlement = new
        .producer_settlement
        .clone()
        .unwrap_or_else(|| "as_paid".into());
    if !matches!(settlement.as_str(), "as_paid" | "euros") {
        errors.push(FieldError::new(
            "producer_settlement",
            "invalid",
            "must be `as_paid` or `euros`",
        ));
    }
    let ids: Vec<String> = new.offer.iter().map(|o| o.variant_id.clone()).collect();
    let allowed = offerable(conn, hub_id, &ids)?;
    let mut offers = Vec::new();
    let id = crate::time::new_id();
    for (i, line) in new.offer.iter().enumerate() {
        if !allowed.contains(&line.variant_id) {
            errors.push(FieldError::new(
                format!("offer[{i}].variant_id"),
                "not_permitted",
                "is not an active variant of a producer that lets this hub sell it",
            ));
            continue;
        }
        if offers
            .iter()
            .any(|o: &OfferRow| o.variant_id == line.variant_id)
        {
            errors.push(FieldError::new(
                format!("offer[{i}].variant_id"),
                "duplicate",
                "is offered twice",
            ));
            continue;
        }
        let hub_price = match line.hub_price.as_deref() {
            None => None,
            Some(text) => match parse_amount(text, 2, Sign::NonNegative) {
                Ok(minor) if minor <= super::limits::MAX_BASKET_MINOR => Some(minor),
                Ok(_) => {
                    errors.push(FieldError::new(
                        format!("offer[{i}].hub_price"),
                        "too_large",
                        "is too large",
                    ));
                    None
                }
                Err(e) => {
                    errors.push(FieldError::new(
                        format!("offer[{i}].hub_price"),
                        e.code(),
                        e.to_string(),
                    ));
                    None
                }
            },
        };
        offers.push(OfferRow {
            order_cycle_id: id.clone(),
            variant_id: line.variant_id.clone(),
            hub_price_eur_minor: hub_price,
        });
    }
    if !errors.is_empty() {
        return Err(OrderError::invalid(errors));
    }
    let now = crate::time::now();
    let row = OrderCycleRow {
        id: id.clone(),
        hub_id: hub_id.into(),
        name: new.name.trim().into(),
        opens_at: new.opens_at.naive_utc(),
        closes_at: new.closes_at.naive_utc(),
        time_zone: zone,
        closed_at: None,
        settled_at: None,
        created_at: now,
        updated_at: now,
        producer_settlement: settlement,
        copied_from_id: None,
        close_attempted_at: None,
        close_error: None,
        settles_at: new.settles_at.map(|t| t.naive_utc()),
    };
    conn.transaction(|conn| {
        {
            let conn = conn.diesel();
            diesel::insert_into(order_cycles::table)
                .values(&row)
                .execute(conn)?;
            crate::db::execute(
                conn,
                diesel::insert_into(order_cycle_variants::table).values(&offers),
            )
        }?;
        cycles::detail(conn, &id)
    })
}

/// Sets when cycle `cycle_id` settles (`None`: at its close), while it is not settled: at
/// most [`MAX_SETTLEMENT_DELAY_DAYS`] after `closes_at`. A cycle already closed with no
/// settlement date is settled by the next run of the background job.
pub fn set_settlement(
    conn: &mut DbConn,
    cycle_id: &str,
    settles_at: Option<DateTime<Utc>>,
) -> Result<OrderCycleDetail, OrderError> {
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "order_cycles", cycle_id)?;
        let cycle = cycles::find_row(conn, cycle_id)?;
        if cycle.settled_at.is_some() {
            return Err(OrderError::CycleNotOpen(format!(
                "order cycle `{}` is settled already",
                cycle.name
            )));
        }
        let mut errors = Vec::new();
        check_settlement(&mut errors, cycle.closes_at.and_utc(), settles_at);
        if settles_at.is_some_and(|t| t <= Utc::now()) {
            errors.push(FieldError::new(
                "settles_at",
                "in_the_past",
                "must be in the future (settle now with POST …/settle)",
            ));
        }
        if !errors.is_empty() {
            return Err(OrderError::invalid(errors));
        }
        diesel::update(order_cycles::table.find(cycle_id))
            .set((
                order_cycles::settles_at.eq(settles_at.map(|t| t.naive_utc())),
                order_cycles::updated_at.eq(crate::time::now()),
            ))
            .execute(conn.diesel())?;
        cycles::detail(conn, cycle_id)
    })
}

/// Copies cycle `source_id` to new times (see the module documentation).
pub fn copy(
    conn: &mut DbConn,
    source_id: &str,
    request: &CopyCycle,
) -> Result<OrderCycleDetail, OrderError> {
    let source = cycles::find_row(conn, source_id)?;
    let mut errors = Vec::new();
    let name = request.name.clone().unwrap_or_else(|| source.name.clone());
    check_name(&mut errors, &name);
    check_times(&mut errors, request.opens_at, request.closes_at);
    check_settlement(&mut errors, request.closes_at, request.settles_at);
    if !errors.is_empty() {
        return Err(OrderError::invalid(errors));
    }
    let shift = request.closes_at.naive_utc() - source.closes_at;
    let settles_at = match request.settles_at {
        Some(t) => Some(t.naive_utc()),
        None => source.settles_at.map(|t| t + shift),
    };
    let old_offer: Vec<(String, Option<i64>)> = order_cycle_variants::table
        .filter(order_cycle_variants::order_cycle_id.eq(source_id))
        .order(order_cycle_variants::variant_id.asc())
        .select((
            order_cycle_variants::variant_id,
            order_cycle_variants::hub_price_eur_minor,
        ))
        .load(conn.diesel())?;
    let ids: Vec<String> = old_offer.iter().map(|(v, _)| v.clone()).collect();
    let allowed = offerable(conn, &source.hub_id, &ids)?;
    let id = crate::time::new_id();
    let now = crate::time::now();
    let offers: Vec<OfferRow> = old_offer
        .into_iter()
        .filter(|(v, _)| allowed.contains(v))
        .map(|(variant_id, hub_price)| OfferRow {
            order_cycle_id: id.clone(),
            variant_id,
            hub_price_eur_minor: hub_price,
        })
        .collect();
    let fee_rows: Vec<CycleFeeRow> = fees::for_cycle(conn, source_id)?
        .into_iter()
        .map(|f| CycleFeeRow {
            id: crate::time::new_id(),
            order_cycle_id: id.clone(),
            created_at: now,
            ..f
        })
        .collect();
    let methods: Vec<ShippingMethodRow> = shipping::for_cycle(conn, source_id)?
        .into_iter()
        .map(|m| ShippingMethodRow {
            id: crate::time::new_id(),
            order_cycle_id: id.clone(),
            at_time: m.at_time + shift,
            created_at: now,
            ..m
        })
        .collect();
    let row = OrderCycleRow {
        id: id.clone(),
        name: name.trim().into(),
        opens_at: request.opens_at.naive_utc(),
        closes_at: request.closes_at.naive_utc(),
        closed_at: None,
        settled_at: None,
        created_at: now,
        updated_at: now,
        copied_from_id: Some(source.id.clone()),
        close_attempted_at: None,
        close_error: None,
        settles_at,
        ..source
    };
    conn.transaction(|conn| {
        {
            let conn = conn.diesel();
            diesel::insert_into(order_cycles::table)
                .values(&row)
                .execute(conn)?;
            crate::db::execute(
                conn,
                diesel::insert_into(order_cycle_variants::table).values(&offers),
            )
        }?;
        fees::insert(conn, &fee_rows)?;
        shipping::insert(conn, &methods)?;
        cycles::detail(conn, &id)
    })
}
