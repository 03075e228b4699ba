//! Order numbers: readable and gapless, per hub and year — `CAG-2026-000123`.
//!
//! Decisions (README, *Order numbers*):
//! - Each hub's numbers start with its **order prefix** ([`crate::enterprises::prefix`]).
//! - A number is `PREFIX-YEAR-NNNNNN`: the year of the confirmation in the hub's time zone,
//!   then the hub's sequence in that year from 1, on six digits (more past 999 999).
//! - The sequence is a counter row per hub and year (`order_counters`), incremented by one
//!   upsert inside the checkout's transaction. On PostgreSQL the upsert locks the row until
//!   the transaction ends; SQLite's writers are serialised anyway. Concurrent checkouts at one
//!   hub therefore take consecutive numbers one after the other, and a checkout that fails
//!   after taking its number (stock gone, funds short) rolls it back with everything else:
//!   **no gaps**. The price is that checkouts at one hub commit one at a time from the moment
//!   they take their number (paying in local currency, they already queue at the ledger).
//!   Orders checked out before numbers per hub keep their `C-…` numbers.

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;

use super::OrderError;
use crate::db::schema::{enterprises, order_counters};
use crate::db::DbConn;

/// An order's number as shown: `CAG-2026-000123`.
pub fn format(prefix: &str, year: i32, n: i64) -> String {
    format!("{prefix}-{year}-{n:06}")
}

/// Takes the next number of hub `hub_id` for an order confirmed at `at` (UTC), inside the
/// caller's transaction (see the module documentation).
pub fn next(conn: &mut DbConn, hub_id: &str, at: NaiveDateTime) -> Result<String, OrderError> {
    let (prefix, zone): (String, String) = enterprises::table
        .find(hub_id)
        .select((enterprises::order_prefix, enterprises::time_zone))
        .first(conn.diesel())?;
    let year = crate::time::local(at, &zone).year();
    crate::db::execute(
        conn.diesel(),
        diesel::insert_into(order_counters::table)
            .values((
                order_counters::hub_id.eq(hub_id),
                order_counters::year.eq(year),
                order_counters::last_number.eq(1_i64),
            ))
            .on_conflict((order_counters::hub_id, order_counters::year))
            .do_update()
            .set(order_counters::last_number.eq(order_counters::last_number + 1)),
    )?;
    let n: i64 = order_counters::table
        .find((hub_id, year))
        .select(order_counters::last_number)
        .first(conn.diesel())?;
    let prefix = if crate::enterprises::prefix::valid_prefix(&prefix) {
        prefix
    } else {
        // a row written around the enterprise rules: its id's tail, still one hub's own
        format!("H{}", &hub_id[hub_id.len().saturating_sub(5)..]).to_ascii_uppercase()
    };
    Ok(format(&prefix, year, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_six_digits_at_least() {
        assert_eq!(format("CAG", 2026, 123), "CAG-2026-000123");
        assert_eq!(format("CAB", 2027, 1), "CAB-2027-000001");
        assert_eq!(format("CAG", 2026, 1_234_567), "CAG-2026-1234567");
    }
}
