//! The audit trail, read: everything (platform admins), or what concerns one enterprise (its
//! owners and treasurers). See [`crate::audit`].

use actix_web::{get, web, HttpRequest};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::QueryParams;
use crate::api::pagination::{PageQuery, PageResponse};
use crate::api::AppState;
use crate::audit::{self, AuditEvent, Filter};
use crate::auth::policy::{authorize, Action};
use crate::pagination::PageParams;

/// One administrative act.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: String,
    pub at: DateTime<Utc>,
    /// The person who acted (none for the command line).
    pub actor_id: Option<String>,
    /// `user`, or `cli:<operating-system user>`.
    pub actor: String,
    /// The client's address, or `local`.
    pub origin: String,
    /// `admin.grant`, `ledger.issue`, `ledger.payout`, `account.status`…
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub enterprise_id: Option<String>,
    /// The ledger entry the act wrote, when it moved money.
    pub ledger_entry_id: Option<String>,
    /// What the act changed.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> AuditEventView {
        AuditEventView {
            details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
            id: e.id,
            at: e.at.and_utc(),
            actor_id: e.actor_id,
            actor: e.actor,
            origin: e.origin,
            action: e.action,
            subject_kind: e.subject_kind,
            subject_id: e.subject_id,
            enterprise_id: e.enterprise_id,
            ledger_entry_id: e.ledger_entry_id,
        }
    }
}

async fn page_of(
    state: &AppState,
    filter: Filter,
    page: PageParams,
    req: &HttpRequest,
) -> Result<web::Json<PageResponse<AuditEventView>>, ApiError> {
    let found = state
        .db
        .run(move |conn| audit::list(conn, &filter, &page))
        .await?;
    Ok(web::Json(PageResponse::from_page(
        found.map(AuditEventView::from),
        req,
    )))
}

/// Every administrative act of the deployment, oldest first (platform admins).
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = PageResponse<AuditEventView>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/audit")]
pub async fn all(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: QueryParams<PageQuery>,
    req: HttpRequest,
) -> Result<web::Json<PageResponse<AuditEventView>>, ApiError> {
    let page = PageParams::from(page.0);
    page.validate()?;
    authorize(
        &caller.0,
        Action::ReadAudit {
            enterprise_id: None,
        },
    )?;
    page_of(&state, Filter::default(), page, &req).await
}

/// The administrative acts about one enterprise (a currency association: its issuances,
/// payouts, freezes, limits, commission rules), oldest first; for its owners and treasurers.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path), PageQuery),
    responses((status = 200, body = PageResponse<AuditEventView>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{enterprise_id}/audit")]
pub async fn of_enterprise(
    state: web::Data<AppState>,
    caller: Authenticated,
    enterprise_id: web::Path<String>,
    page: QueryParams<PageQuery>,
    req: HttpRequest,
) -> Result<web::Json<PageResponse<AuditEventView>>, ApiError> {
    let page = PageParams::from(page.0);
    page.validate()?;
    let enterprise_id =
        crate::api::resolve::enterprise(&state, &caller.0, enterprise_id.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ReadAudit {
            enterprise_id: Some(&enterprise_id),
        },
    )?;
    let filter = Filter {
        enterprise_id: Some(enterprise_id),
        action: None,
    };
    page_of(&state, filter, page, &req).await
}
