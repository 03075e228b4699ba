//! Order cycles: a hub's window (`opens_at` … `closes_at`) in which consumers order a chosen
//! set of variants. The state is derived from the clock and the close/settle marks.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::catalog::{Variant, VariantRow};
use crate::db::schema::{enterprises, order_cycle_variants, order_cycles, products, variants};
use crate::db::DbConn;
use crate::money::Money;
use crate::orders::OrderError;
use crate::pagination::{Page, PageParams};
use crate::time::utc;

/// Where a cycle is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleState {
    /// Not open yet.
    Upcoming,
    /// Taking orders.
    Open,
    /// No more orders; being packed and distributed.
    Closed,
    /// Producers have been paid.
    Settled,
}

impl CycleState {
    pub const ALL: &'static [CycleState] = &[
        CycleState::Upcoming,
        CycleState::Open,
        CycleState::Closed,
        CycleState::Settled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CycleState::Upcoming => "upcoming",
            CycleState::Open => "open",
            CycleState::Closed => "closed",
            CycleState::Settled => "settled",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_cycles)]
pub struct OrderCycleRow {
    pub id: String,
    pub hub_id: String,
    pub name: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub time_zone: String,
    pub closed_at: Option<NaiveDateTime>,
    pub settled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `as_paid` or `euros`, see [`crate::orders::close`].
    pub producer_settlement: String,
    pub copied_from_id: Option<String>,
    /// When the last failed close was tried (the background job waits before trying again).
    pub close_attempted_at: Option<NaiveDateTime>,
    pub close_error: Option<String>,
    /// When the settlement runs, if later than the close (see [`crate::orders::close`]).
    pub settles_at: Option<NaiveDateTime>,
}

impl OrderCycleRow {
    pub fn state(&self, now: NaiveDateTime) -> CycleState {
        if self.settled_at.is_some() {
            CycleState::Settled
        } else if self.closed_at.is_some() || now >= self.closes_at {
            CycleState::Closed
        } else if now < self.opens_at {
            CycleState::Upcoming
        } else {
            CycleState::Open
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = order_cycle_variants)]
pub struct OfferRow {
    pub order_cycle_id: String,
    pub variant_id: String,
    pub hub_price_eur_minor: Option<i64>,
}

/// An order cycle as shown by the API.
#[derive(Debug, Clone)]
pub struct OrderCycle {
    pub id: String,
    pub hub_id: String,
    pub name: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// IANA time zone the hub shows times in.
    pub time_zone: String,
    pub state: CycleState,
    /// How producers are paid at close: `as_paid` or `euros`.
    pub producer_settlement: String,
    /// The cycle this one was copied from.
    pub copied_from_id: Option<String>,
    /// Why the last attempt to close it failed, until a close succeeds.
    pub close_error: Option<String>,
    /// When the settlement runs, if later than the close: between the two the hub weighs,
    /// marks missing lines and records payments. None: the close settles at once.
    pub settles_at: Option<DateTime<Utc>>,
}

impl OrderCycle {
    fn from_row(row: OrderCycleRow, now: NaiveDateTime) -> OrderCycle {
        OrderCycle {
            state: row.state(now),
            id: row.id,
            hub_id: row.hub_id,
            name: row.name,
            opens_at: utc(row.opens_at),
            closes_at: utc(row.closes_at),
            time_zone: row.time_zone,
            producer_settlement: row.producer_settlement,
            copied_from_id: row.copied_from_id,
            close_error: row.close_error,
            settles_at: row.settles_at.map(utc),
        }
    }
}

/// A variant offered in a cycle, at the cycle's price.
#[derive(Debug, Clone)]
pub struct OfferedVariant {
    pub product_id: String,
    pub product_name: String,
    pub producer_id: String,
    pub producer_name: String,
    pub variant: Variant,
    /// The price in this cycle (the hub's price when it set one), tax included.
    pub cycle_price: Money,
}

/// A cycle with everything it offers.
#[derive(Debug, Clone)]
pub struct OrderCycleDetail {
    pub cycle: OrderCycle,
    pub offer: Vec<OfferedVariant>,
    /// The hub's fees in this cycle.
    pub fees: Vec<crate::orders::fees::CycleFee>,
}

/// A hub's cycles, newest first within the id order of the cursor.
pub fn list_for_hub(
    conn: &mut DbConn,
    hub_id: &str,
    page: &PageParams,
) -> Result<Page<OrderCycle>, OrderError> {
    let limit = page.fetch_limit();
    let rows: Vec<OrderCycleRow> = {
        let conn = conn.diesel();
        let mut query = order_cycles::table
            .filter(order_cycles::hub_id.eq(hub_id))
            .select(OrderCycleRow::as_select())
            .order(order_cycles::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = &page.after {
            query = query.filter(order_cycles::id.gt(after.clone()));
        }
        query.load(conn)
    }?;
    let now = crate::time::now();
    Ok(page
        .paginate(rows, |r| r.id.clone())
        .map(|row| OrderCycle::from_row(row, now)))
}

/// A hub's `limit` latest cycles, the one closing last first (its office's list).
pub fn newest_of_hub(
    conn: &mut DbConn,
    hub_id: &str,
    limit: u32,
) -> Result<Vec<OrderCycleRow>, OrderError> {
    Ok(order_cycles::table
        .filter(order_cycles::hub_id.eq(hub_id))
        .select(OrderCycleRow::as_select())
        .order((order_cycles::closes_at.desc(), order_cycles::id.desc()))
        .limit(i64::from(limit))
        .load(conn.diesel())?)
}

/// The cycle row, or 404.
pub fn find_row(conn: &mut DbConn, cycle_id: &str) -> Result<OrderCycleRow, OrderError> {
    let row: Option<OrderCycleRow> = order_cycles::table
        .find(cycle_id)
        .select(OrderCycleRow::as_select())
        .first(conn.diesel())
        .optional()?;
    row.ok_or_else(|| OrderError::NotFound(format!("no order cycle `{cycle_id}`")))
}

/// The cycle row, once `action` (built from the cycle's hub) is allowed to `actor`.
pub fn find_for(
    conn: &mut DbConn,
    cycle_id: &str,
    actor: &crate::auth::actor::Actor,
    action: for<'a> fn(&'a str) -> crate::auth::policy::Action<'a>,
) -> Result<OrderCycleRow, OrderError> {
    let cycle = find_row(conn, cycle_id)?;
    crate::auth::policy::authorize(actor, action(&cycle.hub_id))?;
    Ok(cycle)
}

/// The cycle row, which must be open now: 409 `cycle-not-open` otherwise.
pub fn find_open(conn: &mut DbConn, cycle_id: &str) -> Result<OrderCycleRow, OrderError> {
    let cycle = find_row(conn, cycle_id)?;
    let state = cycle.state(crate::time::now());
    if state != CycleState::Open {
        return Err(OrderError::CycleNotOpen(format!(
            "order cycle `{}` is {}, not open",
            cycle.name,
            state.as_str()
        )));
    }
    Ok(cycle)
}

/// [`find_open`] for a change to an order (checkout, cancel, adjustment): the cycle row is
/// locked shared first, so the close — which locks it exclusively to mark the cycle closed —
/// waits for changes under way and every later one sees the cycle closed. No order changes
/// after the close has listed the orders to book.
pub fn find_open_for_order(conn: &mut DbConn, cycle_id: &str) -> Result<OrderCycleRow, OrderError> {
    crate::db::lock_row_shared(conn, "order_cycles", cycle_id)?;
    find_open(conn, cycle_id)
}

/// The cycle of an order the hub is still preparing — open, or closed and not settled (its
/// settlement is what books the orders) — locked shared as [`find_open_for_order`] does, so
/// that a settlement is not under way meanwhile. For weighing, missing lines and the hub's
/// cancellations between the close and the settlement.
pub fn find_unsettled_for_order(
    conn: &mut DbConn,
    cycle_id: &str,
) -> Result<OrderCycleRow, OrderError> {
    crate::db::lock_row_shared(conn, "order_cycles", cycle_id)?;
    let cycle = find_row(conn, cycle_id)?;
    match cycle.state(crate::time::now()) {
        CycleState::Open | CycleState::Closed => Ok(cycle),
        CycleState::Upcoming => Err(OrderError::CycleNotOpen(format!(
            "order cycle `{}` has not opened yet",
            cycle.name
        ))),
        CycleState::Settled => Err(OrderError::CycleNotOpen(format!(
            "order cycle `{}` is settled: its orders are final",
            cycle.name
        ))),
    }
}

/// A cycle and its offer (active variants only), ordered by producer then product name
/// (byte order, the same on every backend).
pub fn detail(conn: &mut DbConn, cycle_id: &str) -> Result<OrderCycleDetail, OrderError> {
    let row = find_row(conn, cycle_id)?;
    let offered = offer(conn, cycle_id)?;
    let legal = crate::ledger::currencies::legal(conn)?;
    let fees = crate::orders::fees::for_cycle(conn, cycle_id)?
        .into_iter()
        .map(|row| crate::orders::fees::CycleFee::of(row, legal))
        .collect::<Result<_, _>>()?;
    Ok(OrderCycleDetail {
        cycle: OrderCycle::from_row(row, crate::time::now()),
        offer: offered,
        fees,
    })
}

/// The variants a cycle offers (archived ones excluded).
pub fn offer(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<OfferedVariant>, OrderError> {
    type OfferTuple = (VariantRow, Option<i64>, String, String);
    let rows: Vec<OfferTuple> = order_cycle_variants::table
        .inner_join(variants::table.inner_join(products::table.inner_join(enterprises::table)))
        .filter(order_cycle_variants::order_cycle_id.eq(cycle_id))
        .filter(variants::archived_at.is_null())
        .select((
            VariantRow::as_select(),
            order_cycle_variants::hub_price_eur_minor,
            products::name,
            enterprises::name,
        ))
        .load(conn.diesel())?;
    let mut rows = rows;
    // sorted here, not in SQL: the databases' collations differ, the order must not
    rows.sort_by(|a, b| (&a.3, &a.2, &a.0.id).cmp(&(&b.3, &b.2, &b.0.id)));
    let legal = crate::ledger::currencies::legal(conn)?;
    rows.into_iter()
        .map(|(variant, hub_price, product_name, producer_name)| {
            OfferedVariant::of(variant, hub_price, product_name, producer_name, legal)
        })
        .collect()
}

impl OfferedVariant {
    /// A variant as a cycle offers it: at the hub's price when the hub set one
    /// (`order_cycle_variants.hub_price_eur_minor`), else at the producer's. The one rule of
    /// a cycle's prices: [`offer`] and the shop's pages ([`super::shopfront`]) both use it.
    pub fn of(
        variant: VariantRow,
        hub_price: Option<i64>,
        product_name: String,
        producer_name: String,
        legal: crate::deployment::Legal,
    ) -> Result<OfferedVariant, OrderError> {
        let cycle_price = legal.money(hub_price.unwrap_or(variant.price_eur_minor));
        Ok(OfferedVariant {
            product_id: variant.product_id.clone(),
            producer_id: variant.producer_id.clone(),
            product_name,
            producer_name,
            cycle_price,
            variant: Variant::of(variant, legal)?,
        })
    }
}

/// A public hub with a cycle taking orders now.
#[derive(Debug, Clone)]
pub struct OpenShop {
    pub hub_slug: String,
    pub hub_name: String,
    pub hub_description: String,
    pub cycle: OrderCycleRow,
}

/// Every cycle taking orders now in a public hub, closing soonest first: the marketplace's
/// front page.
pub fn open_shops(conn: &mut DbConn) -> Result<Vec<OpenShop>, OrderError> {
    let now = crate::time::now();
    let rows: Vec<(OrderCycleRow, (String, String, String))> = order_cycles::table
        .inner_join(enterprises::table.on(enterprises::id.eq(order_cycles::hub_id)))
        .filter(enterprises::visibility.eq("public"))
        .filter(order_cycles::closed_at.is_null())
        .filter(order_cycles::settled_at.is_null())
        .filter(order_cycles::opens_at.le(now))
        .filter(order_cycles::closes_at.gt(now))
        .order((order_cycles::closes_at.asc(), order_cycles::id.asc()))
        .select((
            OrderCycleRow::as_select(),
            (
                enterprises::slug,
                enterprises::name,
                enterprises::description,
            ),
        ))
        .limit(200)
        .load(conn.diesel())?;
    Ok(rows
        .into_iter()
        .map(|(cycle, (hub_slug, hub_name, hub_description))| OpenShop {
            hub_slug,
            hub_name,
            hub_description,
            cycle,
        })
        .collect())
}
