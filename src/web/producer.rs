//! The producer's office: its catalogue (search, create and edit products and variants,
//! archive), the CSV import (a check, the per-line error table the CLI prints, then the
//! import) and export. Every page authorizes with [`Action::ManageCatalogue`] on the producer
//! its path names (resolved like the API's paths: hidden from whoever holds no role in it)
//! and calls the catalogue's functions the API's catalogue routes call ([`products`],
//! [`csv_io`]).
//!
//! - `GET /producer/{slug}`: the office's home, its sections.
//! - `GET /producer/{slug}/products[?q=&after=]`: the products, every variant with its unit,
//!   price, VAT, local share and stock, archived ones marked ([`products::office_list`]).
//! - `GET/POST /producer/{slug}/products/new`: a product with its first variant
//!   ([`products::create`], the API's `POST /api/v1/enterprises/{id}/products`).
//! - `GET/POST /producer/{slug}/products/{id}`: its name, description, category
//!   ([`products::update`]); `GET/POST …/{id}/variants/new`: another variant
//!   ([`products::add_variant`]).
//! - `GET/POST /producer/{slug}/variants/{id}`: a variant's fields; `POST …/{id}/active`
//!   archives it or brings it back ([`products::update_variant`]).
//! - `GET/POST /producer/{slug}/import`: a CSV file (`multipart/form-data`, [`Upload`]) or its
//!   text checked (a dry run) or imported ([`csv_io::import`], all or nothing unless the
//!   good lines alone are asked for); the errors by line and column. `GET
//!   /producer/{slug}/export.csv`: the catalogue in the import's columns ([`csv_io::export`]).
//! - `GET /producer/{slug}/import/{job}`: an import that ran longer than the request waits
//!   (`catalog.import_wait_seconds`, [`AppState::import_wait`]): the lines read and about how
//!   much of the file while it runs, with a link that reads it again — the page never
//!   reloads itself: a page that does starts over for a screen reader (axe's `meta-refresh`,
//!   WCAG 2.2.1), so the reader asks —; then the same report as the import page.
//!
//! An import runs as a job ([`import_jobs`]): started on the database pool, one transaction
//! as always (all or nothing is unchanged), its progress recorded as it goes. The `POST`
//! waits for it at most [`AppState::import_wait`] (5 s by default): a job done by then is
//! answered at once with its report, exactly as before; a longer one is answered with a 303
//! to its page. One import runs per producer at a time: a second one is answered 409 with a
//! link to the first one's page. Jobs live in the memory of the instance that runs them (see
//! [`import_jobs`]): an unknown or forgotten job's page says so (404).
//!
//! Prices are typed as decimals, `3,50` or `3.50` (the catalogue's rules read both).
//!
//! [`import_jobs`]: crate::catalog::import_jobs

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::WebError;
use super::i18n::page_locale;
use super::render::Pages;
use super::session::{Form, Reader, Visitor};
use super::upload::Upload;
use super::NoticeQuery;
use super::{redirect, render, render_status};
use crate::auth::policy::{authorize, Action};
use crate::catalog::csv_io::{self, ImportReport};
use crate::catalog::import_jobs::{Failure, Job, JobState, Mode, NewJob, StartError};
use crate::catalog::products::{self, NewProduct, ProductPatch, VariantPatch};
use crate::catalog::rules::{Stock, VariantFields};
use crate::catalog::{categories, vat_percent, CatalogError, Product, UnitKind, Variant};
use crate::enterprises::EnterpriseRow;
use crate::error::FieldError;
use crate::mail::format::mail_time;
use crate::pagination::PageParams;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "producer_macros.html",
    "producer_home.html",
    "producer_products.html",
    "producer_product_new.html",
    "producer_product.html",
    "producer_variant.html",
    "producer_import.html",
    "producer_import_job.html",
);

/// Products a catalogue page shows.
const PRODUCTS_PAGE: u32 = 25;

/// The largest CSV the import page shows back in its text box (a larger one is checked and
/// imported from the file alone).
const EDITABLE_CSV_BYTES: usize = 256 * 1024;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/producer/{slug}", web::get().to(home))
        .route("/producer/{slug}/products", web::get().to(products_page))
        .route(
            "/producer/{slug}/products/new",
            web::get().to(new_product_page),
        )
        .route(
            "/producer/{slug}/products/new",
            web::post().to(create_product),
        )
        .route(
            "/producer/{slug}/products/{id}",
            web::get().to(product_page),
        )
        .route(
            "/producer/{slug}/products/{id}",
            web::post().to(update_product),
        )
        .route(
            "/producer/{slug}/products/{id}/variants/new",
            web::get().to(new_variant_page),
        )
        .route(
            "/producer/{slug}/products/{id}/variants/new",
            web::post().to(add_variant),
        )
        .route(
            "/producer/{slug}/variants/{id}",
            web::get().to(variant_page),
        )
        .route(
            "/producer/{slug}/variants/{id}",
            web::post().to(update_variant),
        )
        .route(
            "/producer/{slug}/variants/{id}/active",
            web::post().to(set_active),
        )
        .route("/producer/{slug}/import", web::get().to(import_page))
        .route("/producer/{slug}/import", web::post().to(import))
        .route(
            "/producer/{slug}/import/{job}",
            web::get().to(import_job_page),
        )
        .route("/producer/{slug}/export.csv", web::get().to(export));
}

/// The producer the path names, if the reader may manage its catalogue: 404 when it is not
/// a producer (or hidden from the reader), 403 when the reader may not.
async fn office(
    state: &AppState,
    reader: &Reader,
    slug: String,
) -> Result<EnterpriseRow, WebError> {
    let row = super::producer_money::producer(state, reader, slug).await?;
    authorize(
        &reader.actor,
        Action::ManageCatalogue {
            producer_id: &row.id,
        },
    )?;
    Ok(row)
}

fn enterprise_json(row: &EnterpriseRow) -> Value {
    json!({"name": row.name, "slug": row.slug, "base": format!("/producer/{}", row.slug)})
}

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[
    ("created", "producer-notice-created"),
    ("saved", "producer-notice-saved"),
    ("variant-added", "producer-notice-variant-added"),
    ("archived", "producer-notice-archived"),
    ("restored", "producer-notice-restored"),
];

fn variant_json(v: &Variant) -> Value {
    json!({
        "id": v.id,
        "sku": v.sku,
        "display_name": v.display_name,
        "unit": v.unit.label,
        "price": v.price,
        "vat_rate": v.vat_rate,
        "local_share_percent": v.local_share_percent,
        "on_demand": v.on_demand,
        "stock": v.stock_on_hand,
        "active": v.active,
    })
}

fn product_json(p: &Product) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "category": p.category,
        "variants": p.variants.iter().map(variant_json).collect::<Vec<_>>(),
    })
}

/// `GET /producer/{slug}`.
pub async fn home(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = office(&state, reader, slug.into_inner()).await?;
    render(
        &pages,
        &visitor,
        "producer_home.html",
        json!({"enterprise": enterprise_json(&row)}),
    )
}

#[derive(Debug, Deserialize)]
pub struct ProductsQuery {
    pub q: Option<String>,
    pub after: Option<String>,
    pub notice: Option<String>,
}

/// `GET /producer/{slug}/products`.
pub async fn products_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = office(&state, reader, slug.into_inner()).await?;
    let page = PageParams {
        limit: Some(PRODUCTS_PAGE),
        after: query.after.clone().filter(|a| !a.is_empty()),
    };
    if page.validate().is_err() {
        return Err(WebError::NotFound("no such page of the catalogue".into()));
    }
    let q = query.q.clone().unwrap_or_default();
    let (producer, words) = (row.id.clone(), q.clone());
    let found = state
        .db
        .run(move |conn| products::office_list(conn, &producer, &words, &page))
        .await;
    let (list, next, errors) = match found {
        Ok(found) => (
            found.items.iter().map(product_json).collect::<Vec<_>>(),
            found.next_cursor,
            Vec::new(),
        ),
        Err(CatalogError::Invalid(invalid)) => (Vec::new(), None, invalid.0),
        Err(other) => return Err(other.into()),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let first = if q.is_empty() {
        format!("/producer/{}/products", row.slug)
    } else {
        format!(
            "/producer/{}/products?{}",
            row.slug,
            form_urlencoded::Serializer::new(String::new())
                .append_pair("q", &q)
                .finish()
        )
    };
    let next = next.map(|cursor| {
        let mut url = form_urlencoded::Serializer::new(String::new());
        if !q.is_empty() {
            url.append_pair("q", &q);
        }
        url.append_pair("after", &cursor);
        format!("/producer/{}/products?{}", row.slug, url.finish())
    });
    render_status(
        &pages,
        &visitor,
        "producer_products.html",
        json!({
            "enterprise": enterprise_json(&row),
            "q": q,
            "products": list,
            "next": next,
            "first": first,
            "first_page": query.after.as_deref().unwrap_or("").is_empty(),
            "errors": producer_errors(&pages, &visitor, &errors),
            "notice": pages.notice(page_locale(visitor.locale), query.notice.as_deref(), NOTICES),
        }),
        status,
    )
}

/// The field errors as this module's templates show them (its own words first), each on
/// the form's own field (`variants[0].unit.kind` → `unit_kind`).
fn producer_errors(pages: &Pages, visitor: &Visitor, errors: &[FieldError]) -> Value {
    let on_fields: Vec<FieldError> = errors
        .iter()
        .cloned()
        .map(|mut e| {
            let field = match e.field.split_once("].") {
                Some((_, rest)) if e.field.starts_with("variants[") => rest.to_string(),
                _ => e.field.clone(),
            };
            e.field = match field.as_str() {
                "unit.kind" => "unit_kind".into(),
                "unit.value" => "unit_value".into(),
                "unit.name" => "unit_name".into(),
                "variants" => "sku".into(),
                other => other.to_string(),
            };
            e
        })
        .collect();
    super::field_errors_of(pages, visitor, "producer", &on_fields)
}

/// A whole number typed in a form field: `None` when blank.
fn whole(form: &Form, name: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let text = form.get(name).replace([' ', '\u{a0}', '\u{202f}'], "");
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(
                name,
                "not_a_number",
                "enter a whole number",
            ));
            None
        }
    }
}

/// A variant's fields as the form gives them (blank fields are missing: the rules say
/// which are required), with the errors of values that are not numbers.
fn variant_fields(form: &Form, errors: &mut Vec<FieldError>) -> VariantFields {
    let stock = if form.get("stock_mode") == "on_demand" {
        Some(Stock::OnDemand)
    } else {
        whole(form, "stock", errors).map(Stock::OnHand)
    };
    VariantFields {
        sku: form.opt("sku"),
        display_name: form.opt("display_name"),
        unit_kind: form.opt("unit_kind"),
        unit_value: whole(form, "unit_value", errors),
        // blank clears the unit's name
        unit_name: Some(form.get("unit_name").to_string()),
        price: form.opt("price"),
        vat_rate: form.opt("vat_rate"),
        local_share_percent: whole(form, "local_share_percent", errors),
        stock,
    }
}

/// What a variant's form shows of a variant.
fn variant_values(v: &Variant) -> Value {
    json!({
        "sku": v.sku,
        "display_name": v.display_name,
        "unit_kind": v.unit.kind.as_str(),
        "unit_value": v.unit.value.to_string(),
        "unit_name": v.unit.name.clone().unwrap_or_default(),
        "price": crate::deployment::legal_text(v.price.minor),
        "vat_rate": v.vat_rate,
        "local_share_percent": v.local_share_percent.to_string(),
        "stock_mode": if v.on_demand { "on_demand" } else { "on_hand" },
        "stock": v.stock_on_hand.map(|n| n.to_string()).unwrap_or_default(),
    })
}

/// The values a new variant's form starts with.
fn new_variant_values(state: &AppState) -> Value {
    // the lowest rate above zero: food's (5.5 % in France, 2.6 % in Switzerland)
    let vat = state
        .catalog
        .vat_rates_bp
        .iter()
        .copied()
        .find(|r| *r > 0)
        .or_else(|| state.catalog.vat_rates_bp.first().copied())
        .unwrap_or(0);
    json!({
        "unit_kind": "weight",
        "vat_rate": vat_percent(vat),
        "local_share_percent": "100",
        "stock_mode": "on_hand",
    })
}

/// What every variant form lists: units, VAT rates, the legal currency.
fn choices(state: &AppState, pages: &Pages) -> Value {
    json!({
        "unit_kinds": UnitKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "vat_rates": state.catalog.vat_rates_bp.iter().map(|r| vat_percent(*r)).collect::<Vec<_>>(),
        "legal": pages.deployment.legal,
    })
}

async fn category_choices(state: &AppState) -> Result<Value, WebError> {
    let list = state.db.run(categories::list).await?;
    Ok(json!(list
        .into_iter()
        .map(|c| json!({"slug": c.slug, "name": c.name}))
        .collect::<Vec<_>>()))
}

async fn new_product_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    row: &EnterpriseRow,
    errors: &[FieldError],
    values: Value,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    render_status(
        pages,
        visitor,
        "producer_product_new.html",
        json!({
            "enterprise": enterprise_json(row),
            "categories": category_choices(state).await?,
            "choices": choices(state, pages),
            "errors": producer_errors(pages, visitor, errors),
            "values": values,
        }),
        status,
    )
}

/// `GET /producer/{slug}/products/new`.
pub async fn new_product_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = office(&state, reader, slug.into_inner()).await?;
    let values = new_variant_values(&state);
    new_product_form(&state, &pages, &visitor, &row, &[], values, StatusCode::OK).await
}

/// `POST /producer/{slug}/products/new`: [`products::create`] → the product's page.
pub async fn create_product(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = office(&state, reader, slug.into_inner()).await?;
    let mut errors = Vec::new();
    let fields = variant_fields(&form, &mut errors);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !errors.is_empty() {
        return new_product_form(
            &state,
            &pages,
            &visitor,
            &row,
            &errors,
            form.values(),
            unprocessable,
        )
        .await;
    }
    let new = NewProduct {
        name: form.opt("name"),
        description: form.opt("description"),
        category: form.opt("category"),
        variants: vec![fields],
    };
    let (rules, producer) = (state.catalog.clone(), row.id.clone());
    let created = state
        .db
        .run(move |conn| products::create(conn, &rules, &producer, &new))
        .await;
    match created {
        Ok(product) => Ok(redirect(&format!(
            "/producer/{}/products/{}?notice=created",
            row.slug, product.id
        ))),
        Err(CatalogError::Invalid(invalid)) => {
            new_product_form(
                &state,
                &pages,
                &visitor,
                &row,
                &invalid.0,
                form.values(),
                unprocessable,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// The product `id` of producer `row` (archived variants too); 404 when it is another's.
async fn own_product(
    state: &AppState,
    row: &EnterpriseRow,
    id: String,
) -> Result<Product, WebError> {
    let producer = row.id.clone();
    state
        .db
        .run(move |conn| -> Result<Product, WebError> {
            if products::producer_of_product(conn, &id)? != producer {
                return Err(WebError::NotFound(format!("no product `{id}` here")));
            }
            Ok(products::get(conn, &id, true)?)
        })
        .await
}

#[allow(clippy::too_many_arguments)]
async fn product_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    row: &EnterpriseRow,
    product: &Product,
    errors: &[FieldError],
    values: Value,
    status: StatusCode,
    notice_text: Option<String>,
) -> Result<HttpResponse, WebError> {
    render_status(
        pages,
        visitor,
        "producer_product.html",
        json!({
            "enterprise": enterprise_json(row),
            "product": product_json(product),
            "categories": category_choices(state).await?,
            "errors": producer_errors(pages, visitor, errors),
            "values": values,
            "notice": notice_text,
        }),
        status,
    )
}

/// `GET /producer/{slug}/products/{id}`.
pub async fn product_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = office(&state, reader, slug).await?;
    let product = own_product(&state, &row, id).await?;
    let values = json!({
        "name": product.name,
        "description": product.description,
        "category": product.category,
    });
    let notice_text = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    product_form(
        &state,
        &pages,
        &visitor,
        &row,
        &product,
        &[],
        values,
        StatusCode::OK,
        notice_text,
    )
    .await
}

/// `POST /producer/{slug}/products/{id}`: [`products::update`].
pub async fn update_product(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = office(&state, reader, slug).await?;
    let product = own_product(&state, &row, id.clone()).await?;
    let patch = ProductPatch {
        name: Some(form.get("name").to_string()),
        description: Some(form.get("description").to_string()),
        category: Some(form.get("category").to_string()),
    };
    let target = id.clone();
    let updated = state
        .db
        .run(move |conn| products::update(conn, &target, &patch))
        .await;
    match updated {
        Ok(_) => Ok(redirect(&format!(
            "/producer/{}/products/{id}?notice=saved",
            row.slug
        ))),
        Err(CatalogError::Invalid(invalid)) => {
            product_form(
                &state,
                &pages,
                &visitor,
                &row,
                &product,
                &invalid.0,
                form.values(),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// Where a variant's form posts, and what it is of.
struct VariantFormOf<'a> {
    product: &'a Product,
    /// The variant being changed; `None` for a new one.
    variant: Option<&'a Variant>,
}

#[allow(clippy::too_many_arguments)]
fn variant_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    row: &EnterpriseRow,
    of: VariantFormOf,
    errors: &[FieldError],
    values: Value,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let action = match of.variant {
        Some(v) => format!("/producer/{}/variants/{}", row.slug, v.id),
        None => format!(
            "/producer/{}/products/{}/variants/new",
            row.slug, of.product.id
        ),
    };
    render_status(
        pages,
        visitor,
        "producer_variant.html",
        json!({
            "enterprise": enterprise_json(row),
            "product": {"id": of.product.id, "name": of.product.name},
            "variant": of.variant.map(variant_json),
            "action": action,
            "choices": choices(state, pages),
            "errors": producer_errors(pages, visitor, errors),
            "values": values,
        }),
        status,
    )
}

/// `GET /producer/{slug}/products/{id}/variants/new`.
pub async fn new_variant_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = office(&state, reader, slug).await?;
    let product = own_product(&state, &row, id).await?;
    let of = VariantFormOf {
        product: &product,
        variant: None,
    };
    let values = new_variant_values(&state);
    variant_form(
        &state,
        &pages,
        &visitor,
        &row,
        of,
        &[],
        values,
        StatusCode::OK,
    )
}

/// `POST /producer/{slug}/products/{id}/variants/new`: [`products::add_variant`].
pub async fn add_variant(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = office(&state, reader, slug).await?;
    let product = own_product(&state, &row, id.clone()).await?;
    let mut errors = Vec::new();
    let fields = variant_fields(&form, &mut errors);
    if errors.is_empty() {
        let rules = state.catalog.clone();
        let target = id.clone();
        let added = state
            .db
            .run(move |conn| products::add_variant(conn, &rules, &target, &fields))
            .await;
        match added {
            Ok(_) => {
                return Ok(redirect(&format!(
                    "/producer/{}/products/{id}?notice=variant-added",
                    row.slug
                )))
            }
            Err(CatalogError::Invalid(invalid)) => errors = invalid.0,
            Err(other) => return Err(other.into()),
        }
    }
    let of = VariantFormOf {
        product: &product,
        variant: None,
    };
    variant_form(
        &state,
        &pages,
        &visitor,
        &row,
        of,
        &errors,
        form.values(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// The variant `id` of producer `row` with its product; 404 when it is another's.
async fn own_variant(
    state: &AppState,
    row: &EnterpriseRow,
    id: String,
) -> Result<(Product, Variant), WebError> {
    let producer = row.id.clone();
    state
        .db
        .run(move |conn| -> Result<(Product, Variant), WebError> {
            let missing = || WebError::NotFound(format!("no variant `{id}` here"));
            if products::producer_of_variant(conn, &id)? != producer {
                return Err(missing());
            }
            let product_id = products::product_of_variant(conn, &id)?;
            let product = products::get(conn, &product_id, true)?;
            let variant = product
                .variants
                .iter()
                .find(|v| v.id == id)
                .cloned()
                .ok_or_else(missing)?;
            Ok((product, variant))
        })
        .await
}

/// `GET /producer/{slug}/variants/{id}`.
pub async fn variant_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = office(&state, reader, slug).await?;
    let (product, variant) = own_variant(&state, &row, id).await?;
    let values = variant_values(&variant);
    let of = VariantFormOf {
        product: &product,
        variant: Some(&variant),
    };
    variant_form(
        &state,
        &pages,
        &visitor,
        &row,
        of,
        &[],
        values,
        StatusCode::OK,
    )
}

/// `POST /producer/{slug}/variants/{id}`: [`products::update_variant`] with every field.
pub async fn update_variant(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = office(&state, reader, slug).await?;
    let (product, variant) = own_variant(&state, &row, id.clone()).await?;
    let mut errors = Vec::new();
    let fields = variant_fields(&form, &mut errors);
    if errors.is_empty() {
        let rules = state.catalog.clone();
        let patch = VariantPatch {
            fields,
            active: None,
        };
        let changed = state
            .db
            .run(move |conn| products::update_variant(conn, &rules, &id, &patch))
            .await;
        match changed {
            Ok(_) => {
                return Ok(redirect(&format!(
                    "/producer/{}/products/{}?notice=saved",
                    row.slug, product.id
                )))
            }
            Err(CatalogError::Invalid(invalid)) => errors = invalid.0,
            Err(other) => return Err(other.into()),
        }
    }
    let of = VariantFormOf {
        product: &product,
        variant: Some(&variant),
    };
    variant_form(
        &state,
        &pages,
        &visitor,
        &row,
        of,
        &errors,
        form.values(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `POST /producer/{slug}/variants/{id}/active` (`active=no` archives, `yes` restores).
pub async fn set_active(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = office(&state, reader, slug).await?;
    let (product, _) = own_variant(&state, &row, id.clone()).await?;
    let active = form.get("active") == "yes";
    let rules = state.catalog.clone();
    let patch = VariantPatch {
        fields: VariantFields::default(),
        active: Some(active),
    };
    state
        .db
        .run(move |conn| products::update_variant(conn, &rules, &id, &patch))
        .await?;
    let done = if active { "restored" } else { "archived" };
    Ok(redirect(&format!(
        "/producer/{}/products/{}?notice={done}",
        row.slug, product.id
    )))
}

/// An import's report as the import page shows it: each bad value's line, column, reason
/// (in the page's words when the catalogue has them: a column is named as the form's field)
/// and code.
fn report_json(pages: &Pages, visitor: &Visitor, report: &ImportReport, dry_run: bool) -> Value {
    let words = producer_errors(pages, visitor, &report.errors);
    let errors: Vec<Value> = report
        .errors
        .iter()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "line": e.line.unwrap_or(0),
                "column": e.field,
                "message": words[i]["message"].as_str().unwrap_or(&e.message),
                "code": e.code,
            })
        })
        .collect();
    json!({
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "rejected": report.rejected,
        "written": report.written,
        "dry_run": dry_run,
        "errors": errors,
        "errors_truncated": report.errors_truncated,
    })
}

/// The import page; `outcome` adds to what it shows: `report` (an import's report, as
/// [`report_json`] gives it) or `busy` (the import already running: its page's address, when
/// it started).
fn import_form(
    pages: &Pages,
    visitor: &Visitor,
    row: &EnterpriseRow,
    values: Value,
    outcome: Value,
    errors: &[FieldError],
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let mut context = json!({
        "enterprise": enterprise_json(row),
        "columns": csv_io::COLUMNS,
        "values": values,
        "errors": producer_errors(pages, visitor, errors),
        "report": null,
        "busy": null,
    });
    if let (Some(context), Value::Object(outcome)) = (context.as_object_mut(), outcome) {
        context.extend(outcome);
    }
    render_status(pages, visitor, "producer_import.html", context, status)
}

/// `GET /producer/{slug}/import`.
pub async fn import_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = office(&state, reader, slug.into_inner()).await?;
    import_form(
        &pages,
        &visitor,
        &row,
        json!({}),
        json!({}),
        &[],
        StatusCode::OK,
    )
}

/// The address of `job`'s page.
fn job_path(row: &EnterpriseRow, job: &Job) -> String {
    format!("/producer/{}/import/{}", row.slug, job.id)
}

/// `POST /producer/{slug}/import`: the file (or, when none is chosen, the text box) checked
/// (`mode=check`, nothing written) or imported (`mode=import`; `partial=yes` keeps the good
/// lines when some are bad) as a job ([`crate::catalog::import_jobs`]), then the report:
/// counts, and each bad value by line and column — or, when the job runs longer than
/// [`AppState::import_wait`], a 303 to its page. 409 while another import of this catalogue
/// runs.
pub async fn import(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    upload: Upload,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = office(&state, reader, slug.into_inner()).await?;
    let csv: Vec<u8> = match upload.bytes("file").or_else(|| upload.bytes("csv")) {
        Some(bytes) => bytes.to_vec(),
        None => {
            let errors = [FieldError::new("file", "required", "choose a CSV file")];
            return import_form(
                &pages,
                &visitor,
                &row,
                json!({}),
                json!({}),
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    if csv.len() > state.max_import_bytes {
        let errors = [FieldError::new(
            "file",
            "too_large",
            "the file is too large",
        )];
        return import_form(
            &pages,
            &visitor,
            &row,
            json!({}),
            json!({}),
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let dry_run = upload.get("mode") != "import";
    let partial = upload.get("partial") == "yes";
    // the text comes back in its box to be corrected (a large file is only named)
    let text = std::str::from_utf8(&csv)
        .ok()
        .filter(|t| t.len() <= EDITABLE_CSV_BYTES)
        .map(str::to_string);
    let values = json!({
        "csv": text.unwrap_or_default(),
        "partial": partial,
    });
    let started = state.import_jobs.start(NewJob {
        producer_id: row.id.clone(),
        started_by: reader.actor.user_id.clone(),
        mode: if dry_run { Mode::Check } else { Mode::Import },
        partial,
        total_bytes: csv.len() as u64,
    });
    let job = match started {
        Ok(job) => job,
        Err(refused) => {
            let busy = match refused {
                StartError::Busy(running) => json!({
                    "href": job_path(&row, &running),
                    "started_at": mail_time(running.started_at, &row.time_zone),
                }),
                StartError::Full => json!({"href": null, "started_at": null}),
            };
            return import_form(
                &pages,
                &visitor,
                &row,
                values,
                json!({ "busy": busy }),
                &[],
                StatusCode::CONFLICT,
            );
        }
    };
    let work = state.import_jobs.work(&job, state.catalog.clone(), csv);
    let (db, jobs, id) = (state.db.clone(), state.import_jobs.clone(), job.id.clone());
    let running = actix_web::rt::spawn(async move {
        let outcome = db.run(work).await;
        // the work records its own outcome; this one is for a work that never ran (no
        // connection) or panicked
        jobs.finish(&id, &outcome);
        outcome
    });
    // past the wait the job goes on: dropping its handle does not stop it. No wait at all
    // is no timer either (a timer's first tick could let a quick job finish first)
    let waited = if state.import_wait.is_zero() {
        None
    } else {
        actix_web::rt::time::timeout(state.import_wait, running)
            .await
            .ok()
    };
    let report = match waited {
        None => return Ok(redirect(&job_path(&row, &job))),
        Some(joined) => joined.map_err(WebError::internal)??,
    };
    let status = if report.rejected > 0 && !report.written {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    import_form(
        &pages,
        &visitor,
        &row,
        values,
        json!({ "report": report_json(&pages, &visitor, &report, dry_run) }),
        &[],
        status,
    )
}

/// `GET /producer/{slug}/import/{job}`: a job of this producer (404 for any other, or one
/// this instance does not know): its progress while it runs, then its report or why it
/// stopped.
pub async fn import_job_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let row = office(&state, reader, slug).await?;
    let Some(job) = state.import_jobs.of_producer(&row.id, &id) else {
        return render_status(
            &pages,
            &visitor,
            "producer_import_job.html",
            json!({
                "enterprise": enterprise_json(&row),
                "heading": "producer-import-job-unknown-title",
                "job": null,
            }),
            StatusCode::NOT_FOUND,
        );
    };
    let dry_run = job.mode == Mode::Check;
    let (state_name, report, failure) = match &job.state {
        JobState::Running => ("running", None, None),
        JobState::Done(report) => (
            "done",
            Some(report_json(&pages, &visitor, report, dry_run)),
            None,
        ),
        JobState::Failed(failure) => (
            "failed",
            None,
            Some(failure_json(&pages, &visitor, failure)),
        ),
    };
    let heading = match (job.is_running(), dry_run) {
        (true, false) => "producer-import-job-title",
        (true, true) => "producer-import-job-check-title",
        (false, false) => "producer-import-job-done-title",
        (false, true) => "producer-import-job-check-done-title",
    };
    render(
        &pages,
        &visitor,
        "producer_import_job.html",
        json!({
            "enterprise": enterprise_json(&row),
            "heading": heading,
            "job": {
                "state": state_name,
                "check": dry_run,
                "rows": job.rows,
                "percent": job.percent(),
                "started_at": mail_time(job.started_at, &row.time_zone),
                "href": job_path(&row, &job),
            },
            "report": report,
            "failure": failure,
        }),
    )
}

/// Why a job stopped, as its page shows it: the file's reasons by line and column (as a
/// report's), a refusal's words, or nothing more for a failure that is not the file's.
fn failure_json(pages: &Pages, visitor: &Visitor, failure: &Failure) -> Value {
    match failure {
        Failure::Input(errors) => {
            let report = ImportReport {
                errors: errors.clone(),
                ..ImportReport::default()
            };
            json!({"kind": "input", "errors": report_json(pages, visitor, &report, false)["errors"]})
        }
        Failure::Refused(detail) => json!({"kind": "refused", "detail": detail}),
        Failure::Internal => json!({"kind": "internal"}),
    }
}

/// `GET /producer/{slug}/export.csv`: the API's export, as a download.
pub async fn export(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = office(&state, reader, slug.into_inner()).await?;
    let producer = row.id.clone();
    let csv = state
        .db
        .run(move |conn| -> Result<Vec<u8>, WebError> {
            let mut out = Vec::new();
            csv_io::export(conn, &producer, &mut out)?;
            Ok(out)
        })
        .await?;
    let name = format!("catalogue-{}.csv", row.slug);
    Ok(crate::state::attachment("text/csv; charset=utf-8", &name).body(csv))
}
