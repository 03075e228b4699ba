//! A local currency's professionals over HTTP (see [`crate::association::professionals`]):
//! the association lists requests and approvals, approves, refuses, suspends; an enterprise
//! reads where it stands.

use actix_web::{get, post, web, HttpRequest};

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{JsonBody, QueryParams};
use crate::api::views::professionals::{Professional, Reason, StateFilter};
use crate::api::AppState;
use crate::association::professionals;

fn views(found: Vec<professionals::Professional>) -> Vec<Professional> {
    found.into_iter().map(Professional::from).collect()
}

/// The enterprises that asked to accept a local currency, and where each stands (its
/// association's owners and treasurers); `?state=requested` is the queue.
#[utoipa::path(
    tag = "professionals",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The local currency"), StateFilter),
    responses((status = 200, body = [Professional]), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/currencies/{code}/professionals")]
pub async fn list_professionals(
    state: web::Data<AppState>,
    caller: Authenticated,
    code: web::Path<String>,
    filter: QueryParams<StateFilter>,
) -> Result<web::Json<Vec<Professional>>, ApiError> {
    let (code, filter) = (code.into_inner(), filter.0);
    let found = state
        .db
        .run(move |conn| {
            Ok::<_, ApiError>(professionals::list(conn, &caller.0, &code, filter.state)?)
        })
        .await?;
    Ok(web::Json(views(found)))
}

async fn decide(
    state: &AppState,
    caller: Authenticated,
    req: &HttpRequest,
    path: (String, String),
    decision: Decision,
) -> Result<web::Json<Professional>, ApiError> {
    let (code, enterprise) = path;
    let enterprise = crate::api::resolve::enterprise(state, &caller.0, enterprise).await?;
    let who = caller.who(req);
    let done = state
        .db
        .run(move |conn| {
            let actor = &caller.0;
            Ok::<_, ApiError>(match &decision {
                Decision::Approve => professionals::approve(conn, actor, &who, &code, &enterprise)?,
                Decision::Refuse(r) => {
                    professionals::refuse(conn, actor, &who, &code, &enterprise, r)?
                }
                Decision::Suspend(r) => {
                    professionals::suspend(conn, actor, &who, &code, &enterprise, r)?
                }
            })
        })
        .await?;
    Ok(web::Json(done.into()))
}

enum Decision {
    Approve,
    Refuse(String),
    Suspend(String),
}

/// Approves an enterprise as a professional of the currency (or lifts its suspension): its
/// wallet opens (or is reactivated), it is paid in the currency and may reconvert it.
#[utoipa::path(
    tag = "professionals",
    security(("bearer" = [])),
    params(("code" = String, Path), ("enterprise" = String, Path, description = "Id or slug")),
    responses((status = 200, body = Professional), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, description = "It has not asked", body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/currencies/{code}/professionals/{enterprise}/approve")]
pub async fn approve_professional(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<web::Json<Professional>, ApiError> {
    decide(&state, caller, &req, path.into_inner(), Decision::Approve).await
}

/// Refuses an enterprise's request to accept the currency, saying why.
#[utoipa::path(
    tag = "professionals",
    security(("bearer" = [])),
    params(("code" = String, Path), ("enterprise" = String, Path, description = "Id or slug")),
    request_body = Reason,
    responses((status = 200, body = Professional), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Not a request", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/currencies/{code}/professionals/{enterprise}/refuse")]
pub async fn refuse_professional(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    body: JsonBody<Reason>,
    req: HttpRequest,
) -> Result<web::Json<Professional>, ApiError> {
    let decision = Decision::Refuse(body.0.reason);
    decide(&state, caller, &req, path.into_inner(), decision).await
}

/// Suspends an approval, saying why: the wallet is frozen (its balance kept), payments in the
/// currency are refused, settlements are paid in the legal currency, until approved again.
#[utoipa::path(
    tag = "professionals",
    security(("bearer" = [])),
    params(("code" = String, Path), ("enterprise" = String, Path, description = "Id or slug")),
    request_body = Reason,
    responses((status = 200, body = Professional), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Not approved", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/currencies/{code}/professionals/{enterprise}/suspend")]
pub async fn suspend_professional(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    body: JsonBody<Reason>,
    req: HttpRequest,
) -> Result<web::Json<Professional>, ApiError> {
    let decision = Decision::Suspend(body.0.reason);
    decide(&state, caller, &req, path.into_inner(), decision).await
}

/// Where an enterprise stands with each local currency it asked to accept (its owners and
/// managers).
#[utoipa::path(
    tag = "professionals",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id or slug")),
    responses((status = 200, body = [Professional]), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{id}/currency-approvals")]
pub async fn currency_approvals(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<Vec<Professional>>, ApiError> {
    let id = crate::api::resolve::enterprise(&state, &caller.0, id.into_inner()).await?;
    let found = state
        .db
        .run(move |conn| Ok::<_, ApiError>(professionals::of_enterprise(conn, &caller.0, &id)?))
        .await?;
    Ok(web::Json(views(found)))
}
