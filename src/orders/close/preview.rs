//! What a settlement would pay, before it runs ([`preview`]): the same arithmetic as
//! booking and settling ([`super::book::allocated`], [`super::settle::plan_of`],
//! [`super::plan::settlement`]) on the cycle's orders as they stand, written nowhere.
//!
//! Booked orders are summed as the settlement sums them ([`super::settle::GOODS`] …). The
//! orders not booked yet carry their allocation already, stored when they were checked out
//! or adjusted ([`super::allocate_order`]), and the cycle's running sums of it are kept
//! ([`sums`]), so that the preview of a 1,000-order cycle reads a few rows, not the cycle's
//! 5,000 lines. The few orders
//! whose hold can no longer be captured are replayed in memory as booking will see them
//! (their stored part taken away, their part with the hold lost added), and so are orders
//! checked out before allocations were stored. `marketplace_property` checks after random
//! sequences that every stored allocation is booking's ([`stale_allocations`]) and that the
//! settlement pays exactly what the preview said.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::super::cycles::OrderCycleRow;
use super::super::fees::OrderFeeRow as Fee;
use super::super::order::{LineRow, OrderRow, OrderState};
use super::super::shipping::{self, ShippingMethodRow};
use super::{book, plan, settle, sums, OrderAllocation, SettlementView};
use crate::db::schema::{order_allocations, orders};
use crate::db::DbConn;
use crate::ledger::currencies;
use crate::money::{Amount, Money};
use crate::orders::OrderError;

/// What settling a cycle now would do.
#[derive(Debug, Clone)]
pub struct Preview {
    pub order_cycle_id: String,
    /// Orders the settlement would count: confirmed ones, booked or not.
    pub orders: usize,
    /// Orders whose hold on the customer's local currency can no longer be captured
    /// (expired or released): their local part is counted as euros due, as booking does.
    pub lost_holds: usize,
    /// What each producer would be paid, per currency (no `entry_id`), in producer id and
    /// currency order — as [`super::CloseReport::settlements`] lists them afterwards.
    pub settlements: Vec<SettlementView>,
    /// The VAT in the hub's fees, per currency, set apart for the tax office.
    pub vat: Vec<Money>,
    /// What the hub keeps, per currency: its fees net of VAT, its own goods as a producer,
    /// the local currency it kept when paying a producer in euros.
    pub kept: Vec<Money>,
}

/// Per (producer, local currency): euro value in total and its local part.
type Sums = BTreeMap<(Option<String>, Option<String>), (i64, i64)>;

fn add(sums: &mut Sums, producer: Option<String>, currency: Option<String>, v: (i64, i64)) {
    let e = sums.entry((producer, currency)).or_default();
    e.0 += v.0;
    e.1 += v.1;
}

/// `amount` with its currency's decimals.
fn money_of(conn: &mut DbConn, amount: Amount) -> Result<Money, OrderError> {
    let currency = currencies::get(conn, amount.currency.as_str())?;
    Ok(amount.with_scale(currency.scale))
}

fn to_rows(sums: Sums) -> Vec<plan::Sums> {
    sums.into_iter()
        .map(|((producer_id, currency), (total, local))| plan::Sums {
            producer_id,
            currency,
            total,
            local,
        })
        .collect()
}

/// The confirmed orders of cycle `$1` not booked yet that [`sums`] cannot hold as they
/// are: those with no stored allocation, and those whose hold may be lost: expired (at
/// `$2`) or resolved (posted or voided) already ([`book::holds_of`] says which are).
const REPLAYED: &str = "SELECT o.id AS id FROM orders o
    LEFT JOIN ledger_transfers t ON t.id = o.hold_id
    WHERE o.order_cycle_id = $1 AND o.state = 'confirmed' AND o.booked_at IS NULL
        AND (NOT EXISTS (SELECT 1 FROM order_allocations a WHERE a.order_id = o.id)
            OR t.expires_at <= $2
            OR EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = o.hold_id))";

#[derive(Debug, QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

/// What the settlement will sum, as the preview gathers it.
#[derive(Default)]
struct Gathered {
    goods: Sums,
    producer_fees: Sums,
    fee_vat: Sums,
    /// Per currency, what the cycle's orders put in the hub's holding accounts.
    held: BTreeMap<String, i64>,
}

impl Gathered {
    /// Adds (`sign` 1) or takes away (`sign` -1) an order's allocation: its lines with
    /// their allocated parts (`allocs`, line by line), and its fees (the pickup or delivery
    /// fee among them when it has one).
    fn allocation(
        &mut self,
        row: &OrderRow,
        lines: &[LineRow],
        allocs: &[i64],
        fees: &[Fee],
        sign: i64,
    ) {
        let currency = row.local_currency.clone();
        for (line, alloc) in lines.iter().zip(allocs) {
            let v = (sign * line.total_minor, sign * alloc);
            let producer = line.producer_id.clone();
            add(&mut self.goods, producer, currency.clone(), v);
        }
        for fee in fees {
            if fee.charged_to == "producer" {
                let v = (sign * fee.amount_minor, sign * fee.local_alloc_minor);
                let producer = fee.producer_id.clone();
                add(&mut self.producer_fees, producer, currency.clone(), v);
            }
            let v = (sign * fee.vat_minor, sign * fee.vat_local_minor);
            add(&mut self.fee_vat, None, currency.clone(), v);
        }
    }

    /// The allocation stored with an order ([`super::allocate_order`]), as the running
    /// [`sums`] hold it.
    fn stored(
        &mut self,
        row: &OrderRow,
        stored: &OrderAllocation,
        lines: &[LineRow],
        fees: &[Fee],
        sign: i64,
    ) {
        let allocs: Vec<i64> = lines.iter().map(|l| l.local_alloc_minor).collect();
        let mut fees = fees.to_vec();
        if row.shipping_fee_minor > 0 {
            fees.push(Fee {
                charged_to: "customer".into(),
                vat_minor: stored.shipping_vat_minor,
                vat_local_minor: stored.shipping_vat_local_minor,
                ..Fee::default()
            });
        }
        self.allocation(row, lines, &allocs, &fees, sign);
    }

    /// Adds the order's allocation as booking will make it ([`book::allocated`]).
    fn booked(
        &mut self,
        row: &OrderRow,
        lines: &[LineRow],
        fees: Vec<Fee>,
        methods: &[ShippingMethodRow],
    ) -> Result<(), OrderError> {
        let (allocation, fees) = book::allocated(row, lines, fees, methods)?;
        self.allocation(row, lines, &allocation, &fees, 1);
        Ok(())
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) what an order puts in the holding accounts.
    fn held(&mut self, row: &OrderRow, fiat: &str, sign: i64) {
        if let Some(code) = &row.local_currency {
            *self.held.entry(code.clone()).or_default() += sign * row.local_minor;
        }
        *self.held.entry(fiat.to_string()).or_default() += sign * row.euro_minor;
    }
}

/// The allocations stored for `rows`, by order id.
fn allocations_of(
    conn: &mut DbConn,
    rows: &[OrderRow],
) -> Result<HashMap<String, OrderAllocation>, OrderError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    Ok(order_allocations::table
        .filter(order_allocations::order_id.eq_any(&ids))
        .select(OrderAllocation::as_select())
        .load::<OrderAllocation>(conn.diesel())?
        .into_iter()
        .map(|a| (a.order_id.clone(), a))
        .collect())
}

/// The numbers of the orders of cycle `cycle_id` not booked yet whose stored allocation
/// ([`super::allocate_order`]) is not the one booking would make of them now: none, unless a
/// write path changed an order without allocating it again. The preview relies on it; the
/// marketplace property checks it after every step.
pub fn stale_allocations(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<String>, OrderError> {
    let methods = shipping::for_cycle(conn, cycle_id)?;
    let mut stale = Vec::new();
    let mut after = String::new();
    loop {
        let rows: Vec<OrderRow> = orders::table
            .filter(orders::order_cycle_id.eq(cycle_id))
            .filter(orders::state.eq(OrderState::Confirmed.as_str()))
            .filter(orders::booked_at.is_null())
            .filter(orders::id.gt(&after))
            .order(orders::id.asc())
            .limit(super::CHUNK)
            .select(OrderRow::as_select())
            .load(conn.diesel())?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        let (mut lines_of, mut fees_of) = book::lines_and_fees(conn, &rows)?;
        let mut stored_of = allocations_of(conn, &rows)?;
        for row in &rows {
            let Some(stored) = stored_of.remove(&row.id) else {
                continue;
            };
            let lines = lines_of.remove(&row.id).unwrap_or_default();
            let fees = fees_of.remove(&row.id).unwrap_or_default();
            let (mut lines_again, mut fees_again) = (lines.clone(), fees.clone());
            let again = super::allocate_order(row, &mut lines_again, &mut fees_again, &methods)?;
            let parts = |r: &OrderAllocation, l: &[LineRow], f: &[Fee]| {
                let mut fees: Vec<(String, i64, i64)> = f
                    .iter()
                    .map(|f| (f.id.clone(), f.local_alloc_minor, f.vat_local_minor))
                    .collect();
                fees.sort();
                let lines: Vec<i64> = l.iter().map(|l| l.local_alloc_minor).collect();
                let shipping = (
                    r.shipping_vat_minor,
                    r.shipping_local_alloc_minor,
                    r.shipping_vat_local_minor,
                );
                (lines, fees, shipping)
            };
            if parts(&stored, &lines, &fees) != parts(&again, &lines_again, &fees_again) {
                stale.push(row.number.clone().unwrap_or_else(|| row.id.clone()));
            }
        }
    }
    Ok(stale)
}

/// What settling `cycle` now would pay each producer and leave to the hub, computed from
/// its orders as they stand without writing anything and without taking a lock: one read
/// snapshot, a few queries whatever the cycle's size.
///
/// Approximations, all of them things that may change between the preview and the
/// settlement: a hold that expires (or is released) meanwhile turns that order's local part
/// into euros; weighing, missing lines, cancellations and payments recorded meanwhile change
/// the figures; a producer approved or suspended in a local currency meanwhile is paid in
/// it or in euros. With nothing changed, the settlement pays exactly this.
pub fn preview(conn: &mut DbConn, cycle: &OrderCycleRow) -> Result<Preview, OrderError> {
    conn.read_snapshot(|conn| compute(conn, cycle))
}

fn compute(conn: &mut DbConn, cycle: &OrderCycleRow) -> Result<Preview, OrderError> {
    let cycle_id = cycle.id.as_str();
    let legal = currencies::legal(conn)?;
    let fiat = legal.code.as_str().to_string();
    let mut gathered = Gathered::default();
    // the booked orders, as the settlement sums them
    for (sql, into) in [
        (settle::GOODS, &mut gathered.goods),
        (settle::PRODUCER_FEES, &mut gathered.producer_fees),
        (settle::FEE_VAT, &mut gathered.fee_vat),
    ] {
        for s in settle::sums(conn, sql, cycle_id)? {
            add(into, s.producer_id, s.currency, (s.total, s.local));
        }
    }
    gathered.held = settle::held_by_cycle(conn, cycle_id, &fiat)?
        .into_iter()
        .collect();
    let booked: i64 = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::booked_at.is_not_null())
        .count()
        .get_result(conn.diesel())?;
    let mut counted = usize::try_from(booked).unwrap_or(0);
    // the orders booking has not reached yet, as their running sums hold them
    for s in sums::of_cycle(conn, cycle_id)? {
        let v = (s.total, s.local);
        let producer_id = Some(s.producer_id).filter(|p| !p.is_empty());
        let currency = Some(s.currency).filter(|c| !c.is_empty());
        match s.kind.as_str() {
            "goods" => add(&mut gathered.goods, producer_id, currency, v),
            "fees" => add(&mut gathered.producer_fees, producer_id, currency, v),
            "vat" => add(&mut gathered.fee_vat, None, currency, v),
            "held" => {
                if let Some(code) = currency {
                    *gathered.held.entry(code).or_default() += s.local;
                }
                *gathered.held.entry(fiat.clone()).or_default() += s.total;
            }
            _ => counted += usize::try_from(s.total).unwrap_or(0),
        }
    }
    // the orders summed above as if their hold were captured but whose hold is lost, and
    // those with no stored allocation: allocated here as booking will
    let replayed: Vec<String> = diesel::sql_query(REPLAYED)
        .bind::<Text, _>(cycle_id)
        .bind::<Timestamp, _>(crate::time::now())
        .load::<Id>(conn.diesel())?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut lost_holds = 0;
    if !replayed.is_empty() {
        let methods = shipping::for_cycle(conn, cycle_id)?;
        for ids in replayed.chunks(usize::try_from(super::CHUNK).unwrap_or(200)) {
            let mut rows: Vec<OrderRow> = orders::table
                .filter(orders::id.eq_any(ids))
                .filter(orders::state.eq(OrderState::Confirmed.as_str()))
                .filter(orders::booked_at.is_null())
                .select(OrderRow::as_select())
                .load(conn.diesel())?;
            let (_, lost) = book::holds_of(conn, &rows)?;
            let (mut lines_of, mut fees_of) = book::lines_and_fees(conn, &rows)?;
            let mut stored_of = allocations_of(conn, &rows)?;
            for row in rows.iter_mut() {
                let is_lost = row.hold_id.as_ref().is_some_and(|h| lost.contains(h));
                let stored = stored_of.remove(&row.id);
                if stored.is_some() && !is_lost {
                    continue;
                }
                let lines = lines_of.remove(&row.id).unwrap_or_default();
                let fees = fees_of.remove(&row.id).unwrap_or_default();
                if let Some(stored) = &stored {
                    gathered.stored(row, stored, &lines, &fees, -1);
                }
                if is_lost {
                    gathered.held(row, &fiat, -1);
                    book::lose_hold(row);
                    gathered.held(row, &fiat, 1);
                    lost_holds += 1;
                }
                gathered.booked(row, &lines, fees, &methods)?;
            }
        }
    }
    let Gathered {
        goods,
        producer_fees,
        fee_vat,
        held,
    } = gathered;
    let (goods, producer_fees, fee_vat) =
        (to_rows(goods), to_rows(producer_fees), to_rows(fee_vat));
    let (planned, legal) = settle::plan_of(conn, cycle, &goods, &producer_fees, &fee_vat)?;
    // what leaves the holding accounts, per currency: the rest is the hub's
    let mut paid_out: BTreeMap<String, i64> = BTreeMap::new();
    let mut settlements = Vec::new();
    for (producer, payouts) in &planned.producers {
        let is_hub = *producer == cycle.hub_id;
        for payout in payouts {
            let code = payout.paid.currency.as_str().to_string();
            if !is_hub {
                let from_held = payout.paid.checked_sub(payout.from_clearing)?;
                *paid_out.entry(code.clone()).or_default() += from_held.minor;
            }
            settlements.push(SettlementView {
                producer_id: producer.to_string(),
                currency: code,
                goods: legal.money(payout.goods.minor),
                fees: legal.money(payout.fees.minor),
                paid: money_of(conn, payout.paid)?,
                entry_id: None,
            });
        }
    }
    let mut vat = Vec::new();
    for amount in &planned.vat {
        *paid_out
            .entry(amount.currency.as_str().to_string())
            .or_default() += amount.minor;
        vat.push(money_of(conn, *amount)?);
    }
    let mut kept = Vec::new();
    for (code, sum) in held {
        let rest = sum - paid_out.get(&code).copied().unwrap_or(0);
        if rest != 0 {
            let currency = currencies::get(conn, &code)?;
            kept.push(currency.money(rest)?);
        }
    }
    Ok(Preview {
        order_cycle_id: cycle.id.clone(),
        orders: counted,
        lost_holds,
        settlements,
        vat,
        kept,
    })
}
