//! The deployment's books: ledger entries become accounting moves, once and for good.
//!
//! This module supplies what is the deployment's own to the one book pipeline
//! ([`super::pipeline`]), which dates, numbers, stores, letters and pages the moves of every
//! book. Its sources are the ledger's entries, read in ledger order from the last one
//! validated (`accounting_state.validated_seq`). Every ledger entry that moves money (its
//! posted transfers, and holds when they are posted; a hold itself and its void are not
//! accounting events) becomes one **move**:
//! - its journal comes from the entry's kind ([`super::chart`]); its number is the next in
//!   that journal and calendar year — continuous, never reused;
//! - each transfer gives two lines, one per account, on the side the account's **nature**
//!   gives ([`super::nature`]: a ledger credit to the guarantee fund is a debit of 512), in
//!   euro cents (a local currency at its parity, its own amount and code in the
//!   currency columns), on the accounts the chart maps them to — an unmapped account stops
//!   the validation, naming it. A transfer worth less than a euro cent has no line (an entry
//!   with only such transfers has no move); every move balances, or the validation stops
//!   naming its entry;
//! - an order's receivable lines (per ledger account and piece) are lettered once they
//!   balance;
//! - an entry dated inside a closed period is dated the day after that period (corrections go
//!   in the open period).
//!
//! Moves and their lines are stored as validated (`accounting_moves`, `accounting_lines`):
//! later chart changes do not alter them, so an export of the same period is the same file.
//! Validation runs in chunks (constant memory) under a lock (one validator at a time), and
//! resumes where it stopped; moves validated under older rules are brought up to date first
//! ([`upgrade`]).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::chart::{BookAccount, Resolver};
use super::pipeline::{self, Book, Chunk, Draft, Sources};
use crate::accounting::AccountingError;
use crate::db::schema::{
    accounting_lines, accounting_moves, accounting_periods, accounting_state, enterprises,
    ledger_accounts, ledger_entries, ledger_transfers, users,
};
use crate::db::DbConn;
use crate::deployment::Legal;
use crate::ledger::accounts::{AccountKind, AccountRow};
use crate::ledger::currencies;
use crate::ledger::journal::{EntryRow, TransferRow};
use crate::money::Amount;

/// The deployment's moves and lines as stored (`accounting_moves`, `accounting_lines`), in
/// the shape every book exports in.
pub use super::pipeline::{LineRow, MoveRow};

/// Ledger entries read per transaction.
pub const CHUNK: i64 = 500;

/// A day before any book's first move (PostgreSQL's dates start in 4713 BC, chrono's far
/// earlier).
pub fn before_any_move() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

/// An amount in the currency columns (`Montantdevise`, `Idevise`): its exact decimal and
/// its currency's code — for a local currency; nothing for the legal currency the books are
/// kept in.
pub(super) fn currency_columns(
    currency: &currencies::CurrencyRow,
    amount: Amount,
) -> Option<(String, String)> {
    currency.is_local().then(|| {
        (
            amount.with_scale(currency.scale).amount_string(),
            amount.currency.to_string(),
        )
    })
}

/// Owners' auxiliary codes and names.
fn owners(
    conn: &mut DbConn,
    accounts: &HashMap<String, AccountRow>,
) -> Result<HashMap<String, (String, String)>, AccountingError> {
    let ids: Vec<String> = accounts
        .values()
        .filter_map(|a| a.owner_id.clone())
        .collect();
    names(conn, &ids)
}

/// Auxiliary codes and names of people and enterprises by id: enterprises by slug, people
/// by a short stable code.
pub(super) fn names(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<String, (String, String)>, AccountingError> {
    let (people, companies) = {
        let conn = conn.diesel();
        let people: Vec<(String, String)> = users::table
            .filter(users::id.eq_any(ids))
            .select((users::id, users::display_name))
            .load(conn)?;
        let companies: Vec<(String, String, String)> = enterprises::table
            .filter(enterprises::id.eq_any(ids))
            .select((enterprises::id, enterprises::slug, enterprises::name))
            .load(conn)?;
        Ok::<_, diesel::result::Error>((people, companies))
    }?;
    let mut out = HashMap::new();
    for (id, name) in people {
        let short: String = id.chars().filter(|c| *c != '-').rev().take(8).collect();
        out.insert(id, (format!("M{}", short.to_uppercase()), name));
    }
    for (id, slug, name) in companies {
        out.insert(id, (slug.to_uppercase(), name));
    }
    Ok(out)
}

/// The version of the rules moves are validated with: 1 since account natures.
const BOOKS_VERSION: i32 = 1;

/// Brings moves validated under older rules up to date, once, under the validation lock.
///
/// Version 0 → 1 (account natures, the hub's VAT as a third party): every move dated after
/// the last closed period (all of them when none is closed) is removed and validated again
/// from the ledger, in the same order — so with the same numbers — with the sides the
/// accounts' natures give and the chart as it is now (a chart still holding the old
/// defaults was moved to the new ones by the migration). Their Odoo sync state goes too:
/// the next sync finds each one in Odoo by its number, compares, and reports every move
/// whose lines changed as a conflict for the treasurer to cancel in Odoo, never silently.
/// Moves of closed periods are final (filed, perhaps declared): they stay as they are, and
/// the number of them that carry old sides is logged, with the correction to book by hand
/// in the first open period (the trial balance of the closed period shows the amounts).
/// Lettering codes go on from where they were (a re-derived group gets a new letter).
pub fn upgrade(conn: &mut DbConn) -> Result<(), AccountingError> {
    use crate::db::schema::odoo_sync;
    // every validation asks: one read, and the lock only when there is work
    let version: i32 = accounting_state::table
        .find(1)
        .select(accounting_state::books_version)
        .first(conn.diesel())?;
    if version >= BOOKS_VERSION {
        return Ok(());
    }
    conn.transaction(|conn| {
        pipeline::store::lock(conn, &Book::Deployment)?;
        let version: i32 = accounting_state::table
            .find(1)
            .select(accounting_state::books_version)
            .first(conn.diesel())?;
        if version >= BOOKS_VERSION {
            return Ok(());
        }
        let last_closed: Option<NaiveDate> = accounting_periods::table
            .select(diesel::dsl::max(accounting_periods::ends_on))
            .first(conn.diesel())?;
        let after = last_closed.unwrap_or_else(before_any_move);
        let (removed, first_seq, kept_old): (i64, Option<i64>, i64) = {
            let conn = conn.diesel();
            let open = accounting_moves::table
                .filter(accounting_moves::entry_date.gt(after))
                .select(accounting_moves::ledger_entry_id);
            let first_seq: Option<i64> = accounting_moves::table
                .filter(accounting_moves::entry_date.gt(after))
                .select(diesel::dsl::min(accounting_moves::ledger_seq))
                .first(conn)?;
            diesel::delete(odoo_sync::table.filter(odoo_sync::ledger_entry_id.eq_any(open)))
                .execute(conn)?;
            diesel::delete(
                accounting_lines::table.filter(accounting_lines::ledger_entry_id.eq_any(open)),
            )
            .execute(conn)?;
            let removed = diesel::delete(
                accounting_moves::table.filter(accounting_moves::entry_date.gt(after)),
            )
            .execute(conn)? as i64;
            let flipped = ledger_accounts::table
                .filter(ledger_accounts::kind.eq_any([
                    AccountKind::GuaranteeFund.as_str(),
                    AccountKind::Issuance.as_str(),
                ]))
                .select(ledger_accounts::id);
            let kept_old: i64 = accounting_lines::table
                .filter(accounting_lines::ledger_account_id.eq_any(flipped))
                .select(diesel::dsl::count(accounting_lines::ledger_entry_id).aggregate_distinct())
                .first(conn)?;
            Ok::<_, diesel::result::Error>((removed, first_seq, kept_old))
        }?;
        // lettering codes are given again from those of the moves kept (a code of a move
        // removed is free again, and so is its reconciliation in Odoo)
        {
            let conn = conn.diesel();
            use crate::db::schema::{letter_counters, odoo_reconciled};
            diesel::delete(letter_counters::table.filter(letter_counters::book.eq("")))
                .execute(conn)?;
            let kept: Vec<(String, String)> = accounting_lines::table
                .filter(accounting_lines::letter.ne(""))
                .select((accounting_lines::account_code, accounting_lines::letter))
                .distinct()
                .load(conn)?;
            let reconciled: Vec<(String, String)> = odoo_reconciled::table
                .select((odoo_reconciled::account_code, odoo_reconciled::letter))
                .load(conn)?;
            for (code, letter) in reconciled.iter().filter(|r| !kept.contains(r)) {
                diesel::delete(odoo_reconciled::table.find((code, letter))).execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        }?;
        {
            let conn = conn.diesel();
            if let Some(first) = first_seq {
                diesel::update(accounting_state::table.find(1))
                    .set(accounting_state::validated_seq.eq(first - 1))
                    .execute(conn)?;
            }
            diesel::update(accounting_state::table.find(1))
                .set(accounting_state::books_version.eq(BOOKS_VERSION))
                .execute(conn)
        }?;
        if removed > 0 {
            tracing::warn!(
                removed,
                "accounting: moves of open periods validated with the old account sides are \
                 validated again from the ledger (account natures); moves already in Odoo \
                 will show as conflicts until cancelled there"
            );
        }
        if kept_old > 0 {
            tracing::warn!(
                moves = kept_old,
                "accounting: moves of closed periods carry the old sides on the guarantee \
                 fund and issuance accounts; book the correction in the first open period \
                 (see the README, Accounting: account natures)"
            );
        }
        Ok(())
    })
}

/// Validates every ledger entry dated up to `until` (inclusive) not validated yet; returns
/// how many moves were created. `progress` is told the ledger entries read per chunk.
pub fn validate_until(
    conn: &mut DbConn,
    until: NaiveDate,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, AccountingError> {
    upgrade(conn)?;
    pipeline::validate_until(conn, &Book::Deployment, &mut Ledger, until, progress)
}

/// The deployment's sources: the ledger's entries, in ledger order, from the last one
/// validated (`accounting_state.validated_seq`).
struct Ledger;

impl Sources for Ledger {
    fn chunk(
        &mut self,
        conn: &mut DbConn,
        before: NaiveDateTime,
    ) -> Result<Option<Chunk>, AccountingError> {
        let after = validated_seq(conn)?;
        let entries: Vec<EntryRow> = ledger_entries::table
            .filter(ledger_entries::seq.gt(after))
            .filter(ledger_entries::created_at.lt(before))
            .order(ledger_entries::seq.asc())
            .limit(CHUNK)
            .select(EntryRow::as_select())
            .load(conn.diesel())?;
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Ok(None);
        };
        let (first, last) = (first.seq, last.seq);
        let drafts = drafts(conn, &entries, first, last)?;
        diesel::update(accounting_state::table.find(1))
            .set(accounting_state::validated_seq.eq(last))
            .execute(conn.diesel())?;
        Ok(Some(Chunk {
            read: entries.len(),
            drafts,
        }))
    }
}

/// How far validation went: the ledger seq of the last entry read.
fn validated_seq(conn: &mut DbConn) -> Result<i64, AccountingError> {
    Ok(accounting_state::table
        .find(1)
        .select(accounting_state::validated_seq)
        .first(conn.diesel())?)
}

/// The drafts of a chunk's entries (seq `first..=last`): one per entry that moves money
/// and has no move yet.
fn drafts(
    conn: &mut DbConn,
    entries: &[EntryRow],
    first: i64,
    last: i64,
) -> Result<Vec<Draft>, AccountingError> {
    let transfers: Vec<TransferRow> = ledger_transfers::table
        .inner_join(ledger_entries::table)
        .filter(ledger_entries::seq.between(first, last))
        .filter(ledger_transfers::kind.eq_any(["posted", "post_pending"]))
        .order((
            ledger_transfers::entry_id.asc(),
            ledger_transfers::position.asc(),
        ))
        .select(TransferRow::as_select())
        .load(conn.diesel())?;
    let mut of_entry: HashMap<&str, Vec<&TransferRow>> = HashMap::new();
    for t in &transfers {
        of_entry.entry(t.entry_id.as_str()).or_default().push(t);
    }
    let account_ids: Vec<&str> = transfers
        .iter()
        .flat_map(|t| [t.debit_account_id.as_str(), t.credit_account_id.as_str()])
        .collect();
    let accounts: HashMap<String, AccountRow> = ledger_accounts::table
        .filter(ledger_accounts::id.eq_any(&account_ids))
        .select(AccountRow::as_select())
        .load::<AccountRow>(conn.diesel())?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let names = owners(conn, &accounts)?;
    let resolver = Resolver::load(conn)?;
    let language = super::chart::language(conn)?;
    let legal = currencies::legal(conn)?;
    let mut currencies_by_code = HashMap::new();
    // after an upgrade ([`upgrade`]) the chunk may reach entries of a closed period again:
    // their moves are kept
    let entry_ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    let booked: std::collections::HashSet<String> = accounting_moves::table
        .filter(accounting_moves::ledger_entry_id.eq_any(&entry_ids))
        .select(accounting_moves::ledger_entry_id)
        .load::<String>(conn.diesel())?
        .into_iter()
        .collect();
    let mut drafts = Vec::new();
    for entry in entries {
        if booked.contains(&entry.id) {
            continue;
        }
        let Some(entry_transfers) = of_entry.get(entry.id.as_str()) else {
            continue; // a hold or a void: nothing moves in the books
        };
        let piece = if entry.reference.is_empty() {
            entry.id.clone()
        } else {
            entry.reference.clone()
        };
        let mut draft = Draft::new(
            entry.id.clone(),
            resolver.journal(&entry.code)?,
            entry.created_at.date(),
            piece,
        );
        draft.id = entry.id.clone();
        draft.seq = entry.seq;
        draft.label = label_of(
            conn,
            &language,
            entry,
            entry_transfers,
            &accounts,
            &mut currencies_by_code,
            legal,
        )?;
        for t in entry_transfers {
            let currency = currency(conn, &mut currencies_by_code, &t.currency)?;
            let moved = t.moved()?;
            // the books are in the legal currency: a local currency at its parity
            let euros = currency.to_legal(legal, moved)?;
            if euros.is_zero() {
                // less than a minor unit of the legal currency: nothing to book
                continue;
            }
            let columns = currency_columns(currency, moved);
            for (account_id, debit) in [(&t.debit_account_id, true), (&t.credit_account_id, false)]
            {
                let account = accounts.get(account_id).ok_or_else(|| {
                    AccountingError::internal(format!("ledger account {account_id} is missing"))
                })?;
                let Some(rule) = resolver.account(account) else {
                    return Err(AccountingError::Unmapped(format!(
                        "ledger account {} ({} {}, {}) carries entries but no chart rule maps \
                             it: add a rule for kind `{}`",
                        account.id, account.kind, account.currency, account.name, account.kind
                    )));
                };
                let aux = if rule.auxiliary {
                    account
                        .owner_id
                        .as_ref()
                        .and_then(|o| names.get(o))
                        .cloned()
                        .unwrap_or_default()
                } else {
                    (String::new(), String::new())
                };
                // the side in the books follows the account's nature (see `nature`)
                let debit = debit == super::nature::debit_stays_debit(account.kind()?);
                let book_account = BookAccount {
                    code: rule.code.clone(),
                    label: rule.label.clone(),
                };
                let line = draft.push(&book_account, aux, euros, debit, columns.clone());
                line.ledger_account = account.id.clone();
                // an order's receivable is lettered once what was owed has been received
                if account.kind == AccountKind::EuroReceivable.as_str() {
                    line.letter_by = Some(account.id.clone());
                }
            }
        }
        if draft.lines.is_empty() {
            continue; // only sub-cent transfers: no move, and no number used
        }
        if let Some((debit, credit)) = draft.unbalanced()? {
            return Err(AccountingError::internal(format!(
                "ledger entry {} ({}) does not balance in the books ({debit} debit, {credit} \
                 credit): its accounts' natures do not fit its transfers",
                entry.id, entry.code,
            )));
        }
        drafts.push(draft);
    }
    Ok(drafts)
}

/// A currency, read once per chunk.
fn currency<'a>(
    conn: &mut DbConn,
    cache: &'a mut HashMap<String, currencies::CurrencyRow>,
    code: &str,
) -> Result<&'a currencies::CurrencyRow, AccountingError> {
    if !cache.contains_key(code) {
        let row = currencies::get(conn, code)?;
        cache.insert(code.to_string(), row);
    }
    cache
        .get(code)
        .ok_or_else(|| AccountingError::internal(format!("currency {code} just read is missing")))
}

/// The label of an entry's move in the books' language ([`super::labels`]).
fn label_of(
    conn: &mut DbConn,
    language: &str,
    entry: &EntryRow,
    transfers: &[&TransferRow],
    accounts: &HashMap<String, AccountRow>,
    cache: &mut HashMap<String, currencies::CurrencyRow>,
    legal: Legal,
) -> Result<String, AccountingError> {
    let local = transfers.iter().find(|t| !legal.is(&t.currency));
    let (name, commission) = match local {
        Some(t) => {
            let row = currency(conn, cache, &t.currency)?;
            let fee: i64 = transfers
                .iter()
                .filter(|t| {
                    accounts.get(&t.credit_account_id).map(|a| a.kind.as_str())
                        == Some(AccountKind::CommissionIncome.as_str())
                })
                .map(|t| t.amount)
                .sum();
            let fee = (fee > 0).then(|| {
                let amount = crate::money::format_minor(fee, crate::money::minor_scale(row.scale));
                let amount = if language == "fr" {
                    amount.replace('.', ",")
                } else {
                    amount
                };
                format!("{amount} {}", row.name)
            });
            (Some(row.name.clone()), fee)
        }
        None => (None, None),
    };
    Ok(super::labels::label(
        language,
        &super::labels::Facts {
            code: &entry.code,
            description: &entry.description,
            reference: &entry.reference,
            currency: name.as_deref(),
            commission,
        },
    ))
}
