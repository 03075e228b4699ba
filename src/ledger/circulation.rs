//! A local currency's circulation against its guarantee fund over time, for the treasurer's
//! statement: one point a day (the balances at the end of each day, in the deployment's time
//! zone) and the day's movements (every posted transfer that changed either).
//!
//! Both read the currency's issuance account (circulation is minus its balance) and its
//! guarantee-fund account (in the legal currency). The series walks back from today's cached
//! balances through the transfers of the days asked for, so it reads only those days'
//! transfers, however long the ledger.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use super::currencies::CurrencyRow;
use super::LedgerError;
use crate::db::schema::{ledger_accounts, ledger_entries, ledger_transfers};
use crate::db::DbConn;

/// The balances at the end of one day (minor units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPoint {
    pub day: NaiveDate,
    /// Local currency in circulation.
    pub circulation: i64,
    /// The guarantee fund, in the legal currency.
    pub fund: i64,
}

/// One posted transfer that changed circulation or the fund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub at: NaiveDateTime,
    pub entry_id: String,
    /// The entry's code (`issuance`, `reconversion`, `payout`, `reversal`…).
    pub code: String,
    pub reference: String,
    /// The change of circulation (local minor units), or 0.
    pub circulation: i64,
    /// The change of the fund (legal minor units), or 0.
    pub fund: i64,
}

/// An account's id and posted balance.
type Held = (String, i64);

/// The issuance and guarantee-fund accounts of `currency`.
fn accounts_of(conn: &mut DbConn, currency: &CurrencyRow) -> Result<(Held, Held), LedgerError> {
    let rows: Vec<(String, String, i64, i64)> = ledger_accounts::table
        .filter(ledger_accounts::for_currency.eq(&currency.code))
        .filter(ledger_accounts::kind.eq_any(["issuance", "guarantee_fund"]))
        .select((
            ledger_accounts::id,
            ledger_accounts::kind,
            ledger_accounts::credits_posted,
            ledger_accounts::debits_posted,
        ))
        .load(conn.diesel())?;
    let find = |kind: &str| {
        rows.iter()
            .find(|r| r.1 == kind)
            .map(|r| (r.0.clone(), r.2 - r.3))
            .ok_or_else(|| {
                LedgerError::AccountNotFound(format!("{} has no {kind} account", currency.code))
            })
    };
    Ok((find("issuance")?, find("guarantee_fund")?))
}

/// The posted movements of `currency`'s circulation and fund from `since` (UTC), oldest
/// first.
fn movements_since(
    conn: &mut DbConn,
    issuance: &str,
    fund: &str,
    since: NaiveDateTime,
) -> Result<Vec<Movement>, LedgerError> {
    let ids = [issuance.to_string(), fund.to_string()];
    let rows: Vec<(NaiveDateTime, String, String, String, String, String, i64)> =
        ledger_transfers::table
            .inner_join(ledger_entries::table)
            .filter(ledger_transfers::created_at.ge(since))
            .filter(ledger_transfers::kind.eq_any(["posted", "post_pending"]))
            .filter(
                ledger_transfers::debit_account_id
                    .eq_any(&ids)
                    .or(ledger_transfers::credit_account_id.eq_any(&ids)),
            )
            .order((ledger_entries::seq.asc(), ledger_transfers::position.asc()))
            .select((
                ledger_transfers::created_at,
                ledger_entries::id,
                ledger_entries::code,
                ledger_entries::reference,
                ledger_transfers::debit_account_id,
                ledger_transfers::credit_account_id,
                ledger_transfers::amount,
            ))
            .load(conn.diesel())?;
    let mut out: Vec<Movement> = Vec::new();
    for (at, entry_id, code, reference, debit, credit, amount) in rows {
        let signed = |account: &str| -> i64 {
            let mut change = 0;
            if credit == account {
                change += amount;
            }
            if debit == account {
                change -= amount;
            }
            change
        };
        // circulation is minus the issuance account's balance
        let circulation = -signed(issuance);
        let fund_change = signed(fund);
        match out.last_mut() {
            Some(last) if last.entry_id == entry_id => {
                last.circulation += circulation;
                last.fund += fund_change;
            }
            _ => out.push(Movement {
                at,
                entry_id,
                code,
                reference,
                circulation,
                fund: fund_change,
            }),
        }
    }
    Ok(out)
}

/// The UTC instant where `day` begins in `zone`.
fn start_of(day: NaiveDate, zone: &str) -> NaiveDateTime {
    let local = day.and_time(NaiveTime::MIN);
    match crate::time::zone(zone) {
        Some(tz) => {
            use chrono::TimeZone;
            tz.from_local_datetime(&local)
                .earliest()
                .map(|t| t.naive_utc())
                .unwrap_or(local)
        }
        None => local,
    }
}

/// The balances at the end of each of the `days` days ending `today` (in time zone `zone`),
/// oldest first; today's point is the current balance.
pub fn daily(
    conn: &mut DbConn,
    currency: &CurrencyRow,
    today: NaiveDate,
    days: u32,
    zone: &str,
) -> Result<Vec<DayPoint>, LedgerError> {
    let days = days.max(1);
    let first = today - Duration::days(i64::from(days) - 1);
    let ((issuance, issuance_balance), (fund, fund_balance)) = accounts_of(conn, currency)?;
    let moves = movements_since(conn, &issuance, &fund, start_of(first, zone))?;
    // walk back from now: the end of day d is now minus what moved after d ended
    let mut points = Vec::with_capacity(days as usize);
    let (mut circulation, mut fund_now) = (-issuance_balance, fund_balance);
    let mut later = moves.iter().rev().peekable();
    let mut day = today;
    loop {
        let end = start_of(day + Duration::days(1), zone);
        while let Some(m) = later.peek() {
            if m.at >= end {
                circulation -= m.circulation;
                fund_now -= m.fund;
                later.next();
            } else {
                break;
            }
        }
        points.push(DayPoint {
            day,
            circulation,
            fund: fund_now,
        });
        if day <= first {
            break;
        }
        day -= Duration::days(1);
    }
    points.reverse();
    Ok(points)
}

/// The movements of `currency`'s circulation and fund on `day` (in time zone `zone`), oldest
/// first.
pub fn movements_of_day(
    conn: &mut DbConn,
    currency: &CurrencyRow,
    day: NaiveDate,
    zone: &str,
) -> Result<Vec<Movement>, LedgerError> {
    let ((issuance, _), (fund, _)) = accounts_of(conn, currency)?;
    let end = start_of(day + Duration::days(1), zone);
    Ok(
        movements_since(conn, &issuance, &fund, start_of(day, zone))?
            .into_iter()
            .filter(|m| m.at < end)
            .collect(),
    )
}
