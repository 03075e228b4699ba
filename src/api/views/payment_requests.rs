//! Payment requests: what a professional asks, and the payments it received.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::association::payment_requests::{self, State};
use crate::money::Money;

use super::MoneyInput;

/// A professional's request for a payment in a local currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRequestView {
    pub id: String,
    pub enterprise_id: String,
    /// Who asks.
    pub enterprise_name: String,
    pub currency: String,
    /// `null`: an open amount, the payer says how much.
    pub amount: Option<Money>,
    pub label: String,
    /// Paid by many (a stall's standing code), or once.
    pub reusable: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub state: State,
    /// How many payments it received, and their total.
    pub payments: i64,
    pub received: Money,
    /// Where a member opens it; its QR code (`…/qr.svg`, `…/qr.png`) carries this URL.
    pub url: String,
    pub created_at: DateTime<Utc>,
}

impl From<payment_requests::PaymentRequest> for PaymentRequestView {
    fn from(r: payment_requests::PaymentRequest) -> PaymentRequestView {
        PaymentRequestView {
            id: r.id,
            enterprise_id: r.enterprise_id,
            enterprise_name: r.enterprise_name,
            currency: r.currency,
            amount: r.amount,
            label: r.label,
            reusable: r.reusable,
            expires_at: r.expires_at.map(|t| t.and_utc()),
            state: r.state,
            payments: r.payments,
            received: r.received,
            url: r.url,
            created_at: r.created_at.and_utc(),
        }
    }
}

/// A payment a request received.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRequestPayment {
    /// The ledger entry.
    pub entry_id: String,
    pub request_id: String,
    pub payer_id: String,
    pub payer_name: String,
    pub amount: Money,
    pub created_at: DateTime<Utc>,
}

impl From<payment_requests::Payment> for PaymentRequestPayment {
    fn from(p: payment_requests::Payment) -> PaymentRequestPayment {
        PaymentRequestPayment {
            entry_id: p.entry_id,
            request_id: p.request_id,
            payer_id: p.payer_id,
            payer_name: p.payer_name,
            amount: p.amount,
            created_at: p.created_at.and_utc(),
        }
    }
}

/// What a professional asks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaymentRequest {
    /// The local currency.
    pub currency: String,
    /// Leave out for an open amount (the payer says how much).
    #[serde(default)]
    pub amount: Option<MoneyInput>,
    /// What it is for (1 to 140 characters).
    #[schema(min_length = 1, max_length = 140)]
    pub label: String,
    /// Paid by many (a stall's standing code) rather than once.
    #[serde(default)]
    pub reusable: bool,
    /// When it stops being payable (in the future).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A member pays a request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayPaymentRequest {
    /// For an open amount (required then); for a fixed one, leave out or repeat it.
    #[serde(default)]
    pub amount: Option<MoneyInput>,
}
