//! The rules every money movement follows, shared by the single operations ([`super::ops`])
//! and their batches ([`super::batch`]): the association's accounts of a currency, how euros
//! arrived, the currency's flow rules between two accounts, and the transfer drafts.

use super::accounts::{self, AccountKind, AccountRow, Owner, OwnerKind};
use super::currencies::{self, CurrencyRow};
use super::engine::{Movement, TransferDraft};
use super::LedgerError;
use crate::db::DbConn;
use crate::money::Amount;

/// The accounts through which an association runs its currency.
#[derive(Debug, Clone)]
pub struct AssociationAccounts {
    pub issuance: AccountRow,
    pub commission: AccountRow,
    pub guarantee_fund: AccountRow,
    pub euro_clearing: AccountRow,
}

/// The association that issues `currency`, as an account owner, and the currency it serves.
pub(super) fn association_of(currency: &CurrencyRow) -> Result<(Owner, String), LedgerError> {
    let issuer = currency
        .issuer_id
        .clone()
        .ok_or_else(|| LedgerError::Invalid {
            field: "currency".into(),
            message: format!("{} is not a local currency", currency.code),
        })?;
    Ok((Owner::Enterprise(issuer.into()), currency.code.clone()))
}

/// The association's accounts of a local currency (opened with the currency).
pub fn association_accounts(
    conn: &mut DbConn,
    currency: &CurrencyRow,
) -> Result<AssociationAccounts, LedgerError> {
    let (owner, served) = association_of(currency)?;
    let legal = super::currencies::legal(conn)?.code.to_string();
    let mut find = |currency: &str, kind: AccountKind| {
        accounts::find_by_owner(conn, &owner, currency, kind, Some(&served))?.ok_or_else(|| {
            LedgerError::Invariant(format!(
                "the {} account of the association is missing",
                kind.as_str()
            ))
        })
    };
    let code = &currency.code;
    Ok(AssociationAccounts {
        issuance: find(code, AccountKind::Issuance)?,
        commission: find(code, AccountKind::CommissionIncome)?,
        guarantee_fund: find(&legal, AccountKind::GuaranteeFund)?,
        euro_clearing: find(&legal, AccountKind::EuroClearing)?,
    })
}

/// How euros reached the association for an issuance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EuroMethod {
    BankTransfer,
    Card,
    Cash,
}

impl EuroMethod {
    pub const ALL: &'static [EuroMethod] =
        &[EuroMethod::BankTransfer, EuroMethod::Card, EuroMethod::Cash];

    pub fn as_str(self) -> &'static str {
        match self {
            EuroMethod::BankTransfer => "bank_transfer",
            EuroMethod::Card => "card",
            EuroMethod::Cash => "cash",
        }
    }
}

/// `amount` moved now from `debit` to `credit` (the engine checks both are in its currency).
pub fn posted(debit: &AccountRow, credit: &AccountRow, amount: Amount) -> TransferDraft {
    TransferDraft {
        debit_account_id: debit.id(),
        credit_account_id: credit.id(),
        amount,
        movement: Movement::Posted,
        own_funds_only: false,
    }
}

pub fn require_wallet(account: &AccountRow, field: &str) -> Result<(), LedgerError> {
    if account.kind()?.is_wallet() {
        Ok(())
    } else {
        Err(LedgerError::Invalid {
            field: field.into(),
            message: format!("account `{}` is not a wallet", account.id),
        })
    }
}

pub fn local_currency(conn: &mut DbConn, code: &str) -> Result<CurrencyRow, LedgerError> {
    let currency = currencies::get(conn, code)?;
    if !currency.is_local() {
        return Err(LedgerError::Invalid {
            field: "currency".into(),
            message: format!("{code} is not a local currency"),
        });
    }
    Ok(currency)
}

/// The currency's flow rules between two accounts (`allow_member_to_member` is the
/// currency's flag, read with the accounts).
pub fn check_flow(
    from: &AccountRow,
    to: &AccountRow,
    allow_member_to_member: bool,
) -> Result<(), LedgerError> {
    require_wallet(from, "from")?;
    if from.currency != to.currency {
        return Err(LedgerError::CurrencyMismatch {
            account: to.id.clone(),
            account_currency: to.currency.clone(),
            currency: from.currency.clone(),
        });
    }
    let to_professional = to.owner_kind()? == OwnerKind::Enterprise;
    if from.owner_kind()? == OwnerKind::User
        && to.owner_kind()? == OwnerKind::User
        && !allow_member_to_member
    {
        return Err(LedgerError::FlowNotAllowed(format!(
            "{} does not allow payments between individuals",
            from.currency
        )));
    }
    if from.pays_professionals_only && !to_professional {
        return Err(LedgerError::FlowNotAllowed(format!(
            "wallet `{}` may only pay professionals",
            from.id
        )));
    }
    Ok(())
}
