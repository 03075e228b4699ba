//! Accounting periods: a treasurer closes a past period once its moves are final. Closing
//! validates every ledger entry of the period first; afterwards no move can be dated inside
//! it (an entry reaching the books late is dated the day after, see [`super::moves`]), and
//! since moves are stored as validated, every export of the period is the same file. The
//! periods are the deployment's and close every enterprise's books too ([`super::books`]).

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::accounting::AccountingError;
use crate::db::schema::accounting_periods;
use crate::db::DbConn;
use crate::error::FieldError;

/// A period to close.
#[derive(Debug, Clone)]
pub struct ClosePeriod {
    /// First day (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// Last day, before today.
    pub to: NaiveDate,
}

/// A closed period.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounting_periods)]
pub struct Period {
    pub id: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// RFC 3339, UTC.
    pub closed_at: chrono::NaiveDateTime,
    pub closed_by: Option<String>,
}

/// Closes `from..=to` (see the module documentation).
pub fn close(
    conn: &mut DbConn,
    who: &crate::audit::Who,
    request: &ClosePeriod,
) -> Result<Period, AccountingError> {
    let closed_by = who.user_id.as_deref();
    let today = crate::time::now().date();
    let mut errors = Vec::new();
    if request.to < request.from {
        errors.push(FieldError::new(
            "to",
            "before_from",
            "must not be before `from`",
        ));
    }
    if request.to >= today {
        errors.push(FieldError::new(
            "to",
            "not_past",
            "must be before today: only a period that has ended can be closed",
        ));
    }
    if !errors.is_empty() {
        return Err(AccountingError::invalid(errors));
    }
    super::moves::validate_until(conn, request.to, &mut |_| {})?;
    super::books::validate_every_book_until(conn, request.to)?;
    conn.transaction(|conn| {
        let overlapping: i64 = accounting_periods::table
            .filter(accounting_periods::starts_on.le(request.to))
            .filter(accounting_periods::ends_on.ge(request.from))
            .count()
            .get_result(conn.diesel())?;
        if overlapping > 0 {
            return Err(AccountingError::PeriodClosed(format!(
                "{} to {} overlaps a closed period",
                request.from, request.to
            )));
        }
        let period = Period {
            id: crate::time::new_id(),
            starts_on: request.from,
            ends_on: request.to,
            closed_at: crate::time::now(),
            closed_by: closed_by.map(str::to_string),
        };
        diesel::insert_into(accounting_periods::table)
            .values((
                accounting_periods::id.eq(&period.id),
                accounting_periods::starts_on.eq(period.starts_on),
                accounting_periods::ends_on.eq(period.ends_on),
                accounting_periods::closed_at.eq(period.closed_at),
                accounting_periods::closed_by.eq(&period.closed_by),
            ))
            .execute(conn.diesel())?;
        crate::audit::record(
            conn,
            who,
            crate::audit::Act {
                action: "books.period_close",
                subject_kind: "period",
                subject_id: &period.id,
                enterprise_id: None,
                ledger_entry_id: None,
                details: serde_json::json!({"from": period.starts_on, "to": period.ends_on}),
            },
        )?;
        Ok(period)
    })
}

/// Closed periods, oldest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<Period>, AccountingError> {
    Ok(accounting_periods::table
        .order(accounting_periods::starts_on.asc())
        .select(Period::as_select())
        .load(conn.diesel())?)
}
