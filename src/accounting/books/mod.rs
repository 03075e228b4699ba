//! Enterprise books: a hub's or a producer's own accounts, written from its orders and
//! settlements, exported as its FEC (`comptoir export fec --enterprise SLUG`,
//! `GET /api/v1/enterprises/{id}/accounting/fec`).
//!
//! The deployment's books ([`super::moves`]) are the association's: every wallet is a
//! third-party account there. An enterprise's own books tell its trade: what it sold, at
//! which VAT rate, what it collected and what it owes. Goods are sold by the hub **on behalf
//! of the producers** (as the cycle close settles them, see [`crate::orders::close`]), so:
//!
//! - **a hub's sale** (an order, when the close books it; sales journal): the customer owes
//!   the order's total (411, the customer as auxiliary account); each producer's goods are
//!   owed to that producer (467, the producer as auxiliary account); the hub's own goods (a
//!   producer-hub) and its fees — delivery included — are its revenue, split per VAT rate
//!   (707 goods, 708 fees) with the VAT collected per rate (4457x). The local currency
//!   captured at the close pays part of it (530x, with the amount in the currency columns).
//! - **a euro receipt** (each payment of an order's euro part the hub records, on its own
//!   day — `order_receipts`; bank journal): 512 against the customer's 411. An order's 411
//!   lines are lettered once they balance.
//! - **a producer's settlement** (per cycle and producer; bank journal): the producer's 467
//!   is cleared by the commission it pays the hub (revenue on fees per rate, VAT collected)
//!   and what the hub paid it, per currency (512 euros, 530x local currency).
//! - **a producer's supply** (its side of the same settlement; sales journal): its goods are
//!   its revenue per VAT rate with the VAT collected; the hub's commission is an expense
//!   (622) with its deductible VAT per rate (4456x); what it was paid comes in on 512/530x;
//!   the hub's 467 (the hub as auxiliary account) carries the goods and is cleared in the
//!   same move (lettered).
//!
//! The hub's transfer of its fees' VAT to its *VAT collected* wallet at settlement is an
//! internal move of its own cash: the VAT is in its books from the sale on.
//!
//! Moves are written lazily, like the deployment's: an export validates every source dated
//! up to its last day, in chunks, under a per-book lock; numbers are continuous per book,
//! journal and year, in date order; a source that moves nothing (an order weighed down to
//! zero) is recorded without a number; a source dated inside a closed period is dated the
//! day after it; moves and lines are stored as exported, so an export of the same period is the same file. The
//! accounts come from the `books` part of the chart ([`super::chart::Books`]); a VAT rate
//! without accounts stops the export (409 `accounting-unmapped`, naming the rate).

mod context;

use context::Context;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::chart::{self, BookAccount, Books, JournalRule};
use super::moves::{self, LineRow, MoveRow};
use crate::accounting::AccountingError;
use crate::db::schema::{book_lines, book_moves, book_state};
use crate::db::DbConn;
use crate::money::Amount;

/// Sources read per transaction.
pub const CHUNK: i64 = 200;

/// Which books an export reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Book {
    /// The deployment's (the association's): every ledger entry, see [`super::moves`].
    Deployment,
    /// One enterprise's own (its id).
    Enterprise(String),
}

impl Book {
    /// Validates what is due up to `to` (inclusive); returns how many moves were created.
    pub fn validate_until(
        &self,
        conn: &mut DbConn,
        to: NaiveDate,
    ) -> Result<usize, AccountingError> {
        match self {
            Book::Deployment => moves::validate_until(conn, to, &mut |_| {}),
            Book::Enterprise(id) => validate_until(conn, id, to),
        }
    }

    /// One page of validated moves dated in `from..=to`, after `after` (the `ledger_seq` of
    /// the last move of the previous page), with their lines.
    pub fn page(
        &self,
        conn: &mut DbConn,
        from: NaiveDate,
        to: NaiveDate,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(MoveRow, Vec<LineRow>)>, AccountingError> {
        match self {
            Book::Deployment => moves::page(conn, from, to, after, limit),
            Book::Enterprise(id) => page(conn, id, from, to, after, limit),
        }
    }
}

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

/// Something to book, as read from the orders, receipts and settlements.
#[derive(Debug, Clone, QueryableByName)]
struct Source {
    /// `sale`, `receipt`, `settle` or `supply`.
    #[diesel(sql_type = Text)]
    kind: String,
    /// The order (a sale), the receipt's ledger entry, or the cycle (a settlement, a supply).
    #[diesel(sql_type = Text)]
    id: String,
    /// The customer, the receipt's order, the settled producer, or the supplied hub.
    #[diesel(sql_type = Text)]
    other: String,
    #[diesel(sql_type = Timestamp)]
    at: NaiveDateTime,
    /// A receipt's amount.
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sale,
    Receipt,
    Settlement,
    Supply,
}

impl Kind {
    fn of(source: &Source) -> Result<Kind, AccountingError> {
        match source.kind.as_str() {
            "sale" => Ok(Kind::Sale),
            "receipt" => Ok(Kind::Receipt),
            "settle" => Ok(Kind::Settlement),
            "supply" => Ok(Kind::Supply),
            other => Err(AccountingError::internal(format!(
                "a book source of kind {other}"
            ))),
        }
    }

    /// The source's key in the enterprise's books (`book_moves.source`).
    fn key(self, s: &Source) -> String {
        match self {
            Kind::Sale => format!("sale:{}", s.id),
            Kind::Receipt => format!("receipt:{}", s.id),
            Kind::Settlement => format!("settle:{}:{}", s.id, s.other),
            Kind::Supply => format!("supply:{}", s.id),
        }
    }
}

/// The enterprise's (`$1`) sources not booked yet, dated before `$2` and from `$3` on, oldest
/// first, at most `$4` (SQLite numbers parameters in order of first appearance: keep them
/// in order): a hub's booked orders and euro receipts, the settlements it paid its producers, and
/// a producer's settlements by hubs. One query, so that a chunk is in date order whatever
/// the kinds.
const SOURCES: &str = "SELECT kind, id, other, at, amount FROM (
    SELECT 'sale' AS kind, o.id AS id, o.customer_id AS other, o.booked_at AS at,
           CAST(0 AS BIGINT) AS amount
    FROM orders o
    WHERE o.hub_id = $1 AND o.booked_at IS NOT NULL AND o.booked_at < $2
      AND o.booked_at >= $3
      AND NOT EXISTS (SELECT 1 FROM book_moves m
                      WHERE m.enterprise_id = $1 AND m.source = 'sale:' || o.id)
    UNION ALL
    SELECT 'receipt' AS kind, r.entry_id AS id, r.order_id AS other, r.received_at AS at,
           r.amount_minor AS amount
    FROM order_receipts r
    WHERE r.hub_id = $1 AND r.received_at < $2 AND r.received_at >= $3
      AND NOT EXISTS (SELECT 1 FROM book_moves m
                      WHERE m.enterprise_id = $1 AND m.source = 'receipt:' || r.entry_id)
    UNION ALL
    SELECT 'settle' AS kind, s.order_cycle_id AS id, s.producer_id AS other,
           MIN(s.created_at) AS at, CAST(0 AS BIGINT) AS amount
    FROM producer_settlements s JOIN order_cycles c ON c.id = s.order_cycle_id
    WHERE c.hub_id = $1 AND s.producer_id <> $1 AND s.created_at < $2
      AND s.created_at >= $3
      AND NOT EXISTS (SELECT 1 FROM book_moves m
                      WHERE m.enterprise_id = $1
                        AND m.source = 'settle:' || s.order_cycle_id || ':' || s.producer_id)
    GROUP BY s.order_cycle_id, s.producer_id
    UNION ALL
    SELECT 'supply' AS kind, s.order_cycle_id AS id, c.hub_id AS other,
           MIN(s.created_at) AS at, CAST(0 AS BIGINT) AS amount
    FROM producer_settlements s JOIN order_cycles c ON c.id = s.order_cycle_id
    WHERE s.producer_id = $1 AND c.hub_id <> $1 AND s.created_at < $2
      AND s.created_at >= $3
      AND NOT EXISTS (SELECT 1 FROM book_moves m
                      WHERE m.enterprise_id = $1 AND m.source = 'supply:' || s.order_cycle_id)
    GROUP BY s.order_cycle_id, c.hub_id
) sources ORDER BY at, kind, id LIMIT $4";

/// A move being drafted.
struct Draft {
    source: String,
    journal: JournalRule,
    date: NaiveDate,
    piece: String,
    label: String,
    lines: Vec<DraftLine>,
}

struct DraftLine {
    account: BookAccount,
    aux: (String, String),
    label: String,
    debit: Amount,
    credit: Amount,
    /// In a local currency: its amount and code.
    currency: Option<(String, String)>,
}

impl Draft {
    fn new(source: String, journal: &JournalRule, at: NaiveDateTime, piece: String) -> Draft {
        Draft {
            source,
            journal: journal.clone(),
            date: at.date(),
            label: piece.clone(),
            piece,
            lines: Vec::new(),
        }
    }

    /// A line, unless its amount is zero; `amount` > 0 is a debit, < 0 a credit (in the books'
    /// currency, euros).
    fn line(&mut self, account: &BookAccount, aux: Option<&(String, String)>, amount: Amount) {
        self.line_in(account, aux, amount, None);
    }

    fn line_in(
        &mut self,
        account: &BookAccount,
        aux: Option<&(String, String)>,
        amount: Amount,
        currency: Option<(String, String)>,
    ) {
        if amount.is_zero() {
            return;
        }
        let zero = Amount::zero(amount.currency);
        let (debit, credit) = if amount.is_positive() {
            (amount, zero)
        } else {
            (zero, Amount::new(-amount.minor, amount.currency))
        };
        self.lines.push(DraftLine {
            account: account.clone(),
            aux: aux.cloned().unwrap_or_default(),
            label: self.label.clone(),
            debit,
            credit,
            currency,
        });
    }

    /// Assertion that stays on: a move that does not balance is never written.
    fn balanced(self) -> Result<Draft, AccountingError> {
        let (mut debit, mut credit) = (Amount::eur(0), Amount::eur(0));
        for l in &self.lines {
            debit = debit.checked_add(l.debit)?;
            credit = credit.checked_add(l.credit)?;
        }
        if debit != credit {
            return Err(AccountingError::internal(format!(
                "enterprise books: {} does not balance ({} debit, {} credit)",
                self.source,
                debit.with_scale(2).amount_string(),
                credit.with_scale(2).amount_string()
            )));
        }
        Ok(self)
    }
}

/// Per VAT rate (basis points): (amount tax included, VAT), both in cents.
type ByRate = BTreeMap<i32, (i64, i64)>;

fn add_rate(sums: &mut ByRate, rate: i32, total: i64, vat: i64) {
    let entry = sums.entry(rate).or_default();
    entry.0 += total;
    entry.1 += vat;
}

/// Revenue lines per VAT rate: tax excluded on `revenue(rate)`, the VAT on *VAT collected*.
fn revenue_lines(
    draft: &mut Draft,
    books: &Books,
    sums: &ByRate,
    revenue: fn(&chart::VatAccounts) -> &BookAccount,
) -> Result<(), AccountingError> {
    for (rate, (total, vat)) in sums {
        let accounts = books.vat(*rate)?;
        draft.line(revenue(accounts), None, Amount::eur(-(total - vat)));
        draft.line(&accounts.collected, None, Amount::eur(-vat));
    }
    Ok(())
}

/// Locks the enterprise's books for this transaction (PostgreSQL: its state row; SQLite's
/// write transaction is exclusive).
fn lock(conn: &mut DbConn, enterprise_id: &str) -> Result<(), AccountingError> {
    let now = crate::time::now();
    crate::db::execute(
        conn.diesel(),
        diesel::insert_into(book_state::table)
            .values((
                book_state::enterprise_id.eq(enterprise_id),
                book_state::validated_at.eq(now),
            ))
            .on_conflict_do_nothing(),
    )?;
    crate::db::lock_row_by(conn, "book_state", "enterprise_id", enterprise_id)?;
    Ok(())
}

/// Validates every source of the enterprise's books dated up to `until` (inclusive) not
/// booked yet; returns how many moves were created.
pub fn validate_until(
    conn: &mut DbConn,
    enterprise_id: &str,
    until: NaiveDate,
) -> Result<usize, AccountingError> {
    let before = until
        .succ_opt()
        .unwrap_or(until)
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| AccountingError::internal("a date without midnight"))?;
    let complete: Option<NaiveDateTime> = book_state::table
        .find(enterprise_id)
        .select(book_state::complete_before)
        .first::<Option<NaiveDateTime>>(conn.diesel())
        .optional()?
        .flatten();
    // sources before the last complete validation are booked — but a transaction may have
    // committed a little after the time it stamped on its source
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| AccountingError::internal("1970-01-01 is a date"))?;
    let mut from = complete.map_or(epoch, |t| t - chrono::Duration::hours(LATE_SOURCE_HOURS));
    let mut created = 0;
    loop {
        let (made, last) =
            conn.transaction(|conn| validate_chunk(conn, enterprise_id, from, before))?;
        created += made;
        match last {
            // every source before the last one read is booked now
            Some(at) => from = at,
            None => break,
        }
    }
    let now = crate::time::now();
    let done = before.min(now);
    conn.transaction(|conn| {
        lock(conn, enterprise_id)?;
        diesel::update(book_state::table.find(enterprise_id))
            .filter(
                book_state::complete_before
                    .is_null()
                    .or(book_state::complete_before.lt(done)),
            )
            .set(book_state::complete_before.eq(Some(done)))
            .execute(conn.diesel())?;
        Ok::<_, AccountingError>(())
    })?;
    Ok(created)
}

/// How long after the time it stamps on a source (`booked_at`, `received_at`…) its
/// transaction may commit and still be found by the next validation.
const LATE_SOURCE_HOURS: i64 = 1;

/// The enterprise's SIREN on record (or the first 9 digits of its SIRET), for its FEC's name.
pub fn siren_of(conn: &mut DbConn, enterprise_id: &str) -> Result<Option<String>, AccountingError> {
    use crate::db::schema::enterprises;
    let found: Option<(Option<String>, Option<String>)> = enterprises::table
        .find(enterprise_id)
        .select((enterprises::siren, enterprises::siret))
        .first(conn.diesel())
        .optional()?;
    let (siren, siret) =
        found.ok_or_else(|| AccountingError::NotFound(format!("enterprise {enterprise_id}")))?;
    Ok(siren.or_else(|| siret.map(|s| s.chars().take(9).collect())))
}

/// Validates every enterprise's books up to `until` (a period close); a book that fails is
/// logged and left for later.
pub fn validate_every_book_until(
    conn: &mut DbConn,
    until: NaiveDate,
) -> Result<usize, AccountingError> {
    use crate::db::schema::enterprises;
    let ids: Vec<String> = enterprises::table
        .order(enterprises::id.asc())
        .select(enterprises::id)
        .load(conn.diesel())?;
    let mut created = 0;
    for id in ids {
        // one book that cannot be validated (a VAT rate without accounts) does not hold the
        // period up: its late sources will be dated after the period, like any late entry
        match validate_until(conn, &id, until) {
            Ok(made) => created += made,
            Err(e) => {
                tracing::warn!(enterprise = %id, error = %e, "an enterprise's books could not be validated before the period close")
            }
        }
    }
    Ok(created)
}

/// Books up to [`CHUNK`] sources dated in `from..before`; returns how many moves it made and
/// the date of the last source read (none: nothing left).
fn validate_chunk(
    conn: &mut DbConn,
    enterprise_id: &str,
    from: NaiveDateTime,
    before: NaiveDateTime,
) -> Result<(usize, Option<NaiveDateTime>), AccountingError> {
    lock(conn, enterprise_id)?;
    let sources: Vec<Source> = diesel::sql_query(SOURCES)
        .bind::<Text, _>(enterprise_id)
        .bind::<Timestamp, _>(before)
        .bind::<Timestamp, _>(from)
        .bind::<BigInt, _>(CHUNK)
        .load(conn.diesel())?;
    let Some(last) = sources.last().map(|s| s.at) else {
        return Ok((0, None));
    };
    let sources: Vec<(Kind, Source)> = sources
        .into_iter()
        .map(|s| Kind::of(&s).map(|k| (k, s)))
        .collect::<Result<_, _>>()?;
    let books = chart::books(conn)?;
    let mut context = Context::load(conn, &sources)?;
    let mut drafts = Vec::with_capacity(sources.len());
    for (kind, source) in &sources {
        let draft = match kind {
            Kind::Sale => context.sale(conn, &books, source)?,
            Kind::Receipt => context.receipt(&books, source)?,
            Kind::Settlement => context.settlement(conn, &books, source)?,
            Kind::Supply => context.supply(conn, &books, enterprise_id, source)?,
        };
        drafts.push(draft.balanced()?);
    }
    Ok((write(conn, enterprise_id, drafts, &books)?, Some(last)))
}

/// Numbers, stores and letters a chunk's moves.
fn write(
    conn: &mut DbConn,
    enterprise_id: &str,
    drafts: Vec<Draft>,
    books: &Books,
) -> Result<usize, AccountingError> {
    let closed = super::closed::periods(conn)?;
    let last_seq: i64 = book_moves::table
        .filter(book_moves::enterprise_id.eq(enterprise_id))
        .select(diesel::dsl::max(book_moves::seq))
        .first::<Option<i64>>(conn.diesel())?
        .unwrap_or(0);
    let mut next_number: HashMap<(String, i32), i64> = HashMap::new();
    let now = crate::time::now();
    let (mut move_rows, mut line_rows) = (Vec::new(), Vec::new());
    let mut to_letter: Vec<(String, String, String)> = Vec::new();
    let letterable = [&books.customers.code, &books.hubs.code];
    for (seq, draft) in (last_seq + 1..).zip(drafts) {
        let date = super::closed::first_open_day(&closed, draft.date);
        let year = date.year();
        let key = (draft.journal.code.clone(), year);
        let number = match next_number.get(&key) {
            // a source that moves nothing: recorded, never numbered nor exported
            _ if draft.lines.is_empty() => None,
            Some(n) => Some(*n),
            None => {
                let max: Option<i64> = book_moves::table
                    .filter(book_moves::enterprise_id.eq(enterprise_id))
                    .filter(book_moves::journal_code.eq(&draft.journal.code))
                    .filter(book_moves::fiscal_year.eq(year))
                    .select(diesel::dsl::max(book_moves::number))
                    .first::<Option<i64>>(conn.diesel())?;
                Some(max.unwrap_or(0) + 1)
            }
        };
        if let Some(number) = number {
            next_number.insert(key, number + 1);
        }
        let id =
            crate::ledger::journal::derived_id(&format!("book:{enterprise_id}:{}", draft.source));
        for (i, line) in draft.lines.iter().enumerate() {
            if letterable.contains(&&line.account.code) && !line.aux.0.is_empty() {
                to_letter.push((
                    line.account.code.clone(),
                    line.aux.0.clone(),
                    draft.piece.clone(),
                ));
            }
            let (currency_amount, currency) = line.currency.clone().unwrap_or_default();
            line_rows.push(BookLineRow {
                move_id: id.clone(),
                position: i as i32 + 1,
                account_code: line.account.code.clone(),
                account_label: line.account.label.clone(),
                aux_code: line.aux.0.clone(),
                aux_label: line.aux.1.clone(),
                label: line.label.clone(),
                debit_minor: line.debit.minor,
                credit_minor: line.credit.minor,
                currency_amount,
                currency,
                letter: String::new(),
                lettered_on: None,
            });
        }
        move_rows.push(BookMoveRow {
            id,
            enterprise_id: enterprise_id.to_string(),
            seq,
            source: draft.source,
            journal_code: draft.journal.code,
            journal_label: draft.journal.label,
            fiscal_year: year,
            number,
            entry_date: date,
            piece_ref: draft.piece,
            label: draft.label,
            validated_at: now,
        });
    }
    let made = move_rows.len();
    {
        let conn = conn.diesel();
        for chunk in move_rows.chunks(200) {
            crate::db::execute(conn, diesel::insert_into(book_moves::table).values(chunk))?;
        }
        for chunk in line_rows.chunks(200) {
            crate::db::execute(conn, diesel::insert_into(book_lines::table).values(chunk))?;
        }
        diesel::update(book_state::table.find(enterprise_id))
            .set(book_state::validated_at.eq(now))
            .execute(conn)
    }?;
    to_letter.sort();
    to_letter.dedup();
    for (code, aux, piece) in &to_letter {
        letter(conn, enterprise_id, code, aux, piece)?;
    }
    Ok(made)
}

/// Letters the unlettered lines of one account, auxiliary account and piece in the
/// enterprise's books once they balance, dated the day the last of them is dated.
fn letter(
    conn: &mut DbConn,
    enterprise_id: &str,
    code: &str,
    aux: &str,
    piece: &str,
) -> Result<(), AccountingError> {
    let open: Vec<moves::OpenLine> = book_lines::table
        .inner_join(book_moves::table)
        .filter(book_moves::enterprise_id.eq(enterprise_id))
        .filter(book_moves::piece_ref.eq(piece))
        .filter(book_lines::account_code.eq(code))
        .filter(book_lines::aux_code.eq(aux))
        .filter(book_lines::letter.eq(""))
        .select((
            book_lines::move_id,
            book_lines::position,
            book_moves::entry_date,
            book_lines::debit_minor,
            book_lines::credit_minor,
        ))
        .load(conn.diesel())?;
    let Some(on) = moves::balanced_on(&open) else {
        return Ok(());
    };
    let letter = moves::next_letter(conn, enterprise_id, code, |conn| {
        let used: i64 = book_lines::table
            .inner_join(book_moves::table)
            .filter(book_moves::enterprise_id.eq(enterprise_id))
            .filter(book_lines::account_code.eq(code))
            .filter(book_lines::letter.ne(""))
            .select(diesel::dsl::count(book_lines::letter).aggregate_distinct())
            .first(conn.diesel())?;
        Ok(used)
    })?;
    {
        let conn = conn.diesel();
        for (move_id, position, ..) in &open {
            diesel::update(book_lines::table.find((move_id, position)))
                .set((
                    book_lines::letter.eq(&letter),
                    book_lines::lettered_on.eq(Some(on)),
                ))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    }?;
    Ok(())
}

/// One page of an enterprise's validated moves dated in `from..=to`, after `seq` `after`,
/// in the shape of the deployment's (so both export the same way).
pub fn page(
    conn: &mut DbConn,
    enterprise_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    after: i64,
    limit: i64,
) -> Result<Vec<(MoveRow, Vec<LineRow>)>, AccountingError> {
    let found: Vec<BookMoveRow> = book_moves::table
        .filter(book_moves::enterprise_id.eq(enterprise_id))
        .filter(book_moves::entry_date.between(from, to))
        .filter(book_moves::number.is_not_null())
        .filter(book_moves::seq.gt(after))
        .order(book_moves::seq.asc())
        .limit(limit)
        .select(BookMoveRow::as_select())
        .load(conn.diesel())?;
    let ids: Vec<&str> = found.iter().map(|m| m.id.as_str()).collect();
    let mut of: HashMap<String, Vec<LineRow>> = HashMap::new();
    for l in book_lines::table
        .filter(book_lines::move_id.eq_any(&ids))
        .order((book_lines::move_id.asc(), book_lines::position.asc()))
        .select(BookLineRow::as_select())
        .load::<BookLineRow>(conn.diesel())?
    {
        of.entry(l.move_id.clone()).or_default().push(LineRow {
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
        });
    }
    Ok(found
        .into_iter()
        .map(|m| {
            let lines = of.remove(&m.id).unwrap_or_default();
            (
                MoveRow {
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
                },
                lines,
            )
        })
        .collect())
}
