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
//! - **Update** ([`update`]) changes an upcoming cycle's name, times and policies; an open
//!   one keeps its opening and policy, its close may move but not into the past; a closed
//!   one is final. [`set_offer`] replaces the offer while the cycle is upcoming or open,
//!   never dropping a variant already ordered; [`remove_fee`] and [`remove_method`] take
//!   back a fee or a method no order was charged or chose. Each locks the cycle's row, as
//!   the close does, in one transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::cycles::{self, CycleState, OfferRow, OrderCycleDetail, OrderCycleRow};
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

/// The rows of an offer of cycle `id` of hub `hub_id`, each variant checked (permitted,
/// active, once) and its hub price read; the errors go to `errors` (`offer[i].…`).
fn check_offer(
    conn: &mut DbConn,
    hub_id: &str,
    id: &str,
    lines: &[OfferLine],
    errors: &mut Vec<FieldError>,
) -> Result<Vec<OfferRow>, OrderError> {
    let ids: Vec<String> = lines.iter().map(|o| o.variant_id.clone()).collect();
    let allowed = offerable(conn, hub_id, &ids)?;
    let mut offers = Vec::new();
    for (i, line) in lines.iter().enumerate() {
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
            order_cycle_id: id.to_string(),
            variant_id: line.variant_id.clone(),
            hub_price_eur_minor: hub_price,
        });
    }
    Ok(offers)
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
    let id = crate::time::new_id();
    let offers = check_offer(conn, hub_id, &id, &new.offer, &mut errors)?;
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

/// What a hub changes of a cycle: its name, times, settlement date and producer policy.
#[derive(Debug, Clone)]
pub struct CycleChanges {
    pub name: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// `None`: the close settles at once.
    pub settles_at: Option<DateTime<Utc>>,
    /// `as_paid` or `euros`.
    pub producer_settlement: String,
}

/// Changes cycle `cycle_id` (the caller is authorised to manage its hub's orders), in one
/// transaction with the cycle's row locked as the close locks it (a close under way waits,
/// or is waited for and then refuses). The rules:
/// - an **upcoming** cycle may change everything: name, opening, close, settlement date and
///   policy (the times checked as at creation: the close after the opening and in the
///   future);
/// - an **open** cycle keeps its opening (orders were taken from it: `opens_at` must be sent
///   unchanged, else `opens_at`/`fixed`) and its producer policy (`producer_settlement`/
///   `fixed`); its close may move later or earlier, but not to now or before;
/// - a **closed** or **settled** cycle is refused ([`OrderError::CycleNotOpen`]): its close
///   is done, the settlement date has its own function ([`set_settlement`]).
///
/// The settlement date, if any, stays within [`MAX_SETTLEMENT_DELAY_DAYS`] after the close.
pub fn update(
    conn: &mut DbConn,
    cycle_id: &str,
    changes: &CycleChanges,
) -> Result<OrderCycleDetail, OrderError> {
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "order_cycles", cycle_id)?;
        let cycle = cycles::find_row(conn, cycle_id)?;
        let state = cycle.state(crate::time::now());
        let mut errors = Vec::new();
        match state {
            CycleState::Closed | CycleState::Settled => {
                return Err(OrderError::CycleNotOpen(format!(
                    "order cycle `{}` is {}: its times are final",
                    cycle.name,
                    state.as_str()
                )))
            }
            CycleState::Open => {
                if changes.opens_at.naive_utc() != cycle.opens_at {
                    errors.push(FieldError::new(
                        "opens_at",
                        "fixed",
                        "cannot change once the cycle is open",
                    ));
                }
                if changes.producer_settlement != cycle.producer_settlement {
                    errors.push(FieldError::new(
                        "producer_settlement",
                        "fixed",
                        "cannot change once the cycle is open",
                    ));
                }
            }
            CycleState::Upcoming => {}
        }
        check_name(&mut errors, &changes.name);
        check_times(&mut errors, changes.opens_at, changes.closes_at);
        check_settlement(&mut errors, changes.closes_at, changes.settles_at);
        if !matches!(changes.producer_settlement.as_str(), "as_paid" | "euros") {
            errors.push(FieldError::new(
                "producer_settlement",
                "invalid",
                "must be `as_paid` or `euros`",
            ));
        }
        if !errors.is_empty() {
            return Err(OrderError::invalid(errors));
        }
        diesel::update(order_cycles::table.find(cycle_id))
            .set((
                order_cycles::name.eq(changes.name.trim()),
                order_cycles::opens_at.eq(changes.opens_at.naive_utc()),
                order_cycles::closes_at.eq(changes.closes_at.naive_utc()),
                order_cycles::settles_at.eq(changes.settles_at.map(|t| t.naive_utc())),
                order_cycles::producer_settlement.eq(&changes.producer_settlement),
                order_cycles::updated_at.eq(crate::time::now()),
            ))
            .execute(conn.diesel())?;
        cycles::detail(conn, cycle_id)
    })
}

/// The cycle `cycle_id`, locked, if it is upcoming or open: what a change of its offer, fees
/// or methods needs ([`OrderError::CycleNotOpen`] otherwise).
fn lock_plannable(conn: &mut DbConn, cycle_id: &str) -> Result<OrderCycleRow, OrderError> {
    crate::db::lock_row(conn, "order_cycles", cycle_id)?;
    let cycle = cycles::find_row(conn, cycle_id)?;
    let state = cycle.state(crate::time::now());
    if !matches!(state, CycleState::Upcoming | CycleState::Open) {
        return Err(OrderError::CycleNotOpen(format!(
            "order cycle `{}` is {}: its offer, fees and methods are final",
            cycle.name,
            state.as_str()
        )));
    }
    Ok(cycle)
}

/// Replaces the offer of cycle `cycle_id` while it is upcoming or open, with the checks of
/// [`create`] (each variant permitted, active, once; hub prices read). A variant already on a
/// confirmed or fulfilled order of the cycle cannot leave the offer (`offer`/`ordered`): the
/// hub would no longer see it among what it sells; its hub price may still change (orders
/// keep the price they were taken at). One transaction, the cycle's row locked.
pub fn set_offer(
    conn: &mut DbConn,
    cycle_id: &str,
    offer: &[OfferLine],
) -> Result<OrderCycleDetail, OrderError> {
    use crate::db::schema::{order_lines, orders};
    conn.transaction(|conn| {
        let cycle = lock_plannable(conn, cycle_id)?;
        let mut errors = Vec::new();
        let rows = check_offer(conn, &cycle.hub_id, cycle_id, offer, &mut errors)?;
        let ordered: Vec<String> = order_lines::table
            .inner_join(orders::table)
            .filter(orders::order_cycle_id.eq(cycle_id))
            .filter(orders::state.eq_any(["confirmed", "fulfilled"]))
            .select(order_lines::variant_id)
            .distinct()
            .load(conn.diesel())?;
        if ordered
            .iter()
            .any(|v| !offer.iter().any(|o| &o.variant_id == v))
        {
            errors.push(FieldError::new(
                "offer",
                "ordered",
                "a variant already ordered in this cycle cannot leave its offer",
            ));
        }
        if !errors.is_empty() {
            return Err(OrderError::invalid(errors));
        }
        diesel::delete(
            order_cycle_variants::table.filter(order_cycle_variants::order_cycle_id.eq(cycle_id)),
        )
        .execute(conn.diesel())?;
        crate::db::execute(
            conn.diesel(),
            diesel::insert_into(order_cycle_variants::table).values(&rows),
        )?;
        diesel::update(order_cycles::table.find(cycle_id))
            .set(order_cycles::updated_at.eq(crate::time::now()))
            .execute(conn.diesel())?;
        cycles::detail(conn, cycle_id)
    })
}

/// A variant a hub may offer, with whether a cycle offers it and at which hub price.
#[derive(Debug, Clone)]
pub struct OfferChoice {
    pub producer_id: String,
    pub producer_name: String,
    pub product_name: String,
    pub variant: crate::catalog::Variant,
    pub offered: bool,
    /// The hub's price in the cycle, in cents, if it set one.
    pub hub_price_minor: Option<i64>,
}

/// Every active variant hub `hub_id` may offer (its accepted producers' that granted the
/// permission, and its own), by producer then product name, each marked with cycle
/// `cycle_id`'s offer (none: a new cycle). What the offer's form lists.
pub fn offer_choices(
    conn: &mut DbConn,
    hub_id: &str,
    cycle_id: Option<&str>,
) -> Result<Vec<OfferChoice>, OrderError> {
    use crate::catalog::VariantRow;
    use crate::db::schema::{enterprises, products};
    let producers: Vec<String> = rel::table
        .filter(rel::hub_id.eq(hub_id))
        .filter(rel::can_add_to_order_cycles.eq(true))
        .filter(rel::hub_accepted_at.is_not_null())
        .select(rel::producer_id)
        .load(conn.diesel())?;
    let mut producers = producers;
    producers.push(hub_id.to_string());
    let rows: Vec<(VariantRow, String, String)> = variants::table
        .inner_join(products::table.inner_join(enterprises::table))
        .filter(variants::producer_id.eq_any(&producers))
        .filter(variants::archived_at.is_null())
        .select((VariantRow::as_select(), products::name, enterprises::name))
        .load(conn.diesel())?;
    let offered: Vec<(String, Option<i64>)> = match cycle_id {
        Some(id) => order_cycle_variants::table
            .filter(order_cycle_variants::order_cycle_id.eq(id))
            .select((
                order_cycle_variants::variant_id,
                order_cycle_variants::hub_price_eur_minor,
            ))
            .load(conn.diesel())?,
        None => Vec::new(),
    };
    let legal = crate::ledger::currencies::legal(conn)?;
    let mut rows = rows;
    // sorted here, not in SQL: the databases' collations differ
    rows.sort_by(|a, b| {
        (&a.2, &a.1, &a.0.name_key, &a.0.id).cmp(&(&b.2, &b.1, &b.0.name_key, &b.0.id))
    });
    rows.into_iter()
        .map(|(row, product_name, producer_name)| {
            let found = offered.iter().find(|(v, _)| *v == row.id);
            Ok(OfferChoice {
                producer_id: row.producer_id.clone(),
                producer_name,
                product_name,
                offered: found.is_some(),
                hub_price_minor: found.and_then(|(_, p)| *p),
                variant: crate::catalog::Variant::of(row, legal)?,
            })
        })
        .collect()
}

/// Removes fee `fee_id` from cycle `cycle_id` while the cycle is upcoming or open and no
/// order was charged it (an order keeps the fees it was charged: `Conflict` then). One
/// transaction, the cycle's row locked.
pub fn remove_fee(conn: &mut DbConn, cycle_id: &str, fee_id: &str) -> Result<(), OrderError> {
    use crate::db::schema::{cycle_fees, order_fees};
    conn.transaction(|conn| {
        lock_plannable(conn, cycle_id)?;
        let found: i64 = cycle_fees::table
            .filter(cycle_fees::id.eq(fee_id))
            .filter(cycle_fees::order_cycle_id.eq(cycle_id))
            .count()
            .get_result(conn.diesel())?;
        if found == 0 {
            return Err(OrderError::NotFound(format!(
                "no fee `{fee_id}` in this cycle"
            )));
        }
        let charged: i64 = order_fees::table
            .filter(order_fees::fee_id.eq(fee_id))
            .count()
            .get_result(conn.diesel())?;
        if charged > 0 {
            return Err(OrderError::Conflict(
                "this fee was charged to orders already: it stays".into(),
            ));
        }
        diesel::delete(cycle_fees::table.find(fee_id)).execute(conn.diesel())?;
        Ok(())
    })
}

/// Removes pickup or delivery method `method_id` from cycle `cycle_id` while the cycle is
/// upcoming or open and no order (nor cart) chose it (`Conflict` then). One transaction,
/// the cycle's row locked.
pub fn remove_method(conn: &mut DbConn, cycle_id: &str, method_id: &str) -> Result<(), OrderError> {
    use crate::db::schema::{cycle_shipping_methods as methods, orders};
    conn.transaction(|conn| {
        lock_plannable(conn, cycle_id)?;
        let found: i64 = methods::table
            .filter(methods::id.eq(method_id))
            .filter(methods::order_cycle_id.eq(cycle_id))
            .count()
            .get_result(conn.diesel())?;
        if found == 0 {
            return Err(OrderError::NotFound(format!(
                "no method `{method_id}` in this cycle"
            )));
        }
        let chosen: i64 = orders::table
            .filter(orders::shipping_method_id.eq(method_id))
            .count()
            .get_result(conn.diesel())?;
        if chosen > 0 {
            return Err(OrderError::Conflict(
                "orders chose this method already: it stays".into(),
            ));
        }
        diesel::delete(methods::table.find(method_id)).execute(conn.diesel())?;
        Ok(())
    })
}

/// How many orders (confirmed, fulfilled, cancelled — not carts) cycle `cycle_id` has.
pub fn order_count(conn: &mut DbConn, cycle_id: &str) -> Result<i64, OrderError> {
    use crate::db::schema::orders;
    Ok(orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::state.ne("cart"))
        .count()
        .get_result(conn.diesel())?)
}

/// Adds fee `new` to cycle `cycle_id` while it is upcoming or open (it applies to checkouts
/// from then on; [`OrderError::CycleNotOpen`] once closed). One transaction, the cycle's row
/// locked.
pub fn add_fee(
    conn: &mut DbConn,
    rules: &crate::catalog::rules::CatalogRules,
    cycle_id: &str,
    new: fees::NewFee,
) -> Result<fees::CycleFee, OrderError> {
    conn.transaction(|conn| {
        lock_plannable(conn, cycle_id)?;
        let row = new.into_row(rules, cycle_id)?;
        fees::insert(conn, std::slice::from_ref(&row))?;
        let legal = crate::ledger::currencies::legal(conn)?;
        fees::CycleFee::of(row, legal)
    })
}

/// Adds pickup or delivery method `new` to cycle `cycle_id` while it is upcoming or open.
/// One transaction, the cycle's row locked.
pub fn add_method(
    conn: &mut DbConn,
    rules: &crate::catalog::rules::CatalogRules,
    cycle_id: &str,
    new: &shipping::NewMethod,
) -> Result<ShippingMethodRow, OrderError> {
    conn.transaction(|conn| {
        lock_plannable(conn, cycle_id)?;
        let row = new.into_row(rules, cycle_id)?;
        shipping::insert(conn, std::slice::from_ref(&row))?;
        Ok(row)
    })
}
