//! `comptoir ledger verify`: recomputes everything the ledger caches or promises, from the
//! journal alone, and lists every violation.
//!
//! 1. The hash chain: `seq` runs 1..n without gaps, each entry names its predecessor's hash,
//!    each hash recomputes from the entry's content, and the head matches the last entry.
//! 2. Per currency, the balances of all accounts sum to zero (posted and pending).
//! 3. Every account's cached totals equal the sums of its transfers.
//! 4. No account is beyond its overdraft limit.
//! 5. For each local currency, circulation (−issuance balance) × parity ≤ guarantee fund.
//! 6. For each hub, its *customer credit* account's balance equals the sum of its
//!    customers' credits (`customer_credits`, the per-customer detail the orders keep).
//!
//! Entries and accounts are read in chunks, so memory stays constant whatever the size.

use std::fmt;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use rust_decimal::Decimal;

use super::currencies::CurrencyRow;
use super::journal::{entry_hash, EntryRow, TransferRow, GENESIS_HASH};
use super::LedgerError;
use crate::db::schema::{currencies, ledger_entries, ledger_head, ledger_transfers};
use crate::db::DbConn;

const CHUNK: i64 = 500;

/// What verification found.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub entries: i64,
    pub accounts: i64,
    pub currencies: Vec<CurrencyStatement>,
    /// Entries that are administrative acts (issuances, payouts, reversals) and carry their
    /// audit event.
    pub audited: i64,
    /// Such entries written before the audit trail began (the first event), so without one.
    pub before_audit: i64,
    pub violations: Vec<String>,
}

/// The guarantee-fund statement of one local currency (minor units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyStatement {
    pub code: String,
    pub circulation: i64,
    pub fund_eur: i64,
    /// fund − circulation, in euro minor units.
    pub difference_eur: i64,
    /// Local currency held (positive balances): circulation plus money created on credit.
    pub held: i64,
    /// Mutual credit in use (negative balances): money held but backed by debts, not euros.
    pub credit_outstanding: i64,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "entries checked:  {}", self.entries)?;
        writeln!(f, "accounts checked: {}", self.accounts)?;
        for c in &self.currencies {
            writeln!(
                f,
                "{}: circulation {} minor units, guarantee fund {} EUR cents, difference {}, held {}, credit outstanding {}",
                c.code, c.circulation, c.fund_eur, c.difference_eur, c.held, c.credit_outstanding
            )?;
        }
        writeln!(
            f,
            "audit trail:      {} issuances, payouts and reversals, each with its event{}",
            self.audited,
            if self.before_audit > 0 {
                format!(
                    " ({} more written before the trail began)",
                    self.before_audit
                )
            } else {
                String::new()
            }
        )?;
        if self.ok() {
            writeln!(f, "OK: hash chain intact, every currency balances, totals match, limits and guarantee funds hold, customers' credits add up")
        } else {
            writeln!(f, "{} VIOLATION(S):", self.violations.len())?;
            for v in &self.violations {
                writeln!(f, "  - {v}")?;
            }
            Ok(())
        }
    }
}

#[derive(QueryableByName)]
struct Recomputed {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    cached_dp: i64,
    #[diesel(sql_type = BigInt)]
    cached_cp: i64,
    #[diesel(sql_type = BigInt)]
    cached_dn: i64,
    #[diesel(sql_type = BigInt)]
    cached_cn: i64,
    #[diesel(sql_type = BigInt)]
    dp: i64,
    #[diesel(sql_type = BigInt)]
    cp: i64,
    #[diesel(sql_type = BigInt)]
    dn: i64,
    #[diesel(sql_type = BigInt)]
    cn: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    overdraft_limit: Option<i64>,
}

const RECOMPUTE: &str = "
SELECT a.id AS id,
  a.debits_posted AS cached_dp, a.credits_posted AS cached_cp,
  a.debits_pending AS cached_dn, a.credits_pending AS cached_cn,
  COALESCE((SELECT CAST(SUM(t.amount) AS BIGINT) FROM ledger_transfers t
            WHERE t.debit_account_id = a.id AND t.kind IN ('posted', 'post_pending')), 0) AS dp,
  COALESCE((SELECT CAST(SUM(t.amount) AS BIGINT) FROM ledger_transfers t
            WHERE t.credit_account_id = a.id AND t.kind IN ('posted', 'post_pending')), 0) AS cp,
  COALESCE((SELECT CAST(SUM(t.amount) AS BIGINT) FROM ledger_transfers t
            WHERE t.debit_account_id = a.id AND t.kind = 'pending'
              AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)), 0) AS dn,
  COALESCE((SELECT CAST(SUM(t.amount) AS BIGINT) FROM ledger_transfers t
            WHERE t.credit_account_id = a.id AND t.kind = 'pending'
              AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)), 0) AS cn,
  a.overdraft_limit AS overdraft_limit
FROM ledger_accounts a
WHERE a.id > $1
ORDER BY a.id
LIMIT $2";

#[derive(QueryableByName)]
struct CurrencySum {
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    posted: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
}

const SUMS: &str = "
SELECT currency,
  CAST(COALESCE(SUM(credits_posted - debits_posted), 0) AS BIGINT) AS posted,
  CAST(COALESCE(SUM(credits_pending - debits_pending), 0) AS BIGINT) AS pending
FROM ledger_accounts GROUP BY currency ORDER BY currency";

#[derive(QueryableByName)]
struct Balance {
    #[diesel(sql_type = BigInt)]
    balance: i64,
}

const KIND_BALANCE: &str = "
SELECT CAST(COALESCE(SUM(credits_posted - debits_posted), 0) AS BIGINT) AS balance
FROM ledger_accounts WHERE kind = $1 AND for_currency = $2";

/// Money held (positive balances) and credit outstanding (negative balances) of a local
/// currency, over every account but the issuance one.
const HELD_AND_CREDIT: &str = "
SELECT CAST(COALESCE(SUM(CASE WHEN credits_posted > debits_posted THEN credits_posted - debits_posted ELSE 0 END), 0) AS BIGINT) AS held,
       CAST(COALESCE(SUM(CASE WHEN credits_posted < debits_posted THEN debits_posted - credits_posted ELSE 0 END), 0) AS BIGINT) AS credit
FROM ledger_accounts WHERE currency = $1 AND kind <> 'issuance'";

#[derive(QueryableByName)]
struct HeldAndCredit {
    #[diesel(sql_type = BigInt)]
    held: i64,
    #[diesel(sql_type = BigInt)]
    credit: i64,
}

/// Runs every check. `progress` is called with the number of entries checked so far.
///
/// Everything is read in one snapshot, so entries committed meanwhile are not half-seen.
pub fn verify(conn: &mut DbConn, progress: &mut dyn FnMut(i64)) -> Result<Report, LedgerError> {
    conn.read_snapshot(|conn| {
        let mut report = Report::default();
        check_chain(conn, &mut report, progress)?;
        check_accounts(conn, &mut report)?;
        check_currencies(conn, &mut report)?;
        check_audit(conn, &mut report)?;
        check_customer_credits(conn, &mut report)?;
        Ok(report)
    })
}

#[derive(QueryableByName)]
struct CreditMismatch {
    #[diesel(sql_type = Text)]
    hub_id: String,
    #[diesel(sql_type = BigInt)]
    ledger: i64,
    #[diesel(sql_type = BigInt)]
    detail: i64,
}

/// Per hub, its customer credit accounts' balance (posted; one account, in the legal
/// currency) and the sum of its customers' credits (`customer_credits`, kept by the
/// orders' refunds), where they differ: read straight from the tables, as the ledger does
/// not import the orders.
const CREDIT_MISMATCHES: &str = "
SELECT hub_id, CAST(SUM(ledger) AS BIGINT) AS ledger, CAST(SUM(detail) AS BIGINT) AS detail
FROM (
    SELECT a.owner_id AS hub_id, a.credits_posted - a.debits_posted AS ledger,
           CAST(0 AS BIGINT) AS detail
    FROM ledger_accounts a
    WHERE a.kind = 'customer_credit' AND a.owner_kind = 'enterprise'
    UNION ALL
    SELECT c.hub_id AS hub_id, CAST(0 AS BIGINT) AS ledger, c.balance_minor AS detail
    FROM customer_credits c
) credits
GROUP BY hub_id
HAVING SUM(ledger) <> SUM(detail)
ORDER BY hub_id";

/// Each hub's customer credit account holds what the per-customer detail adds up to.
fn check_customer_credits(conn: &mut DbConn, report: &mut Report) -> Result<(), LedgerError> {
    let mismatches: Vec<CreditMismatch> =
        diesel::sql_query(CREDIT_MISMATCHES).load(conn.diesel())?;
    for m in mismatches {
        report.violations.push(format!(
            "hub {}: its customer credit account holds {} minor units but its customers' credits add up to {}",
            m.hub_id, m.ledger, m.detail
        ));
    }
    Ok(())
}

/// Every administrative entry has its audit event (those written since the trail began), and
/// every event that names a ledger entry names one that exists.
fn check_audit(conn: &mut DbConn, report: &mut Report) -> Result<(), LedgerError> {
    use crate::db::schema::audit_events;
    let conn = conn.diesel();
    let began: Option<chrono::NaiveDateTime> = audit_events::table
        .select(diesel::dsl::min(audit_events::at))
        .first(conn)?;
    let has_event = diesel::dsl::exists(
        audit_events::table.filter(audit_events::ledger_entry_id.eq(ledger_entries::id.nullable())),
    );
    let administrative =
        ledger_entries::table.filter(ledger_entries::code.eq_any(super::journal::AUDITED_CODES));
    report.audited = administrative
        .clone()
        .filter(has_event)
        .count()
        .get_result(conn)?;
    let missing: Vec<(String, chrono::NaiveDateTime)> = administrative
        .filter(diesel::dsl::not(has_event))
        .select((ledger_entries::id, ledger_entries::created_at))
        .load(conn)?;
    for (id, at) in missing {
        match began {
            Some(began) if at >= began => report.violations.push(format!(
                "entry {id} is an administrative act without its audit event"
            )),
            _ => report.before_audit += 1,
        }
    }
    let dangling: Vec<String> = audit_events::table
        .filter(audit_events::ledger_entry_id.is_not_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(
            ledger_entries::table.filter(
                ledger_entries::id
                    .nullable()
                    .eq(audit_events::ledger_entry_id),
            ),
        )))
        .select(audit_events::id)
        .load(conn)?;
    for id in dangling {
        report.violations.push(format!(
            "audit event {id} names a ledger entry that does not exist"
        ));
    }
    Ok(())
}

fn check_chain(
    conn: &mut DbConn,
    report: &mut Report,
    progress: &mut dyn FnMut(i64),
) -> Result<(), LedgerError> {
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_string();
    loop {
        let after = expected_seq - 1;
        let (entries, transfers): (Vec<EntryRow>, Vec<TransferRow>) = {
            let conn = conn.diesel();
            let entries: Vec<EntryRow> = ledger_entries::table
                .filter(ledger_entries::seq.gt(after))
                .order(ledger_entries::seq.asc())
                .limit(CHUNK)
                .select(EntryRow::as_select())
                .load(conn)?;
            let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
            let transfers: Vec<TransferRow> = ledger_transfers::table
                .filter(ledger_transfers::entry_id.eq_any(ids))
                .order((
                    ledger_transfers::entry_id.asc(),
                    ledger_transfers::position.asc(),
                ))
                .select(TransferRow::as_select())
                .load(conn)?;
            Ok::<_, diesel::result::Error>((entries, transfers))
        }?;
        if entries.is_empty() {
            break;
        }
        for entry in &entries {
            if entry.seq != expected_seq {
                report.violations.push(format!(
                    "entry {}: seq {} where {} was expected (gap or duplicate)",
                    entry.id, entry.seq, expected_seq
                ));
            }
            if entry.prev_hash != prev_hash {
                report.violations.push(format!(
                    "entry {} (seq {}): does not chain to the previous entry's hash",
                    entry.id, entry.seq
                ));
            }
            let own: Vec<TransferRow> = transfers
                .iter()
                .filter(|t| t.entry_id == entry.id)
                .cloned()
                .collect();
            if own.is_empty() {
                report.violations.push(format!(
                    "entry {} (seq {}): has no transfers",
                    entry.id, entry.seq
                ));
            }
            if entry_hash(entry, &own) != entry.hash {
                report.violations.push(format!(
                    "entry {} (seq {}): content does not match its hash (altered)",
                    entry.id, entry.seq
                ));
            }
            prev_hash = entry.hash.clone();
            expected_seq = entry.seq + 1;
            report.entries += 1;
        }
        progress(report.entries);
    }
    let head: (i64, String) = ledger_head::table
        .find(1)
        .select((ledger_head::seq, ledger_head::hash))
        .first(conn.diesel())?;
    if head.0 != report.entries || head.1 != prev_hash {
        report.violations.push(format!(
            "chain head says seq {} but {} entries chain to it (entries removed or head altered)",
            head.0, report.entries
        ));
    }
    Ok(())
}

fn check_accounts(conn: &mut DbConn, report: &mut Report) -> Result<(), LedgerError> {
    let mut after = String::new();
    loop {
        let rows: Vec<Recomputed> = diesel::sql_query(RECOMPUTE)
            .bind::<Text, _>(&after)
            .bind::<BigInt, _>(CHUNK)
            .load(conn.diesel())?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        for r in &rows {
            report.accounts += 1;
            let cached = (r.cached_dp, r.cached_cp, r.cached_dn, r.cached_cn);
            let actual = (r.dp, r.cp, r.dn, r.cn);
            if cached != actual {
                report.violations.push(format!(
                    "account {}: cached totals (debits, credits, pending debits, pending credits) {cached:?} but its transfers sum to {actual:?}",
                    r.id
                ));
            }
            if let Some(limit) = r.overdraft_limit {
                let available = r.cp - r.dp - r.dn;
                if available < -limit {
                    report.violations.push(format!(
                        "account {}: available {available} is below its limit −{limit}",
                        r.id
                    ));
                }
            }
        }
    }
    let sums: Vec<CurrencySum> = diesel::sql_query(SUMS).load(conn.diesel())?;
    for s in sums {
        if s.posted != 0 || s.pending != 0 {
            report.violations.push(format!(
                "{}: balances sum to {} (pending {}) instead of zero",
                s.currency, s.posted, s.pending
            ));
        }
    }
    Ok(())
}

fn check_currencies(conn: &mut DbConn, report: &mut Report) -> Result<(), LedgerError> {
    let locals: Vec<CurrencyRow> = currencies::table
        .filter(currencies::kind.eq("local"))
        .order(currencies::code.asc())
        .select(CurrencyRow::as_select())
        .load(conn.diesel())?;
    for currency in locals {
        let line = statement(conn, &currency)?;
        if line.difference_eur < 0 {
            report.violations.push(format!(
                "{}: {} minor units in circulation are worth more than the guarantee fund ({} EUR cents)",
                line.code, line.circulation, line.fund_eur
            ));
        }
        report.currencies.push(line);
    }
    Ok(())
}

/// Circulation against the guarantee fund for one local currency. Circulation is minus the
/// balance of the currency's issuance account; the fund is the balance of the issuing
/// association's guarantee-fund account; the difference is in euro cents at parity (rounded
/// toward zero).
pub fn statement(
    conn: &mut DbConn,
    currency: &CurrencyRow,
) -> Result<CurrencyStatement, LedgerError> {
    let code = currency.code.clone();
    let mut balance = |kind: &str| -> Result<i64, LedgerError> {
        let rows: Vec<Balance> = diesel::sql_query(KIND_BALANCE)
            .bind::<Text, _>(kind)
            .bind::<Text, _>(&code)
            .load(conn.diesel())?;
        Ok(rows.first().map_or(0, |b| b.balance))
    };
    let circulation = -balance("issuance")?;
    let fund_eur = balance("guarantee_fund")?;
    let held: Vec<HeldAndCredit> = diesel::sql_query(HELD_AND_CREDIT)
        .bind::<Text, _>(&code)
        .load(conn.diesel())?;
    let (held, credit_outstanding) = held.first().map_or((0, 0), |h| (h.held, h.credit));
    let parity: Decimal = currency
        .parity_to_eur
        .as_deref()
        .unwrap_or("1")
        .parse()
        .unwrap_or(Decimal::ONE);
    let circulation_eur =
        Decimal::new(circulation, currency.decimals()) * parity * Decimal::from(100);
    let difference = Decimal::from(fund_eur) - circulation_eur;
    Ok(CurrencyStatement {
        code: currency.code.clone(),
        circulation,
        fund_eur,
        difference_eur: i64::try_from(difference.trunc()).unwrap_or(i64::MIN),
        held,
        credit_outstanding,
    })
}
