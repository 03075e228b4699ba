//! The journal's storage, per backend ([`Store`]): SQLite runs in-process, so its statements
//! stay simple and cacheable (one per row); PostgreSQL pays a round trip per statement, so a
//! commit uses three whatever the batch's size — lock the accounts, lock the head, write
//! everything in one statement of arrays. [`super::journal`] commits through either with
//! `crate::db::per_backend`. The rows of entries and transfers are defined here (and
//! re-exported by the journal).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use serde::Serialize;

use super::accounts::AccountRow;
use super::engine::AccountState;
use super::LedgerError;
use crate::db::schema::{ledger_accounts, ledger_entries, ledger_head, ledger_transfers};

/// A committed entry, as stored.
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

impl TransferRow {
    /// What it moved (or holds): its amount in its currency.
    pub fn moved(&self) -> Result<crate::money::Amount, LedgerError> {
        let currency = super::currencies::stored_code(&self.currency)?;
        Ok(crate::money::Amount::new(self.amount, currency))
    }
}

/// An entry with its transfers in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub row: EntryRow,
    pub transfers: Vec<TransferRow>,
}

/// The head of the chain as locked by a commit.
#[derive(Debug, QueryableByName)]
pub struct Head {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub hash: String,
}

/// PostgreSQL: the head, locked, and which of the requested entry ids exist already (one
/// round trip). The existence check runs on the statement's snapshot, which may predate a
/// concurrent commit of the same id; that race ends on the primary key (see [`commit_batch`]).
const HEAD_POSTGRES: &str = "SELECT h.seq AS seq, h.hash AS hash,
    ARRAY(SELECT e.id FROM ledger_entries e WHERE e.id = ANY($1)) AS existing
    FROM ledger_head h WHERE h.id = 1 FOR UPDATE";

#[derive(Debug, QueryableByName)]
struct HeadWithExisting {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    hash: String,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    existing: Vec<String>,
}

/// PostgreSQL: every entry of a batch, their transfers, the changed account totals and the
/// chain head in one statement (one round trip while the head is locked).
const WRITE_POSTGRES: &str = "
WITH new_entries AS (
    INSERT INTO ledger_entries (id, seq, code, reference, description, request_hash, reverses_entry_id, created_at, prev_hash, hash)
    SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamp[], $9::text[], $10::text[])
), new_transfers AS (
    INSERT INTO ledger_transfers (id, entry_id, position, debit_account_id, credit_account_id, currency, amount, kind, pending_id, expires_at, created_at)
    SELECT * FROM unnest($11::text[], $12::text[], $13::int4[], $14::text[], $15::text[], $16::text[], $17::int8[], $18::text[], $19::text[], $20::timestamp[], $21::timestamp[])
), totals AS (
    UPDATE ledger_accounts a
    SET debits_posted = v.dp, credits_posted = v.cp, debits_pending = v.dn, credits_pending = v.cn, updated_at = $22
    FROM unnest($23::text[], $24::int8[], $25::int8[], $26::int8[], $27::int8[]) AS v(id, dp, cp, dn, cn)
    WHERE a.id = v.id
)
UPDATE ledger_head SET seq = $28, hash = $29 WHERE id = 1";

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
    /// Which of these entries already have a reversal.
    fn reversed(&mut self, entry_ids: &[String]) -> QueryResult<Vec<String>>;
    /// Reads (and on PostgreSQL locks) the head of the chain; tells which of `entry_ids`
    /// exist already.
    fn lock_head(&mut self, entry_ids: &[String]) -> QueryResult<(Head, Vec<String>)>;
    /// Writes the entries, their transfers, the changed totals and the new head.
    fn write(
        &mut self,
        entries: &[Entry],
        changed: &[&AccountState],
        now: NaiveDateTime,
    ) -> QueryResult<()>;
    /// Records the audit events of the acts written in this transaction.
    fn write_audit(&mut self, events: &[crate::audit::AuditEvent]) -> QueryResult<()>;
}

macro_rules! common_store_fns {
    ($tx:ident) => {
        fn write_tx<T>(
            &mut self,
            f: impl FnOnce(&mut Self) -> Result<T, LedgerError>,
        ) -> Result<T, LedgerError> {
            self.$tx(f)
        }

        fn write_audit(&mut self, events: &[crate::audit::AuditEvent]) -> QueryResult<()> {
            for event in events {
                diesel::insert_into(crate::db::schema::audit_events::table)
                    .values(event)
                    .execute(self)?;
            }
            Ok(())
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

        fn reversed(&mut self, entry_ids: &[String]) -> QueryResult<Vec<String>> {
            ledger_entries::table
                .filter(ledger_entries::reverses_entry_id.eq_any(entry_ids))
                .select(ledger_entries::reverses_entry_id.assume_not_null())
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

    fn lock_head(&mut self, entry_ids: &[String]) -> QueryResult<(Head, Vec<String>)> {
        let head = ledger_head::table
            .find(1)
            .select((ledger_head::seq, ledger_head::hash))
            .first::<(i64, String)>(self)?;
        let mut existing = Vec::with_capacity(entry_ids.len());
        for id in entry_ids {
            let found = ledger_entries::table
                .find(id)
                .select(ledger_entries::id)
                .first::<String>(self)
                .optional()?;
            existing.extend(found);
        }
        Ok((
            Head {
                seq: head.0,
                hash: head.1,
            },
            existing,
        ))
    }

    fn write(
        &mut self,
        entries: &[Entry],
        changed: &[&AccountState],
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        for entry in entries {
            diesel::insert_into(ledger_entries::table)
                .values(&entry.row)
                .execute(self)?;
            for transfer in &entry.transfers {
                diesel::insert_into(ledger_transfers::table)
                    .values(transfer)
                    .execute(self)?;
            }
        }
        for a in changed {
            diesel::update(ledger_accounts::table.find(a.id.as_str()))
                .set((
                    ledger_accounts::debits_posted.eq(a.debits_posted),
                    ledger_accounts::credits_posted.eq(a.credits_posted),
                    ledger_accounts::debits_pending.eq(a.debits_pending),
                    ledger_accounts::credits_pending.eq(a.credits_pending),
                    ledger_accounts::updated_at.eq(now),
                ))
                .execute(self)?;
        }
        if let Some(last) = entries.last() {
            diesel::update(ledger_head::table.find(1))
                .set((
                    ledger_head::seq.eq(last.row.seq),
                    ledger_head::hash.eq(&last.row.hash),
                ))
                .execute(self)?;
        }
        Ok(())
    }
}

/// PostgreSQL: every statement is a network round trip, so a commit uses as few as it can
/// — one to lock all accounts, one to lock the head, one to write everything — whatever the
/// number of entries in the batch.
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

    fn lock_head(&mut self, entry_ids: &[String]) -> QueryResult<(Head, Vec<String>)> {
        let row: HeadWithExisting = diesel::sql_query(HEAD_POSTGRES)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(entry_ids)
            .get_result(self)?;
        Ok((
            Head {
                seq: row.seq,
                hash: row.hash,
            },
            row.existing,
        ))
    }

    fn write(
        &mut self,
        entries: &[Entry],
        changed: &[&AccountState],
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};
        let Some(last) = entries.last() else {
            return Ok(());
        };
        fn col<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Vec<T> {
            rows.iter().map(f).collect()
        }
        let rows: Vec<&EntryRow> = entries.iter().map(|e| &e.row).collect();
        let transfers: Vec<&TransferRow> = entries.iter().flat_map(|e| &e.transfers).collect();
        diesel::sql_query(WRITE_POSTGRES)
            .bind::<Array<Text>, _>(col(&rows, |e| e.id.clone()))
            .bind::<Array<BigInt>, _>(col(&rows, |e| e.seq))
            .bind::<Array<Text>, _>(col(&rows, |e| e.code.clone()))
            .bind::<Array<Text>, _>(col(&rows, |e| e.reference.clone()))
            .bind::<Array<Text>, _>(col(&rows, |e| e.description.clone()))
            .bind::<Array<Text>, _>(col(&rows, |e| e.request_hash.clone()))
            .bind::<Array<Nullable<Text>>, _>(col(&rows, |e| e.reverses_entry_id.clone()))
            .bind::<Array<Timestamp>, _>(col(&rows, |e| e.created_at))
            .bind::<Array<Text>, _>(col(&rows, |e| e.prev_hash.clone()))
            .bind::<Array<Text>, _>(col(&rows, |e| e.hash.clone()))
            .bind::<Array<Text>, _>(col(&transfers, |t| t.id.clone()))
            .bind::<Array<Text>, _>(col(&transfers, |t| t.entry_id.clone()))
            .bind::<Array<Integer>, _>(col(&transfers, |t| t.position))
            .bind::<Array<Text>, _>(col(&transfers, |t| t.debit_account_id.clone()))
            .bind::<Array<Text>, _>(col(&transfers, |t| t.credit_account_id.clone()))
            .bind::<Array<Text>, _>(col(&transfers, |t| t.currency.clone()))
            .bind::<Array<BigInt>, _>(col(&transfers, |t| t.amount))
            .bind::<Array<Text>, _>(col(&transfers, |t| t.kind.clone()))
            .bind::<Array<Nullable<Text>>, _>(col(&transfers, |t| t.pending_id.clone()))
            .bind::<Array<Nullable<Timestamp>>, _>(col(&transfers, |t| t.expires_at))
            .bind::<Array<Timestamp>, _>(col(&transfers, |t| t.created_at))
            .bind::<Timestamp, _>(now)
            .bind::<Array<Text>, _>(col(changed, |a| a.id.to_string()))
            .bind::<Array<BigInt>, _>(col(changed, |a| a.debits_posted))
            .bind::<Array<BigInt>, _>(col(changed, |a| a.credits_posted))
            .bind::<Array<BigInt>, _>(col(changed, |a| a.debits_pending))
            .bind::<Array<BigInt>, _>(col(changed, |a| a.credits_pending))
            .bind::<BigInt, _>(last.row.seq)
            .bind::<Text, _>(&last.row.hash)
            .execute(self)
            .map(|_| ())
    }
}
