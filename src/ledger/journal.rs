//! The journal: commits entries (groups of transfers) all-or-nothing, idempotently, under
//! locks, chained by hash.
//!
//! Committing an entry, in one write transaction:
//! 1. **Locks**: the accounts named by the transfers are locked in id order (PostgreSQL:
//!    one `SELECT … WHERE id = ANY($1) ORDER BY id FOR UPDATE`; SQLite: the write transaction
//!    is `BEGIN IMMEDIATE`), so crossing payments cannot deadlock and no update is lost.
//! 2. **Chain head and idempotency**: the head of the chain is locked next (always after the
//!    accounts); the same query tells whether the client-chosen entry id exists. If it does,
//!    the request hash is compared: the same request gets the original entry back, another
//!    one a conflict.
//! 3. **Holds** named by the entry must still be unresolved (a unique index backs this up).
//! 4. **Engine**: [`engine::apply`] checks every invariant on the locked states.
//! 5. **Write**: the entry gets `seq = head + 1` and `hash = SHA-256(prev_hash, content)` (see
//!    [`entry_hash`]); the entry, its transfers, the changed totals and the new head are
//!    written (on PostgreSQL in one statement).
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
            timestamp(&t.created_at),
        ]);
    }
    request_hash(&fields.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The head of the chain as locked by a commit, and whether the entry already exists.
#[derive(Debug, QueryableByName)]
pub struct Head {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub hash: String,
    /// The stored request hash when an entry with the requested id exists already.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub existing: Option<String>,
}

const HEAD_SQLITE: &str = "SELECT h.seq AS seq, h.hash AS hash,
    (SELECT e.request_hash FROM ledger_entries e WHERE e.id = $1) AS existing
    FROM ledger_head h WHERE h.id = 1";
const HEAD_POSTGRES: &str = "SELECT h.seq AS seq, h.hash AS hash,
    (SELECT e.request_hash FROM ledger_entries e WHERE e.id = $1) AS existing
    FROM ledger_head h WHERE h.id = 1 FOR UPDATE";

/// PostgreSQL: the entry, its transfers, the changed account totals and the chain head in
/// one statement (one round trip while the head is locked).
const WRITE_POSTGRES: &str = "
WITH new_entry AS (
    INSERT INTO ledger_entries (id, seq, code, reference, description, request_hash, reverses_entry_id, created_at, prev_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
), new_transfers AS (
    INSERT INTO ledger_transfers (id, entry_id, position, debit_account_id, credit_account_id, currency, amount, kind, pending_id, expires_at, created_at)
    SELECT t.id, $1, t.position, t.debit, t.credit, t.currency, t.amount, t.kind, t.pending_id, t.expires_at, $8
    FROM unnest($11::text[], $12::int4[], $13::text[], $14::text[], $15::text[], $16::int8[], $17::text[], $18::text[], $19::timestamp[])
        AS t(id, position, debit, credit, currency, amount, kind, pending_id, expires_at)
), totals AS (
    UPDATE ledger_accounts a
    SET debits_posted = v.dp, credits_posted = v.cp, debits_pending = v.dn, credits_pending = v.cn, updated_at = $8
    FROM unnest($20::text[], $21::int8[], $22::int8[], $23::int8[], $24::int8[]) AS v(id, dp, cp, dn, cn)
    WHERE a.id = v.id
)
UPDATE ledger_head SET seq = $2, hash = $10 WHERE id = 1";

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
    /// Reads (and on PostgreSQL locks) the head of the chain; tells whether `entry_id` exists.
    fn lock_head(&mut self, entry_id: &str) -> QueryResult<Head>;
    /// Writes the entry, its transfers, the changed totals and the new head.
    fn write(
        &mut self,
        entry: &EntryRow,
        transfers: &[TransferRow],
        changed: &[&AccountState],
        now: NaiveDateTime,
    ) -> QueryResult<()>;
}

macro_rules! common_store_fns {
    ($tx:ident) => {
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

        fn resolved(&mut self, hold_ids: &[String]) -> QueryResult<Vec<String>> {
            ledger_transfers::table
                .filter(ledger_transfers::pending_id.eq_any(hold_ids))
                .select(ledger_transfers::pending_id.assume_not_null())
                .load(self)
        }
    };
}

/// SQLite: `BEGIN IMMEDIATE`, or a savepoint when a transaction is already open.
trait SqliteWrite {
    fn write_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError>;
}

impl SqliteWrite for SqliteConnection {
    fn write_transaction<T>(
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

/// SQLite runs in-process: statements cost no round trip, so they stay simple and cacheable
/// (one per row); the write transaction already excludes every other writer.
impl Store for SqliteConnection {
    common_store_fns!(write_transaction);

    fn lock_accounts(&mut self, ids: &[String]) -> QueryResult<Vec<AccountRow>> {
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = ledger_accounts::table
                .find(id)
                .select(AccountRow::as_select())
                .first(self)
                .optional()?
            {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    fn lock_head(&mut self, entry_id: &str) -> QueryResult<Head> {
        diesel::sql_query(HEAD_SQLITE)
            .bind::<diesel::sql_types::Text, _>(entry_id)
            .get_result(self)
    }

    fn write(
        &mut self,
        entry: &EntryRow,
        transfers: &[TransferRow],
        changed: &[&AccountState],
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::insert_into(ledger_entries::table)
            .values(entry)
            .execute(self)?;
        for transfer in transfers {
            diesel::insert_into(ledger_transfers::table)
                .values(transfer)
                .execute(self)?;
        }
        for a in changed {
            diesel::update(ledger_accounts::table.find(&a.id))
                .set((
                    ledger_accounts::debits_posted.eq(a.debits_posted),
                    ledger_accounts::credits_posted.eq(a.credits_posted),
                    ledger_accounts::debits_pending.eq(a.debits_pending),
                    ledger_accounts::credits_pending.eq(a.credits_pending),
                    ledger_accounts::updated_at.eq(now),
                ))
                .execute(self)?;
        }
        diesel::update(ledger_head::table.find(1))
            .set((
                ledger_head::seq.eq(entry.seq),
                ledger_head::hash.eq(&entry.hash),
            ))
            .execute(self)?;
        Ok(())
    }
}

/// PostgreSQL: every statement is a network round trip, so the commit uses as few as it can
/// — one to lock all accounts, one to lock the head, one to write everything.
impl Store for PgConnection {
    common_store_fns!(transaction);

    fn lock_accounts(&mut self, ids: &[String]) -> QueryResult<Vec<AccountRow>> {
        // `= ANY($1)` with one array bind: a single cached statement, rows locked in id order
        ledger_accounts::table
            .filter(ledger_accounts::id.eq_any(ids))
            .order(ledger_accounts::id.asc())
            .select(AccountRow::as_select())
            .for_update()
            .load(self)
    }

    fn lock_head(&mut self, entry_id: &str) -> QueryResult<Head> {
        diesel::sql_query(HEAD_POSTGRES)
            .bind::<diesel::sql_types::Text, _>(entry_id)
            .get_result(self)
    }

    fn write(
        &mut self,
        entry: &EntryRow,
        transfers: &[TransferRow],
        changed: &[&AccountState],
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};
        let column = |f: fn(&TransferRow) -> String| transfers.iter().map(f).collect::<Vec<_>>();
        diesel::sql_query(WRITE_POSTGRES)
            .bind::<Text, _>(&entry.id)
            .bind::<BigInt, _>(entry.seq)
            .bind::<Text, _>(&entry.code)
            .bind::<Text, _>(&entry.reference)
            .bind::<Text, _>(&entry.description)
            .bind::<Text, _>(&entry.request_hash)
            .bind::<Nullable<Text>, _>(&entry.reverses_entry_id)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(&entry.prev_hash)
            .bind::<Text, _>(&entry.hash)
            .bind::<Array<Text>, _>(column(|t| t.id.clone()))
            .bind::<Array<Integer>, _>(transfers.iter().map(|t| t.position).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(column(|t| t.debit_account_id.clone()))
            .bind::<Array<Text>, _>(column(|t| t.credit_account_id.clone()))
            .bind::<Array<Text>, _>(column(|t| t.currency.clone()))
            .bind::<Array<BigInt>, _>(transfers.iter().map(|t| t.amount).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(column(|t| t.kind.clone()))
            .bind::<Array<Nullable<Text>>, _>(
                transfers
                    .iter()
                    .map(|t| t.pending_id.clone())
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Nullable<Timestamp>>, _>(
                transfers.iter().map(|t| t.expires_at).collect::<Vec<_>>(),
            )
            .bind::<Array<Text>, _>(changed.iter().map(|a| a.id.clone()).collect::<Vec<_>>())
            .bind::<Array<BigInt>, _>(changed.iter().map(|a| a.debits_posted).collect::<Vec<_>>())
            .bind::<Array<BigInt>, _>(changed.iter().map(|a| a.credits_posted).collect::<Vec<_>>())
            .bind::<Array<BigInt>, _>(changed.iter().map(|a| a.debits_pending).collect::<Vec<_>>())
            .bind::<Array<BigInt>, _>(
                changed
                    .iter()
                    .map(|a| a.credits_pending)
                    .collect::<Vec<_>>(),
            )
            .execute(self)
            .map(|_| ())
    }
}

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
                if attempts < 3
                    && crate::db::violates_unique(
                        &e,
                        &["ledger_entries.id", "ledger_entries_pkey"],
                    ) =>
            {
                continue
            }
            Err(LedgerError::Db(e))
                if crate::db::violates_unique(
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
                if crate::db::violates_unique(
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

fn commit_tx<S: Store>(store: &mut S, request: &EntryRequest) -> Result<Committed, LedgerError> {
    store.write_tx(|store| {
        let ids: Vec<String> = request
            .transfers
            .iter()
            .flat_map(|t| [t.debit_account_id.clone(), t.credit_account_id.clone()])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows = store.lock_accounts(&ids)?;
        // the head is locked after the accounts (one global lock order: no deadlock); the
        // same query tells whether this entry id was used before
        let head = store.lock_head(&request.id)?;
        if head.existing.is_some() {
            let existing = load(store, &request.id)?
                .ok_or_else(|| LedgerError::Invariant(format!("entry {} vanished", request.id)))?;
            return replay(existing, &request.request_hash).map(Committed::Replayed);
        }
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
        let mut entry = EntryRow {
            id: request.id.clone(),
            seq: head.seq + 1,
            code: request.code.clone(),
            reference: request.reference.clone(),
            description: request.description.clone(),
            request_hash: request.request_hash.clone(),
            reverses_entry_id: request.reverses_entry_id.clone(),
            created_at: now,
            prev_hash: head.hash,
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
        let changed: Vec<&AccountState> = accounts
            .iter()
            .filter(|(id, state)| before.get(*id) != Some(*state))
            .map(|(_, s)| s)
            .collect();
        store.write(&entry, &transfers, &changed, now)?;
        Ok(Committed::New(Entry {
            row: entry,
            transfers,
        }))
    })
}
