//! Step 2 of the close, booking: each chunk of confirmed orders captured in one transaction
//! and one ledger batch (see the module documentation of [`super`]).

use std::collections::HashMap;

use diesel::prelude::*;

use super::super::cycles::OrderCycleRow;
use super::super::fees::{self, OrderFeeRow};
use super::super::order::{EuroState, LineRow, OrderRow, OrderState};
use super::super::quote::{share_floor, vat_included};
use super::super::shipping::{self, ShippingMethodRow};
use super::plan::allocate;
use super::sums::Shift;
use super::{account_of, HubAccounts, CHUNK};
use crate::db::schema::{ledger_transfers, order_allocations, order_fees, order_lines, orders};
use crate::db::DbConn;
use crate::ids::EntryId;
use crate::ledger::accounts::AccountRow;
use crate::ledger::journal::{self, Committed, EntryRequest, TransferRow};
use crate::ledger::rules::posted;
use crate::ledger::{group, holds, LedgerError};
use crate::money::Amount;
use crate::orders::OrderError;

/// Which holds of `hold_ids` can no longer be posted (expired, or resolved already by
/// something other than this close's own entry).
fn lost_holds(
    conn: &mut DbConn,
    holds: &[TransferRow],
    own_entries: &HashMap<String, String>,
) -> Result<Vec<String>, OrderError> {
    let ids: Vec<&str> = holds.iter().map(|h| h.id.as_str()).collect();
    let resolutions: Vec<(Option<String>, String)> = ledger_transfers::table
        .filter(ledger_transfers::pending_id.eq_any(&ids))
        .select((ledger_transfers::pending_id, ledger_transfers::entry_id))
        .load(conn.diesel())?;
    // each hold's first resolution, by the hold's id (one look-up per hold)
    let mut resolved: HashMap<&str, &String> = HashMap::new();
    for (pending, entry) in &resolutions {
        if let Some(p) = pending.as_deref() {
            resolved.entry(p).or_insert(entry);
        }
    }
    let now = crate::time::now();
    Ok(holds
        .iter()
        .filter(|h| {
            let resolved_by = resolved.get(h.id.as_str()).copied();
            match resolved_by {
                Some(entry) => own_entries.get(&h.id) != Some(entry),
                None => h.expires_at.is_some_and(|t| t <= now),
            }
        })
        .map(|h| h.id.clone())
        .collect())
}

/// What one booking transaction did.
pub(super) enum Chunk {
    /// No confirmed order is left to book (after the order id given, when one was).
    Done,
    /// Booked this many (0: a concurrent close booked the ones picked meanwhile) of the
    /// orders picked, the last of which (in id order) is the second field.
    Booked(usize, String),
}

/// Step 2, one chunk: books up to [`CHUNK`] confirmed orders not booked yet, those after
/// order id `after` when given (the previous chunk's last: each chunk then reads only its
/// own orders, not again the ones booked before it).
pub(super) fn book_chunk(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    after: Option<&str>,
) -> Result<Chunk, OrderError> {
    let mut pick = orders::table
        .filter(orders::order_cycle_id.eq(&cycle.id))
        .filter(orders::state.eq(OrderState::Confirmed.as_str()))
        .filter(orders::booked_at.is_null())
        .order(orders::id.asc())
        .limit(CHUNK)
        .select(orders::id)
        .into_boxed();
    if let Some(after) = after {
        pick = pick.filter(orders::id.gt(after));
    }
    let ids: Vec<String> = pick.load(conn.diesel())?;
    let Some(last) = ids.last().cloned() else {
        return Ok(Chunk::Done);
    };
    // locked in id order, then re-read: a concurrent close may have booked some meanwhile
    crate::db::lock_rows(conn, "orders", &ids)?;
    let mut rows: Vec<OrderRow> = orders::table
        .filter(orders::id.eq_any(&ids))
        .filter(orders::booked_at.is_null())
        .filter(orders::state.eq(OrderState::Confirmed.as_str()))
        .order(orders::id.asc())
        .select(OrderRow::as_select())
        .load(conn.diesel())?;
    if rows.is_empty() {
        return Ok(Chunk::Booked(0, last));
    }
    let uncounted = Shift::before(conn, rows.iter().map(|r| r.id.clone()).collect())?;
    let hub = HubAccounts::open(conn, &cycle.hub_id)?;
    let (mut lines_of, mut fees_of) = lines_and_fees(conn, &rows)?;
    let methods = shipping::for_cycle(conn, &cycle.id)?;

    // holds that can no longer be captured: their local part becomes euros due
    let (holds, lost) = holds_of(conn, &rows)?;
    let lost_hold = |row: &OrderRow| row.hold_id.as_ref().is_some_and(|h| lost.contains(h));
    for row in rows.iter_mut() {
        if lost_hold(row) {
            tracing::warn!(order = %row.id, "the hold of this order was released before the close: its local part is now due in euros");
            lose_hold(row);
        }
    }

    let mut requests = Vec::new();
    let mut holdings: HashMap<String, AccountRow> = HashMap::new();
    let mut line_updates = Vec::new();
    let mut fee_updates = Vec::new();
    let mut new_fees = Vec::new();
    let now = crate::time::now();
    for row in rows.iter_mut() {
        let number = row.number.clone().unwrap_or_default();
        let lines = lines_of.remove(&row.id).unwrap_or_default();
        let stored_fees = fees_of.remove(&row.id).unwrap_or_default();
        let stored: Vec<(i64, i64)> = stored_fees
            .iter()
            .map(|f| (f.local_alloc_minor, f.vat_local_minor))
            .collect();
        let (allocation, order_fees) = allocated(row, &lines, stored_fees, &methods)?;
        // checkout and adjustment stored the same allocation (`allocate_order`) unless the
        // hold was lost or the order predates stored allocations: only differences are written
        for (line, alloc) in lines.iter().zip(allocation) {
            if line.local_alloc_minor != alloc {
                line_updates.push((line.order_id.clone(), line.variant_id.clone(), alloc));
            }
        }
        // `allocated` keeps the stored fees in their order, the new pickup or delivery fee
        // put first (as `allocate_order` reads them too)
        let mut stored = stored.into_iter();
        for fee in order_fees {
            if fee.fee_type == "shipping" && fee.fee_id.is_none() {
                new_fees.push(fee);
            } else if stored.next() != Some((fee.local_alloc_minor, fee.vat_local_minor)) {
                fee_updates.push(fee);
            }
        }

        if let Some(hold_id) = row.hold_id.as_ref().filter(|h| !lost.contains(h)) {
            let hold = holds.iter().find(|h| &h.id == hold_id).ok_or_else(|| {
                OrderError::internal(format!("order {number}: its hold is missing"))
            })?;
            let id = EntryId::from(journal::derived_id(&format!("close:capture:{}", row.id)));
            let reference = format!("order {number}");
            // what the hold captures: the order's local part as it stands now (weighing may
            // have lowered it); nothing left voids the hold
            match row.local()?.filter(Amount::is_positive) {
                Some(captured) => {
                    requests.push(holds::post_request(&id, hold, Some(captured), &reference)?);
                    // a hold made before holding accounts existed is in favour of the hub's
                    // wallet: what it captured moves on to the holding account
                    let held = account_of(
                        conn,
                        &mut holdings,
                        &hub.hub_id,
                        &hold.currency,
                        super::holding,
                    )?;
                    if hold.credit_account_id != held.id {
                        let wallet = crate::ledger::accounts::get(conn, &hold.credit_account_id)?;
                        requests.push(EntryRequest {
                            audit: None,
                            id: journal::derived_id(&format!("close:held:{}", row.id)),
                            code: "sale".into(),
                            reference: reference.clone(),
                            description: format!(
                                "local part of order {number}, held until settlement"
                            ),
                            request_hash: journal::request_hash(&[
                                "held",
                                &row.id,
                                &captured.minor.to_string(),
                            ]),
                            reverses_entry_id: None,
                            transfers: vec![posted(&wallet, &held, captured)],
                        });
                    }
                }
                None => requests.push(holds::void_request(&id, hold, &reference)?),
            }
        }
        if row.euro_minor > 0 {
            requests.push(EntryRequest {
                audit: None,
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
                transfers: vec![posted(
                    &hub.receivable,
                    &hub.euro_holding,
                    hub.euro_holding.amount(row.euro_minor)?,
                )],
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
        for fees in new_fees.chunks(INSERT_ROWS) {
            crate::db::execute(conn, diesel::insert_into(order_fees::table).values(fees))?;
        }
        for fee in &fee_updates {
            diesel::update(order_fees::table.find(&fee.id))
                .set((
                    order_fees::local_alloc_minor.eq(fee.local_alloc_minor),
                    order_fees::vat_local_minor.eq(fee.vat_local_minor),
                ))
                .execute(conn)?;
        }
        // the orders booking changed only by booking them: one statement; those whose hold
        // was lost changed more, each its own
        let (changed, booked): (Vec<&OrderRow>, Vec<&OrderRow>) =
            rows.iter().partition(|row| lost_hold(row));
        let booked: Vec<&str> = booked.iter().map(|row| row.id.as_str()).collect();
        diesel::update(orders::table.filter(orders::id.eq_any(&booked)))
            .set((orders::booked_at.eq(now), orders::updated_at.eq(now)))
            .execute(conn)?;
        for row in changed {
            diesel::update(orders::table.find(&row.id))
                .set(row)
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    }?;
    // booked, they leave the cycle's running sums (last: see `Shift::apply`)
    uncounted.leave(conn)?;
    Ok(Chunk::Booked(rows.len(), last))
}

/// Rows per insert of new fees ([`crate::db::execute`]: one multi-row statement on
/// PostgreSQL, 13 parameters a row, under its 65,535; one cached statement per row on SQLite).
const INSERT_ROWS: usize = 500;

/// The lines of `rows` in order and their fees, by order id.
#[allow(clippy::type_complexity)]
pub(super) fn lines_and_fees(
    conn: &mut DbConn,
    rows: &[OrderRow],
) -> Result<
    (
        HashMap<String, Vec<LineRow>>,
        HashMap<String, Vec<OrderFeeRow>>,
    ),
    OrderError,
> {
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
    Ok((lines_of, fees_of))
}

/// The holds of `rows` and the ids of those that can no longer be captured (expired, or
/// resolved by something other than this close's own entry).
pub(super) fn holds_of(
    conn: &mut DbConn,
    rows: &[OrderRow],
) -> Result<(Vec<TransferRow>, Vec<String>), OrderError> {
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
    Ok((holds, lost))
}

/// An order whose hold was lost, as its booking sees it: its local part due in euros.
pub(super) fn lose_hold(row: &mut OrderRow) {
    row.euro_minor += row.local_eur_minor;
    row.local_eur_minor = 0;
    row.local_minor = 0;
    // due again even if the first euro part was paid: the payment recorded next
    // receives only what is still owed
    if row.euro_minor > row.euro_received_minor {
        row.euro_state = EuroState::Due.as_str().into();
    }
}

/// The order's fees as its booking stores them — its pickup or delivery fee added first, as
/// one more of the hub's fees — and its local part allocated ([`allocate`]): the lines'
/// allocations and the fees.
pub(super) fn allocated(
    row: &OrderRow,
    lines: &[LineRow],
    mut order_fees: Vec<OrderFeeRow>,
    methods: &[ShippingMethodRow],
) -> Result<(Vec<i64>, Vec<OrderFeeRow>), OrderError> {
    let number = row.number.clone().unwrap_or_default();
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
    let allocation = allocate(row.local_eur_minor, lines, &mut order_fees)
        .map_err(|e| OrderError::internal(format!("order {number}: {e}")))?;
    Ok((allocation, order_fees))
}

/// What of an order's allocation is not on its lines and fees: its pickup or delivery
/// fee's VAT and local part (booking stores that fee as one more fee). A row for an order
/// says its lines and fees carry its current allocation ([`allocate_order`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_allocations)]
pub struct OrderAllocation {
    pub order_id: String,
    pub shipping_vat_minor: i64,
    pub shipping_local_alloc_minor: i64,
    pub shipping_vat_local_minor: i64,
}

/// Allocates the order's local part as booking will ([`allocated`]), while it is checked
/// out or adjusted: sets the local parts of `lines` (in position order) and `fees` (sorted
/// by id here, the order booking reads them in) and answers the rest, to store with
/// [`store_allocation`]. The close's preview sums what is stored instead of allocating
/// every order again.
pub fn allocate_order(
    row: &OrderRow,
    lines: &mut [LineRow],
    fees: &mut [OrderFeeRow],
    methods: &[ShippingMethodRow],
) -> Result<OrderAllocation, OrderError> {
    fees.sort_by(|a, b| a.id.cmp(&b.id));
    let (allocation, mut booked) = allocated(row, lines, fees.to_vec(), methods)?;
    for (line, alloc) in lines.iter_mut().zip(allocation) {
        line.local_alloc_minor = alloc;
    }
    let mut stored = OrderAllocation {
        order_id: row.id.clone(),
        ..OrderAllocation::default()
    };
    if row.shipping_fee_minor > 0 && !booked.is_empty() {
        let shipping = booked.remove(0);
        stored.shipping_vat_minor = shipping.vat_minor;
        stored.shipping_local_alloc_minor = shipping.local_alloc_minor;
        stored.shipping_vat_local_minor = shipping.vat_local_minor;
    }
    for (fee, allocated) in fees.iter_mut().zip(booked) {
        fee.local_alloc_minor = allocated.local_alloc_minor;
        fee.vat_local_minor = allocated.vat_local_minor;
    }
    Ok(stored)
}

/// Stores `allocation` for its order, replacing the one stored before if any.
pub fn store_allocation(
    conn: &mut DbConn,
    allocation: &OrderAllocation,
) -> Result<(), diesel::result::Error> {
    let conn = conn.diesel();
    diesel::delete(order_allocations::table.find(&allocation.order_id)).execute(conn)?;
    diesel::insert_into(order_allocations::table)
        .values(allocation)
        .execute(conn)?;
    Ok(())
}

pub(super) fn booking_failed(hub_id: &str, error: LedgerError) -> OrderError {
    tracing::error!(hub = %hub_id, %error, "a close could not book its orders");
    OrderError::from(error)
}
