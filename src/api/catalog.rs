//! The catalogue over HTTP: browsing (public, with `ETag`), and the producer's own management
//! of products, variants and CSV import/export (authorised by
//! [`crate::auth::policy::authorize`]). Prices travel as decimal strings (`"2.80"`), VAT
//! rates as percent strings (`"5.5"`).

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{csv_body, JsonBody, QueryParams};
use crate::api::pagination::PageResponse;
use crate::api::views::catalog::{BrowseParams, CatalogItem, ImportReport, Product, Variant};
use crate::api::{etag, AppState};
use crate::auth::policy::{authorize, Action};
use crate::catalog::browse::{self, Scope};
use crate::catalog::csv_io::{self, ImportOptions};
use crate::catalog::products::{self, NewProduct, ProductPatch, VariantPatch};
use crate::catalog::rules::{Stock, VariantFields};
use crate::enterprises;

/// The unit a variant is sold by.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    /// `weight` (grams), `volume` (millilitres) or `items`.
    pub kind: String,
    /// Whole grams, millilitres or items.
    pub value: i64,
    /// For items: `bunch`, `eggs`…
    pub name: Option<String>,
}

/// A variant to create (every field but `unit.name`, `local_share_percent` and `active` is
/// required) or the fields to change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    pub sku: Option<String>,
    pub display_name: Option<String>,
    pub unit: Option<UnitInput>,
    /// Tax-inclusive euros as a string: `"2.80"`.
    #[schema(example = "2.80")]
    pub price: Option<String>,
    /// Percent as a string, one of the configured rates: `"5.5"`.
    #[schema(example = "5.5")]
    pub vat_rate: Option<String>,
    /// Share of the price payable in local currency, 0–100 (default 100).
    pub local_share_percent: Option<i64>,
    /// Units in stock; omit and set `on_demand` for products made to order.
    pub stock: Option<i64>,
    pub on_demand: Option<bool>,
    /// `false` archives the variant (out of listings and new orders).
    pub active: Option<bool>,
}

impl VariantInput {
    fn fields(&self, field_prefix: &str) -> Result<VariantFields, ApiError> {
        let stock =
            match (self.on_demand, self.stock) {
                (Some(true), Some(_)) => return Err(ApiError::field(
                    &format!("{field_prefix}stock"),
                    "conflict",
                    "an on-demand variant keeps no stock: send either `stock` or `on_demand: true`",
                )),
                (Some(true), None) => Some(Stock::OnDemand),
                (_, Some(n)) => Some(Stock::OnHand(n)),
                (Some(false), None) => {
                    return Err(ApiError::field(
                        &format!("{field_prefix}stock"),
                        "required",
                        "give the stock of a variant that is not on demand",
                    ))
                }
                (None, None) => None,
            };
        Ok(VariantFields {
            sku: self.sku.clone(),
            display_name: self.display_name.clone(),
            unit_kind: self.unit.as_ref().map(|u| u.kind.clone()),
            unit_value: self.unit.as_ref().map(|u| u.value),
            unit_name: self.unit.as_ref().and_then(|u| u.name.clone()),
            price: self.price.clone(),
            vat_rate: self.vat_rate.clone(),
            local_share_percent: self.local_share_percent,
            stock,
        })
    }
}

/// A product to create with its variants.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// A category slug (see `GET /api/v1/categories`).
    pub category: Option<String>,
    #[serde(default)]
    pub variants: Vec<VariantInput>,
}

/// Product fields to change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatchInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
}

/// Creates a product with its variants in a producer's catalogue.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(("producer_id" = String, Path)),
    request_body = ProductInput,
    responses(
        (status = 201, body = Product),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/enterprises/{producer_id}/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    caller: Authenticated,
    producer_id: web::Path<String>,
    body: JsonBody<ProductInput>,
) -> Result<HttpResponse, ApiError> {
    let producer = super::resolve::enterprise(&state, &caller.0, producer_id.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ManageCatalogue {
            producer_id: &producer,
        },
    )?;
    let input = body.0;
    let new = NewProduct {
        name: input.name.clone(),
        description: input.description.clone(),
        category: input.category.clone(),
        variants: input
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| v.fields(&format!("variants[{i}].")))
            .collect::<Result<_, _>>()?,
    };
    let rules = state.catalog.clone();
    let product = state
        .db
        .run(move |conn| products::create(conn, &rules, &producer, &new))
        .await?;
    Ok(HttpResponse::Created().json(Product::from(product)))
}

/// A product of a public producer, with its active variants.
#[utoipa::path(
    tag = "catalog",
    params(("product_id" = String, Path)),
    responses(
        (status = 200, body = Product),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/products/{product_id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    product_id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = product_id.into_inner();
    let product = state
        .db
        .run(move |conn| {
            let product = products::get(conn, &id, false)?;
            // hidden producers' products are not public
            enterprises::find_public(conn, &product.producer_id)
                .map_err(|_| ApiError::NotFound(format!("no product `{id}`")))?;
            Ok::<_, ApiError>(product)
        })
        .await?;
    etag::json(&req, &Product::from(product))
}

/// Changes a product's name, description or category.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = String, Path)),
    request_body = ProductPatchInput,
    responses(
        (status = 200, body = Product),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/products/{product_id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    caller: Authenticated,
    product_id: web::Path<String>,
    body: JsonBody<ProductPatchInput>,
) -> Result<web::Json<Product>, ApiError> {
    let id = product_id.into_inner();
    let patch = ProductPatch {
        name: body.0.name,
        description: body.0.description,
        category: body.0.category,
    };
    let product = state
        .db
        .run(move |conn| {
            let producer = products::producer_of_product(conn, &id)?;
            authorize(
                &caller.0,
                Action::ManageCatalogue {
                    producer_id: &producer,
                },
            )?;
            products::update(conn, &id, &patch)
        })
        .await?;
    Ok(web::Json(product.into()))
}

/// Adds a variant to a product.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = String, Path)),
    request_body = VariantInput,
    responses(
        (status = 201, body = Variant),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/products/{product_id}/variants")]
pub async fn add_variant(
    state: web::Data<AppState>,
    caller: Authenticated,
    product_id: web::Path<String>,
    body: JsonBody<VariantInput>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id.into_inner();
    let fields = body.0.fields("")?;
    let rules = state.catalog.clone();
    let variant = state
        .db
        .run(move |conn| {
            let producer = products::producer_of_product(conn, &id)?;
            authorize(
                &caller.0,
                Action::ManageCatalogue {
                    producer_id: &producer,
                },
            )?;
            products::add_variant(conn, &rules, &id, &fields)
        })
        .await?;
    Ok(HttpResponse::Created().json(Variant::from(variant)))
}

/// Changes a variant (only the fields sent). A new price applies to new orders only.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(("variant_id" = String, Path)),
    request_body = VariantInput,
    responses(
        (status = 200, body = Variant),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/variants/{variant_id}")]
pub async fn update_variant(
    state: web::Data<AppState>,
    caller: Authenticated,
    variant_id: web::Path<String>,
    body: JsonBody<VariantInput>,
) -> Result<web::Json<Variant>, ApiError> {
    let id = variant_id.into_inner();
    let patch = VariantPatch {
        fields: body.0.fields("")?,
        active: body.0.active,
    };
    let rules = state.catalog.clone();
    let variant = state
        .db
        .run(move |conn| {
            let producer = products::producer_of_variant(conn, &id)?;
            authorize(
                &caller.0,
                Action::ManageCatalogue {
                    producer_id: &producer,
                },
            )?;
            products::update_variant(conn, &rules, &id, &patch)
        })
        .await?;
    Ok(web::Json(variant.into()))
}

/// `?partial=&dry_run=` of an import.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: write the good rows even when some are bad.
    pub partial: Option<bool>,
    /// `true`: check the file, write nothing.
    pub dry_run: Option<bool>,
}

/// Imports a producer's catalogue from CSV (create or update by SKU; see the README for the
/// columns). All or nothing unless `partial`: when any row is bad and nothing was written,
/// the answer is a 422 problem whose `errors` give the line, column and reason of each bad
/// value.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(("producer_id" = String, Path), ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, body = ImportReport),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/enterprises/{producer_id}/catalog/import")]
pub async fn import_catalog(
    state: web::Data<AppState>,
    caller: Authenticated,
    producer_id: web::Path<String>,
    params: QueryParams<ImportParams>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<ImportReport>, ApiError> {
    let producer = super::resolve::enterprise(&state, &caller.0, producer_id.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ManageCatalogue {
            producer_id: &producer,
        },
    )?;
    let bytes = csv_body(&req, payload, state.max_import_bytes).await?;
    let options = ImportOptions {
        partial: params.partial.unwrap_or(false),
        dry_run: params.dry_run.unwrap_or(false),
    };
    let rules = state.catalog.clone();
    let report = state
        .db
        .run(move |conn| {
            csv_io::import(
                conn,
                &rules,
                &producer,
                bytes.as_ref(),
                options,
                &mut |_| {},
            )
        })
        .await?;
    if !report.written && !options.dry_run {
        return Err(ApiError::Validation {
            detail: format!(
                "{} of {} rows are invalid: nothing was imported",
                report.rejected, report.rows
            ),
            errors: report.errors,
        });
    }
    Ok(web::Json(report.into()))
}

/// A producer's whole catalogue as CSV (archived variants too), in the import's columns.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    params(("producer_id" = String, Path)),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/enterprises/{producer_id}/catalog/export")]
pub async fn export_catalog(
    state: web::Data<AppState>,
    caller: Authenticated,
    producer_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let producer = super::resolve::enterprise(&state, &caller.0, producer_id.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ManageCatalogue {
            producer_id: &producer,
        },
    )?;
    let (slug, csv) = state
        .db
        .run(move |conn| {
            let slug = enterprises::get_row(conn, &producer)?.slug;
            let mut out = Vec::new();
            csv_io::export(conn, &producer, &mut out)?;
            Ok::<_, ApiError>((slug, out))
        })
        .await?;
    Ok(
        crate::api::attachment("text/csv; charset=utf-8", &format!("catalogue-{slug}.csv"))
            .body(csv),
    )
}

fn page_response(
    page: crate::api::pagination::Page<browse::CatalogItem>,
    req: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    etag::json(
        req,
        &PageResponse::from_page(page.map(CatalogItem::from), req),
    )
}

/// The public catalogue: active variants of public producers, with search, filters, sorting
/// and cursor pagination.
#[utoipa::path(
    tag = "catalog",
    params(BrowseParams),
    responses(
        (status = 200, body = PageResponse<CatalogItem>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/products")]
pub async fn browse_products(
    state: web::Data<AppState>,
    params: QueryParams<BrowseParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = browse::BrowseParams::from(params.0);
    let page = state
        .db
        .run(move |conn| {
            let b = params.check(conn)?;
            browse::list(conn, &Scope::Public, &b)
        })
        .await?;
    page_response(page, &req)
}

/// A hub's offer: the active variants of every producer that lets the hub sell its products
/// (and the hub's own, for a producer-hub), with the same search, filters and sorting.
#[utoipa::path(
    tag = "catalog",
    params(("hub" = String, Path, description = "the hub's id or slug"), BrowseParams),
    responses(
        (status = 200, body = PageResponse<CatalogItem>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/enterprises/{hub}/offer")]
pub async fn hub_offer(
    state: web::Data<AppState>,
    hub: web::Path<String>,
    params: QueryParams<BrowseParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (key, params) = (hub.into_inner(), browse::BrowseParams::from(params.0));
    let page = state
        .db
        .run(move |conn| {
            let hub = enterprises::find_public(conn, &key)?;
            if !hub.kind.is_hub() {
                return Err(ApiError::NotFound(format!("`{key}` is not a hub")));
            }
            let b = params.check(conn)?;
            Ok(browse::list(conn, &Scope::HubOffer(hub.id), &b)?)
        })
        .await?;
    page_response(page, &req)
}
