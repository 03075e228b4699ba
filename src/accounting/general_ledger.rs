//! The general ledger (grand livre, Hauptbuch) of a book for a period, as CSV: for each
//! account in code order, its opening balance, every line of the period in date order with
//! the running balance, then the account's totals. Switzerland has no FEC: its legal export
//! is this general ledger with the trial balance ([`super::balance`]) — the books an auditor
//! reads under art. 957a CO — and the Odoo push; a French deployment may use it too.
//!
//! Columns: `row` (`opening`, `line` or `total`), `account`, `account_label`, `date`,
//! `journal`, `number` (`VT2026-000042`, as in the FEC), `piece`, `auxiliary`,
//! `auxiliary_label`, `label`, `debit`, `credit`, `balance` (debit − credit so far: positive
//! is a debit balance), `currency_amount` and `currency` (a line in local currency).
//! Amounts are exact decimals with a point (`1234.50`) in the books' currency, the
//! legal one. Read from the stored moves like every export, so it agrees with the FEC, the
//! Odoo CSV and the trial balance of the same period.
//!
//! It streams: one account at a time, its lines in pages (keyset on date, move and
//! position), so memory stays constant whatever the period holds.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text};

use super::balance::{self, TrialRow};
use super::books::Book;
use crate::accounting::AccountingError;
use crate::db::DbConn;
use crate::deployment::legal_text;

/// The header line.
pub const HEADER: [&str; 15] = [
    "row",
    "account",
    "account_label",
    "date",
    "journal",
    "number",
    "piece",
    "auxiliary",
    "auxiliary_label",
    "label",
    "debit",
    "credit",
    "balance",
    "currency_amount",
    "currency",
];

/// Lines per page.
pub const PAGE: i64 = 2000;

/// One line of the period, with its move's fields.
#[derive(Debug, QueryableByName)]
struct Line {
    #[diesel(sql_type = Date)]
    entry_date: NaiveDate,
    #[diesel(sql_type = Text)]
    journal_code: String,
    #[diesel(sql_type = Integer)]
    fiscal_year: i32,
    #[diesel(sql_type = BigInt)]
    number: i64,
    #[diesel(sql_type = Text)]
    piece_ref: String,
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Integer)]
    position: i32,
    #[diesel(sql_type = Text)]
    aux_code: String,
    #[diesel(sql_type = Text)]
    aux_label: String,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = BigInt)]
    debit_minor: i64,
    #[diesel(sql_type = BigInt)]
    credit_minor: i64,
    #[diesel(sql_type = Text)]
    currency_amount: String,
    #[diesel(sql_type = Text)]
    currency: String,
}

/// Where an export stands: the accounts still to write (from the trial balance, in code
/// order), and within the current one the last line written and the balance so far.
#[derive(Debug, Clone)]
pub struct Cursor {
    accounts: std::collections::VecDeque<TrialRow>,
    /// `None` until the current account's opening row is written.
    after: Option<(NaiveDate, i64, i32)>,
    balance: i64,
    french: bool,
}

/// What an export starts with: the header, and the cursor over the book's accounts (the
/// book is validated up to `to` first).
pub fn start(
    conn: &mut DbConn,
    book: &Book,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(String, Cursor), AccountingError> {
    let mut accounts = balance::trial_balance(conn, book, from, to)?;
    // byte order, whatever the database's collation
    accounts.sort_by(|a, b| a.code.cmp(&b.code));
    let french = super::chart::language(conn)? == "fr";
    let header = csv_row(&HEADER.map(String::from))?;
    Ok((
        header,
        Cursor {
            accounts: accounts.into(),
            after: None,
            balance: 0,
            french,
        },
    ))
}

fn csv_row(cells: &[String]) -> Result<String, AccountingError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer
        .write_record(cells)
        .map_err(AccountingError::internal)?;
    let bytes = writer
        .into_inner()
        .map_err(|e| AccountingError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(AccountingError::internal)
}

/// A row without a move: an account's opening balance or totals.
fn summary_row(
    kind: &str,
    account: &TrialRow,
    date: NaiveDate,
    label: &str,
    (debit, credit): (i64, i64),
    balance: i64,
) -> Result<String, AccountingError> {
    csv_row(&[
        kind.into(),
        account.code.clone(),
        account.label.clone(),
        date.to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        label.into(),
        legal_text(debit),
        legal_text(credit),
        legal_text(balance),
        String::new(),
        String::new(),
    ])
}

/// The next part of the export (an account's opening and first page, a further page, or
/// its last page and totals), or `None` when every account is written. `lines` is told how
/// many lines of moves the part holds.
pub fn next(
    conn: &mut DbConn,
    book: &Book,
    (from, to): (NaiveDate, NaiveDate),
    cursor: &mut Cursor,
    lines: &mut dyn FnMut(usize),
) -> Result<Option<String>, AccountingError> {
    let Some(account) = cursor.accounts.front().cloned() else {
        return Ok(None);
    };
    let mut text = String::new();
    if cursor.after.is_none() {
        cursor.balance = account.opening_debit - account.opening_credit;
        let label = if cursor.french {
            "Solde à nouveau"
        } else {
            "Opening balance"
        };
        text.push_str(&summary_row(
            "opening",
            &account,
            from,
            label,
            (account.opening_debit, account.opening_credit),
            cursor.balance,
        )?);
    }
    let after = cursor.after.unwrap_or((from, i64::MIN, i32::MIN));
    let page = page(conn, book, &account.code, (from, to), after)?;
    for l in &page {
        cursor.balance += l.debit_minor - l.credit_minor;
        text.push_str(&csv_row(&[
            "line".into(),
            account.code.clone(),
            account.label.clone(),
            l.entry_date.to_string(),
            l.journal_code.clone(),
            format!("{}{}-{:06}", l.journal_code, l.fiscal_year, l.number),
            l.piece_ref.clone(),
            l.aux_code.clone(),
            l.aux_label.clone(),
            l.label.clone(),
            legal_text(l.debit_minor),
            legal_text(l.credit_minor),
            legal_text(cursor.balance),
            l.currency_amount.clone(),
            l.currency.clone(),
        ])?);
    }
    lines(page.len());
    match page.last() {
        Some(l) if page.len() as i64 == PAGE => {
            cursor.after = Some((l.entry_date, l.seq, l.position));
        }
        _ => {
            let label = if cursor.french {
                format!("Total {}", account.code)
            } else {
                format!("Total of {}", account.code)
            };
            text.push_str(&summary_row(
                "total",
                &account,
                to,
                &label,
                (account.debit, account.credit),
                cursor.balance,
            )?);
            cursor.accounts.pop_front();
            cursor.after = None;
        }
    }
    Ok(Some(text))
}

/// The lines of `code` in `from..=to` after `after` (date, move, position), at most
/// [`PAGE`], in that order.
fn page(
    conn: &mut DbConn,
    book: &Book,
    code: &str,
    (from, to): (NaiveDate, NaiveDate),
    (date, seq, position): (NaiveDate, i64, i32),
) -> Result<Vec<Line>, AccountingError> {
    // SQLite numbers `$n` parameters in order of first appearance: they appear in order
    const COLUMNS: &str = "SELECT m.entry_date AS entry_date, m.journal_code AS journal_code, \
         m.fiscal_year AS fiscal_year, CAST(m.number AS BIGINT) AS number, \
         m.piece_ref AS piece_ref, l.position AS position, l.aux_code AS aux_code, \
         l.aux_label AS aux_label, l.label AS label, l.debit_minor AS debit_minor, \
         l.credit_minor AS credit_minor, l.currency_amount AS currency_amount, \
         l.currency AS currency";
    const AFTER: &str = "(m.entry_date > $4 OR (m.entry_date = $4 AND (SEQ > $5 OR \
         (SEQ = $5 AND l.position > $6))))";
    let rows = match book {
        Book::Deployment => {
            let sql = format!(
                "{COLUMNS}, m.ledger_seq AS seq FROM accounting_lines l \
                 JOIN accounting_moves m ON m.ledger_entry_id = l.ledger_entry_id \
                 WHERE l.account_code = $1 AND m.entry_date >= $2 AND m.entry_date <= $3 \
                 AND {} ORDER BY m.entry_date, m.ledger_seq, l.position LIMIT $7",
                AFTER.replace("SEQ", "m.ledger_seq")
            );
            diesel::sql_query(sql)
                .bind::<Text, _>(code)
                .bind::<Date, _>(from)
                .bind::<Date, _>(to)
                .bind::<Date, _>(date)
                .bind::<BigInt, _>(seq)
                .bind::<Integer, _>(position)
                .bind::<BigInt, _>(PAGE)
                .load(conn.diesel())?
        }
        Book::Enterprise(id) => {
            let sql = format!(
                "{COLUMNS}, m.seq AS seq FROM book_lines l JOIN book_moves m ON m.id = l.move_id \
                 WHERE l.account_code = $1 AND m.entry_date >= $2 AND m.entry_date <= $3 \
                 AND {} AND m.enterprise_id = $7 AND m.number IS NOT NULL \
                 ORDER BY m.entry_date, m.seq, l.position LIMIT $8",
                AFTER.replace("SEQ", "m.seq")
            );
            diesel::sql_query(sql)
                .bind::<Text, _>(code)
                .bind::<Date, _>(from)
                .bind::<Date, _>(to)
                .bind::<Date, _>(date)
                .bind::<BigInt, _>(seq)
                .bind::<Integer, _>(position)
                .bind::<Text, _>(id)
                .bind::<BigInt, _>(PAGE)
                .load(conn.diesel())?
        }
    };
    Ok(rows)
}

/// Validates `book` up to `to`, then writes its general ledger of `from..=to` to `out`
/// account by account, page by page (constant memory); `progress` is told the lines written.
/// Returns how many accounts.
pub fn write(
    conn: &mut DbConn,
    book: &Book,
    from: NaiveDate,
    to: NaiveDate,
    out: &mut dyn std::io::Write,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, AccountingError> {
    let io = |e: std::io::Error| AccountingError::internal(format!("writing the export: {e}"));
    let (header, mut cursor) = start(conn, book, from, to)?;
    let accounts = cursor.accounts.len();
    out.write_all(header.as_bytes()).map_err(io)?;
    while let Some(part) = next(conn, book, (from, to), &mut cursor, progress)? {
        out.write_all(part.as_bytes()).map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(accounts)
}
