//! Holds: a pending wallet → account transfer reserving money for an order (checkout), then
//! posted for at most what was held (the close) or voided (a cancellation, an expiry) —
//! each one journal entry, idempotent on its client-chosen id (see [`super::ops`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::engine::{Movement, TransferDraft};
use super::group;
use super::journal::{self, Committed, EntryRequest, TransferRow};
use super::ops::{idempotent, movement_parties, replayed};
use super::rules::{check_flow, posted};
use super::LedgerError;
use crate::db::schema::ledger_transfers;
use crate::db::DbConn;
use crate::ids::{AccountId, EntryId, TransferId};
use crate::money::Amount;

/// Hold: reserves `amount` of `from` for `to` until posted, voided or expired (`amount` must
/// be in the accounts' currency).
pub fn hold(
    conn: &mut DbConn,
    entry_id: &EntryId,
    from_id: &AccountId,
    to_id: &AccountId,
    amount: Amount,
    expires_at: Option<NaiveDateTime>,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let expiry = expires_at.map(|t| t.to_string()).unwrap_or_default();
    let hash = journal::request_hash(&[
        "hold",
        from_id,
        to_id,
        &amount.minor.to_string(),
        &expiry,
        reference,
    ]);
    idempotent(conn, entry_id, &hash, |conn| {
        let (from, to, allow_member_to_member) = movement_parties(conn, from_id, to_id)?;
        check_flow(&from, &to, allow_member_to_member)?;
        if expires_at.is_some_and(|t| t <= crate::time::now()) {
            return Err(LedgerError::Invalid {
                field: "expires_at".into(),
                message: "must be in the future".into(),
            });
        }
        let mut draft = posted(&from, &to, amount);
        draft.movement = Movement::Pending { expires_at };
        group::commit(
            conn,
            &EntryRequest {
                audit: None,
                id: entry_id.to_string(),
                code: "hold".into(),
                reference: reference.into(),
                description: format!("hold in {}", from.currency),
                request_hash: hash.clone(),
                reverses_entry_id: None,
                transfers: vec![draft],
            },
        )
    })
}

/// A pending transfer (hold) by id.
pub fn find_hold(conn: &mut DbConn, hold_id: &TransferId) -> Result<TransferRow, LedgerError> {
    let row: Option<TransferRow> = ledger_transfers::table
        .find(hold_id.as_str())
        .filter(ledger_transfers::kind.eq("pending"))
        .select(TransferRow::as_select())
        .first(conn.diesel())
        .optional()?;
    row.ok_or_else(|| LedgerError::HoldNotFound(hold_id.to_string()))
}

fn resolve(hold: &TransferRow, amount: Amount, movement: Movement) -> TransferDraft {
    TransferDraft {
        debit_account_id: AccountId::from(&hold.debit_account_id),
        credit_account_id: AccountId::from(&hold.credit_account_id),
        amount,
        movement,
        own_funds_only: false,
    }
}

/// Post a hold, fully (`amount = None`) or partly; the rest is released.
pub fn post_hold(
    conn: &mut DbConn,
    entry_id: &EntryId,
    hold_id: &TransferId,
    amount: Option<Amount>,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let shown = amount
        .map(|a| a.minor.to_string())
        .unwrap_or_else(|| "all".into());
    let hash = journal::request_hash(&["post", hold_id, &shown, reference]);
    if let Some(done) = replayed(conn, entry_id, &hash)? {
        return Ok(done);
    }
    let hold = find_hold(conn, hold_id)?;
    if hold.expires_at.is_some_and(|t| t <= crate::time::now()) {
        return Err(LedgerError::HoldExpired(hold_id.to_string()));
    }
    group::commit(conn, &post_request(entry_id, &hold, amount, reference)?)
}

/// The entry posting `hold` (fully when `amount` is `None`), to commit alone or in a batch
/// (the journal checks that the hold is still pending, exactly once). `amount` must be in the
/// hold's currency.
pub fn post_request(
    entry_id: &EntryId,
    hold: &TransferRow,
    amount: Option<Amount>,
    reference: &str,
) -> Result<EntryRequest, LedgerError> {
    let held = hold.moved()?;
    // the request hash names the amount as asked: "all" for the whole hold
    let shown = amount
        .map(|a| a.minor.to_string())
        .unwrap_or_else(|| "all".into());
    let amount = amount.unwrap_or(held);
    if amount.currency != held.currency {
        return Err(LedgerError::CurrencyMismatch {
            account: hold.debit_account_id.clone(),
            account_currency: held.currency.to_string(),
            currency: amount.currency.to_string(),
        });
    }
    let movement = Movement::PostPending {
        hold_id: TransferId::from(&hold.id),
        hold_amount: hold.amount,
    };
    Ok(EntryRequest {
        audit: None,
        id: entry_id.to_string(),
        code: "post".into(),
        reference: reference.into(),
        description: format!("hold {} posted", hold.id),
        request_hash: journal::request_hash(&["post", &hold.id, &shown, reference]),
        reverses_entry_id: None,
        transfers: vec![resolve(hold, amount, movement)],
    })
}

/// The entry voiding `hold`, to commit alone or in a batch.
pub fn void_request(
    entry_id: &EntryId,
    hold: &TransferRow,
    reference: &str,
) -> Result<EntryRequest, LedgerError> {
    let movement = Movement::VoidPending {
        hold_id: TransferId::from(&hold.id),
        hold_amount: hold.amount,
    };
    Ok(EntryRequest {
        audit: None,
        id: entry_id.to_string(),
        code: "void".into(),
        reference: reference.into(),
        description: format!("hold {} voided", hold.id),
        request_hash: journal::request_hash(&["void", &hold.id, reference]),
        reverses_entry_id: None,
        transfers: vec![resolve(hold, hold.moved()?, movement)],
    })
}

/// Void a hold: the reserved amount becomes available again.
pub fn void_hold(
    conn: &mut DbConn,
    entry_id: &EntryId,
    hold_id: &TransferId,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let hash = journal::request_hash(&["void", hold_id, reference]);
    if let Some(done) = replayed(conn, entry_id, &hash)? {
        return Ok(done);
    }
    let hold = find_hold(conn, hold_id)?;
    group::commit(conn, &void_request(entry_id, &hold, reference)?)
}

/// Voids every hold whose expiry has passed; returns how many. Each void's entry id is
/// derived from the hold id, so concurrent runs (several instances) void a hold once.
pub fn void_expired_holds(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, LedgerError> {
    #[derive(QueryableByName)]
    struct Expired {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    const EXPIRED: &str = "SELECT t.id AS id FROM ledger_transfers t
        WHERE t.kind = 'pending' AND t.expires_at <= $1
          AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
        ORDER BY t.id LIMIT 1000";
    let expired: Vec<Expired> = diesel::sql_query(EXPIRED)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .load(conn.diesel())?;
    let expired = expired.into_iter().map(|e| TransferId::from(e.id));
    let mut voided = 0;
    for hold_id in expired {
        let entry_id = EntryId::from(journal::derived_id(&format!("expire:{hold_id}")));
        match void_hold(conn, &entry_id, &hold_id, "expired") {
            Ok(Committed::New(_)) => voided += 1,
            Ok(Committed::Replayed(_)) | Err(LedgerError::HoldResolved(_)) => {}
            // one bad hold must not keep every later one reserved: report it and go on
            Err(error) => {
                tracing::error!(hold = %hold_id, %error, "an expired hold could not be voided")
            }
        }
    }
    Ok(voided)
}
