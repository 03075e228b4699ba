//! The ledger over HTTP: currencies, accounts and balances, history and CSV export, the
//! guarantee-fund statement, and the money operations. Every route authenticates the caller
//! and asks [`crate::auth::policy::authorize`]; amounts travel as
//! `{"amount": "12.50", "currency": "LEM"}` with the amount a JSON string.

mod currency;
mod operations;
mod wallets;

pub use currency::*;
pub use operations::*;
pub use wallets::*;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{JsonBody, QueryParams};
use crate::api::pagination::{PageQuery, PageResponse};
use crate::api::views::ledger::Currency;
use crate::api::AppState;
use crate::auth::policy::{authorize, Action};
use crate::db::DbConn;
use crate::ids::{AccountId, EntryId, TransferId};
use crate::ledger::accounts::{self, AccountKind, AccountRow, AccountStatus, Owner};
use crate::ledger::currencies::{self, CurrencyRow};
use crate::ledger::journal::{Committed, Entry, TransferRow};
use crate::ledger::ops::{self, EuroMethod, LocalTerms, NewCurrency};
use crate::ledger::receipts;
use crate::ledger::verify;
use crate::money::{parse_amount, Amount, CurrencyCode, Money, Sign};
use crate::pagination::PageParams;

pub use crate::api::views::MoneyInput;

/// Minor units of `input`, which must be in `currency` and positive (or zero when allowed).
fn minor_units(
    conn: &mut DbConn,
    field: &str,
    input: &MoneyInput,
    currency: &str,
    sign: Sign,
) -> Result<i64, ApiError> {
    if input.currency.as_str() != currency {
        return Err(ApiError::field(
            &format!("{field}.currency"),
            "currency_mismatch",
            format!("must be {currency}"),
        ));
    }
    let scale = crate::money::minor_scale(currencies::get(conn, currency)?.scale);
    parse_amount(&input.amount, scale, sign)
        .map_err(|e| ApiError::field(&format!("{field}.amount"), e.code(), e.to_string()))
}

/// A client-chosen entry id: a random (v4) or time-ordered (v7) UUID in canonical form.
/// Other versions are refused: the server derives its own ids (v5) for background work.
fn entry_id(field: &str, id: &str) -> Result<EntryId, ApiError> {
    match uuid::Uuid::parse_str(id) {
        Ok(u) if u.hyphenated().to_string() == id && matches!(u.get_version_num(), 4 | 7) => {
            Ok(EntryId::from(id))
        }
        _ => Err(ApiError::field(
            field,
            "invalid_uuid",
            "must be a UUID v4 or v7 chosen by the client, in canonical lowercase form",
        )),
    }
}

/// The common start of an operation that moves money out of an account: the account, which
/// the caller must be allowed to spend from; the client's entry id; the positive amount in the
/// account's currency.
fn spending(
    conn: &mut DbConn,
    caller: &Authenticated,
    entry: &str,
    account_id: &str,
    amount: &MoneyInput,
) -> Result<(EntryId, AccountRow, i64), ApiError> {
    let account = accounts::get(conn, account_id)?;
    authorize(&caller.0, Action::SpendFrom { account: &account })?;
    let id = entry_id("entry_id", entry)?;
    let minor = minor_units(conn, "amount", amount, &account.currency, Sign::Positive)?;
    Ok((id, account, minor))
}

fn scales(conn: &mut DbConn) -> Result<HashMap<String, u32>, ApiError> {
    Ok(currencies::list(conn)?
        .into_iter()
        .map(|c| (c.code, crate::money::minor_scale(c.scale)))
        .collect())
}

/// `minor` units of `currency` (a stored code, parsed when its currency was created) with
/// its decimals.
fn money(scales: &HashMap<String, u32>, minor: i64, currency: &str) -> Money {
    let code = currency.parse().unwrap_or(CurrencyCode::EUR);
    Money::new(minor, code, scales.get(currency).copied().unwrap_or(2))
}

/// An account and its balances.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub currency: String,
    #[schema(value_type = String)]
    pub kind: AccountKind,
    /// `user`, `enterprise` or `system`.
    pub owner_kind: String,
    pub owner_id: Option<String>,
    pub name: String,
    /// `active`, `frozen` or `closed`.
    pub status: String,
    /// Credits minus debits, posted.
    pub balance: Money,
    /// Balance minus pending debits (holds).
    pub available: Money,
    pub pending_debits: Money,
    pub pending_credits: Money,
    /// How far below zero the account may go; `null` = unlimited (issuance, clearing).
    pub overdraft_limit: Option<Money>,
}

fn account_view(scales: &HashMap<String, u32>, row: &AccountRow) -> Result<AccountView, ApiError> {
    let m = |minor| money(scales, minor, &row.currency);
    Ok(AccountView {
        id: row.id.clone(),
        currency: row.currency.clone(),
        kind: row.kind()?,
        owner_kind: row.owner_kind.clone(),
        owner_id: row.owner_id.clone(),
        name: row.name.clone(),
        status: row.status.clone(),
        balance: m(row.balance()),
        available: m(row.balance() - row.debits_pending),
        pending_debits: m(row.debits_pending),
        pending_credits: m(row.credits_pending),
        overdraft_limit: row.overdraft_limit.map(m),
    })
}

/// One transfer of an entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    pub id: String,
    pub debit_account_id: String,
    pub credit_account_id: String,
    pub amount: Money,
    /// `posted`, `pending` (a hold), `post_pending` or `void_pending`.
    pub kind: String,
    /// For a post or void: the hold it resolves.
    pub pending_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn transfer_view(scales: &HashMap<String, u32>, t: &TransferRow) -> TransferView {
    TransferView {
        id: t.id.clone(),
        debit_account_id: t.debit_account_id.clone(),
        credit_account_id: t.credit_account_id.clone(),
        amount: money(scales, t.amount, &t.currency),
        kind: t.kind.clone(),
        pending_id: t.pending_id.clone(),
        expires_at: t.expires_at.map(crate::time::utc),
    }
}

/// A journal entry: transfers committed together, chained by hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    pub seq: i64,
    pub code: String,
    pub reference: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub reverses_entry_id: Option<String>,
    pub hash: String,
    pub transfers: Vec<TransferView>,
}

fn entry_view(scales: &HashMap<String, u32>, entry: &Entry) -> EntryView {
    EntryView {
        id: entry.row.id.clone(),
        seq: entry.row.seq,
        code: entry.row.code.clone(),
        reference: entry.row.reference.clone(),
        description: entry.row.description.clone(),
        created_at: crate::time::utc(entry.row.created_at),
        reverses_entry_id: entry.row.reverses_entry_id.clone(),
        hash: entry.row.hash.clone(),
        transfers: entry
            .transfers
            .iter()
            .map(|t| transfer_view(scales, t))
            .collect(),
    }
}

/// The entry, and whether it is a replay of an earlier identical request.
type Outcome = (bool, EntryView);

fn committed(conn: &mut DbConn, result: Committed) -> Result<Outcome, ApiError> {
    let scales = scales(conn)?;
    Ok((
        matches!(result, Committed::Replayed(_)),
        entry_view(&scales, result.entry()),
    ))
}

/// 201 with the entry; a replay of the same request answers the same, marked
/// `Idempotent-Replayed: true`.
fn respond((replayed, view): Outcome) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::CREATED);
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(view)
}

/// Runs a money operation on a blocking thread and answers with its entry: 201, marked
/// `Idempotent-Replayed: true` when it is the replay of an earlier identical request.
async fn operation<F>(state: &AppState, work: F) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<Committed, ApiError> + Send + 'static,
{
    state
        .db
        .run(move |conn| {
            let result = work(conn)?;
            committed(conn, result)
        })
        .await
        .map(respond)
}

fn issuer_of(currency: &CurrencyRow) -> Result<&str, ApiError> {
    currency.issuer_id.as_deref().ok_or_else(|| {
        ApiError::field(
            "currency",
            "not_local",
            format!("{} is not a local currency", currency.code),
        )
    })
}
