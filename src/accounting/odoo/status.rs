//! How the push stands (`comptoir odoo status`) and sending moves again after a person fixed
//! Odoo (`comptoir odoo retry`).

use diesel::prelude::*;
use serde::Serialize;

use super::lease;
use crate::accounting::moves::MoveRow;
use crate::accounting::AccountingError;
use crate::db::schema::{accounting_moves, odoo_reconcile_failures, odoo_sync};
use crate::db::DbConn;

/// A move that failed or conflicts, as `odoo status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Trouble {
    /// The move's number (`MLC2026-000052`).
    pub number: String,
    /// The error, or the conflict with both sides.
    pub text: String,
}

/// How the push stands: moves per state, who is syncing, and what needs a person.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub pending: i64,
    pub pushed: i64,
    pub failed: i64,
    pub conflicts: i64,
    /// Moves validated but not seen by a sync yet.
    pub not_seen: i64,
    /// The running sync, when one runs.
    pub running: Option<lease::Holder>,
    /// The latest failed moves (at most 10), newest first.
    pub latest_errors: Vec<Trouble>,
    /// Every conflict, in ledger order (at most 50).
    pub conflict_list: Vec<Trouble>,
    /// Reconciliations that failed: (account code, letter, error).
    pub reconcile_failures: Vec<(String, String, String)>,
}

impl SyncStatus {
    /// Nothing needs a person.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.conflicts == 0 && self.reconcile_failures.is_empty()
    }
}

fn troubles(conn: &mut DbConn, state: &str, limit: i64) -> Result<Vec<Trouble>, AccountingError> {
    let rows: Vec<(MoveRow, Option<String>, Option<String>)> = {
        let conn = conn.diesel();
        let query = accounting_moves::table
            .inner_join(odoo_sync::table)
            .filter(odoo_sync::state.eq(state))
            .select((
                MoveRow::as_select(),
                odoo_sync::last_error,
                odoo_sync::conflict,
            ))
            .limit(limit);
        if state == "failed" {
            query.order(odoo_sync::updated_at.desc()).load(conn)
        } else {
            query.order(accounting_moves::ledger_seq.asc()).load(conn)
        }
    }?;
    Ok(rows
        .into_iter()
        .map(|(m, error, conflict)| Trouble {
            number: m.number_text(),
            text: conflict.or(error).unwrap_or_default(),
        })
        .collect())
}

pub fn status(conn: &mut DbConn) -> Result<SyncStatus, AccountingError> {
    let (states, moves) = {
        let conn = conn.diesel();
        let states: Vec<(String, i64)> = odoo_sync::table
            .group_by(odoo_sync::state)
            .select((odoo_sync::state, diesel::dsl::count_star()))
            .load(conn)?;
        let moves: i64 = accounting_moves::table.count().get_result(conn)?;
        Ok::<_, diesel::result::Error>((states, moves))
    }?;
    let reconcile_failures: Vec<(String, String, String)> = odoo_reconcile_failures::table
        .order((
            odoo_reconcile_failures::account_code,
            odoo_reconcile_failures::letter,
        ))
        .select((
            odoo_reconcile_failures::account_code,
            odoo_reconcile_failures::letter,
            odoo_reconcile_failures::error,
        ))
        .load(conn.diesel())?;
    let count = |s: &str| states.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let seen: i64 = states.iter().map(|(_, n)| n).sum();
    Ok(SyncStatus {
        pending: count("pending"),
        pushed: count("pushed"),
        failed: count("failed"),
        conflicts: count("conflict"),
        not_seen: moves - seen,
        running: lease::current(conn)?,
        latest_errors: troubles(conn, "failed", 10)?,
        conflict_list: troubles(conn, "conflict", 50)?,
        reconcile_failures,
    })
}

/// Which moves `comptoir odoo retry` sends again.
#[derive(Debug, Clone)]
pub enum Retry {
    /// Every failed or conflicting move.
    All,
    /// One move, by number (`MLC2026-000052`).
    Move(String),
}

/// Parses `MLC2026-000052` into (journal, year, number).
fn parse_number(text: &str) -> Option<(String, i32, i64)> {
    let (head, number) = text.trim().split_once('-')?;
    if head.len() < 5 {
        return None;
    }
    let (journal, year) = head.split_at(head.len() - 4);
    if journal.is_empty() {
        return None;
    }
    Some((
        journal.to_string(),
        year.parse().ok()?,
        number.parse().ok()?,
    ))
}

/// Makes failed or conflicting moves due at the next sync (from the start: attempts at zero,
/// the conflict forgotten); returns how many. A person runs it after fixing Odoo.
pub fn retry(conn: &mut DbConn, which: &Retry) -> Result<usize, AccountingError> {
    let now = crate::time::now();
    let ids: Vec<String> = match which {
        Retry::All => odoo_sync::table
            .filter(odoo_sync::state.eq_any(["failed", "conflict"]))
            .select(odoo_sync::ledger_entry_id)
            .load(conn.diesel())?,
        Retry::Move(text) => {
            let (journal, year, number) = parse_number(text).ok_or_else(|| {
                AccountingError::field("move", "format", "a move number such as MLC2026-000052")
            })?;
            let found: Option<(String, Option<String>)> = accounting_moves::table
                .left_join(odoo_sync::table)
                .filter(accounting_moves::journal_code.eq(&journal))
                .filter(accounting_moves::fiscal_year.eq(year))
                .filter(accounting_moves::number.eq(number))
                .select((
                    accounting_moves::ledger_entry_id,
                    odoo_sync::state.nullable(),
                ))
                .first(conn.diesel())
                .optional()?;
            match found {
                None => {
                    return Err(AccountingError::NotFound(format!(
                        "no move {}",
                        text.trim()
                    )));
                }
                Some((_, Some(state))) if state == "pushed" => {
                    return Err(AccountingError::Conflict(format!(
                        "{} is in Odoo already",
                        text.trim()
                    )));
                }
                Some((_, None)) => return Ok(0), // not seen yet: the next sync takes it
                Some((id, Some(_))) => vec![id],
            }
        }
    };
    let mut changed = 0;
    for chunk in ids.chunks(500) {
        changed +=
            diesel::update(odoo_sync::table.filter(odoo_sync::ledger_entry_id.eq_any(chunk)))
                .set((
                    odoo_sync::state.eq("pending"),
                    odoo_sync::attempts.eq(0),
                    odoo_sync::next_attempt_at.eq(now),
                    odoo_sync::conflict.eq(None::<String>),
                    odoo_sync::last_error.eq(None::<String>),
                    odoo_sync::updated_at.eq(now),
                ))
                .execute(conn.diesel())?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn move_numbers_are_read_back() {
        assert_eq!(
            parse_number("MLC2026-000052"),
            Some(("MLC".into(), 2026, 52))
        );
        assert_eq!(parse_number("VT2026-000001"), Some(("VT".into(), 2026, 1)));
        for bad in ["", "2026-1", "MLC-1", "MLC2026", "MLCxxxx-1", "MLC2026-x"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
