//! An account's history, read the same way by the API and the pages: its transfers oldest
//! first, a page at a time after a cursor (the last transfer's id) and within an optional
//! date range ([`transfers`]), or newest first ([`transfers_newest_first`]); the same lines as CSV, streamed in chunks of
//! [`CSV_CHUNK`] so the memory used does not grow with the history ([`csv_stream`]); and the
//! holds still open on an account — money set aside for an order ([`open_holds`]).
//!
//! Who may read an account is the caller's to ask first (`Action::ReadAccount`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::currencies;
use super::journal::TransferRow;
use super::LedgerError;
use crate::db::schema::{ledger_entries, ledger_transfers};
use crate::db::{Db, DbConn};
use crate::money::{CurrencyCode, Money};

/// `from` (inclusive) and `to` (exclusive), in UTC.
#[derive(Debug, Clone, Default)]
pub struct Range {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// A transfer of the account with its entry's code, reference and description.
pub type Row = (TransferRow, String, String, String);

/// At most `limit` transfers of `account_id` after the transfer `after`, oldest first.
pub fn transfers(
    conn: &mut DbConn,
    account_id: &str,
    range: &Range,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Row>, LedgerError> {
    let mut query = ledger_transfers::table
        .inner_join(ledger_entries::table)
        .filter(
            ledger_transfers::debit_account_id
                .eq(account_id)
                .or(ledger_transfers::credit_account_id.eq(account_id)),
        )
        .select((
            TransferRow::as_select(),
            ledger_entries::code,
            ledger_entries::reference,
            ledger_entries::description,
        ))
        .order(ledger_transfers::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(from) = range.from {
        query = query.filter(ledger_transfers::created_at.ge(from));
    }
    if let Some(to) = range.to {
        query = query.filter(ledger_transfers::created_at.lt(to));
    }
    if let Some(after) = after {
        query = query.filter(ledger_transfers::id.gt(after.to_string()));
    }
    Ok(query.load(conn.diesel())?)
}

/// At most `limit` transfers of `account_id` older than the transfer `before`, newest first
/// (a wallet's page: the latest first, then older ones after the last one shown).
pub fn transfers_newest_first(
    conn: &mut DbConn,
    account_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Row>, LedgerError> {
    let mut query = ledger_transfers::table
        .inner_join(ledger_entries::table)
        .filter(
            ledger_transfers::debit_account_id
                .eq(account_id)
                .or(ledger_transfers::credit_account_id.eq(account_id)),
        )
        .select((
            TransferRow::as_select(),
            ledger_entries::code,
            ledger_entries::reference,
            ledger_entries::description,
        ))
        .order(ledger_transfers::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(ledger_transfers::id.lt(before.to_string()));
    }
    Ok(query.load(conn.diesel())?)
}

/// The holds still open on `account_id` (pending debits neither posted nor voided, nor past
/// their expiry), oldest first, each with its entry's reference (`order 12`).
pub fn open_holds(
    conn: &mut DbConn,
    account_id: &str,
) -> Result<Vec<(TransferRow, String)>, LedgerError> {
    let now = crate::time::now();
    let holds: Vec<(TransferRow, String)> = ledger_transfers::table
        .inner_join(ledger_entries::table)
        .filter(ledger_transfers::debit_account_id.eq(account_id))
        .filter(ledger_transfers::kind.eq("pending"))
        .filter(
            ledger_transfers::expires_at
                .is_null()
                .or(ledger_transfers::expires_at.gt(now)),
        )
        .select((TransferRow::as_select(), ledger_entries::reference))
        .order(ledger_transfers::id.asc())
        .load(conn.diesel())?;
    if holds.is_empty() {
        return Ok(holds);
    }
    let ids: Vec<String> = holds.iter().map(|(t, _)| t.id.clone()).collect();
    let resolved: Vec<Option<String>> = ledger_transfers::table
        .filter(ledger_transfers::pending_id.eq_any(&ids))
        .select(ledger_transfers::pending_id)
        .load(conn.diesel())?;
    Ok(holds
        .into_iter()
        .filter(|(t, _)| !resolved.iter().flatten().any(|r| *r == t.id))
        .collect())
}

/// Each currency's minor-unit scale (decimals), by code.
pub fn scales(conn: &mut DbConn) -> Result<HashMap<String, u32>, LedgerError> {
    Ok(currencies::list(conn)?
        .into_iter()
        .map(|c| (c.code, crate::money::minor_scale(c.scale)))
        .collect())
}

/// `minor` units of `currency` (a stored code) with its decimals.
pub fn money(scales: &HashMap<String, u32>, minor: i64, currency: &str) -> Money {
    let code = currency.parse().unwrap_or(CurrencyCode::EUR);
    Money::new(minor, code, scales.get(currency).copied().unwrap_or(2))
}

/// The CSV's first line.
pub const CSV_HEADER: &str = "created_at,entry_id,entry_code,reference,transfer_id,direction,kind,amount,currency,counterpart_account_id,description\n";
/// Transfers read at a time for the CSV.
pub const CSV_CHUNK: i64 = 1000;

/// `rows` of `account_id` as CSV lines (no header).
pub fn csv_lines(
    scales: &HashMap<String, u32>,
    account_id: &str,
    rows: Vec<Row>,
) -> Result<String, LedgerError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for (t, code, reference, description) in rows {
        let incoming = t.credit_account_id == account_id;
        let counterpart = if incoming {
            &t.debit_account_id
        } else {
            &t.credit_account_id
        };
        let amount = money(scales, t.amount, &t.currency);
        writer
            .write_record([
                crate::time::utc(t.created_at)
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                    .as_str(),
                &t.entry_id,
                &code,
                &reference,
                &t.id,
                if incoming { "in" } else { "out" },
                &t.kind,
                &amount.amount_string(),
                amount.currency.as_str(),
                counterpart,
                &description,
            ])
            .map_err(|e| LedgerError::Invariant(format!("the CSV: {e}")))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| LedgerError::Invariant(format!("the CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| LedgerError::Invariant(format!("the CSV: {e}")))
}

/// The whole history of `account_id` within `range` as CSV (header first), read
/// [`CSV_CHUNK`] transfers at a time as the stream is consumed.
pub fn csv_stream(
    db: Db,
    account_id: String,
    range: Range,
) -> impl futures_util::Stream<Item = Result<String, LedgerError>> {
    // state: Some(None) = nothing sent yet; Some(Some(cursor)) = the next chunk after
    // cursor; None = done
    futures_util::stream::unfold(Some(None::<String>), move |cursor| {
        let (db, id, range) = (db.clone(), account_id.clone(), range.clone());
        async move {
            let after = cursor?;
            let first = after.is_none();
            let chunk = db
                .run(move |conn| {
                    let rows = transfers(conn, &id, &range, after.as_deref(), CSV_CHUNK)?;
                    let last = rows.last().map(|r| r.0.id.clone());
                    let full = rows.len() as i64 == CSV_CHUNK;
                    let text = csv_lines(&scales(conn)?, &id, rows)?;
                    Ok::<_, LedgerError>((text, if full { last } else { None }))
                })
                .await;
            match chunk {
                Ok((mut text, next)) => {
                    if first {
                        text.insert_str(0, CSV_HEADER);
                    }
                    Some((Ok(text), next.map(Some)))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    })
}

/// A payout of euros owed for reconversions, found by [`recent_payouts`].
#[derive(Debug, Clone)]
pub struct Payout {
    pub entry_id: String,
    pub created_at: NaiveDateTime,
    /// The payout's reference (a bank transfer's, say).
    pub reference: String,
    /// Minor units of `currency` (the legal currency).
    pub amount: i64,
    pub currency: String,
    /// The enterprise paid, by name (the payable's name when the enterprise is gone).
    pub enterprise_name: String,
}

/// The latest `limit` payouts of euros owed for reconversions of the local currency
/// `currency` (entries `reconversion_paid` out of a payable serving it), newest first — in
/// two queries. For the currency's treasurers (the caller authorizes).
pub fn recent_payouts(
    conn: &mut DbConn,
    currency: &str,
    limit: i64,
) -> Result<Vec<Payout>, LedgerError> {
    use super::accounts::AccountKind;
    use crate::db::schema::{enterprises, ledger_accounts};
    let payables = ledger_accounts::table
        .filter(ledger_accounts::kind.eq(AccountKind::EuroPayable.as_str()))
        .filter(ledger_accounts::for_currency.eq(currency))
        .select(ledger_accounts::id);
    let rows: Vec<(String, NaiveDateTime, String, i64, String, String)> = ledger_transfers::table
        .inner_join(ledger_entries::table)
        .filter(ledger_entries::code.eq("reconversion_paid"))
        .filter(ledger_transfers::debit_account_id.eq_any(payables))
        .select((
            ledger_entries::id,
            ledger_entries::created_at,
            ledger_entries::reference,
            ledger_transfers::amount,
            ledger_transfers::currency,
            ledger_transfers::debit_account_id,
        ))
        .order(ledger_entries::seq.desc())
        .limit(limit.max(0))
        .load(conn.diesel())?;
    let ids: Vec<String> = rows.iter().map(|r| r.5.clone()).collect();
    let names: HashMap<String, String> = ledger_accounts::table
        .left_join(enterprises::table.on(ledger_accounts::owner_id.eq(enterprises::id.nullable())))
        .filter(ledger_accounts::id.eq_any(ids))
        .select((
            ledger_accounts::id,
            ledger_accounts::name,
            enterprises::name.nullable(),
        ))
        .load::<(String, String, Option<String>)>(conn.diesel())?
        .into_iter()
        .map(|(id, account, enterprise)| (id, enterprise.unwrap_or(account)))
        .collect();
    Ok(rows
        .into_iter()
        .map(
            |(entry_id, created_at, reference, amount, currency, payable)| Payout {
                enterprise_name: names.get(&payable).cloned().unwrap_or_default(),
                entry_id,
                created_at,
                reference,
                amount,
                currency,
            },
        )
        .collect())
}
