//! Enterprise fees: what a hub charges in a cycle, computed by a calculator.
//!
//! A fee is **charged to the customer** (added to each order, shown in the quote and the
//! order, payable in local currency up to its `local_share_percent`) or **charged to the
//! producer** (deducted from what the hub owes the producer at close: a commission). Every
//! amount is tax included, at the fee's VAT rate.
//!
//! Calculators (all rounded half-up to the cent, on integer cents):
//! - `flat_per_order`: `amount` once per order — for a producer fee, once per producer with
//!   goods in the order;
//! - `flat_per_item`: `amount × items` (items in thousandths, so an adjusted weighed item
//!   counts for what was delivered);
//! - `percent_of_items`: `items total × percent`;
//! - `per_kg`: `amount × kilograms`, from the weight of the variants sold by weight (other
//!   units weigh nothing).
//!
//! The fee's VAT is `amount × rate / (1 + rate)`, half-up (as for lines, see
//! [`super::quote`]); its local maximum is `amount × local share`, rounded down.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalog::vat_percent;
use crate::db::schema::{cycle_fees, order_fees};
use crate::db::DbConn;
use crate::deployment::Legal;
use crate::error::FieldError;
use crate::money::Money;
use crate::money::{mul_div_half_up, share_floor, vat_included};
use crate::orders::OrderError;

/// What a fee pays for (as in Open Food Network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeType {
    Admin,
    Packing,
    Transport,
    Fundraising,
    Sales,
}

/// How a fee is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calculator {
    FlatPerOrder,
    FlatPerItem,
    PercentOfItems,
    PerKg,
}

/// Who pays a fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargedTo {
    Customer,
    Producer,
}

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Result<$name, OrderError> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err(OrderError::internal(format!("unknown {} `{other}`", stringify!($name)))),
                }
            }
        }
    };
}

text_enum!(FeeType { Admin => "admin", Packing => "packing", Transport => "transport", Fundraising => "fundraising", Sales => "sales" });
text_enum!(Calculator { FlatPerOrder => "flat_per_order", FlatPerItem => "flat_per_item", PercentOfItems => "percent_of_items", PerKg => "per_kg" });
text_enum!(ChargedTo { Customer => "customer", Producer => "producer" });

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cycle_fees)]
pub struct CycleFeeRow {
    pub id: String,
    pub order_cycle_id: String,
    pub name: String,
    pub fee_type: String,
    pub calculator: String,
    pub charged_to: String,
    pub amount_minor: i64,
    pub percent_bp: i32,
    pub vat_rate_bp: i32,
    pub local_share_percent: i32,
    pub created_at: NaiveDateTime,
}

/// A fee as shown to people (the API's view is `api::views::cycles::CycleFee`).
#[derive(Debug, Clone)]
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

impl CycleFee {
    /// A fee as stored, its amount in the legal currency `legal`.
    pub fn of(r: CycleFeeRow, legal: Legal) -> Result<Self, OrderError> {
        let calculator = Calculator::parse(&r.calculator)?;
        let percent = calculator == Calculator::PercentOfItems;
        Ok(CycleFee {
            fee_type: FeeType::parse(&r.fee_type)?,
            charged_to: ChargedTo::parse(&r.charged_to)?,
            amount: (!percent).then(|| legal.money(r.amount_minor)),
            percent: percent.then(|| vat_percent(r.percent_bp)),
            vat_rate: vat_percent(r.vat_rate_bp),
            local_share_percent: r.local_share_percent,
            calculator,
            id: r.id,
            name: r.name,
        })
    }
}

/// A new fee, as a hub manager sends it.
#[derive(Debug, Clone)]
pub struct NewFee {
    pub name: String,
    pub fee_type: FeeType,
    pub calculator: Calculator,
    pub charged_to: ChargedTo,
    /// Euros per order, per item or per kg, e.g. "0.50"; not for `percent_of_items`.
    pub amount: Option<String>,
    /// For `percent_of_items`: e.g. "5" or "7.5" (0 to 100).
    pub percent: Option<String>,
    /// VAT rate in percent, e.g. "20" or "5.5" (default: the standard rate, the highest
    /// configured).
    pub vat_rate: Option<String>,
    /// Share payable in local currency, 0–100 (default 100); customer fees only.
    pub local_share_percent: Option<i32>,
}

impl NewFee {
    /// The row to store, or every field error at once.
    pub fn into_row(
        self,
        rules: &crate::catalog::rules::CatalogRules,
        cycle_id: &str,
    ) -> Result<CycleFeeRow, OrderError> {
        use crate::money::{parse_amount, Sign};
        let mut errors = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new(
                "name",
                "length",
                "must be 1 to 100 characters",
            ));
        }
        let mut amount_minor = 0;
        let mut percent_bp = 0;
        if self.calculator == Calculator::PercentOfItems {
            match self
                .percent
                .as_deref()
                .map(|p| parse_amount(p, 2, Sign::NonNegative))
            {
                Some(Ok(bp)) if bp <= 10_000 => percent_bp = bp as i32,
                Some(Ok(_)) => errors.push(FieldError::new(
                    "percent",
                    "out_of_range",
                    "must be between 0 and 100",
                )),
                Some(Err(e)) => errors.push(FieldError::new("percent", e.code(), e.to_string())),
                None => errors.push(FieldError::new(
                    "percent",
                    "required",
                    "is required for percent_of_items",
                )),
            }
            if self.amount.is_some() {
                errors.push(FieldError::new(
                    "amount",
                    "not_allowed",
                    "percent_of_items takes a percent, not an amount",
                ));
            }
        } else {
            match self
                .amount
                .as_deref()
                .map(|a| parse_amount(a, 2, Sign::NonNegative))
            {
                Some(Ok(minor)) if minor <= super::limits::MAX_BASKET_MINOR => amount_minor = minor,
                Some(Ok(_)) => errors.push(FieldError::new("amount", "too_large", "is too large")),
                Some(Err(e)) => errors.push(FieldError::new("amount", e.code(), e.to_string())),
                None => errors.push(FieldError::new(
                    "amount",
                    "required",
                    "is required for this calculator",
                )),
            }
            if self.percent.is_some() {
                errors.push(FieldError::new(
                    "percent",
                    "not_allowed",
                    "only percent_of_items takes a percent",
                ));
            }
        }
        let vat_rate_bp = match self.vat_rate.as_deref().map(|r| rules.vat_rate(r)) {
            None => Ok(rules.standard_rate_bp()),
            Some(checked) => checked,
        };
        let vat_rate_bp = match vat_rate_bp {
            Ok(bp) => bp,
            Err((code, message)) => {
                errors.push(FieldError::new("vat_rate", code, message));
                0
            }
        };
        let local_share_percent = match (self.charged_to, self.local_share_percent) {
            (_, None) => 100,
            (ChargedTo::Customer, Some(p)) if (0..=100).contains(&p) => p,
            (ChargedTo::Customer, Some(_)) => {
                errors.push(FieldError::new(
                    "local_share_percent",
                    "out_of_range",
                    "must be between 0 and 100",
                ));
                0
            }
            (ChargedTo::Producer, Some(_)) => {
                errors.push(FieldError::new(
                    "local_share_percent",
                    "not_allowed",
                    "a producer fee is deducted from the producer's payment",
                ));
                0
            }
        };
        if !errors.is_empty() {
            return Err(OrderError::invalid(errors));
        }
        Ok(CycleFeeRow {
            id: crate::time::new_id(),
            order_cycle_id: cycle_id.into(),
            name,
            fee_type: self.fee_type.as_str().into(),
            calculator: self.calculator.as_str().into(),
            charged_to: self.charged_to.as_str().into(),
            amount_minor,
            percent_bp,
            vat_rate_bp,
            local_share_percent,
            created_at: crate::time::now(),
        })
    }
}

/// A cycle's fees, oldest first.
pub fn for_cycle(conn: &mut DbConn, cycle_id: &str) -> Result<Vec<CycleFeeRow>, OrderError> {
    Ok(cycle_fees::table
        .filter(cycle_fees::order_cycle_id.eq(cycle_id))
        .order((cycle_fees::created_at.asc(), cycle_fees::id.asc()))
        .select(CycleFeeRow::as_select())
        .load(conn.diesel())?)
}

/// Adds fees to a cycle.
pub fn insert(conn: &mut DbConn, rows: &[CycleFeeRow]) -> Result<(), OrderError> {
    crate::db::execute(
        conn.diesel(),
        diesel::insert_into(cycle_fees::table).values(rows),
    )?;
    Ok(())
}

/// A fee of one order as stored (see the migration `cycle_close`).
#[derive(Debug, Clone, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_fees)]
pub struct OrderFeeRow {
    pub id: String,
    pub order_id: String,
    pub fee_id: Option<String>,
    pub producer_id: Option<String>,
    pub name: String,
    pub fee_type: String,
    pub charged_to: String,
    pub amount_minor: i64,
    pub vat_rate_bp: i32,
    pub vat_minor: i64,
    pub local_max_minor: i64,
    pub local_alloc_minor: i64,
    pub vat_local_minor: i64,
}

/// The rows to store for an order's computed fees.
pub fn order_fee_rows(order_id: &str, computed: &[ComputedFee]) -> Vec<OrderFeeRow> {
    computed
        .iter()
        .map(|f| OrderFeeRow {
            id: crate::time::new_id(),
            order_id: order_id.into(),
            fee_id: Some(f.fee_id.clone()),
            producer_id: f.producer_id.clone(),
            name: f.name.clone(),
            fee_type: f.fee_type.clone(),
            charged_to: f.charged_to.as_str().into(),
            amount_minor: f.amount,
            vat_rate_bp: f.vat_rate_bp,
            vat_minor: f.vat,
            local_max_minor: f.local_max,
            local_alloc_minor: 0,
            vat_local_minor: 0,
        })
        .collect()
}

/// The fees of these orders, in their order then by id.
pub fn of_orders(conn: &mut DbConn, order_ids: &[&str]) -> Result<Vec<OrderFeeRow>, OrderError> {
    Ok(order_fees::table
        .filter(order_fees::order_id.eq_any(order_ids))
        .order((order_fees::order_id.asc(), order_fees::id.asc()))
        .select(OrderFeeRow::as_select())
        .load(conn.diesel())?)
}

/// What a fee's calculator needs of one line.
#[derive(Debug, Clone)]
pub struct FeeBase {
    pub producer_id: String,
    /// Line total, tax included, in cents.
    pub total: i64,
    /// Quantity in thousandths of the unit.
    pub quantity_milli: i64,
    /// Weight of the whole line in grams (0 if not sold by weight).
    pub weight_grams: i64,
}

/// A fee computed for one order (for a producer fee: for one producer of the order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputedFee {
    pub fee_id: String,
    pub producer_id: Option<String>,
    pub name: String,
    pub fee_type: String,
    pub charged_to: ChargedTo,
    pub amount: i64,
    pub vat_rate_bp: i32,
    pub vat: i64,
    pub local_max: i64,
}

fn calculate(fee: &CycleFeeRow, calculator: Calculator, lines: &[&FeeBase]) -> i64 {
    match calculator {
        Calculator::FlatPerOrder => fee.amount_minor,
        Calculator::FlatPerItem => {
            let milli = lines.iter().map(|l| l.quantity_milli).sum::<i64>();
            mul_div_half_up(fee.amount_minor, milli, 1000)
        }
        Calculator::PercentOfItems => {
            let total = lines.iter().map(|l| l.total).sum::<i64>();
            mul_div_half_up(total, i64::from(fee.percent_bp), 10_000)
        }
        Calculator::PerKg => {
            let grams = lines.iter().map(|l| l.weight_grams).sum::<i64>();
            mul_div_half_up(fee.amount_minor, grams, 1000)
        }
    }
}

/// The fees of an order with these lines: customer fees first, then producer fees by
/// producer id; fees that come to zero are left out. A producer's fees never exceed its
/// goods in the order (a later fee is cut to what is left): the hub never asks a producer
/// for money at close.
pub fn compute(fees: &[CycleFeeRow], lines: &[FeeBase]) -> Result<Vec<ComputedFee>, OrderError> {
    let mut producers: Vec<&str> = lines.iter().map(|l| l.producer_id.as_str()).collect();
    producers.sort_unstable();
    producers.dedup();
    let mut goods_left: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for line in lines {
        *goods_left.entry(line.producer_id.as_str()).or_default() += line.total;
    }
    let mut out = Vec::new();
    for charged_to in [ChargedTo::Customer, ChargedTo::Producer] {
        for fee in fees {
            if ChargedTo::parse(&fee.charged_to)? != charged_to {
                continue;
            }
            let calculator = Calculator::parse(&fee.calculator)?;
            let groups: Vec<(Option<&str>, Vec<&FeeBase>)> = match charged_to {
                ChargedTo::Customer => vec![(None, lines.iter().collect())],
                ChargedTo::Producer => producers
                    .iter()
                    .map(|p| {
                        let mine = lines.iter().filter(|l| l.producer_id == *p).collect();
                        (Some(*p), mine)
                    })
                    .collect(),
            };
            for (producer, group) in groups {
                let mut amount = calculate(fee, calculator, &group);
                if let Some(left) = producer.and_then(|p| goods_left.get_mut(p)) {
                    amount = amount.min(*left);
                    *left -= amount;
                }
                if amount == 0 {
                    continue;
                }
                out.push(ComputedFee {
                    fee_id: fee.id.clone(),
                    producer_id: producer.map(str::to_string),
                    name: fee.name.clone(),
                    fee_type: fee.fee_type.clone(),
                    charged_to,
                    amount,
                    vat_rate_bp: fee.vat_rate_bp,
                    vat: vat_included(amount, fee.vat_rate_bp),
                    local_max: match charged_to {
                        ChargedTo::Customer => share_floor(amount, fee.local_share_percent),
                        ChargedTo::Producer => 0,
                    },
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fee(calculator: Calculator, charged_to: ChargedTo, amount: i64, bp: i32) -> CycleFeeRow {
        CycleFeeRow {
            id: format!("{}-{}", calculator.as_str(), charged_to.as_str()),
            order_cycle_id: "c".into(),
            name: "fee".into(),
            fee_type: "admin".into(),
            calculator: calculator.as_str().into(),
            charged_to: charged_to.as_str().into(),
            amount_minor: amount,
            percent_bp: bp,
            vat_rate_bp: 2000,
            local_share_percent: 50,
            created_at: chrono::NaiveDateTime::default(),
        }
    }

    fn line(producer: &str, total: i64, quantity_milli: i64, weight_grams: i64) -> FeeBase {
        FeeBase {
            producer_id: producer.into(),
            total,
            quantity_milli,
            weight_grams,
        }
    }

    #[test]
    fn calculators_round_half_up() {
        let lines = [line("a", 1055, 3000, 1500), line("b", 999, 1250, 0)];
        let amounts = |f: CycleFeeRow| -> Vec<i64> {
            compute(&[f], &lines)
                .expect("computes")
                .iter()
                .map(|c| c.amount)
                .collect()
        };
        use Calculator::*;
        use ChargedTo::*;
        assert_eq!(amounts(fee(FlatPerOrder, Customer, 150, 0)), [150]);
        // 0.25 × 4.25 items = 1.0625 → 1.06
        assert_eq!(amounts(fee(FlatPerItem, Customer, 25, 0)), [106]);
        // 7.5 % of 20.54 = 1.5405 → 1.54
        assert_eq!(amounts(fee(PercentOfItems, Customer, 0, 750)), [154]);
        // 0.30 per kg × 1.5 kg = 0.45
        assert_eq!(amounts(fee(PerKg, Customer, 30, 0)), [45]);
        // per producer: once each, and a's 5 % of 10.55 = 0.5275 → 0.53, b's 0.4995 → 0.50
        assert_eq!(amounts(fee(FlatPerOrder, Producer, 100, 0)), [100, 100]);
        assert_eq!(amounts(fee(PercentOfItems, Producer, 0, 500)), [53, 50]);
        // b sells nothing by weight: its per-kg fee is zero and left out
        assert_eq!(amounts(fee(PerKg, Producer, 30, 0)), [45]);
        // a producer fee never exceeds the producer's goods
        assert_eq!(amounts(fee(FlatPerOrder, Producer, 1000, 0)), [1000, 999]);
    }

    #[test]
    fn vat_and_local_share_follow_the_line_rules() {
        let lines = [line("a", 1000, 1000, 0)];
        let computed = compute(
            &[fee(Calculator::FlatPerOrder, ChargedTo::Customer, 301, 0)],
            &lines,
        )
        .expect("computes");
        // 3.01 at 20 %: 0.50166… → 0.50; half of 3.01 rounded down → 1.50
        assert_eq!((computed[0].vat, computed[0].local_max), (50, 150));
        let producer = compute(
            &[fee(Calculator::FlatPerOrder, ChargedTo::Producer, 301, 0)],
            &lines,
        )
        .expect("computes");
        assert_eq!(producer[0].local_max, 0);
        assert_eq!(producer[0].producer_id.as_deref(), Some("a"));
    }
}
