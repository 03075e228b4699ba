//! The closed periods as every book reads them: which they are, and the day an entry
//! reaching the books late is dated ([`super::periods`] closes them; the book pipeline,
//! [`super::pipeline`], dates every book's moves by them).

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::accounting::AccountingError;
use crate::db::schema::accounting_periods;
use crate::db::DbConn;

/// Every closed period, `(first, last)` days.
pub fn periods(conn: &mut DbConn) -> Result<Vec<(NaiveDate, NaiveDate)>, AccountingError> {
    Ok(accounting_periods::table
        .select((accounting_periods::starts_on, accounting_periods::ends_on))
        .load(conn.diesel())?)
}

/// `date`, or the day after every closed period (`(first, last)` days) it falls in — closed
/// periods may follow each other.
pub fn first_open_day(closed: &[(NaiveDate, NaiveDate)], mut date: NaiveDate) -> NaiveDate {
    while let Some((_, ends)) = closed.iter().find(|(s, e)| *s <= date && date <= *e) {
        match ends.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    date
}
