//! Money at the edge: integer minor units inside, exact decimal strings outside.
//!
//! - [`CurrencyCode`]: three upper-case ASCII letters; cannot hold anything else.
//! - [`Amount`]: the domain's amount — minor units and their currency — carried from the
//!   checkout through the ledger and the close to the books; adding amounts of two currencies
//!   is an error, not a bug waiting to happen.
//! - [`Money`]: an amount with its currency's decimals, ready to show; serialises as
//!   `{"amount":"12.50","currency":"LEM"}` with exactly `scale` decimals.
//! - [`minor_scale`] is the one rule for a currency's decimals, [`format_minor`] the one
//!   formatter of minor units (the FEC's decimal comma, the mails' locales and the Odoo
//!   exports are presentations of its output).
//! - [`parse_amount`]: reads a decimal string exactly (never through a float), refusing more
//!   decimals than the currency's scale, signs where not allowed, exponents and overflow.
//!
//! Floats never touch money anywhere in Comptoir.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO-4217-style code: three upper-case ASCII letters (`EUR`, `LEM`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    pub const EUR: CurrencyCode = CurrencyCode(*b"EUR");
    pub const CHF: CurrencyCode = CurrencyCode(*b"CHF");

    pub fn as_str(&self) -> &str {
        // only ASCII upper-case letters are ever stored
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for CurrencyCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Ok(CurrencyCode([*a, *b, *c]))
            }
            _ => Err(format!(
                "`{s}` is not a currency code (three upper-case letters, e.g. EUR)"
            )),
        }
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<&str> for CurrencyCode {
    type Error = String;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl PartialEq<str> for CurrencyCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for CurrencyCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for CurrencyCode {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount of one currency: minor units (cents for the euro) and the currency's code.
///
/// Its decimals are its currency's (`currencies.scale`): [`Amount::with_scale`] gives the
/// [`Money`] to show. Arithmetic is checked: amounts of two currencies never add up, and an
/// overflow is an error, never a wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    pub minor: i64,
    pub currency: CurrencyCode,
}

/// Why two amounts cannot be combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountMismatch {
    #[error("cannot combine {0} with {1}")]
    Currencies(CurrencyCode, CurrencyCode),
    #[error("the amount is too large")]
    Overflow,
}

impl Amount {
    pub const fn new(minor: i64, currency: CurrencyCode) -> Amount {
        Amount { minor, currency }
    }

    /// Euro cents (tests; the domain takes the deployment's legal currency,
    /// [`crate::deployment::Legal::amount`]).
    #[cfg(test)]
    pub const fn eur(cents: i64) -> Amount {
        Amount::new(cents, CurrencyCode::EUR)
    }

    pub const fn zero(currency: CurrencyCode) -> Amount {
        Amount::new(0, currency)
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    fn same(&self, other: Amount) -> Result<(), AmountMismatch> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(AmountMismatch::Currencies(self.currency, other.currency))
        }
    }

    pub fn checked_add(self, other: Amount) -> Result<Amount, AmountMismatch> {
        self.same(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(AmountMismatch::Overflow)?;
        Ok(Amount::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Amount) -> Result<Amount, AmountMismatch> {
        self.same(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(AmountMismatch::Overflow)?;
        Ok(Amount::new(minor, self.currency))
    }

    /// The smaller of two amounts of one currency.
    pub fn min(self, other: Amount) -> Result<Amount, AmountMismatch> {
        self.same(other)?;
        Ok(Amount::new(self.minor.min(other.minor), self.currency))
    }

    /// This amount with its currency's decimals (the stored `currencies.scale`).
    pub fn with_scale(self, stored_scale: i32) -> Money {
        Money::new(self.minor, self.currency, minor_scale(stored_scale))
    }
}

impl fmt::Display for Amount {
    /// Minor units and code, `1250 EUR`: for logs and messages that do not know the scale.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.minor, self.currency)
    }
}

/// An amount of one currency, as exchanged over the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: CurrencyCode,
    /// Number of decimals of the currency (0–4).
    pub scale: u32,
}

impl Money {
    pub fn new(minor: i64, currency: CurrencyCode, scale: u32) -> Money {
        Money {
            minor,
            currency,
            scale,
        }
    }

    /// Euro cents (tests; the domain takes the deployment's legal currency,
    /// [`crate::deployment::Legal::money`]).
    #[cfg(test)]
    pub fn eur(cents: i64) -> Money {
        Money::new(cents, CurrencyCode::EUR, 2)
    }

    /// The amount without its decimals.
    pub fn amount(&self) -> Amount {
        Amount::new(self.minor, self.currency)
    }

    /// The amount as an exact decimal string with exactly `scale` decimals: `"12.50"`.
    pub fn amount_string(&self) -> String {
        format_minor(self.minor, self.scale)
    }
}

/// An amount as someone typed it, not yet read against its currency's decimals: `"12.50"`
/// of `LEM`. [`parse_amount`] reads it once the currency is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountInput {
    pub amount: String,
    pub currency: CurrencyCode,
}

/// The serialised form of [`Money`]: `{"amount": "12.50", "currency": "LEM"}`, the amount
/// an exact decimal string (the API documents it as `Money`).
#[derive(Serialize)]
struct MoneyJson {
    amount: String,
    currency: String,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyJson {
            amount: self.amount_string(),
            currency: self.currency.to_string(),
        }
        .serialize(s)
    }
}

/// The decimals of a currency's minor unit, as stored (`currencies.scale`), within what
/// Comptoir handles: 0 to 4. The one place the rule is written.
pub fn minor_scale(stored: i32) -> u32 {
    stored.clamp(0, 4) as u32
}

/// Formats minor units as a decimal string with exactly `scale` decimals.
pub fn format_minor(minor: i64, scale: u32) -> String {
    Decimal::new(minor, scale.min(28)).to_string()
}

/// Why a decimal string is not an acceptable amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("must be a decimal string such as \"12.50\"")]
    NotADecimal,
    #[error("has more than {scale} decimal places")]
    TooManyDecimals { scale: u32 },
    #[error("must not be negative")]
    Negative,
    #[error("must be greater than zero")]
    NotPositive,
    #[error("is too large")]
    Overflow,
}

impl AmountError {
    /// Stable code used in problem+json field errors.
    pub fn code(&self) -> &'static str {
        match self {
            AmountError::NotADecimal => "not_a_decimal",
            AmountError::TooManyDecimals { .. } => "too_many_decimals",
            AmountError::Negative => "negative",
            AmountError::NotPositive => "not_positive",
            AmountError::Overflow => "overflow",
        }
    }
}

/// Which signs an amount may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Strictly greater than zero (transfers, top-ups).
    Positive,
    /// Zero or more (prices, limits).
    NonNegative,
    /// Any sign (balances, adjustments).
    Any,
}

/// Parses `"12.50"` into minor units at `scale`, exactly.
///
/// Accepted: optional leading `-`, digits, optional `.` and at most `scale` digits. Refused:
/// exponents, `+`, spaces, thousands separators, commas, empty strings, and values that do
/// not fit an `i64` of minor units.
pub fn parse_amount(text: &str, scale: u32, sign: Sign) -> Result<i64, AmountError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (!digits.contains('.') || !frac.is_empty());
    if !well_formed {
        return Err(AmountError::NotADecimal);
    }
    // trailing zeros beyond the scale are harmless ("1.500" at scale 2 is 1.50)
    let significant = frac.trim_end_matches('0');
    if significant.len() > scale as usize {
        return Err(AmountError::TooManyDecimals { scale });
    }
    let minus = if text.starts_with('-') { "-" } else { "" };
    let trimmed = if significant.is_empty() {
        format!("{minus}{int}")
    } else {
        format!("{minus}{int}.{significant}")
    };
    // the text is well formed, so the only way parsing fails is too many digits
    let value = Decimal::from_str_exact(&trimmed).map_err(|_| AmountError::Overflow)?;
    let minor = value
        .checked_mul(Decimal::from(10_i64.pow(scale)))
        .and_then(|m| i64::try_from(m.trunc()).ok())
        .ok_or(AmountError::Overflow)?;
    match sign {
        Sign::Positive if minor <= 0 => Err(AmountError::NotPositive),
        Sign::NonNegative if minor < 0 => Err(AmountError::Negative),
        _ => Ok(minor),
    }
}

// Arithmetic on minor units (i128 inside, so no product overflows).

/// `amount × rate_bp / (10000 + rate_bp)`, half-up, for non-negative amounts.
pub fn vat_included(amount: i64, rate_bp: i32) -> i64 {
    let num = i128::from(amount) * i128::from(rate_bp);
    let den = 10_000 + i128::from(rate_bp);
    ((2 * num + den) / (2 * den)) as i64
}

/// `a × b / d` (d > 0), half-up, for non-negative values; saturates far above any basket.
pub fn mul_div_half_up(a: i64, b: i64, d: i64) -> i64 {
    let num = i128::from(a) * i128::from(b);
    let d = i128::from(d);
    i64::try_from((2 * num + d) / (2 * d)).unwrap_or(i64::MAX)
}

/// `amount × percent / 100`, rounded down, for non-negative amounts.
pub fn share_floor(amount: i64, percent: i32) -> i64 {
    (i128::from(amount) * i128::from(percent) / 100) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_exact_scale() {
        assert_eq!(Money::eur(1250).amount_string(), "12.50");
        assert_eq!(format_minor(-5, 2), "-0.05");
        assert_eq!(format_minor(7, 0), "7");
        assert_eq!(format_minor(12345, 4), "1.2345");
        let json = serde_json::to_value(Money::eur(1250)).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"amount": "12.50", "currency": "EUR"})
        );
    }

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_amount("12.50", 2, Sign::Positive), Ok(1250));
        assert_eq!(parse_amount("12.5", 2, Sign::Positive), Ok(1250));
        assert_eq!(parse_amount("12", 2, Sign::Positive), Ok(1200));
        assert_eq!(parse_amount("0.1", 2, Sign::Positive), Ok(10));
        assert_eq!(parse_amount("1.500", 2, Sign::Positive), Ok(150));
        let many_zeros = format!("1.5{}", "0".repeat(40));
        assert_eq!(parse_amount(&many_zeros, 2, Sign::Positive), Ok(150));
        assert_eq!(parse_amount("-3.25", 2, Sign::Any), Ok(-325));
        assert_eq!(parse_amount("0", 2, Sign::NonNegative), Ok(0));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in [
            "", "-", ".5", "5.", "1e3", "+1", " 1", "1,50", "1 000", "0x10", "NaN", "1.2.3",
        ] {
            assert_eq!(
                parse_amount(bad, 2, Sign::Any),
                Err(AmountError::NotADecimal),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_amount("1.234", 2, Sign::Any),
            Err(AmountError::TooManyDecimals { scale: 2 })
        );
        assert_eq!(
            parse_amount("1.5", 0, Sign::Any),
            Err(AmountError::TooManyDecimals { scale: 0 })
        );
        assert_eq!(
            parse_amount("-1", 2, Sign::NonNegative),
            Err(AmountError::Negative)
        );
        assert_eq!(
            parse_amount("0.00", 2, Sign::Positive),
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            parse_amount("92233720368547758.08", 2, Sign::Any),
            Err(AmountError::Overflow)
        );
        assert_eq!(
            parse_amount("99999999999999999999999999999999", 2, Sign::Any),
            Err(AmountError::Overflow)
        );
    }

    #[test]
    fn amounts_of_two_currencies_never_combine() {
        let lem: CurrencyCode = "LEM".parse().expect("a code");
        let a = Amount::new(500, lem);
        assert_eq!(
            a.checked_add(Amount::new(250, lem)),
            Ok(Amount::new(750, lem))
        );
        assert_eq!(
            a.checked_sub(Amount::new(750, lem)),
            Ok(Amount::new(-250, lem))
        );
        assert_eq!(
            a.checked_add(Amount::eur(1)),
            Err(AmountMismatch::Currencies(lem, CurrencyCode::EUR))
        );
        assert_eq!(
            Amount::eur(i64::MAX).checked_add(Amount::eur(1)),
            Err(AmountMismatch::Overflow)
        );
        assert_eq!(a.min(Amount::new(20, lem)), Ok(Amount::new(20, lem)));
        assert_eq!(a.with_scale(2).amount_string(), "5.00");
        assert_eq!(a.with_scale(9).amount_string(), "0.0500");
    }

    #[test]
    fn currency_codes_are_three_upper_case_letters() {
        assert!("LEM".parse::<CurrencyCode>().is_ok());
        for bad in ["lem", "EU", "EURO", "E1R", "", "ÉUR"] {
            assert!(bad.parse::<CurrencyCode>().is_err(), "{bad}");
        }
    }
}
