//! Where each book is stored: the deployment's moves in `accounting_moves` and
//! `accounting_lines` (keyed by ledger entry, locked by `accounting_state`), every
//! enterprise's in `book_moves` and `book_lines` (keyed by enterprise, locked by its
//! `book_state` row). Each stage of the pipeline ([`super`]) reaches its book's tables only
//! through these functions.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{Book, Group, LineRow, Move, MoveRow, OpenLine};
use crate::accounting::AccountingError;
use crate::db::schema::{accounting_lines, accounting_moves, book_lines, book_moves, book_state};
use crate::db::DbConn;

/// Rows per insert statement.
const INSERT_ROWS: usize = 200;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = book_moves)]
struct BookMoveRow {
    id: String,
    enterprise_id: String,
    seq: i64,
    source: String,
    journal_code: String,
    journal_label: String,
    fiscal_year: i32,
    /// None: a source that moved nothing (not exported).
    number: Option<i64>,
    entry_date: NaiveDate,
    piece_ref: String,
    label: String,
    validated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = book_lines)]
struct BookLineRow {
    move_id: String,
    position: i32,
    account_code: String,
    account_label: String,
    aux_code: String,
    aux_label: String,
    label: String,
    debit_minor: i64,
    credit_minor: i64,
    currency_amount: String,
    currency: String,
    letter: String,
    lettered_on: Option<NaiveDate>,
}

/// Locks the book's validation for this transaction (PostgreSQL: its state row, an
/// enterprise's created on its first validation; SQLite's write transaction is exclusive).
pub(in crate::accounting) fn lock(conn: &mut DbConn, book: &Book) -> Result<(), AccountingError> {
    match book {
        Book::Deployment => {
            crate::db::lock_row_by(conn, "accounting_state", "CAST(id AS TEXT)", "1")?
        }
        Book::Enterprise(id) => {
            crate::db::execute(
                conn.diesel(),
                diesel::insert_into(book_state::table)
                    .values((
                        book_state::enterprise_id.eq(id),
                        book_state::validated_at.eq(crate::time::now()),
                    ))
                    .on_conflict_do_nothing(),
            )?;
            crate::db::lock_row_by(conn, "book_state", "enterprise_id", id)?
        }
    }
    Ok(())
}

/// The last number of `journal` in `year` in the book.
pub(super) fn last_number(
    conn: &mut DbConn,
    book: &Book,
    journal: &str,
    year: i32,
) -> Result<Option<i64>, AccountingError> {
    Ok(match book {
        Book::Deployment => accounting_moves::table
            .filter(accounting_moves::journal_code.eq(journal))
            .filter(accounting_moves::fiscal_year.eq(year))
            .select(diesel::dsl::max(accounting_moves::number))
            .first(conn.diesel())?,
        Book::Enterprise(id) => book_moves::table
            .filter(book_moves::enterprise_id.eq(id))
            .filter(book_moves::journal_code.eq(journal))
            .filter(book_moves::fiscal_year.eq(year))
            .select(diesel::dsl::max(book_moves::number))
            .first(conn.diesel())?,
    })
}

/// The last `seq` of an enterprise's moves (0: none yet).
pub(in crate::accounting) fn last_seq(
    conn: &mut DbConn,
    enterprise_id: &str,
) -> Result<i64, AccountingError> {
    Ok(book_moves::table
        .filter(book_moves::enterprise_id.eq(enterprise_id))
        .select(diesel::dsl::max(book_moves::seq))
        .first::<Option<i64>>(conn.diesel())?
        .unwrap_or(0))
}

/// Stores a chunk's moves, validated at `validated_at`, with their lines (positions from 1);
/// an enterprise's state records when it was last validated.
pub(super) fn save(
    conn: &mut DbConn,
    book: &Book,
    moves: &[Move],
    validated_at: NaiveDateTime,
) -> Result<(), AccountingError> {
    let conn = conn.diesel();
    match book {
        Book::Deployment => {
            let rows = moves
                .iter()
                .map(|m| {
                    // the ledger's sources always move something
                    let number = m.number.ok_or_else(|| {
                        AccountingError::internal(format!(
                            "ledger entry {} has no line to book",
                            m.draft.id
                        ))
                    })?;
                    Ok(move_row(m, number, validated_at))
                })
                .collect::<Result<Vec<_>, AccountingError>>()?;
            let line_rows: Vec<LineRow> = moves.iter().flat_map(line_rows).collect();
            for chunk in rows.chunks(INSERT_ROWS) {
                crate::db::execute(
                    conn,
                    diesel::insert_into(accounting_moves::table).values(chunk),
                )?;
            }
            for chunk in line_rows.chunks(INSERT_ROWS) {
                crate::db::execute(
                    conn,
                    diesel::insert_into(accounting_lines::table).values(chunk),
                )?;
            }
        }
        Book::Enterprise(id) => {
            let rows: Vec<BookMoveRow> = moves
                .iter()
                .map(|m| BookMoveRow {
                    id: m.draft.id.clone(),
                    enterprise_id: id.clone(),
                    seq: m.draft.seq,
                    source: m.draft.source.clone(),
                    journal_code: m.draft.journal.code.clone(),
                    journal_label: m.draft.journal.label.clone(),
                    fiscal_year: m.date.year(),
                    number: m.number,
                    entry_date: m.date,
                    piece_ref: m.draft.piece.clone(),
                    label: m.draft.label.clone(),
                    validated_at,
                })
                .collect();
            let line_rows: Vec<BookLineRow> = moves
                .iter()
                .flat_map(line_rows)
                .map(|l| BookLineRow {
                    move_id: l.ledger_entry_id,
                    position: l.position,
                    account_code: l.account_code,
                    account_label: l.account_label,
                    aux_code: l.aux_code,
                    aux_label: l.aux_label,
                    label: l.label,
                    debit_minor: l.debit_minor,
                    credit_minor: l.credit_minor,
                    currency_amount: l.currency_amount,
                    currency: l.currency,
                    letter: l.letter,
                    lettered_on: l.lettered_on,
                })
                .collect();
            for chunk in rows.chunks(INSERT_ROWS) {
                crate::db::execute(conn, diesel::insert_into(book_moves::table).values(chunk))?;
            }
            for chunk in line_rows.chunks(INSERT_ROWS) {
                crate::db::execute(conn, diesel::insert_into(book_lines::table).values(chunk))?;
            }
            diesel::update(book_state::table.find(id))
                .set(book_state::validated_at.eq(validated_at))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// A move in the deployment's shape.
fn move_row(m: &Move, number: i64, validated_at: NaiveDateTime) -> MoveRow {
    MoveRow {
        ledger_entry_id: m.draft.id.clone(),
        ledger_seq: m.draft.seq,
        journal_code: m.draft.journal.code.clone(),
        journal_label: m.draft.journal.label.clone(),
        fiscal_year: m.date.year(),
        number,
        entry_date: m.date,
        piece_ref: m.draft.piece.clone(),
        label: m.draft.label.clone(),
        validated_at,
    }
}

/// A move's lines in the deployment's shape, from position 1.
fn line_rows(m: &Move) -> impl Iterator<Item = LineRow> + '_ {
    m.draft.lines.iter().enumerate().map(|(i, l)| {
        let (currency_amount, currency) = l.currency.clone().unwrap_or_default();
        LineRow {
            ledger_entry_id: m.draft.id.clone(),
            position: i as i32 + 1,
            account_code: l.account.code.clone(),
            account_label: l.account.label.clone(),
            aux_code: l.aux.0.clone(),
            aux_label: l.aux.1.clone(),
            label: l.label.clone(),
            debit_minor: l.debit.minor,
            credit_minor: l.credit.minor,
            currency_amount,
            currency,
            ledger_account_id: l.ledger_account.clone(),
            letter: String::new(),
            lettered_on: None,
        }
    })
}

/// The unlettered lines of a group: its account code, its holder (the deployment's: the
/// ledger account; an enterprise's: the auxiliary account) and its moves' piece.
pub(super) fn open_lines(
    conn: &mut DbConn,
    book: &Book,
    group: &Group,
) -> Result<Vec<OpenLine>, AccountingError> {
    Ok(match book {
        Book::Deployment => accounting_lines::table
            .inner_join(accounting_moves::table)
            .filter(accounting_lines::ledger_account_id.eq(&group.holder))
            .filter(accounting_lines::account_code.eq(&group.code))
            .filter(accounting_lines::letter.eq(""))
            .filter(accounting_moves::piece_ref.eq(&group.piece))
            .select((
                accounting_lines::ledger_entry_id,
                accounting_lines::position,
                accounting_moves::entry_date,
                accounting_lines::debit_minor,
                accounting_lines::credit_minor,
            ))
            .load(conn.diesel())?,
        Book::Enterprise(id) => book_lines::table
            .inner_join(book_moves::table)
            .filter(book_moves::enterprise_id.eq(id))
            .filter(book_moves::piece_ref.eq(&group.piece))
            .filter(book_lines::account_code.eq(&group.code))
            .filter(book_lines::aux_code.eq(&group.holder))
            .filter(book_lines::letter.eq(""))
            .select((
                book_lines::move_id,
                book_lines::position,
                book_moves::entry_date,
                book_lines::debit_minor,
                book_lines::credit_minor,
            ))
            .load(conn.diesel())?,
    })
}

/// How many lettering codes `account_code` has used in the book's lines.
pub(super) fn letters_used(
    conn: &mut DbConn,
    book: &Book,
    account_code: &str,
) -> Result<i64, AccountingError> {
    Ok(match book {
        Book::Deployment => accounting_lines::table
            .filter(accounting_lines::account_code.eq(account_code))
            .filter(accounting_lines::letter.ne(""))
            .select(diesel::dsl::count(accounting_lines::letter).aggregate_distinct())
            .first(conn.diesel())?,
        Book::Enterprise(id) => book_lines::table
            .inner_join(book_moves::table)
            .filter(book_moves::enterprise_id.eq(id))
            .filter(book_lines::account_code.eq(account_code))
            .filter(book_lines::letter.ne(""))
            .select(diesel::dsl::count(book_lines::letter).aggregate_distinct())
            .first(conn.diesel())?,
    })
}

/// Gives `letter`, lettered `on`, to the lines (move, position) of `open`.
pub(super) fn set_letter(
    conn: &mut DbConn,
    book: &Book,
    open: &[OpenLine],
    letter: &str,
    on: NaiveDate,
) -> Result<(), AccountingError> {
    let conn = conn.diesel();
    for (id, position, ..) in open {
        match book {
            Book::Deployment => diesel::update(accounting_lines::table.find((id, position)))
                .set((
                    accounting_lines::letter.eq(letter),
                    accounting_lines::lettered_on.eq(Some(on)),
                ))
                .execute(conn)?,
            Book::Enterprise(_) => diesel::update(book_lines::table.find((id, position)))
                .set((
                    book_lines::letter.eq(letter),
                    book_lines::lettered_on.eq(Some(on)),
                ))
                .execute(conn)?,
        };
    }
    Ok(())
}

/// The numbered moves dated in `from..=to` after `after` in the book's order, at most
/// `limit`, and their lines in move and position order — an enterprise's in the
/// deployment's shape.
pub(super) fn page(
    conn: &mut DbConn,
    book: &Book,
    from: NaiveDate,
    to: NaiveDate,
    after: i64,
    limit: i64,
) -> Result<(Vec<MoveRow>, Vec<LineRow>), AccountingError> {
    match book {
        Book::Deployment => {
            let moves: Vec<MoveRow> = accounting_moves::table
                .filter(accounting_moves::entry_date.between(from, to))
                .filter(accounting_moves::ledger_seq.gt(after))
                .order(accounting_moves::ledger_seq.asc())
                .limit(limit)
                .select(MoveRow::as_select())
                .load(conn.diesel())?;
            let ids: Vec<&str> = moves.iter().map(|m| m.ledger_entry_id.as_str()).collect();
            let lines: Vec<LineRow> = accounting_lines::table
                .filter(accounting_lines::ledger_entry_id.eq_any(&ids))
                .order((
                    accounting_lines::ledger_entry_id.asc(),
                    accounting_lines::position.asc(),
                ))
                .select(LineRow::as_select())
                .load(conn.diesel())?;
            Ok((moves, lines))
        }
        Book::Enterprise(id) => {
            let found: Vec<BookMoveRow> = book_moves::table
                .filter(book_moves::enterprise_id.eq(id))
                .filter(book_moves::entry_date.between(from, to))
                .filter(book_moves::number.is_not_null())
                .filter(book_moves::seq.gt(after))
                .order(book_moves::seq.asc())
                .limit(limit)
                .select(BookMoveRow::as_select())
                .load(conn.diesel())?;
            let ids: Vec<&str> = found.iter().map(|m| m.id.as_str()).collect();
            let lines = book_lines::table
                .filter(book_lines::move_id.eq_any(&ids))
                .order((book_lines::move_id.asc(), book_lines::position.asc()))
                .select(BookLineRow::as_select())
                .load::<BookLineRow>(conn.diesel())?
                .into_iter()
                .map(|l| LineRow {
                    ledger_entry_id: l.move_id,
                    position: l.position,
                    account_code: l.account_code,
                    account_label: l.account_label,
                    aux_code: l.aux_code,
                    aux_label: l.aux_label,
                    label: l.label,
                    debit_minor: l.debit_minor,
                    credit_minor: l.credit_minor,
                    currency_amount: l.currency_amount,
                    currency: l.currency,
                    ledger_account_id: String::new(),
                    letter: l.letter,
                    lettered_on: l.lettered_on,
                })
                .collect();
            let moves = found
                .into_iter()
                .map(|m| MoveRow {
                    ledger_entry_id: m.id,
                    ledger_seq: m.seq,
                    journal_code: m.journal_code,
                    journal_label: m.journal_label,
                    fiscal_year: m.fiscal_year,
                    number: m.number.unwrap_or_default(),
                    entry_date: m.entry_date,
                    piece_ref: m.piece_ref,
                    label: m.label,
                    validated_at: m.validated_at,
                })
                .collect();
            Ok((moves, lines))
        }
    }
}
