//! Baskets, carts, checkout and orders.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::MoneyInput;
use crate::money::Money;
use crate::orders::order::{EuroState, OrderState};

/// What was delivered of some lines of an order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustRequest {
    pub lines: Vec<DeliveredLine>,
}

impl From<AdjustRequest> for crate::orders::adjust::AdjustRequest {
    fn from(value: AdjustRequest) -> Self {
        let AdjustRequest { lines } = value;
        crate::orders::adjust::AdjustRequest {
            lines: lines.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveredLine {
    pub variant_id: String,
    /// Units delivered, up to 3 decimals, at most the quantity ordered plus the tolerance
    /// the customer accepted (e.g. "0.86"); absent: nothing for a missing line, the
    /// quantity ordered otherwise.
    #[serde(default)]
    pub delivered: Option<String>,
    /// `missing` or `substituted`; absent: delivered (as ordered or weighed).
    #[serde(default)]
    pub status: Option<LineStatus>,
    /// Required for a substituted line: what was given instead (up to 200 characters).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

/// What the hub found of a line when packing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Missing,
    Substituted,
}

impl From<LineStatus> for crate::orders::adjust::LineStatus {
    fn from(value: LineStatus) -> Self {
        match value {
            LineStatus::Missing => crate::orders::adjust::LineStatus::Missing,
            LineStatus::Substituted => crate::orders::adjust::LineStatus::Substituted,
        }
    }
}

impl From<DeliveredLine> for crate::orders::adjust::DeliveredLine {
    fn from(value: DeliveredLine) -> Self {
        let DeliveredLine {
            variant_id,
            delivered,
            status,
            note,
        } = value;
        crate::orders::adjust::DeliveredLine {
            variant_id,
            delivered,
            status: status.map(Into::into),
            note,
        }
    }
}

/// How euros were refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundMethod {
    BankTransfer,
    Cash,
    Cheque,
    Card,
    Other,
}

impl From<RefundMethod> for crate::orders::refunds::RefundMethod {
    fn from(value: RefundMethod) -> Self {
        use crate::orders::refunds::RefundMethod as M;
        match value {
            RefundMethod::BankTransfer => M::BankTransfer,
            RefundMethod::Cash => M::Cash,
            RefundMethod::Cheque => M::Cheque,
            RefundMethod::Card => M::Card,
            RefundMethod::Other => M::Other,
        }
    }
}

/// A refund of what an order owes the customer back, as the hub records it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"amount": "4.20", "method": "bank_transfer", "reference": "VIR-2026-118"}))]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// In the legal currency; absent: all that is owed back.
    #[serde(default)]
    pub amount: Option<String>,
    pub method: RefundMethod,
    /// The transfer's reference, the receipt's number… (up to 140 characters).
    #[serde(default)]
    #[schema(max_length = 140)]
    pub reference: String,
}

impl From<RefundRequest> for crate::orders::refunds::RefundRequest {
    fn from(value: RefundRequest) -> Self {
        let RefundRequest {
            amount,
            method,
            reference,
        } = value;
        crate::orders::refunds::RefundRequest {
            amount,
            method: method.into(),
            reference,
        }
    }
}

/// What an order owes the customer back, turned into credit with the hub.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// In the legal currency; absent: all that is owed back.
    #[serde(default)]
    pub amount: Option<String>,
}

/// Someone's credit with a hub, usable at its checkouts (`credit_amount`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerCredit {
    pub hub_id: String,
    pub hub_name: String,
    pub user_id: String,
    /// In the legal currency.
    pub amount: Money,
}

impl From<crate::orders::refunds::Credit> for CustomerCredit {
    fn from(value: crate::orders::refunds::Credit) -> Self {
        let crate::orders::refunds::Credit {
            hub_id,
            hub_name,
            user_id,
            amount,
        } = value;
        CustomerCredit {
            hub_id,
            hub_name,
            user_id,
            amount,
        }
    }
}

/// A cart and its current price.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cart {
    pub order_id: Option<String>,
    pub order_cycle_id: String,
    pub lines: Vec<CartLine>,
    /// The basket priced now (`null` when empty, or when a line is no longer available:
    /// setting the cart again says which).
    pub quote: Option<Quote>,
}

impl From<crate::orders::cart::Cart> for Cart {
    fn from(value: crate::orders::cart::Cart) -> Self {
        let crate::orders::cart::Cart {
            order_id,
            order_cycle_id,
            lines,
            quote,
        } = value;
        Cart {
            order_id,
            order_cycle_id,
            lines: lines.into_iter().map(Into::into).collect(),
            quote: quote.map(Into::into),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CartLine {
    pub variant_id: String,
    pub quantity: i64,
}

impl From<crate::orders::cart::CartLine> for CartLine {
    fn from(value: crate::orders::cart::CartLine) -> Self {
        let crate::orders::cart::CartLine {
            variant_id,
            quantity,
        } = value;
        CartLine {
            variant_id,
            quantity,
        }
    }
}

/// What the customer chooses at checkout. A `delivery` method needs `address` or
/// `address_id` (not both; 422 on `address` when neither is given); a `pickup` method ignores
/// `address`, `address_id` and `save_address` (nothing is stored).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"shipping_method_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e5f", "local_amount": {"amount": "5.60", "currency": "LEM"}}))]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// One of the cycle's pickup or delivery methods.
    pub shipping_method_id: String,
    /// The part paid in local currency (one the hub accepts), from 0 to the most allowed;
    /// absent or zero: everything in euros.
    #[serde(default)]
    pub local_amount: Option<MoneyInput>,
    /// The part of the fiat part paid from the customer's credit with the hub (legal
    /// currency, up to that credit and the fiat part: `GET /api/v1/me/credits`).
    #[serde(default)]
    pub credit_amount: Option<String>,
    /// How much more than ordered (percent, 0 to 25) the customer accepts for weighed lines
    /// (the fiat part takes the difference); absent: 10.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 25)]
    pub weight_tolerance_percent: Option<i32>,
    /// Where to deliver (for a `delivery` method); copied onto the order.
    #[serde(default)]
    pub address: Option<super::addresses::AddressInput>,
    /// One of the caller's saved addresses (`GET /api/v1/me/addresses`), instead of
    /// `address`; another person's is refused as unknown (422 on `address_id`).
    #[serde(default)]
    pub address_id: Option<String>,
    /// Keep `address` in the caller's saved addresses (at most 20; an equal one is not saved
    /// twice).
    #[serde(default)]
    pub save_address: bool,
}

impl From<CheckoutRequest> for crate::orders::checkout::CheckoutRequest {
    fn from(value: CheckoutRequest) -> Self {
        let CheckoutRequest {
            shipping_method_id,
            local_amount,
            credit_amount,
            weight_tolerance_percent,
            address,
            address_id,
            save_address,
        } = value;
        crate::orders::checkout::CheckoutRequest {
            shipping_method_id,
            local_amount: local_amount.map(Into::into),
            credit_amount,
            weight_tolerance_percent,
            address: address.map(Into::into),
            address_id,
            save_address,
            cart_id: None,
        }
    }
}

/// Why an order is cancelled (shown to the customer).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    #[serde(default)]
    pub reason: String,
}

impl From<CancelRequest> for crate::orders::checkout::CancelRequest {
    fn from(value: CancelRequest) -> Self {
        let CancelRequest { reason } = value;
        crate::orders::checkout::CancelRequest { reason }
    }
}

/// A line of a confirmed order (a snapshot taken at checkout).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderLine {
    pub variant_id: String,
    pub producer_id: Option<String>,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub total: Money,
    pub vat_rate: String,
    pub vat: Money,
    /// Most of this line that could be paid in local currency (euro value).
    pub local_max: Money,
    /// Units delivered, when the hub adjusted a weighed item (e.g. "0.86").
    pub delivered: Option<String>,
    /// `missing` or `substituted`, when the hub found so while packing.
    pub delivery_status: Option<String>,
    /// What the hub says of it (what was given instead of a substituted line).
    pub delivery_note: Option<String>,
}

impl From<crate::orders::order::OrderLine> for OrderLine {
    fn from(value: crate::orders::order::OrderLine) -> Self {
        let crate::orders::order::OrderLine {
            variant_id,
            producer_id,
            name,
            unit,
            quantity,
            unit_price,
            total,
            vat_rate,
            vat,
            local_max,
            delivered,
            delivery_status,
            delivery_note,
        } = value;
        OrderLine {
            variant_id,
            producer_id,
            name,
            unit,
            quantity,
            unit_price,
            total,
            vat_rate,
            vat,
            local_max,
            delivered,
            delivery_status,
            delivery_note,
        }
    }
}

/// How an order is paid: a local-currency part and a fiat part, in the deployment's legal
/// currency (the euro, the Swiss franc…). The `euro…` names are the fiat fields' names from
/// before the legal currency was a choice: kept, deprecated, until the next major version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderPayment {
    /// The local-currency part, held on the customer's wallet until the cycle closes.
    pub local: Option<Money>,
    /// Its value in the legal currency (at the currency's parity).
    pub local_value: Money,
    /// The fiat part, in the legal currency, paid to the hub at pickup or by transfer.
    pub fiat: Money,
    /// Where the fiat part stands.
    pub fiat_state: EuroState,
    /// The ledger hold of the local part.
    pub hold_id: Option<String>,
    /// Fiat received so far (payments and customer credit used).
    pub fiat_received: Money,
    /// Customer credit with the hub used to pay it (part of `fiat_received`).
    pub credit_used: Money,
    /// Fiat given back so far (refunded, or turned into credit).
    pub fiat_refunded: Money,
    /// What the hub owes the customer back (a cancelled or weighed-down order it was paid
    /// for): to refund (`POST …/refunds`) or turn into credit (`POST …/credit`).
    pub owed_back: Money,
    /// How much more than ordered (percent) the customer accepted for weighed lines.
    pub weight_tolerance_percent: i32,
    /// `local_value`, under its former name.
    #[schema(deprecated)]
    pub local_eur_value: Money,
    /// `fiat`, under its former name.
    #[schema(deprecated)]
    pub euro: Money,
    /// `fiat_state`, under its former name.
    #[schema(deprecated)]
    pub euro_state: EuroState,
}

impl From<crate::orders::order::OrderPayment> for OrderPayment {
    fn from(value: crate::orders::order::OrderPayment) -> Self {
        let crate::orders::order::OrderPayment {
            local,
            local_eur_value,
            euro,
            euro_state,
            hold_id,
            euro_received,
            credit_used,
            euro_refunded,
            owed_back,
            weight_tolerance_percent,
        } = value;
        OrderPayment {
            local,
            local_value: local_eur_value,
            fiat: euro,
            fiat_state: euro_state,
            hold_id,
            fiat_received: euro_received,
            credit_used,
            fiat_refunded: euro_refunded,
            owed_back,
            weight_tolerance_percent,
            local_eur_value,
            euro,
            euro_state,
        }
    }
}

/// An order as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    pub id: String,
    /// Human-readable number, given at checkout.
    pub number: Option<String>,
    pub order_cycle_id: String,
    pub hub_id: String,
    pub customer_id: String,
    pub state: OrderState,
    pub shipping_method_id: Option<String>,
    /// Where the order is delivered (`null` for a pickup).
    pub delivery_address: Option<super::addresses::DeliveryAddress>,
    pub lines: Vec<OrderLine>,
    pub items_total: Money,
    pub shipping_fee: Money,
    /// The hub's fees charged on this order.
    pub fees: Vec<FeeLine>,
    pub fees_total: Money,
    /// Everything, tax included.
    pub total: Money,
    pub vat_total: Money,
    pub payment: OrderPayment,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the hub last adjusted a weighed item.
    pub adjusted_at: Option<DateTime<Utc>>,
    /// When the cycle's close captured the payment and booked the sale.
    pub booked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<crate::orders::order::Order> for Order {
    fn from(value: crate::orders::order::Order) -> Self {
        let crate::orders::order::Order {
            id,
            number,
            order_cycle_id,
            hub_id,
            customer_id,
            state,
            shipping_method_id,
            delivery_address,
            lines,
            items_total,
            shipping_fee,
            fees,
            fees_total,
            total,
            vat_total,
            payment,
            confirmed_at,
            cancelled_at,
            adjusted_at,
            booked_at,
            created_at,
        } = value;
        Order {
            id,
            number,
            order_cycle_id,
            hub_id,
            customer_id,
            state,
            shipping_method_id,
            delivery_address: delivery_address.map(Into::into),
            lines: lines.into_iter().map(Into::into).collect(),
            items_total,
            shipping_fee,
            fees: fees.into_iter().map(Into::into).collect(),
            fees_total,
            total,
            vat_total,
            payment: payment.into(),
            confirmed_at,
            cancelled_at,
            adjusted_at,
            booked_at,
            created_at,
        }
    }
}

/// A basket to price.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"lines": [{"variant_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e60", "quantity": 2}]}))]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub lines: Vec<QuoteLineRequest>,
}

impl From<QuoteRequest> for crate::orders::quote::QuoteRequest {
    fn from(value: QuoteRequest) -> Self {
        let QuoteRequest { lines } = value;
        crate::orders::quote::QuoteRequest {
            lines: lines.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLineRequest {
    pub variant_id: String,
    /// Number of units, 1 to 1000.
    pub quantity: i64,
}

impl From<QuoteLineRequest> for crate::orders::quote::QuoteLineRequest {
    fn from(value: QuoteLineRequest) -> Self {
        let QuoteLineRequest {
            variant_id,
            quantity,
        } = value;
        crate::orders::quote::QuoteLineRequest {
            variant_id,
            quantity,
        }
    }
}

/// One priced line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteLine {
    pub variant_id: String,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub total: Money,
    pub vat_rate: String,
    pub vat: Money,
    /// Most of this line that may be paid in local currency (value in euros at parity).
    pub local_max: Money,
}

impl From<crate::orders::quote::QuoteLine> for QuoteLine {
    fn from(value: crate::orders::quote::QuoteLine) -> Self {
        let crate::orders::quote::QuoteLine {
            variant_id,
            name,
            unit,
            quantity,
            unit_price,
            total,
            vat_rate,
            vat,
            local_max,
        } = value;
        QuoteLine {
            variant_id,
            name,
            unit,
            quantity,
            unit_price,
            total,
            vat_rate,
            vat,
            local_max,
        }
    }
}

/// VAT of all lines at one rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VatLine {
    pub rate: String,
    pub base: Money,
    pub vat: Money,
    pub total: Money,
}

impl From<crate::orders::quote::VatLine> for VatLine {
    fn from(value: crate::orders::quote::VatLine) -> Self {
        let crate::orders::quote::VatLine {
            rate,
            base,
            vat,
            total,
        } = value;
        VatLine {
            rate,
            base,
            vat,
            total,
        }
    }
}

/// One of the cycle's fees on this basket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeeLine {
    pub fee_id: String,
    pub name: String,
    pub fee_type: String,
    pub amount: Money,
    pub vat_rate: String,
    pub vat: Money,
    pub local_max: Money,
}

impl From<crate::orders::quote::FeeLine> for FeeLine {
    fn from(value: crate::orders::quote::FeeLine) -> Self {
        let crate::orders::quote::FeeLine {
            fee_id,
            name,
            fee_type,
            amount,
            vat_rate,
            vat,
            local_max,
        } = value;
        FeeLine {
            fee_id,
            name,
            fee_type,
            amount,
            vat_rate,
            vat,
            local_max,
        }
    }
}

/// A priced basket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    /// The hub's fees charged to the customer.
    pub fees: Vec<FeeLine>,
    pub vat_breakdown: Vec<VatLine>,
    pub items_total: Money,
    pub fees_total: Money,
    /// Items and fees, tax included (pickup or delivery comes at checkout).
    pub total: Money,
    pub vat_total: Money,
    /// Most of the basket that may be paid in local currency; the rest is paid in euros.
    pub local_max: Money,
}

impl From<crate::orders::quote::Quote> for Quote {
    fn from(value: crate::orders::quote::Quote) -> Self {
        let crate::orders::quote::Quote {
            lines,
            fees,
            vat_breakdown,
            items_total,
            fees_total,
            total,
            vat_total,
            local_max,
        } = value;
        Quote {
            lines: lines.into_iter().map(Into::into).collect(),
            fees: fees.into_iter().map(Into::into).collect(),
            vat_breakdown: vat_breakdown.into_iter().map(Into::into).collect(),
            items_total,
            fees_total,
            total,
            vat_total,
            local_max,
        }
    }
}
