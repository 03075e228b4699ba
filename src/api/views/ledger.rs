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
    /// Value of one unit in the deployment's legal currency, as an exact decimal string
    /// (local currencies only).
    pub parity: Option<String>,
    /// The association that issues it (local currencies only).
    pub issuer_id: Option<String>,
    /// `parity`, under its former name (from when the legal currency was always the euro).
    #[schema(deprecated)]
    pub parity_to_eur: Option<String>,
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
            parity: parity_to_eur.clone(),
            issuer_id,
            parity_to_eur,
        }
    }
}
