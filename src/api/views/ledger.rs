//! Currencies as listed.

use crate::ledger::currencies::CurrencyKind;
use serde::Serialize;
use utoipa::ToSchema;

/// A currency as shown by the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<crate::ledger::currencies::Currency> for Currency {
    fn from(value: crate::ledger::currencies::Currency) -> Self {
        let crate::ledger::currencies::Currency {
            code,
            name,
            symbol,
            scale,
            kind,
            parity_to_eur,
            issuer_id,
        } = value;
        Currency {
            code,
            name,
            symbol,
            scale,
            kind,
            parity_to_eur,
            issuer_id,
        }
    }
}
