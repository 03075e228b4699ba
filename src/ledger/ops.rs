//! Local-currency operations, each one journal entry (see DOMAIN.md §3).
//!
//! | operation | transfers |
//! |---|---|
//! | issue ("change") | issuance → wallet (local); euro clearing → guarantee fund (EUR) |
//! | pay | wallet → wallet (local), honouring the currency's flow rules |
//! | hold / post / void | a pending wallet → account transfer, then its post (≤ hold) or void ([`super::holds`]) |
//! | reverse | every posted transfer of an entry, swapped |
//! | reconvert | wallet → issuance (net) and wallet → commission (local); fund → payable (EUR) |
//! | reconversion paid | payable → euro clearing (EUR) |
//!
//! The association of a local currency owns its issuance, commission, guarantee-fund and
//! euro-clearing accounts; they are opened with the currency. Every operation takes a
//! client-chosen entry id and is idempotent (see [`super::journal`]): the journal compares
//! the request with the stored one before anything else. Operations whose preparation would
//! fail once the original succeeded (post and void of a resolved hold, a second reversal)
//! look the id up first, so that a replay still returns the original.

use diesel::prelude::*;
use rust_decimal::Decimal;

use super::accounts::{self, AccountKind, AccountRow, AccountStatus, NewAccount, Owner, OwnerKind};
use super::batch;
use super::currencies::{self, CurrencyRow};
use super::engine::{Movement, TransferDraft};
use super::group;
use super::journal::{self, Committed, EntryRequest};
pub use super::rules::{association_accounts, AssociationAccounts, EuroMethod};
use super::rules::{association_of, local_currency, posted, require_wallet};
use super::LedgerError;
use crate::db::schema::{
    currencies as currencies_table, enterprises, ledger_accounts, reconversion_rules,
};
use crate::db::DbConn;
use serde_json::json;

use crate::audit::{self, Act, Draft, Who};
use crate::ids::AccountId;
use crate::money::{Amount, CurrencyCode};

/// A currency to create.
#[derive(Debug, Clone)]
pub struct NewCurrency {
    pub code: CurrencyCode,
    pub name: String,
    pub symbol: String,
    pub scale: i32,
    /// `Some` (with the issuing association) for a local currency; `None` for a fiat one.
    pub local: Option<LocalTerms>,
}

#[derive(Debug, Clone)]
pub struct LocalTerms {
    pub parity_to_eur: Decimal,
    pub issuer_id: String,
    pub allow_member_to_member: bool,
}

/// Creates a currency; a local one gets its association's accounts.
pub fn create_currency(
    conn: &mut DbConn,
    who: &Who,
    new: NewCurrency,
) -> Result<CurrencyRow, LedgerError> {
    let legal = currencies::legal(conn)?;
    if new.code == legal.code && (new.local.is_some() || new.scale != legal.scale as i32) {
        return Err(LedgerError::Invalid {
            field: "code".into(),
            message: format!(
                "{} is the deployment's legal currency, with {} decimals",
                legal.code, legal.scale
            ),
        });
    }
    if !(0..=4).contains(&new.scale) {
        return Err(LedgerError::Invalid {
            field: "scale".into(),
            message: "must be between 0 and 4".into(),
        });
    }
    if currencies::get(conn, new.code.as_str()).is_ok() {
        return Err(LedgerError::Invalid {
            field: "code".into(),
            message: format!("{} already exists", new.code),
        });
    }
    if let Some(local) = &new.local {
        if local.parity_to_eur <= Decimal::ZERO {
            return Err(LedgerError::Invalid {
                field: "parity".into(),
                message: "must be greater than zero".into(),
            });
        }
        let kind: Option<String> = enterprises::table
            .find(&local.issuer_id)
            .select(enterprises::kind)
            .first(conn.diesel())
            .optional()?;
        if kind.as_deref() != Some("currency_association") {
            return Err(LedgerError::Invalid {
                field: "issuer_id".into(),
                message: "must be a currency association".into(),
            });
        }
    }
    let row = CurrencyRow {
        code: new.code.to_string(),
        name: new.name,
        symbol: new.symbol,
        scale: new.scale,
        kind: if new.local.is_some() { "local" } else { "fiat" }.into(),
        parity_to_eur: new
            .local
            .as_ref()
            .map(|l| l.parity_to_eur.normalize().to_string()),
        issuer_id: new.local.as_ref().map(|l| l.issuer_id.clone()),
        created_at: crate::time::now(),
        allow_member_to_member: new.local.as_ref().is_none_or(|l| l.allow_member_to_member),
    };
    conn.transaction(|conn| {
        diesel::insert_into(currencies_table::table)
            .values(&row)
            .execute(conn.diesel())?;
        if row.is_local() {
            open_association_accounts(conn, &row)?;
        }
        audit::record(
            conn,
            who,
            Act {
                action: "currency.create",
                subject_kind: "currency",
                subject_id: &row.code,
                enterprise_id: row.issuer_id.as_deref(),
                ledger_entry_id: None,
                details: json!({
                    "name": row.name,
                    "scale": row.scale,
                    "kind": row.kind,
                    "parity_to_eur": row.parity_to_eur,
                }),
            },
        )?;
        Ok::<_, LedgerError>(())
    })?;
    Ok(row)
}

/// Opens (when missing) and returns the association's accounts for a local currency.
pub fn open_association_accounts(
    conn: &mut DbConn,
    currency: &CurrencyRow,
) -> Result<AssociationAccounts, LedgerError> {
    let (owner, served) = association_of(currency)?;
    let legal = currencies::legal(conn)?.code.to_string();
    let mut open = |currency: &str, kind: AccountKind, name: String, limit: Option<i64>| {
        accounts::open(
            conn,
            NewAccount {
                owner: owner.clone(),
                currency: currency.into(),
                kind,
                name,
                overdraft_limit: limit,
                for_currency: Some(served.clone()),
            },
        )
    };
    let code = &currency.code;
    Ok(AssociationAccounts {
        issuance: open(
            code,
            AccountKind::Issuance,
            format!("{code} issuance"),
            None,
        )?,
        commission: open(
            code,
            AccountKind::CommissionIncome,
            format!("{code} commissions"),
            Some(0),
        )?,
        guarantee_fund: open(
            &legal,
            AccountKind::GuaranteeFund,
            format!("{code} guarantee fund"),
            Some(0),
        )?,
        euro_clearing: open(
            &legal,
            AccountKind::EuroClearing,
            format!("{code} {legal} clearing"),
            None,
        )?,
    })
}

/// The wallet of a user or an enterprise in a currency, opened when missing (no overdraft).
/// An enterprise's wallet in a local currency comes with the euro payable its reconversions
/// are owed on.
pub fn wallet(conn: &mut DbConn, owner: Owner, currency: &str) -> Result<AccountRow, LedgerError> {
    let currency_row = currencies::get(conn, currency)?;
    conn.transaction(|conn| {
        let kind = match owner {
            Owner::User(_) => AccountKind::MemberWallet,
            _ => AccountKind::EnterpriseWallet,
        };
        if kind == AccountKind::EnterpriseWallet && currency_row.is_local() {
            if let Owner::Enterprise(id) = &owner {
                let opened = accounts::find_by_owner(conn, &owner, currency, kind, None)?;
                if opened.is_none() && !approved_professional(conn, id.as_str(), currency)? {
                    return Err(LedgerError::FlowNotAllowed(format!(
                        "enterprise `{id}` is not an approved professional of {currency}: \
                         it asks to accept {currency}, and the currency's association approves"
                    )));
                }
            }
            payable(conn, &owner, &currency_row, true)?;
        }
        accounts::open(
            conn,
            NewAccount {
                owner,
                currency: currency.into(),
                kind,
                name: format!("{currency} wallet"),
                overdraft_limit: Some(0),
                for_currency: None,
            },
        )
    })
}

/// Whether the association of local currency `currency` approved enterprise `id` as one of
/// its professionals (`association::professionals`): only then may it hold a wallet in it —
/// and so be paid in it and reconvert it. The ledger asks at the one place an enterprise's
/// wallet opens.
fn approved_professional(conn: &mut DbConn, id: &str, currency: &str) -> Result<bool, LedgerError> {
    use crate::db::schema::enterprise_currencies as ec;
    let state: Option<String> = ec::table
        .find((id, currency))
        .select(ec::state)
        .first(conn.diesel())
        .optional()?;
    Ok(state.as_deref() == Some("approved"))
}

/// The euro payable of a professional for reconversions of `currency`.
fn payable(
    conn: &mut DbConn,
    owner: &Owner,
    currency: &CurrencyRow,
    open: bool,
) -> Result<AccountRow, LedgerError> {
    let legal = currencies::legal(conn)?.code.to_string();
    if open {
        return accounts::open(
            conn,
            NewAccount {
                owner: owner.clone(),
                currency: legal,
                kind: AccountKind::EuroPayable,
                name: format!("{} reconversions owed", currency.code),
                overdraft_limit: Some(0),
                for_currency: Some(currency.code.clone()),
            },
        );
    }
    accounts::find_by_owner(
        conn,
        owner,
        &legal,
        AccountKind::EuroPayable,
        Some(&currency.code),
    )?
    .ok_or_else(|| {
        LedgerError::Invariant("the professional's euro payable account is missing".into())
    })
}

pub(super) fn replayed(
    conn: &mut DbConn,
    entry_id: &str,
    hash: &str,
) -> Result<Option<Committed>, LedgerError> {
    match journal::find(conn, entry_id)? {
        Some(existing) => journal::replay(existing, hash).map(|e| Some(Committed::Replayed(e))),
        None => Ok(None),
    }
}

/// Runs an operation; if it fails, an earlier identical request (same entry id and content)
/// still gets its original entry back — its effects may be what makes the checks fail now
/// (a hold that has expired since, a balance the original spent, a rule changed since).
pub(super) fn idempotent(
    conn: &mut DbConn,
    entry_id: &str,
    hash: &str,
    op: impl FnOnce(&mut DbConn) -> Result<Committed, LedgerError>,
) -> Result<Committed, LedgerError> {
    match op(conn) {
        Err(error) if !matches!(error, LedgerError::IdempotencyConflict(_)) => {
            replayed(conn, entry_id, hash)?.ok_or(error)
        }
        result => result,
    }
}

/// Issue: euros received → the same value of local currency in a wallet, euros to the fund
/// (a batch of one, see [`super::batch::issue_many`]).
pub fn issue(
    conn: &mut DbConn,
    who: &Who,
    entry_id: &str,
    wallet_id: &str,
    amount: i64,
    method: EuroMethod,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let issuance = batch::Issuance {
        by: who.clone(),
        entry_id: entry_id.into(),
        wallet: wallet_id.into(),
        amount,
        method,
        reference: reference.into(),
    };
    journal::single(batch::issue_many(conn, &[issuance])?)
}

/// The two accounts of a wallet-to-account movement and whether their currency lets
/// individuals pay each other (see [`batch::parties`]).
pub(super) fn movement_parties(
    conn: &mut DbConn,
    from_id: &str,
    to_id: &str,
) -> Result<(AccountRow, AccountRow, bool), LedgerError> {
    let found = batch::parties(conn, &[from_id, to_id])?;
    let (from, allow_member_to_member) = batch::party(&found, from_id)?.clone();
    let (to, _) = batch::party(&found, to_id)?.clone();
    Ok((from, to, allow_member_to_member))
}

/// Pay: wallet to wallet (or to an enterprise account) in one currency (a batch of one, see
/// [`super::batch::pay_many`]).
pub fn pay(
    conn: &mut DbConn,
    entry_id: &str,
    from_id: &str,
    to_id: &str,
    amount: i64,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let payment = batch::Payment {
        entry_id: entry_id.into(),
        from: from_id.into(),
        to: to_id.into(),
        amount,
        reference: reference.into(),
    };
    journal::single(batch::pay_many(conn, &[payment])?)
}

/// Reverse: a new entry moving back every posted amount of `original_id`.
pub fn reverse(
    conn: &mut DbConn,
    who: &Who,
    entry_id: &str,
    original_id: &str,
    reason: &str,
) -> Result<Committed, LedgerError> {
    let hash = journal::request_hash(&["reverse", original_id, reason]);
    if let Some(done) = replayed(conn, entry_id, &hash)? {
        return Ok(done);
    }
    if reason.chars().count() > journal::MAX_REFERENCE_CHARS {
        return Err(LedgerError::Invalid {
            field: "reason".into(),
            message: format!(
                "must be at most {} characters",
                journal::MAX_REFERENCE_CHARS
            ),
        });
    }
    let original = journal::find(conn, original_id)?
        .ok_or_else(|| LedgerError::EntryNotFound(original_id.into()))?;
    if journal::reversal_of(conn, original_id)?.is_some() {
        return Err(LedgerError::AlreadyReversed(original_id.into()));
    }
    let mut transfers = Vec::new();
    for t in &original.transfers {
        if t.kind != "posted" && t.kind != "post_pending" {
            return Err(LedgerError::Invalid {
                field: "entry_id".into(),
                message:
                    "an entry holding or releasing funds cannot be reversed: void the hold instead"
                        .into(),
            });
        }
        transfers.push(TransferDraft {
            debit_account_id: AccountId::from(&t.credit_account_id),
            credit_account_id: AccountId::from(&t.debit_account_id),
            amount: t.moved()?,
            movement: Movement::Posted,
            own_funds_only: false,
        });
    }
    let issuer = match original.transfers.first() {
        Some(t) => currencies::get(conn, &t.currency)?.issuer_id,
        None => None,
    };
    group::commit(
        conn,
        &EntryRequest {
            audit: Some(Box::new(Draft {
                who: who.clone(),
                action: "ledger.reverse".into(),
                subject_kind: "entry".into(),
                subject_id: original_id.into(),
                enterprise_id: issuer,
                details: json!({ "reason": reason }),
            })),
            id: entry_id.into(),
            code: "reverse".into(),
            reference: original.row.reference.clone(),
            description: format!("reversal of {original_id}: {reason}"),
            request_hash: hash,
            reverses_entry_id: Some(original_id.into()),
            transfers,
        },
    )
}

/// The commission rule for reconverting from an account of this kind: the kind's own rule,
/// else the currency's `*` rule, else none. Returns `(percent in basis points, fixed)`.
pub fn commission_rule(
    conn: &mut DbConn,
    currency: &str,
    kind: AccountKind,
) -> Result<(i32, i64), LedgerError> {
    let rules: Vec<(String, i32, i64)> = reconversion_rules::table
        .filter(reconversion_rules::currency.eq(currency))
        .filter(reconversion_rules::account_kind.eq_any([kind.as_str(), "*"]))
        .select((
            reconversion_rules::account_kind,
            reconversion_rules::percent_bp,
            reconversion_rules::fixed_minor,
        ))
        .load(conn.diesel())?;
    let pick = rules
        .iter()
        .find(|r| r.0 == kind.as_str())
        .or_else(|| rules.iter().find(|r| r.0 == "*"));
    Ok(pick.map(|r| (r.1, r.2)).unwrap_or((0, 0)))
}

/// Sets the commission rule of a currency (`account_kind = None` for the default).
pub fn set_commission_rule(
    conn: &mut DbConn,
    who: &Who,
    currency: &str,
    account_kind: Option<AccountKind>,
    percent_bp: i32,
    fixed_minor: i64,
) -> Result<(), LedgerError> {
    if !(0..=10_000).contains(&percent_bp) || fixed_minor < 0 {
        return Err(LedgerError::Invalid {
            field: "commission".into(),
            message: "percent 0–100 and a fixed part ≥ 0".into(),
        });
    }
    let row = local_currency(conn, currency)?;
    let kind = account_kind.map(AccountKind::as_str).unwrap_or("*");
    conn.transaction(|conn| {
        {
            let conn = conn.diesel();
            diesel::delete(reconversion_rules::table.find((currency, kind))).execute(conn)?;
            diesel::insert_into(reconversion_rules::table)
                .values((
                    reconversion_rules::currency.eq(currency),
                    reconversion_rules::account_kind.eq(kind),
                    reconversion_rules::percent_bp.eq(percent_bp),
                    reconversion_rules::fixed_minor.eq(fixed_minor),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            who,
            Act {
                action: "currency.commission",
                subject_kind: "currency",
                subject_id: currency,
                enterprise_id: row.issuer_id.as_deref(),
                ledger_entry_id: None,
                details: json!({
                    "account_kind": kind,
                    "percent_bp": percent_bp,
                    "fixed": row.money(fixed_minor)?,
                }),
            },
        )?;
        Ok::<_, LedgerError>(())
    })
}

/// The commission on reconverting `amount`: percent rounded half-up, plus the fixed part.
pub fn commission(amount: i64, percent_bp: i32, fixed_minor: i64) -> i64 {
    let percent = (i128::from(amount) * i128::from(percent_bp) * 2 + 10_000) / 20_000;
    percent as i64 + fixed_minor
}

/// Reconvert: a professional's local currency back to euros, less the commission. The euro
/// payout is owed from the guarantee fund (a payable) until marked paid.
pub fn reconvert(
    conn: &mut DbConn,
    entry_id: &str,
    wallet_id: &str,
    amount: i64,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let hash = journal::request_hash(&["reconvert", wallet_id, &amount.to_string(), reference]);
    idempotent(conn, entry_id, &hash, |conn| {
        let wallet = accounts::get(conn, wallet_id)?;
        require_wallet(&wallet, "wallet_id")?;
        let Some(enterprise_id) = wallet
            .owner_id
            .clone()
            .filter(|_| wallet.owner_kind == OwnerKind::Enterprise.as_str())
        else {
            return Err(LedgerError::ReconversionNotAllowed(
                "only professionals may reconvert local currency to euros".into(),
            ));
        };
        let currency = local_currency(conn, &wallet.currency)?;
        let system = association_accounts(conn, &currency)?;
        let (percent_bp, fixed) = commission_rule(conn, &currency.code, wallet.kind()?)?;
        let fee = commission(amount, percent_bp, fixed);
        if amount <= 0 || fee >= amount {
            return Err(LedgerError::Invalid {
                field: "amount".into(),
                message: format!(
                    "must exceed the commission ({} {})",
                    crate::money::format_minor(fee, crate::money::minor_scale(currency.scale)),
                    currency.code
                ),
            });
        }
        let net = amount - fee;
        let payable = payable(
            conn,
            &Owner::Enterprise(enterprise_id.into()),
            &currency,
            false,
        )?;
        // only the wallet's own money may be reconverted, never its mutual-credit line
        let own = |debit: &AccountRow, credit: &AccountRow, amount: Amount| TransferDraft {
            own_funds_only: true,
            ..posted(debit, credit, amount)
        };
        let net = currency.amount(net)?;
        let mut transfers = vec![own(&wallet, &system.issuance, net)];
        if fee > 0 {
            transfers.push(own(&wallet, &system.commission, currency.amount(fee)?));
        }
        transfers.push(posted(
            &system.guarantee_fund,
            &payable,
            currency.to_legal(currencies::legal(conn)?, net)?,
        ));
        group::commit(
            conn,
            &EntryRequest {
                audit: None,
                id: entry_id.into(),
                code: "reconvert".into(),
                reference: reference.into(),
                description: format!("{} reconverted to euros, commission {fee}", currency.code),
                request_hash: hash.clone(),
                reverses_entry_id: None,
                transfers,
            },
        )
    })
}

/// The euros owed for reconversions of `currency` were paid out to the professional.
pub fn reconversion_paid(
    conn: &mut DbConn,
    who: &Who,
    entry_id: &str,
    payable_id: &str,
    currency: &str,
    amount: i64,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let hash = journal::request_hash(&[
        "reconversion_paid",
        payable_id,
        currency,
        &amount.to_string(),
        reference,
    ]);
    idempotent(conn, entry_id, &hash, |conn| {
        let payable = accounts::get(conn, payable_id)?;
        if payable.kind()? != AccountKind::EuroPayable
            || payable.for_currency.as_deref() != Some(currency)
        {
            return Err(LedgerError::Invalid {
                field: "payable_id".into(),
                message: format!("is not a payable of {currency} reconversions"),
            });
        }
        let currency_row = local_currency(conn, currency)?;
        let system = association_accounts(conn, &currency_row)?;
        let paid = payable.amount(amount)?;
        group::commit(
            conn,
            &EntryRequest {
                audit: Some(Box::new(Draft {
                    who: who.clone(),
                    action: "ledger.payout".into(),
                    subject_kind: "account".into(),
                    subject_id: payable.id.clone(),
                    enterprise_id: currency_row.issuer_id.clone(),
                    details: json!({
                        "amount": paid.with_scale(2),
                        "for_currency": currency,
                        "reference": reference,
                    }),
                })),
                id: entry_id.into(),
                code: "reconversion_paid".into(),
                reference: reference.into(),
                description: format!("{currency} reconversion paid out in euros"),
                request_hash: hash.clone(),
                reverses_entry_id: None,
                transfers: vec![posted(
                    &payable,
                    &system.euro_clearing,
                    payable.amount(amount)?,
                )],
            },
        )
    })
}

/// Freezes (only holds may be released), closes (a zero balance and no hold, nothing moves
/// again) or reactivates an account. A closed account stays closed.
pub fn set_status(
    conn: &mut DbConn,
    who: &Who,
    account_id: &str,
    status: AccountStatus,
) -> Result<AccountRow, LedgerError> {
    conn.transaction(|conn| {
        let changed = change_status(conn, account_id, status)?;
        account_act(
            conn,
            who,
            "account.status",
            &changed,
            json!({ "status": status.as_str() }),
        )?;
        Ok(changed)
    })
}

/// The audit event of an act on one account, readable by its currency's association.
fn account_act(
    conn: &mut DbConn,
    who: &Who,
    action: &str,
    account: &AccountRow,
    details: serde_json::Value,
) -> Result<(), LedgerError> {
    let issuer = currencies::get(conn, &account.currency)?.issuer_id;
    audit::record(
        conn,
        who,
        Act {
            action,
            subject_kind: "account",
            subject_id: &account.id,
            enterprise_id: issuer.as_deref(),
            ledger_entry_id: None,
            details,
        },
    )?;
    Ok(())
}

fn change_status(
    conn: &mut DbConn,
    account_id: &str,
    status: AccountStatus,
) -> Result<AccountRow, LedgerError> {
    let account = accounts::get(conn, account_id)?;
    let current = AccountStatus::parse(&account.status)?;
    if current == AccountStatus::Closed && status != AccountStatus::Closed {
        return Err(LedgerError::AccountNotActive {
            account: account.id,
            status: current,
        });
    }
    let now = crate::time::now();
    let changed = {
        let conn = conn.diesel();
        let set = (
            ledger_accounts::status.eq(status.as_str()),
            ledger_accounts::updated_at.eq(now),
        );
        let account = ledger_accounts::table.find(account_id);
        if status == AccountStatus::Closed {
            // the guard makes "empty and no hold" and the change one atomic step
            let empty = account
                .filter(ledger_accounts::credits_posted.eq(ledger_accounts::debits_posted))
                .filter(ledger_accounts::debits_pending.eq(0))
                .filter(ledger_accounts::credits_pending.eq(0));
            diesel::update(empty).set(set).execute(conn)
        } else {
            diesel::update(account).set(set).execute(conn)
        }
    }?;
    if changed == 0 {
        return Err(LedgerError::Invalid {
            field: "status".into(),
            message: "an account can be closed only when its balance is zero and it has no hold"
                .into(),
        });
    }
    accounts::get(conn, account_id)
}

/// Mutual credit: lets an enterprise wallet go down to −`limit`. Refused when the wallet is
/// already below the new limit.
pub fn set_overdraft_limit(
    conn: &mut DbConn,
    who: &Who,
    account_id: &str,
    limit: i64,
) -> Result<AccountRow, LedgerError> {
    conn.transaction(|conn| {
        let changed = change_limit(conn, account_id, limit)?;
        let shown = currencies::get(conn, &changed.currency)?.money(limit)?;
        account_act(
            conn,
            who,
            "account.overdraft_limit",
            &changed,
            json!({ "limit": shown }),
        )?;
        Ok(changed)
    })
}

fn change_limit(
    conn: &mut DbConn,
    account_id: &str,
    limit: i64,
) -> Result<AccountRow, LedgerError> {
    if limit < 0 {
        return Err(LedgerError::Invalid {
            field: "limit".into(),
            message: "must be zero or more".into(),
        });
    }
    let account = accounts::get(conn, account_id)?;
    if account.kind()? != AccountKind::EnterpriseWallet {
        return Err(LedgerError::Invalid {
            field: "account_id".into(),
            message: "only enterprise wallets have mutual credit".into(),
        });
    }
    let changed = {
        let conn = conn.diesel();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            // the guard in the WHERE clause makes the check and the change one atomic step
            diesel::update(
                ledger_accounts::table.find(account_id).filter(
                    (ledger_accounts::credits_posted
                        - ledger_accounts::debits_posted
                        - ledger_accounts::debits_pending)
                        .ge(-limit),
                ),
            )
            .set((
                ledger_accounts::overdraft_limit.eq(Some(limit)),
                ledger_accounts::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)
        })
    }?;
    if changed == 0 {
        let state = account.state()?;
        let scale = currencies::get(conn, &account.currency)?.scale;
        return Err(LedgerError::InsufficientFunds {
            account: account.id,
            currency: account.currency,
            scale: Some(crate::money::minor_scale(scale)),
            available: state.available(),
            overdraft_limit: limit,
            requested: 0,
        });
    }
    accounts::get(conn, account_id)
}

#[cfg(test)]
mod tests {
    use super::commission;

    #[test]
    fn commission_rounds_half_up_and_adds_the_fixed_part() {
        assert_eq!(commission(10_000, 300, 0), 300);
        assert_eq!(commission(150, 300, 0), 5); // 4.5 → 5
        assert_eq!(commission(149, 300, 0), 4); // 4.47 → 4
        assert_eq!(commission(1000, 0, 50), 50);
        assert_eq!(commission(1000, 250, 10), 35);
    }
}
