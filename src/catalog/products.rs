//! Creating and editing a producer's products and variants. Authorization is the caller's
//! business (the API asks [`crate::auth::policy`]); these functions check the catalogue rules
//! and write in one transaction each.

use diesel::prelude::*;

use super::rules::{check_into, check_name, CatalogRules, Stock, VariantDraft, VariantFields};
use super::{categories, name_key, Product, ProductRow, Variant, VariantRow};
use crate::catalog::CatalogError;
use crate::db::schema::{categories as categories_table, enterprises, products, variants};
use crate::db::DbConn;
use crate::enterprises::EnterpriseKind;
use crate::error::FieldError;

/// A product to create, with its first variants.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub variants: Vec<VariantFields>,
}

/// Changes to a product; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
}

/// Changes to a variant: the fields given replace the current ones; `active: false` archives
/// it (it leaves listings and new orders), `true` brings it back.
#[derive(Debug, Clone, Default)]
pub struct VariantPatch {
    pub fields: VariantFields,
    pub active: Option<bool>,
}

/// Fails unless `producer_id` is an enterprise that produces.
pub fn require_producer(conn: &mut DbConn, producer_id: &str) -> Result<(), CatalogError> {
    let kind: Option<String> = enterprises::table
        .find(producer_id)
        .select(enterprises::kind)
        .first(conn.diesel())
        .optional()?;
    match kind.as_deref().and_then(EnterpriseKind::parse) {
        Some(k) if k.is_producer() => Ok(()),
        Some(_) => Err(CatalogError::Conflict(
            "this enterprise is not a producer: only producers have a catalogue".into(),
        )),
        None => Err(CatalogError::NotFound(format!(
            "no enterprise `{producer_id}`"
        ))),
    }
}

fn category_exists(conn: &mut DbConn, slug: &str) -> Result<bool, CatalogError> {
    let n: i64 = categories_table::table
        .filter(categories_table::slug.eq(slug))
        .count()
        .get_result(conn.diesel())?;
    Ok(n > 0)
}

fn check_category(
    conn: &mut DbConn,
    slug: &str,
    errors: &mut Vec<FieldError>,
) -> Result<(), CatalogError> {
    if !category_exists(conn, slug)? {
        let known: Vec<String> = categories::list(conn)?
            .into_iter()
            .map(|c| c.slug)
            .collect();
        errors.push(FieldError::new(
            "category",
            "unknown_category",
            format!("`{slug}` is not a category; known: {}", known.join(", ")),
        ));
    }
    Ok(())
}

/// `producer_id`'s product named `name`, if any.
pub fn product_named(
    conn: &mut DbConn,
    producer_id: &str,
    name: &str,
) -> Result<Option<ProductRow>, CatalogError> {
    Ok(products::table
        .filter(products::producer_id.eq(producer_id))
        .filter(products::name.eq(name))
        .select(ProductRow::as_select())
        .first(conn.diesel())
        .optional()?)
}

/// The variant of `producer_id` with this SKU, if any.
pub fn variant_by_sku(
    conn: &mut DbConn,
    producer_id: &str,
    sku: &str,
) -> Result<Option<VariantRow>, CatalogError> {
    Ok(variants::table
        .filter(variants::producer_id.eq(producer_id))
        .filter(variants::sku.eq(sku))
        .select(VariantRow::as_select())
        .first(conn.diesel())
        .optional()?)
}

/// A new variant row from a checked draft.
pub fn variant_row(
    product: &ProductRow,
    draft: &VariantDraft,
    now: chrono::NaiveDateTime,
) -> VariantRow {
    let (on_demand, stock_on_hand) = match draft.stock {
        Stock::OnDemand => (true, None),
        Stock::OnHand(n) => (false, Some(n)),
    };
    VariantRow {
        id: crate::time::new_id(),
        product_id: product.id.clone(),
        producer_id: product.producer_id.clone(),
        sku: draft.sku.clone(),
        display_name: draft.display_name.clone(),
        unit_kind: draft.unit_kind.as_str().to_string(),
        unit_value: draft.unit_value,
        unit_name: draft.unit_name.clone(),
        price_eur_minor: draft.price_eur_minor,
        vat_rate_bp: draft.vat_rate_bp,
        local_share_percent: draft.local_share_percent,
        on_demand,
        stock_on_hand,
        archived_at: None,
        created_at: now,
        updated_at: now,
        name_key: name_key(&product.name, &draft.display_name),
    }
}

/// Writes every field of `draft` over variant `row` (and moves it under `product`).
pub fn overwrite_variant(
    conn: &mut DbConn,
    row: &VariantRow,
    product: &ProductRow,
    draft: &VariantDraft,
    archived_at: Option<chrono::NaiveDateTime>,
    now: chrono::NaiveDateTime,
) -> Result<(), CatalogError> {
    let (on_demand, stock) = match draft.stock {
        Stock::OnDemand => (true, None),
        Stock::OnHand(n) => (false, Some(n)),
    };
    diesel::update(variants::table.find(&row.id))
        .set((
            variants::product_id.eq(&product.id),
            variants::sku.eq(&draft.sku),
            variants::display_name.eq(&draft.display_name),
            variants::unit_kind.eq(draft.unit_kind.as_str()),
            variants::unit_value.eq(draft.unit_value),
            variants::unit_name.eq(&draft.unit_name),
            variants::price_eur_minor.eq(draft.price_eur_minor),
            variants::vat_rate_bp.eq(draft.vat_rate_bp),
            variants::local_share_percent.eq(draft.local_share_percent),
            variants::on_demand.eq(on_demand),
            variants::stock_on_hand.eq(stock),
            variants::archived_at.eq(archived_at),
            variants::updated_at.eq(now),
            variants::name_key.eq(name_key(&product.name, &draft.display_name)),
        ))
        .execute(conn.diesel())
        .map_err(|e| unique_violation(&e).unwrap_or_else(|| e.into()))?;
    Ok(())
}

/// A unique-index violation on a SKU or a product name, as the field error it means (two
/// requests racing past the checks meet the index).
fn unique_violation(e: &diesel::result::Error) -> Option<CatalogError> {
    if crate::db::violates_unique(e, &["sku"]) {
        return Some(CatalogError::field(
            "sku",
            "taken",
            "another variant of this producer has this SKU",
        ));
    }
    if crate::db::violates_unique(e, &["name"]) {
        return Some(CatalogError::field(
            "name",
            "taken",
            "this producer already has a product with this name",
        ));
    }
    None
}

/// Creates a product with its variants.
pub fn create(
    conn: &mut DbConn,
    rules: &CatalogRules,
    producer_id: &str,
    new: &NewProduct,
) -> Result<Product, CatalogError> {
    require_producer(conn, producer_id)?;
    let mut errors = Vec::new();
    let name = match &new.name {
        Some(n) => check_name(n)
            .map_err(|(code, msg)| errors.push(FieldError::new("name", code, msg)))
            .ok(),
        None => {
            errors.push(FieldError::new("name", "required", "is required"));
            None
        }
    };
    match &new.category {
        Some(c) => check_category(conn, c, &mut errors)?,
        None => errors.push(FieldError::new("category", "required", "is required")),
    }
    if new.variants.is_empty() {
        errors.push(FieldError::new(
            "variants",
            "required",
            "a product needs at least one variant",
        ));
    }
    let drafts: Vec<Option<VariantDraft>> = new
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| check_into(v, rules, &format!("variants[{i}]."), &mut errors))
        .collect();
    for (i, d) in drafts.iter().enumerate() {
        let Some(d) = d else { continue };
        if drafts[..i].iter().flatten().any(|o| o.sku == d.sku) {
            errors.push(FieldError::new(
                format!("variants[{i}].sku"),
                "duplicate",
                "appears twice in this product",
            ));
        } else if variant_by_sku(conn, producer_id, &d.sku)?.is_some() {
            errors.push(FieldError::new(
                format!("variants[{i}].sku"),
                "taken",
                "another variant of this producer has this SKU",
            ));
        }
    }
    if let Some(n) = &name {
        if product_named(conn, producer_id, n)?.is_some() {
            errors.push(FieldError::new(
                "name",
                "taken",
                "this producer already has a product with this name",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(CatalogError::invalid(errors));
    }
    let now = crate::time::now();
    let product = ProductRow {
        id: crate::time::new_id(),
        producer_id: producer_id.to_string(),
        name: name.unwrap_or_default(),
        description: new
            .description
            .clone()
            .unwrap_or_default()
            .trim()
            .to_string(),
        category_slug: new.category.clone().unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    let rows: Vec<VariantRow> = drafts
        .iter()
        .flatten()
        .map(|d| variant_row(&product, d, now))
        .collect();
    conn.transaction(|conn| {
        {
            let conn = conn.diesel();
            diesel::insert_into(products::table)
                .values(&product)
                .execute(conn)?;
            for row in &rows {
                diesel::insert_into(variants::table)
                    .values(row)
                    .execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        }
        .map_err(|e| unique_violation(&e).unwrap_or_else(|| e.into()))
    })?;
    get(conn, &product.id, true)
}

/// A product with its variants (archived ones too when `with_archived`).
pub fn get(
    conn: &mut DbConn,
    product_id: &str,
    with_archived: bool,
) -> Result<Product, CatalogError> {
    let product: Option<ProductRow> = products::table
        .find(product_id)
        .select(ProductRow::as_select())
        .first(conn.diesel())
        .optional()?;
    let product =
        product.ok_or_else(|| CatalogError::NotFound(format!("no product `{product_id}`")))?;
    let rows: Vec<VariantRow> = {
        let conn = conn.diesel();
        let mut q = variants::table
            .filter(variants::product_id.eq(product_id))
            .select(VariantRow::as_select())
            .order(variants::id.asc())
            .into_boxed();
        if !with_archived {
            q = q.filter(variants::archived_at.is_null());
        }
        q.load(conn)
    }?;
    let legal = crate::ledger::currencies::legal(conn)?;
    Ok(Product {
        id: product.id,
        producer_id: product.producer_id,
        name: product.name,
        description: product.description,
        category: product.category_slug,
        variants: rows
            .into_iter()
            .map(|row| Variant::of(row, legal))
            .collect::<Result<_, _>>()?,
    })
}

/// The producer a product belongs to; 404 when the product does not exist.
pub fn producer_of_product(conn: &mut DbConn, product_id: &str) -> Result<String, CatalogError> {
    let p: Option<String> = products::table
        .find(product_id)
        .select(products::producer_id)
        .first(conn.diesel())
        .optional()?;
    p.ok_or_else(|| CatalogError::NotFound(format!("no product `{product_id}`")))
}

/// The producer a variant belongs to; 404 when the variant does not exist.
pub fn producer_of_variant(conn: &mut DbConn, variant_id: &str) -> Result<String, CatalogError> {
    let p: Option<String> = variants::table
        .find(variant_id)
        .select(variants::producer_id)
        .first(conn.diesel())
        .optional()?;
    p.ok_or_else(|| CatalogError::NotFound(format!("no variant `{variant_id}`")))
}

fn product_row(conn: &mut DbConn, product_id: &str) -> Result<ProductRow, CatalogError> {
    let row: Option<ProductRow> = products::table
        .find(product_id)
        .select(ProductRow::as_select())
        .first(conn.diesel())
        .optional()?;
    row.ok_or_else(|| CatalogError::NotFound(format!("no product `{product_id}`")))
}

/// Renames, re-describes or re-categorises a product (its variants' sort keys follow).
pub fn update(
    conn: &mut DbConn,
    product_id: &str,
    patch: &ProductPatch,
) -> Result<Product, CatalogError> {
    // read, merge and write under the row's lock: concurrent patches lose nothing
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "products", product_id)?;
        let mut row = product_row(conn, product_id)?;
        let mut errors = Vec::new();
        if let Some(name) = &patch.name {
            match check_name(name) {
                Ok(n) => {
                    if n != row.name {
                        if product_named(conn, &row.producer_id, &n)?.is_some() {
                            errors.push(FieldError::new(
                                "name",
                                "taken",
                                "this producer already has a product with this name",
                            ));
                        }
                        row.name = n;
                    }
                }
                Err((code, msg)) => errors.push(FieldError::new("name", code, msg)),
            }
        }
        if let Some(c) = &patch.category {
            check_category(conn, c, &mut errors)?;
            row.category_slug = c.clone();
        }
        if let Some(d) = &patch.description {
            row.description = d.trim().to_string();
        }
        if !errors.is_empty() {
            return Err(CatalogError::invalid(errors));
        }
        let now = crate::time::now();
        diesel::update(products::table.find(&row.id))
            .set((
                products::name.eq(&row.name),
                products::description.eq(&row.description),
                products::category_slug.eq(&row.category_slug),
                products::updated_at.eq(now),
            ))
            .execute(conn.diesel())
            .map_err(|e| unique_violation(&e).unwrap_or_else(|| e.into()))?;
        refresh_name_keys(conn, &row)?;
        get(conn, product_id, true)
    })
}

/// Fills in the sort keys of variants written before they existed (run after migrations).
pub fn backfill_name_keys(conn: &mut DbConn) -> Result<usize, CatalogError> {
    let missing: Vec<(String, String, String)> = variants::table
        .inner_join(products::table)
        .filter(variants::name_key.eq(""))
        .select((variants::id, products::name, variants::display_name))
        .load(conn.diesel())?;
    for (id, product, display) in &missing {
        diesel::update(variants::table.find(id))
            .set(variants::name_key.eq(name_key(product, display)))
            .execute(conn.diesel())?;
    }
    Ok(missing.len())
}

/// Recomputes the sort keys of a product's variants after a rename.
pub fn refresh_name_keys(conn: &mut DbConn, product: &ProductRow) -> Result<(), CatalogError> {
    let names: Vec<(String, String)> = variants::table
        .filter(variants::product_id.eq(&product.id))
        .select((variants::id, variants::display_name))
        .load(conn.diesel())?;
    for (id, display) in names {
        diesel::update(variants::table.find(&id))
            .set(variants::name_key.eq(name_key(&product.name, &display)))
            .execute(conn.diesel())?;
    }
    Ok(())
}

/// `fields` checked against the rules, with a SKU not used by another variant of the
/// producer (`current_sku`: the variant's own, when it is being changed).
fn checked_draft(
    conn: &mut DbConn,
    rules: &CatalogRules,
    fields: &VariantFields,
    producer_id: &str,
    current_sku: Option<&str>,
) -> Result<VariantDraft, CatalogError> {
    let mut errors = Vec::new();
    let draft = check_into(fields, rules, "", &mut errors);
    if let Some(d) = &draft {
        if current_sku != Some(d.sku.as_str())
            && variant_by_sku(conn, producer_id, &d.sku)?.is_some()
        {
            errors.push(FieldError::new(
                "sku",
                "taken",
                "another variant of this producer has this SKU",
            ));
        }
    }
    match draft {
        Some(d) if errors.is_empty() => Ok(d),
        _ => Err(CatalogError::invalid(errors)),
    }
}

/// Adds a variant to a product.
pub fn add_variant(
    conn: &mut DbConn,
    rules: &CatalogRules,
    product_id: &str,
    fields: &VariantFields,
) -> Result<Variant, CatalogError> {
    let product = product_row(conn, product_id)?;
    let draft = checked_draft(conn, rules, fields, &product.producer_id, None)?;
    let row = variant_row(&product, &draft, crate::time::now());
    conn.transaction(|conn| {
        diesel::insert_into(variants::table)
            .values(&row)
            .execute(conn.diesel())
            .map_err(|e| unique_violation(&e).unwrap_or_else(|| e.into()))
    })?;
    Variant::of(row, crate::ledger::currencies::legal(conn)?)
}

/// The fields a variant has now, as [`VariantFields`] (the base a patch is applied to).
pub fn current_fields(row: &VariantRow) -> VariantFields {
    VariantFields {
        sku: Some(row.sku.clone()),
        display_name: Some(row.display_name.clone()),
        unit_kind: Some(row.unit_kind.clone()),
        unit_value: Some(row.unit_value),
        unit_name: row.unit_name.clone(),
        price: Some(crate::deployment::legal_text(row.price_eur_minor)),
        vat_rate: Some(super::vat_percent(row.vat_rate_bp)),
        local_share_percent: Some(i64::from(row.local_share_percent)),
        stock: Some(match row.stock_on_hand {
            Some(n) if !row.on_demand => Stock::OnHand(n),
            _ => Stock::OnDemand,
        }),
    }
}

/// Changes a variant. A price change applies to new orders only.
pub fn update_variant(
    conn: &mut DbConn,
    rules: &CatalogRules,
    variant_id: &str,
    patch: &VariantPatch,
) -> Result<Variant, CatalogError> {
    // read, merge and write under the row's lock: concurrent patches lose nothing
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "variants", variant_id)?;
        let row: Option<VariantRow> = variants::table
            .find(variant_id)
            .select(VariantRow::as_select())
            .first(conn.diesel())
            .optional()?;
        let row =
            row.ok_or_else(|| CatalogError::NotFound(format!("no variant `{variant_id}`")))?;
        let current = current_fields(&row);
        let f = &patch.fields;
        let merged = VariantFields {
            sku: f.sku.clone().or(current.sku),
            display_name: f.display_name.clone().or(current.display_name),
            unit_kind: f.unit_kind.clone().or(current.unit_kind),
            unit_value: f.unit_value.or(current.unit_value),
            unit_name: f.unit_name.clone().or(current.unit_name),
            price: f.price.clone().or(current.price),
            vat_rate: f.vat_rate.clone().or(current.vat_rate),
            local_share_percent: f.local_share_percent.or(current.local_share_percent),
            stock: f.stock.or(current.stock),
        };
        let draft = checked_draft(conn, rules, &merged, &row.producer_id, Some(&row.sku))?;
        let product = product_row(conn, &row.product_id)?;
        let now = crate::time::now();
        let archived_at = match patch.active {
            Some(true) => None,
            Some(false) => row.archived_at.or(Some(now)),
            None => row.archived_at,
        };
        overwrite_variant(conn, &row, &product, &draft, archived_at, now)?;
        let updated: VariantRow = variants::table
            .find(variant_id)
            .select(VariantRow::as_select())
            .first(conn.diesel())?;
        Variant::of(updated, crate::ledger::currencies::legal(conn)?)
    })
}

/// A producer's own catalogue as its office shows it: its products in creation order, a
/// page at a time, each with every variant (archived ones too, after the active ones),
/// only the products with a variant whose product or variant name holds every word of `q`
/// (case and accents ignored; at most [`super::browse::MAX_QUERY_CHARS`] characters).
pub fn office_list(
    conn: &mut DbConn,
    producer_id: &str,
    q: &str,
    page: &crate::pagination::PageParams,
) -> Result<crate::pagination::Page<Product>, CatalogError> {
    require_producer(conn, producer_id)?;
    if q.chars().count() > super::browse::MAX_QUERY_CHARS {
        return Err(CatalogError::field(
            "q",
            "too_long",
            "search for at most 200 characters",
        ));
    }
    let words: Vec<String> = super::fold(q)
        .split_whitespace()
        .map(|w| {
            format!(
                "%{}%",
                w.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        })
        .collect();
    let (product_rows, variant_rows) = {
        let conn = conn.diesel();
        let mut query = products::table
            .filter(products::producer_id.eq(producer_id))
            .select(ProductRow::as_select())
            .order(products::id.asc())
            .limit(page.fetch_limit())
            .into_boxed();
        if let Some(after) = &page.after {
            query = query.filter(products::id.gt(after.clone()));
        }
        if !words.is_empty() {
            // the producer's products with a matching variant (a producer's catalogue is
            // small: its ids, then its products by id)
            let mut matching = variants::table
                .filter(variants::producer_id.eq(producer_id))
                .select(variants::product_id)
                .distinct()
                .into_boxed();
            for pattern in &words {
                matching = matching.filter(variants::name_key.like(pattern.clone()).escape('\\'));
            }
            let ids: Vec<String> = matching.load(conn)?;
            query = query.filter(products::id.eq_any(ids));
        }
        let product_rows: Vec<ProductRow> = query.load(conn)?;
        let ids: Vec<&str> = product_rows.iter().map(|p| p.id.as_str()).collect();
        let variant_rows: Vec<VariantRow> = variants::table
            .filter(variants::product_id.eq_any(ids))
            .select(VariantRow::as_select())
            .order((variants::name_key.asc(), variants::id.asc()))
            .load(conn)?;
        Ok::<_, diesel::result::Error>((product_rows, variant_rows))
    }?;
    let legal = crate::ledger::currencies::legal(conn)?;
    let mut by_product: std::collections::HashMap<String, Vec<Variant>> =
        std::collections::HashMap::new();
    for row in variant_rows {
        by_product
            .entry(row.product_id.clone())
            .or_default()
            .push(Variant::of(row, legal)?);
    }
    page.paginate(product_rows, |p| p.id.clone()).try_map(|p| {
        let mut variants = by_product.remove(&p.id).unwrap_or_default();
        variants.sort_by_key(|v| !v.active);
        Ok(Product {
            variants,
            id: p.id,
            producer_id: p.producer_id,
            name: p.name,
            description: p.description,
            category: p.category_slug,
        })
    })
}

/// The product a variant belongs to; 404 when the variant does not exist.
pub fn product_of_variant(conn: &mut DbConn, variant_id: &str) -> Result<String, CatalogError> {
    let p: Option<String> = variants::table
        .find(variant_id)
        .select(variants::product_id)
        .first(conn.diesel())
        .optional()?;
    p.ok_or_else(|| CatalogError::NotFound(format!("no variant `{variant_id}`")))
}
