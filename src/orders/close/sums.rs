//! What each cycle's confirmed orders not booked yet hold, kept as running sums in
//! `cycle_unbooked_sums` (per kind, producer and local currency), so that the close page's
//! [`super::preview`] reads a cycle's few rows instead of summing its lines on every visit.
//!
//! The sums are [`UNBOOKED`]'s: an order counts while it is confirmed and not booked; its
//! lines and producer fees (`goods`, `fees`) and its fees' VAT (`vat`) count once its
//! allocation is stored ([`super::allocate_order`]); what it puts in the hub's holding
//! accounts (`held`) and the order itself (`orders`) count from checkout. Every write that
//! changes what an order counts for goes through a [`Shift`], in the same transaction:
//! cancellation, adjustment and booking; checkout adds what the order it confirms counts for
//! from the rows it has just written ([`Shift::confirmed`]: a cart counted for nothing).
//! [`drift`] compares the sums with [`UNBOOKED`] worked out from the orders: the marketplace
//! property runs it after every step; [`rebuild`] recomputes a cycle's.
//!
//! A shift writes once, at the end of its transaction, the difference between what the
//! orders counted for before and after, in key order: two transactions changing the same
//! cycle's sums lock its rows in the same order (PostgreSQL), so they wait, never deadlock.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::super::fees::OrderFeeRow;
use super::super::order::{LineRow, OrderRow};
use super::OrderAllocation;
use crate::db::schema::cycle_unbooked_sums as sums;
use crate::db::{AnyConnection, DbConn};
use crate::orders::OrderError;

/// The sums of the confirmed orders not booked yet that `{filter}` (a condition on the
/// orders `o`, binding `$1`) keeps, per cycle, kind, producer and currency ('' for none),
/// with how many lines, fees or orders each sums.
macro_rules! unbooked_sql {
    ($filter:expr) => {
        format!(
            "WITH o AS (
        SELECT o.id AS id, o.order_cycle_id AS cycle,
            COALESCE(o.local_currency, '') AS currency, o.local_minor AS local_minor,
            o.euro_minor AS euro_minor, o.shipping_fee_minor AS shipping_fee_minor,
            CASE WHEN a.order_id IS NULL THEN 0 ELSE 1 END AS allocated,
            a.shipping_vat_minor AS shipping_vat_minor,
            a.shipping_vat_local_minor AS shipping_vat_local_minor
        FROM orders o LEFT JOIN order_allocations a ON a.order_id = o.id
        WHERE {} AND o.state = 'confirmed' AND o.booked_at IS NULL)
    SELECT o.cycle AS order_cycle_id, CAST('goods' AS TEXT) AS kind,
        COALESCE(l.producer_id, '') AS producer_id, o.currency AS currency,
        CAST(SUM(l.total_minor) AS BIGINT) AS total,
        CAST(SUM(l.local_alloc_minor) AS BIGINT) AS local, CAST(COUNT(*) AS BIGINT) AS counted
    FROM o JOIN order_lines l ON l.order_id = o.id
    WHERE o.allocated = 1
    GROUP BY o.cycle, COALESCE(l.producer_id, ''), o.currency
    UNION ALL
    SELECT o.cycle, CAST('fees' AS TEXT), COALESCE(f.producer_id, ''), o.currency,
        CAST(SUM(f.amount_minor) AS BIGINT), CAST(SUM(f.local_alloc_minor) AS BIGINT),
        CAST(COUNT(*) AS BIGINT)
    FROM o JOIN order_fees f ON f.order_id = o.id
    WHERE o.allocated = 1 AND f.charged_to = 'producer'
    GROUP BY o.cycle, COALESCE(f.producer_id, ''), o.currency
    UNION ALL
    SELECT v.cycle, CAST('vat' AS TEXT), CAST('' AS TEXT), v.currency,
        CAST(SUM(v.vat) AS BIGINT), CAST(SUM(v.vat_local) AS BIGINT), CAST(COUNT(*) AS BIGINT)
    FROM (SELECT o.cycle AS cycle, o.currency AS currency, f.vat_minor AS vat,
                f.vat_local_minor AS vat_local
            FROM o JOIN order_fees f ON f.order_id = o.id
            WHERE o.allocated = 1
        UNION ALL
        SELECT cycle, currency, shipping_vat_minor, shipping_vat_local_minor
            FROM o WHERE allocated = 1 AND shipping_fee_minor > 0) v
    GROUP BY v.cycle, v.currency
    UNION ALL
    SELECT cycle, CAST('held' AS TEXT), CAST('' AS TEXT), currency,
        CAST(SUM(euro_minor) AS BIGINT), CAST(SUM(local_minor) AS BIGINT),
        CAST(COUNT(*) AS BIGINT)
    FROM o GROUP BY cycle, currency
    UNION ALL
    SELECT cycle, CAST('orders' AS TEXT), CAST('' AS TEXT), CAST('' AS TEXT),
        CAST(COUNT(*) AS BIGINT), CAST(0 AS BIGINT), CAST(COUNT(*) AS BIGINT)
    FROM o GROUP BY cycle",
            $filter
        )
    };
}

/// [`unbooked_sql`] of cycle `$1`: the reference the running sums must equal.
pub static UNBOOKED: LazyLock<String> = LazyLock::new(|| unbooked_sql!("o.order_cycle_id = $1"));
/// [`unbooked_sql`] of order `$1`.
static OF_ORDER: LazyLock<String> = LazyLock::new(|| unbooked_sql!("o.id = $1"));
/// [`unbooked_sql`] of the orders whose ids are the array `$1` (PostgreSQL).
static OF_ORDERS_PG: LazyLock<String> = LazyLock::new(|| unbooked_sql!("o.id = ANY($1)"));
/// [`unbooked_sql`] of the orders whose ids are the JSON array `$1` (SQLite).
static OF_ORDERS_SQLITE: LazyLock<String> =
    LazyLock::new(|| unbooked_sql!("o.id IN (SELECT value FROM json_each($1))"));

/// One sum: of [`UNBOOKED`], or a row of `cycle_unbooked_sums`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, Queryable, Selectable, Insertable)]
#[diesel(table_name = sums)]
pub struct Sum {
    #[diesel(sql_type = Text)]
    pub order_cycle_id: String,
    /// `goods`, `fees` (charged to producers), `vat` (of every fee), `held` (`total`: the
    /// euro parts, `local`: the local parts) or `orders` (`total`: how many).
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// '' where none.
    #[diesel(sql_type = Text)]
    pub producer_id: String,
    /// The orders' local currency, '' where none.
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    #[diesel(sql_type = BigInt)]
    pub local: i64,
    /// How many lines, fees or orders it sums.
    #[diesel(sql_type = BigInt)]
    pub counted: i64,
}

type Key = (String, String, String, String);

impl Sum {
    fn key(&self) -> Key {
        (
            self.order_cycle_id.clone(),
            self.kind.clone(),
            self.producer_id.clone(),
            self.currency.clone(),
        )
    }
}

/// What `ids` count for now.
fn of_orders(conn: &mut DbConn, ids: &[String]) -> Result<Vec<Sum>, OrderError> {
    Ok(match (ids, conn.diesel()) {
        ([], _) => Vec::new(),
        ([id], c) => diesel::sql_query(OF_ORDER.as_str())
            .bind::<Text, _>(id)
            .load(c)?,
        (ids, AnyConnection::Postgres(c)) => diesel::sql_query(OF_ORDERS_PG.as_str())
            .bind::<Array<Text>, _>(ids)
            .load(c)?,
        (ids, AnyConnection::Sqlite(c)) => {
            let json =
                serde_json::to_string(ids).map_err(|e| OrderError::internal(e.to_string()))?;
            diesel::sql_query(OF_ORDERS_SQLITE.as_str())
                .bind::<Text, _>(json)
                .load(c)?
        }
    })
}

/// A change to what some orders count for: read before the change ([`Shift::before`]),
/// written after it ([`Shift::apply`]), in the same transaction.
#[must_use = "a shift changes the sums only when applied"]
pub struct Shift {
    ids: Vec<String>,
    before: Vec<Sum>,
}

impl Shift {
    /// What `ids` count for before the change.
    pub fn before(conn: &mut DbConn, ids: Vec<String>) -> Result<Shift, OrderError> {
        let before = of_orders(conn, &ids)?;
        Ok(Shift { ids, before })
    }

    /// What `order`, a cart just confirmed with these lines, fees and stored allocation,
    /// adds to its cycle's sums, worked out from them as [`UNBOOKED`] would from the rows
    /// written (checkout has them in hand: no query; [`drift`] checks they agree), and
    /// written at once. Call it after the order's rows are written, last of the writes that
    /// lock rows (see [`Shift::apply`]).
    pub fn confirmed(
        conn: &mut DbConn,
        order: &OrderRow,
        lines: &[LineRow],
        fees: &[OrderFeeRow],
        allocation: &OrderAllocation,
    ) -> Result<(), OrderError> {
        let cycle = order.order_cycle_id.as_str();
        let currency = order.local_currency.clone().unwrap_or_default();
        let mut sums: BTreeMap<Key, (i64, i64, i64)> = BTreeMap::new();
        let mut add = |kind: &str, producer: &Option<String>, v: (i64, i64)| {
            let currency = match kind {
                "orders" => String::new(),
                _ => currency.clone(),
            };
            let key = (
                cycle.to_string(),
                kind.to_string(),
                producer.clone().unwrap_or_default(),
                currency,
            );
            let e = sums.entry(key).or_default();
            e.0 += v.0;
            e.1 += v.1;
            e.2 += 1;
        };
        for line in lines {
            add(
                "goods",
                &line.producer_id,
                (line.total_minor, line.local_alloc_minor),
            );
        }
        for fee in fees {
            if fee.charged_to == "producer" {
                add(
                    "fees",
                    &fee.producer_id,
                    (fee.amount_minor, fee.local_alloc_minor),
                );
            }
            add("vat", &None, (fee.vat_minor, fee.vat_local_minor));
        }
        if order.shipping_fee_minor > 0 {
            let v = (
                allocation.shipping_vat_minor,
                allocation.shipping_vat_local_minor,
            );
            add("vat", &None, v);
        }
        add("held", &None, (order.euro_minor, order.local_minor));
        add("orders", &None, (1, 0));
        add_rows(conn, &rows_of(sums))
    }

    /// Writes what the orders count for now less what they counted for before: one
    /// statement, the rows in key order. Call it last in the transaction's writes.
    pub fn apply(self, conn: &mut DbConn) -> Result<(), OrderError> {
        let after = of_orders(conn, &self.ids)?;
        self.write(conn, after)
    }

    /// [`Shift::apply`] for orders that now count for nothing — booked ones — without
    /// reading them again.
    pub fn leave(self, conn: &mut DbConn) -> Result<(), OrderError> {
        self.write(conn, Vec::new())
    }

    /// Writes `after` less what the orders counted for before.
    fn write(self, conn: &mut DbConn, after: Vec<Sum>) -> Result<(), OrderError> {
        let mut delta: BTreeMap<Key, (i64, i64, i64)> = BTreeMap::new();
        for (sums, sign) in [(after, 1), (self.before, -1)] {
            for s in sums {
                let e = delta.entry(s.key()).or_default();
                e.0 += sign * s.total;
                e.1 += sign * s.local;
                e.2 += sign * s.counted;
            }
        }
        delta.retain(|_, v| *v != (0, 0, 0));
        add_rows(conn, &rows_of(delta))
    }
}

/// Sums by key, in key order.
fn rows_of(sums: BTreeMap<Key, (i64, i64, i64)>) -> Vec<Sum> {
    sums.into_iter()
        .map(
            |((order_cycle_id, kind, producer_id, currency), (total, local, counted))| Sum {
                order_cycle_id,
                kind,
                producer_id,
                currency,
                total,
                local,
                counted,
            },
        )
        .collect()
}

/// Adds `rows` to the sums (a row not there yet is created), in their order: one statement
/// on PostgreSQL (arrays), one cached statement per row on SQLite (a local call each).
fn add_rows(conn: &mut DbConn, rows: &[Sum]) -> Result<(), OrderError> {
    if rows.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&Sum) -> &String| rows.iter().map(f).cloned().collect::<Vec<String>>();
    let number = |f: fn(&Sum) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
    crate::db::per_backend(
        conn,
        |c| {
            use diesel::upsert::excluded;
            for row in rows {
                // the query builder's statement: prepared once per connection and cached
                diesel::insert_into(sums::table)
                    .values(row)
                    .on_conflict((
                        sums::order_cycle_id,
                        sums::kind,
                        sums::producer_id,
                        sums::currency,
                    ))
                    .do_update()
                    .set((
                        sums::total.eq(sums::total + excluded(sums::total)),
                        sums::local.eq(sums::local + excluded(sums::local)),
                        sums::counted.eq(sums::counted + excluded(sums::counted)),
                    ))
                    .execute(c)?;
            }
            Ok::<_, diesel::result::Error>(())
        },
        |c| {
            diesel::sql_query(format!(
                "{INSERT} SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7) {ADD}"
            ))
            .bind::<Array<Text>, _>(column(|s| &s.order_cycle_id))
            .bind::<Array<Text>, _>(column(|s| &s.kind))
            .bind::<Array<Text>, _>(column(|s| &s.producer_id))
            .bind::<Array<Text>, _>(column(|s| &s.currency))
            .bind::<Array<BigInt>, _>(number(|s| s.total))
            .bind::<Array<BigInt>, _>(number(|s| s.local))
            .bind::<Array<BigInt>, _>(number(|s| s.counted))
            .execute(c)?;
            Ok(())
        },
    )?;
    Ok(())
}

const INSERT: &str = "INSERT INTO cycle_unbooked_sums
    (order_cycle_id, kind, producer_id, currency, total, local, counted)";
const ADD: &str = "ON CONFLICT (order_cycle_id, kind, producer_id, currency) DO UPDATE SET
    total = cycle_unbooked_sums.total + excluded.total,
    local = cycle_unbooked_sums.local + excluded.local,
    counted = cycle_unbooked_sums.counted + excluded.counted";

/// The running sums of cycle `cycle_id` that sum something, in key order.
pub fn of_cycle(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<Sum>, OrderError> {
    Ok(sums::table
        .filter(sums::order_cycle_id.eq(cycle_id))
        .filter(sums::counted.ne(0))
        .order((sums::kind, sums::producer_id, sums::currency))
        .select(Sum::as_select())
        .load(conn.diesel())?)
}

/// [`UNBOOKED`] of cycle `cycle_id`, worked out from its orders, in key order.
fn worked_out(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<Sum>, OrderError> {
    let mut sums: Vec<Sum> = diesel::sql_query(UNBOOKED.as_str())
        .bind::<Text, _>(cycle_id)
        .load(conn.diesel())?;
    sums.sort_by_key(Sum::key);
    Ok(sums)
}

/// How the running sums of cycle `cycle_id` differ from those worked out from its orders:
/// each sum that is not what it should be, as `kind producer currency: kept vs worked out`.
/// Empty unless a write path changed an order without a [`Shift`]. Every row that holds
/// anything is compared (one summing no line with a total left over is drift too), both
/// read in one snapshot.
pub fn drift(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<String>, OrderError> {
    let (kept, should) = conn.read_snapshot(|conn| -> Result<_, OrderError> {
        let kept: Vec<Sum> = sums::table
            .filter(sums::order_cycle_id.eq(cycle_id))
            .filter(
                sums::counted
                    .ne(0)
                    .or(sums::total.ne(0))
                    .or(sums::local.ne(0)),
            )
            .select(Sum::as_select())
            .load(conn.diesel())?;
        Ok((kept, worked_out(conn, cycle_id)?))
    })?;
    let kept: BTreeMap<Key, Sum> = kept.into_iter().map(|s| (s.key(), s)).collect();
    let mut should: BTreeMap<Key, Sum> = should.into_iter().map(|s| (s.key(), s)).collect();
    let mut drift = Vec::new();
    for (key, sum) in &kept {
        if should.remove(key).as_ref() != Some(sum) {
            drift.push(format!("{key:?}: kept {sum:?}"));
        }
    }
    for (key, sum) in should {
        drift.push(format!("{key:?}: missing, should be {sum:?}"));
    }
    Ok(drift)
}

/// Recomputes the running sums of cycle `cycle_id` from its orders, as the migration that
/// created them did for every cycle: for tests, and for a repair made by hand **with the
/// servers stopped** — it does not wait for concurrent checkouts or bookings, whose changes
/// between its read and its write would be lost.
pub fn rebuild(conn: &mut DbConn, cycle_id: &str) -> Result<(), OrderError> {
    conn.transaction(|conn| -> Result<(), OrderError> {
        let sums = worked_out(conn, cycle_id)?;
        diesel::delete(sums::table.filter(sums::order_cycle_id.eq(cycle_id)))
            .execute(conn.diesel())?;
        add_rows(conn, &sums)
    })
}
