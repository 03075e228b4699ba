//! Closing a cycle, then settling it: ordering stops, then payments are captured, sales
//! booked and producers paid.
//!
//! A cycle has **two moments**. At `closes_at` (or when the hub closes it by hand) ordering
//! stops: no checkout, no customer cancellation, stock and holds stay as they are. The
//! **settlement** comes at `settles_at` (or by hand, [`settle`]); between the two the hub
//! weighs lines, marks them missing or substituted ([`super::adjust`]), cancels what cannot
//! be delivered and records payments. A cycle without `settles_at` settles as it closes
//! (one step, as a hub that does not weigh wants). Both run from the background job, by
//! hand (`comptoir cycle close|settle ID`) or over HTTP. They are **idempotent** and
//! resumable: every step records what it did, and ledger entries have ids derived from what
//! they book, so a second run (or two instances at once) does nothing more.
//!
//! 1. **Mark closed** — the cycle row is locked exclusively and `closed_at` set. Checkouts,
//!    cancellations and adjustments lock it shared ([`super::cycles::find_open_for_order`],
//!    [`super::cycles::find_unsettled_for_order`]), so none is under way meanwhile.
//! 2. **Book the orders** (the settlement's first part), [`CHUNK`] at a time, each chunk one
//!    transaction and one ledger batch (constant memory whatever the cycle's size), in
//!    order id order, each chunk reading on from the previous one's last order. Booking
//!    writes only what the order's stored allocation does not already say
//!    ([`allocate_order`]). For each confirmed order:
//!    - its local part is **allocated**: to the goods lines first (in order, each up to its
//!      local maximum), then the pickup/delivery fee, then the customer fees. Producers get
//!      the local currency first: that is what makes it circulate. Producer fees (a
//!      commission) are deducted from the producer's euros first, then its local currency;
//!    - the **hold is posted** for the captured local part (less than held after an
//!      adjustment; the rest goes back to the customer) into the hub's **holding** account
//!      in that currency. A hold already expired or voided (a settlement run more than
//!      [`super::checkout::HOLD_GRACE_DAYS`] days after the close) turns the local part into
//!      euros due;
//!    - the **euro part is booked**: the hub's *euro receivable* (customers owe it) to the
//!      hub's holding account in the legal currency. Recording the euro payment
//!      ([`super::checkout::mark_euro_paid`]) moves the hub's *euro clearing* (its bank) to
//!      the receivable;
//!    - the pickup/delivery fee is stored with the order's fees, so that every amount the
//!      hub keeps is one row of `order_fees`.
//!
//!    The holding accounts (one per hub and currency) are money the hub holds for others:
//!    it cannot spend them. Between a failed settlement and its retry, what was booked
//!    stays there, intact.
//! 3. **Pay out** (one transaction): per producer and currency, what its goods brought in,
//!    net of its producer fees, is paid from the holding account to the producer's wallet —
//!    in the local currency it was paid in under the `as_paid` policy, or all in euros under
//!    `euros` (and always for a producer that does not take that currency: the euros then
//!    come from the hub's euro clearing, and the hub keeps the local currency). The VAT in
//!    the hub's fees moves, currency by currency, to the hub's *VAT collected* account; what
//!    is left of the cycle's money in the holding account — the hub's fees net of VAT, its
//!    own goods as a producer-hub, the local currency it kept — goes to the hub's wallet,
//!    so that the cycle leaves nothing held. Each producer is sent its report (mail
//!    outbox), and the cycle is marked settled.
//!
//! Before settling, [`preview`] works out what the settlement would pay, from the orders as
//! they stand, with the same arithmetic and without writing anything. So that it reads sums
//! rather than every line of the cycle, checkout and adjustment store each order's
//! allocation as booking will make it ([`allocate_order`]: the lines' and fees' local parts,
//! and the pickup or delivery fee's in `order_allocations`); booking allocates again and
//! [`stale_allocations`] finds any order whose stored allocation is not booking's. What the
//! orders not booked yet hold is kept as running sums per cycle ([`sums`]), changed by the
//! same writes, so that the preview reads a few rows per cycle.
//!
//! The goods are sold by the hub **on behalf of the producers**: the VAT on goods is the
//! producers' (it is in what they are paid); the hub accounts only for the VAT on its fees.
//! So, currency by currency: what customers paid = what producers received + the hub's fees
//! net of VAT + the VAT on those fees (− what was refunded: [`super::refunds`]).

mod book;
mod plan;
mod preview;
mod settle;
pub mod sums;

pub use book::{allocate_order, store_allocation, OrderAllocation};
pub use plan::allocate;
pub use preview::{preview, stale_allocations, Preview};

use diesel::prelude::*;

use super::cycles::{self, CycleState, OrderCycleRow};
use crate::db::schema::{order_cycles, producer_settlements};
use crate::db::DbConn;
use crate::ids::CycleId;
use crate::ledger::accounts::{self, AccountKind, AccountRow, NewAccount, Owner};
use crate::ledger::currencies;
use crate::money::Money;
use crate::orders::OrderError;

/// Orders booked per transaction.
pub const CHUNK: i64 = 200;

/// What a close did (or, closing again, what the first close did).
#[derive(Debug, Clone)]
pub struct CloseReport {
    pub order_cycle_id: String,
    pub state: CycleState,
    /// Orders booked by this run (0 when closing again).
    pub orders_booked: usize,
    /// True when the cycle was settled already: nothing was done.
    pub already_settled: bool,
    /// What each producer was paid, per currency.
    pub settlements: Vec<SettlementView>,
}

/// What one producer was paid in one currency.
#[derive(Debug, Clone)]
pub struct SettlementView {
    pub producer_id: String,
    pub currency: String,
    /// Its goods sold (euro value), tax included.
    pub goods: Money,
    /// Producer fees deducted (euro value).
    pub fees: Money,
    /// Paid, in the currency.
    pub paid: Money,
    pub entry_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = producer_settlements)]
struct SettlementRow {
    order_cycle_id: String,
    producer_id: String,
    currency: String,
    goods_minor: i64,
    fees_minor: i64,
    paid_minor: i64,
    entry_id: Option<String>,
    created_at: chrono::NaiveDateTime,
}

/// Closes the cycle: ordering stops; a cycle without `settles_at` is settled at once (see
/// the module documentation). `progress` is told how many orders each chunk booked.
pub fn close(
    conn: &mut DbConn,
    cycle_id: &CycleId,
    progress: &mut dyn FnMut(usize),
) -> Result<CloseReport, OrderError> {
    let cycle = mark_closed(conn, cycle_id)?;
    if cycle.settled_at.is_some() {
        return report(conn, &cycle, 0, true);
    }
    if cycle.settles_at.is_some_and(|t| t > crate::time::now()) {
        // ordering has stopped; the settlement waits for the hub (or `settles_at`)
        return report(conn, &cycle, 0, false);
    }
    settle_closed(conn, cycle, progress)
}

/// Settles the cycle now, closing it first if it was open: orders booked, producers paid
/// (see the module documentation). Settling again returns what the first settlement did.
pub fn settle(
    conn: &mut DbConn,
    cycle_id: &CycleId,
    progress: &mut dyn FnMut(usize),
) -> Result<CloseReport, OrderError> {
    let cycle = mark_closed(conn, cycle_id)?;
    if cycle.settled_at.is_some() {
        return report(conn, &cycle, 0, true);
    }
    settle_closed(conn, cycle, progress)
}

fn settle_closed(
    conn: &mut DbConn,
    cycle: OrderCycleRow,
    progress: &mut dyn FnMut(usize),
) -> Result<CloseReport, OrderError> {
    let cycle_id = cycle.id.as_str();
    match book_and_settle(conn, &cycle, progress) {
        Ok(report) => Ok(report),
        Err(error) => {
            // kept on the cycle for the hub to see, and for the job to wait before retrying
            let message: String = error.to_string().chars().take(500).collect();
            let now = crate::time::now();
            let recorded = diesel::update(order_cycles::table.find(cycle_id))
                .set((
                    order_cycles::close_attempted_at.eq(now),
                    order_cycles::close_error.eq(&message),
                ))
                .execute(conn.diesel());
            if let Err(e) = recorded {
                tracing::warn!(cycle = %cycle_id, error = %e, "could not record a failed settlement");
            }
            tracing::error!(cycle = %cycle_id, %error, "settling a cycle failed");
            Err(error)
        }
    }
}

/// Steps 2 and 3.
fn book_and_settle(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    progress: &mut dyn FnMut(usize),
) -> Result<CloseReport, OrderError> {
    let cycle_id = cycle.id.as_str();
    let mut booked = 0;
    // through the cycle's orders in id order; once at the end, from the start again: done
    // when that pass finds none left (ordering has stopped, but an order met nothing to
    // book it before the cursor passed it if its transaction had not committed yet)
    let mut after: Option<String> = None;
    loop {
        match conn.transaction(|conn| book::book_chunk(conn, cycle, after.as_deref()))? {
            book::Chunk::Done if after.is_none() => break,
            book::Chunk::Done => after = None,
            book::Chunk::Booked(n, last) => {
                booked += n;
                progress(n);
                after = Some(last);
            }
        }
    }
    let (cycle, settled_now) = conn.transaction(|conn| settle::settle(conn, cycle_id))?;
    report(conn, &cycle, booked, !settled_now && booked == 0)
}

/// Step 1: the cycle row locked, `closed_at` set if it was not.
fn mark_closed(conn: &mut DbConn, cycle_id: &str) -> Result<OrderCycleRow, OrderError> {
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "order_cycles", cycle_id)?;
        let cycle = cycles::find_row(conn, cycle_id)?;
        let now = crate::time::now();
        if cycle.state(now) == CycleState::Upcoming {
            return Err(OrderError::CycleNotOpen(format!(
                "order cycle `{}` has not opened yet",
                cycle.name
            )));
        }
        if cycle.closed_at.is_some() {
            return Ok(cycle);
        }
        diesel::update(order_cycles::table.find(cycle_id))
            .set((
                order_cycles::closed_at.eq(now),
                order_cycles::updated_at.eq(now),
            ))
            .execute(conn.diesel())?;
        Ok(OrderCycleRow {
            closed_at: Some(now),
            updated_at: now,
            ..cycle
        })
    })
}

/// The hub's accounts a close books to, opened when missing.
struct HubAccounts {
    hub_id: String,
    receivable: AccountRow,
    /// Its holding account in the legal currency.
    euro_holding: AccountRow,
}

/// The hub's holding account in `currency`: what its closes captured, until settlement pays
/// it out (never below zero: only what was put there can leave).
pub fn holding(conn: &mut DbConn, hub_id: &str, currency: &str) -> Result<AccountRow, OrderError> {
    hub_account(
        conn,
        hub_id,
        currency,
        AccountKind::Holding,
        "held until settlement",
        Some(0),
    )
}

fn hub_account(
    conn: &mut DbConn,
    hub_id: &str,
    currency: &str,
    kind: AccountKind,
    name: &str,
    limit: Option<i64>,
) -> Result<AccountRow, OrderError> {
    Ok(accounts::open(
        conn,
        NewAccount {
            owner: Owner::Enterprise(hub_id.into()),
            currency: currency.into(),
            kind,
            name: name.into(),
            overdraft_limit: limit,
            for_currency: None,
        },
    )?)
}

/// The hub's receivable in the legal currency: customers' fiat parts are owed on it (it
/// goes negative).
pub fn receivable(conn: &mut DbConn, hub_id: &str) -> Result<AccountRow, OrderError> {
    let legal = currencies::legal(conn)?.code;
    hub_account(
        conn,
        hub_id,
        legal.as_str(),
        AccountKind::EuroReceivable,
        "customers' euro parts owed",
        None,
    )
}

/// The hub's clearing in the legal currency: its bank and till, where money enters and
/// leaves the ledger.
pub fn euro_clearing(conn: &mut DbConn, hub_id: &str) -> Result<AccountRow, OrderError> {
    let legal = currencies::legal(conn)?.code;
    hub_account(
        conn,
        hub_id,
        legal.as_str(),
        AccountKind::EuroClearing,
        "bank and till",
        None,
    )
}

impl HubAccounts {
    fn open(conn: &mut DbConn, hub_id: &str) -> Result<HubAccounts, OrderError> {
        Ok(HubAccounts {
            hub_id: hub_id.into(),
            receivable: receivable(conn, hub_id)?,
            euro_holding: {
                let legal = currencies::legal(conn)?.code;
                holding(conn, hub_id, legal.as_str())?
            },
        })
    }
}

fn report(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    booked: usize,
    already_settled: bool,
) -> Result<CloseReport, OrderError> {
    let rows: Vec<SettlementRow> = producer_settlements::table
        .filter(producer_settlements::order_cycle_id.eq(&cycle.id))
        .order((
            producer_settlements::producer_id.asc(),
            producer_settlements::currency.asc(),
        ))
        .select(SettlementRow::as_select())
        .load(conn.diesel())?;
    let legal = currencies::legal(conn)?;
    let mut settlements = Vec::with_capacity(rows.len());
    for r in rows {
        let currency = currencies::get(conn, &r.currency)?;
        let code = r.currency.parse().map_err(OrderError::internal)?;
        settlements.push(SettlementView {
            producer_id: r.producer_id,
            goods: legal.money(r.goods_minor),
            fees: legal.money(r.fees_minor),
            paid: Money::new(
                r.paid_minor,
                code,
                crate::money::minor_scale(currency.scale),
            ),
            currency: r.currency,
            entry_id: r.entry_id,
        });
    }
    Ok(CloseReport {
        order_cycle_id: cycle.id.clone(),
        state: cycle.state(crate::time::now()),
        orders_booked: booked,
        already_settled,
        settlements,
    })
}

/// What the settlement of `cycle` did, read back (its producers' payments and their ledger
/// entries; none before it is settled). Reads only.
pub fn summary(conn: &mut DbConn, cycle: &OrderCycleRow) -> Result<CloseReport, OrderError> {
    report(conn, cycle, 0, cycle.settled_at.is_some())
}

/// Minutes the background job waits after a failed close before trying that cycle again.
pub const RETRY_AFTER_MINUTES: i64 = 5;

/// Cycles to settle now (for the background job, which runs [`close`] on each), oldest
/// first: not settled, and either settling at their close — past their close time or closed
/// by hand — or past their `settles_at`; a cycle whose settlement failed waits
/// [`RETRY_AFTER_MINUTES`], so a failing cycle never holds up the others. (A cycle past its
/// `settles_at` is closed by then: `settles_at` comes after `closes_at`.)
pub fn due(conn: &mut DbConn, now: chrono::NaiveDateTime) -> Result<Vec<CycleId>, OrderError> {
    let retry_before = now - chrono::Duration::minutes(RETRY_AFTER_MINUTES);
    Ok(order_cycles::table
        .filter(order_cycles::settled_at.is_null())
        .filter(
            order_cycles::settles_at
                .is_null()
                .and(
                    order_cycles::closes_at
                        .le(now)
                        .or(order_cycles::closed_at.is_not_null()),
                )
                .or(order_cycles::settles_at.le(now)),
        )
        .filter(
            order_cycles::close_attempted_at
                .is_null()
                .or(order_cycles::close_attempted_at.le(retry_before)),
        )
        .order(order_cycles::closes_at.asc())
        .limit(100)
        .select(order_cycles::id)
        .load::<String>(conn.diesel())?
        .into_iter()
        .map(CycleId::from)
        .collect())
}

/// The hub's account in `code` that `open` opens, looked up once per close or settlement
/// (`accounts` keeps those already opened, by currency).
pub(super) fn account_of(
    conn: &mut DbConn,
    accounts: &mut std::collections::HashMap<String, AccountRow>,
    hub_id: &str,
    code: &str,
    open: fn(&mut DbConn, &str, &str) -> Result<AccountRow, OrderError>,
) -> Result<AccountRow, OrderError> {
    if let Some(account) = accounts.get(code) {
        return Ok(account.clone());
    }
    let account = open(conn, hub_id, code)?;
    accounts.insert(code.into(), account.clone());
    Ok(account)
}
