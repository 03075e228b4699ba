//! Delivery addresses: an order's, a person's saved ones, and the bodies that give them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::orders::addresses as domain;

/// Where an order is delivered, as given at checkout (a copy: editing a saved address later
/// does not change it).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"name": "Camille Fèvre", "line1": "3 rue des Lilas", "line2": null, "postcode": "69004", "city": "Lyon", "country": "FR", "phone": "0612345678", "note": "Code 1234"}))]
pub struct DeliveryAddress {
    /// The person or organisation receiving the delivery.
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Digits, after a `+` when international.
    pub phone: String,
    /// For the deliverer (door code, floor…).
    pub note: Option<String>,
}

impl From<domain::DeliveryAddress> for DeliveryAddress {
    fn from(value: domain::DeliveryAddress) -> Self {
        DeliveryAddress {
            name: value.name().into(),
            line1: value.line1().into(),
            line2: value.line2().map(Into::into),
            postcode: value.postcode().into(),
            city: value.city().into(),
            country: value.country().into(),
            phone: value.phone().into(),
            note: value.note().map(Into::into),
        }
    }
}

/// One of the caller's saved addresses.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedAddress {
    pub id: String,
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub phone: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<domain::SavedAddress> for SavedAddress {
    fn from(value: domain::SavedAddress) -> Self {
        let domain::SavedAddress {
            id,
            address,
            created_at,
            updated_at,
        } = value;
        let DeliveryAddress {
            name,
            line1,
            line2,
            postcode,
            city,
            country,
            phone,
            note,
        } = address.into();
        SavedAddress {
            id,
            name,
            line1,
            line2,
            postcode,
            city,
            country,
            phone,
            note,
            created_at,
            updated_at,
        }
    }
}

/// An address to deliver to. Checked: `name`, `line1`, `postcode`, `city` and `phone` are
/// required; the postcode by its country's rules (France: 5 digits, a department 01–95 or an
/// overseas 971–978, 984, 986–988 — Corsica is 20xxx; Switzerland: 4 digits, 1000–9699); the
/// phone 6 to 15 digits, spaces, dots, hyphens and parentheses allowed, after an optional `+`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Camille Fèvre", "line1": "3 rue des Lilas", "postcode": "69004", "city": "Lyon", "phone": "06 12 34 56 78", "note": "Code 1234"}))]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(min_length = 1, max_length = 120)]
    pub line1: String,
    #[serde(default)]
    #[schema(max_length = 120)]
    pub line2: Option<String>,
    #[schema(min_length = 1, max_length = 12)]
    pub postcode: String,
    #[schema(min_length = 1, max_length = 80)]
    pub city: String,
    /// ISO 3166-1 alpha-2 (default: the deployment's country, `FR` or `CH`).
    #[serde(default)]
    #[schema(min_length = 2, max_length = 2)]
    pub country: Option<String>,
    #[schema(min_length = 1, max_length = 30)]
    pub phone: String,
    /// For the deliverer (door code, floor…).
    #[serde(default)]
    #[schema(max_length = 300)]
    pub note: Option<String>,
}

impl From<AddressInput> for domain::AddressInput {
    fn from(value: AddressInput) -> Self {
        let AddressInput {
            name,
            line1,
            line2,
            postcode,
            city,
            country,
            phone,
            note,
        } = value;
        domain::AddressInput {
            name,
            line1,
            line2,
            postcode,
            city,
            country,
            phone,
            note,
        }
    }
}

/// Changes to a saved address: only the fields sent change (`""` removes `line2` or
/// `note`); the address is checked again as a whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressPatch {
    #[serde(default)]
    #[schema(max_length = 100)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 120)]
    pub line1: Option<String>,
    #[serde(default)]
    #[schema(max_length = 120)]
    pub line2: Option<String>,
    #[serde(default)]
    #[schema(max_length = 12)]
    pub postcode: Option<String>,
    #[serde(default)]
    #[schema(max_length = 80)]
    pub city: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2)]
    pub country: Option<String>,
    #[serde(default)]
    #[schema(max_length = 30)]
    pub phone: Option<String>,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub note: Option<String>,
}

impl From<AddressPatch> for domain::AddressPatch {
    fn from(value: AddressPatch) -> Self {
        let AddressPatch {
            name,
            line1,
            line2,
            postcode,
            city,
            country,
            phone,
            note,
        } = value;
        domain::AddressPatch {
            name,
            line1,
            line2,
            postcode,
            city,
            country,
            phone,
            note,
        }
    }
}
