//! What a settlement would pay, before it runs ([`preview`]): the same arithmetic as
//! booking and settling ([`super::book::allocated`], [`super::settle::plan_of`],
//! [`super::plan::settlement`]) on the cycle's orders as they stand, written nowhere.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::super::cycles::OrderCycleRow;
use super::super::order::{OrderRow, OrderState};
use super::super::shipping;
use super::{book, plan, settle, SettlementView, CHUNK};
use crate::db::schema::orders;
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
    /// the local currency it keeps when paying a producer in euros.
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

/// What settling `cycle` now would pay each producer and leave to the hub, computed from
/// its orders as they stand without writing anything and without taking a lock: one read
/// snapshot. Booked orders count as booked; confirmed orders not booked yet are allocated
/// in memory as booking would ([`CHUNK`] at a time, constant memory).
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
    let (mut goods, mut producer_fees, mut fee_vat) = (Sums::new(), Sums::new(), Sums::new());
    let keyed = |rows: Vec<plan::Sums>, into: &mut Sums| {
        for s in rows {
            add(into, s.producer_id, s.currency, (s.total, s.local));
        }
    };
    keyed(settle::sums(conn, settle::GOODS, cycle_id)?, &mut goods);
    keyed(
        settle::sums(conn, settle::PRODUCER_FEES, cycle_id)?,
        &mut producer_fees,
    );
    keyed(settle::sums(conn, settle::FEE_VAT, cycle_id)?, &mut fee_vat);
    let mut held: BTreeMap<String, i64> = settle::held_by_cycle(conn, cycle_id, &fiat)?
        .into_iter()
        .collect();
    let booked: i64 = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::booked_at.is_not_null())
        .count()
        .get_result(conn.diesel())?;
    let mut counted = usize::try_from(booked).unwrap_or(0);
    let mut lost_holds = 0;
    // the orders booking has not reached yet, allocated as it would
    let methods = shipping::for_cycle(conn, cycle_id)?;
    let mut after = String::new();
    loop {
        let mut rows: Vec<OrderRow> = orders::table
            .filter(orders::order_cycle_id.eq(cycle_id))
            .filter(orders::state.eq(OrderState::Confirmed.as_str()))
            .filter(orders::booked_at.is_null())
            .filter(orders::id.gt(&after))
            .order(orders::id.asc())
            .limit(CHUNK)
            .select(OrderRow::as_select())
            .load(conn.diesel())?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        counted += rows.len();
        let (_, lost) = book::holds_of(conn, &rows)?;
        let (mut lines_of, mut fees_of) = book::lines_and_fees(conn, &rows)?;
        for row in rows.iter_mut() {
            if row.hold_id.as_ref().is_some_and(|h| lost.contains(h)) {
                book::lose_hold(row);
                lost_holds += 1;
            }
            let lines = lines_of.remove(&row.id).unwrap_or_default();
            let fees = fees_of.remove(&row.id).unwrap_or_default();
            let (allocation, fees) = book::allocated(row, &lines, fees, &methods)?;
            let currency = row.local_currency.clone();
            for (line, alloc) in lines.iter().zip(allocation) {
                let key = (line.producer_id.clone(), currency.clone());
                add(&mut goods, key.0, key.1, (line.total_minor, alloc));
            }
            for fee in &fees {
                if fee.charged_to == "producer" {
                    let v = (fee.amount_minor, fee.local_alloc_minor);
                    add(
                        &mut producer_fees,
                        fee.producer_id.clone(),
                        currency.clone(),
                        v,
                    );
                }
                let v = (fee.vat_minor, fee.vat_local_minor);
                add(&mut fee_vat, None, currency.clone(), v);
            }
            if let Some(code) = &currency {
                *held.entry(code.clone()).or_default() += row.local_minor;
            }
            *held.entry(fiat.clone()).or_default() += row.euro_minor;
        }
    }
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
