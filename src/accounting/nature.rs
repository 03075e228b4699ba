//! Account natures: what each kind of ledger account is in the deployment's books, and so on
//! which side of a move a ledger movement lands.
//!
//! The ledger counts every account from its holder's side — balance = credits − debits, a
//! wallet or the guarantee fund *holding* money has a positive balance — except the accounts
//! money comes from (issuance, euro clearing, receivables), whose balances run negative. The
//! books of the association count by **nature**: an asset (the fund's bank account, a till,
//! what customers owe) has a debit balance, a liability (what the association owes members
//! and professionals), like income, a credit balance. So a ledger transfer "from A to B" is not
//! "debit A, credit B" in the books: a ledger credit to the guarantee fund (euros arriving in
//! it) is a **debit** of 512.
//!
//! | kind | nature | ledger balance | books balance |
//! |---|---|---|---|
//! | member / enterprise wallet | liability | what it holds (≥ 0, < 0 on mutual credit) | credit (467) |
//! | guarantee fund | asset | euros in the fund | debit (512) |
//! | issuance | liability | − local currency issued | credit: the currency issued, the counterpart of the euros received into the fund (58x) |
//! | commission income | income | commissions earned | credit (708) |
//! | euro clearing | asset | − euros received and not paid out | debit (58x, or a hub's till) |
//! | euro receivable | asset | − euros owed by customers | debit (411) |
//! | euro payable | liability | euros owed to professionals | credit (401) |
//! | VAT collected (a hub's) | liability | VAT the hub set aside | credit (467: the hub's money) |
//! | exchange | asset | − value converted | debit (58x) |
//!
//! A transfer between accounts whose sides agree gives a debit and a credit; one between an
//! account the ledger counts as held (the fund) and one it counts as a source (issuance)
//! gives two lines on one side, balanced by the entry's other currency: an issuance is
//! `D 512 fund / C 58x` (euros) and `D 58x / C 467 wallet` (local currency) — in all
//! `D 512 / C 467`, the euros received and the currency owed to its holder. Every ledger
//! operation is built so that its moves balance ([`super::moves`] checks each one and stops
//! the validation, naming the entry, when one does not).

use crate::ledger::accounts::AccountKind;

/// An account's nature in the books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nature {
    Asset,
    Liability,
    Income,
    Expense,
}

impl Nature {
    /// Assets and expenses have debit balances; liabilities and income, credit balances.
    pub fn debit_balance(self) -> bool {
        matches!(self, Nature::Asset | Nature::Expense)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Nature::Asset => "asset",
            Nature::Liability => "liability",
            Nature::Income => "income",
            Nature::Expense => "expense",
        }
    }
}

/// The nature of a kind of ledger account in the deployment's books.
pub fn of(kind: AccountKind) -> Nature {
    match kind {
        AccountKind::MemberWallet
        | AccountKind::EnterpriseWallet
        | AccountKind::EuroPayable
        | AccountKind::VatCollected
        | AccountKind::Holding
        | AccountKind::CustomerCredit
        | AccountKind::Issuance => Nature::Liability,
        AccountKind::CommissionIncome => Nature::Income,
        AccountKind::GuaranteeFund
        | AccountKind::EuroClearing
        | AccountKind::EuroReceivable
        | AccountKind::Exchange => Nature::Asset,
    }
}

/// Whether the ledger counts the account from its holder's side (a positive balance holds
/// money) rather than as a source money comes from (a negative balance).
fn held(kind: AccountKind) -> bool {
    !matches!(
        kind,
        AccountKind::Issuance
            | AccountKind::EuroClearing
            | AccountKind::EuroReceivable
            | AccountKind::Exchange
    )
}

/// Whether a ledger **debit** of an account of `kind` is a debit in the books (otherwise it
/// is a credit, and a ledger credit a debit).
pub fn debit_stays_debit(kind: AccountKind) -> bool {
    held(kind) != of(kind).debit_balance()
}

/// An account's balance in the books (debit − credit, in its currency's minor units) from
/// its ledger balance (credits − debits).
pub fn books_balance(kind: AccountKind, ledger_balance: i64) -> i64 {
    if debit_stays_debit(kind) {
        -ledger_balance
    } else {
        ledger_balance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table-driven: which way each kind's normal ledger balance lands in the books.
    #[test]
    fn a_normal_ledger_balance_has_the_sign_of_its_nature_in_the_books() {
        // (kind, a normal ledger balance, the books balance it must give: + debit, − credit)
        let table = [
            (AccountKind::MemberWallet, 5_000, -5_000),
            (AccountKind::EnterpriseWallet, 5_000, -5_000),
            (AccountKind::GuaranteeFund, 5_000, 5_000),
            (AccountKind::Issuance, -5_000, -5_000),
            (AccountKind::CommissionIncome, 200, -200),
            (AccountKind::EuroClearing, -5_000, 5_000),
            (AccountKind::EuroReceivable, -1_200, 1_200),
            (AccountKind::EuroPayable, 980, -980),
            (AccountKind::VatCollected, 184, -184),
            (AccountKind::Exchange, -100, 100),
            (AccountKind::Holding, 3_400, -3_400),
            (AccountKind::CustomerCredit, 360, -360),
        ];
        assert_eq!(table.len(), AccountKind::ALL.len(), "every kind is listed");
        for (kind, ledger, books) in table {
            assert_eq!(books_balance(kind, ledger), books, "{}", kind.as_str());
            assert_eq!(
                books > 0,
                of(kind).debit_balance(),
                "{} has the sign of its nature",
                kind.as_str()
            );
        }
    }

    /// The ledger's operations balance in the books: per entry, the accounts whose ledger
    /// debit turns into a books credit move by zero in value.
    #[test]
    fn every_operation_balances_in_the_books() {
        use AccountKind::*;
        // (operation, [(debited, credited, euro value)])
        type Transfers<'a> = &'a [(AccountKind, AccountKind, i64)];
        let operations: [(&str, Transfers); 7] = [
            (
                "issue",
                &[
                    (Issuance, MemberWallet, 50),
                    (EuroClearing, GuaranteeFund, 50),
                ],
            ),
            ("pay", &[(MemberWallet, EnterpriseWallet, 30)]),
            (
                "reconvert",
                &[
                    (EnterpriseWallet, Issuance, 98),
                    (EnterpriseWallet, CommissionIncome, 2),
                    (GuaranteeFund, EuroPayable, 98),
                ],
            ),
            ("reconversion paid", &[(EuroPayable, EuroClearing, 98)]),
            ("sale", &[(EuroReceivable, EnterpriseWallet, 12)]),
            ("receipt", &[(EuroClearing, EuroReceivable, 12)]),
            (
                "settle and vat",
                &[
                    (EnterpriseWallet, EnterpriseWallet, 10),
                    (EuroClearing, EnterpriseWallet, 2),
                    (EnterpriseWallet, VatCollected, 1),
                ],
            ),
        ];
        for (name, transfers) in operations {
            let mut net = 0;
            for (debited, credited, value) in transfers {
                net += if debit_stays_debit(*debited) {
                    *value
                } else {
                    -value
                };
                net -= if debit_stays_debit(*credited) {
                    *value
                } else {
                    -value
                };
            }
            assert_eq!(net, 0, "{name} balances");
        }
    }
}
