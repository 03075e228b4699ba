//! Exports of validated moves: the French FEC and Odoo's journal-entry import CSV. Both are
//! rendered move by move from the stored moves ([`super::moves`]), so a period exports to the
//! same bytes every time, and both stream (pages of moves, constant memory).
//!
//! **FEC** (article A47 A-1 of the LPF): the 18 columns in order with the header line, `|`
//! as the only separator, CRLF line ends, dates `YYYYMMDD`, amounts with a decimal comma and
//! no thousands separator (`Debit` and `Credit` both given, `0,00` on the other side), moves
//! in validation order with `EcritureNum` continuous per journal and year (`VT2026-000042`),
//! local-currency lines with `Montantdevise` and `Idevise`. Lettering (`EcritureLet`,
//! `DateLet`): the receivable lines of an order, once what was owed has been received, share
//! a letter — shown when it was given on or before the last day exported, so an export of a
//! past period stays the same. File name: `<SIREN>FEC<YYYYMMDD>.txt`, the date being
//! the end of the period exported. A FEC starting a fiscal year opens with the carried-forward
//! balances (journal `OUV`, [`super::balance`]); a FEC with no move is refused.
//!
//! **Odoo CSV**: `journal_id, date, ref, line_ids/account_id, line_ids/partner_id,
//! line_ids/name, line_ids/debit, line_ids/credit, line_ids/currency_id,
//! line_ids/amount_currency` — one row per line, the move's fields on its first row only;
//! journals and accounts by code, partners by name, amounts with a decimal point, the
//! currency amount signed (positive in debit).

use chrono::NaiveDate;

use super::moves::{LineRow, MoveRow};
use crate::accounting::AccountingError;
use crate::deployment::Legal;
use crate::money::Amount;

pub const FEC_HEADER: &str = "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise\r\n";

pub const ODOO_HEADER: &str = "journal_id,date,ref,line_ids/account_id,line_ids/partner_id,line_ids/name,line_ids/debit,line_ids/credit,line_ids/currency_id,line_ids/amount_currency\n";

/// The FEC file name for a SIREN and the end of the period.
pub fn fec_file_name(siren: &str, to: NaiveDate) -> String {
    format!("{siren}FEC{}.txt", to.format("%Y%m%d"))
}

/// The books' decimals: they are kept in hundredths of the legal currency.
const BOOKS_SCALE: u32 = crate::deployment::TENDER_SCALE;

/// An amount of the books as the FEC writes it: a decimal comma, no thousands separator,
/// `1234,56` (the one formatter, [`crate::money::format_minor`], then the FEC's comma).
fn comma(amount: Amount) -> String {
    amount
        .with_scale(BOOKS_SCALE as i32)
        .amount_string()
        .replace('.', ",")
}

/// An amount of the books as Odoo's import reads it: `1234.56`.
fn point(amount: Amount) -> String {
    amount.with_scale(BOOKS_SCALE as i32).amount_string()
}

/// A field safe in the FEC: no separator, no line break (Unicode's line and paragraph
/// separators included), no control character.
fn field(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '|' || c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The FEC lines of one move, exported up to `to`.
pub fn fec_move(out: &mut String, m: &MoveRow, lines: &[LineRow], to: NaiveDate, legal: Legal) {
    let date = m.entry_date.format("%Y%m%d").to_string();
    let valid = m.validated_at.date().format("%Y%m%d").to_string();
    let number = m.number_text();
    for l in lines {
        let (letter, lettered) = match l.lettered_on {
            Some(on) if on <= to && !l.letter.is_empty() => {
                (l.letter.clone(), on.format("%Y%m%d").to_string())
            }
            _ => (String::new(), String::new()),
        };
        let cells = [
            field(&m.journal_code),
            field(&m.journal_label),
            number.clone(),
            date.clone(),
            field(&l.account_code),
            field(&l.account_label),
            field(&l.aux_code),
            field(&l.aux_label),
            field(&m.piece_ref),
            date.clone(),
            field(&l.label),
            comma(l.debit(legal)),
            comma(l.credit(legal)),
            letter,
            lettered,
            valid.clone(),
            l.currency_amount.replace('.', ","),
            field(&l.currency),
        ];
        out.push_str(&cells.join("|"));
        out.push_str("\r\n");
    }
}

/// The Odoo import rows of one move.
pub fn odoo_move(
    out: &mut String,
    m: &MoveRow,
    lines: &[LineRow],
    legal: Legal,
) -> Result<(), csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for (i, l) in lines.iter().enumerate() {
        let first = i == 0;
        let amount_currency = if l.currency_amount.is_empty() {
            String::new()
        } else if l.credit(legal).is_positive() {
            format!("-{}", l.currency_amount)
        } else {
            l.currency_amount.clone()
        };
        writer.write_record([
            if first {
                m.journal_code.clone()
            } else {
                String::new()
            },
            if first {
                m.entry_date.format("%Y-%m-%d").to_string()
            } else {
                String::new()
            },
            if first {
                format!("{} {}", m.number_text(), m.piece_ref)
            } else {
                String::new()
            },
            l.account_code.clone(),
            l.aux_label.clone(),
            l.label.clone(),
            point(l.debit(legal)),
            point(l.credit(legal)),
            l.currency.clone(),
            amount_currency,
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
    out.push_str(&String::from_utf8_lossy(&bytes));
    Ok(())
}

/// Which export to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Fec,
    OdooCsv,
}

impl Format {
    pub fn header(self) -> &'static str {
        match self {
            Format::Fec => FEC_HEADER,
            Format::OdooCsv => ODOO_HEADER,
        }
    }

    /// One page of moves, rendered (the books are kept in the legal currency `legal`).
    pub fn render(
        self,
        page: &[(MoveRow, Vec<LineRow>)],
        to: NaiveDate,
        legal: Legal,
    ) -> Result<String, crate::accounting::AccountingError> {
        let mut text = String::new();
        for (m, lines) in page {
            match self {
                Format::Fec => fec_move(&mut text, m, lines, to, legal),
                Format::OdooCsv => odoo_move(&mut text, m, lines, legal)
                    .map_err(crate::accounting::AccountingError::internal)?,
            }
        }
        Ok(text)
    }
}

/// Moves per page of an export.
pub const PAGE: i64 = 500;

/// What an export of `book` for `from..=to` (validated already) starts with: the header,
/// and in a FEC starting a fiscal year the opening move ([`super::balance::opening`]). A FEC
/// with no move at all is refused (409 `nothing-to-export`): the DGFiP's own test tool
/// rejects a file with only its header.
pub fn start(
    conn: &mut crate::db::DbConn,
    book: &super::books::Book,
    format: Format,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<String, crate::accounting::AccountingError> {
    let mut text = format.header().to_string();
    if format == Format::Fec {
        let language = super::chart::language(conn)?;
        let opening = super::balance::opening(conn, book, from, &language)?;
        if opening.is_none() && book.page(conn, from, to, 0, 1)?.is_empty() {
            return Err(AccountingError::NothingToExport(format!(
                "the books hold no move from {from} to {to}: a FEC needs at least one \
                     entry; choose a period with moves"
            )));
        }
        if let Some((m, lines)) = opening {
            let legal = crate::ledger::currencies::legal(conn)?;
            fec_move(&mut text, &m, &lines, to, legal);
        }
    }
    Ok(text)
}

/// Validates `book` up to `to`, then writes its moves of `from..=to` to `out` page by page
/// (constant memory); `progress` is told the moves written per page. Returns how many moves.
pub fn write(
    conn: &mut crate::db::DbConn,
    book: &super::books::Book,
    format: Format,
    from: NaiveDate,
    to: NaiveDate,
    out: &mut dyn std::io::Write,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, crate::accounting::AccountingError> {
    book.validate_until(conn, to)?;
    let io = |e: std::io::Error| AccountingError::internal(format!("writing the export: {e}"));
    out.write_all(start(conn, book, format, from, to)?.as_bytes())
        .map_err(io)?;
    let (mut after, mut written) = (0, 0);
    let legal = crate::ledger::currencies::legal(conn)?;
    loop {
        let page = book.page(conn, from, to, after, PAGE)?;
        out.write_all(format.render(&page, to, legal)?.as_bytes())
            .map_err(io)?;
        written += page.len();
        progress(page.len());
        match page.last() {
            Some((m, _)) if page.len() as i64 == PAGE => after = m.ledger_seq,
            _ => break,
        }
    }
    out.flush().map_err(io)?;
    Ok(written)
}

/// Whether `actor` may keep the deployment's books (the chart, the exports, the periods):
/// the currency associations' owners and treasurers, platform admins.
pub fn may_keep_books(
    conn: &mut crate::db::DbConn,
    actor: &crate::auth::actor::Actor,
) -> Result<(), AccountingError> {
    use crate::db::schema::enterprises;
    use diesel::prelude::*;
    let associations: Vec<String> = enterprises::table
        .filter(enterprises::kind.eq("currency_association"))
        .select(enterprises::id)
        .load(conn.diesel())?;
    Ok(crate::auth::policy::authorize(
        actor,
        crate::auth::policy::Action::KeepBooks {
            associations: &associations,
        },
    )?)
}

/// The export of `book` for `from..=to` as a stream of text, [`PAGE`] moves at a time (each
/// page read in its own short transaction, so no request holds the database long): `start`
/// (from [`start`]) first, then each page rendered in `format`.
pub fn stream(
    db: crate::db::Db,
    book: super::books::Book,
    format: Format,
    from: NaiveDate,
    to: NaiveDate,
    start: String,
) -> impl futures_util::Stream<Item = Result<String, AccountingError>> {
    // state: None = done; Some(None) = header not sent; Some(Some(seq)) = after seq
    futures_util::stream::unfold(Some(None::<i64>), move |cursor| {
        let (db, book, start) = (db.clone(), book.clone(), start.clone());
        async move {
            let after = cursor?;
            let page = db
                .run(move |conn| {
                    let page = book.page(conn, from, to, after.unwrap_or(0), PAGE)?;
                    let mut text = String::new();
                    if after.is_none() {
                        text.push_str(&start);
                    }
                    let legal = crate::ledger::currencies::legal(conn)?;
                    text.push_str(&format.render(&page, to, legal)?);
                    let next = (page.len() as i64 == PAGE)
                        .then(|| page.last().map(|(m, _)| m.ledger_seq))
                        .flatten();
                    Ok::<_, AccountingError>((text, next))
                })
                .await;
            match page {
                Ok((text, next)) => Some((Ok(text), next.map(Some))),
                Err(e) => Some((Err(e), None)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_a_decimal_comma_without_thousands() {
        assert_eq!(comma(Amount::eur(0)), "0,00");
        assert_eq!(comma(Amount::eur(5)), "0,05");
        assert_eq!(comma(Amount::eur(12_345_678)), "123456,78");
        assert_eq!(point(Amount::eur(-5)), "-0.05");
        assert_eq!(comma(Amount::eur(-150)), "-1,50");
        assert_eq!(field("a|b\r\nc"), "a b  c");
        assert_eq!(field("a\u{2028}b\u{2029}c\u{0}d\u{85}e"), "a b c d e");
        let to = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
        assert_eq!(fec_file_name("732829320", to), "732829320FEC20261231.txt");
    }
}
