//! The ledger's state machine, without a database: account states in, transfers applied,
//! invariants checked after every transfer. The journal ([`super::journal`]) loads and locks
//! the accounts, calls [`apply`], and writes the result; nothing else changes balances.
//!
//! Invariants (checked here, and again by `comptoir ledger verify`):
//! 1. A transfer moves a positive amount between two different accounts of its currency.
//! 2. `balance = credits_posted − debits_posted`; `available = balance − debits_pending`.
//!    After every transfer, each account's available balance is ≥ −overdraft limit
//!    (an account without a limit — issuance, clearing — may go as low as needed).
//! 3. Pending totals never go negative; a hold is resolved (posted or voided) once.
//! 4. Totals never overflow: arithmetic is checked, an overflow refuses the entry.
//!
//! Because every transfer adds its amount to one debit total and one credit total, the sum of
//! balances per currency stays zero by construction; `verify` checks it anyway.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::kinds::{AccountKind, AccountStatus};
use super::LedgerError;
use crate::ids::{AccountId, TransferId};
use crate::money::{Amount, CurrencyCode};

/// What the engine needs to know of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub id: AccountId,
    pub currency: CurrencyCode,
    pub kind: AccountKind,
    pub status: AccountStatus,
    /// `None`: unlimited; `Some(0)`: no negative balance; `Some(n)`: down to −n.
    pub overdraft_limit: Option<i64>,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
}

impl AccountState {
    pub fn balance(&self) -> i64 {
        self.credits_posted - self.debits_posted
    }

    pub fn available(&self) -> i64 {
        self.balance() - self.debits_pending
    }

    /// The overdraft this movement may use: none when spending own funds only.
    fn usable_overdraft(&self, own_funds_only: bool) -> Option<i64> {
        if own_funds_only {
            Some(0)
        } else {
            self.overdraft_limit
        }
    }

    fn within(&self, overdraft: Option<i64>) -> bool {
        match overdraft {
            None => true,
            Some(limit) => self.available() >= -limit,
        }
    }
}

/// How a transfer affects the totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movement {
    /// Moves the amount now.
    Posted,
    /// Reserves the amount (a hold), optionally until `expires_at`.
    Pending { expires_at: Option<NaiveDateTime> },
    /// Posts `amount` (≤ the hold) of the hold `hold_id`, which reserved `hold_amount`.
    PostPending {
        hold_id: TransferId,
        hold_amount: i64,
    },
    /// Releases the hold `hold_id`, which reserved `hold_amount`.
    VoidPending {
        hold_id: TransferId,
        hold_amount: i64,
    },
}

impl Movement {
    pub fn kind(&self) -> &'static str {
        match self {
            Movement::Posted => "posted",
            Movement::Pending { .. } => "pending",
            Movement::PostPending { .. } => "post_pending",
            Movement::VoidPending { .. } => "void_pending",
        }
    }

    pub fn hold_id(&self) -> Option<&TransferId> {
        match self {
            Movement::PostPending { hold_id, .. } | Movement::VoidPending { hold_id, .. } => {
                Some(hold_id)
            }
            _ => None,
        }
    }
}

/// One transfer of an entry, before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferDraft {
    pub debit_account_id: AccountId,
    pub credit_account_id: AccountId,
    /// What moves: minor units of the accounts' currency.
    pub amount: Amount,
    pub movement: Movement,
    /// The debited account may only spend its own money here, never its overdraft (a
    /// reconversion must not turn a credit line into guarantee-fund euros).
    pub own_funds_only: bool,
}

fn add(a: i64, b: i64) -> Result<i64, LedgerError> {
    a.checked_add(b).ok_or(LedgerError::Overflow)
}

fn sub(a: i64, b: i64) -> Result<i64, LedgerError> {
    let r = a.checked_sub(b).ok_or(LedgerError::Overflow)?;
    if r < 0 {
        // pending totals are sums of unresolved holds: negative means a corrupt state
        return Err(LedgerError::Invariant(format!(
            "a pending total would become {r}"
        )));
    }
    Ok(r)
}

/// Applies `drafts` in order to `accounts` (which must hold every account they name), all or
/// nothing: on error `accounts` is left exactly as it was.
pub fn apply(
    accounts: &mut BTreeMap<AccountId, AccountState>,
    drafts: &[TransferDraft],
) -> Result<(), LedgerError> {
    if drafts.is_empty() {
        return Err(LedgerError::Invalid {
            field: "transfers".into(),
            message: "an entry needs at least one transfer".into(),
        });
    }
    let mut work = accounts.clone();
    for draft in drafts {
        apply_one(&mut work, draft)?;
    }
    *accounts = work;
    Ok(())
}

fn apply_one(
    accounts: &mut BTreeMap<AccountId, AccountState>,
    d: &TransferDraft,
) -> Result<(), LedgerError> {
    if d.debit_account_id == d.credit_account_id {
        return Err(LedgerError::Invalid {
            field: "to".into(),
            message: "a transfer needs two different accounts".into(),
        });
    }
    let amount = d.amount.minor;
    if amount <= 0 {
        return Err(LedgerError::Invalid {
            field: "amount".into(),
            message: "must be greater than zero".into(),
        });
    }
    for id in [&d.debit_account_id, &d.credit_account_id] {
        let account = accounts
            .get(id)
            .ok_or_else(|| LedgerError::AccountNotFound(id.to_string()))?;
        if account.currency != d.amount.currency {
            return Err(LedgerError::CurrencyMismatch {
                account: id.to_string(),
                account_currency: account.currency.to_string(),
                currency: d.amount.currency.to_string(),
            });
        }
        // releasing a hold is always allowed; moving or reserving money needs active accounts
        let releasing = matches!(d.movement, Movement::VoidPending { .. });
        if !releasing && account.status != AccountStatus::Active {
            return Err(LedgerError::AccountNotActive {
                account: id.to_string(),
                status: account.status,
            });
        }
    }
    let (debit_delta, credit_delta) = match &d.movement {
        Movement::Posted => (Delta::posted(amount), Delta::posted(amount)),
        Movement::Pending { .. } => (Delta::pending(amount), Delta::pending(amount)),
        Movement::PostPending { hold_amount, .. } => {
            if amount > *hold_amount {
                return Err(LedgerError::Invalid {
                    field: "amount".into(),
                    message: "cannot post more than was held".into(),
                });
            }
            (
                Delta::resolve(*hold_amount, amount),
                Delta::resolve(*hold_amount, amount),
            )
        }
        Movement::VoidPending { hold_amount, .. } => {
            if amount != *hold_amount {
                return Err(LedgerError::Invariant(
                    "a void must release the whole hold".into(),
                ));
            }
            (
                Delta::resolve(*hold_amount, 0),
                Delta::resolve(*hold_amount, 0),
            )
        }
    };
    let debit = accounts
        .get_mut(&d.debit_account_id)
        .ok_or_else(|| LedgerError::AccountNotFound(d.debit_account_id.to_string()))?;
    debit.debits_pending = sub(
        add(debit.debits_pending, debit_delta.pending_add)?,
        debit_delta.pending_sub,
    )?;
    debit.debits_posted = add(debit.debits_posted, debit_delta.posted)?;
    // only a movement that takes money out can break the debited account's limit
    let takes_out = matches!(d.movement, Movement::Posted | Movement::Pending { .. });
    let overdraft = debit.usable_overdraft(d.own_funds_only);
    if takes_out && !debit.within(overdraft) {
        // what could have been spent: available before this transfer, plus the overdraft
        let available = debit.available() + amount + overdraft.unwrap_or(0);
        return Err(LedgerError::InsufficientFunds {
            account: debit.id.to_string(),
            currency: debit.currency.to_string(),
            scale: None,
            available,
            overdraft_limit: overdraft.unwrap_or(0),
            requested: amount,
        });
    }
    let credit = accounts
        .get_mut(&d.credit_account_id)
        .ok_or_else(|| LedgerError::AccountNotFound(d.credit_account_id.to_string()))?;
    credit.credits_pending = sub(
        add(credit.credits_pending, credit_delta.pending_add)?,
        credit_delta.pending_sub,
    )?;
    credit.credits_posted = add(credit.credits_posted, credit_delta.posted)?;
    Ok(())
}

/// Changes to one side's totals.
struct Delta {
    posted: i64,
    pending_add: i64,
    pending_sub: i64,
}

impl Delta {
    fn posted(amount: i64) -> Delta {
        Delta {
            posted: amount,
            pending_add: 0,
            pending_sub: 0,
        }
    }
    fn pending(amount: i64) -> Delta {
        Delta {
            posted: 0,
            pending_add: amount,
            pending_sub: 0,
        }
    }
    fn resolve(hold: i64, posted: i64) -> Delta {
        Delta {
            posted,
            pending_add: 0,
            pending_sub: hold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, limit: Option<i64>) -> AccountState {
        AccountState {
            id: id.into(),
            currency: lem(),
            kind: AccountKind::MemberWallet,
            status: AccountStatus::Active,
            overdraft_limit: limit,
            debits_posted: 0,
            credits_posted: 0,
            debits_pending: 0,
            credits_pending: 0,
        }
    }

    fn lem() -> CurrencyCode {
        "LEM".parse().expect("a code")
    }

    fn book(a: &str, b: &str, amount: i64, movement: Movement) -> TransferDraft {
        TransferDraft {
            debit_account_id: a.into(),
            credit_account_id: b.into(),
            amount: Amount::new(amount, lem()),
            movement,
            own_funds_only: false,
        }
    }

    fn accounts() -> BTreeMap<AccountId, AccountState> {
        [
            account("issuance", None),
            account("alice", Some(0)),
            account("bob", Some(0)),
            account("shop", Some(500)),
        ]
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect()
    }

    #[test]
    fn holds_count_against_available_and_post_for_less() {
        let mut a = accounts();
        apply(&mut a, &[book("issuance", "alice", 1000, Movement::Posted)]).expect("issue");
        apply(
            &mut a,
            &[book(
                "alice",
                "bob",
                700,
                Movement::Pending { expires_at: None },
            )],
        )
        .expect("hold");
        assert_eq!(a["alice"].available(), 300);
        let unchanged = a.clone();
        let err = apply(&mut a, &[book("alice", "bob", 301, Movement::Posted)]).unwrap_err();
        assert_eq!(a, unchanged, "a refused entry changes nothing");
        assert!(
            matches!(
                err,
                LedgerError::InsufficientFunds {
                    available: 300,
                    requested: 301,
                    ..
                }
            ),
            "{err:?}"
        );
        let post = Movement::PostPending {
            hold_id: "h".into(),
            hold_amount: 700,
        };
        apply(&mut a, &[book("alice", "bob", 650, post)]).expect("post less");
        assert_eq!(
            (
                a["alice"].balance(),
                a["alice"].available(),
                a["bob"].balance()
            ),
            (350, 350, 650)
        );
        assert_eq!(
            (a["alice"].debits_pending, a["bob"].credits_pending),
            (0, 0)
        );
    }

    #[test]
    fn own_funds_only_ignores_the_overdraft() {
        let mut a = accounts();
        apply(&mut a, &[book("issuance", "shop", 100, Movement::Posted)]).expect("income");
        let mut reconversion = book("shop", "issuance", 101, Movement::Posted);
        reconversion.own_funds_only = true;
        let err = apply(&mut a, &[reconversion.clone()]).unwrap_err();
        assert!(
            matches!(
                err,
                LedgerError::InsufficientFunds {
                    available: 100,
                    overdraft_limit: 0,
                    ..
                }
            ),
            "{err:?}"
        );
        reconversion.amount.minor = 100;
        apply(&mut a, &[reconversion]).expect("own money");
        // the same debit without the flag may use the 500 overdraft
        apply(&mut a, &[book("shop", "bob", 500, Movement::Posted)]).expect("credit");
    }

    #[test]
    fn mutual_credit_goes_down_to_the_limit_only() {
        let mut a = accounts();
        apply(&mut a, &[book("shop", "bob", 500, Movement::Posted)]).expect("within limit");
        assert_eq!(a["shop"].balance(), -500);
        assert!(apply(&mut a, &[book("shop", "bob", 1, Movement::Posted)]).is_err());
    }

    #[test]
    fn refuses_bad_transfers() {
        let mut a = accounts();
        assert!(matches!(
            apply(&mut a, &[book("alice", "alice", 1, Movement::Posted)]),
            Err(LedgerError::Invalid { .. })
        ));
        assert!(matches!(
            apply(&mut a, &[book("issuance", "alice", 0, Movement::Posted)]),
            Err(LedgerError::Invalid { .. })
        ));
        assert!(matches!(
            apply(&mut a, &[book("issuance", "nobody", 1, Movement::Posted)]),
            Err(LedgerError::AccountNotFound(_))
        ));
        let mut euro = book("issuance", "alice", 1, Movement::Posted);
        euro.amount.currency = CurrencyCode::EUR;
        assert!(matches!(
            apply(&mut a, &[euro]),
            Err(LedgerError::CurrencyMismatch { .. })
        ));
        if let Some(b) = a.get_mut("bob") {
            b.status = AccountStatus::Frozen;
        }
        assert!(matches!(
            apply(&mut a, &[book("issuance", "bob", 1, Movement::Posted)]),
            Err(LedgerError::AccountNotActive { .. })
        ));
        if let Some(i) = a.get_mut("issuance") {
            i.debits_posted = i64::MAX;
        }
        assert!(matches!(
            apply(&mut a, &[book("issuance", "alice", 1, Movement::Posted)]),
            Err(LedgerError::Overflow)
        ));
    }
}
