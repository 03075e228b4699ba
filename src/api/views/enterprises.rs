//! Enterprises, their addresses and the producer-hub permissions.

use crate::enterprises::EnterpriseKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Fields of an enterprise a client may set. `None` leaves a field as it is (on update) or
/// at its default (on create); `Some("")` clears an optional text field.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseInput {
    #[schema(max_length = 120)]
    pub name: Option<String>,
    pub slug: Option<String>,
    pub kind: Option<EnterpriseKind>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<AddressInput>,
    /// France: a SIREN (9 digits, checked).
    pub siren: Option<String>,
    /// France: a SIRET (14 digits, checked; its SIREN when none is given).
    pub siret: Option<String>,
    /// Switzerland: the UID (`CHE-123.456.788`, checked).
    pub uid: Option<String>,
    /// France: `FR` + key + SIREN (or another EU number); Switzerland: the UID followed by
    /// `MWST`, `TVA` or `IVA`.
    pub vat_number: Option<String>,
    /// Local currencies accepted besides the legal currency (the list replaces the current one).
    pub accepted_currencies: Option<Vec<String>>,
    /// `public` or `hidden`.
    pub visibility: Option<String>,
    /// What the enterprise's order numbers start with (`CAG` → `CAG-2026-000123`): 2 to 6
    /// letters or digits, a letter first, written in upper case, unique in the deployment.
    /// Derived from the name when not given at creation.
    #[schema(example = "CAG", min_length = 2, max_length = 6)]
    pub order_prefix: Option<String>,
    /// The IANA time zone its mails show times in (`Europe/Paris`). At creation, its country's
    /// when not given (France: `Europe/Paris`, Switzerland: `Europe/Zurich`).
    #[schema(example = "Europe/Paris")]
    pub time_zone: Option<String>,
}

impl From<EnterpriseInput> for crate::enterprises::manage::EnterpriseInput {
    fn from(value: EnterpriseInput) -> Self {
        let EnterpriseInput {
            name,
            slug,
            kind,
            description,
            email,
            phone,
            address,
            siren,
            siret,
            uid,
            vat_number,
            accepted_currencies,
            visibility,
            order_prefix,
            time_zone,
        } = value;
        crate::enterprises::manage::EnterpriseInput {
            name,
            slug,
            kind,
            description,
            email,
            phone,
            address: address.map(Into::into),
            siren,
            siret,
            uid,
            vat_number,
            accepted_currencies,
            visibility,
            order_prefix,
            time_zone,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub line: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `FR`.
    pub country_code: Option<String>,
}

impl From<AddressInput> for crate::enterprises::manage::AddressInput {
    fn from(value: AddressInput) -> Self {
        let AddressInput {
            line,
            postcode,
            city,
            country_code,
        } = value;
        crate::enterprises::manage::AddressInput {
            line,
            postcode,
            city,
            country_code,
        }
    }
}

/// Postal address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Address {
    pub line: String,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
}

impl From<crate::enterprises::Address> for Address {
    fn from(value: crate::enterprises::Address) -> Self {
        let crate::enterprises::Address {
            line,
            postcode,
            city,
            country_code,
        } = value;
        Address {
            line,
            postcode,
            city,
            country_code,
        }
    }
}

/// An enterprise as shown by the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enterprise {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: EnterpriseKind,
    pub description: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Address,
    pub siren: Option<String>,
    pub siret: Option<String>,
    /// A Swiss enterprise's UID (`CHE-123.456.788`).
    pub uid: Option<String>,
    pub vat_number: Option<String>,
    /// `public` (listed in the directory) or `hidden` (seen by its own people only).
    pub visibility: String,
    /// Currencies the enterprise takes payment in: always the legal currency, plus local
    /// currencies.
    pub accepted_currencies: Vec<String>,
    /// What its order numbers start with (`CAG-2026-000123`).
    #[schema(example = "CAG")]
    pub order_prefix: String,
    /// The IANA time zone its mails show times in; the API's times stay in UTC.
    #[schema(example = "Europe/Paris")]
    pub time_zone: String,
    pub created_at: DateTime<chrono::Utc>,
}

impl From<crate::enterprises::Enterprise> for Enterprise {
    fn from(value: crate::enterprises::Enterprise) -> Self {
        let crate::enterprises::Enterprise {
            id,
            slug,
            name,
            kind,
            description,
            email,
            phone,
            address,
            siren,
            siret,
            uid,
            vat_number,
            visibility,
            accepted_currencies,
            order_prefix,
            time_zone,
            created_at,
        } = value;
        Enterprise {
            id,
            slug,
            name,
            kind,
            description,
            email,
            phone,
            address: address.into(),
            siren,
            siret,
            uid,
            vat_number,
            visibility,
            accepted_currencies,
            order_prefix,
            time_zone,
            created_at,
        }
    }
}

/// One permission, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Permission {
    pub producer_id: String,
    pub producer_name: String,
    pub hub_id: String,
    pub hub_name: String,
    pub can_add_to_order_cycles: bool,
    pub can_see_orders: bool,
    pub granted_at: DateTime<Utc>,
    /// When the hub accepted the producer as a supplier; `null`: not yet (not in its offer).
    pub hub_accepted_at: Option<DateTime<Utc>>,
}

impl From<crate::enterprises::relationships::Permission> for Permission {
    fn from(value: crate::enterprises::relationships::Permission) -> Self {
        let crate::enterprises::relationships::Permission {
            producer_id,
            producer_name,
            hub_id,
            hub_name,
            can_add_to_order_cycles,
            can_see_orders,
            granted_at,
            hub_accepted_at,
        } = value;
        Permission {
            producer_id,
            producer_name,
            hub_id,
            hub_name,
            can_add_to_order_cycles,
            can_see_orders,
            granted_at,
            hub_accepted_at,
        }
    }
}

/// What a revocation did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Revoked {
    /// Offers removed from the hub's cycles that have not opened yet.
    pub removed_from_upcoming_cycles: usize,
}

impl From<crate::enterprises::relationships::Revoked> for Revoked {
    fn from(value: crate::enterprises::relationships::Revoked) -> Self {
        let crate::enterprises::relationships::Revoked {
            removed_from_upcoming_cycles,
        } = value;
        Revoked {
            removed_from_upcoming_cycles,
        }
    }
}
