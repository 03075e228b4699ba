//! The books' shapes: the chart mapping, periods and the trial balance.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A trial balance as the API sends it: amounts as exact decimal strings in euros.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrialBalance {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: String,
    pub accounts: Vec<TrialAccount>,
    /// The column totals: debits equal credits in each pair.
    pub totals: TrialAccount,
}

impl From<crate::accounting::balance::TrialBalance> for TrialBalance {
    fn from(value: crate::accounting::balance::TrialBalance) -> Self {
        let crate::accounting::balance::TrialBalance {
            from,
            to,
            currency,
            accounts,
            totals,
        } = value;
        TrialBalance {
            from,
            to,
            currency,
            accounts: accounts.into_iter().map(Into::into).collect(),
            totals: totals.into(),
        }
    }
}

/// One account of a trial balance (`"205.80"`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrialAccount {
    pub code: String,
    pub label: String,
    pub opening_debit: String,
    pub opening_credit: String,
    pub debit: String,
    pub credit: String,
    pub closing_debit: String,
    pub closing_credit: String,
}

impl From<crate::accounting::balance::TrialAccount> for TrialAccount {
    fn from(value: crate::accounting::balance::TrialAccount) -> Self {
        let crate::accounting::balance::TrialAccount {
            code,
            label,
            opening_debit,
            opening_credit,
            debit,
            credit,
            closing_debit,
            closing_credit,
        } = value;
        TrialAccount {
            code,
            label,
            opening_debit,
            opening_credit,
            debit,
            credit,
            closing_debit,
            closing_credit,
        }
    }
}

/// One mapping rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRule {
    /// A ledger account kind (`member_wallet`, `enterprise_wallet`, `guarantee_fund`…).
    pub kind: String,
    /// Only accounts in this currency; absent: any currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Only this one ledger account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_account_id: Option<String>,
    /// The accounting account, e.g. `467100`.
    pub code: String,
    pub label: String,
    /// Put the account's owner in the auxiliary columns.
    #[serde(default)]
    pub auxiliary: bool,
}

impl From<crate::accounting::chart::AccountRule> for AccountRule {
    fn from(value: crate::accounting::chart::AccountRule) -> Self {
        let crate::accounting::chart::AccountRule {
            kind,
            currency,
            ledger_account_id,
            code,
            label,
            auxiliary,
        } = value;
        AccountRule {
            kind,
            currency,
            ledger_account_id,
            code,
            label,
            auxiliary,
        }
    }
}

impl From<AccountRule> for crate::accounting::chart::AccountRule {
    fn from(value: AccountRule) -> Self {
        let AccountRule {
            kind,
            currency,
            ledger_account_id,
            code,
            label,
            auxiliary,
        } = value;
        crate::accounting::chart::AccountRule {
            kind,
            currency,
            ledger_account_id,
            code,
            label,
            auxiliary,
        }
    }
}

/// A journal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalRule {
    pub code: String,
    pub label: String,
}

impl From<crate::accounting::chart::JournalRule> for JournalRule {
    fn from(value: crate::accounting::chart::JournalRule) -> Self {
        let crate::accounting::chart::JournalRule { code, label } = value;
        JournalRule { code, label }
    }
}

impl From<JournalRule> for crate::accounting::chart::JournalRule {
    fn from(value: JournalRule) -> Self {
        let JournalRule { code, label } = value;
        crate::accounting::chart::JournalRule { code, label }
    }
}

/// The whole mapping.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    #[serde(rename = "account")]
    pub accounts: Vec<AccountRule>,
    /// By kind of ledger entry (`issue`, `pay`, `post`, `settle`…); `default` for the rest.
    pub journals: std::collections::BTreeMap<String, JournalRule>,
    /// The accounts of enterprise books; absent: the French defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub books: Option<Books>,
    /// The language of the books' labels (`fr` or `en`); absent: unchanged (French at first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl From<crate::accounting::chart::Chart> for Chart {
    fn from(value: crate::accounting::chart::Chart) -> Self {
        let crate::accounting::chart::Chart {
            accounts,
            journals,
            books,
            language,
        } = value;
        Chart {
            accounts: accounts.into_iter().map(Into::into).collect(),
            journals: journals.into_iter().map(|(k, v)| (k, v.into())).collect(),
            books: books.map(Into::into),
            language,
        }
    }
}

impl From<Chart> for crate::accounting::chart::Chart {
    fn from(value: Chart) -> Self {
        let Chart {
            accounts,
            journals,
            books,
            language,
        } = value;
        crate::accounting::chart::Chart {
            accounts: accounts.into_iter().map(Into::into).collect(),
            journals: journals.into_iter().map(|(k, v)| (k, v.into())).collect(),
            books: books.map(Into::into),
            language,
        }
    }
}

/// An account of enterprise books.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookAccount {
    pub code: String,
    pub label: String,
}

impl From<crate::accounting::chart::BookAccount> for BookAccount {
    fn from(value: crate::accounting::chart::BookAccount) -> Self {
        let crate::accounting::chart::BookAccount { code, label } = value;
        BookAccount { code, label }
    }
}

impl From<BookAccount> for crate::accounting::chart::BookAccount {
    fn from(value: BookAccount) -> Self {
        let BookAccount { code, label } = value;
        crate::accounting::chart::BookAccount { code, label }
    }
}

/// The accounts of one VAT rate in enterprise books.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VatAccounts {
    /// The rate in percent, e.g. `"5.5"`.
    pub rate: String,
    /// Revenue on goods sold at this rate (a producer's, or a hub's own goods).
    pub goods: BookAccount,
    /// Revenue on a hub's fees at this rate.
    pub fees: BookAccount,
    /// VAT collected at this rate.
    pub collected: BookAccount,
    /// VAT deductible at this rate (a producer's commissions).
    pub deductible: BookAccount,
}

impl From<crate::accounting::chart::VatAccounts> for VatAccounts {
    fn from(value: crate::accounting::chart::VatAccounts) -> Self {
        let crate::accounting::chart::VatAccounts {
            rate,
            goods,
            fees,
            collected,
            deductible,
        } = value;
        VatAccounts {
            rate,
            goods: goods.into(),
            fees: fees.into(),
            collected: collected.into(),
            deductible: deductible.into(),
        }
    }
}

impl From<VatAccounts> for crate::accounting::chart::VatAccounts {
    fn from(value: VatAccounts) -> Self {
        let VatAccounts {
            rate,
            goods,
            fees,
            collected,
            deductible,
        } = value;
        crate::accounting::chart::VatAccounts {
            rate,
            goods: goods.into(),
            fees: fees.into(),
            collected: collected.into(),
            deductible: deductible.into(),
        }
    }
}

/// The accounts and journals of enterprise books (see [`super::books`]).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Books {
    /// Customers (411): an order's total, then what paid it.
    pub customers: BookAccount,
    /// What a hub owes its customers as credit (419 in France, 2030 in Switzerland; the
    /// customer as auxiliary account): euros owed back on an order turned into credit, then
    /// used at a later checkout.
    pub customer_credit: BookAccount,
    /// In a hub's books, the producers it sells for (467): their goods, then their payment.
    pub producers: BookAccount,
    /// In a producer's books, the hubs that sell for it (467).
    pub hubs: BookAccount,
    /// Euros (512).
    pub bank: BookAccount,
    /// Local currency held (530x); the currency columns say which.
    pub local_cash: BookAccount,
    /// A producer's commissions paid to hubs (622).
    pub commissions: BookAccount,
    /// Sales and settlements.
    pub sales_journal: JournalRule,
    /// Euro receipts and payments to producers.
    pub bank_journal: JournalRule,
    /// Per VAT rate.
    pub vat: Vec<VatAccounts>,
}

impl From<crate::accounting::chart::Books> for Books {
    fn from(value: crate::accounting::chart::Books) -> Self {
        let crate::accounting::chart::Books {
            customers,
            customer_credit,
            producers,
            hubs,
            bank,
            local_cash,
            commissions,
            sales_journal,
            bank_journal,
            vat,
        } = value;
        Books {
            customers: customers.into(),
            customer_credit: customer_credit.into(),
            producers: producers.into(),
            hubs: hubs.into(),
            bank: bank.into(),
            local_cash: local_cash.into(),
            commissions: commissions.into(),
            sales_journal: sales_journal.into(),
            bank_journal: bank_journal.into(),
            vat: vat.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Books> for crate::accounting::chart::Books {
    fn from(value: Books) -> Self {
        let Books {
            customers,
            customer_credit,
            producers,
            hubs,
            bank,
            local_cash,
            commissions,
            sales_journal,
            bank_journal,
            vat,
        } = value;
        crate::accounting::chart::Books {
            customers: customers.into(),
            customer_credit: customer_credit.into(),
            producers: producers.into(),
            hubs: hubs.into(),
            bank: bank.into(),
            local_cash: local_cash.into(),
            commissions: commissions.into(),
            sales_journal: sales_journal.into(),
            bank_journal: bank_journal.into(),
            vat: vat.into_iter().map(Into::into).collect(),
        }
    }
}

/// A period to close.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosePeriod {
    /// First day (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// Last day, before today.
    pub to: NaiveDate,
}

impl From<ClosePeriod> for crate::accounting::periods::ClosePeriod {
    fn from(value: ClosePeriod) -> Self {
        let ClosePeriod { from, to } = value;
        crate::accounting::periods::ClosePeriod { from, to }
    }
}

/// A closed period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Period {
    pub id: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// RFC 3339, UTC.
    #[serde(serialize_with = "crate::time::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub closed_at: chrono::NaiveDateTime,
    pub closed_by: Option<String>,
}

impl From<crate::accounting::periods::Period> for Period {
    fn from(value: crate::accounting::periods::Period) -> Self {
        let crate::accounting::periods::Period {
            id,
            starts_on,
            ends_on,
            closed_at,
            closed_by,
        } = value;
        Period {
            id,
            starts_on,
            ends_on,
            closed_at,
            closed_by,
        }
    }
}
