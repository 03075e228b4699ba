//! A hub's work on its cycles: create, copy, add fees, close, and read the reports.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{JsonBody, QueryParams};
use crate::api::views::cycles::{
    CloseReport, CopyCycle, CycleFee, NewCycle, NewFee, OrderCycleDetail, Report,
};
use crate::api::AppState;
use crate::auth::policy::{authorize, Action};
use crate::enterprises;
use crate::ids::CycleId;
use crate::orders::close;
use crate::orders::cycles;
use crate::orders::fees;
use crate::orders::planning;
use crate::orders::reports;

/// Opens a new cycle for a hub (its owners and managers): times, offer, settlement policy.
#[utoipa::path(
    tag = "order cycles",
    security(("bearer" = [])),
    params(("hub_id" = String, Path)),
    request_body = NewCycle,
    responses((status = 201, body = OrderCycleDetail), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/enterprises/{hub_id}/order-cycles")]
pub async fn create_cycle(
    state: web::Data<AppState>,
    caller: Authenticated,
    hub_id: web::Path<String>,
    body: JsonBody<NewCycle>,
) -> Result<HttpResponse, ApiError> {
    let (hub, new) = (
        super::resolve::enterprise(&state, &caller.0, hub_id.into_inner()).await?,
        planning::NewCycle::from(body.0),
    );
    authorize(&caller.0, Action::ManageHubOrders { hub_id: &hub })?;
    let created = state
        .db
        .run(move |conn| {
            let row = enterprises::get_row(conn, &hub)?;
            if !crate::enterprises::EnterpriseKind::parse(&row.kind).is_some_and(|k| k.is_hub()) {
                return Err(ApiError::field("hub_id", "not_a_hub", "is not a hub"));
            }
            Ok(planning::create(conn, &hub, &new)?)
        })
        .await
        .map(OrderCycleDetail::from)?;
    Ok(HttpResponse::Created().json(created))
}

/// Copies a cycle to new times: offer, hub prices, fees and methods (the hub's owners and
/// managers).
#[utoipa::path(
    tag = "order cycles",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    request_body = CopyCycle,
    responses((status = 201, body = OrderCycleDetail), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/order-cycles/{cycle_id}/copy")]
pub async fn copy_cycle(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
    body: JsonBody<CopyCycle>,
) -> Result<HttpResponse, ApiError> {
    let (id, request) = (cycle_id.into_inner(), planning::CopyCycle::from(body.0));
    let copied = state
        .db
        .run(move |conn| {
            cycles::find_for(conn, &id, &caller.0, |hub_id| Action::ManageHubOrders {
                hub_id,
            })?;
            planning::copy(conn, &id, &request)
        })
        .await
        .map(OrderCycleDetail::from)?;
    Ok(HttpResponse::Created().json(copied))
}

/// Adds an enterprise fee to a cycle that has not closed (the hub's owners and managers). It
/// applies to checkouts from now on.
#[utoipa::path(
    tag = "order cycles",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    request_body = NewFee,
    responses((status = 201, body = CycleFee), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/order-cycles/{cycle_id}/fees")]
pub async fn add_fee(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
    body: JsonBody<NewFee>,
) -> Result<HttpResponse, ApiError> {
    let (id, new) = (cycle_id.into_inner(), fees::NewFee::from(body.0));
    let rules = state.catalog.clone();
    let created = state
        .db
        .run(move |conn| {
            cycles::find_for(conn, &id, &caller.0, |hub_id| Action::ManageHubOrders {
                hub_id,
            })?;
            Ok::<_, ApiError>(planning::add_fee(conn, &rules, &id, new)?)
        })
        .await
        .map(CycleFee::from)?;
    Ok(HttpResponse::Created().json(created))
}

/// Closes a cycle now: ordering stops. A cycle without `settles_at` is settled at once
/// (holds captured, sales booked, producers paid, reports mailed); one with `settles_at`
/// waits for it (or `POST …/settle`), the hub weighing and recording payments meanwhile
/// (`state` stays `closed`). Closing again returns what was done. By the hub's owners,
/// managers and treasurers; the cycle also closes by itself at `closes_at`.
#[utoipa::path(
    tag = "order cycles",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    responses((status = 200, body = CloseReport), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "The cycle has not opened", body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/order-cycles/{cycle_id}/close")]
pub async fn close_cycle(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
) -> Result<web::Json<CloseReport>, ApiError> {
    let id = cycle_id.into_inner();
    let report = state
        .db
        .run(move |conn| {
            cycles::find_for(conn, &id, &caller.0, |hub_id| Action::CloseCycle { hub_id })?;
            close::close(conn, &CycleId::from(&id), &mut |_| {})
        })
        .await?;
    Ok(web::Json(report.into()))
}

/// When a cycle settles: a date after its close (at most 14 days), or null to settle at
/// the close. Until the cycle is settled; by the hub's owners and managers.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settlement {
    pub settles_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Sets when a cycle settles: between its close and that date the hub weighs, marks
/// missing lines and records payments. By the hub's owners and managers, until it settles.
#[utoipa::path(
    tag = "order cycles",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    request_body = Settlement,
    responses((status = 200, body = OrderCycleDetail), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "The cycle is settled", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[put("/api/v1/order-cycles/{cycle_id}/settlement")]
pub async fn set_cycle_settlement(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
    body: JsonBody<Settlement>,
) -> Result<web::Json<OrderCycleDetail>, ApiError> {
    let (id, settles_at) = (cycle_id.into_inner(), body.0.settles_at);
    let detail = state
        .db
        .run(move |conn| {
            cycles::find_for(conn, &id, &caller.0, |hub_id| Action::ManageHubOrders {
                hub_id,
            })?;
            planning::set_settlement(conn, &id, settles_at)
        })
        .await
        .map(OrderCycleDetail::from)?;
    Ok(web::Json(detail))
}

/// Settles a cycle now, closing it first if it is open: the orders as weighed are booked
/// (holds captured into the hub's holding accounts), producers paid out of them, the hub's
/// fees and their VAT set apart, reports mailed. Settling again returns what the first
/// settlement did. By the hub's owners, managers and treasurers; a cycle with `settles_at`
/// also settles by itself then.
#[utoipa::path(
    tag = "order cycles",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path)),
    responses((status = 200, body = CloseReport), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "The cycle has not opened", body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/order-cycles/{cycle_id}/settle")]
pub async fn settle_cycle(
    state: web::Data<AppState>,
    caller: Authenticated,
    cycle_id: web::Path<String>,
) -> Result<web::Json<CloseReport>, ApiError> {
    let id = cycle_id.into_inner();
    let report = state
        .db
        .run(move |conn| {
            cycles::find_for(conn, &id, &caller.0, |hub_id| Action::CloseCycle { hub_id })?;
            close::settle(conn, &CycleId::from(&id), &mut |_| {})
        })
        .await?;
    Ok(web::Json(report.into()))
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// `json` (default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
}

/// One of the cycle's reports (see the README for the list), as JSON or CSV. By the hub's
/// owners, managers and treasurers.
#[utoipa::path(
    tag = "order cycles",
    security(("bearer" = [])),
    params(("cycle_id" = String, Path), ("name" = String, Path), ReportParams),
    responses((status = 200, body = Report), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/order-cycles/{cycle_id}/reports/{name}")]
pub async fn cycle_report(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    params: QueryParams<ReportParams>,
    _req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let csv = match params.0.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ApiError::field(
                "format",
                "invalid",
                "must be `json` or `csv`",
            ))
        }
    };
    let report = state
        .db
        .run(move |conn| {
            let cycle = cycles::find_for(conn, &id, &caller.0, |hub_id| Action::ReadHubReports {
                hub_id,
            })?;
            reports::build(conn, &cycle, &name)
        })
        .await?;
    if csv {
        let name = format!("{}.csv", report.report);
        return Ok(crate::api::attachment("text/csv; charset=utf-8", &name).body(report.to_csv()?));
    }
    Ok(HttpResponse::Ok().json(Report::from(report)))
}
