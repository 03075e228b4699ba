//! The one book pipeline: every book — the deployment's ([`super::moves`]: its ledger entries)
//! and each enterprise's own ([`super::books`]: its orders, receipts and settlements) — is
//! validated, numbered, stored, lettered and read back for its exports by the code here.
//!
//! What every book shares:
//! - **validation** (`validate_until`) runs in chunks (constant memory), each in its own
//!   transaction under the book's lock (one validator per book at a time), and resumes
//!   where the last one stopped — how far it went is the book's own (`Sources`);
//! - **dates**: a move dated inside a closed period is dated the day after it
//!   ([`super::closed`]: corrections go in the open period);
//! - **numbers**: the next in the book, journal and calendar year, in validation order —
//!   continuous, never reused; a draft with no line (a source that moved nothing) is
//!   recorded without a number and never exported (`number_moves`);
//! - **storage**: moves and their lines are stored as validated, so later chart changes do
//!   not alter them and an export of the same period is the same file;
//! - **lettering**: the unlettered lines of one account, holder and piece marked for it
//!   (`DraftLine::letter_by`) share a code (`A`…`Z`, `AA`…, counted per book and account)
//!   once they balance, dated the day the last of them is dated;
//! - **paging** ([`Book::page`]): moves read back in validation order with their lines, in one
//!   shape ([`MoveRow`], [`LineRow`]), so every book exports the same way ([`super::export`]).
//!
//! What differs is supplied by each book: its `Sources` (where its sources come from, how
//! far validation went, how a source becomes a `Draft`), and its tables (`store`: the
//! deployment's `accounting_*`, the enterprises' `book_*` keyed by enterprise).

pub(super) mod store;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::chart::{BookAccount, JournalRule};
use crate::accounting::AccountingError;
use crate::db::schema::{accounting_lines, accounting_moves};
use crate::db::DbConn;
use crate::deployment::Legal;
use crate::money::Amount;

/// Which books: the deployment's, or one enterprise's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Book {
    /// The deployment's (the association's): every ledger entry, see [`super::moves`].
    Deployment,
    /// One enterprise's own (its id), see [`super::books`].
    Enterprise(String),
}

impl Book {
    /// One page of validated moves dated in `from..=to`, after `after` (the `ledger_seq` of
    /// the last move of the previous page), with their lines; moves without a number (sources
    /// that moved nothing) are left out.
    pub fn page(
        &self,
        conn: &mut DbConn,
        from: NaiveDate,
        to: NaiveDate,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(MoveRow, Vec<LineRow>)>, AccountingError> {
        let (moves, lines) = store::page(conn, self, from, to, after, limit)?;
        let mut of: HashMap<String, Vec<LineRow>> = HashMap::new();
        for line in lines {
            of.entry(line.ledger_entry_id.clone())
                .or_default()
                .push(line);
        }
        Ok(moves
            .into_iter()
            .map(|m| {
                let lines = of.remove(&m.ledger_entry_id).unwrap_or_default();
                (m, lines)
            })
            .collect())
    }

    /// The key of the book's lettering counters (`letter_counters.book`): `""` for the
    /// deployment's, the enterprise's id.
    fn counters(&self) -> &str {
        match self {
            Book::Deployment => "",
            Book::Enterprise(id) => id,
        }
    }

    /// The order a chunk's groups are lettered in — each book's own since it was first
    /// lettered, which the codes given follow: by piece for the deployment's, by account
    /// for an enterprise's.
    fn letter_order<'a>(&self, g: &'a Group) -> (&'a str, &'a str, &'a str) {
        match self {
            Book::Deployment => (&g.piece, &g.holder, &g.code),
            Book::Enterprise(_) => (&g.code, &g.holder, &g.piece),
        }
    }
}

/// A validated move, as stored and as every book exports it (an enterprise's moves are read
/// into this shape: its id in `ledger_entry_id`, its own order in `ledger_seq`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounting_moves)]
pub struct MoveRow {
    pub ledger_entry_id: String,
    pub ledger_seq: i64,
    pub journal_code: String,
    pub journal_label: String,
    pub fiscal_year: i32,
    pub number: i64,
    pub entry_date: NaiveDate,
    pub piece_ref: String,
    pub label: String,
    pub validated_at: NaiveDateTime,
}

impl MoveRow {
    /// `EcritureNum`: journal, year and number, e.g. `VT2026-000042`.
    pub fn number_text(&self) -> String {
        format!(
            "{}{}-{:06}",
            self.journal_code, self.fiscal_year, self.number
        )
    }
}

/// A line of a validated move (`ledger_account_id` is empty in an enterprise's books).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounting_lines)]
pub struct LineRow {
    pub ledger_entry_id: String,
    pub position: i32,
    pub account_code: String,
    pub account_label: String,
    pub aux_code: String,
    pub aux_label: String,
    pub label: String,
    pub debit_minor: i64,
    pub credit_minor: i64,
    pub currency_amount: String,
    pub currency: String,
    pub ledger_account_id: String,
    /// Lettering code (`A`, `B`… per account), empty until the lines balance.
    pub letter: String,
    pub lettered_on: Option<NaiveDate>,
}

impl LineRow {
    /// Its debit, in the books' currency (the legal currency `legal`).
    pub fn debit(&self, legal: Legal) -> Amount {
        legal.amount(self.debit_minor)
    }

    /// Its credit, in the books' currency (the legal currency `legal`).
    pub fn credit(&self, legal: Legal) -> Amount {
        legal.amount(self.credit_minor)
    }
}

/// What a book's validation reads its moves from: its sources, and how far it went.
pub(super) trait Sources {
    /// Under the book's lock, in the chunk's transaction: drafts the next sources dated
    /// before `before`, in validation order, and records how far it went; none when nothing
    /// is left.
    fn chunk(
        &mut self,
        conn: &mut DbConn,
        before: NaiveDateTime,
    ) -> Result<Option<Chunk>, AccountingError>;

    /// Once every source dated before `before` is booked (the deployment's books need
    /// nothing more: each chunk recorded how far it went).
    fn done(&mut self, _conn: &mut DbConn, _before: NaiveDateTime) -> Result<(), AccountingError> {
        Ok(())
    }
}

/// A chunk of sources, drafted.
pub(super) struct Chunk {
    /// How many sources were read (for progress).
    pub read: usize,
    pub drafts: Vec<Draft>,
}

/// A move being drafted from one source.
pub(super) struct Draft {
    /// Its id in the book: the ledger entry's, or derived from the enterprise and the source.
    pub id: String,
    /// What it books, once per book (an enterprise's `sale:<order>`…).
    pub source: String,
    /// Its place in the book's order (the ledger's seq; an enterprise's own count).
    pub seq: i64,
    pub journal: JournalRule,
    /// Its source's day (a closed period moves it on, see `number_moves`).
    pub date: NaiveDate,
    pub piece: String,
    pub label: String,
    pub lines: Vec<DraftLine>,
}

pub(super) struct DraftLine {
    pub account: BookAccount,
    /// The auxiliary account: code and name (both empty: none).
    pub aux: (String, String),
    pub label: String,
    pub debit: Amount,
    pub credit: Amount,
    /// In a local currency: its amount and code.
    pub currency: Option<(String, String)>,
    /// The ledger account it comes from (the deployment's books; empty in an enterprise's).
    pub ledger_account: String,
    /// Lettered with the other lines of its account code, this holder and the move's piece
    /// (a receivable's ledger account in the deployment's books, the auxiliary account in an
    /// enterprise's); none: never lettered.
    pub letter_by: Option<String>,
}

impl Draft {
    pub fn new(source: String, journal: &JournalRule, date: NaiveDate, piece: String) -> Draft {
        Draft {
            id: String::new(),
            source,
            seq: 0,
            journal: journal.clone(),
            date,
            label: piece.clone(),
            piece,
            lines: Vec::new(),
        }
    }

    /// A line of `amount` (in euros): > 0 a debit, < 0 a credit, none if zero.
    pub fn line(&mut self, account: &BookAccount, aux: Option<&(String, String)>, amount: Amount) {
        self.line_in(account, aux, amount, None);
    }

    /// [`Draft::line`] with its amount in a local currency (amount and code), if any.
    pub fn line_in(
        &mut self,
        account: &BookAccount,
        aux: Option<&(String, String)>,
        amount: Amount,
        currency: Option<(String, String)>,
    ) {
        if amount.is_zero() {
            return;
        }
        let debit = amount.is_positive();
        let amount = if debit {
            amount
        } else {
            Amount::new(-amount.minor, amount.currency)
        };
        self.push(
            account,
            aux.cloned().unwrap_or_default(),
            amount,
            debit,
            currency,
        );
    }

    /// A line of `amount` on the debit or the credit side, labelled as the move.
    pub fn push(
        &mut self,
        account: &BookAccount,
        aux: (String, String),
        amount: Amount,
        debit: bool,
        currency: Option<(String, String)>,
    ) -> &mut DraftLine {
        let zero = Amount::zero(amount.currency);
        let (debit, credit) = if debit {
            (amount, zero)
        } else {
            (zero, amount)
        };
        self.lines.push(DraftLine {
            account: account.clone(),
            aux,
            label: self.label.clone(),
            debit,
            credit,
            currency,
            ledger_account: String::new(),
            letter_by: None,
        });
        let last = self.lines.len() - 1;
        &mut self.lines[last]
    }

    /// Its debits and credits in total, as written (`0.00`), if they differ.
    pub fn unbalanced(&self) -> Result<Option<(String, String)>, AccountingError> {
        let currency = self.lines.first().map(|l| l.debit.currency);
        let zero = Amount::zero(currency.unwrap_or(crate::money::CurrencyCode::EUR));
        let (mut debit, mut credit) = (zero, zero);
        for l in &self.lines {
            debit = debit.checked_add(l.debit)?;
            credit = credit.checked_add(l.credit)?;
        }
        Ok((debit != credit).then(|| {
            (
                debit.with_scale(2).amount_string(),
                credit.with_scale(2).amount_string(),
            )
        }))
    }
}

/// Validates every source of `book` dated up to `until` (inclusive) not booked yet, chunk
/// by chunk; returns how many moves were stored. `progress` is told the sources read per
/// chunk.
pub(super) fn validate_until(
    conn: &mut DbConn,
    book: &Book,
    sources: &mut dyn Sources,
    until: NaiveDate,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, AccountingError> {
    let before = until
        .succ_opt()
        .unwrap_or(until)
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| AccountingError::internal("a date without midnight"))?;
    let mut created = 0;
    loop {
        let chunk = conn.transaction(|conn| {
            store::lock(conn, book)?;
            match sources.chunk(conn, before)? {
                Some(chunk) => {
                    Ok::<_, AccountingError>(Some((chunk.read, write(conn, book, chunk.drafts)?)))
                }
                None => Ok(None),
            }
        })?;
        let Some((read, made)) = chunk else { break };
        created += made;
        progress(read);
    }
    sources.done(conn, before)?;
    Ok(created)
}

/// A move as stored: its draft, dated and numbered (none: it moved nothing).
pub(super) struct Move {
    pub draft: Draft,
    pub date: NaiveDate,
    pub number: Option<i64>,
}

/// Lines to letter together: one account code, one holder, one piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Group {
    pub code: String,
    pub holder: String,
    pub piece: String,
}

/// Dates, numbers, stores and letters a chunk's drafts; returns how many moves were stored.
fn write(conn: &mut DbConn, book: &Book, drafts: Vec<Draft>) -> Result<usize, AccountingError> {
    let closed = super::closed::periods(conn)?;
    let placed = number_moves(
        &closed,
        drafts
            .iter()
            .map(|d| (d.journal.code.as_str(), d.date, !d.lines.is_empty())),
        |journal, year| store::last_number(conn, book, journal, year),
    )?;
    let validated_at = crate::time::now();
    let mut groups = Vec::new();
    let moves: Vec<Move> = drafts
        .into_iter()
        .zip(placed)
        .map(|(draft, (date, number))| {
            for line in &draft.lines {
                if let Some(holder) = &line.letter_by {
                    groups.push(Group {
                        code: line.account.code.clone(),
                        holder: holder.clone(),
                        piece: draft.piece.clone(),
                    });
                }
            }
            Move {
                draft,
                date,
                number,
            }
        })
        .collect();
    store::save(conn, book, &moves, validated_at)?;
    groups.sort_by(|a, b| book.letter_order(a).cmp(&book.letter_order(b)));
    groups.dedup();
    for group in &groups {
        letter(conn, book, group)?;
    }
    Ok(moves.len())
}

/// The day and number of each move (its journal, its source's day, whether it has lines),
/// in order: the day is the source's, or the day after the closed periods (`(first, last)`
/// days) it falls in; the number is one past the last of its journal and year — `stored`
/// for the first of a journal and year, then one past the last given — and none for a move
/// without lines.
pub(super) fn number_moves<'a>(
    closed: &[(NaiveDate, NaiveDate)],
    moves: impl IntoIterator<Item = (&'a str, NaiveDate, bool)>,
    mut stored: impl FnMut(&str, i32) -> Result<Option<i64>, AccountingError>,
) -> Result<Vec<(NaiveDate, Option<i64>)>, AccountingError> {
    let mut next: HashMap<(String, i32), i64> = HashMap::new();
    let mut placed = Vec::new();
    for (journal, date, has_lines) in moves {
        let date = super::closed::first_open_day(closed, date);
        if !has_lines {
            placed.push((date, None));
            continue;
        }
        let key = (journal.to_string(), date.year());
        let number = match next.get(&key) {
            Some(n) => *n,
            None => stored(journal, date.year())?.unwrap_or(0) + 1,
        };
        next.insert(key, number + 1);
        placed.push((date, Some(number)));
    }
    Ok(placed)
}

/// An unlettered line: its move, its position, the move's date, debit, credit.
pub(super) type OpenLine = (String, i32, NaiveDate, i64, i64);

/// The day a group of unlettered lines balanced (the latest of their dates), if they do —
/// and move something.
fn balanced_on(open: &[OpenLine]) -> Option<NaiveDate> {
    let debit: i64 = open.iter().map(|l| l.3).sum();
    let credit: i64 = open.iter().map(|l| l.4).sum();
    (debit != 0 && debit == credit)
        .then(|| open.iter().map(|l| l.2).max())
        .flatten()
}

/// Letters the unlettered lines of one group when they balance (in the deployment's books,
/// what was owed on an order has been received), dated the day of the latest of them (the
/// day the group balanced, whatever order validation ran in).
fn letter(conn: &mut DbConn, book: &Book, group: &Group) -> Result<(), AccountingError> {
    let open = store::open_lines(conn, book, group)?;
    let Some(on) = balanced_on(&open) else {
        return Ok(());
    };
    let letter = next_letter(conn, book, &group.code)?;
    store::set_letter(conn, book, &open, &letter, on)
}

/// The next lettering code of `account_code` in `book`, counted in `letter_counters` (the
/// codes used before the counter existed are counted once, per book and account). Runs
/// under the book's validation lock.
fn next_letter(
    conn: &mut DbConn,
    book: &Book,
    account_code: &str,
) -> Result<String, AccountingError> {
    use crate::db::schema::letter_counters;
    let key = letter_counters::table.find((book.counters(), account_code));
    let used: Option<i64> = key
        .select(letter_counters::used)
        .first(conn.diesel())
        .optional()?;
    let used = match used {
        Some(used) => used,
        None => {
            let used = store::letters_used(conn, book, account_code)?;
            diesel::insert_into(letter_counters::table)
                .values((
                    letter_counters::book.eq(book.counters()),
                    letter_counters::account_code.eq(account_code),
                    letter_counters::used.eq(used),
                ))
                .execute(conn.diesel())?;
            used
        }
    };
    diesel::update(key)
        .set(letter_counters::used.eq(used + 1))
        .execute(conn.diesel())?;
    Ok(letter_code(used.max(0) as u64))
}

/// `n`-th lettering code, from 0: `A`…`Z`, `AA`…
fn letter_code(mut n: u64) -> String {
    let mut code = Vec::new();
    loop {
        code.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    code.reverse();
    String::from_utf8_lossy(&code).into_owned()
}

#[cfg(test)]
mod tests;
