//! Catalogue: a producer's products and their variants (unit, price, VAT, local-currency
//! share, stock). Prices are tax-inclusive euro minor units; VAT rates are basis points.
//!
//! - [`rules`]: what a valid variant is (one set of rules for the API and the CSV import);
//! - [`products`]: creating and editing products and variants, by the producer's people;
//! - [`csv_io`]: CSV import (create or update by SKU, all-or-nothing or partial) and export;
//! - [`import_jobs`]: the imports the producer's page runs in the background, with their
//!   progress (in the memory of the process that runs them);
//! - [`browse`]: listing and searching the public catalogue and a hub's offer;
//! - [`categories`]: the product taxonomy.
//!
//! Order lines keep their own copy of name, unit, price, VAT and local share (orders issue),
//! so changing a variant never changes a past order.

pub mod browse;
pub mod categories;
pub mod csv_io;
pub mod import_jobs;
pub mod products;
pub mod rules;

/// What can go wrong with catalogues: products, variants, their import and export.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Invalid(#[from] crate::error::Invalid),
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state.
    #[error("{0}")]
    Conflict(String),
    /// A failure that is no one's input (a broken invariant, an I/O error).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Enterprise(#[from] crate::enterprises::EnterpriseError),
    /// The legal currency prices are in could not be read.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
}

crate::error::domain_error!(CatalogError);

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::schema::{products as products_table, variants};
use crate::db::DbConn;
use crate::deployment::Legal;
use crate::money::Money;
use crate::pagination::{Page, PageParams};

/// How a variant is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// `unit_value` in grams.
    Weight,
    /// `unit_value` in millilitres.
    Volume,
    /// `unit_value` items, named by `unit_name` ("bunch", "eggs").
    Items,
}

impl UnitKind {
    pub const ALL: &'static [UnitKind] = &[UnitKind::Weight, UnitKind::Volume, UnitKind::Items];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Weight => "weight",
            UnitKind::Volume => "volume",
            UnitKind::Items => "items",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        [UnitKind::Weight, UnitKind::Volume, UnitKind::Items]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Human label of a unit: `500 g`, `1.5 kg`, `75 cL` is not used — volumes read `750 mL`, `1 L`.
pub fn unit_label(kind: UnitKind, value: i64, name: Option<&str>) -> String {
    let thousandths = |v: i64| Decimal::new(v, 3).normalize().to_string();
    match kind {
        UnitKind::Weight if value >= 1000 => format!("{} kg", thousandths(value)),
        UnitKind::Weight => format!("{value} g"),
        UnitKind::Volume if value >= 1000 => format!("{} L", thousandths(value)),
        UnitKind::Volume => format!("{value} mL"),
        UnitKind::Items => format!("{value} {}", name.unwrap_or("item")),
    }
}

/// A VAT rate in basis points as a percent string: 550 → `"5.5"`.
pub fn vat_percent(rate_bp: i32) -> String {
    Decimal::new(i64::from(rate_bp), 2).normalize().to_string()
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = products_table)]
pub struct ProductRow {
    pub id: String,
    pub producer_id: String,
    pub name: String,
    pub description: String,
    pub category_slug: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = variants)]
pub struct VariantRow {
    pub id: String,
    pub product_id: String,
    pub producer_id: String,
    pub sku: String,
    pub display_name: String,
    pub unit_kind: String,
    pub unit_value: i64,
    pub unit_name: Option<String>,
    pub price_eur_minor: i64,
    pub vat_rate_bp: i32,
    pub local_share_percent: i32,
    pub on_demand: bool,
    pub stock_on_hand: Option<i64>,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// [`name_key`] of the product and variant names: sorts and searches the catalogue.
    pub name_key: String,
}

pub use crate::text::fold;

/// The sort-and-search key of a variant: its product's name, then its own.
pub fn name_key(product_name: &str, display_name: &str) -> String {
    format!("{} / {}", fold(product_name), fold(display_name))
}

/// The unit a variant is sold by.
#[derive(Debug, Clone)]
pub struct Unit {
    pub kind: UnitKind,
    /// Grams, millilitres or number of items.
    pub value: i64,
    pub name: Option<String>,
    /// Ready-to-show label: `500 g`, `1 kg`, `6 eggs`.
    pub label: String,
}

/// A variant as shown by the API.
#[derive(Debug, Clone)]
pub struct Variant {
    pub id: String,
    pub sku: String,
    pub display_name: String,
    pub unit: Unit,
    /// Tax-inclusive price in euros.
    pub price: Money,
    /// VAT rate in percent, as an exact decimal string (`"5.5"`).
    pub vat_rate: String,
    pub vat_rate_bp: i32,
    /// Share of the price that may be paid in local currency, 0–100.
    pub local_share_percent: i32,
    pub on_demand: bool,
    pub stock_on_hand: Option<i64>,
    pub in_stock: bool,
    /// `false` once archived: out of listings and new orders, kept for past ones.
    pub active: bool,
}

impl Variant {
    /// A variant as stored, its price in the legal currency `legal`.
    pub fn of(row: VariantRow, legal: Legal) -> Result<Self, CatalogError> {
        let kind = UnitKind::parse(&row.unit_kind).ok_or_else(|| {
            CatalogError::internal(format!("unknown unit kind {}", row.unit_kind))
        })?;
        Ok(Variant {
            id: row.id,
            sku: row.sku,
            display_name: row.display_name,
            unit: Unit {
                kind,
                value: row.unit_value,
                label: unit_label(kind, row.unit_value, row.unit_name.as_deref()),
                name: row.unit_name,
            },
            price: legal.money(row.price_eur_minor),
            vat_rate: vat_percent(row.vat_rate_bp),
            vat_rate_bp: row.vat_rate_bp,
            local_share_percent: row.local_share_percent,
            on_demand: row.on_demand,
            in_stock: row.on_demand || row.stock_on_hand.unwrap_or(0) > 0,
            active: row.archived_at.is_none(),
            stock_on_hand: row.stock_on_hand,
        })
    }
}

/// A product with its active variants.
#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub producer_id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub variants: Vec<Variant>,
}

/// A producer's products (with their non-archived variants), in creation order.
pub fn list_producer_products(
    conn: &mut DbConn,
    producer_id: &str,
    page: &PageParams,
) -> Result<Page<Product>, CatalogError> {
    let limit = page.fetch_limit();
    let (product_rows, variant_rows) = {
        let conn = conn.diesel();
        let mut query = products_table::table
            .filter(products_table::producer_id.eq(producer_id))
            .select(ProductRow::as_select())
            .order(products_table::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = &page.after {
            query = query.filter(products_table::id.gt(after.clone()));
        }
        let product_rows: Vec<ProductRow> = query.load(conn)?;
        let ids: Vec<&str> = product_rows.iter().map(|p| p.id.as_str()).collect();
        let variant_rows: Vec<VariantRow> = variants::table
            .filter(variants::product_id.eq_any(ids))
            .filter(variants::archived_at.is_null())
            .select(VariantRow::as_select())
            .order(variants::id.asc())
            .load(conn)?;
        Ok::<_, diesel::result::Error>((product_rows, variant_rows))
    }?;
    let legal = crate::ledger::currencies::legal(conn)?;
    let mut by_product: HashMap<String, Vec<Variant>> = HashMap::new();
    for row in variant_rows {
        by_product
            .entry(row.product_id.clone())
            .or_default()
            .push(Variant::of(row, legal)?);
    }
    page.paginate(product_rows, |p| p.id.clone()).try_map(|p| {
        Ok(Product {
            variants: by_product.remove(&p.id).unwrap_or_default(),
            id: p.id,
            producer_id: p.producer_id,
            name: p.name,
            description: p.description,
            category: p.category_slug,
        })
    })
}

/// The catalogue settings are valid (`catalog.vat_rates`, when set): run when the
/// configuration is read.
pub fn check_config(config: &crate::config::Config) -> Result<(), String> {
    rules::CatalogRules::configured(&config.catalog).map_or(Ok(()), |checked| checked.map(|_| ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_labels() {
        assert_eq!(unit_label(UnitKind::Weight, 500, None), "500 g");
        assert_eq!(unit_label(UnitKind::Weight, 1000, None), "1 kg");
        assert_eq!(unit_label(UnitKind::Weight, 1500, None), "1.5 kg");
        assert_eq!(unit_label(UnitKind::Volume, 750, None), "750 mL");
        assert_eq!(unit_label(UnitKind::Volume, 1000, None), "1 L");
        assert_eq!(unit_label(UnitKind::Items, 6, Some("eggs")), "6 eggs");
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Pêches  PLATES (bio)"), "peches plates bio");
        assert_eq!(name_key("Œufs", "Boîte de 6"), "oeufs / boite de 6");
    }

    #[test]
    fn vat_percent_is_exact() {
        assert_eq!(vat_percent(550), "5.5");
        assert_eq!(vat_percent(2000), "20");
        assert_eq!(vat_percent(0), "0");
    }
}
