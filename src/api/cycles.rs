//! Order cycles of hubs, their offer, and basket quotes.

use actix_web::{get, post, web, HttpRequest};

use crate::api::error::{ApiError, Problem};
use crate::api::extract::JsonBody;
use crate::api::extract::QueryParams;
use crate::api::pagination::{PageQuery, PageResponse};
use crate::api::views::cycles::{OrderCycle, OrderCycleDetail};
use crate::api::views::orders::{Quote, QuoteRequest};
use crate::api::AppState;
use crate::enterprises;
use crate::orders::cycles;
use crate::pagination::PageParams;

/// A public hub's order cycles (upcoming, open, closed, settled).
#[utoipa::path(
    tag = "order cycles",
    params(("id_or_slug" = String, Path), PageQuery),
    responses(
        (status = 200, body = PageResponse<OrderCycle>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/enterprises/{id_or_slug}/order-cycles")]
pub async fn list_hub_cycles(
    state: web::Data<AppState>,
    id_or_slug: web::Path<String>,
    page: QueryParams<PageQuery>,
    req: HttpRequest,
) -> Result<web::Json<PageResponse<OrderCycle>>, ApiError> {
    let (key, page) = (id_or_slug.into_inner(), PageParams::from(page.0));
    page.validate()?;
    let result = state
        .db
        .run(move |conn| {
            let hub = enterprises::find_public(conn, &key)?;
            if !hub.kind.is_hub() {
                return Err(ApiError::NotFound(format!("`{key}` is not a hub")));
            }
            Ok(cycles::list_for_hub(conn, &hub.id, &page)?)
        })
        .await?;
    Ok(web::Json(PageResponse::from_page(
        result.map(OrderCycle::from),
        &req,
    )))
}

/// An order cycle and the variants it offers, with cycle prices.
#[utoipa::path(
    tag = "order cycles",
    params(("cycle_id" = String, Path)),
    responses(
        (status = 200, body = OrderCycleDetail),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/order-cycles/{cycle_id}")]
pub async fn get_cycle(
    state: web::Data<AppState>,
    cycle_id: web::Path<String>,
) -> Result<web::Json<OrderCycleDetail>, ApiError> {
    let id = cycle_id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| cycles::detail(conn, &id))
            .await?
            .into(),
    ))
}

/// Prices a basket in an open cycle: line totals, VAT per rate, and the most that may be
/// paid in local currency. Nothing is reserved or stored.
#[utoipa::path(
    tag = "order cycles",
    params(("cycle_id" = String, Path)),
    request_body = QuoteRequest,
    responses(
        (status = 200, body = Quote),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/order-cycles/{cycle_id}/quote")]
pub async fn quote_basket(
    state: web::Data<AppState>,
    cycle_id: web::Path<String>,
    body: JsonBody<QuoteRequest>,
) -> Result<web::Json<Quote>, ApiError> {
    let (id, request) = (cycle_id.into_inner(), body.0.into());
    let quoted = state
        .db
        .run(move |conn| {
            cycles::find_open(conn, &id)?;
            crate::orders::quote::at_cycle(conn, &id, &request)
        })
        .await?;
    Ok(web::Json(quoted.into()))
}
