//! The catalogue's shapes: products, variants, categories, listings and CSV import reports.

use super::FieldError;
use crate::catalog::UnitKind;
use crate::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query parameters of a catalogue listing.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BrowseParams {
    /// Words to find in product and variant names (case and accents ignored); at most 200
    /// characters.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// A category slug; its sub-categories are included.
    pub category: Option<String>,
    /// A producer's id or slug.
    pub producer: Option<String>,
    /// `true`: only variants that can be ordered now (on demand or with stock).
    pub in_stock: Option<bool>,
    /// Only variants payable at least this percent in local currency (0–100).
    pub min_local_share: Option<i32>,
    /// `name` (default), `price`, `-price` or `newest`.
    pub sort: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Cursor from the previous page's `next` link.
    pub after: Option<String>,
}

impl From<BrowseParams> for crate::catalog::browse::BrowseParams {
    fn from(value: BrowseParams) -> Self {
        let BrowseParams {
            q,
            category,
            producer,
            in_stock,
            min_local_share,
            sort,
            limit,
            after,
        } = value;
        crate::catalog::browse::BrowseParams {
            q,
            category,
            producer,
            in_stock,
            min_local_share,
            sort,
            limit,
            after,
        }
    }
}

/// The product of a listed variant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemProduct {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
}

impl From<crate::catalog::browse::ItemProduct> for ItemProduct {
    fn from(value: crate::catalog::browse::ItemProduct) -> Self {
        let crate::catalog::browse::ItemProduct {
            id,
            name,
            description,
            category,
        } = value;
        ItemProduct {
            id,
            name,
            description,
            category,
        }
    }
}

/// The producer of a listed variant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemProducer {
    pub id: String,
    pub slug: String,
    pub name: String,
}

impl From<crate::catalog::browse::ItemProducer> for ItemProducer {
    fn from(value: crate::catalog::browse::ItemProducer) -> Self {
        let crate::catalog::browse::ItemProducer { id, slug, name } = value;
        ItemProducer { id, slug, name }
    }
}

/// One variant of a listing, with its product and producer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogItem {
    pub variant: Variant,
    pub product: ItemProduct,
    pub producer: ItemProducer,
}

impl From<crate::catalog::browse::CatalogItem> for CatalogItem {
    fn from(value: crate::catalog::browse::CatalogItem) -> Self {
        let crate::catalog::browse::CatalogItem {
            variant,
            product,
            producer,
        } = value;
        CatalogItem {
            variant: variant.into(),
            product: product.into(),
            producer: producer.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub slug: String,
    pub name: String,
    #[serde(default, alias = "parent")]
    pub parent_slug: Option<String>,
}

impl From<crate::catalog::categories::Category> for Category {
    fn from(value: crate::catalog::categories::Category) -> Self {
        let crate::catalog::categories::Category {
            slug,
            name,
            parent_slug,
        } = value;
        Category {
            slug,
            name,
            parent_slug,
        }
    }
}

impl From<Category> for crate::catalog::categories::Category {
    fn from(value: Category) -> Self {
        let Category {
            slug,
            name,
            parent_slug,
        } = value;
        crate::catalog::categories::Category {
            slug,
            name,
            parent_slug,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read (the header excluded).
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    /// Rows refused (a row with several bad values counts once).
    pub rejected: u64,
    /// Whether the changes were kept.
    pub written: bool,
    /// Each bad value: `line` (the header is line 1), `field` (the column), `code`, `message`.
    pub errors: Vec<FieldError>,
    /// More errors than listed were found.
    pub errors_truncated: bool,
}

impl From<crate::catalog::csv_io::ImportReport> for ImportReport {
    fn from(value: crate::catalog::csv_io::ImportReport) -> Self {
        let crate::catalog::csv_io::ImportReport {
            rows,
            created,
            updated,
            rejected,
            written,
            errors,
            errors_truncated,
        } = value;
        ImportReport {
            rows,
            created,
            updated,
            rejected,
            written,
            errors: errors.into_iter().map(Into::into).collect(),
            errors_truncated,
        }
    }
}

/// The unit a variant is sold by.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Unit {
    pub kind: UnitKind,
    /// Grams, millilitres or number of items.
    pub value: i64,
    pub name: Option<String>,
    /// Ready-to-show label: `500 g`, `1 kg`, `6 eggs`.
    pub label: String,
}

impl From<crate::catalog::Unit> for Unit {
    fn from(value: crate::catalog::Unit) -> Self {
        let crate::catalog::Unit {
            kind,
            value,
            name,
            label,
        } = value;
        Unit {
            kind,
            value,
            name,
            label,
        }
    }
}

/// A variant as shown by the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Variant {
    pub id: String,
    pub sku: String,
    pub display_name: String,
    pub unit: Unit,
    /// Tax-inclusive price in euros.
    pub price: Money,
    /// VAT rate in percent, as an exact decimal string (`"5.5"`).
    pub vat_rate: String,
    /// Share of the price that may be paid in local currency, 0–100.
    pub local_share_percent: i32,
    pub on_demand: bool,
    pub stock_on_hand: Option<i64>,
    pub in_stock: bool,
    /// `false` once archived: out of listings and new orders, kept for past ones.
    pub active: bool,
}

impl From<crate::catalog::Variant> for Variant {
    fn from(value: crate::catalog::Variant) -> Self {
        let crate::catalog::Variant {
            id,
            sku,
            display_name,
            unit,
            price,
            vat_rate,
            local_share_percent,
            on_demand,
            stock_on_hand,
            in_stock,
            active,
            vat_rate_bp: _,
        } = value;
        Variant {
            id,
            sku,
            display_name,
            unit: unit.into(),
            price,
            vat_rate,
            local_share_percent,
            on_demand,
            stock_on_hand,
            in_stock,
            active,
        }
    }
}

/// A product with its active variants.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: String,
    pub producer_id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub variants: Vec<Variant>,
}

impl From<crate::catalog::Product> for Product {
    fn from(value: crate::catalog::Product) -> Self {
        let crate::catalog::Product {
            id,
            producer_id,
            name,
            description,
            category,
            variants,
        } = value;
        Product {
            id,
            producer_id,
            name,
            description,
            category,
            variants: variants.into_iter().map(Into::into).collect(),
        }
    }
}
