//! Public directory: currencies, enterprises and producers' catalogues.

use actix_web::{get, web, HttpRequest};

use crate::api::error::{ApiError, Problem};
use crate::api::extract::QueryParams;
use crate::api::pagination::{PageQuery, PageResponse};
use crate::api::views::{self, catalog::Product, enterprises::Enterprise, ledger::Currency};
use crate::api::AppState;
use crate::catalog;
use crate::enterprises::{self, KindFilter};
use crate::ledger::currencies;
use crate::pagination::PageParams;

/// Every currency: the euro and the local currencies.
#[utoipa::path(tag = "directory", responses((status = 200, body = Vec<Currency>)))]
#[get("/api/v1/currencies")]
pub async fn list_currencies(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Currency>>, ApiError> {
    Ok(web::Json(views::all(state.db.run(currencies::list).await?)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseFilter {
    /// `producer` (includes producer-hubs), `hub` (includes producer-hubs) or `currency_association`.
    pub kind: Option<KindFilter>,
}

/// Public enterprises, in creation order.
#[utoipa::path(
    tag = "directory",
    params(EnterpriseFilter, PageQuery),
    responses(
        (status = 200, body = PageResponse<Enterprise>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/enterprises")]
pub async fn list_enterprises(
    state: web::Data<AppState>,
    filter: QueryParams<EnterpriseFilter>,
    page: QueryParams<PageQuery>,
    req: HttpRequest,
) -> Result<web::Json<PageResponse<Enterprise>>, ApiError> {
    let (kind, page) = (filter.kind, PageParams::from(page.0));
    page.validate()?;
    let result = state
        .db
        .run(move |conn| enterprises::list_public(conn, kind, &page))
        .await?;
    Ok(web::Json(PageResponse::from_page(
        result.map(Enterprise::from),
        &req,
    )))
}

/// One public enterprise, by id or slug.
#[utoipa::path(
    tag = "directory",
    params(("id_or_slug" = String, Path)),
    responses(
        (status = 200, body = Enterprise),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/enterprises/{id_or_slug}")]
pub async fn get_enterprise(
    state: web::Data<AppState>,
    id_or_slug: web::Path<String>,
) -> Result<web::Json<Enterprise>, ApiError> {
    let key = id_or_slug.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| enterprises::find_public(conn, &key))
            .await?
            .into(),
    ))
}

/// A public producer's products with their active variants.
#[utoipa::path(
    tag = "directory",
    params(("id_or_slug" = String, Path), PageQuery),
    responses(
        (status = 200, body = PageResponse<Product>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/enterprises/{id_or_slug}/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    id_or_slug: web::Path<String>,
    page: QueryParams<PageQuery>,
    req: HttpRequest,
) -> Result<actix_web::HttpResponse, ApiError> {
    let (key, page) = (id_or_slug.into_inner(), PageParams::from(page.0));
    page.validate()?;
    let result = state
        .db
        .run(move |conn| {
            let producer = enterprises::find_public(conn, &key)?;
            if !producer.kind.is_producer() {
                return Err(ApiError::NotFound(format!("`{key}` is not a producer")));
            }
            Ok(catalog::list_producer_products(conn, &producer.id, &page)?)
        })
        .await?;
    crate::api::etag::json(
        &req,
        &PageResponse::from_page(result.map(Product::from), &req),
    )
}
