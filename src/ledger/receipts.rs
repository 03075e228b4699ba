//! Receipts mailed for money operations: a wallet top-up (issue) and a reconversion. Each is
//! enqueued in the outbox inside the transaction of its ledger entry, and only for an entry
//! written now (a replayed request sends nothing again).
//!
//! The recipient is the wallet's owner: a person (their address and language), or an
//! enterprise with a contact address (in `mail.default_locale`). An enterprise without one
//! gets no receipt. Times are the entry's, in the local time of the enterprise concerned, with
//! its offset: a top-up's in the issuing association's time zone, a reconversion's in the
//! reconverting enterprise's.

use diesel::prelude::*;
use serde_json::json;

use super::accounts::{self, AccountRow, OwnerKind};
use super::currencies::{self, CurrencyRow};
use super::journal::{Committed, Entry};
use super::rules::EuroMethod;
use super::LedgerError;
use crate::audit::Who;
use crate::db::schema::{enterprises, users};
use crate::db::DbConn;
use crate::deployment::Legal;
use crate::mail::outbox;
use crate::money::{CurrencyCode, Money};

/// Who receives a wallet's receipts: `(email, locale, display name)`.
fn recipient(
    conn: &mut DbConn,
    wallet: &AccountRow,
) -> Result<Option<(String, String, String)>, LedgerError> {
    let owner = wallet.owner_id.clone().unwrap_or_default();
    Ok(match OwnerKind::parse(&wallet.owner_kind) {
        Ok(OwnerKind::User) => users::table
            .find(&owner)
            .select((users::email, users::locale, users::display_name))
            .first::<(String, String, String)>(conn.diesel())
            .optional()?,
        Ok(OwnerKind::Enterprise) => enterprises::table
            .find(&owner)
            .select((enterprises::email, enterprises::name))
            .first::<(Option<String>, String)>(conn.diesel())
            .optional()?
            // no language preference for enterprises: the deployment's default
            .and_then(|(email, name)| email.map(|e| (e, String::new(), name))),
        _ => None,
    })
}

fn association_name(conn: &mut DbConn, currency: &CurrencyRow) -> Result<String, LedgerError> {
    let issuer = currency.issuer_id.clone().unwrap_or_default();
    Ok(enterprises::table
        .find(&issuer)
        .select(enterprises::name)
        .first::<String>(conn.diesel())
        .optional()?
        .unwrap_or_default())
}

fn money(minor: i64, currency: &CurrencyRow) -> serde_json::Value {
    let code: CurrencyCode = currency.code.parse().unwrap_or(CurrencyCode::EUR);
    let m = Money::new(minor, code, crate::money::minor_scale(currency.scale));
    json!({"amount": m.amount_string(), "currency": currency.code})
}

/// What an entry moves in the legal currency (its transfers in it), to show.
fn legal_total(legal: Legal, entry: &Entry) -> serde_json::Value {
    let minor = entry
        .transfers
        .iter()
        .filter(|t| legal.is(&t.currency))
        .map(|t| t.amount)
        .sum();
    let m = legal.money(minor);
    json!({"amount": m.amount_string(), "currency": m.currency.as_str()})
}

/// When `entry` was written, in the local time of enterprise `enterprise_id` (read from its
/// row here, as its name is above: the ledger does not import the enterprises).
fn when(conn: &mut DbConn, entry: &Entry, enterprise_id: &str) -> Result<String, LedgerError> {
    let zone: String = enterprises::table
        .find(enterprise_id)
        .select(enterprises::time_zone)
        .first::<String>(conn.diesel())
        .optional()?
        .unwrap_or_else(|| crate::deployment::Country::France.time_zone().to_string());
    Ok(crate::mail::format::mail_time(entry.row.created_at, &zone))
}

/// The receipt of an issue: `amount` of `currency` credited to `wallet` against euros.
pub fn topup(
    conn: &mut DbConn,
    entry: &Entry,
    wallet_id: &str,
    currency: &CurrencyRow,
    amount: i64,
    method: &str,
    reference: &str,
) -> Result<(), LedgerError> {
    let wallet = accounts::get(conn, wallet_id)?;
    let Some((email, locale, name)) = recipient(conn, &wallet)? else {
        return Ok(());
    };
    let values = json!({
        "display_name": name,
        "association_name": association_name(conn, currency)?,
        "amount": money(amount, currency),
        "euros": legal_total(currencies::legal(conn)?, entry),
        "method": method,
        "reference": reference,
        "date": when(conn, entry, currency.issuer_id.as_deref().unwrap_or(""))?,
        "balance": money(wallet.balance() - wallet.debits_pending, currency),
        "entry_id": entry.row.id,
    });
    outbox::enqueue(conn, &email, "topup_receipt", &locale, &values)?;
    Ok(())
}

/// Issues `amount` of `currency` into `wallet_id` against euros received by `method`
/// ([`super::ops::issue`], once per `entry_id`) and queues its receipt ([`topup`]) for a new
/// entry only, never for a replay. Run it inside the caller's transaction, so that the entry
/// and its receipt commit together: the API's issuance, a top-up request's approval and the
/// treasurer's direct issuance all go through here.
#[allow(clippy::too_many_arguments)]
pub fn issue_with_receipt(
    conn: &mut DbConn,
    who: &Who,
    entry_id: &str,
    wallet_id: &str,
    currency: &CurrencyRow,
    amount: i64,
    method: EuroMethod,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let committed = super::ops::issue(conn, who, entry_id, wallet_id, amount, method, reference)?;
    if let Committed::New(entry) = &committed {
        topup(
            conn,
            entry,
            wallet_id,
            currency,
            amount,
            method.as_str(),
            reference,
        )?;
    }
    Ok(committed)
}

/// The receipt of a reconversion of `amount` from `wallet`: the commission kept and the
/// euros owed.
pub fn reconversion(
    conn: &mut DbConn,
    entry: &Entry,
    wallet_id: &str,
    currency: &CurrencyRow,
    amount: i64,
) -> Result<(), LedgerError> {
    let wallet = accounts::get(conn, wallet_id)?;
    let Some((email, locale, name)) = recipient(conn, &wallet)? else {
        return Ok(());
    };
    let association = super::ops::association_accounts(conn, currency)?;
    // the reconverting enterprise's time (an association's own wallet: its own)
    let reconverting = match OwnerKind::parse(&wallet.owner_kind) {
        Ok(OwnerKind::Enterprise) => wallet.owner_id.clone().unwrap_or_default(),
        _ => currency.issuer_id.clone().unwrap_or_default(),
    };
    let commission: i64 = entry
        .transfers
        .iter()
        .filter(|t| t.credit_account_id == association.commission.id)
        .map(|t| t.amount)
        .sum();
    let values = json!({
        "display_name": name,
        "enterprise_name": name,
        "association_name": association_name(conn, currency)?,
        "amount": money(amount, currency),
        "commission": money(commission, currency),
        "payout": legal_total(currencies::legal(conn)?, entry),
        "date": when(conn, entry, &reconverting)?,
        "entry_id": entry.row.id,
    });
    outbox::enqueue(conn, &email, "reconversion_receipt", &locale, &values)?;
    Ok(())
}
