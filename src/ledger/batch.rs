//! Operations in batches: many payments or issuances committed in one write transaction
//! (see [`journal::commit_batch`]), each with its own result.
//!
//! A batch pays the fixed price of a commit — the locks, the round trips, the durable write —
//! once for all its entries, which is what bulk work needs (a cycle close posting every
//! order's hold, a treasurer's file of top-ups) and how the ledger keeps up with its disk
//! (BENCHMARKS.md). The single operations of [`super::ops`] are batches of one, so both paths
//! run the same checks.
//!
//! What each entry is checked against is read for the whole batch at once: the accounts with
//! their currency's flow rule (one query on PostgreSQL), the association's accounts once per
//! currency. A request refused before or by the journal still gets its original entry back
//! when the same request was committed before (see [`super::ops`] on idempotency).

use std::collections::HashMap;

use diesel::prelude::*;

use super::accounts::{self, AccountRow};
use super::currencies;
use super::group;
use super::journal::{self, BatchResults, EntryRequest, Slot};
use super::rules::{self, AssociationAccounts, EuroMethod};
use super::LedgerError;
use crate::db::schema::{currencies as currencies_table, ledger_accounts};
use crate::db::DbConn;

/// A payment from a wallet to another wallet or an enterprise account, in one currency.
#[derive(Debug, Clone)]
pub struct Payment {
    pub entry_id: String,
    pub from: String,
    pub to: String,
    pub amount: i64,
    pub reference: String,
}

/// Local currency issued to a wallet against euros received.
#[derive(Debug, Clone)]
pub struct Issuance {
    /// Who issues (the audit trail records it with the entry).
    pub by: crate::audit::Who,
    pub entry_id: String,
    pub wallet: String,
    pub amount: i64,
    pub method: EuroMethod,
    pub reference: String,
}

/// An operation made ready for the journal, or the reason it could not be.
pub(super) struct Planned {
    pub entry_id: String,
    pub request_hash: String,
    pub request: Result<EntryRequest, LedgerError>,
}

/// Commits what could be planned in one batch. A request refused in planning keeps its
/// place: an identical request committed before it (in the database or earlier in the
/// batch) still gets its original back, as it would one by one.
pub(super) fn commit_planned(
    conn: &mut DbConn,
    planned: Vec<Planned>,
) -> Result<BatchResults, LedgerError> {
    let slots: Vec<Slot> = planned
        .iter()
        .map(|p| match &p.request {
            Ok(request) => Slot::Request(request),
            Err(_) => Slot::Refused {
                id: &p.entry_id,
                request_hash: &p.request_hash,
            },
        })
        .collect();
    let answers = group::commit_slots(conn, &slots)?;
    Ok(planned
        .into_iter()
        .zip(answers)
        .map(|(plan, answer)| match (answer, plan.request) {
            (Some(result), _) => result,
            (None, Err(refusal)) => Err(refusal),
            (None, Ok(_)) => Err(LedgerError::Invariant(
                "the journal left a request unanswered".into(),
            )),
        })
        .collect())
}

/// The accounts named, each with whether its currency lets individuals pay each other;
/// unknown ids are left out. One query on PostgreSQL (each round trip counts); on SQLite
/// cached look-ups, cheaper there than one statement with an `IN` list, which SQLite
/// prepares anew each time (measured −15 % on single payments).
pub(super) fn parties(
    conn: &mut DbConn,
    ids: &[&str],
) -> Result<HashMap<String, (AccountRow, bool)>, LedgerError> {
    let mut found = HashMap::new();
    if conn.backend() == crate::db::Backend::Sqlite {
        let mut flags: HashMap<String, bool> = HashMap::new();
        for id in ids {
            if found.contains_key(*id) {
                continue;
            }
            let account = match accounts::get(conn, id) {
                Ok(account) => account,
                Err(LedgerError::AccountNotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let allow = match flags.get(&account.currency) {
                Some(allow) => *allow,
                None => {
                    let allow = currencies::get(conn, &account.currency)?.allow_member_to_member;
                    flags.insert(account.currency.clone(), allow);
                    allow
                }
            };
            found.insert(account.id.clone(), (account, allow));
        }
        return Ok(found);
    }
    let rows: Vec<(AccountRow, bool)> = ledger_accounts::table
        .inner_join(
            currencies_table::table.on(currencies_table::code.eq(ledger_accounts::currency)),
        )
        .filter(ledger_accounts::id.eq_any(ids))
        .select((
            AccountRow::as_select(),
            currencies_table::allow_member_to_member,
        ))
        .load(conn.diesel())?;
    for (account, allow) in rows {
        found.insert(account.id.clone(), (account, allow));
    }
    Ok(found)
}

pub(super) fn party<'a>(
    parties: &'a HashMap<String, (AccountRow, bool)>,
    id: &str,
) -> Result<&'a (AccountRow, bool), LedgerError> {
    parties
        .get(id)
        .ok_or_else(|| LedgerError::AccountNotFound(id.to_string()))
}

/// The request hash of a payment (what makes a replay identical).
fn payment_hash(p: &Payment) -> String {
    journal::request_hash(&["pay", &p.from, &p.to, &p.amount.to_string(), &p.reference])
}

/// Pays each payment, in order, in one write transaction.
pub fn pay_many(conn: &mut DbConn, payments: &[Payment]) -> Result<BatchResults, LedgerError> {
    let ids: Vec<&str> = payments
        .iter()
        .flat_map(|p| [p.from.as_str(), p.to.as_str()])
        .collect();
    let parties = parties(conn, &ids)?;
    let planned = payments
        .iter()
        .map(|p| {
            let request_hash = payment_hash(p);
            let request = (|| {
                let (from, allow_member_to_member) = party(&parties, &p.from)?;
                let (to, _) = party(&parties, &p.to)?;
                rules::check_flow(from, to, *allow_member_to_member)?;
                Ok(EntryRequest {
                    audit: None,
                    id: p.entry_id.clone(),
                    code: "pay".into(),
                    reference: p.reference.clone(),
                    description: format!("payment in {}", from.currency),
                    request_hash: request_hash.clone(),
                    reverses_entry_id: None,
                    transfers: vec![rules::posted(from, to, from.amount(p.amount)?)],
                })
            })();
            Planned {
                entry_id: p.entry_id.clone(),
                request_hash,
                request,
            }
        })
        .collect();
    commit_planned(conn, planned)
}

/// Issues each issuance, in order, in one write transaction.
pub fn issue_many(conn: &mut DbConn, issuances: &[Issuance]) -> Result<BatchResults, LedgerError> {
    let ids: Vec<&str> = issuances.iter().map(|i| i.wallet.as_str()).collect();
    let wallets = parties(conn, &ids)?;
    let legal = currencies::legal(conn)?;
    // the currency and its association's accounts, read once per currency
    let mut systems: HashMap<String, (currencies::CurrencyRow, AssociationAccounts)> =
        HashMap::new();
    let mut planned = Vec::with_capacity(issuances.len());
    for i in issuances {
        let request_hash = journal::request_hash(&[
            "issue",
            &i.wallet,
            &i.amount.to_string(),
            i.method.as_str(),
            &i.reference,
        ]);
        let request = (|| {
            let (wallet, _) = party(&wallets, &i.wallet)?;
            rules::require_wallet(wallet, "wallet_id")?;
            if !systems.contains_key(&wallet.currency) {
                let currency = rules::local_currency(conn, &wallet.currency)?;
                let accounts = rules::association_accounts(conn, &currency)?;
                systems.insert(wallet.currency.clone(), (currency, accounts));
            }
            let (currency, system) = systems
                .get(&wallet.currency)
                .ok_or_else(|| LedgerError::Invariant("a currency just read is missing".into()))?;
            let issued = currency.amount(i.amount)?;
            let euros = currency.to_legal(legal, issued)?;
            Ok(EntryRequest {
                audit: Some(Box::new(crate::audit::Draft {
                    who: i.by.clone(),
                    action: "ledger.issue".into(),
                    subject_kind: "account".into(),
                    subject_id: wallet.id.clone(),
                    enterprise_id: currency.issuer_id.clone(),
                    details: serde_json::json!({
                        "amount": issued.with_scale(currency.scale),
                        "method": i.method.as_str(),
                        "reference": i.reference,
                    }),
                })),
                id: i.entry_id.clone(),
                code: "issue".into(),
                reference: i.reference.clone(),
                description: format!(
                    "{} issued against euros ({})",
                    currency.code,
                    i.method.as_str()
                ),
                request_hash: request_hash.clone(),
                reverses_entry_id: None,
                transfers: vec![
                    rules::posted(&system.issuance, wallet, issued),
                    rules::posted(&system.euro_clearing, &system.guarantee_fund, euros),
                ],
            })
        })();
        planned.push(Planned {
            entry_id: i.entry_id.clone(),
            request_hash,
            request,
        });
    }
    commit_planned(conn, planned)
}
