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
//! - **a receipt from the customer's credit** (`order_receipts.method = 'credit'`: part of
//!   the euro part paid at checkout from the customer's credit with the hub; sales
//!   journal): D 419 customers' credit / C 411, the customer as auxiliary account on both.
//! - **a refund** (euros an order owed back given back — `order_refunds.kind = 'refund'`;
//!   bank journal): D 411 customer / C 512, the method and reference in the label. Every
//!   method (transfer, cash, cheque, card) is on 512, as every receipt is.
//! - **credit** (euros owed back turned into the customer's credit with the hub —
//!   `order_refunds.kind = 'credit'`, also when a cancelled order gives back the credit it
//!   used; sales journal): D 411 customer / C 419 customers' credit (the customer as
//!   auxiliary account on both). The 419 balance, per customer, is the credit left.
//!
//! These four are an order's moves: their piece is the order's number, as the sale's is, so
//! an order paid, cancelled and refunded (never sold: the close does not book a cancelled
//! order) letters its 411 to zero, and so does one weighed down after it was paid and
//! refunded the difference. The moves on the customer's credit are in the sales journal,
//! not the bank's: no money moves, and the bank journal holds only moves of 512 (it is
//! what a bank statement reconciles with); the chart has no journal of miscellaneous
//! operations to put them in. 419 is not lettered: credit given on one order is used on
//! another. French default 419100 *Clients - crédits à valoir sur commandes* (419
//! *clients créditeurs*: money the customer holds to pay later orders, as 4191's advances
//! on orders are; 4197 *autres avoirs* is the choice of an accountant who sees it as a
//! credit note: the chart says); Swiss 2030 *Acomptes de clients*.
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
//! Moves are written lazily by the one book pipeline ([`super::pipeline`]), as the
//! deployment's are: an export validates every source dated up to its last day, in chunks,
//! under a per-book lock; numbers are continuous per book, journal and year, in date order; a
//! source that moves nothing (an order weighed down to zero) is recorded without a number; a
//! source dated inside a closed period is dated the day after it; moves and lines are stored
//! as exported (`book_moves`, `book_lines`, keyed by enterprise), so an export of the same
//! period is the same file. What this module supplies is the enterprise's own: its sources
//! (read from the last complete validation on, `book_state.complete_before`), how each one
//! becomes a draft move (`context`), and which lines are lettered (customers' 411 and
//! the hub's 467, per auxiliary account and piece; not 419). The accounts come from the `books` part
//! of the chart ([`super::chart::Books`]); a VAT rate without accounts stops the export (409
//! `accounting-unmapped`, naming the rate).

mod context;

use context::Context;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::chart::{self, BookAccount, Books};
use super::pipeline::{self, Chunk, Draft, Sources};
use crate::accounting::AccountingError;
use crate::db::schema::book_state;
use crate::db::DbConn;
use crate::deployment::Legal;

pub use super::pipeline::Book;

/// Sources read per transaction.
pub const CHUNK: i64 = 200;

// Validation is the book's own way to its sources; the rest of `Book` is the pipeline's.
impl Book {
    /// Validates what is due up to `to` (inclusive); returns how many moves were created.
    pub fn validate_until(
        &self,
        conn: &mut DbConn,
        to: NaiveDate,
    ) -> Result<usize, AccountingError> {
        match self {
            Book::Deployment => super::moves::validate_until(conn, to, &mut |_| {}),
            Book::Enterprise(id) => {
                let mut trade = Trade::start(conn, id)?;
                pipeline::validate_until(conn, self, &mut trade, to, &mut |_| {})
            }
        }
    }
}

/// Something to book, as read from the orders, receipts, refunds and settlements.
#[derive(Debug, Clone, QueryableByName)]
struct Source {
    /// `sale`, `receipt`, `credit_used` (a receipt paid from the customer's credit),
    /// `refund`, `credit` (euros owed back turned into credit), `settle` or `supply`.
    #[diesel(sql_type = Text)]
    kind: String,
    /// The order (a sale), the receipt's or refund's ledger entry, or the cycle (a
    /// settlement, a supply).
    #[diesel(sql_type = Text)]
    id: String,
    /// The customer, the receipt's or refund's order, the settled producer, or the supplied
    /// hub.
    #[diesel(sql_type = Text)]
    other: String,
    #[diesel(sql_type = Timestamp)]
    at: NaiveDateTime,
    /// A receipt's or refund's amount.
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sale,
    /// Euros received (`order_receipts.method = 'payment'`).
    Receipt,
    /// Paid from the customer's credit with the hub (`order_receipts.method = 'credit'`).
    CreditUsed,
    /// Euros given back (`order_refunds.kind = 'refund'`).
    Refund,
    /// Euros owed back turned into credit (`order_refunds.kind = 'credit'`).
    Credit,
    Settlement,
    Supply,
}

impl Kind {
    fn of(source: &Source) -> Result<Kind, AccountingError> {
        match source.kind.as_str() {
            "sale" => Ok(Kind::Sale),
            "receipt" => Ok(Kind::Receipt),
            "credit_used" => Ok(Kind::CreditUsed),
            "refund" => Ok(Kind::Refund),
            "credit" => Ok(Kind::Credit),
            "settle" => Ok(Kind::Settlement),
            "supply" => Ok(Kind::Supply),
            other => Err(AccountingError::internal(format!(
                "a book source of kind {other}"
            ))),
        }
    }

    /// The source's key in the enterprise's books (`book_moves.source`). Every receipt is
    /// `receipt:<entry>`, whatever paid it; a refund and a credit are keyed by their kind and
    /// entry (`order_refunds.kind`).
    fn key(self, s: &Source) -> String {
        match self {
            Kind::Sale => format!("sale:{}", s.id),
            Kind::Receipt | Kind::CreditUsed => format!("receipt:{}", s.id),
            Kind::Refund => format!("refund:{}", s.id),
            Kind::Credit => format!("credit:{}", s.id),
            Kind::Settlement => format!("settle:{}:{}", s.id, s.other),
            Kind::Supply => format!("supply:{}", s.id),
        }
    }

    /// Whether the source is an order's (its `other` is the order).
    fn of_order(self) -> bool {
        matches!(
            self,
            Kind::Receipt | Kind::CreditUsed | Kind::Refund | Kind::Credit
        )
    }
}

/// The enterprise's (`$1`) sources not booked yet, dated before `$2` and from `$3` on, oldest
/// first, at most `$4` (SQLite numbers parameters in order of first appearance: keep them
/// in order — `$1` to `$3` first appear in the first branch, `$4` last): a hub's booked
/// orders, its euro receipts (paid in euros or from the customer's credit), what it gave
/// back (refunds and credit), the settlements it paid its producers, and a producer's
/// settlements by hubs. One query, so that a chunk is in date order whatever the kinds.
const SOURCES: &str = "SELECT kind, id, other, at, amount FROM (
    SELECT 'sale' AS kind, o.id AS id, o.customer_id AS other, o.booked_at AS at,
           CAST(0 AS BIGINT) AS amount
    FROM orders o
    WHERE o.hub_id = $1 AND o.booked_at IS NOT NULL AND o.booked_at < $2
      AND o.booked_at >= $3
      AND NOT EXISTS (SELECT 1 FROM book_moves m
                      WHERE m.enterprise_id = $1 AND m.source = 'sale:' || o.id)
    UNION ALL
    SELECT CASE WHEN r.method = 'credit' THEN 'credit_used' ELSE 'receipt' END AS kind,
           r.entry_id AS id, r.order_id AS other, r.received_at AS at,
           r.amount_minor AS amount
    FROM order_receipts r
    WHERE r.hub_id = $1 AND r.received_at < $2 AND r.received_at >= $3
      AND NOT EXISTS (SELECT 1 FROM book_moves m
                      WHERE m.enterprise_id = $1 AND m.source = 'receipt:' || r.entry_id)
    UNION ALL
    SELECT f.kind AS kind, f.entry_id AS id, f.order_id AS other, f.created_at AS at,
           f.amount_minor AS amount
    FROM order_refunds f
    WHERE f.hub_id = $1 AND f.created_at < $2 AND f.created_at >= $3
      AND NOT EXISTS (SELECT 1 FROM book_moves m
                      WHERE m.enterprise_id = $1 AND m.source = f.kind || ':' || f.entry_id)
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

/// Per VAT rate (basis points): (amount tax included, VAT), both in cents.
type ByRate = BTreeMap<i32, (i64, i64)>;

fn add_rate(sums: &mut ByRate, rate: i32, total: i64, vat: i64) {
    let entry = sums.entry(rate).or_default();
    entry.0 += total;
    entry.1 += vat;
}

/// Revenue lines per VAT rate: tax excluded on `revenue(rate)`, the VAT on *VAT collected*.
fn revenue_lines(
    legal: Legal,
    draft: &mut Draft,
    books: &Books,
    sums: &ByRate,
    revenue: fn(&chart::VatAccounts) -> &BookAccount,
) -> Result<(), AccountingError> {
    for (rate, (total, vat)) in sums {
        let accounts = books.vat(*rate)?;
        draft.line(revenue(accounts), None, legal.amount(-(total - vat)));
        draft.line(&accounts.collected, None, legal.amount(-vat));
    }
    Ok(())
}

/// An enterprise's sources: its trade, from where the last complete validation ended.
struct Trade {
    enterprise_id: String,
    /// Sources dated before this are booked.
    from: NaiveDateTime,
}

impl Trade {
    fn start(conn: &mut DbConn, enterprise_id: &str) -> Result<Trade, AccountingError> {
        let complete: Option<NaiveDateTime> = book_state::table
            .find(enterprise_id)
            .select(book_state::complete_before)
            .first::<Option<NaiveDateTime>>(conn.diesel())
            .optional()?
            .flatten();
        // sources before the last complete validation are booked — but a transaction may
        // have committed a little after the time it stamped on its source
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(|| AccountingError::internal("1970-01-01 is a date"))?;
        Ok(Trade {
            enterprise_id: enterprise_id.to_string(),
            from: complete.map_or(epoch, |t| t - chrono::Duration::hours(LATE_SOURCE_HOURS)),
        })
    }
}

impl Sources for Trade {
    /// Drafts up to [`CHUNK`] sources dated in `from..before`; every source before the last
    /// one read is booked after it.
    fn chunk(
        &mut self,
        conn: &mut DbConn,
        before: NaiveDateTime,
    ) -> Result<Option<Chunk>, AccountingError> {
        let enterprise_id = self.enterprise_id.as_str();
        let sources: Vec<Source> = diesel::sql_query(SOURCES)
            .bind::<Text, _>(enterprise_id)
            .bind::<Timestamp, _>(before)
            .bind::<Timestamp, _>(self.from)
            .bind::<BigInt, _>(CHUNK)
            .load(conn.diesel())?;
        let Some(last) = sources.last().map(|s| s.at) else {
            return Ok(None);
        };
        let sources: Vec<(Kind, Source)> = sources
            .into_iter()
            .map(|s| Kind::of(&s).map(|k| (k, s)))
            .collect::<Result<_, _>>()?;
        let books = chart::books(conn)?;
        let mut context = Context::load(conn, &sources)?;
        let last_seq = pipeline::store::last_seq(conn, enterprise_id)?;
        let letterable = [&books.customers.code, &books.hubs.code];
        let mut drafts = Vec::with_capacity(sources.len());
        for ((kind, source), seq) in sources.iter().zip(last_seq + 1..) {
            let mut draft = match kind {
                Kind::Sale => context.sale(conn, &books, source)?,
                Kind::Receipt => context.receipt(&books, source)?,
                Kind::CreditUsed => context.credit_used(&books, source)?,
                Kind::Refund => context.refund(&books, source)?,
                Kind::Credit => context.credit(&books, source)?,
                Kind::Settlement => context.settlement(conn, &books, source)?,
                Kind::Supply => context.supply(conn, &books, enterprise_id, source)?,
            };
            // assertion that stays on: a move that does not balance is never written
            if let Some((debit, credit)) = draft.unbalanced()? {
                return Err(AccountingError::internal(format!(
                    "enterprise books: {} does not balance ({debit} debit, {credit} credit)",
                    draft.source
                )));
            }
            draft.id = crate::ledger::journal::derived_id(&format!(
                "book:{enterprise_id}:{}",
                draft.source
            ));
            draft.seq = seq;
            // an order's 411 and a supply's 467 are lettered per auxiliary account and piece
            // (not the customers' credit: it is given on one order and used on another)
            for line in &mut draft.lines {
                if letterable.contains(&&line.account.code) && !line.aux.0.is_empty() {
                    line.letter_by = Some(line.aux.0.clone());
                }
            }
            drafts.push(draft);
        }
        self.from = last;
        Ok(Some(Chunk {
            read: sources.len(),
            drafts,
        }))
    }

    /// Records that every source dated before `before` (or now) is booked.
    fn done(&mut self, conn: &mut DbConn, before: NaiveDateTime) -> Result<(), AccountingError> {
        let done = before.min(crate::time::now());
        let book = Book::Enterprise(self.enterprise_id.clone());
        conn.transaction(|conn| {
            pipeline::store::lock(conn, &book)?;
            diesel::update(book_state::table.find(&self.enterprise_id))
                .filter(
                    book_state::complete_before
                        .is_null()
                        .or(book_state::complete_before.lt(done)),
                )
                .set(book_state::complete_before.eq(Some(done)))
                .execute(conn.diesel())?;
            Ok::<_, AccountingError>(())
        })
    }
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
        match Book::Enterprise(id.clone()).validate_until(conn, until) {
            Ok(made) => created += made,
            Err(e) => {
                tracing::warn!(enterprise = %id, error = %e, "an enterprise's books could not be validated before the period close")
            }
        }
    }
    Ok(created)
}
