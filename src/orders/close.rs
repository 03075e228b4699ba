//! Closing a cycle: no more orders, payments captured, sales booked, producers paid.
//!
//! Run by the background job once `closes_at` has passed, by hand with
//! `comptoir cycle close ID`, or over HTTP. It is **idempotent** and resumable: every step
//! records what it did, and ledger entries have ids derived from what they book, so a
//! second run (or two instances at once) does nothing more.
//!
//! 1. **Mark closed** — the cycle row is locked exclusively and `closed_at` set. Checkouts,
//!    cancellations and adjustments lock it shared ([`super::cycles::find_open_for_order`]),
//!    so none is under way and none comes after.
//! 2. **Book the orders**, [`CHUNK`] at a time, each chunk one transaction and one ledger
//!    batch (constant memory whatever the cycle's size). For each confirmed order:
//!    - its local part is **allocated**: to the goods lines first (in order, each up to its
//!      local maximum), then the pickup/delivery fee, then the customer fees. Producers get
//!      the local currency first: that is what makes it circulate. Producer fees (a
//!      commission) are deducted from the producer's euros first, then its local currency;
//!    - the **hold is posted** for the captured local part (less than held after an
//!      adjustment; the rest goes back to the customer). A hold already expired or voided
//!      (a close run more than [`super::checkout::HOLD_GRACE_DAYS`] days late) turns the
//!      local part into euros due;
//!    - the **euro part is booked**: the hub's *euro receivable* (customers owe it) to the
//!      hub's euro wallet. Recording the euro payment ([`super::checkout::mark_euro_paid`])
//!      moves the hub's *euro clearing* (its bank) to the receivable;
//!    - the pickup/delivery fee is stored with the order's fees, so that every amount the
//!      hub keeps is one row of `order_fees`.
//! 3. **Settle** (one transaction): per producer and currency, what its goods brought in,
//!    net of its producer fees, is paid from the hub's wallet to the producer's — in the
//!    local currency it was paid in under the `as_paid` policy, or all in euros under
//!    `euros` (and always for a producer that does not take that currency: the euros then
//!    come from the hub's euro clearing, and the hub keeps the local currency). The VAT in
//!    the hub's fees moves, currency by currency, to the hub's *VAT collected* account. The
//!    hub keeps its fees net of VAT. Each producer is sent its report (mail outbox), and the
//!    cycle is marked settled.
//!
//! The goods are sold by the hub **on behalf of the producers**: the VAT on goods is the
//! producers' (it is in what they are paid); the hub accounts only for the VAT on its fees.
//! So, currency by currency: what customers paid = what producers received + the hub's fees
//! net of VAT + the VAT on those fees.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::cycles::{self, CycleState, OrderCycleRow};
use super::fees::{self, OrderFeeRow};
use super::order::{EuroState, LineRow, OrderRow, OrderState};
use super::quote::{mul_div_half_up, share_floor, vat_included};
use super::shipping;
use crate::db::schema::{
    enterprise_currencies, ledger_transfers, order_cycles, order_fees, order_lines, orders,
    producer_settlements,
};
use crate::db::DbConn;
use crate::error::{ApiError, ProblemKind};
use crate::ledger::accounts::{self, AccountKind, AccountRow, NewAccount, Owner};
use crate::ledger::engine::{Movement, TransferDraft};
use crate::ledger::journal::{self, Committed, EntryRequest, TransferRow};
use crate::ledger::{currencies, LedgerError};
use crate::ledger::{group, ops};
use crate::money::Money;

/// Orders booked per transaction.
pub const CHUNK: i64 = 200;

/// What a close did (or, closing again, what the first close did).
#[derive(Debug, Clone, Serialize, ToSchema)]
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
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettlementView {
    pub producer_id: String,
    pub currency: String,
    /// Its goods sold (euro value), tax included.
    #[schema(value_type = crate::money::MoneyJson)]
    pub goods: Money,
    /// Producer fees deducted (euro value).
    #[schema(value_type = crate::money::MoneyJson)]
    pub fees: Money,
    /// Paid, in the currency.
    #[schema(value_type = crate::money::MoneyJson)]
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

/// Closes the cycle (see the module documentation); `progress` is told how many orders each
/// chunk booked.
pub fn close(
    conn: &mut DbConn,
    cycle_id: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<CloseReport, ApiError> {
    let cycle = mark_closed(conn, cycle_id)?;
    if cycle.settled_at.is_some() {
        return report(conn, &cycle, 0, true);
    }
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
                tracing::warn!(cycle = %cycle_id, error = %e, "could not record a failed close");
            }
            tracing::error!(cycle = %cycle_id, %error, "closing a cycle failed");
            Err(error)
        }
    }
}

/// Steps 2 and 3.
fn book_and_settle(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    progress: &mut dyn FnMut(usize),
) -> Result<CloseReport, ApiError> {
    let cycle_id = cycle.id.as_str();
    let mut booked = 0;
    loop {
        match conn.transaction(|conn| book_chunk(conn, cycle))? {
            Chunk::Done => break,
            Chunk::Booked(n) => {
                booked += n;
                progress(n);
            }
        }
    }
    let (cycle, settled_now) = conn.transaction(|conn| settle(conn, cycle_id))?;
    report(conn, &cycle, booked, !settled_now && booked == 0)
}

/// Step 1: the cycle row locked, `closed_at` set if it was not.
fn mark_closed(conn: &mut DbConn, cycle_id: &str) -> Result<OrderCycleRow, ApiError> {
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "order_cycles", cycle_id)?;
        let cycle = cycles::find_row(conn, cycle_id)?;
        let now = crate::time::now();
        if cycle.state(now) == CycleState::Upcoming {
            return Err(ApiError::Conflict {
                kind: ProblemKind::CycleNotOpen,
                detail: format!("order cycle `{}` has not opened yet", cycle.name),
            });
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
    euro_wallet: AccountRow,
}

fn hub_account(
    conn: &mut DbConn,
    hub_id: &str,
    currency: &str,
    kind: AccountKind,
    name: &str,
    limit: Option<i64>,
) -> Result<AccountRow, ApiError> {
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

/// The hub's euro receivable: customers' euro parts are owed on it (it goes negative).
pub fn receivable(conn: &mut DbConn, hub_id: &str) -> Result<AccountRow, ApiError> {
    hub_account(
        conn,
        hub_id,
        "EUR",
        AccountKind::EuroReceivable,
        "customers' euro parts owed",
        None,
    )
}

/// The hub's euro clearing: its bank and till, where euros enter and leave the ledger.
pub fn euro_clearing(conn: &mut DbConn, hub_id: &str) -> Result<AccountRow, ApiError> {
    hub_account(
        conn,
        hub_id,
        "EUR",
        AccountKind::EuroClearing,
        "bank and till",
        None,
    )
}

impl HubAccounts {
    fn open(conn: &mut DbConn, hub_id: &str) -> Result<HubAccounts, ApiError> {
        Ok(HubAccounts {
            hub_id: hub_id.into(),
            receivable: receivable(conn, hub_id)?,
            euro_wallet: ops::wallet(conn, Owner::Enterprise(hub_id.into()), "EUR")?,
        })
    }
}

pub(super) fn transfer(from: &AccountRow, to: &AccountRow, amount: i64) -> TransferDraft {
    TransferDraft {
        debit_account_id: from.id.clone(),
        credit_account_id: to.id.clone(),
        currency: from.currency.clone(),
        amount,
        movement: Movement::Posted,
        own_funds_only: false,
    }
}

/// Which holds of `hold_ids` can no longer be posted (expired, or resolved already by
/// something other than this close's own entry).
fn lost_holds(
    conn: &mut DbConn,
    holds: &[TransferRow],
    own_entries: &HashMap<String, String>,
) -> Result<Vec<String>, ApiError> {
    let ids: Vec<&str> = holds.iter().map(|h| h.id.as_str()).collect();
    let resolutions: Vec<(Option<String>, String)> = ledger_transfers::table
        .filter(ledger_transfers::pending_id.eq_any(&ids))
        .select((ledger_transfers::pending_id, ledger_transfers::entry_id))
        .load(conn.diesel())?;
    let now = crate::time::now();
    Ok(holds
        .iter()
        .filter(|h| {
            let resolved_by = resolutions
                .iter()
                .find(|(p, _)| p.as_deref() == Some(h.id.as_str()))
                .map(|(_, e)| e);
            match resolved_by {
                Some(entry) => own_entries.get(&h.id) != Some(entry),
                None => h.expires_at.is_some_and(|t| t <= now),
            }
        })
        .map(|h| h.id.clone())
        .collect())
}

/// What one booking transaction did.
enum Chunk {
    /// No confirmed order is left to book.
    Done,
    /// Booked this many (0: a concurrent close booked the ones picked meanwhile).
    Booked(usize),
}

/// Step 2, one chunk: books up to [`CHUNK`] confirmed orders not booked yet.
fn book_chunk(conn: &mut DbConn, cycle: &OrderCycleRow) -> Result<Chunk, ApiError> {
    let ids: Vec<String> = orders::table
        .filter(orders::order_cycle_id.eq(&cycle.id))
        .filter(orders::state.eq(OrderState::Confirmed.as_str()))
        .filter(orders::booked_at.is_null())
        .order(orders::id.asc())
        .limit(CHUNK)
        .select(orders::id)
        .load(conn.diesel())?;
    if ids.is_empty() {
        return Ok(Chunk::Done);
    }
    // locked in id order, then re-read: a concurrent close may have booked some meanwhile
    for id in &ids {
        crate::db::lock_row(conn, "orders", id)?;
    }
    let mut rows: Vec<OrderRow> = orders::table
        .filter(orders::id.eq_any(&ids))
        .filter(orders::booked_at.is_null())
        .filter(orders::state.eq(OrderState::Confirmed.as_str()))
        .order(orders::id.asc())
        .select(OrderRow::as_select())
        .load(conn.diesel())?;
    if rows.is_empty() {
        return Ok(Chunk::Booked(0));
    }
    let hub = HubAccounts::open(conn, &cycle.hub_id)?;
    let row_ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut lines_of: HashMap<String, Vec<LineRow>> = HashMap::new();
    for line in order_lines::table
        .filter(order_lines::order_id.eq_any(&row_ids))
        .order((order_lines::order_id.asc(), order_lines::position.asc()))
        .select(LineRow::as_select())
        .load::<LineRow>(conn.diesel())?
    {
        lines_of
            .entry(line.order_id.clone())
            .or_default()
            .push(line);
    }
    let mut fees_of: HashMap<String, Vec<OrderFeeRow>> = HashMap::new();
    for fee in fees::of_orders(conn, &row_ids)? {
        fees_of.entry(fee.order_id.clone()).or_default().push(fee);
    }
    let methods = shipping::for_cycle(conn, &cycle.id)?;

    // holds that can no longer be captured: their local part becomes euros due
    let hold_ids: Vec<&str> = rows.iter().filter_map(|r| r.hold_id.as_deref()).collect();
    let holds: Vec<TransferRow> = ledger_transfers::table
        .filter(ledger_transfers::id.eq_any(&hold_ids))
        .select(TransferRow::as_select())
        .load(conn.diesel())?;
    let own: HashMap<String, String> = rows
        .iter()
        .filter_map(|r| {
            r.hold_id.as_ref().map(|h| {
                (
                    h.clone(),
                    journal::derived_id(&format!("close:capture:{}", r.id)),
                )
            })
        })
        .collect();
    let lost = lost_holds(conn, &holds, &own)?;
    for row in rows.iter_mut() {
        if row.hold_id.as_ref().is_some_and(|h| lost.contains(h)) {
            tracing::warn!(order = %row.id, "the hold of this order was released before the close: its local part is now due in euros");
            row.euro_minor += row.local_eur_minor;
            row.local_eur_minor = 0;
            row.local_minor = 0;
            // due again even if the first euro part was paid: the payment recorded next
            // receives only what is still owed
            if row.euro_minor > row.euro_received_minor {
                row.euro_state = EuroState::Due.as_str().into();
            }
        }
    }

    let mut requests = Vec::new();
    let mut line_updates = Vec::new();
    let mut fee_updates = Vec::new();
    let now = crate::time::now();
    for row in rows.iter_mut() {
        let number = row.number.clone().unwrap_or_default();
        let lines = lines_of.remove(&row.id).unwrap_or_default();
        let mut order_fees = fees_of.remove(&row.id).unwrap_or_default();
        // the pickup or delivery fee, as one more of the hub's fees
        if row.shipping_fee_minor > 0 {
            let method = methods
                .iter()
                .find(|m| Some(&m.id) == row.shipping_method_id.as_ref());
            let (rate, share, name) = method.map_or((0, 0, String::new()), |m| {
                (m.vat_rate_bp, m.local_share_percent, m.name.clone())
            });
            let fee = OrderFeeRow {
                id: crate::time::new_id(),
                order_id: row.id.clone(),
                fee_id: None,
                producer_id: None,
                name,
                fee_type: "shipping".into(),
                charged_to: "customer".into(),
                amount_minor: row.shipping_fee_minor,
                vat_rate_bp: rate,
                vat_minor: vat_included(row.shipping_fee_minor, rate),
                local_max_minor: share_floor(row.shipping_fee_minor, share),
                local_alloc_minor: 0,
                vat_local_minor: 0,
            };
            order_fees.insert(0, fee);
        }
        let allocation = allocate(row.local_eur_minor, &lines, &mut order_fees)
            .map_err(|e| ApiError::internal(format!("order {number}: {e}")))?;
        for (line, alloc) in lines.iter().zip(allocation) {
            line_updates.push((line.order_id.clone(), line.variant_id.clone(), alloc));
        }
        for fee in order_fees {
            let new = fee.fee_type == "shipping" && fee.fee_id.is_none();
            fee_updates.push((fee, new));
        }

        if let Some(hold_id) = row.hold_id.as_ref().filter(|h| !lost.contains(h)) {
            let hold = holds.iter().find(|h| &h.id == hold_id).ok_or_else(|| {
                ApiError::internal(format!("order {number}: its hold is missing"))
            })?;
            let id = journal::derived_id(&format!("close:capture:{}", row.id));
            let reference = format!("order {number}");
            requests.push(if row.local_minor > 0 {
                ops::post_request(&id, hold, Some(row.local_minor), &reference)
            } else {
                ops::void_request(&id, hold, &reference)
            });
        }
        if row.euro_minor > 0 {
            requests.push(EntryRequest {
                id: journal::derived_id(&format!("close:euro:{}", row.id)),
                code: "sale".into(),
                reference: format!("order {number}"),
                description: format!("euro part of order {number}, owed by the customer"),
                request_hash: journal::request_hash(&[
                    "sale",
                    &row.id,
                    &row.euro_minor.to_string(),
                ]),
                reverses_entry_id: None,
                transfers: vec![transfer(&hub.receivable, &hub.euro_wallet, row.euro_minor)],
            });
        }
        row.booked_at = Some(now);
        row.updated_at = now;
    }
    for result in group::commit_batch(conn, &requests)? {
        match result {
            Ok(Committed::New(_) | Committed::Replayed(_)) => {}
            Err(error) => return Err(booking_failed(&hub.hub_id, error)),
        }
    }
    {
        let conn = conn.diesel();
        for (order_id, variant_id, alloc) in &line_updates {
            diesel::update(
                order_lines::table
                    .filter(order_lines::order_id.eq(order_id))
                    .filter(order_lines::variant_id.eq(variant_id)),
            )
            .set(order_lines::local_alloc_minor.eq(alloc))
            .execute(conn)?;
        }
        for (fee, new) in &fee_updates {
            if *new {
                diesel::insert_into(order_fees::table)
                    .values(fee)
                    .execute(conn)?;
            } else {
                diesel::update(order_fees::table.find(&fee.id))
                    .set((
                        order_fees::local_alloc_minor.eq(fee.local_alloc_minor),
                        order_fees::vat_local_minor.eq(fee.vat_local_minor),
                    ))
                    .execute(conn)?;
            }
        }
        for row in rows.iter() {
            diesel::update(orders::table.find(&row.id))
                .set(row)
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    }?;
    Ok(Chunk::Booked(rows.len()))
}

fn booking_failed(hub_id: &str, error: LedgerError) -> ApiError {
    tracing::error!(hub = %hub_id, %error, "a close could not book its orders");
    ApiError::from(error)
}

/// Spreads `local` (euro value) over the lines (in order, each up to its local maximum),
/// then the customer fees (in order, the pickup/delivery fee first); then deducts each
/// producer's fees from that producer's euros first. Sets `local_alloc_minor` and
/// `vat_local_minor` on the fees and returns the lines' allocations.
pub fn allocate(
    local: i64,
    lines: &[LineRow],
    fees: &mut [OrderFeeRow],
) -> Result<Vec<i64>, String> {
    let mut left = local;
    let mut take = |max: i64| {
        let a = left.min(max).max(0);
        left -= a;
        a
    };
    let line_alloc: Vec<i64> = lines.iter().map(|l| take(l.local_max_minor)).collect();
    for fee in fees.iter_mut().filter(|f| f.charged_to == "customer") {
        fee.local_alloc_minor = take(fee.local_max_minor);
    }
    if left != 0 {
        return Err(format!(
            "{left} cents of its local part exceed its local maximum"
        ));
    }
    // per producer: local and euros its goods brought in, then its fees, euros first
    let mut goods: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (line, alloc) in lines.iter().zip(&line_alloc) {
        let entry = goods
            .entry(line.producer_id.as_deref().unwrap_or(""))
            .or_default();
        entry.0 += alloc;
        entry.1 += line.total_minor - alloc;
    }
    for fee in fees.iter_mut().filter(|f| f.charged_to == "producer") {
        let Some(entry) = goods.get_mut(fee.producer_id.as_deref().unwrap_or("")) else {
            return Err(format!(
                "fee `{}` is charged to a producer with no goods",
                fee.name
            ));
        };
        let from_euros = fee.amount_minor.min(entry.1);
        let from_local = fee.amount_minor - from_euros;
        if from_local > entry.0 {
            return Err(format!("fee `{}` exceeds the producer's goods", fee.name));
        }
        entry.1 -= from_euros;
        entry.0 -= from_local;
        fee.local_alloc_minor = from_local;
    }
    for fee in fees.iter_mut() {
        fee.vat_local_minor = if fee.amount_minor > 0 {
            mul_div_half_up(fee.vat_minor, fee.local_alloc_minor, fee.amount_minor)
        } else {
            0
        };
    }
    Ok(line_alloc)
}

#[derive(QueryableByName)]
struct Sums {
    #[diesel(sql_type = Nullable<Text>)]
    producer_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    currency: Option<String>,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    local: i64,
}

const GOODS: &str = "SELECT l.producer_id AS producer_id, o.local_currency AS currency,
        CAST(COALESCE(SUM(l.total_minor), 0) AS BIGINT) AS total,
        CAST(COALESCE(SUM(l.local_alloc_minor), 0) AS BIGINT) AS local
    FROM order_lines l JOIN orders o ON o.id = l.order_id
    WHERE o.order_cycle_id = $1 AND o.booked_at IS NOT NULL
    GROUP BY l.producer_id, o.local_currency";

const PRODUCER_FEES: &str = "SELECT f.producer_id AS producer_id, o.local_currency AS currency,
        CAST(COALESCE(SUM(f.amount_minor), 0) AS BIGINT) AS total,
        CAST(COALESCE(SUM(f.local_alloc_minor), 0) AS BIGINT) AS local
    FROM order_fees f JOIN orders o ON o.id = f.order_id
    WHERE o.order_cycle_id = $1 AND o.booked_at IS NOT NULL AND f.charged_to = 'producer'
    GROUP BY f.producer_id, o.local_currency";

/// VAT of every fee of the cycle (`total`) and its part paid in local currency (`local`).
const FEE_VAT: &str = "SELECT NULL AS producer_id, o.local_currency AS currency,
        CAST(COALESCE(SUM(f.vat_minor), 0) AS BIGINT) AS total,
        CAST(COALESCE(SUM(f.vat_local_minor), 0) AS BIGINT) AS local
    FROM order_fees f JOIN orders o ON o.id = f.order_id
    WHERE o.order_cycle_id = $1 AND o.booked_at IS NOT NULL
    GROUP BY o.local_currency";

fn sums(conn: &mut DbConn, sql: &'static str, cycle_id: &str) -> Result<Vec<Sums>, ApiError> {
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(cycle_id)
        .load::<Sums>(conn.diesel())?)
}

/// What one producer is owed, per currency it will be paid in.
#[derive(Default)]
struct Owed {
    /// currency → (goods, fees, to pay), euro values
    by_currency: BTreeMap<String, (i64, i64, i64)>,
    /// euros the hub pays from its own bank (the local part of a producer paid in euros)
    from_clearing: i64,
}

/// Step 3 (one transaction): pays the producers and books the fees' VAT; returns the cycle
/// and whether this run settled it.
fn settle(conn: &mut DbConn, cycle_id: &str) -> Result<(OrderCycleRow, bool), ApiError> {
    crate::db::lock_row(conn, "order_cycles", cycle_id)?;
    let cycle = cycles::find_row(conn, cycle_id)?;
    if cycle.settled_at.is_some() {
        return Ok((cycle, false));
    }
    // a concurrent close may still be booking: settle only once every order is booked
    let unbooked: i64 = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::state.eq(OrderState::Confirmed.as_str()))
        .filter(orders::booked_at.is_null())
        .count()
        .get_result(conn.diesel())?;
    if unbooked > 0 {
        return Err(ApiError::Conflict {
            kind: ProblemKind::OrderState,
            detail: format!(
                "{unbooked} orders of cycle `{}` are still being booked by another close; \
                 try again in a moment",
                cycle.name
            ),
        });
    }
    let pay_local_policy = cycle.producer_settlement == "as_paid";
    let goods = sums(conn, GOODS, cycle_id)?;
    let producer_fees = sums(conn, PRODUCER_FEES, cycle_id)?;
    let producer_ids: Vec<String> = {
        let mut ids: Vec<String> = goods.iter().filter_map(|g| g.producer_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let accepted: Vec<(String, String)> = enterprise_currencies::table
        .filter(enterprise_currencies::enterprise_id.eq_any(&producer_ids))
        .select((
            enterprise_currencies::enterprise_id,
            enterprise_currencies::currency_code,
        ))
        .load(conn.diesel())?;

    let mut owed: BTreeMap<String, Owed> = BTreeMap::new();
    for g in &goods {
        let producer = g.producer_id.clone().unwrap_or_default();
        let fee = producer_fees
            .iter()
            .find(|f| f.producer_id == g.producer_id && f.currency == g.currency);
        let (fee_total, fee_local) = fee.map_or((0, 0), |f| (f.total, f.local));
        let (goods_local, goods_eur) = (g.local, g.total - g.local);
        let (fee_eur, net_local, net_eur) = (
            fee_total - fee_local,
            goods_local - fee_local,
            goods_eur - (fee_total - fee_local),
        );
        if net_local < 0 || net_eur < 0 {
            return Err(ApiError::internal(format!(
                "producer {producer}: fees exceed goods in cycle {cycle_id}"
            )));
        }
        let entry = owed.entry(producer.clone()).or_default();
        let euros = entry.by_currency.entry("EUR".into()).or_default();
        euros.0 += goods_eur;
        euros.1 += fee_eur;
        euros.2 += net_eur;
        if let Some(code) = &g.currency {
            let takes_it = accepted.iter().any(|(e, c)| *e == producer && c == code);
            if pay_local_policy && takes_it {
                let local = entry.by_currency.entry(code.clone()).or_default();
                local.0 += goods_local;
                local.1 += fee_local;
                local.2 += net_local;
            } else {
                let euros = entry.by_currency.entry("EUR".into()).or_default();
                euros.0 += goods_local;
                euros.1 += fee_local;
                euros.2 += net_local;
                entry.from_clearing += net_local;
            }
        }
    }

    let hub_id = cycle.hub_id.clone();
    let hub_euro = ops::wallet(conn, Owner::Enterprise(hub_id.clone()), "EUR")?;
    let mut hub_wallets: HashMap<String, AccountRow> = HashMap::new();
    hub_wallets.insert("EUR".into(), hub_euro.clone());
    let mut requests = Vec::new();
    let mut settlement_rows = Vec::new();
    let now = crate::time::now();
    let clearing = if owed.values().any(|o| o.from_clearing > 0) {
        Some(euro_clearing(conn, &hub_id)?)
    } else {
        None
    };
    for (producer, o) in &owed {
        // a producer-hub's own goods: the money is in its wallets already
        let is_hub = *producer == hub_id;
        let id = journal::derived_id(&format!("close:settle:{cycle_id}:{producer}"));
        let mut transfers = Vec::new();
        let mut hash_parts = vec!["settle".to_string(), cycle_id.to_string(), producer.clone()];
        for (code, (goods_v, fees_v, net)) in &o.by_currency {
            let currency = currencies::get(conn, code)?;
            let amount = if code == "EUR" {
                *net
            } else {
                currency.from_eur_minor(*net)?
            };
            hash_parts.push(format!("{code}:{amount}"));
            settlement_rows.push(SettlementRow {
                order_cycle_id: cycle_id.into(),
                producer_id: producer.clone(),
                currency: code.clone(),
                goods_minor: *goods_v,
                fees_minor: *fees_v,
                paid_minor: amount,
                entry_id: None,
                created_at: now,
            });
            if is_hub {
                continue;
            }
            let to = ops::wallet(conn, Owner::Enterprise(producer.clone()), code)?;
            if !hub_wallets.contains_key(code) {
                let wallet = ops::wallet(conn, Owner::Enterprise(hub_id.clone()), code)?;
                hub_wallets.insert(code.clone(), wallet);
            }
            let from = &hub_wallets[code];
            if code == "EUR" && o.from_clearing > 0 {
                let from_bank = o.from_clearing.min(amount);
                if let Some(clearing) = &clearing {
                    transfers.push(transfer(clearing, &to, from_bank));
                }
                if amount - from_bank > 0 {
                    transfers.push(transfer(from, &to, amount - from_bank));
                }
            } else if amount > 0 {
                transfers.push(transfer(from, &to, amount));
            }
        }
        if !transfers.is_empty() {
            let parts: Vec<&str> = hash_parts.iter().map(String::as_str).collect();
            requests.push(EntryRequest {
                id: id.clone(),
                code: "settle".into(),
                reference: format!("cycle {}", cycle.name),
                description: format!("producer paid for cycle {}", cycle.name),
                request_hash: journal::request_hash(&parts),
                reverses_entry_id: None,
                transfers,
            });
            for row in settlement_rows
                .iter_mut()
                .filter(|r| &r.producer_id == producer)
            {
                row.entry_id = Some(id.clone());
            }
        }
    }
    // the VAT in the hub's fees, in the currency it was paid in
    let mut vat_transfers = Vec::new();
    let mut vat_hash = vec!["vat".to_string(), cycle_id.to_string()];
    let mut vat_by_currency: BTreeMap<String, i64> = BTreeMap::new();
    for v in sums(conn, FEE_VAT, cycle_id)? {
        *vat_by_currency.entry("EUR".into()).or_default() += v.total - v.local;
        if let Some(code) = v.currency {
            *vat_by_currency.entry(code).or_default() += v.local;
        }
    }
    for (code, eur_value) in vat_by_currency.into_iter().filter(|(_, v)| *v > 0) {
        let currency = currencies::get(conn, &code)?;
        let amount = if code == "EUR" {
            eur_value
        } else {
            currency.from_eur_minor(eur_value)?
        };
        if !hub_wallets.contains_key(&code) {
            let wallet = ops::wallet(conn, Owner::Enterprise(hub_id.clone()), &code)?;
            hub_wallets.insert(code.clone(), wallet);
        }
        let vat_account = hub_account(
            conn,
            &hub_id,
            &code,
            AccountKind::VatCollected,
            "VAT collected on fees",
            Some(0),
        )?;
        vat_transfers.push(transfer(&hub_wallets[&code], &vat_account, amount));
        vat_hash.push(format!("{code}:{amount}"));
    }
    if !vat_transfers.is_empty() {
        let parts: Vec<&str> = vat_hash.iter().map(String::as_str).collect();
        requests.push(EntryRequest {
            id: journal::derived_id(&format!("close:vat:{cycle_id}")),
            code: "vat".into(),
            reference: format!("cycle {}", cycle.name),
            description: format!("VAT on the hub's fees, cycle {}", cycle.name),
            request_hash: journal::request_hash(&parts),
            reverses_entry_id: None,
            transfers: vat_transfers,
        });
    }
    for result in group::commit_batch(conn, &requests)? {
        if let Err(error) = result {
            return Err(booking_failed(&hub_id, error));
        }
    }
    {
        let conn = conn.diesel();
        crate::db::execute(
            conn,
            diesel::insert_into(producer_settlements::table).values(&settlement_rows),
        )?;
        diesel::update(order_cycles::table.find(cycle_id))
            .set((
                order_cycles::settled_at.eq(now),
                order_cycles::updated_at.eq(now),
                order_cycles::close_attempted_at.eq(None::<chrono::NaiveDateTime>),
                order_cycles::close_error.eq(None::<String>),
            ))
            .execute(conn)
    }?;
    let paid: Vec<String> = owed.keys().cloned().collect();
    super::reports::send_producer_reports(conn, &cycle, &paid)?;
    Ok((
        OrderCycleRow {
            settled_at: Some(now),
            updated_at: now,
            close_attempted_at: None,
            close_error: None,
            ..cycle
        },
        true,
    ))
}

fn report(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    booked: usize,
    already_settled: bool,
) -> Result<CloseReport, ApiError> {
    let rows: Vec<SettlementRow> = producer_settlements::table
        .filter(producer_settlements::order_cycle_id.eq(&cycle.id))
        .order((
            producer_settlements::producer_id.asc(),
            producer_settlements::currency.asc(),
        ))
        .select(SettlementRow::as_select())
        .load(conn.diesel())?;
    let mut settlements = Vec::with_capacity(rows.len());
    for r in rows {
        let currency = currencies::get(conn, &r.currency)?;
        let code = r.currency.parse().map_err(ApiError::internal)?;
        settlements.push(SettlementView {
            producer_id: r.producer_id,
            goods: Money::eur(r.goods_minor),
            fees: Money::eur(r.fees_minor),
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

/// Minutes the background job waits after a failed close before trying that cycle again.
pub const RETRY_AFTER_MINUTES: i64 = 5;

/// Cycles to close now (for the background job), oldest first: not settled, and past their
/// close time or closed by hand; a cycle whose close failed waits [`RETRY_AFTER_MINUTES`], so
/// a failing cycle never holds up the others.
pub fn due(conn: &mut DbConn, now: chrono::NaiveDateTime) -> Result<Vec<String>, ApiError> {
    let retry_before = now - chrono::Duration::minutes(RETRY_AFTER_MINUTES);
    Ok(order_cycles::table
        .filter(order_cycles::settled_at.is_null())
        .filter(
            order_cycles::closes_at
                .le(now)
                .or(order_cycles::closed_at.is_not_null()),
        )
        .filter(
            order_cycles::close_attempted_at
                .is_null()
                .or(order_cycles::close_attempted_at.le(retry_before)),
        )
        .order(order_cycles::closes_at.asc())
        .limit(100)
        .select(order_cycles::id)
        .load(conn.diesel())?)
}
