//! Validation: ledger entries become accounting moves, once and for good.
//!
//! Every ledger entry that moves money (its posted transfers, and holds when they are posted;
//! a hold itself and its void are not accounting events) becomes one **move**, validated in
//! ledger order:
//! - its journal comes from the entry's kind ([`super::chart`]); its number is the next in
//!   that journal and calendar year — continuous, never reused;
//! - each transfer gives two lines, one per account, on the side the account's **nature**
//!   gives ([`super::nature`]: a ledger credit to the guarantee fund is a debit of 512), in
//!   euro cents (a local currency at its parity, its own amount and code in the
//!   currency columns), on the accounts the chart maps them to — an unmapped account stops
//!   the validation, naming it. A transfer worth less than a euro cent has no line (an entry
//!   with only such transfers has no move); every move balances, or the validation stops
//!   naming its entry;
//! - an entry dated inside a closed period is dated the day after that period (corrections go
//!   in the open period).
//!
//! Moves and their lines are stored as validated: later chart changes do not alter them, so
//! an export of the same period is the same file. Validation runs in chunks (constant memory)
//! under a lock (one validator at a time), and resumes where it stopped.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use super::chart::Resolver;
use crate::accounting::AccountingError;
use crate::db::schema::{
    accounting_lines, accounting_moves, accounting_periods, accounting_state, enterprises,
    ledger_accounts, ledger_entries, ledger_transfers, users,
};
use crate::db::DbConn;
use crate::ledger::accounts::{AccountKind, AccountRow};
use crate::ledger::currencies;
use crate::ledger::journal::{EntryRow, TransferRow};
use crate::money::{Amount, CurrencyCode};

/// Ledger entries read per transaction.
pub const CHUNK: i64 = 500;

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
    pub validated_at: chrono::NaiveDateTime,
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
    /// Its debit, in the books' currency (euros).
    pub fn debit(&self) -> Amount {
        Amount::eur(self.debit_minor)
    }

    /// Its credit, in the books' currency (euros).
    pub fn credit(&self) -> Amount {
        Amount::eur(self.credit_minor)
    }

    /// A line of `euros` on the debit or the credit side.
    fn set_side(&mut self, euros: Amount, debit: bool) {
        let zero = Amount::zero(euros.currency);
        let (d, c) = if debit { (euros, zero) } else { (zero, euros) };
        self.debit_minor = d.minor;
        self.credit_minor = c.minor;
    }
}

/// A day before any book's first move (PostgreSQL's dates start in 4713 BC, chrono's far
/// earlier).
pub fn before_any_move() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

/// Locks the validation (PostgreSQL: the state row; SQLite's write transaction is exclusive)
/// and returns how far it went.
fn lock_state(conn: &mut DbConn) -> Result<i64, AccountingError> {
    crate::db::lock_row_by(conn, "accounting_state", "CAST(id AS TEXT)", "1")?;
    Ok(accounting_state::table
        .find(1)
        .select(accounting_state::validated_seq)
        .first(conn.diesel())?)
}

/// An amount in the currency columns (`Montantdevise`, `Idevise`): its exact decimal and
/// its currency's code — for a local currency; nothing for euros.
pub(super) fn currency_columns(
    currency: &currencies::CurrencyRow,
    amount: Amount,
) -> Option<(String, String)> {
    (amount.currency != CurrencyCode::EUR).then(|| {
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
        lock_state(conn)?;
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
    let limit = until
        .succ_opt()
        .unwrap_or(until)
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| AccountingError::internal("a date without midnight"))?;
    let mut created = 0;
    loop {
        let (read, made) = conn.transaction(|conn| validate_chunk(conn, limit))?;
        if read == 0 {
            return Ok(created);
        }
        created += made;
        progress(read);
    }
}

fn validate_chunk(
    conn: &mut DbConn,
    before: chrono::NaiveDateTime,
) -> Result<(usize, usize), AccountingError> {
    let after = lock_state(conn)?;
    let entries: Vec<EntryRow> = ledger_entries::table
        .filter(ledger_entries::seq.gt(after))
        .filter(ledger_entries::created_at.lt(before))
        .order(ledger_entries::seq.asc())
        .limit(CHUNK)
        .select(EntryRow::as_select())
        .load(conn.diesel())?;
    let Some(last) = entries.last().map(|e| e.seq) else {
        return Ok((0, 0));
    };
    let (first, last_seq) = (entries[0].seq, last);
    let transfers: Vec<TransferRow> = ledger_transfers::table
        .inner_join(ledger_entries::table)
        .filter(ledger_entries::seq.between(first, last_seq))
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
    let closed = super::closed::periods(conn)?;
    let language = super::chart::language(conn)?;
    let mut currencies_by_code = HashMap::new();
    let mut next_number: HashMap<(String, i32), i64> = HashMap::new();
    let now = crate::time::now();
    let mut moves = Vec::new();
    let mut lines = Vec::new();
    let mut to_letter: Vec<(String, String, String)> = Vec::new();
    // after an upgrade ([`upgrade`]) the chunk may reach entries of a closed period again:
    // their moves are kept
    let entry_ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    let booked: std::collections::HashSet<String> = accounting_moves::table
        .filter(accounting_moves::ledger_entry_id.eq_any(&entry_ids))
        .select(accounting_moves::ledger_entry_id)
        .load::<String>(conn.diesel())?
        .into_iter()
        .collect();
    for entry in &entries {
        if booked.contains(&entry.id) {
            continue;
        }
        let Some(entry_transfers) = of_entry.get(entry.id.as_str()) else {
            continue; // a hold or a void: nothing moves in the books
        };
        let date = super::closed::first_open_day(&closed, entry.created_at.date());
        let journal = resolver.journal(&entry.code)?;
        let year = date.year();
        let key = (journal.code.clone(), year);
        let number = match next_number.get(&key) {
            Some(n) => *n,
            None => {
                let max: Option<i64> = accounting_moves::table
                    .filter(accounting_moves::journal_code.eq(&journal.code))
                    .filter(accounting_moves::fiscal_year.eq(year))
                    .select(diesel::dsl::max(accounting_moves::number))
                    .first(conn.diesel())?;
                max.unwrap_or(0) + 1
            }
        };
        let label = label_of(
            conn,
            &language,
            entry,
            entry_transfers,
            &accounts,
            &mut currencies_by_code,
        )?;
        let mut position = 0;
        // this entry's lines start here
        let first_line = lines.len();
        for t in entry_transfers {
            let currency = currency(conn, &mut currencies_by_code, &t.currency)?;
            let moved = t.moved()?;
            // the books are in euros: a local currency at its parity
            let euros = currency.to_eur(moved)?;
            if euros.is_zero() {
                // less than a euro cent of a local currency: nothing to book in euros
                continue;
            }
            let (amount_text, code) = currency_columns(currency, moved).unwrap_or_default();
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
                let (aux_code, aux_label) = if rule.auxiliary {
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
                position += 1;
                let mut line = LineRow {
                    ledger_entry_id: entry.id.clone(),
                    position,
                    account_code: rule.code.clone(),
                    account_label: rule.label.clone(),
                    aux_code,
                    aux_label,
                    label: label.clone(),
                    debit_minor: 0,
                    credit_minor: 0,
                    currency_amount: amount_text.clone(),
                    currency: code.clone(),
                    ledger_account_id: account.id.clone(),
                    letter: String::new(),
                    lettered_on: None,
                };
                line.set_side(euros, debit);
                lines.push(line);
                if account.kind == AccountKind::EuroReceivable.as_str() {
                    let piece = if entry.reference.is_empty() {
                        entry.id.clone()
                    } else {
                        entry.reference.clone()
                    };
                    to_letter.push((piece, account.id.clone(), rule.code.clone()));
                }
            }
        }
        if position == 0 {
            continue; // only sub-cent transfers: no move, and no number used
        }
        let (mut debits, mut credits) = (Amount::eur(0), Amount::eur(0));
        for l in &lines[first_line..] {
            debits = debits.checked_add(l.debit())?;
            credits = credits.checked_add(l.credit())?;
        }
        if debits != credits {
            return Err(AccountingError::internal(format!(
                "ledger entry {} ({}) does not balance in the books ({} debit, {} credit): its \
                 accounts' natures do not fit its transfers",
                entry.id,
                entry.code,
                debits.with_scale(2).amount_string(),
                credits.with_scale(2).amount_string()
            )));
        }
        next_number.insert(key, number + 1);
        moves.push(MoveRow {
            ledger_entry_id: entry.id.clone(),
            ledger_seq: entry.seq,
            journal_code: journal.code.clone(),
            journal_label: journal.label.clone(),
            fiscal_year: year,
            number,
            entry_date: date,
            piece_ref: if entry.reference.is_empty() {
                entry.id.clone()
            } else {
                entry.reference.clone()
            },
            label,
            validated_at: now,
        });
    }
    {
        let conn = conn.diesel();
        for chunk in moves.chunks(200) {
            crate::db::execute(
                conn,
                diesel::insert_into(accounting_moves::table).values(chunk),
            )?;
        }
        for chunk in lines.chunks(200) {
            crate::db::execute(
                conn,
                diesel::insert_into(accounting_lines::table).values(chunk),
            )?;
        }
        diesel::update(accounting_state::table.find(1))
            .set(accounting_state::validated_seq.eq(last))
            .execute(conn)
    }?;
    to_letter.sort();
    to_letter.dedup();
    for (piece, account, code) in &to_letter {
        letter(conn, piece, account, code)?;
    }
    Ok((entries.len(), moves.len()))
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
) -> Result<String, AccountingError> {
    let local = transfers.iter().find(|t| t.currency != "EUR");
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

/// The next lettering code of `account_code` in `book` (`""`: the deployment's), counted
/// in `letter_counters`; `existing` counts the codes used before the counter existed (once
/// per book and account). Runs under the book's validation lock.
pub(super) fn next_letter(
    conn: &mut DbConn,
    book: &str,
    account_code: &str,
    existing: impl FnOnce(&mut DbConn) -> Result<i64, AccountingError>,
) -> Result<String, AccountingError> {
    use crate::db::schema::letter_counters;
    let key = letter_counters::table.find((book, account_code));
    let used: Option<i64> = key
        .select(letter_counters::used)
        .first(conn.diesel())
        .optional()?;
    let used = match used {
        Some(used) => used,
        None => {
            let used = existing(conn)?;
            diesel::insert_into(letter_counters::table)
                .values((
                    letter_counters::book.eq(book),
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

/// An unlettered line: its move, its position, the move's date, debit, credit.
pub(super) type OpenLine = (String, i32, NaiveDate, i64, i64);

/// The day a group of unlettered lines balanced (the latest of their dates), if they do —
/// and move something.
pub(super) fn balanced_on(open: &[OpenLine]) -> Option<NaiveDate> {
    let debit: i64 = open.iter().map(|l| l.3).sum();
    let credit: i64 = open.iter().map(|l| l.4).sum();
    (debit != 0 && debit == credit)
        .then(|| open.iter().map(|l| l.2).max())
        .flatten()
}

/// Letters the unlettered lines of one receivable account (and account code) and one piece
/// (an order) when they balance — what was owed has been received — dated the day of the
/// latest of them (the day the group balanced, whatever order validation ran in).
fn letter(
    conn: &mut DbConn,
    piece: &str,
    account: &str,
    code: &str,
) -> Result<(), AccountingError> {
    let open: Vec<OpenLine> = accounting_lines::table
        .inner_join(accounting_moves::table)
        .filter(accounting_lines::ledger_account_id.eq(account))
        .filter(accounting_lines::account_code.eq(code))
        .filter(accounting_lines::letter.eq(""))
        .filter(accounting_moves::piece_ref.eq(piece))
        .select((
            accounting_lines::ledger_entry_id,
            accounting_lines::position,
            accounting_moves::entry_date,
            accounting_lines::debit_minor,
            accounting_lines::credit_minor,
        ))
        .load(conn.diesel())?;
    let Some(on) = balanced_on(&open) else {
        return Ok(());
    };
    let letter = next_letter(conn, "", code, |conn| {
        let used: i64 = accounting_lines::table
            .filter(accounting_lines::account_code.eq(code))
            .filter(accounting_lines::letter.ne(""))
            .select(diesel::dsl::count(accounting_lines::letter).aggregate_distinct())
            .first(conn.diesel())?;
        Ok(used)
    })?;
    {
        let conn = conn.diesel();
        for (entry, position, ..) in &open {
            diesel::update(accounting_lines::table.find((entry, position)))
                .set((
                    accounting_lines::letter.eq(&letter),
                    accounting_lines::lettered_on.eq(Some(on)),
                ))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    }?;
    Ok(())
}

/// One page of validated moves dated in `from..=to`, after ledger seq `after`, with their
/// lines.
pub fn page(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
    after: i64,
    limit: i64,
) -> Result<Vec<(MoveRow, Vec<LineRow>)>, AccountingError> {
    let moves: Vec<MoveRow> = accounting_moves::table
        .filter(accounting_moves::entry_date.between(from, to))
        .filter(accounting_moves::ledger_seq.gt(after))
        .order(accounting_moves::ledger_seq.asc())
        .limit(limit)
        .select(MoveRow::as_select())
        .load(conn.diesel())?;
    let ids: Vec<&str> = moves.iter().map(|m| m.ledger_entry_id.as_str()).collect();
    let all: Vec<LineRow> = accounting_lines::table
        .filter(accounting_lines::ledger_entry_id.eq_any(&ids))
        .order((
            accounting_lines::ledger_entry_id.asc(),
            accounting_lines::position.asc(),
        ))
        .select(LineRow::as_select())
        .load(conn.diesel())?;
    let mut of: HashMap<String, Vec<LineRow>> = HashMap::new();
    for line in all {
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

#[cfg(test)]
mod tests {
    #[test]
    fn letter_codes_run_a_to_z_then_aa() {
        let codes: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(super::letter_code)
            .collect();
        assert_eq!(codes, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }
}
