//! The trial balance (balance générale) of a book for a period, and the opening entries a
//! FEC starting a fiscal year carries.
//!
//! **Trial balance**: per account code, the opening balance (every move before the period
//! for balance-sheet accounts; for income and expense accounts — the classes the country's
//! plan makes results, 6 and 7 in France, 3 to 8 in Switzerland ([`super::chart::Plan`]) —
//! only the moves since the start of the period's fiscal year), the period's debits and
//! credits, and the closing balance. Balances are given on their side (a debit balance in
//! the debit column). Read from the stored moves by one grouped query, so it agrees with
//! every export of the same period.
//!
//! **Opening entries** (à nouveaux): a FEC whose first day starts a fiscal year (the
//! calendar year, as numbering) after a year with moves begins with one move of the
//! opening journal (`OUV`, as Odoo writes them), dated that first day: the carried-forward
//! balance of every balance-sheet account and auxiliary account, and the earlier years'
//! result where the plan carries it (in France 110000 for a profit, report à nouveau
//! créditeur, or 119000 for a loss; in Switzerland 2970 for either). It is
//! computed from the stored moves each time (moves of closed periods never change, so
//! neither does the opening of a year whose predecessor is closed).

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};
use serde::Serialize;

use super::books::Book;
use super::moves::{LineRow, MoveRow};
use crate::accounting::AccountingError;
use crate::db::DbConn;
use crate::deployment::Legal;

/// The first day of `date`'s fiscal year (the calendar year).
pub fn fiscal_year_start(date: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date)
}

#[derive(Debug, QueryableByName)]
struct Sum {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    aux_code: String,
    #[diesel(sql_type = Text)]
    aux_label: String,
    #[diesel(sql_type = BigInt)]
    opening: i64,
    #[diesel(sql_type = BigInt)]
    debit: i64,
    #[diesel(sql_type = BigInt)]
    credit: i64,
}

/// Sums per account (and auxiliary account when `by_aux`) of the moves up to `to`: the
/// opening net (debit − credit) before `from` — results since `year_start` only — and the
/// debits and credits from `from`.
fn sums(
    conn: &mut DbConn,
    book: &Book,
    from: NaiveDate,
    to: NaiveDate,
    by_aux: bool,
) -> Result<Vec<Sum>, AccountingError> {
    let year_start = fiscal_year_start(from);
    // the plan's classes are digits, written into the query as literals
    let results = super::chart::plan(conn)?
        .result_classes
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let (aux, aux_label, group) = if by_aux {
        (
            "l.aux_code",
            "MAX(l.aux_label)",
            "l.account_code, l.aux_code",
        )
    } else {
        ("''", "''", "l.account_code")
    };
    // $1 from, $2 year start, $3 to, $4 enterprise: SQLite numbers parameters in order of
    // first appearance, so they appear in that order
    let columns = format!(
        "SELECT l.account_code AS code, MAX(l.account_label) AS label, {aux} AS aux_code, \
         {aux_label} AS aux_label, \
         CAST(COALESCE(SUM(CASE WHEN m.entry_date < $1 AND (SUBSTR(l.account_code, 1, 1) \
         NOT IN ({results}) OR m.entry_date >= $2) THEN l.debit_minor - l.credit_minor ELSE 0 \
         END), 0) AS BIGINT) AS opening, \
         CAST(COALESCE(SUM(CASE WHEN m.entry_date >= $1 THEN l.debit_minor ELSE 0 END), 0) \
         AS BIGINT) AS debit, \
         CAST(COALESCE(SUM(CASE WHEN m.entry_date >= $1 THEN l.credit_minor ELSE 0 END), 0) \
         AS BIGINT) AS credit"
    );
    let rows: Vec<Sum> = match book {
        Book::Deployment => {
            let sql = format!(
                "{columns} FROM accounting_lines l JOIN accounting_moves m \
                 ON m.ledger_entry_id = l.ledger_entry_id WHERE m.entry_date <= $3 \
                 GROUP BY {group} ORDER BY {group}"
            );
            diesel::sql_query(&sql)
                .bind::<Date, _>(from)
                .bind::<Date, _>(year_start)
                .bind::<Date, _>(to)
                .load(conn.diesel())?
        }
        Book::Enterprise(id) => {
            let sql = format!(
                "{columns} FROM book_lines l JOIN book_moves m ON m.id = l.move_id \
                 WHERE m.entry_date <= $3 AND m.enterprise_id = $4 AND m.number IS NOT NULL \
                 GROUP BY {group} ORDER BY {group}"
            );
            diesel::sql_query(&sql)
                .bind::<Date, _>(from)
                .bind::<Date, _>(year_start)
                .bind::<Date, _>(to)
                .bind::<Text, _>(id)
                .load(conn.diesel())?
        }
    };
    Ok(rows)
}

/// One account of a trial balance, in cents; a balance is on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialRow {
    pub code: String,
    pub label: String,
    pub opening_debit: i64,
    pub opening_credit: i64,
    pub debit: i64,
    pub credit: i64,
    pub closing_debit: i64,
    pub closing_credit: i64,
}

fn sides(net: i64) -> (i64, i64) {
    if net >= 0 {
        (net, 0)
    } else {
        (0, -net)
    }
}

/// The trial balance of `book` for `from..=to` (validated up to `to` first), in account
/// order; accounts with nothing to show are left out. The last row is not a total: the
/// caller adds one if it wants ([`totals`]).
pub fn trial_balance(
    conn: &mut DbConn,
    book: &Book,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<TrialRow>, AccountingError> {
    book.validate_until(conn, to)?;
    Ok(sums(conn, book, from, to, false)?
        .into_iter()
        .filter(|s| s.opening != 0 || s.debit != 0 || s.credit != 0)
        .map(|s| {
            let (opening_debit, opening_credit) = sides(s.opening);
            let (closing_debit, closing_credit) = sides(s.opening + s.debit - s.credit);
            TrialRow {
                code: s.code,
                label: s.label,
                opening_debit,
                opening_credit,
                debit: s.debit,
                credit: s.credit,
                closing_debit,
                closing_credit,
            }
        })
        .collect())
}

/// The column totals of a trial balance (debits equal credits in each pair).
pub fn totals(rows: &[TrialRow]) -> TrialRow {
    let mut total = TrialRow {
        code: String::new(),
        label: String::new(),
        opening_debit: 0,
        opening_credit: 0,
        debit: 0,
        credit: 0,
        closing_debit: 0,
        closing_credit: 0,
    };
    for r in rows {
        total.opening_debit += r.opening_debit;
        total.opening_credit += r.opening_credit;
        total.debit += r.debit;
        total.credit += r.credit;
        total.closing_debit += r.closing_debit;
        total.closing_credit += r.closing_credit;
    }
    total
}

/// A trial balance as shown: amounts as exact decimal strings in euros (the command line
/// writes it as JSON; the API's view is `api::views::accounting::TrialBalance`).
#[derive(Debug, Clone, Serialize)]
pub struct TrialBalance {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: String,
    pub accounts: Vec<TrialAccount>,
    /// The column totals: debits equal credits in each pair.
    pub totals: TrialAccount,
}

/// One account of a trial balance (`"205.80"`).
#[derive(Debug, Clone, Serialize)]
pub struct TrialAccount {
    pub code: String,
    pub label: String,
    pub opening_debit: String,
    pub opening_credit: String,
    pub debit: String,
    pub credit: String,
    pub closing_debit: String,
    pub closing_credit: String,
}

impl TrialAccount {
    fn of(row: &TrialRow) -> TrialAccount {
        let money = crate::deployment::legal_text;
        TrialAccount {
            code: row.code.clone(),
            label: row.label.clone(),
            opening_debit: money(row.opening_debit),
            opening_credit: money(row.opening_credit),
            debit: money(row.debit),
            credit: money(row.credit),
            closing_debit: money(row.closing_debit),
            closing_credit: money(row.closing_credit),
        }
    }
}

impl TrialBalance {
    /// The balance of `rows`, kept in the legal currency `legal`.
    pub fn new(from: NaiveDate, to: NaiveDate, rows: &[TrialRow], legal: Legal) -> TrialBalance {
        TrialBalance {
            from,
            to,
            currency: legal.code.to_string(),
            accounts: rows.iter().map(TrialAccount::of).collect(),
            totals: TrialAccount::of(&totals(rows)),
        }
    }

    /// As CSV: a header, one row per account, then the totals (`code` empty, label `Total`).
    pub fn csv(&self) -> Result<String, AccountingError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header = [
            "code",
            "label",
            "opening_debit",
            "opening_credit",
            "debit",
            "credit",
            "closing_debit",
            "closing_credit",
        ];
        writer
            .write_record(header)
            .map_err(AccountingError::internal)?;
        let total = TrialAccount {
            label: "Total".into(),
            ..self.totals.clone()
        };
        for a in self.accounts.iter().chain(std::iter::once(&total)) {
            writer
                .write_record([
                    &a.code,
                    &a.label,
                    &a.opening_debit,
                    &a.opening_credit,
                    &a.debit,
                    &a.credit,
                    &a.closing_debit,
                    &a.closing_credit,
                ])
                .map_err(AccountingError::internal)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| AccountingError::internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(AccountingError::internal)
    }
}

/// The opening move of a FEC starting on `from`, when `from` is the first day of a fiscal
/// year and earlier moves leave balances; `language` names the journal and the lines.
pub fn opening(
    conn: &mut DbConn,
    book: &Book,
    from: NaiveDate,
    language: &str,
) -> Result<Option<(MoveRow, Vec<LineRow>)>, AccountingError> {
    if fiscal_year_start(from) != from {
        return Ok(None);
    }
    let before = from.pred_opt().unwrap_or(from);
    // every move before `from`: balances carried, results of all earlier years together
    let rows = sums(conn, book, super::moves::before_any_move(), before, true)?;
    let plan = super::chart::plan(conn)?;
    let french = language == "fr";
    let mut result = 0;
    let mut lines = Vec::new();
    let (journal, journal_label, label) = if french {
        ("OUV", "Journal des à-nouveaux", "Report à nouveau")
    } else {
        ("OUV", "Opening entries", "Balance carried forward")
    };
    let id = format!("opening:{}", from.year());
    let mut line = |code: &str, account_label: &str, aux: (&str, &str), net: i64| {
        let (debit, credit) = sides(net);
        lines.push(LineRow {
            ledger_entry_id: id.clone(),
            position: lines.len() as i32 + 1,
            account_code: code.into(),
            account_label: account_label.into(),
            aux_code: aux.0.into(),
            aux_label: aux.1.into(),
            label: label.into(),
            debit_minor: debit,
            credit_minor: credit,
            currency_amount: String::new(),
            currency: String::new(),
            ledger_account_id: String::new(),
            letter: String::new(),
            lettered_on: None,
        });
    };
    for s in &rows {
        // `sums` counts everything before `from` as the period's movements
        let net = s.debit - s.credit;
        if plan.is_result(&s.code) {
            result += net;
        } else if net != 0 {
            line(&s.code, &s.label, (&s.aux_code, &s.aux_label), net);
        }
    }
    // a credit balance of the results is a profit
    if result != 0 {
        let (code, fr, en) = plan.retained[usize::from(result > 0)];
        line(code, if french { fr } else { en }, ("", ""), result);
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let midnight = from
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| AccountingError::internal("a date without midnight"))?;
    Ok(Some((
        MoveRow {
            ledger_entry_id: id,
            ledger_seq: 0,
            journal_code: journal.into(),
            journal_label: journal_label.into(),
            fiscal_year: from.year(),
            number: 1,
            entry_date: from,
            piece_ref: format!("{journal}{}", from.year()),
            label: label.into(),
            validated_at: midnight,
        },
        lines,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fiscal_year_is_the_calendar_year_and_balances_have_one_side() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 4).expect("date");
        assert_eq!(
            fiscal_year_start(d),
            NaiveDate::from_ymd_opt(2027, 1, 1).expect("date")
        );
        assert_eq!(sides(-5), (0, 5));
        assert_eq!(sides(7), (7, 0));
    }
}
