//! Currencies: the deployment's legal tender (the euro unless it chose another, see
//! [`crate::deployment`]) and the local complementary currencies issued by associations.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::currencies;
use crate::db::DbConn;
use crate::deployment::{Legal, Tender};
use crate::money::{Amount, CurrencyCode, Money};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = currencies)]
pub struct CurrencyRow {
    pub code: String,
    pub name: String,
    pub symbol: String,
    pub scale: i32,
    pub kind: String,
    pub parity_to_eur: Option<String>,
    pub issuer_id: Option<String>,
    pub created_at: NaiveDateTime,
    /// Whether a member's wallet may pay another member's wallet.
    pub allow_member_to_member: bool,
}

/// `fiat` (the legal tender) or `local` (a complementary currency backed by a guarantee fund).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CurrencyKind {
    Fiat,
    Local,
}

impl CurrencyKind {
    pub const ALL: &'static [CurrencyKind] = &[CurrencyKind::Fiat, CurrencyKind::Local];

    pub fn as_str(self) -> &'static str {
        match self {
            CurrencyKind::Fiat => "fiat",
            CurrencyKind::Local => "local",
        }
    }
}

/// A currency as shown by the API.
#[derive(Debug, Clone)]
pub struct Currency {
    pub code: String,
    pub name: String,
    pub symbol: String,
    /// Number of decimals of the minor unit (2 for cents).
    pub scale: i32,
    pub kind: CurrencyKind,
    /// Value of one unit in euros, as an exact decimal string (local currencies only).
    pub parity_to_eur: Option<String>,
    /// The association that issues it (local currencies only).
    pub issuer_id: Option<String>,
}

impl From<CurrencyRow> for Currency {
    fn from(row: CurrencyRow) -> Currency {
        Currency {
            kind: if row.kind == "local" {
                CurrencyKind::Local
            } else {
                CurrencyKind::Fiat
            },
            code: row.code,
            name: row.name,
            symbol: row.symbol,
            scale: row.scale,
            parity_to_eur: row.parity_to_eur,
            issuer_id: row.issuer_id,
        }
    }
}

/// The deployment's legal currency (its code and decimals).
pub fn legal(conn: &mut DbConn) -> Result<Legal, super::LedgerError> {
    Ok(crate::deployment::legal(conn)?)
}

/// Inserts the legal tender `tender` (fiat) when missing: every deployment has its own.
pub fn ensure_legal(conn: &mut DbConn, tender: Tender) -> Result<(), super::LedgerError> {
    let exists: i64 = currencies::table
        .filter(currencies::code.eq(tender.code))
        .count()
        .get_result(conn.diesel())?;
    if exists == 0 {
        let euro = CurrencyRow {
            code: tender.code.into(),
            name: tender.name.into(),
            symbol: tender.symbol.into(),
            scale: tender.scale as i32,
            kind: "fiat".into(),
            parity_to_eur: None,
            issuer_id: None,
            created_at: crate::time::now(),
            allow_member_to_member: true,
        };
        diesel::insert_into(currencies::table)
            .values(&euro)
            .execute(conn.diesel())?;
    }
    Ok(())
}

/// Every currency, by code.
pub fn list(conn: &mut DbConn) -> Result<Vec<Currency>, super::LedgerError> {
    let rows: Vec<CurrencyRow> = currencies::table
        .select(CurrencyRow::as_select())
        .order(currencies::code.asc())
        .load(conn.diesel())?;
    Ok(rows.into_iter().map(Currency::from).collect())
}

/// One currency row, or `CurrencyNotFound`.
pub fn get(conn: &mut DbConn, code: &str) -> Result<CurrencyRow, super::LedgerError> {
    let row: Option<CurrencyRow> = currencies::table
        .find(code)
        .select(CurrencyRow::as_select())
        .first(conn.diesel())
        .optional()?;
    row.ok_or_else(|| super::LedgerError::CurrencyNotFound(code.to_string()))
}

/// A currency code read from the database, typed. Every stored code was parsed when its
/// currency was created, so a code that does not parse is a broken invariant.
pub fn stored_code(code: &str) -> Result<CurrencyCode, super::LedgerError> {
    code.parse().map_err(super::LedgerError::Invariant)
}

impl CurrencyRow {
    pub fn is_local(&self) -> bool {
        self.kind == "local"
    }

    /// Its code, typed (every stored code was parsed when the currency was created).
    pub fn code(&self) -> Result<CurrencyCode, super::LedgerError> {
        stored_code(&self.code)
    }

    /// Decimals of its minor unit ([`crate::money::minor_scale`]).
    pub fn decimals(&self) -> u32 {
        crate::money::minor_scale(self.scale)
    }

    /// `minor` units of this currency.
    pub fn amount(&self, minor: i64) -> Result<Amount, super::LedgerError> {
        Ok(Amount::new(minor, self.code()?))
    }

    /// An amount of this currency with its decimals, to show.
    pub fn money(&self, minor: i64) -> Result<Money, super::LedgerError> {
        Ok(self.amount(minor)?.with_scale(self.scale))
    }

    /// The value of `amount` (of this currency) in the legal currency, when it is a whole
    /// number of its minor units.
    pub fn to_legal(&self, legal: Legal, amount: Amount) -> Result<Amount, super::LedgerError> {
        self.is_mine(amount)?;
        Ok(legal.amount(self.to_legal_minor(legal, amount.minor)?))
    }

    /// How much of this currency is worth `value` (of the legal currency), when exact.
    pub fn from_legal(&self, legal: Legal, value: Amount) -> Result<Amount, super::LedgerError> {
        if value.currency != legal.code {
            return Err(super::LedgerError::Invariant(format!(
                "{value} is not an amount of the legal currency {}",
                legal.code
            )));
        }
        self.amount(self.from_legal_minor(legal, value.minor)?)
    }

    fn is_mine(&self, amount: Amount) -> Result<(), super::LedgerError> {
        if amount.currency == self.code {
            Ok(())
        } else {
            Err(super::LedgerError::Invariant(format!(
                "{amount} is not an amount of {}",
                self.code
            )))
        }
    }

    /// Units of the legal currency per unit of this one (1 when not set).
    fn parity(&self) -> Result<rust_decimal::Decimal, super::LedgerError> {
        match &self.parity_to_eur {
            Some(p) => p
                .parse()
                .map_err(|_| super::LedgerError::Invariant(format!("bad parity {p}"))),
            None => Ok(rust_decimal::Decimal::ONE),
        }
    }

    /// The value in minor units of the legal currency of `minor` units of this currency,
    /// when exact.
    pub fn to_legal_minor(&self, legal: Legal, minor: i64) -> Result<i64, super::LedgerError> {
        use rust_decimal::Decimal;
        let parity = self.parity()?;
        let value = Decimal::new(minor, self.decimals())
            .checked_mul(parity)
            .ok_or(super::LedgerError::Overflow)?;
        let cents = value
            .checked_mul(Decimal::from(10_i64.pow(legal.scale)))
            .ok_or(super::LedgerError::Overflow)?;
        if cents.fract() != Decimal::ZERO {
            return Err(super::LedgerError::Invalid {
                field: "amount".into(),
                message: format!(
                    "{} {} is not a whole number of {} minor units",
                    value, self.code, legal.code
                ),
            });
        }
        i64::try_from(cents.trunc()).map_err(|_| super::LedgerError::Overflow)
    }

    /// How many minor units of this currency are worth `legal_minor` minor units of the legal
    /// currency, when exact.
    pub fn from_legal_minor(
        &self,
        legal: Legal,
        legal_minor: i64,
    ) -> Result<i64, super::LedgerError> {
        use rust_decimal::Decimal;
        let parity = self.parity()?;
        if parity.is_zero() {
            return Err(super::LedgerError::Invariant(format!(
                "{} has a zero parity",
                self.code
            )));
        }
        let units = Decimal::new(legal_minor, legal.scale)
            .checked_div(parity)
            .and_then(|u| u.checked_mul(Decimal::from(10_i64.pow(self.decimals()))))
            .ok_or(super::LedgerError::Overflow)?;
        if units.fract() != Decimal::ZERO {
            return Err(super::LedgerError::Invalid {
                field: "amount".into(),
                message: format!(
                    "{} {} minor units are not a whole number of {} units",
                    legal_minor, legal.code, self.code
                ),
            });
        }
        i64::try_from(units.trunc()).map_err(|_| super::LedgerError::Overflow)
    }
}
