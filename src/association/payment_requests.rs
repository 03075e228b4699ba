//! Payment requests: a professional asks for a payment in a local currency — at a market
//! stall, on an invoice — and a member pays it from their wallet in one step.
//!
//! - **Asking** ([`create`]): an amount, or an open amount the payer types; a label (what it
//!   is for); optionally an expiry; single use (paid once, then closed) or reusable (a stall's
//!   standing code, paid by many). The professional's people (owners, managers, treasurers)
//!   ask, into the enterprise's wallet in that currency: only an approved professional has
//!   one (see [`super::professionals`]).
//! - **Showing**: each request has a URL (`{app_url}/pay/{id}`, the page where a member
//!   signed in to the web pages sees it and pays it) and a QR code of that URL ([`code`],
//!   drawn as SVG or PNG). Any signed-in member opens it and sees who asks for what ([`get`]).
//! - **Paying** ([`pay`]): one ledger payment from the member's wallet to the professional's,
//!   in the same transaction as the request's own record, under the request's row lock: a
//!   single-use request paid twice at the same moment is paid once (the second payer is told
//!   it is paid already). The payment's entry id is derived from the request, the payer and
//!   the caller's idempotency key, so a retry replays instead of paying again.
//! - **Following** ([`list`], [`payments`]): the professional sees each request's state
//!   (`open`, `paid`, `cancelled`, or `expired` once past its expiry), how many payments and
//!   how much it received, and the payments themselves. [`cancel`] closes an open request.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::AssociationError;
use crate::auth::actor::Actor;
use crate::auth::policy::{authorize, Action};
use crate::banking;
use crate::db::schema::{
    enterprises, payment_request_payments as prp, payment_requests as pr, users,
};
use crate::db::DbConn;
use crate::ledger::accounts::{self, AccountKind, AccountStatus, Owner};
use crate::ledger::currencies;
use crate::ledger::{journal, ops};
use crate::money::{AmountInput, Money};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// It may be paid.
    Open,
    /// A single-use request, paid.
    Paid,
    /// Closed by the professional.
    Cancelled,
    /// Open, but past its expiry: it may no longer be paid.
    Expired,
}

impl State {
    pub const ALL: &'static [State] = &[State::Open, State::Paid, State::Cancelled, State::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Paid => "paid",
            State::Cancelled => "cancelled",
            State::Expired => "expired",
        }
    }
}

/// What a professional asks.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// `None`: the payer types the amount.
    pub amount: Option<AmountInput>,
    pub currency: String,
    pub label: String,
    pub reusable: bool,
    pub expires_at: Option<NaiveDateTime>,
}

/// A payment request, as its professional and its payers see it.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentRequest {
    pub id: String,
    pub enterprise_id: String,
    /// Who asks.
    pub enterprise_name: String,
    pub currency: String,
    /// `None`: an open amount.
    pub amount: Option<Money>,
    pub label: String,
    pub reusable: bool,
    #[serde(serialize_with = "crate::time::as_utc_opt")]
    pub expires_at: Option<NaiveDateTime>,
    pub state: State,
    /// How many payments it received, and their total.
    pub payments: i64,
    pub received: Money,
    /// Where a member opens it (its QR code carries this).
    pub url: String,
    #[serde(serialize_with = "crate::time::as_utc")]
    pub created_at: NaiveDateTime,
}

impl PaymentRequest {
    /// Its QR code: its URL.
    pub fn code(&self) -> banking::Code {
        banking::Code {
            payload: self.url.clone(),
            swiss_cross: false,
        }
    }
}

/// One payment of a request.
#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    /// The ledger entry.
    pub entry_id: String,
    pub request_id: String,
    pub payer_id: String,
    pub payer_name: String,
    pub amount: Money,
    #[serde(serialize_with = "crate::time::as_utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pr)]
struct Row {
    id: String,
    enterprise_id: String,
    wallet_id: String,
    currency: String,
    amount_minor: Option<i64>,
    label: String,
    reusable: bool,
    expires_at: Option<NaiveDateTime>,
    state: String,
    paid_count: i64,
    paid_minor: i64,
    created_at: NaiveDateTime,
}

/// The URL of request `id` under the web application's base URL.
pub fn url_of(app_url: &str, id: &str) -> String {
    format!("{}/pay/{id}", app_url.trim_end_matches('/'))
}

fn view(conn: &mut DbConn, row: Row, app_url: &str) -> Result<PaymentRequest, AssociationError> {
    let currency = currencies::get(conn, &row.currency)?;
    let enterprise_name: String = enterprises::table
        .find(&row.enterprise_id)
        .select(enterprises::name)
        .first(conn.diesel())?;
    let now = crate::time::now();
    let state = match row.state.as_str() {
        "open" if row.expires_at.is_some_and(|t| t <= now) => State::Expired,
        "open" => State::Open,
        "paid" => State::Paid,
        "cancelled" => State::Cancelled,
        other => return Err(AssociationError::internal(format!("request state {other}"))),
    };
    Ok(PaymentRequest {
        amount: row.amount_minor.map(|m| currency.money(m)).transpose()?,
        received: currency.money(row.paid_minor)?,
        url: url_of(app_url, &row.id),
        id: row.id,
        enterprise_id: row.enterprise_id,
        enterprise_name,
        currency: row.currency,
        label: row.label,
        reusable: row.reusable,
        expires_at: row.expires_at,
        state,
        payments: row.paid_count,
        created_at: row.created_at,
    })
}

fn not_found() -> AssociationError {
    AssociationError::NotFound("no such payment request".into())
}

fn find(conn: &mut DbConn, id: &str) -> Result<Row, AssociationError> {
    pr::table
        .find(id)
        .select(Row::as_select())
        .first(conn.diesel())
        .optional()?
        .ok_or_else(not_found)
}

/// Enterprise `enterprise_id` asks for a payment; `app_url` makes its URL.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    enterprise_id: &str,
    new: &NewRequest,
    app_url: &str,
) -> Result<PaymentRequest, AssociationError> {
    authorize(actor, Action::RequestPayments { enterprise_id })?;
    let currency = currencies::get(conn, &new.currency).map_err(|_| {
        AssociationError::field(
            "currency",
            "unknown_currency",
            format!("no currency `{}`", new.currency),
        )
    })?;
    if !currency.is_local() {
        return Err(AssociationError::field(
            "currency",
            "not_local",
            "payment requests are in a local currency",
        ));
    }
    let amount = new
        .amount
        .as_ref()
        .map(|a| super::minor_of(&currency, "amount", a))
        .transpose()?;
    let label = new.label.trim();
    if label.is_empty() || label.chars().count() > 140 || label.chars().any(char::is_control) {
        return Err(AssociationError::field(
            "label",
            "invalid",
            "say what it is for, in 1 to 140 characters on one line",
        ));
    }
    let now = crate::time::now();
    if new.expires_at.is_some_and(|t| t <= now) {
        return Err(AssociationError::field(
            "expires_at",
            "past",
            "must be in the future",
        ));
    }
    let owner = Owner::Enterprise(enterprise_id.to_string().into());
    let wallet = accounts::find_by_owner(
        conn,
        &owner,
        &currency.code,
        AccountKind::EnterpriseWallet,
        None,
    )?
    .filter(|w| w.status == AccountStatus::Active.as_str())
    .ok_or_else(|| {
        AssociationError::Conflict(format!(
            "this enterprise cannot be paid in {}: it must be an approved professional of \
                 {} (its association approves it), and not suspended",
            currency.code, currency.code
        ))
    })?;
    let id = crate::time::new_id();
    diesel::insert_into(pr::table)
        .values((
            pr::id.eq(&id),
            pr::enterprise_id.eq(enterprise_id),
            pr::wallet_id.eq(&wallet.id),
            pr::currency.eq(&currency.code),
            pr::amount_minor.eq(amount),
            pr::label.eq(label),
            pr::reusable.eq(new.reusable),
            pr::expires_at.eq(new.expires_at),
            pr::state.eq("open"),
            pr::paid_count.eq(0i64),
            pr::paid_minor.eq(0i64),
            pr::created_by.eq(actor.user_id.as_str()),
            pr::created_at.eq(now),
        ))
        .execute(conn.diesel())?;
    let row = find(conn, &id)?;
    view(conn, row, app_url)
}

/// Request `id`, for any signed-in person (a payer scans it) — who asks for what.
pub fn get(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    app_url: &str,
) -> Result<PaymentRequest, AssociationError> {
    authorize(actor, Action::Shop)?;
    let row = find(conn, id)?;
    view(conn, row, app_url)
}

/// The QR code of request `id`: its URL.
pub fn code(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    app_url: &str,
) -> Result<banking::Code, AssociationError> {
    Ok(get(conn, actor, id, app_url)?.code())
}

/// An enterprise's requests, newest first (its people).
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    enterprise_id: &str,
    app_url: &str,
) -> Result<Vec<PaymentRequest>, AssociationError> {
    authorize(actor, Action::RequestPayments { enterprise_id })?;
    let rows: Vec<Row> = pr::table
        .filter(pr::enterprise_id.eq(enterprise_id))
        .order(pr::created_at.desc())
        .limit(500)
        .select(Row::as_select())
        .load(conn.diesel())?;
    rows.into_iter().map(|r| view(conn, r, app_url)).collect()
}

/// The payments request `id` received, oldest first (the professional's people).
pub fn payments(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
) -> Result<Vec<Payment>, AssociationError> {
    let row = find(conn, id)?;
    if authorize(
        actor,
        Action::RequestPayments {
            enterprise_id: &row.enterprise_id,
        },
    )
    .is_err()
    {
        return Err(not_found());
    }
    let currency = currencies::get(conn, &row.currency)?;
    let found: Vec<(String, String, i64, NaiveDateTime, String)> = prp::table
        .inner_join(users::table)
        .filter(prp::request_id.eq(id))
        .order(prp::created_at.asc())
        .select((
            prp::entry_id,
            prp::payer_id,
            prp::amount_minor,
            prp::created_at,
            users::display_name,
        ))
        .load(conn.diesel())?;
    found
        .into_iter()
        .map(|(entry_id, payer_id, minor, created_at, payer_name)| {
            Ok(Payment {
                entry_id,
                request_id: id.to_string(),
                payer_id,
                payer_name,
                amount: currency.money(minor)?,
                created_at,
            })
        })
        .collect()
}

/// The professional closes open request `id`.
pub fn cancel(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    app_url: &str,
) -> Result<PaymentRequest, AssociationError> {
    let row = conn.transaction(|conn| {
        crate::db::lock_row(conn, "payment_requests", id)?;
        let row = find(conn, id)?;
        if authorize(
            actor,
            Action::RequestPayments {
                enterprise_id: &row.enterprise_id,
            },
        )
        .is_err()
        {
            return Err(not_found());
        }
        match row.state.as_str() {
            "open" => {}
            "cancelled" => return Ok(row),
            other => {
                return Err(AssociationError::Conflict(format!(
                    "this request is {other}: only an open one can be cancelled"
                )))
            }
        }
        diesel::update(pr::table.find(id))
            .set((
                pr::state.eq("cancelled"),
                pr::closed_at.eq(Some(crate::time::now())),
            ))
            .execute(conn.diesel())?;
        find(conn, id)
    })?;
    view(conn, row, app_url)
}

/// A member pays request `id` from their wallet: `amount` for an open amount (refused when
/// the request names one, unless equal). `key` is the caller's idempotency key.
pub fn pay(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    amount: Option<&AmountInput>,
    key: &str,
) -> Result<Payment, AssociationError> {
    let request = find(conn, id)?;
    let currency = currencies::get(conn, &request.currency)?;
    let asked = amount
        .map(|a| super::minor_of(&currency, "amount", a))
        .transpose()?;
    let minor = match (request.amount_minor, asked) {
        (Some(fixed), None) => fixed,
        (Some(fixed), Some(given)) if given == fixed => fixed,
        (Some(fixed), Some(_)) => {
            return Err(AssociationError::field(
                "amount.amount",
                "not_the_amount_asked",
                format!(
                    "this request asks for {}",
                    currency.money(fixed)?.amount_string()
                ),
            ))
        }
        (None, Some(given)) => given,
        (None, None) => {
            return Err(AssociationError::field(
                "amount",
                "required",
                "this request leaves the amount to you: say how much",
            ))
        }
    };
    let owner = Owner::User(actor.user_id.clone());
    let wallet = accounts::find_by_owner(
        conn,
        &owner,
        &currency.code,
        AccountKind::MemberWallet,
        None,
    )?
    .ok_or_else(|| {
        AssociationError::Conflict(format!(
            "you have no {} wallet: ask for a top-up first",
            currency.code
        ))
    })?;
    authorize(actor, Action::SpendFrom { account: &wallet })?;
    let entry_id = journal::derived_id(&format!(
        "payment-request:{id}:{}:{key}",
        actor.user_id.as_str()
    ));
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "payment_requests", id)?;
        let request = find(conn, id)?;
        // a retry of a payment already made answers it again
        if let Some(done) = payment_of(conn, &entry_id)? {
            return Ok(done);
        }
        let now = crate::time::now();
        match request.state.as_str() {
            "open" if request.expires_at.is_some_and(|t| t <= now) => {
                return Err(AssociationError::Conflict(
                    "this payment request has expired: ask the professional for a new one".into(),
                ))
            }
            "open" => {}
            "paid" => {
                return Err(AssociationError::Conflict(
                    "this payment request is paid already: nothing more to pay".into(),
                ))
            }
            _ => {
                return Err(AssociationError::Conflict(
                    "this payment request was cancelled by the professional".into(),
                ))
            }
        }
        let reference: String = format!("{} — {}", request.label, &request.id)
            .chars()
            .take(200)
            .collect();
        ops::pay(
            conn,
            &entry_id,
            &wallet.id,
            &request.wallet_id,
            minor,
            &reference,
        )?;
        diesel::insert_into(prp::table)
            .values((
                prp::entry_id.eq(&entry_id),
                prp::request_id.eq(id),
                prp::payer_id.eq(actor.user_id.as_str()),
                prp::from_account_id.eq(&wallet.id),
                prp::amount_minor.eq(minor),
                prp::created_at.eq(now),
            ))
            .execute(conn.diesel())?;
        let closed = !request.reusable;
        diesel::update(pr::table.find(id))
            .set((
                pr::paid_count.eq(pr::paid_count + 1),
                pr::paid_minor.eq(pr::paid_minor + minor),
                pr::state.eq(if closed { "paid" } else { "open" }),
                pr::closed_at.eq(if closed { Some(now) } else { None }),
            ))
            .execute(conn.diesel())?;
        payment_of(conn, &entry_id)?
            .ok_or_else(|| AssociationError::internal("the payment just written"))
    })
}

/// The payments person `user_id` made to payment requests, oldest first (their data export).
pub fn paid_by(conn: &mut DbConn, user_id: &str) -> Result<Vec<Payment>, AssociationError> {
    let entries: Vec<String> = prp::table
        .filter(prp::payer_id.eq(user_id))
        .order(prp::created_at.asc())
        .select(prp::entry_id)
        .load(conn.diesel())?;
    let mut found = Vec::with_capacity(entries.len());
    for entry in entries {
        found.extend(payment_of(conn, &entry)?);
    }
    Ok(found)
}

fn payment_of(conn: &mut DbConn, entry_id: &str) -> Result<Option<Payment>, AssociationError> {
    let found: Option<(String, String, i64, NaiveDateTime, String, String)> = prp::table
        .inner_join(users::table)
        .inner_join(pr::table)
        .filter(prp::entry_id.eq(entry_id))
        .select((
            prp::request_id,
            prp::payer_id,
            prp::amount_minor,
            prp::created_at,
            users::display_name,
            pr::currency,
        ))
        .first(conn.diesel())
        .optional()?;
    let Some((request_id, payer_id, minor, created_at, payer_name, code)) = found else {
        return Ok(None);
    };
    let currency = currencies::get(conn, &code)?;
    Ok(Some(Payment {
        entry_id: entry_id.to_string(),
        request_id,
        payer_id,
        payer_name,
        amount: currency.money(minor)?,
        created_at,
    }))
}
