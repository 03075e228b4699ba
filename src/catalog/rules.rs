//! What a valid product and variant are — one set of rules for the HTTP API and the CSV
//! import, so a value refused by one is refused by the other with the same code.
//!
//! - SKU: 1–64 characters among letters, digits and `- _ . /`, unique per producer;
//! - display name: 1–120 characters; product name: 1–120 characters, unique per producer;
//! - unit: `weight` (grams), `volume` (millilitres) or `items` (with a unit name such as
//!   "bunch"), value a whole number from 1 to 1,000,000,000;
//! - price: tax-inclusive euros, at most 2 decimals, 0 to 1,000,000.00;
//! - VAT rate: one of the configured rates (default 0, 5.5, 10, 20 %);
//! - local share: whole percent 0–100 (default 100);
//! - stock: a whole number ≥ 0, or on demand (no stock kept).

use crate::error::FieldError;
use crate::money::{parse_amount, Sign};

use super::UnitKind;

/// Highest price accepted, in cents (a guard against typing errors such as `2800` for `28.00`
/// is not possible; this only keeps totals far from overflow).
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

/// Deployment rules of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRules {
    /// Accepted VAT rates in basis points (550 = 5.5 %), ascending.
    pub vat_rates_bp: Vec<i32>,
}

impl Default for CatalogRules {
    fn default() -> Self {
        CatalogRules {
            vat_rates_bp: vec![0, 550, 1000, 2000],
        }
    }
}

impl CatalogRules {
    /// The rules of a deployment in `country`: the configuration's `catalog.vat_rates`, or
    /// the country's.
    pub fn for_country(
        config: &crate::config::CatalogConfig,
        country: crate::deployment::Country,
    ) -> Result<CatalogRules, String> {
        CatalogRules::configured(config).unwrap_or_else(|| {
            CatalogRules::from_percents(
                &country
                    .vat_rates()
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>(),
            )
        })
    }

    /// The rules `catalog.vat_rates` sets, when it is set (checked when the configuration is
    /// read, and again when a deployment's rules are made).
    pub fn configured(
        config: &crate::config::CatalogConfig,
    ) -> Option<Result<CatalogRules, String>> {
        config.vat_rates.as_ref().map(|rates| {
            CatalogRules::from_percents(rates).map_err(|e| format!("catalog.vat_rates: {e}"))
        })
    }

    /// The rules of the deployment `conn` belongs to (its recorded country).
    pub fn for_deployment(
        conn: &mut crate::db::DbConn,
        config: &crate::config::CatalogConfig,
    ) -> Result<CatalogRules, String> {
        let country = crate::deployment::get(conn)
            .map_err(|e| e.to_string())?
            .country;
        CatalogRules::for_country(config, country)
    }

    pub fn from_percents(rates: &[String]) -> Result<CatalogRules, String> {
        let mut bp = Vec::new();
        for rate in rates {
            let v = parse_amount(rate.trim(), 2, Sign::NonNegative)
                .map_err(|e| format!("VAT rate `{rate}`: {e}"))?;
            if v > 10_000 {
                return Err(format!("VAT rate `{rate}` is above 100 %"));
            }
            bp.push(v as i32);
        }
        if bp.is_empty() {
            return Err("at least one VAT rate must be configured".into());
        }
        bp.sort_unstable();
        bp.dedup();
        Ok(CatalogRules { vat_rates_bp: bp })
    }

    fn rates_text(&self) -> String {
        self.vat_rates_bp
            .iter()
            .map(|bp| super::vat_percent(*bp))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A VAT rate in percent (`"5.5"`, `"5,5"` or `"5.5 %"`) to basis points, if configured.
    /// The standard rate: the highest configured (France 20 %, Switzerland 8.1 %), what a
    /// fee or a delivery charge bears unless told otherwise.
    pub fn standard_rate_bp(&self) -> i32 {
        self.vat_rates_bp.iter().copied().max().unwrap_or(0)
    }

    pub fn vat_rate(&self, text: &str) -> Result<i32, (&'static str, String)> {
        let cleaned = text.trim().trim_end_matches('%').trim().replace(',', ".");
        let bp = parse_amount(&cleaned, 2, Sign::NonNegative)
            .map_err(|e| (e.code(), format!("`{text}` is not a rate: {e}")))?;
        self.vat_rates_bp
            .iter()
            .copied()
            .find(|r| i64::from(*r) == bp)
            .ok_or_else(|| {
                (
                    "unknown_vat_rate",
                    format!(
                        "must be one of the configured rates: {} %",
                        self.rates_text()
                    ),
                )
            })
    }
}

/// Stock of a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stock {
    OnHand(i64),
    OnDemand,
}

/// A variant as a client describes it, before checking. Text fields are kept as sent.
#[derive(Debug, Clone, Default)]
pub struct VariantFields {
    pub sku: Option<String>,
    pub display_name: Option<String>,
    pub unit_kind: Option<String>,
    pub unit_value: Option<i64>,
    pub unit_name: Option<String>,
    /// Decimal euros, `.` or `,` as separator.
    pub price: Option<String>,
    pub vat_rate: Option<String>,
    pub local_share_percent: Option<i64>,
    pub stock: Option<Stock>,
}

/// A checked variant: every value is within the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantDraft {
    pub sku: String,
    pub display_name: String,
    pub unit_kind: UnitKind,
    pub unit_value: i64,
    pub unit_name: Option<String>,
    pub price_eur_minor: i64,
    pub vat_rate_bp: i32,
    pub local_share_percent: i32,
    pub stock: Stock,
}

/// Field names of a variant, as the JSON API spells them (the CSV import maps them to its
/// columns).
pub mod field {
    pub const SKU: &str = "sku";
    pub const DISPLAY_NAME: &str = "display_name";
    pub const UNIT_KIND: &str = "unit.kind";
    pub const UNIT_VALUE: &str = "unit.value";
    pub const UNIT_NAME: &str = "unit.name";
    pub const PRICE: &str = "price";
    pub const VAT_RATE: &str = "vat_rate";
    pub const LOCAL_SHARE: &str = "local_share_percent";
    pub const STOCK: &str = "stock";
}

pub fn check_sku(sku: &str) -> Result<String, (&'static str, String)> {
    let sku = sku.trim();
    if sku.is_empty() || sku.chars().count() > 64 {
        return Err(("invalid_length", "must be 1 to 64 characters".into()));
    }
    if !sku
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        return Err((
            "invalid_sku",
            "may hold only letters, digits and - _ . /".into(),
        ));
    }
    Ok(sku.to_string())
}

pub fn check_name(name: &str) -> Result<String, (&'static str, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(("invalid_length", "must be 1 to 120 characters".into()));
    }
    if name.chars().any(char::is_control) {
        return Err(("invalid_text", "must not hold control characters".into()));
    }
    Ok(name.to_string())
}

/// A euro price, `.` or `,` as decimal separator.
pub fn check_price(text: &str) -> Result<i64, (&'static str, String)> {
    let cleaned = text.trim().replace(',', ".");
    let minor = parse_amount(&cleaned, 2, Sign::NonNegative)
        .map_err(|e| (e.code(), format!("`{text}`: {e}")))?;
    if minor > MAX_PRICE_MINOR {
        return Err(("out_of_range", "must be at most 1000000.00".into()));
    }
    Ok(minor)
}

impl VariantFields {
    /// Checks every field (a missing one is `required`), calling `error` for each problem.
    pub fn check(
        &self,
        rules: &CatalogRules,
        error: &mut dyn FnMut(&'static str, &'static str, String),
    ) -> Option<VariantDraft> {
        let mut ok = true;
        let mut fail = |f: &'static str, (code, msg): (&'static str, String)| {
            ok = false;
            error(f, code, msg);
        };
        let required = || ("required", "is required".to_string());
        let sku = match &self.sku {
            Some(s) => check_sku(s).map_err(|e| fail(field::SKU, e)).ok(),
            None => {
                fail(field::SKU, required());
                None
            }
        };
        let display_name = match &self.display_name {
            Some(s) => check_name(s).map_err(|e| fail(field::DISPLAY_NAME, e)).ok(),
            None => {
                fail(field::DISPLAY_NAME, required());
                None
            }
        };
        let unit_kind = match self.unit_kind.as_deref().map(str::trim) {
            Some(k) => match UnitKind::parse(k) {
                Some(k) => Some(k),
                None => {
                    fail(
                        field::UNIT_KIND,
                        ("invalid_choice", "must be weight, volume or items".into()),
                    );
                    None
                }
            },
            None => {
                fail(field::UNIT_KIND, required());
                None
            }
        };
        let unit_value = match self.unit_value {
            Some(v) if (1..=1_000_000_000).contains(&v) => Some(v),
            Some(_) => {
                fail(
                    field::UNIT_VALUE,
                    (
                        "out_of_range",
                        "must be a whole number from 1 to 1000000000 (grams, millilitres or items)"
                            .into(),
                    ),
                );
                None
            }
            None => {
                fail(field::UNIT_VALUE, required());
                None
            }
        };
        let unit_name = self
            .unit_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        if unit_name.as_ref().is_some_and(|n| n.chars().count() > 40) {
            fail(
                field::UNIT_NAME,
                ("too_long", "must be at most 40 characters".into()),
            );
        }
        let price = match &self.price {
            Some(p) => check_price(p).map_err(|e| fail(field::PRICE, e)).ok(),
            None => {
                fail(field::PRICE, required());
                None
            }
        };
        let vat = match &self.vat_rate {
            Some(v) => rules.vat_rate(v).map_err(|e| fail(field::VAT_RATE, e)).ok(),
            None => {
                fail(field::VAT_RATE, required());
                None
            }
        };
        let share = match self.local_share_percent {
            None => Some(100),
            Some(s) if (0..=100).contains(&s) => Some(s as i32),
            Some(_) => {
                fail(
                    field::LOCAL_SHARE,
                    (
                        "out_of_range",
                        "must be a whole percent from 0 to 100".into(),
                    ),
                );
                None
            }
        };
        let stock = match self.stock {
            Some(Stock::OnHand(n)) if n < 0 => {
                fail(field::STOCK, ("negative", "must be 0 or more".into()));
                None
            }
            Some(s) => Some(s),
            None => {
                fail(
                    field::STOCK,
                    (
                        "required",
                        "is required: a whole number, or on demand".into(),
                    ),
                );
                None
            }
        };
        if !ok {
            return None;
        }
        Some(VariantDraft {
            sku: sku?,
            display_name: display_name?,
            unit_kind: unit_kind?,
            unit_value: unit_value?,
            unit_name,
            price_eur_minor: price?,
            vat_rate_bp: vat?,
            local_share_percent: share?,
            stock: stock?,
        })
    }
}

/// Collects [`VariantFields::check`]'s complaints as API field errors under `prefix`.
pub fn check_into(
    fields: &VariantFields,
    rules: &CatalogRules,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Option<VariantDraft> {
    fields.check(rules, &mut |f, code, msg| {
        errors.push(FieldError::new(format!("{prefix}{f}"), code, msg))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> VariantFields {
        VariantFields {
            sku: Some("CAR-1KG".into()),
            display_name: Some("1 kg".into()),
            unit_kind: Some("weight".into()),
            unit_value: Some(1000),
            unit_name: None,
            price: Some("2,80".into()),
            vat_rate: Some("5.5 %".into()),
            local_share_percent: None,
            stock: Some(Stock::OnHand(12)),
        }
    }

    #[test]
    fn a_good_variant_is_checked_exactly() {
        let draft = good()
            .check(&CatalogRules::default(), &mut |_, _, _| panic!())
            .unwrap();
        assert_eq!(draft.price_eur_minor, 280);
        assert_eq!(draft.vat_rate_bp, 550);
        assert_eq!(draft.local_share_percent, 100);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = VariantFields {
            sku: Some("car 1kg".into()),
            price: Some("2.805".into()),
            vat_rate: Some("7".into()),
            local_share_percent: Some(101),
            stock: None,
            ..good()
        };
        let mut seen = Vec::new();
        assert!(bad
            .check(&CatalogRules::default(), &mut |f, code, _| seen
                .push((f, code)))
            .is_none());
        assert_eq!(
            seen,
            vec![
                ("sku", "invalid_sku"),
                ("price", "too_many_decimals"),
                ("vat_rate", "unknown_vat_rate"),
                ("local_share_percent", "out_of_range"),
                ("stock", "required"),
            ]
        );
    }

    #[test]
    fn configured_rates() {
        let rules =
            CatalogRules::from_percents(&["20".into(), "5.5".into(), "2.1".into()]).unwrap();
        assert_eq!(rules.vat_rates_bp, vec![210, 550, 2000]);
        assert!(CatalogRules::from_percents(&["abc".into()]).is_err());
        assert!(CatalogRules::from_percents(&[]).is_err());
    }
}
