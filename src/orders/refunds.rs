//! Euros owed back to a customer, and the customer's credit with a hub (as Open Food
//! Network's hubs keep it).
//!
//! An order the hub was paid for in euros can come to owe the customer money back: it was
//! cancelled (by the customer while the cycle was open, by the hub until its settlement), or
//! weighed down, or a line was missing, after the payment was recorded. What is owed is
//! [`OrderRow::owed_back`]: all the hub holds for a cancelled order, what it holds beyond
//! the euro part for any other. The hub gives it back one of two ways, by its owners,
//! managers or cashiers ([`crate::auth::policy::Action::RecordRefund`]):
//!
//! - a **refund** (method — bank transfer, cash, cheque, card, other — and a reference): the
//!   euros leave the hub's bank or till. Ledger: the hub's *euro receivable* to its *euro
//!   clearing*. Hub's books: 411 customer / 512 bank.
//! - **customer credit** with that hub: the customer pays part of a later order with it,
//!   as a third way to pay beside the local currency and euros. Ledger: the receivable to
//!   the hub's *customer credit* account (one per hub; the per-customer detail is
//!   `customer_credits`, whose sum `ledger verify` checks against it). Hub's books: 411 / 419
//!   (customers' credit). Using it at checkout is a receipt of the order paid from the
//!   credit: 419 / 411.
//!
//! Each is one transaction, under the order's row lock, and never gives back more than is
//! owed. The customer credit used by an order that is then cancelled goes back to credit at
//! once ([`return_credit`]); euros paid go back only when the hub says how.

use diesel::prelude::*;
use serde::Serialize;

use super::order::{self, Order, OrderRow};
use crate::db::schema::{customer_credits, enterprises, order_receipts, order_refunds, orders};
use crate::db::DbConn;
use crate::ids::{EntryId, OrderId, UserId};
use crate::ledger::accounts::{self, AccountKind, AccountRow, NewAccount, Owner};
use crate::ledger::currencies;
use crate::ledger::journal::{self, EntryRequest};
use crate::ledger::rules::posted;
use crate::money::{parse_amount, Money, Sign};
use crate::orders::OrderError;

/// How euros were refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundMethod {
    BankTransfer,
    Cash,
    Cheque,
    Card,
    Other,
}

impl RefundMethod {
    pub const ALL: &'static [RefundMethod] = &[
        RefundMethod::BankTransfer,
        RefundMethod::Cash,
        RefundMethod::Cheque,
        RefundMethod::Card,
        RefundMethod::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundMethod::BankTransfer => "bank_transfer",
            RefundMethod::Cash => "cash",
            RefundMethod::Cheque => "cheque",
            RefundMethod::Card => "card",
            RefundMethod::Other => "other",
        }
    }
}

/// A refund the hub records.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// In the legal currency (`"4.20"`); absent: all that is owed back.
    pub amount: Option<String>,
    pub method: RefundMethod,
    /// The transfer's reference, the receipt's number… (up to 140 characters).
    pub reference: String,
}

/// Whether the euros go back as money or as credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GiveBack {
    Refund(RefundMethod),
    Credit,
}

/// Refunds euros owed back on an order (see the module documentation).
pub fn refund(
    conn: &mut DbConn,
    order_id: &OrderId,
    request: &RefundRequest,
    by: &UserId,
) -> Result<Order, OrderError> {
    let reference = request.reference.trim();
    if reference.chars().count() > 140 {
        return Err(OrderError::field(
            "reference",
            "too_long",
            "must be at most 140 characters",
        ));
    }
    conn.transaction(|conn| {
        give_back(
            conn,
            order_id,
            request.amount.as_deref(),
            GiveBack::Refund(request.method),
            reference,
            Some(by),
        )
    })
}

/// Turns euros owed back on an order into the customer's credit with the hub.
pub fn credit(
    conn: &mut DbConn,
    order_id: &OrderId,
    amount: Option<&str>,
    by: &UserId,
) -> Result<Order, OrderError> {
    conn.transaction(|conn| give_back(conn, order_id, amount, GiveBack::Credit, "", Some(by)))
}

/// Gives back to credit the customer credit an order used, when it is cancelled (inside
/// the cancellation's transaction, the order locked); returns the row as it now is.
pub(super) fn return_credit(conn: &mut DbConn, row: OrderRow) -> Result<OrderRow, OrderError> {
    let amount = row.credit_used_minor.min(row.owed_back());
    if amount <= 0 {
        return Ok(row);
    }
    book(conn, row, amount, GiveBack::Credit, "", None)
}

fn give_back(
    conn: &mut DbConn,
    order_id: &OrderId,
    amount: Option<&str>,
    how: GiveBack,
    reference: &str,
    by: Option<&UserId>,
) -> Result<Order, OrderError> {
    let row = order::lock(conn, order_id)?;
    let owed = row.owed_back();
    let number = row.number.clone().unwrap_or_else(|| row.id.clone());
    if owed <= 0 {
        return Err(OrderError::OrderState(format!(
            "order {number} owes the customer nothing back (received {}, given back {}, euro \
             part {})",
            row.euro_received_minor, row.euro_refunded_minor, row.euro_minor
        )));
    }
    let legal = currencies::legal(conn)?;
    let minor = match amount {
        None => owed,
        Some(text) => {
            let minor = parse_amount(text, legal.scale, Sign::Positive)
                .map_err(|e| OrderError::field("amount", e.code(), e.to_string()))?;
            if minor > owed {
                return Err(OrderError::field(
                    "amount",
                    "above_owed",
                    format!(
                        "at most {} {} is owed back on order {number}",
                        legal.money(owed).amount_string(),
                        legal.code
                    ),
                ));
            }
            minor
        }
    };
    let row = book(conn, row, minor, how, reference, by)?;
    order::view(conn, row)
}

/// The ledger entry, its record, the customer's credit and the order's totals.
fn book(
    conn: &mut DbConn,
    row: OrderRow,
    minor: i64,
    how: GiveBack,
    reference: &str,
    by: Option<&UserId>,
) -> Result<OrderRow, OrderError> {
    let number = row.number.clone().unwrap_or_default();
    let receivable = super::close::receivable(conn, &row.hub_id)?;
    let (to, kind, method, description) = match how {
        GiveBack::Refund(method) => (
            super::close::euro_clearing(conn, &row.hub_id)?,
            "refund",
            Some(method.as_str()),
            format!("refund of order {number}"),
        ),
        GiveBack::Credit => (
            credit_account(conn, &row.hub_id)?,
            "credit",
            None,
            format!("order {number}: customer credit with the hub"),
        ),
    };
    let entry_id = EntryId::generate();
    crate::ledger::group::commit(
        conn,
        &EntryRequest {
            audit: None,
            id: entry_id.to_string(),
            code: kind.into(),
            reference: format!("order {number}"),
            description,
            request_hash: journal::request_hash(&[kind, &row.id, &minor.to_string()]),
            reverses_entry_id: None,
            transfers: vec![posted(&receivable, &to, receivable.amount(minor)?)],
        },
    )?;
    let now = crate::time::now();
    diesel::insert_into(order_refunds::table)
        .values((
            order_refunds::entry_id.eq(entry_id.as_str()),
            order_refunds::order_id.eq(&row.id),
            order_refunds::hub_id.eq(&row.hub_id),
            order_refunds::customer_id.eq(&row.customer_id),
            order_refunds::kind.eq(kind),
            order_refunds::amount_minor.eq(minor),
            order_refunds::method.eq(method),
            order_refunds::reference.eq(reference),
            order_refunds::recorded_by.eq(by.map(|u| u.as_str())),
            order_refunds::created_at.eq(now),
        ))
        .execute(conn.diesel())?;
    if how == GiveBack::Credit {
        add_credit(conn, &row.hub_id, &row.customer_id, minor)?;
    }
    let mut updated = OrderRow {
        euro_refunded_minor: row.euro_refunded_minor + minor,
        updated_at: now,
        ..row
    };
    if updated.state()? != super::order::OrderState::Cancelled {
        updated.euro_state = updated.euro_state_due().as_str().into();
    }
    diesel::update(orders::table.find(&updated.id))
        .set(&updated)
        .execute(conn.diesel())?;
    Ok(updated)
}

/// The hub's account of what it owes its customers as credit (legal currency, never below
/// zero).
pub fn credit_account(conn: &mut DbConn, hub_id: &str) -> Result<AccountRow, OrderError> {
    let legal = currencies::legal(conn)?.code;
    Ok(accounts::open(
        conn,
        NewAccount {
            owner: Owner::Enterprise(hub_id.into()),
            currency: legal.to_string(),
            kind: AccountKind::CustomerCredit,
            name: "customers' credit".into(),
            overdraft_limit: Some(0),
            for_currency: None,
        },
    )?)
}

fn add_credit(
    conn: &mut DbConn,
    hub_id: &str,
    user_id: &str,
    minor: i64,
) -> Result<(), OrderError> {
    let now = crate::time::now();
    let updated = diesel::update(
        customer_credits::table
            .filter(customer_credits::hub_id.eq(hub_id))
            .filter(customer_credits::user_id.eq(user_id)),
    )
    .set((
        customer_credits::balance_minor.eq(customer_credits::balance_minor + minor),
        customer_credits::updated_at.eq(now),
    ))
    .execute(conn.diesel())?;
    if updated == 0 {
        diesel::insert_into(customer_credits::table)
            .values((
                customer_credits::hub_id.eq(hub_id),
                customer_credits::user_id.eq(user_id),
                customer_credits::balance_minor.eq(minor),
                customer_credits::updated_at.eq(now),
            ))
            .execute(conn.diesel())?;
    }
    Ok(())
}

/// Pays `minor` of a just confirmed order's euro part from the customer's credit with its
/// hub (inside the checkout's transaction, after the order row is written): the credit is
/// taken with a conditional update (never below zero, whatever runs at the same time), the
/// ledger moves the hub's credit account to its receivable, and the receipt is recorded.
pub(super) fn use_credit(conn: &mut DbConn, row: &OrderRow, minor: i64) -> Result<(), OrderError> {
    if minor <= 0 {
        return Ok(());
    }
    let now = crate::time::now();
    let taken = diesel::update(
        customer_credits::table
            .filter(customer_credits::hub_id.eq(&row.hub_id))
            .filter(customer_credits::user_id.eq(&row.customer_id))
            .filter(customer_credits::balance_minor.ge(minor)),
    )
    .set((
        customer_credits::balance_minor.eq(customer_credits::balance_minor - minor),
        customer_credits::updated_at.eq(now),
    ))
    .execute(conn.diesel())?;
    if taken == 0 {
        let legal = currencies::legal(conn)?;
        let have = balance(conn, &row.hub_id, &row.customer_id)?;
        return Err(OrderError::field(
            "credit_amount",
            "above_credit",
            format!(
                "your credit with this hub is {} {}",
                legal.money(have).amount_string(),
                legal.code
            ),
        ));
    }
    let number = row.number.clone().unwrap_or_default();
    let from = credit_account(conn, &row.hub_id)?;
    let receivable = super::close::receivable(conn, &row.hub_id)?;
    let entry_id = journal::derived_id(&format!("order:credit-used:{}", row.id));
    crate::ledger::group::commit(
        conn,
        &EntryRequest {
            audit: None,
            id: entry_id.clone(),
            code: "receipt".into(),
            reference: format!("order {number}"),
            description: format!("order {number} paid with customer credit"),
            request_hash: journal::request_hash(&["credit-used", &row.id, &minor.to_string()]),
            reverses_entry_id: None,
            transfers: vec![posted(&from, &receivable, from.amount(minor)?)],
        },
    )?;
    crate::db::execute(
        conn.diesel(),
        diesel::insert_into(order_receipts::table).values((
            order_receipts::entry_id.eq(&entry_id),
            order_receipts::order_id.eq(&row.id),
            order_receipts::hub_id.eq(&row.hub_id),
            order_receipts::amount_minor.eq(minor),
            order_receipts::received_at.eq(now),
            order_receipts::method.eq("credit"),
        )),
    )?;
    Ok(())
}

/// A customer's credit with a hub, in minor units of the legal currency.
pub fn balance(conn: &mut DbConn, hub_id: &str, user_id: &str) -> Result<i64, OrderError> {
    Ok(customer_credits::table
        .find((hub_id, user_id))
        .select(customer_credits::balance_minor)
        .first::<i64>(conn.diesel())
        .optional()?
        .unwrap_or(0))
}

/// Someone's credit with one hub.
#[derive(Debug, Clone, Serialize)]
pub struct Credit {
    pub hub_id: String,
    pub hub_name: String,
    pub user_id: String,
    pub amount: Money,
}

/// A person's credits (hubs where it is not zero), by hub name.
pub fn of_customer(conn: &mut DbConn, user_id: &str) -> Result<Vec<Credit>, OrderError> {
    let rows: Vec<(String, String, i64)> = customer_credits::table
        .inner_join(enterprises::table.on(enterprises::id.eq(customer_credits::hub_id)))
        .filter(customer_credits::user_id.eq(user_id))
        .filter(customer_credits::balance_minor.gt(0))
        .select((
            customer_credits::hub_id,
            enterprises::name,
            customer_credits::balance_minor,
        ))
        .load(conn.diesel())?;
    let legal = currencies::legal(conn)?;
    let mut credits: Vec<Credit> = rows
        .into_iter()
        .map(|(hub_id, hub_name, minor)| Credit {
            hub_id,
            hub_name,
            user_id: user_id.to_string(),
            amount: legal.money(minor),
        })
        .collect();
    credits.sort_by(|a, b| (&a.hub_name, &a.hub_id).cmp(&(&b.hub_name, &b.hub_id)));
    Ok(credits)
}

/// A hub's customers with credit, largest first (at most 500).
pub fn of_hub(conn: &mut DbConn, hub_id: &str) -> Result<Vec<Credit>, OrderError> {
    let rows: Vec<(String, i64)> = customer_credits::table
        .filter(customer_credits::hub_id.eq(hub_id))
        .filter(customer_credits::balance_minor.gt(0))
        .order((
            customer_credits::balance_minor.desc(),
            customer_credits::user_id.asc(),
        ))
        .limit(500)
        .select((customer_credits::user_id, customer_credits::balance_minor))
        .load(conn.diesel())?;
    let name: String = enterprises::table
        .find(hub_id)
        .select(enterprises::name)
        .first(conn.diesel())
        .optional()?
        .ok_or_else(|| OrderError::NotFound(format!("no enterprise `{hub_id}`")))?;
    let legal = currencies::legal(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, minor)| Credit {
            hub_id: hub_id.to_string(),
            hub_name: name.clone(),
            user_id,
            amount: legal.money(minor),
        })
        .collect())
}
