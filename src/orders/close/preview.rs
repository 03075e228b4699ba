//! What a settlement would pay, before it runs ([`preview`]): the same arithmetic as
//! booking and settling ([`super::book::allocated`], [`super::settle::plan_of`],
//! [`super::plan::settlement`]) on the cycle's orders as they stand, written nowhere.
//!
//! Booked orders are summed as the settlement sums them ([`super::settle::GOODS`] …). The
//! orders not booked yet are allocated by the database ([`UNBOOKED`]: the allocation of
//! [`super::plan::allocate`] written as running sums), so that a page showing the preview
//! of a 1,000-order cycle reads sums, not the cycle's 5,000 lines. The few orders whose
//! hold can no longer be captured are then replayed in memory, as booking will see them.
//! `marketplace_property` checks after random sequences that the settlement pays exactly
//! what the preview said.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::super::cycles::OrderCycleRow;
use super::super::order::{OrderRow, OrderState};
use super::super::shipping;
use super::{book, plan, settle, SettlementView};
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

/// One row of [`UNBOOKED`].
#[derive(Debug, QueryableByName)]
struct UnbookedSum {
    /// `goods`, `fees` (charged to producers), `vat` (of every fee), `held` (`total`: the
    /// euro parts, `local`: the local parts) or `orders` (`total`: how many).
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    producer_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    currency: Option<String>,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    local: i64,
}

/// The confirmed orders of cycle `$1` not booked yet, allocated as booking will
/// ([`super::plan::allocate`], [`super::book::allocated`]) as if every hold were captured,
/// and summed as the settlement sums the booked ones.
///
/// The greedy allocation is a running sum: an item gets what is left of the order's local
/// part once the maximums of the items before it are served, within its own maximum —
/// `clamp(local − Σ maximums before, 0, maximum)` — the lines in position order, then the
/// pickup or delivery fee (its VAT and local maximum from the cycle's method, as booking
/// reads them), then the customer fees in id order. A producer fee is paid from the
/// producer's euros in the order first: `clamp(Σ its fees so far − those euros, 0, fee)`
/// is its local part. A fee's VAT in local currency is its VAT in proportion, half up.
/// (All amounts are non-negative, which makes these equal to the loops of `allocate`; an
/// order whose local part exceeds its maximums, which booking refuses, is not detected
/// here.)
const UNBOOKED: &str = "WITH o AS (
        SELECT id, local_currency, local_eur_minor AS l, local_minor, euro_minor,
            shipping_fee_minor AS ship, shipping_method_id
        FROM orders
        WHERE order_cycle_id = $1 AND state = 'confirmed' AND booked_at IS NULL),
    la AS (
        SELECT l.order_id AS order_id, l.producer_id AS producer_id,
            o.local_currency AS currency, o.l AS l, l.total_minor AS total,
            l.local_max_minor AS mx,
            o.l - (SUM(l.local_max_minor) OVER (PARTITION BY l.order_id ORDER BY l.position
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - l.local_max_minor) AS room
        FROM order_lines l JOIN o ON o.id = l.order_id),
    lines AS (
        SELECT order_id, producer_id, currency, total,
            CAST(CASE WHEN room <= 0 THEN 0 WHEN room >= mx THEN mx ELSE room END AS BIGINT)
                AS alloc
        FROM la),
    rest AS (
        SELECT order_id,
            CAST(CASE WHEN MIN(l) > SUM(mx) THEN MIN(l) - SUM(mx) ELSE 0 END AS BIGINT) AS rest
        FROM la GROUP BY order_id),
    cf AS (
        SELECT o.id AS order_id, o.local_currency AS currency, o.ship AS amount,
            (2 * o.ship * COALESCE(m.vat_rate_bp, 0) + 10000 + COALESCE(m.vat_rate_bp, 0))
                / (2 * (10000 + COALESCE(m.vat_rate_bp, 0))) AS vat,
            o.ship * COALESCE(m.local_share_percent, 0) / 100 AS mx,
            0 AS k, '' AS fid
        FROM o LEFT JOIN cycle_shipping_methods m
            ON m.id = o.shipping_method_id AND m.order_cycle_id = $1
        WHERE o.ship > 0
        UNION ALL
        SELECT f.order_id, o.local_currency, f.amount_minor, f.vat_minor, f.local_max_minor,
            1, f.id
        FROM order_fees f JOIN o ON o.id = f.order_id
        WHERE f.charged_to = 'customer'),
    cfr AS (
        SELECT cf.currency AS currency, cf.amount AS amount, cf.vat AS vat, cf.mx AS mx,
            r.rest - (SUM(cf.mx) OVER (PARTITION BY cf.order_id ORDER BY cf.k, cf.fid
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - cf.mx) AS room
        FROM cf JOIN rest r ON r.order_id = cf.order_id),
    cfa AS (
        SELECT currency, amount, vat,
            CAST(CASE WHEN room <= 0 THEN 0 WHEN room >= mx THEN mx ELSE room END AS BIGINT)
                AS alloc
        FROM cfr),
    euros AS (
        SELECT order_id, producer_id, SUM(total - alloc) AS e
        FROM lines GROUP BY order_id, producer_id),
    pfr AS (
        SELECT f.producer_id AS producer_id, o.local_currency AS currency,
            f.amount_minor AS amount, f.vat_minor AS vat,
            SUM(f.amount_minor) OVER (PARTITION BY f.order_id, f.producer_id ORDER BY f.id
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - COALESCE(e.e, 0) AS room
        FROM order_fees f JOIN o ON o.id = f.order_id
        LEFT JOIN euros e ON e.order_id = f.order_id AND e.producer_id = f.producer_id
        WHERE f.charged_to = 'producer'),
    pfa AS (
        SELECT producer_id, currency, amount, vat,
            CAST(CASE WHEN room <= 0 THEN 0 WHEN room >= amount THEN amount ELSE room END
                AS BIGINT) AS alloc
        FROM pfr),
    fees AS (
        SELECT currency, vat, alloc, amount FROM pfa
        UNION ALL
        SELECT currency, vat, alloc, amount FROM cfa)
    SELECT CAST('goods' AS TEXT) AS kind, producer_id, currency,
        CAST(SUM(total) AS BIGINT) AS total, CAST(SUM(alloc) AS BIGINT) AS local
    FROM lines GROUP BY producer_id, currency
    UNION ALL
    SELECT CAST('fees' AS TEXT), producer_id, currency,
        CAST(SUM(amount) AS BIGINT), CAST(SUM(alloc) AS BIGINT)
    FROM pfa GROUP BY producer_id, currency
    UNION ALL
    SELECT CAST('vat' AS TEXT), CAST(NULL AS TEXT), currency, CAST(SUM(vat) AS BIGINT),
        CAST(SUM(CASE WHEN amount > 0 THEN (2 * vat * alloc + amount) / (2 * amount)
            ELSE 0 END) AS BIGINT)
    FROM fees GROUP BY currency
    UNION ALL
    SELECT CAST('held' AS TEXT), CAST(NULL AS TEXT), local_currency,
        CAST(SUM(euro_minor) AS BIGINT), CAST(SUM(local_minor) AS BIGINT)
    FROM o GROUP BY local_currency
    UNION ALL
    SELECT CAST('orders' AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT),
        CAST(COUNT(*) AS BIGINT), CAST(0 AS BIGINT)
    FROM o";

/// The confirmed orders of cycle `$1` not booked yet whose hold may be lost: expired (at
/// `$2`) or resolved (posted or voided) already. [`book::holds_of`] says which are.
const MAYBE_LOST: &str = "SELECT o.id AS id FROM orders o
    JOIN ledger_transfers t ON t.id = o.hold_id
    WHERE o.order_cycle_id = $1 AND o.state = 'confirmed' AND o.booked_at IS NULL
        AND (t.expires_at <= $2
            OR EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id))";

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
    /// Adds (`sign` 1) or takes away (`sign` -1) what one order not booked yet brings, as
    /// booking will allocate it ([`book::allocated`]).
    fn order(
        &mut self,
        row: &OrderRow,
        lines: &[super::super::order::LineRow],
        fees: Vec<super::super::fees::OrderFeeRow>,
        methods: &[shipping::ShippingMethodRow],
        fiat: &str,
        sign: i64,
    ) -> Result<(), OrderError> {
        let (allocation, fees) = book::allocated(row, lines, fees, methods)?;
        let currency = row.local_currency.clone();
        for (line, alloc) in lines.iter().zip(allocation) {
            let v = (sign * line.total_minor, sign * alloc);
            add(
                &mut self.goods,
                line.producer_id.clone(),
                currency.clone(),
                v,
            );
        }
        for fee in &fees {
            if fee.charged_to == "producer" {
                let v = (sign * fee.amount_minor, sign * fee.local_alloc_minor);
                add(
                    &mut self.producer_fees,
                    fee.producer_id.clone(),
                    currency.clone(),
                    v,
                );
            }
            let v = (sign * fee.vat_minor, sign * fee.vat_local_minor);
            add(&mut self.fee_vat, None, currency.clone(), v);
        }
        if let Some(code) = &currency {
            *self.held.entry(code.clone()).or_default() += sign * row.local_minor;
        }
        *self.held.entry(fiat.to_string()).or_default() += sign * row.euro_minor;
        Ok(())
    }
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
    let mut sums = Gathered::default();
    // the booked orders, as the settlement sums them
    for (sql, into) in [
        (settle::GOODS, &mut sums.goods),
        (settle::PRODUCER_FEES, &mut sums.producer_fees),
        (settle::FEE_VAT, &mut sums.fee_vat),
    ] {
        for s in settle::sums(conn, sql, cycle_id)? {
            add(into, s.producer_id, s.currency, (s.total, s.local));
        }
    }
    sums.held = settle::held_by_cycle(conn, cycle_id, &fiat)?
        .into_iter()
        .collect();
    let booked: i64 = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::booked_at.is_not_null())
        .count()
        .get_result(conn.diesel())?;
    let mut counted = usize::try_from(booked).unwrap_or(0);
    // the orders booking has not reached yet, allocated by the database
    let unbooked = diesel::sql_query(UNBOOKED)
        .bind::<Text, _>(cycle_id)
        .load::<UnbookedSum>(conn.diesel())?;
    for s in unbooked {
        let v = (s.total, s.local);
        match s.kind.as_str() {
            "goods" => add(&mut sums.goods, s.producer_id, s.currency, v),
            "fees" => add(&mut sums.producer_fees, s.producer_id, s.currency, v),
            "vat" => add(&mut sums.fee_vat, None, s.currency, v),
            "held" => {
                if let Some(code) = s.currency {
                    *sums.held.entry(code).or_default() += s.local;
                }
                *sums.held.entry(fiat.clone()).or_default() += s.total;
            }
            _ => counted += usize::try_from(s.total).unwrap_or(0),
        }
    }
    // the orders whose hold is lost: counted above as if captured, replayed as booking
    // will see them (their local part due in euros)
    let maybe: Vec<String> = diesel::sql_query(MAYBE_LOST)
        .bind::<Text, _>(cycle_id)
        .bind::<Timestamp, _>(crate::time::now())
        .load::<Id>(conn.diesel())?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut lost_holds = 0;
    if !maybe.is_empty() {
        let methods = shipping::for_cycle(conn, cycle_id)?;
        for ids in maybe.chunks(usize::try_from(super::CHUNK).unwrap_or(200)) {
            let mut rows: Vec<OrderRow> = orders::table
                .filter(orders::id.eq_any(ids))
                .filter(orders::state.eq(OrderState::Confirmed.as_str()))
                .filter(orders::booked_at.is_null())
                .select(OrderRow::as_select())
                .load(conn.diesel())?;
            let (_, lost) = book::holds_of(conn, &rows)?;
            rows.retain(|r| r.hold_id.as_ref().is_some_and(|h| lost.contains(h)));
            let (mut lines_of, mut fees_of) = book::lines_and_fees(conn, &rows)?;
            for row in rows.iter_mut() {
                let lines = lines_of.remove(&row.id).unwrap_or_default();
                let fees = fees_of.remove(&row.id).unwrap_or_default();
                sums.order(row, &lines, fees.clone(), &methods, &fiat, -1)?;
                book::lose_hold(row);
                sums.order(row, &lines, fees, &methods, &fiat, 1)?;
                lost_holds += 1;
            }
        }
    }
    let Gathered {
        goods,
        producer_fees,
        fee_vat,
        held,
    } = sums;
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
