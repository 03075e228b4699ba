//! Pricing of a basket in an open cycle: line totals, VAT breakdown per rate, and how much
//! may be paid in local currency. Pure arithmetic on integer cents, no database.
//!
//! Rounding rules (written down here, tested below, reused by checkout):
//! 1. Prices are tax-inclusive. `line_total = unit_price × quantity`, exact.
//! 2. VAT is computed **per line** from the tax-inclusive total:
//!    `vat = line_total × rate / (1 + rate)`, rounded **half-up** to the cent.
//!    The base (excl. VAT) is `line_total − vat`, so base + VAT always equals the total.
//! 3. The local-currency maximum of a line is `line_total × local_share / 100` rounded
//!    **down** to the cent: rounding never lets more than the allowed share be paid locally.
//! 4. The cycle's customer fees ([`super::fees`]) follow the same rules, each at its own
//!    VAT rate and local share.
//! 5. Totals are sums of line and fee values; the breakdown groups them by VAT rate.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::catalog::vat_percent;
use crate::deployment::Legal;
use crate::error::FieldError;
use crate::money::Money;
use crate::orders::cycles::OfferedVariant;
use crate::orders::fees::{self, ChargedTo, ComputedFee, CycleFeeRow, FeeBase};
use crate::orders::OrderError;

pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: i64 = 1000;
pub use super::limits::MAX_BASKET_MINOR;
pub use crate::money::{mul_div_half_up, share_floor, vat_included};

/// A basket to price.
#[derive(Debug, Clone)]
pub struct QuoteRequest {
    pub lines: Vec<QuoteLineRequest>,
}

#[derive(Debug, Clone)]
pub struct QuoteLineRequest {
    pub variant_id: String,
    /// Number of units, 1 to 1000.
    pub quantity: i64,
}

/// One priced line.
#[derive(Debug, Clone)]
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

/// VAT of all lines at one rate.
#[derive(Debug, Clone)]
pub struct VatLine {
    pub rate: String,
    pub base: Money,
    pub vat: Money,
    pub total: Money,
}

/// One of the cycle's fees on this basket.
#[derive(Debug, Clone, Serialize)]
pub struct FeeLine {
    pub fee_id: String,
    pub name: String,
    pub fee_type: String,
    pub amount: Money,
    pub vat_rate: String,
    pub vat: Money,
    pub local_max: Money,
}

impl FeeLine {
    /// A fee of an order, as stored.
    pub fn of_row(f: &fees::OrderFeeRow, legal: Legal) -> Self {
        FeeLine {
            fee_id: f.fee_id.clone().unwrap_or_default(),
            name: f.name.clone(),
            fee_type: f.fee_type.clone(),
            amount: legal.money(f.amount_minor),
            vat_rate: vat_percent(f.vat_rate_bp),
            vat: legal.money(f.vat_minor),
            local_max: legal.money(f.local_max_minor),
        }
    }

    /// A fee as computed on a basket.
    pub fn of(f: &ComputedFee, legal: Legal) -> Self {
        FeeLine {
            fee_id: f.fee_id.clone(),
            name: f.name.clone(),
            fee_type: f.fee_type.clone(),
            amount: legal.money(f.amount),
            vat_rate: vat_percent(f.vat_rate_bp),
            vat: legal.money(f.vat),
            local_max: legal.money(f.local_max),
        }
    }
}

/// A priced basket.
#[derive(Debug, Clone)]
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

/// Prices a basket at the cycle's prices and fees (stock checked).
pub fn at_cycle(
    conn: &mut crate::db::DbConn,
    cycle_id: &str,
    request: &QuoteRequest,
) -> Result<Quote, OrderError> {
    let offered = crate::orders::cycles::offer(conn, cycle_id)?;
    let fees = fees::for_cycle(conn, cycle_id)?;
    let legal = crate::ledger::currencies::legal(conn)?;
    price(legal, &offered, &fees, request)
}

/// A priced basket and every fee of the order it would make, producer fees included.
pub struct Priced {
    pub quote: Quote,
    /// Customer fees (as in the quote), then producer fees.
    pub fees: Vec<ComputedFee>,
    /// Per line of the quote: its producer and weight in grams.
    pub bases: Vec<FeeBase>,
}

/// Prices `request` against the cycle's offer and fees, stock included. Every bad line is
/// reported at once.
pub fn price(
    legal: Legal,
    offer: &[OfferedVariant],
    cycle_fees: &[CycleFeeRow],
    request: &QuoteRequest,
) -> Result<Quote, OrderError> {
    Ok(price_lines(legal, offer, cycle_fees, request, true)?.quote)
}

/// Prices `request` without checking stock: checkout takes the stock itself, atomically,
/// and answers a shortage with `out-of-stock` (409) rather than a field error.
pub fn price_for_checkout(
    legal: Legal,
    offer: &[OfferedVariant],
    cycle_fees: &[CycleFeeRow],
    request: &QuoteRequest,
) -> Result<Priced, OrderError> {
    price_lines(legal, offer, cycle_fees, request, false)
}

/// What a fee calculator needs of an offered variant bought in `quantity_milli` thousandths.
pub fn fee_base(offered: &OfferedVariant, total: i64, quantity_milli: i64) -> FeeBase {
    let unit = &offered.variant.unit;
    let weight_grams = if unit.kind == crate::catalog::UnitKind::Weight {
        let grams = i128::from(unit.value) * i128::from(quantity_milli) / 1000;
        i64::try_from(grams).unwrap_or(i64::MAX)
    } else {
        0
    };
    FeeBase {
        producer_id: offered.producer_id.clone(),
        total,
        quantity_milli,
        weight_grams,
    }
}

fn price_lines(
    legal: Legal,
    offer: &[OfferedVariant],
    cycle_fees: &[CycleFeeRow],
    request: &QuoteRequest,
    check_stock: bool,
) -> Result<Priced, OrderError> {
    if request.lines.is_empty() || request.lines.len() > MAX_LINES {
        return Err(OrderError::field(
            "lines",
            "out_of_range",
            format!("must hold between 1 and {MAX_LINES} lines"),
        ));
    }
    let by_id: HashMap<&str, &OfferedVariant> =
        offer.iter().map(|o| (o.variant.id.as_str(), o)).collect();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for (i, line) in request.lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        if !seen.insert(line.variant_id.as_str()) {
            errors.push(FieldError::new(
                field("variant_id"),
                "duplicate",
                "appears on another line; add the quantities",
            ));
            continue;
        }
        let Some(offered) = by_id.get(line.variant_id.as_str()) else {
            errors.push(FieldError::new(
                field("variant_id"),
                "not_offered",
                "is not offered in this order cycle",
            ));
            continue;
        };
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            errors.push(FieldError::new(
                field("quantity"),
                "out_of_range",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
            continue;
        }
        let v = &offered.variant;
        if check_stock && !v.on_demand && line.quantity > v.stock_on_hand.unwrap_or(0) {
            errors.push(FieldError::new(
                field("quantity"),
                "insufficient_stock",
                format!("only {} left", v.stock_on_hand.unwrap_or(0)),
            ));
            continue;
        }
        let unit_price = offered.cycle_price.minor;
        let Some(total) = unit_price
            .checked_mul(line.quantity)
            .filter(|t| *t <= MAX_BASKET_MINOR)
        else {
            errors.push(FieldError::new(
                field("quantity"),
                "too_large",
                "the line total is too large",
            ));
            continue;
        };
        lines.push(QuoteLine {
            variant_id: v.id.clone(),
            name: format!("{} — {}", offered.product_name, v.display_name),
            unit: v.unit.label.clone(),
            quantity: line.quantity,
            unit_price: legal.money(unit_price),
            total: legal.money(total),
            vat_rate: vat_percent(v.vat_rate_bp),
            vat: legal.money(vat_included(total, v.vat_rate_bp)),
            local_max: legal.money(share_floor(total, v.local_share_percent)),
        });
    }
    if errors.is_empty() && lines.iter().map(|l| l.total.minor).sum::<i64>() > MAX_BASKET_MINOR {
        errors.push(FieldError::new(
            "lines",
            "too_large",
            "the basket total is too large",
        ));
    }
    if !errors.is_empty() {
        return Err(OrderError::invalid(errors));
    }
    let bases: Vec<FeeBase> = lines
        .iter()
        .map(|l| {
            fee_base(
                by_id[l.variant_id.as_str()],
                l.total.minor,
                l.quantity * 1000,
            )
        })
        .collect();
    let computed = fees::compute(cycle_fees, &bases)?;
    let customer_fees: Vec<&ComputedFee> = computed
        .iter()
        .filter(|f| f.charged_to == ChargedTo::Customer)
        .collect();
    let items_total = lines.iter().map(|l| l.total.minor).sum::<i64>();
    let fees_total = customer_fees.iter().map(|f| f.amount).sum::<i64>();
    if fees_total > MAX_BASKET_MINOR {
        return Err(OrderError::field(
            "lines",
            "too_large",
            "the fees on this basket are too large",
        ));
    }
    let mut by_rate: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
    for line in &lines {
        let rate = by_id[line.variant_id.as_str()].variant.vat_rate_bp;
        let entry = by_rate.entry(rate).or_default();
        entry.0 += line.total.minor;
        entry.1 += line.vat.minor;
    }
    for fee in &customer_fees {
        let entry = by_rate.entry(fee.vat_rate_bp).or_default();
        entry.0 += fee.amount;
        entry.1 += fee.vat;
    }
    let vat_breakdown = by_rate
        .into_iter()
        .map(|(rate, (total, vat))| VatLine {
            rate: vat_percent(rate),
            base: legal.money(total - vat),
            vat: legal.money(vat),
            total: legal.money(total),
        })
        .collect();
    let sum = |f: fn(&QuoteLine) -> i64| lines.iter().map(f).sum::<i64>();
    let fee_sum = |f: fn(&ComputedFee) -> i64| customer_fees.iter().map(|c| f(c)).sum::<i64>();
    let quote = Quote {
        items_total: legal.money(items_total),
        fees_total: legal.money(fees_total),
        total: legal.money(items_total + fees_total),
        vat_total: legal.money(sum(|l| l.vat.minor) + fee_sum(|f| f.vat)),
        local_max: legal.money(sum(|l| l.local_max.minor) + fee_sum(|f| f.local_max)),
        fees: customer_fees
            .iter()
            .map(|f| FeeLine::of(f, legal))
            .collect(),
        vat_breakdown,
        lines,
    };
    Ok(Priced {
        quote,
        fees: computed,
        bases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_is_half_up_on_tax_inclusive_amounts() {
        // 10.55 € at 5.5 %: 10.55 × 5.5 / 105.5 = 0.55 exactly
        assert_eq!(vat_included(1055, 550), 55);
        // 1.00 € at 20 %: 0.1666… → 0.17
        assert_eq!(vat_included(100, 2000), 17);
        // 3.10 € at 5.5 %: 0.16161… → 0.16
        assert_eq!(vat_included(310, 550), 16);
        // exactly half a cent rounds up: 0.03 € at 20 % = 0.005 € → 0.01 €
        assert_eq!(vat_included(3, 2000), 1);
        assert_eq!(vat_included(21, 1000), 2);
        assert_eq!(vat_included(0, 2000), 0);
        assert_eq!(vat_included(999, 0), 0);
    }

    #[test]
    fn local_share_rounds_down() {
        assert_eq!(share_floor(999, 50), 499);
        assert_eq!(share_floor(1000, 100), 1000);
        assert_eq!(share_floor(1000, 0), 0);
        assert_eq!(share_floor(333, 33), 109);
    }
}
