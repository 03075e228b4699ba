//! Top-up requests: a member asks the association of a local currency for an amount of it,
//! to be paid in the legal currency by bank transfer or in cash at an exchange point.
//!
//! - **Asking** ([`request`]): the amount, in the local currency; what to pay is its value in
//!   the legal currency (exact at the currency's parity, or refused). Each request gets a
//!   number, gapless across the deployment, and a **reference** made from it that the member
//!   writes on the transfer (or shows at the exchange point): a Swiss QR reference (27 digits)
//!   when the association's account is a QR-IBAN, else an ISO 11649 creditor reference
//!   (`RF…`, the currency's code and the number). The reference is fixed when asked.
//! - **Paying by transfer** ([`transfer`]): the association's IBAN, the amount, the reference,
//!   and the payload of a QR code a banking app reads — an EPC QR code (SEPA credit transfer,
//!   "GiroCode") in euros, a Swiss QR-bill in francs (and euros in Switzerland); none in other
//!   tenders, where the details are written out. A bank transfer needs the association to
//!   have given its account ([`super::bank`]); cash does not.
//! - **Deciding**: the currency's treasurers list the queue ([`queue`], by state and method)
//!   and approve ([`approve`]: the issuance, whose entry id is the request's, so approving
//!   twice — even at once — issues once; the member gets the top-up receipt) or refuse
//!   ([`refuse`], with a reason the member is mailed). The member may cancel a pending request
//!   ([`cancel`]). Mails: the member gets the payment instructions when asking, the receipt
//!   when approved, the reason when refused.
//!
//! Who may do what is the policy's: a member asks and reads their own (`ManageOwnAccount`,
//! `ReadOwnAccounts`), the currency's treasurers decide (`RunCurrency`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::AssociationError;
use crate::audit::{Act, Who};
use crate::auth::actor::Actor;
use crate::auth::policy::{authorize, Action};
use crate::banking;
use crate::db::schema::{enterprises, topup_requests, users};
use crate::db::DbConn;
use crate::ledger::accounts::Owner;
use crate::ledger::currencies::{self, CurrencyRow};
use crate::ledger::rules::EuroMethod;
use crate::ledger::{ops, receipts};
use crate::money::{AmountInput, Money};
use crate::pagination::{Page, PageParams};

/// How the member pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A bank transfer to the association's account, with the request's reference.
    BankTransfer,
    /// Cash at an exchange point, showing the reference.
    Cash,
}

impl Method {
    pub const ALL: &'static [Method] = &[Method::BankTransfer, Method::Cash];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::BankTransfer => "bank_transfer",
            Method::Cash => "cash",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        Method::ALL.iter().copied().find(|m| m.as_str() == text)
    }

    fn ledger(self) -> EuroMethod {
        match self {
            Method::BankTransfer => EuroMethod::BankTransfer,
            Method::Cash => EuroMethod::Cash,
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    Approved,
    Refused,
    Cancelled,
}

impl State {
    pub const ALL: &'static [State] = &[
        State::Pending,
        State::Approved,
        State::Refused,
        State::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Refused => "refused",
            State::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.iter().copied().find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = topup_requests)]
struct Row {
    id: String,
    number: i64,
    user_id: String,
    currency: String,
    wallet_id: String,
    amount_minor: i64,
    legal_minor: i64,
    method: String,
    reference: String,
    state: String,
    reason: String,
    received_reference: String,
    ledger_entry_id: Option<String>,
    created_at: NaiveDateTime,
    decided_at: Option<NaiveDateTime>,
    decided_by: Option<String>,
}

/// A top-up request, as its member and the treasurers see it.
#[derive(Debug, Clone, Serialize)]
pub struct TopUp {
    pub id: String,
    /// Gapless across the deployment.
    pub number: i64,
    pub user_id: String,
    pub currency: String,
    pub wallet_id: String,
    /// The local currency asked for.
    pub amount: Money,
    /// What to pay for it, in the legal currency.
    pub to_pay: Money,
    pub method: Method,
    /// To write on the transfer, or show at the exchange point.
    pub reference: String,
    pub state: State,
    /// Why it was refused.
    pub reason: String,
    /// What the treasurer saw arrive.
    pub received_reference: String,
    /// The issuance, once approved.
    pub ledger_entry_id: Option<String>,
    #[serde(serialize_with = "crate::time::as_utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::as_utc_opt")]
    pub decided_at: Option<NaiveDateTime>,
}

/// How to pay a request by bank transfer.
#[derive(Debug, Clone, Serialize)]
pub struct Transfer {
    /// The association, as the transfer's beneficiary.
    pub creditor: String,
    pub iban: String,
    pub bic: Option<String>,
    pub amount: Money,
    pub reference: String,
    /// `epc` (EPC QR code, SEPA credit transfer) or `swiss_qr_bill`; `None` where the legal
    /// currency has no such code (the details are then written out).
    pub qr: Option<&'static str>,
    /// The QR code's text, as a banking app reads it.
    pub payload: Option<String>,
}

fn view(row: Row, legal: crate::deployment::Legal, scale: u32) -> Result<TopUp, AssociationError> {
    let code = row.currency.parse().map_err(AssociationError::internal)?;
    Ok(TopUp {
        amount: Money::new(row.amount_minor, code, scale),
        to_pay: legal.money(row.legal_minor),
        method: Method::parse(&row.method)
            .ok_or_else(|| AssociationError::internal(format!("method {}", row.method)))?,
        state: State::parse(&row.state)
            .ok_or_else(|| AssociationError::internal(format!("state {}", row.state)))?,
        id: row.id,
        number: row.number,
        user_id: row.user_id,
        currency: row.currency,
        wallet_id: row.wallet_id,
        reference: row.reference,
        reason: row.reason,
        received_reference: row.received_reference,
        ledger_entry_id: row.ledger_entry_id,
        created_at: row.created_at,
        decided_at: row.decided_at,
    })
}

/// Views of `rows` (all of one deployment's legal currency; scales looked up once each).
fn views(conn: &mut DbConn, rows: Vec<Row>) -> Result<Vec<TopUp>, AssociationError> {
    let legal = currencies::legal(conn)?;
    let mut scales = std::collections::HashMap::new();
    rows.into_iter()
        .map(|row| {
            let scale = match scales.get(&row.currency) {
                Some(scale) => *scale,
                None => {
                    let scale = currencies::get(conn, &row.currency)?.decimals();
                    scales.insert(row.currency.clone(), scale);
                    scale
                }
            };
            view(row, legal, scale)
        })
        .collect()
}

fn one(conn: &mut DbConn, row: Row) -> Result<TopUp, AssociationError> {
    views(conn, vec![row])?
        .pop()
        .ok_or_else(|| AssociationError::internal("a view of one row"))
}

/// The same answer whether the request does not exist or is someone else's.
fn not_found() -> AssociationError {
    AssociationError::NotFound("no such top-up request (or not yours to see)".into())
}

fn find(conn: &mut DbConn, id: &str) -> Result<Row, AssociationError> {
    topup_requests::table
        .find(id)
        .select(Row::as_select())
        .first(conn.diesel())
        .optional()?
        .ok_or_else(not_found)
}

fn issuer(currency: &CurrencyRow) -> Result<&str, AssociationError> {
    currency.issuer_id.as_deref().ok_or_else(|| {
        AssociationError::field(
            "currency",
            "not_local",
            format!("{} is not a local currency", currency.code),
        )
    })
}

/// The reference of request `number` of `currency`, for an account that is (or not) a
/// QR-IBAN.
fn reference_for(number: i64, currency: &str, qr_iban: bool) -> Result<String, AssociationError> {
    let n = u64::try_from(number).map_err(AssociationError::internal)?;
    Ok(if qr_iban {
        banking::QrReference::from_number(n).to_string()
    } else {
        banking::CreditorReference::new(&format!("{currency}{number:09}"))
            .map_err(AssociationError::internal)?
            .to_string()
    })
}

/// A member asks for `amount` of a local currency, paid by `method`.
pub fn request(
    conn: &mut DbConn,
    actor: &Actor,
    code: &str,
    amount: &AmountInput,
    method: Method,
) -> Result<TopUp, AssociationError> {
    authorize(actor, Action::ManageOwnAccount)?;
    let currency = currencies::get(conn, code)?;
    let issuer_id = issuer(&currency)?.to_string();
    let minor = super::minor_of(&currency, "amount", amount)?;
    let legal = currencies::legal(conn)?;
    let legal_minor = currency.to_legal_minor(legal, minor).map_err(|e| match e {
        crate::ledger::LedgerError::Invalid { message, .. } => {
            AssociationError::field("amount.amount", "not_exact", message)
        }
        other => other.into(),
    })?;
    let account = super::bank::of(conn, &issuer_id)?;
    if method == Method::BankTransfer && account.is_none() {
        return Err(AssociationError::Conflict(format!(
            "the association of {} has not given the bank account transfers go to yet: pay \
             in cash at an exchange point, or ask it to add its IBAN",
            currency.code
        )));
    }
    let user_id = actor.user_id.as_str().to_string();
    let row = conn.transaction(|conn| {
        let wallet = ops::wallet(conn, Owner::User(actor.user_id.clone()), &currency.code)?;
        // gapless: the next number under the table's write lock (SQLite's writer, or a row
        // lock on PostgreSQL: concurrent requests queue on the table's last number)
        if let crate::db::AnyConnection::Postgres(c) = conn.diesel() {
            diesel::sql_query("LOCK TABLE topup_requests IN SHARE ROW EXCLUSIVE MODE")
                .execute(c)?;
        }
        let last: Option<i64> = topup_requests::table
            .select(diesel::dsl::max(topup_requests::number))
            .first(conn.diesel())?;
        let number = last.unwrap_or(0) + 1;
        let qr_iban = account.as_ref().is_some_and(|a| a.qr_iban);
        let row = Row {
            id: crate::time::new_id(),
            number,
            user_id: user_id.clone(),
            currency: currency.code.clone(),
            wallet_id: wallet.id.clone(),
            amount_minor: minor,
            legal_minor,
            method: method.as_str().into(),
            reference: reference_for(number, &currency.code, qr_iban)?,
            state: State::Pending.as_str().into(),
            reason: String::new(),
            received_reference: String::new(),
            ledger_entry_id: None,
            created_at: crate::time::now(),
            decided_at: None,
            decided_by: None,
        };
        diesel::insert_into(topup_requests::table)
            .values(&row)
            .execute(conn.diesel())?;
        let topup = one(conn, row.clone())?;
        mail(conn, &topup, &currency, "topup_requested")?;
        Ok::<_, AssociationError>(row)
    })?;
    one(conn, row)
}

/// A treasurer issues `amount` of `code` directly to the member whose address is `email`,
/// against euros received by `method` (`reference`: the bank statement's line, the receipt's
/// number), without a request: the same issuance and receipt as `POST
/// /api/v1/currencies/{code}/issuances`, once per `entry_id` (a retry issues once). The
/// member needs a wallet in the currency (field `email`, `no_wallet`).
#[allow(clippy::too_many_arguments)]
pub fn issue_directly(
    conn: &mut DbConn,
    actor: &Actor,
    who: &Who,
    code: &str,
    entry_id: &str,
    email: &str,
    amount: &AmountInput,
    method: Method,
    reference: &str,
) -> Result<String, AssociationError> {
    let currency = currencies::get(conn, code)?;
    authorize(
        actor,
        Action::RunCurrency {
            issuer_id: issuer(&currency)?,
        },
    )?;
    let reference = reference.trim();
    if reference.is_empty() || reference.chars().count() > 200 {
        return Err(AssociationError::field(
            "reference",
            "length",
            "what you received, in 1 to 200 characters",
        ));
    }
    let email = crate::auth::users::normalise_email(email);
    let user: Option<String> = users::table
        .filter(users::email.eq(&email))
        .select(users::id)
        .first(conn.diesel())
        .optional()?;
    let no_wallet = || {
        AssociationError::field(
            "email",
            "no_wallet",
            format!("no member with this address has a {} wallet", currency.code),
        )
    };
    let user = user.ok_or_else(no_wallet)?;
    let wallet = crate::ledger::accounts::find_by_owner(
        conn,
        &Owner::User(user.as_str().into()),
        &currency.code,
        crate::ledger::accounts::AccountKind::MemberWallet,
        None,
    )?
    .ok_or_else(no_wallet)?;
    let minor = super::minor_of(&currency, "amount", amount)?;
    let committed = conn.transaction(|conn| {
        receipts::issue_with_receipt(
            conn,
            who,
            entry_id,
            &wallet.id,
            &currency,
            minor,
            method.ledger(),
            reference,
        )
    })?;
    Ok(committed.entry().row.id.clone())
}

/// The request `id`, for its member or the currency's treasurers.
pub fn get(conn: &mut DbConn, actor: &Actor, id: &str) -> Result<TopUp, AssociationError> {
    let row = readable(conn, actor, id)?;
    one(conn, row)
}

fn readable(conn: &mut DbConn, actor: &Actor, id: &str) -> Result<Row, AssociationError> {
    let row = find(conn, id)?;
    if row.user_id == actor.user_id.as_str() {
        authorize(actor, Action::ReadOwnAccounts)?;
        return Ok(row);
    }
    let currency = currencies::get(conn, &row.currency)?;
    match authorize(
        actor,
        Action::RunCurrency {
            issuer_id: issuer(&currency)?,
        },
    ) {
        Ok(()) => Ok(row),
        // someone else's request is not theirs to know of
        Err(_) => Err(not_found()),
    }
}

/// How to pay request `id` by bank transfer (for its member or the treasurers).
pub fn transfer(conn: &mut DbConn, actor: &Actor, id: &str) -> Result<Transfer, AssociationError> {
    let row = readable(conn, actor, id)?;
    let topup = one(conn, row)?;
    transfer_of(conn, &topup)
}

fn transfer_of(conn: &mut DbConn, topup: &TopUp) -> Result<Transfer, AssociationError> {
    let currency = currencies::get(conn, &topup.currency)?;
    let issuer_id = issuer(&currency)?.to_string();
    let Some(account) = super::bank::of(conn, &issuer_id)? else {
        return Err(AssociationError::Conflict(format!(
            "the association of {} has no bank account on record: it must add its IBAN first",
            topup.currency
        )));
    };
    let association: (String, String, String, String, String) = enterprises::table
        .find(&issuer_id)
        .select((
            enterprises::name,
            enterprises::address_line,
            enterprises::postcode,
            enterprises::city,
            enterprises::country_code,
        ))
        .first(conn.diesel())?;
    let iban = banking::Iban::parse(&account.iban).map_err(AssociationError::internal)?;
    let deployment =
        crate::deployment::get(conn).map_err(|e| AssociationError::Ledger(e.into()))?;
    let legal = deployment.legal.code.as_str();
    let name: String = association.0.chars().take(70).collect();
    let message = format!("Comptoir {} {}", topup.currency, topup.number);
    let (qr, payload) = match legal {
        "CHF" | "EUR" if matches!(iban.country(), "CH" | "LI") => {
            let creditor = banking::Address {
                name: name.clone(),
                street: Some(association.1.clone()).filter(|s| !s.trim().is_empty()),
                building: None,
                postcode: association.2.clone(),
                town: association.3.clone(),
                country: association.4.clone(),
            };
            let reference = match (
                iban.is_qr_iban(),
                banking::QrReference::parse(&topup.reference),
                banking::CreditorReference::parse(&topup.reference),
            ) {
                (true, Ok(qr), _) => banking::BillReference::Qr(qr),
                (false, _, Ok(rf)) => banking::BillReference::Creditor(rf),
                // the account changed kind since the request: the reference goes in the message
                _ => banking::BillReference::None,
            };
            let message = match reference {
                banking::BillReference::None => format!("{message} {}", topup.reference),
                _ => message,
            };
            let bill = banking::QrBill {
                creditor_iban: &iban,
                creditor: &creditor,
                amount_minor: Some(topup.to_pay.minor),
                currency: legal,
                debtor: None,
                reference,
                message: Some(&message),
            };
            let payload = banking::qr_bill_payload(&bill)
                .map_err(|e| AssociationError::Conflict(format!("the QR-bill: {e}")))?;
            (Some("swiss_qr_bill"), Some(payload))
        }
        "EUR" => {
            let reference = banking::CreditorReference::parse(&topup.reference).ok();
            let text = match reference {
                Some(_) => None,
                None => Some(format!("{message} {}", topup.reference)),
            };
            let epc = banking::EpcTransfer {
                name: &name,
                iban: &iban,
                bic: account.bic.as_deref(),
                amount_minor: topup.to_pay.minor,
                reference: reference.as_ref(),
                text: text.as_deref(),
            };
            let payload = banking::epc_payload(&epc)
                .map_err(|e| AssociationError::Conflict(format!("the EPC QR code: {e}")))?;
            (Some("epc"), Some(payload))
        }
        _ => (None, None),
    };
    Ok(Transfer {
        creditor: association.0,
        iban: account.iban,
        bic: account.bic,
        amount: topup.to_pay,
        reference: topup.reference.clone(),
        qr,
        payload,
    })
}

/// The QR code of request `id`'s transfer, to draw, and the request's number (to name the
/// file).
pub fn code(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
) -> Result<(banking::Code, i64), AssociationError> {
    let row = readable(conn, actor, id)?;
    let topup = one(conn, row)?;
    let transfer = transfer_of(conn, &topup)?;
    match (transfer.qr, transfer.payload) {
        (Some(kind), Some(payload)) => Ok((
            banking::Code {
                payload,
                swiss_cross: kind == "swiss_qr_bill",
            },
            topup.number,
        )),
        _ => Err(AssociationError::Conflict(format!(
            "transfers in {} have no QR code: write the IBAN and the reference by hand",
            transfer.amount.currency
        ))),
    }
}

/// The caller's own requests, newest first.
pub fn mine(
    conn: &mut DbConn,
    actor: &Actor,
    page: &PageParams,
) -> Result<Page<TopUp>, AssociationError> {
    authorize(actor, Action::ReadOwnAccounts)?;
    page.validate()?;
    let mut query = topup_requests::table
        .filter(topup_requests::user_id.eq(actor.user_id.as_str()))
        .order(topup_requests::id.desc())
        .limit(page.fetch_limit())
        .select(Row::as_select())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(topup_requests::id.lt(after.clone()));
    }
    let rows = query.load(conn.diesel())?;
    let page = page.paginate(rows, |r| r.id.clone());
    let items = views(conn, page.items)?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Every request of person `user_id`, oldest first (their data export: the caller checked).
pub fn of_user(conn: &mut DbConn, user_id: &str) -> Result<Vec<TopUp>, AssociationError> {
    let rows = topup_requests::table
        .filter(topup_requests::user_id.eq(user_id))
        .order(topup_requests::number.asc())
        .select(Row::as_select())
        .load(conn.diesel())?;
    views(conn, rows)
}

/// The treasurers' queue of `code`: its requests (in `state`, by `method`), oldest first.
pub fn queue(
    conn: &mut DbConn,
    actor: &Actor,
    code: &str,
    state: Option<State>,
    method: Option<Method>,
    page: &PageParams,
) -> Result<Page<TopUp>, AssociationError> {
    let currency = currencies::get(conn, code)?;
    authorize(
        actor,
        Action::RunCurrency {
            issuer_id: issuer(&currency)?,
        },
    )?;
    page.validate()?;
    let mut query = topup_requests::table
        .filter(topup_requests::currency.eq(&currency.code))
        .order(topup_requests::id.asc())
        .limit(page.fetch_limit())
        .select(Row::as_select())
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(topup_requests::state.eq(state.as_str()));
    }
    if let Some(method) = method {
        query = query.filter(topup_requests::method.eq(method.as_str()));
    }
    if let Some(after) = &page.after {
        query = query.filter(topup_requests::id.gt(after.clone()));
    }
    let rows = query.load(conn.diesel())?;
    let page = page.paginate(rows, |r| r.id.clone());
    let items = views(conn, page.items)?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Locks request `id` and checks it is still pending; `Ok(Err(row))` when it was already
/// decided as `done` (an approval or refusal retried).
fn pending(conn: &mut DbConn, id: &str, done: State) -> Result<Result<Row, Row>, AssociationError> {
    crate::db::lock_row(conn, "topup_requests", id)?;
    let row = find(conn, id)?;
    match State::parse(&row.state) {
        Some(State::Pending) => Ok(Ok(row)),
        Some(state) if state == done => Ok(Err(row)),
        _ => Err(AssociationError::Conflict(format!(
            "top-up request {} is {} already: only a pending request can be decided or \
             cancelled",
            row.number, row.state
        ))),
    }
}

/// The member cancels their pending request.
pub fn cancel(conn: &mut DbConn, actor: &Actor, id: &str) -> Result<TopUp, AssociationError> {
    authorize(actor, Action::ManageOwnAccount)?;
    let row = conn.transaction(|conn| {
        let row = match pending(conn, id, State::Cancelled)? {
            Ok(row) | Err(row) => row,
        };
        if row.user_id != actor.user_id.as_str() {
            return Err(not_found());
        }
        diesel::update(topup_requests::table.find(id))
            .set((
                topup_requests::state.eq(State::Cancelled.as_str()),
                topup_requests::decided_at.eq(Some(crate::time::now())),
                topup_requests::decided_by.eq(Some(actor.user_id.as_str())),
            ))
            .execute(conn.diesel())?;
        find(conn, id)
    })?;
    one(conn, row)
}

/// A treasurer approves request `id`: the local currency is issued to the member's wallet
/// against what was received (`received_reference`: the bank statement's line, a receipt
/// number), once.
pub fn approve(
    conn: &mut DbConn,
    actor: &Actor,
    who: &Who,
    id: &str,
    received_reference: &str,
) -> Result<TopUp, AssociationError> {
    let row = find(conn, id)?;
    let currency = currencies::get(conn, &row.currency)?;
    authorize(
        actor,
        Action::RunCurrency {
            issuer_id: issuer(&currency)?,
        },
    )?;
    let received = received_reference.trim();
    if received.chars().count() > 200 {
        return Err(AssociationError::field(
            "received_reference",
            "too_long",
            "at most 200 characters",
        ));
    }
    let row = conn.transaction(|conn| {
        let row = match pending(conn, id, State::Approved)? {
            Ok(row) => row,
            Err(done) => return Ok(done),
        };
        let method = Method::parse(&row.method)
            .ok_or_else(|| AssociationError::internal(format!("method {}", row.method)))?;
        let reference = if received.is_empty() {
            row.reference.clone()
        } else {
            format!("{} ({received})", row.reference)
        };
        let committed = receipts::issue_with_receipt(
            conn,
            who,
            &row.id,
            &row.wallet_id,
            &currency,
            row.amount_minor,
            method.ledger(),
            &reference,
        )?;
        let entry_id = committed.entry().row.id.clone();
        diesel::update(topup_requests::table.find(id))
            .set((
                topup_requests::state.eq(State::Approved.as_str()),
                topup_requests::received_reference.eq(received),
                topup_requests::ledger_entry_id.eq(Some(&entry_id)),
                topup_requests::decided_at.eq(Some(crate::time::now())),
                topup_requests::decided_by.eq(Some(actor.user_id.as_str())),
            ))
            .execute(conn.diesel())?;
        find(conn, id)
    })?;
    one(conn, row)
}

/// A treasurer refuses request `id`, saying why (mailed to the member).
pub fn refuse(
    conn: &mut DbConn,
    actor: &Actor,
    who: &Who,
    id: &str,
    reason: &str,
) -> Result<TopUp, AssociationError> {
    let row = find(conn, id)?;
    let currency = currencies::get(conn, &row.currency)?;
    let issuer_id = issuer(&currency)?.to_string();
    authorize(
        actor,
        Action::RunCurrency {
            issuer_id: &issuer_id,
        },
    )?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AssociationError::field(
            "reason",
            "length",
            "say why, in 1 to 500 characters: the member reads it",
        ));
    }
    let row = conn.transaction(|conn| {
        let row = match pending(conn, id, State::Refused)? {
            Ok(row) => row,
            Err(done) => return Ok(done),
        };
        diesel::update(topup_requests::table.find(id))
            .set((
                topup_requests::state.eq(State::Refused.as_str()),
                topup_requests::reason.eq(reason),
                topup_requests::decided_at.eq(Some(crate::time::now())),
                topup_requests::decided_by.eq(Some(actor.user_id.as_str())),
            ))
            .execute(conn.diesel())?;
        crate::audit::record(
            conn,
            who,
            Act {
                action: "topup.refuse",
                subject_kind: "topup_request",
                subject_id: id,
                enterprise_id: Some(&issuer_id),
                ledger_entry_id: None,
                details: json!({"number": row.number, "reason": reason}),
            },
        )?;
        let refused = find(conn, id)?;
        let topup = one(conn, refused.clone())?;
        mail(conn, &topup, &currency, "topup_refused")?;
        Ok::<_, AssociationError>(refused)
    })?;
    one(conn, row)
}

/// Mails `template` about `topup` to its member (in their language).
fn mail(
    conn: &mut DbConn,
    topup: &TopUp,
    currency: &CurrencyRow,
    template: &str,
) -> Result<(), AssociationError> {
    let member: Option<(String, String, String)> = users::table
        .find(&topup.user_id)
        .select((users::email, users::locale, users::display_name))
        .first(conn.diesel())
        .optional()?;
    let Some((email, locale, name)) = member else {
        return Ok(());
    };
    let association: String = enterprises::table
        .find(issuer(currency)?)
        .select(enterprises::name)
        .first(conn.diesel())?;
    let transfer = match topup.method {
        Method::BankTransfer => Some(transfer_of(conn, topup)?),
        Method::Cash => None,
    };
    let values = json!({
        "display_name": name,
        "association_name": association,
        "number": topup.number,
        "amount": topup.amount,
        "to_pay": topup.to_pay,
        "method": topup.method.as_str(),
        "reference": topup.reference,
        "iban": transfer.as_ref().map(|t| t.iban.clone()).unwrap_or_default(),
        "bic": transfer.as_ref().and_then(|t| t.bic.clone()).unwrap_or_default(),
        "creditor": transfer.as_ref().map(|t| t.creditor.clone()).unwrap_or_default(),
        "reason": topup.reason,
        "request_id": topup.id,
    });
    crate::mail::outbox::enqueue(conn, &email, template, &locale, &values)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_made_from_the_number_and_carry_their_check_digits() {
        let qr = reference_for(42, "LEM", true).expect("QR");
        assert_eq!(qr.len(), 27);
        assert!(banking::QrReference::parse(&qr).is_ok());
        let rf = reference_for(42, "LEM", false).expect("RF");
        assert!(rf.starts_with("RF") && rf.ends_with("LEM000000042"), "{rf}");
        assert!(banking::CreditorReference::parse(&rf).is_ok());
        assert_ne!(reference_for(43, "LEM", false).expect("RF"), rf);
    }

    #[test]
    fn methods_and_states_read_back_what_they_write() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(*m));
        }
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Method::parse("card"), None);
    }
}
