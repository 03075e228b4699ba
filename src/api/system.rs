//! Operational routes: liveness, readiness, the OpenAPI document, problem type documentation.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::error::{ApiError, Problem, ProblemInfo, ProblemKind};
use crate::api::AppState;
use crate::db::{self, Backend, Db};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    pub status: &'static str,
    pub version: &'static str,
}

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/health")]
pub async fn health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when the database answers and every migration is applied.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// Readiness: the database answers and its schema is up to date.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = Readiness),
        (status = 503, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<Readiness>, ApiError> {
    let pending = state
        .db
        .run(|conn| {
            db::ping(conn)?;
            Db::has_pending_migrations(conn)
        })
        .await?;
    if pending {
        return Err(ApiError::Unavailable("migrations are pending".into()));
    }
    let database = match state.db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok(web::Json(Readiness {
        status: "ready",
        database,
    }))
}

/// The OpenAPI document, serialised once per worker.
pub struct OpenApiJson(pub String);

/// This API's OpenAPI 3.1 description.
#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn openapi(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

/// What a problem `type` means.
#[utoipa::path(
    tag = "operations",
    params(("slug" = String, Path, description = "Last segment of a problem `type`")),
    responses(
        (status = 200, body = ProblemInfo),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/problems/{slug}")]
pub async fn problem_type(slug: web::Path<String>) -> Result<web::Json<ProblemInfo>, ApiError> {
    ProblemKind::from_slug(&slug)
        .map(|kind| web::Json(kind.info()))
        .ok_or_else(|| ApiError::NotFound(format!("no problem type `{slug}`")))
}
