//! The journal: commits entries (groups of transfers) all-or-nothing, idempotently, under
//! locks, chained by hash.
//!
//! Committing an entry, in one write transaction:
//! 1. **Idempotency**: the entry id is chosen by the client. If it exists, the request hash is
//!    compared: the same request gets the original entry back, another one a conflict.
//! 2. **Locks**: the accounts named by the transfers are locked in id order (PostgreSQL:
//!    `SELECT … FOR UPDATE`; SQLite: the write transaction is `BEGIN IMMEDIATE`), so crossing
//!    payments cannot deadlock and no update is lost.
//! 3. **Holds** named by the entry must still be unresolved (a unique index backs this up).
//! 4. **Engine**: [`engine::apply`] checks every invariant on the locked states.
//! 5. **Chain**: the head of the chain is locked last; the entry gets `seq = head + 1` and
//!    `hash = SHA-256(prev_hash, content)` (see [`entry_hash`]); the rows are inserted and the
//!    cached totals and the head updated.
//!
//! Entries and transfers are never updated or deleted (the database refuses it too).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::accounts::AccountRow;
use super::engine::{self, AccountState, Movement, TransferDraft};
use super::LedgerError;
use crate::db::schema::{ledger_accounts, ledger_entries, ledger_head, ledger_transfers};
use crate::db::DbConn;
use crate::db_run;

/// Hash of the empty chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = ledger_entries)]
pub struct EntryRow {
    pub id: String,
    pub seq: i64,
    pub code: String,
    pub reference: String,
    pub description: String,
    pub request_hash: String,
    pub reverses_entry_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = ledger_transfers)]
pub struct TransferRow {
    pub id: String,
    pub entry_id: String,
    pub position: i32,
    pub debit_account_id: String,
    pub credit_account_id: String,
    pub currency: String,
    pub amount: i64,
    pub kind: String,
    pub pending_id: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// An entry with its transfers in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub row: EntryRow,
    pub transfers: Vec<TransferRow>,
}

/// What to commit.
#[derive(Debug, Clone)]
pub struct EntryRequest {
    /// Client-chosen UUID: the idempotency key.
    pub id: String,
    /// Kind of movement: `issue`, `pay`, `hold`, `post`, `void`, `reverse`, `reconvert`…
    pub code: String,
    pub reference: String,
    pub description: String,
    /// Hash of the operation as the client asked for it (not of the transfers derived).
    pub request_hash: String,
    pub reverses_entry_id: Option<String>,
    pub transfers: Vec<TransferDraft>,
}

/// The outcome of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// Written now.
    New(Entry),
    /// The same request was committed before: here is the original.
    Replayed(Entry),
}

impl Committed {
    pub fn entry(&self) -> &Entry {
        match self {
            Committed::New(e) | Committed::Replayed(e) => e,
        }
    }

    pub fn into_entry(self) -> Entry {
        match self {
            Committed::New(e) | Committed::Replayed(e) => e,
        }
    }
}

/// SHA-256 of a canonical request description, for idempotency comparisons.
pub fn request_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(part.as_bytes());
        hasher.update(b";");
    }
    format!("{:x}", hasher.finalize())
}

fn timestamp(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The hash of an entry: SHA-256 over `comptoir-ledger-v1`, the previous hash, and every
/// field of the entry and of its transfers in order, each written as `<length>:<value>;`
/// (so no field can be confused with the next).
pub fn entry_hash(entry: &EntryRow, transfers: &[TransferRow]) -> String {
    let mut fields: Vec<String> = vec![
        "comptoir-ledger-v1".into(),
        entry.prev_hash.clone(),
        entry.seq.to_string(),
        entry.id.clone(),
        entry.code.clone(),
        entry.reference.clone(),
        entry.description.clone(),
        entry.request_hash.clone(),
        entry.reverses_entry_id.clone().unwrap_or_default(),
        timestamp(&entry.created_at),
        transfers.len().to_string(),
    ];
    for t in transfers {
        fields.extend([
            t.id.clone(),
            t.position.to_string(),
            t.debit_account_id.clone(),
            t.credit_account_id.clone(),
            t.currency.clone(),
            t.amount.to_string(),
            t.kind.clone(),
            t.pending_id.clone().unwrap_or_default(),
            t.expires_at.as_ref().map(timestamp).unwrap_or_default(),
        ]);
    }
    request_hash(&fields.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The storage primitives the journal needs, for each backend.
pub trait Store: Sized {
    /// A write transaction: `BEGIN IMMEDIATE` on SQLite, a plain transaction on PostgreSQL.
    fn write_tx<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError>;
    fn entry(&mut self, id: &str) -> QueryResult<Option<EntryRow>>;
    fn transfers_of(&mut self, entry_ids: &[String]) -> QueryResult<Vec<TransferRow>>;
    /// Loads (and on PostgreSQL locks) the accounts, in id order.
    fn lock_accounts(&mut self, ids: &[String]) -> QueryResult<Vec<AccountRow>>;
    /// Which of these holds already have a post or a void.
    fn resolved(&mut self, hold_ids: &[String]) -> QueryResult<Vec<String>>;
    /// Reads (and on PostgreSQL locks) the head of the chain.
    fn lock_head(&mut self) -> QueryResult<(i64, String)>;
    fn insert(&mut self, entry: &EntryRow, transfers: &[TransferRow]) -> QueryResult<()>;
    fn save_totals(&mut self, account: &AccountState, now: NaiveDateTime) -> QueryResult<()>;
    fn set_head(&mut self, seq: i64, hash: &str) -> QueryResult<()>;
}

macro_rules! impl_store {
    ($conn:ty, $tx:ident, |$q:ident| $lock:expr) => {
        impl Store for $conn {
            fn write_tx<T>(
                &mut self,
                f: impl FnOnce(&mut Self) -> Result<T, LedgerError>,
            ) -> Result<T, LedgerError> {
                self.$tx(f)
            }

            fn entry(&mut self, id: &str) -> QueryResult<Option<EntryRow>> {
                ledger_entries::table
                    .find(id)
                    .select(EntryRow::as_select())
                    .first(self)
                    .optional()
            }

            fn transfers_of(&mut self, entry_ids: &[String]) -> QueryResult<Vec<TransferRow>> {
                ledger_transfers::table
                    .filter(ledger_transfers::entry_id.eq_any(entry_ids))
                    .select(TransferRow::as_select())
                    .order((
                        ledger_transfers::entry_id.asc(),
                        ledger_transfers::position.asc(),
                    ))
                    .load(self)
            }

            fn lock_accounts(&mut self, ids: &[String]) -> QueryResult<Vec<AccountRow>> {
                // one cacheable statement per account, in the (sorted) order given
                let mut rows = Vec::with_capacity(ids.len());
                for id in ids {
                    let $q = ledger_accounts::table
                        .find(id)
                        .select(AccountRow::as_select());
                    if let Some(row) = $lock.first(self).optional()? {
                        rows.push(row);
                    }
                }
                Ok(rows)
            }

            fn resolved(&mut self, hold_ids: &[String]) -> QueryResult<Vec<String>> {
                ledger_transfers::table
                    .filter(ledger_transfers::pending_id.eq_any(hold_ids))
                    .select(ledger_transfers::pending_id.assume_not_null())
                    .load(self)
            }

            fn lock_head(&mut self) -> QueryResult<(i64, String)> {
                let $q = ledger_head::table
                    .find(1)
                    .select((ledger_head::seq, ledger_head::hash));
                $lock.first(self)
            }

            fn insert(&mut self, entry: &EntryRow, transfers: &[TransferRow]) -> QueryResult<()> {
                diesel::insert_into(ledger_entries::table)
                    .values(entry)
                    .execute(self)?;
                // row by row: single-row inserts are prepared once and cached
                for transfer in transfers {
                    diesel::insert_into(ledger_transfers::table)
                        .values(transfer)
                        .execute(self)?;
                }
                Ok(())
            }

            fn save_totals(&mut self, a: &AccountState, now: NaiveDateTime) -> QueryResult<()> {
                diesel::update(ledger_accounts::table.find(&a.id))
                    .set((
                        ledger_accounts::debits_posted.eq(a.debits_posted),
                        ledger_accounts::credits_posted.eq(a.credits_posted),
                        ledger_accounts::debits_pending.eq(a.debits_pending),
                        ledger_accounts::credits_pending.eq(a.credits_pending),
                        ledger_accounts::updated_at.eq(now),
                    ))
                    .execute(self)
                    .map(|_| ())
            }

            fn set_head(&mut self, seq: i64, hash: &str) -> QueryResult<()> {
                diesel::update(ledger_head::table.find(1))
                    .set((ledger_head::seq.eq(seq), ledger_head::hash.eq(hash)))
                    .execute(self)
                    .map(|_| ())
            }
        }
    };
}

/// SQLite: `BEGIN IMMEDIATE`, or a savepoint when a transaction is already open.
trait SqliteWrite {
    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError>;
}

impl SqliteWrite for SqliteConnection {
    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        if crate::db::sqlite_in_transaction(self) {
            self.transaction(f)
        } else {
            self.immediate_transaction(f)
        }
    }
}

impl_store!(SqliteConnection, write, |q| q);
impl_store!(PgConnection, transaction, |q| q.for_update());

/// Loads an entry with its transfers.
pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Entry>, LedgerError> {
    db_run!(conn => load(conn, id))
}

fn load<S: Store>(store: &mut S, id: &str) -> Result<Option<Entry>, LedgerError> {
    let Some(row) = store.entry(id)? else {
        return Ok(None);
    };
    let transfers = store.transfers_of(std::slice::from_ref(&row.id))?;
    Ok(Some(Entry { row, transfers }))
}

/// The id of the entry reversing `entry_id`, if any.
pub fn reversal_of(conn: &mut DbConn, entry_id: &str) -> Result<Option<String>, LedgerError> {
    Ok(db_run!(conn => ledger_entries::table
        .filter(ledger_entries::reverses_entry_id.eq(entry_id))
        .select(ledger_entries::id)
        .first::<String>(conn)
        .optional())?)
}

/// The original entry when `request_hash` matches it; a conflict otherwise.
pub fn replay(existing: Entry, request_hash: &str) -> Result<Entry, LedgerError> {
    if existing.row.request_hash == request_hash {
        Ok(existing)
    } else {
        Err(LedgerError::IdempotencyConflict(existing.row.id))
    }
}

/// Commits `request` (see the module documentation for the steps).
pub fn commit(conn: &mut DbConn, request: &EntryRequest) -> Result<Committed, LedgerError> {
    // Two requests with the same new id can race past step 1; the loser hits the primary
    // key, and its retry finds the winner's entry.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match db_run!(conn => commit_tx(conn, request)) {
            Err(LedgerError::Db(e))
                if attempts < 3 && violates(&e, &["ledger_entries.id", "ledger_entries_pkey"]) =>
            {
                continue
            }
            Err(LedgerError::Db(e))
                if violates(
                    &e,
                    &[
                        "ledger_transfers.pending_id",
                        "ledger_transfers_resolve_once",
                    ],
                ) =>
            {
                return Err(LedgerError::HoldResolved("the hold".into()))
            }
            Err(LedgerError::Db(e))
                if violates(
                    &e,
                    &[
                        "ledger_entries.reverses_entry_id",
                        "ledger_entries_reverses_entry_id_key",
                    ],
                ) =>
            {
                return Err(LedgerError::AlreadyReversed(
                    request.reverses_entry_id.clone().unwrap_or_default(),
                ))
            }
            other => return other,
        }
    }
}

/// Whether `e` is a unique violation of one of these constraints (PostgreSQL names them;
/// SQLite names the columns in its message).
fn violates(e: &diesel::result::Error, names: &[&str]) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let text = format!(
                "{} {}",
                info.message(),
                info.constraint_name().unwrap_or("")
            );
            names.iter().any(|n| text.contains(n))
        }
        _ => false,
    }
}

fn commit_tx<S: Store>(store: &mut S, request: &EntryRequest) -> Result<Committed, LedgerError> {
    store.write_tx(|store| {
        if let Some(existing) = load(store, &request.id)? {
            return replay(existing, &request.request_hash).map(Committed::Replayed);
        }
        let ids: Vec<String> = request
            .transfers
            .iter()
            .flat_map(|t| [t.debit_account_id.clone(), t.credit_account_id.clone()])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows = store.lock_accounts(&ids)?;
        let mut accounts: BTreeMap<String, AccountState> = BTreeMap::new();
        for row in &rows {
            accounts.insert(row.id.clone(), row.state()?);
        }
        let before = accounts.clone();

        let holds: Vec<String> = request
            .transfers
            .iter()
            .filter_map(|t| t.movement.hold_id().map(str::to_string))
            .collect();
        if !holds.is_empty() {
            if let Some(done) = store.resolved(&holds)?.into_iter().next() {
                return Err(LedgerError::HoldResolved(done));
            }
        }
        engine::apply(&mut accounts, &request.transfers)?;

        let now = crate::time::now();
        let (head_seq, head_hash) = store.lock_head()?;
        let mut entry = EntryRow {
            id: request.id.clone(),
            seq: head_seq + 1,
            code: request.code.clone(),
            reference: request.reference.clone(),
            description: request.description.clone(),
            request_hash: request.request_hash.clone(),
            reverses_entry_id: request.reverses_entry_id.clone(),
            created_at: now,
            prev_hash: head_hash,
            hash: String::new(),
        };
        let transfers: Vec<TransferRow> = request
            .transfers
            .iter()
            .enumerate()
            .map(|(i, t)| TransferRow {
                id: crate::time::new_id(),
                entry_id: entry.id.clone(),
                position: i as i32,
                debit_account_id: t.debit_account_id.clone(),
                credit_account_id: t.credit_account_id.clone(),
                currency: t.currency.clone(),
                amount: t.amount,
                kind: t.movement.kind().to_string(),
                pending_id: t.movement.hold_id().map(str::to_string),
                expires_at: match t.movement {
                    Movement::Pending { expires_at } => expires_at,
                    _ => None,
                },
                created_at: now,
            })
            .collect();
        entry.hash = entry_hash(&entry, &transfers);
        store.insert(&entry, &transfers)?;
        for (id, state) in &accounts {
            if before.get(id) != Some(state) {
                store.save_totals(state, now)?;
            }
        }
        store.set_head(entry.seq, &entry.hash)?;
        Ok(Committed::New(Entry {
            row: entry,
            transfers,
        }))
    })
}
