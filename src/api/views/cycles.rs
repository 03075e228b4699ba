//! Order cycles, their offer, fees and pickup or delivery methods; closes and reports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::Variant;
use crate::money::Money;
use crate::orders::cycles::CycleState;
use crate::orders::fees::{Calculator, ChargedTo, FeeType};

/// What a close did (or, closing again, what the first close did).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CloseReport {
    pub order_cycle_id: String,
    pub state: CycleState,
    /// Orders booked by this run (0 when closing again).
    pub orders_booked: usize,
    /// True when the cycle was settled already: nothing was done.
    pub already_settled: bool,
    /// What each producer was paid, per currency.
    pub settlements: Vec<SettlementView>,
}

impl From<crate::orders::close::CloseReport> for CloseReport {
    fn from(value: crate::orders::close::CloseReport) -> Self {
        let crate::orders::close::CloseReport {
            order_cycle_id,
            state,
            orders_booked,
            already_settled,
            settlements,
        } = value;
        CloseReport {
            order_cycle_id,
            state,
            orders_booked,
            already_settled,
            settlements: settlements.into_iter().map(Into::into).collect(),
        }
    }
}

/// What one producer was paid in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettlementView {
    pub producer_id: String,
    pub currency: String,
    /// Its goods sold (euro value), tax included.
    pub goods: Money,
    /// Producer fees deducted (euro value).
    pub fees: Money,
    /// Paid, in the currency.
    pub paid: Money,
    pub entry_id: Option<String>,
}

impl From<crate::orders::close::SettlementView> for SettlementView {
    fn from(value: crate::orders::close::SettlementView) -> Self {
        let crate::orders::close::SettlementView {
            producer_id,
            currency,
            goods,
            fees,
            paid,
            entry_id,
        } = value;
        SettlementView {
            producer_id,
            currency,
            goods,
            fees,
            paid,
            entry_id,
        }
    }
}

/// An order cycle as shown by the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderCycle {
    pub id: String,
    pub hub_id: String,
    pub name: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// IANA time zone the hub shows times in.
    pub time_zone: String,
    pub state: CycleState,
    /// How producers are paid at close: `as_paid` or `euros`.
    pub producer_settlement: String,
    /// The cycle this one was copied from.
    pub copied_from_id: Option<String>,
    /// Why the last attempt to close it failed, until a close succeeds.
    pub close_error: Option<String>,
    /// When the settlement runs, if later than the close; null: the close settles at once.
    pub settles_at: Option<DateTime<Utc>>,
}

impl From<crate::orders::cycles::OrderCycle> for OrderCycle {
    fn from(value: crate::orders::cycles::OrderCycle) -> Self {
        let crate::orders::cycles::OrderCycle {
            id,
            hub_id,
            name,
            opens_at,
            closes_at,
            time_zone,
            state,
            producer_settlement,
            copied_from_id,
            close_error,
            settles_at,
        } = value;
        OrderCycle {
            id,
            hub_id,
            name,
            opens_at,
            closes_at,
            time_zone,
            state,
            producer_settlement,
            copied_from_id,
            close_error,
            settles_at,
        }
    }
}

/// A variant offered in a cycle, at the cycle's price.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferedVariant {
    pub product_id: String,
    pub product_name: String,
    pub producer_id: String,
    pub producer_name: String,
    #[serde(flatten)]
    pub variant: Variant,
    /// The price in this cycle (the hub's price when it set one), tax included.
    pub cycle_price: Money,
}

impl From<crate::orders::cycles::OfferedVariant> for OfferedVariant {
    fn from(value: crate::orders::cycles::OfferedVariant) -> Self {
        let crate::orders::cycles::OfferedVariant {
            product_id,
            product_name,
            producer_id,
            producer_name,
            variant,
            cycle_price,
        } = value;
        OfferedVariant {
            product_id,
            product_name,
            producer_id,
            producer_name,
            variant: variant.into(),
            cycle_price,
        }
    }
}

/// A cycle with everything it offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderCycleDetail {
    #[serde(flatten)]
    pub cycle: OrderCycle,
    pub offer: Vec<OfferedVariant>,
    /// The hub's fees in this cycle.
    pub fees: Vec<CycleFee>,
}

impl From<crate::orders::cycles::OrderCycleDetail> for OrderCycleDetail {
    fn from(value: crate::orders::cycles::OrderCycleDetail) -> Self {
        let crate::orders::cycles::OrderCycleDetail { cycle, offer, fees } = value;
        OrderCycleDetail {
            cycle: cycle.into(),
            offer: offer.into_iter().map(Into::into).collect(),
            fees: fees.into_iter().map(Into::into).collect(),
        }
    }
}

/// A fee as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CycleFee {
    pub id: String,
    pub name: String,
    pub fee_type: FeeType,
    pub calculator: Calculator,
    pub charged_to: ChargedTo,
    /// Per order, per item or per kg (absent for `percent_of_items`), tax included.
    pub amount: Option<Money>,
    /// Percent of the items' total (`percent_of_items` only), e.g. "7.5".
    pub percent: Option<String>,
    pub vat_rate: String,
    pub local_share_percent: i32,
}

impl From<crate::orders::fees::CycleFee> for CycleFee {
    fn from(value: crate::orders::fees::CycleFee) -> Self {
        let crate::orders::fees::CycleFee {
            id,
            name,
            fee_type,
            calculator,
            charged_to,
            amount,
            percent,
            vat_rate,
            local_share_percent,
        } = value;
        CycleFee {
            id,
            name,
            fee_type,
            calculator,
            charged_to,
            amount,
            percent,
            vat_rate,
            local_share_percent,
        }
    }
}

/// A new fee, as a hub manager sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFee {
    pub name: String,
    pub fee_type: FeeType,
    pub calculator: Calculator,
    pub charged_to: ChargedTo,
    /// Euros per order, per item or per kg, e.g. "0.50"; not for `percent_of_items`.
    #[serde(default)]
    pub amount: Option<String>,
    /// For `percent_of_items`: e.g. "5" or "7.5" (0 to 100).
    #[serde(default)]
    pub percent: Option<String>,
    /// VAT rate in percent, e.g. "20" or "5.5" (default: the standard rate, the highest
    /// configured).
    #[serde(default)]
    pub vat_rate: Option<String>,
    /// Share payable in local currency, 0–100 (default 100); customer fees only.
    #[serde(default)]
    pub local_share_percent: Option<i32>,
}

impl From<NewFee> for crate::orders::fees::NewFee {
    fn from(value: NewFee) -> Self {
        let NewFee {
            name,
            fee_type,
            calculator,
            charged_to,
            amount,
            percent,
            vat_rate,
            local_share_percent,
        } = value;
        crate::orders::fees::NewFee {
            name,
            fee_type,
            calculator,
            charged_to,
            amount,
            percent,
            vat_rate,
            local_share_percent,
        }
    }
}

/// A variant to offer, with an optional hub price.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferLine {
    pub variant_id: String,
    /// The price in this cycle, tax included (`"3.20"`); absent: the producer's price.
    #[serde(default)]
    pub hub_price: Option<String>,
}

impl From<OfferLine> for crate::orders::planning::OfferLine {
    fn from(value: OfferLine) -> Self {
        let OfferLine {
            variant_id,
            hub_price,
        } = value;
        crate::orders::planning::OfferLine {
            variant_id,
            hub_price,
        }
    }
}

/// A new cycle.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCycle {
    #[schema(max_length = 120)]
    pub name: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// IANA time zone the hub shows times in (default: the hub's own, `Europe/Paris` in France).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `as_paid` (default) or `euros`: how producers are paid at close.
    #[serde(default)]
    pub producer_settlement: Option<String>,
    #[serde(default)]
    pub offer: Vec<OfferLine>,
    /// When the settlement runs, if later than the close (at most 14 days after it):
    /// between the two the hub weighs, marks missing lines and records payments. Absent:
    /// the close settles at once.
    #[serde(default)]
    pub settles_at: Option<DateTime<Utc>>,
}

impl From<NewCycle> for crate::orders::planning::NewCycle {
    fn from(value: NewCycle) -> Self {
        let NewCycle {
            name,
            opens_at,
            closes_at,
            time_zone,
            producer_settlement,
            offer,
            settles_at,
        } = value;
        crate::orders::planning::NewCycle {
            name,
            opens_at,
            closes_at,
            time_zone,
            producer_settlement,
            offer: offer.into_iter().map(Into::into).collect(),
            settles_at,
        }
    }
}

/// The times (and optionally the name) of a copy.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyCycle {
    #[serde(default)]
    #[schema(max_length = 120)]
    pub name: Option<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// Absent: the source's delay between close and settlement, if it had one.
    #[serde(default)]
    pub settles_at: Option<DateTime<Utc>>,
}

impl From<CopyCycle> for crate::orders::planning::CopyCycle {
    fn from(value: CopyCycle) -> Self {
        let CopyCycle {
            name,
            opens_at,
            closes_at,
            settles_at,
        } = value;
        crate::orders::planning::CopyCycle {
            name,
            opens_at,
            closes_at,
            settles_at,
        }
    }
}

/// A report: named columns and rows of text cells.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub report: String,
    pub order_cycle_id: String,
    pub columns: Vec<String>,
    /// Each row has one cell per column, in the columns' order.
    pub rows: Vec<Vec<String>>,
}

impl From<crate::orders::reports::Report> for Report {
    fn from(value: crate::orders::reports::Report) -> Self {
        let crate::orders::reports::Report {
            report,
            order_cycle_id,
            columns,
            rows,
        } = value;
        Report {
            report,
            order_cycle_id,
            columns,
            rows,
        }
    }
}

/// A way a cycle's orders are handed over.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShippingMethod {
    pub id: String,
    /// `pickup` or `delivery`.
    pub kind: String,
    pub name: String,
    pub address: String,
    pub instructions: String,
    /// When the orders are handed over.
    pub at: DateTime<Utc>,
    /// Tax included.
    pub fee: Money,
    pub vat_rate: String,
    /// Share of the fee payable in local currency, 0–100.
    pub local_share_percent: i32,
}

impl From<crate::orders::shipping::ShippingMethod> for ShippingMethod {
    fn from(value: crate::orders::shipping::ShippingMethod) -> Self {
        let crate::orders::shipping::ShippingMethod {
            id,
            kind,
            name,
            address,
            instructions,
            at,
            fee,
            vat_rate,
            local_share_percent,
        } = value;
        ShippingMethod {
            id,
            kind,
            name,
            address,
            instructions,
            at,
            fee,
            vat_rate,
            local_share_percent,
        }
    }
}
