//! Top-up requests, their transfer details, and an association's bank account.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::association::bank::BankAccount as DomainBankAccount;
use crate::association::topups::{self, Method, State};
use crate::money::Money;

use super::MoneyInput;

/// A member's request for local currency.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TopUpRequest)]
pub struct TopUp {
    pub id: String,
    /// Gapless across the deployment.
    pub number: i64,
    pub user_id: String,
    pub currency: String,
    /// The member's wallet the currency goes to.
    pub wallet_id: String,
    /// The local currency asked for.
    pub amount: Money,
    /// What to pay for it, in the legal currency.
    pub to_pay: Money,
    pub method: Method,
    /// To write on the bank transfer (or show at the exchange point).
    pub reference: String,
    pub state: State,
    /// Why it was refused (empty otherwise).
    pub reason: String,
    /// What the treasurer saw arrive, when approving.
    pub received_reference: String,
    /// The issuance, once approved.
    pub ledger_entry_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<topups::TopUp> for TopUp {
    fn from(t: topups::TopUp) -> TopUp {
        let topups::TopUp {
            id,
            number,
            user_id,
            currency,
            wallet_id,
            amount,
            to_pay,
            method,
            reference,
            state,
            reason,
            received_reference,
            ledger_entry_id,
            created_at,
            decided_at,
        } = t;
        TopUp {
            id,
            number,
            user_id,
            currency,
            wallet_id,
            amount,
            to_pay,
            method,
            reference,
            state,
            reason,
            received_reference,
            ledger_entry_id,
            created_at: created_at.and_utc(),
            decided_at: decided_at.map(|t| t.and_utc()),
        }
    }
}

/// How to pay a top-up request by bank transfer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TopUpTransfer)]
pub struct Transfer {
    /// The association, the transfer's beneficiary.
    pub creditor: String,
    /// Grouped by four.
    pub iban: String,
    pub bic: Option<String>,
    pub amount: Money,
    pub reference: String,
    /// `epc` (an EPC QR code, SEPA credit transfer) or `swiss_qr_bill`; `null` where the legal
    /// currency has no such code.
    pub qr: Option<String>,
    /// The QR code's text, as a banking app reads it; drawn by `qr.svg` and `qr.png`.
    pub payload: Option<String>,
}

impl From<topups::Transfer> for Transfer {
    fn from(t: topups::Transfer) -> Transfer {
        let topups::Transfer {
            creditor,
            iban,
            bic,
            amount,
            reference,
            qr,
            payload,
        } = t;
        Transfer {
            creditor,
            iban,
            bic,
            amount,
            reference,
            qr: qr.map(String::from),
            payload,
        }
    }
}

/// Asking for local currency.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({"amount": {"amount": "50.00", "currency": "LEM"}, "method": "bank_transfer"}))]
#[serde(deny_unknown_fields)]
pub struct NewTopUp {
    pub amount: MoneyInput,
    pub method: Method,
}

/// Approving a request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// What arrived (a bank statement's line, a receipt number); optional.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub received_reference: String,
}

/// Refusing a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Why, for the member (1 to 500 characters).
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// The queue's filters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueFilter {
    /// Only requests in this state (`pending` for the queue).
    pub state: Option<State>,
    /// Only requests paid this way.
    pub method: Option<Method>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Cursor from the previous page's `next` link.
    pub after: Option<String>,
}

/// A currency association's bank account.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankAccount {
    /// Grouped by four.
    pub iban: String,
    pub bic: Option<String>,
    /// A Swiss QR-IBAN: QR-bills to it carry a 27-digit QR reference.
    pub qr_iban: bool,
}

impl From<DomainBankAccount> for BankAccount {
    fn from(a: DomainBankAccount) -> BankAccount {
        let DomainBankAccount { iban, bic, qr_iban } = a;
        BankAccount { iban, bic, qr_iban }
    }
}

/// Setting an association's bank account (an empty `iban` removes it).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"iban": "CH93 0076 2011 6238 5295 7", "bic": "POFICHBEXXX"}))]
#[serde(deny_unknown_fields)]
pub struct NewBankAccount {
    #[schema(max_length = 42)]
    pub iban: String,
    #[serde(default)]
    pub bic: Option<String>,
}
