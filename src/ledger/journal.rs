//! The journal: commits entries (groups of transfers) all-or-nothing, idempotently, under
//! locks, chained by hash — one entry at a time ([`commit`]) or many in one write
//! transaction ([`commit_batch`]; a single commit is a batch of one).
//!
//! Committing a batch, in one write transaction:
//! 1. **Locks**: every account named by the batch's transfers is locked in id order
//!    (PostgreSQL: one `SELECT … WHERE id = ANY($1) ORDER BY id FOR UPDATE`; SQLite: the
//!    write transaction is `BEGIN IMMEDIATE`), so crossing payments cannot deadlock and no
//!    update is lost.
//! 2. **Chain head and idempotency**: the head of the chain is locked next (always after the
//!    accounts); the same query tells which of the client-chosen entry ids exist. A request
//!    whose id exists (in the database, or earlier in the batch) is compared by its request
//!    hash: the same request gets the original entry back, another one a conflict.
//! 3. **Holds and reversals** named by the batch must still be unresolved, as of now (their
//!    accounts are locked) and of the entries before in the batch; unique indexes back this up.
//! 4. **Engine**: each request in turn is applied by [`engine::apply`] to the locked states
//!    as the requests before it left them; a refused request changes nothing and gets its
//!    own error, the others go on.
//! 5. **Write**: each admitted entry gets `seq = previous + 1` and
//!    `hash = SHA-256(prev_hash, content)` (see [`entry_hash`]); the entries, their transfers,
//!    the changed totals and the new head are written (on PostgreSQL in one statement), and
//!    the batch commits once.
//!
//! Concurrent commits outside their callers' transactions are grouped into one such batch
//! ([`super::group`]). Entries and transfers are never updated or deleted (the database
//! refuses it too).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::engine::{self, AccountState, Movement, TransferDraft};
use super::store::Store;
pub use super::store::{Entry, EntryRow, TransferRow};
use super::LedgerError;
use crate::db::schema::ledger_entries;
use crate::db::DbConn;
use crate::ids::AccountId;

/// The longest reference an entry carries (a transfer's wording, an order number, a receipt
/// number), in characters; also the longest reason of a reversal.
pub const MAX_REFERENCE_CHARS: usize = 200;

/// Hash of the empty chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
    /// The administrative act this entry is (an issuance, a payout, a reversal): recorded in
    /// the audit trail in the entry's transaction.
    pub audit: Option<Box<crate::audit::Draft>>,
}

/// The ledger entry codes that are administrative acts: their requests carry an audit event
/// ([`EntryRequest::audit`]), written with the entry; `ledger verify` checks it.
pub const AUDITED_CODES: &[&str] = &["issue", "reconversion_paid", "reverse"];

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

/// An entry id derived from what the entry books (`comptoir:<what>`, UUID v5): the system's
/// own bookings (hold expiry, cycle close, recorded payments) get the same id every time, so
/// doing the work again replays the entry instead of booking it twice.
pub fn derived_id(what: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("comptoir:{what}").as_bytes(),
    )
    .to_string()
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

/// Loads an entry with its transfers.
pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Entry>, LedgerError> {
    crate::db::per_backend(conn, |c| load(c, id), |c| load(c, id))
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
    Ok(ledger_entries::table
        .filter(ledger_entries::reverses_entry_id.eq(entry_id))
        .select(ledger_entries::id)
        .first::<String>(conn.diesel())
        .optional()?)
}

/// The original entry when `request_hash` matches it; a conflict otherwise.
pub fn replay(existing: Entry, request_hash: &str) -> Result<Entry, LedgerError> {
    if existing.row.request_hash == request_hash {
        Ok(existing)
    } else {
        Err(LedgerError::IdempotencyConflict(existing.row.id))
    }
}

/// The one result of a batch of one.
pub fn single(mut results: BatchResults) -> Result<Committed, LedgerError> {
    match results.pop() {
        Some(result) if results.is_empty() => result,
        _ => Err(LedgerError::Invariant(
            "a batch of one gave another number of results".into(),
        )),
    }
}

/// The result of each request of a batch, in order.
pub type BatchResults = Vec<Result<Committed, LedgerError>>;

/// One place in a batch: a request, or a request refused before it reached the journal
/// (a missing account, a flow rule…), kept so that its id is still checked at its place in
/// the batch — an identical earlier request gets its original back, as it would one by one.
#[derive(Debug, Clone, Copy)]
pub enum Slot<'a> {
    Request(&'a EntryRequest),
    Refused { id: &'a str, request_hash: &'a str },
}

impl Slot<'_> {
    fn id(&self) -> &str {
        match self {
            Slot::Request(r) => &r.id,
            Slot::Refused { id, .. } => id,
        }
    }

    fn request_hash(&self) -> &str {
        match self {
            Slot::Request(r) => &r.request_hash,
            Slot::Refused { request_hash, .. } => request_hash,
        }
    }
}

/// [`super::group::commit_slots`] without grouping.
pub fn commit_alone(
    conn: &mut DbConn,
    slots: &[Slot],
) -> Result<Vec<Option<Result<Committed, LedgerError>>>, LedgerError> {
    // SQLite writers take turns in arrival order (see `db::WriteQueue`)
    let _turn = conn.write_turn();
    commit_slots_in_turn(conn, slots)
}

fn commit_slots_in_turn(
    conn: &mut DbConn,
    slots: &[Slot],
) -> Result<Vec<Option<Result<Committed, LedgerError>>>, LedgerError> {
    if slots.is_empty() {
        return Ok(Vec::new());
    }
    // Two requests with the same new id can race past the existence check (PostgreSQL checks
    // on its statement snapshot); the loser hits the primary key, and its retry finds the
    // winner's entry.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match crate::db::per_backend(conn, |c| commit_tx(c, slots), |c| commit_tx(c, slots)) {
            Err(LedgerError::Db(e))
                if attempts < 3
                    && crate::db::violates_unique(
                        &e,
                        &["ledger_entries.id", "ledger_entries_pkey"],
                    ) =>
            {
                continue
            }
            // the checks under lock should make these impossible; should one slip through,
            // each place of a batch gets its own answer
            Err(LedgerError::Db(e)) if slots.len() > 1 && unique_violation(&e).is_some() => {
                let mut results = Vec::with_capacity(slots.len());
                for slot in slots {
                    // each place its own answer: the places before are committed already
                    match commit_slots_in_turn(conn, std::slice::from_ref(slot)) {
                        Ok(answer) => results.extend(answer),
                        Err(e) => results.push(Some(Err(e))),
                    }
                }
                return Ok(results);
            }
            Err(LedgerError::Db(e)) => {
                let reverses = slots.iter().find_map(|s| match s {
                    Slot::Request(r) => r.reverses_entry_id.clone(),
                    Slot::Refused { .. } => None,
                });
                return Err(match unique_violation(&e) {
                    Some(Violation::HoldResolved) => LedgerError::HoldResolved("the hold".into()),
                    Some(Violation::Reversed) => {
                        LedgerError::AlreadyReversed(reverses.unwrap_or_default())
                    }
                    None => LedgerError::Db(e),
                });
            }
            other => return other,
        }
    }
}

enum Violation {
    HoldResolved,
    Reversed,
}

fn unique_violation(e: &diesel::result::Error) -> Option<Violation> {
    if crate::db::violates_unique(
        e,
        &[
            "ledger_transfers.pending_id",
            "ledger_transfers_resolve_once",
        ],
    ) {
        Some(Violation::HoldResolved)
    } else if crate::db::violates_unique(
        e,
        &[
            "ledger_entries.reverses_entry_id",
            "ledger_entries_reverses_entry_id_key",
        ],
    ) {
        Some(Violation::Reversed)
    } else {
        None
    }
}

fn sorted_unique(ids: impl Iterator<Item = String>) -> Vec<String> {
    ids.collect::<BTreeSet<_>>().into_iter().collect()
}

fn commit_tx<S: Store>(
    store: &mut S,
    slots: &[Slot],
) -> Result<Vec<Option<Result<Committed, LedgerError>>>, LedgerError> {
    let requests: Vec<&EntryRequest> = slots
        .iter()
        .filter_map(|s| match s {
            Slot::Request(r) => Some(*r),
            Slot::Refused { .. } => None,
        })
        .collect();
    store.write_tx(|store| {
        let ids = sorted_unique(requests.iter().flat_map(|r| {
            r.transfers.iter().flat_map(|t| {
                [
                    t.debit_account_id.to_string(),
                    t.credit_account_id.to_string(),
                ]
            })
        }));
        let rows = store.lock_accounts(&ids)?;
        // the head is locked after the accounts (one global lock order: no deadlock); the
        // same query tells which entry ids were used before
        let entry_ids = sorted_unique(slots.iter().map(|s| s.id().to_string()));
        let (head, existing) = store.lock_head(&entry_ids)?;
        let mut accounts: BTreeMap<AccountId, AccountState> = BTreeMap::new();
        for row in &rows {
            accounts.insert(AccountId::from(&row.id), row.state()?);
        }
        let before = accounts.clone();
        // holds and reversals already resolved, as of now (their accounts are locked)
        let holds = sorted_unique(requests.iter().flat_map(|r| {
            r.transfers
                .iter()
                .filter_map(|t| t.movement.hold_id().map(|h| h.to_string()))
        }));
        let mut resolved: BTreeSet<String> = if holds.is_empty() {
            BTreeSet::new()
        } else {
            store.resolved(&holds)?.into_iter().collect()
        };
        let reverses = sorted_unique(requests.iter().filter_map(|r| r.reverses_entry_id.clone()));
        let mut reversed: BTreeSet<String> = if reverses.is_empty() {
            BTreeSet::new()
        } else {
            store.reversed(&reverses)?.into_iter().collect()
        };
        let mut stored: BTreeMap<String, Entry> = BTreeMap::new();
        for id in existing {
            let entry = load(store, &id)?
                .ok_or_else(|| LedgerError::Invariant(format!("entry {id} vanished")))?;
            stored.insert(id, entry);
        }

        let now = crate::time::now();
        let mut seq = head.seq;
        let mut prev_hash = head.hash;
        let mut written: Vec<Entry> = Vec::new();
        let mut acts = Vec::new();
        let mut results = Vec::with_capacity(slots.len());
        for slot in slots {
            // an id used before (in the database or earlier in this batch) is a replay
            if let Some(original) = stored.get(slot.id()) {
                results.push(Some(
                    replay(original.clone(), slot.request_hash()).map(Committed::Replayed),
                ));
                continue;
            }
            let Slot::Request(request) = *slot else {
                results.push(None);
                continue;
            };
            let outcome = admit(request, &mut accounts, &resolved, &reversed).map(|()| {
                seq += 1;
                let entry = build(request, seq, &prev_hash, now);
                prev_hash = entry.row.hash.clone();
                entry
            });
            match outcome {
                Ok(entry) => {
                    if let Some(act) = &request.audit {
                        acts.push(
                            act.event(&entry.row.id, now)
                                .map_err(|e| LedgerError::Invariant(e.to_string()))?,
                        );
                    }
                    for t in &entry.transfers {
                        resolved.extend(t.pending_id.clone());
                    }
                    reversed.extend(entry.row.reverses_entry_id.clone());
                    stored.insert(entry.row.id.clone(), entry.clone());
                    results.push(Some(Ok(Committed::New(entry.clone()))));
                    written.push(entry);
                }
                Err(e) => results.push(Some(Err(e))),
            }
        }
        let changed: Vec<&AccountState> = accounts
            .iter()
            .filter(|(id, state)| before.get(*id) != Some(*state))
            .map(|(_, s)| s)
            .collect();
        store.write(&written, &changed, now)?;
        store.write_audit(&acts)?;
        Ok(results)
    })
}

/// Checks one request against the state left by the entries before it and applies it to
/// `accounts`; on refusal nothing changes.
fn admit(
    request: &EntryRequest,
    accounts: &mut BTreeMap<AccountId, AccountState>,
    resolved: &BTreeSet<String>,
    reversed: &BTreeSet<String>,
) -> Result<(), LedgerError> {
    if request.reference.chars().count() > MAX_REFERENCE_CHARS {
        return Err(LedgerError::Invalid {
            field: "reference".into(),
            message: format!("must be at most {MAX_REFERENCE_CHARS} characters"),
        });
    }
    // an administrative act is never written without its audit event
    if request.audit.is_none() && AUDITED_CODES.contains(&request.code.as_str()) {
        return Err(LedgerError::Invariant(format!(
            "a `{}` entry needs its audit event",
            request.code
        )));
    }
    if let Some(done) = request
        .transfers
        .iter()
        .filter_map(|t| t.movement.hold_id())
        .find(|h| resolved.contains(h.as_str()))
    {
        return Err(LedgerError::HoldResolved(done.to_string()));
    }
    if let Some(original) = &request.reverses_entry_id {
        if reversed.contains(original) {
            return Err(LedgerError::AlreadyReversed(original.clone()));
        }
    }
    // the engine works on this entry's accounts only (cheap to copy whatever the batch size)
    let mut mine: BTreeMap<AccountId, AccountState> = BTreeMap::new();
    for t in &request.transfers {
        for id in [&t.debit_account_id, &t.credit_account_id] {
            if let Some(state) = accounts.get(id) {
                mine.insert(id.clone(), state.clone());
            }
        }
    }
    engine::apply(&mut mine, &request.transfers)?;
    accounts.extend(mine);
    Ok(())
}

/// The rows of an admitted request, chained after `prev_hash`.
fn build(request: &EntryRequest, seq: i64, prev_hash: &str, now: NaiveDateTime) -> Entry {
    let mut row = EntryRow {
        id: request.id.clone(),
        seq,
        code: request.code.clone(),
        reference: request.reference.clone(),
        description: request.description.clone(),
        request_hash: request.request_hash.clone(),
        reverses_entry_id: request.reverses_entry_id.clone(),
        created_at: now,
        prev_hash: prev_hash.to_string(),
        hash: String::new(),
    };
    let transfers: Vec<TransferRow> = request
        .transfers
        .iter()
        .enumerate()
        .map(|(i, t)| TransferRow {
            id: crate::time::new_id(),
            entry_id: row.id.clone(),
            position: i as i32,
            debit_account_id: t.debit_account_id.to_string(),
            credit_account_id: t.credit_account_id.to_string(),
            currency: t.amount.currency.to_string(),
            amount: t.amount.minor,
            kind: t.movement.kind().to_string(),
            pending_id: t.movement.hold_id().map(|h| h.to_string()),
            expires_at: match t.movement {
                Movement::Pending { expires_at } => expires_at,
                _ => None,
            },
            created_at: now,
        })
        .collect();
    row.hash = entry_hash(&row, &transfers);
    Entry { row, transfers }
}
