//! The people of an enterprise and their roles (see [`crate::enterprises::roles`]): read by
//! its owners, managers and treasurers; named and removed by its owners.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::JsonBody;
use crate::api::AppState;
use crate::auth::policy::{authorize, Action};
use crate::auth::registration::Email;
use crate::enterprises::roles::{self, Member};

/// Someone's role in the enterprise.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    /// `owner`, `manager`, `cashier`, `treasurer` or `member`.
    pub role: String,
    pub since: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> MemberView {
        MemberView {
            user_id: m.user_id,
            email: m.email,
            display_name: m.display_name,
            role: m.role,
            since: m.since.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "tresorerie@lem.example.org", "role": "treasurer"}))]
#[serde(deny_unknown_fields)]
pub struct RoleGrant {
    /// The address of an existing account.
    #[schema(max_length = 254)]
    pub email: String,
    /// `owner`, `manager`, `cashier`, `treasurer` or `member`.
    pub role: String,
}

/// The enterprise's people and their roles.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path)),
    responses((status = 200, body = Vec<MemberView>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{enterprise_id}/roles")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    enterprise_id: web::Path<String>,
) -> Result<web::Json<Vec<MemberView>>, ApiError> {
    let id = crate::api::resolve::enterprise(&state, &caller.0, enterprise_id.into_inner()).await?;
    authorize(&caller.0, Action::ReadTeam { enterprise_id: &id })?;
    let members = state.db.run(move |conn| roles::list(conn, &id)).await?;
    Ok(web::Json(
        members.into_iter().map(MemberView::from).collect(),
    ))
}

/// Gives a role in the enterprise to an existing account (its owners). 201 when given, 200
/// when the account had it already.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path)),
    request_body = RoleGrant,
    responses((status = 201, body = Vec<MemberView>), (status = 200, body = Vec<MemberView>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/enterprises/{enterprise_id}/roles")]
pub async fn grant(
    state: web::Data<AppState>,
    caller: Authenticated,
    enterprise_id: web::Path<String>,
    body: JsonBody<RoleGrant>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = crate::api::resolve::enterprise(&state, &caller.0, enterprise_id.into_inner()).await?;
    authorize(&caller.0, Action::ManageRoles { enterprise_id: &id })?;
    let body = body.0;
    let role = roles::role(&body.role)?;
    let email = Email::parse(&body.email)?;
    let who = caller.who(&req);
    let (created, members) = state
        .db
        .run(move |conn| {
            let (_, created) = roles::grant(conn, &who, &id, &email, role)?;
            Ok::<_, ApiError>((created, roles::list(conn, &id)?))
        })
        .await?;
    let view: Vec<MemberView> = members.into_iter().map(MemberView::from).collect();
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Takes a role in the enterprise away from someone (its owners; never the last owner).
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path), ("user_id" = String, Path), ("role" = String, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[delete("/api/v1/enterprises/{enterprise_id}/roles/{user_id}/{role}")]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (key, user_id, role) = path.into_inner();
    let id = crate::api::resolve::enterprise(&state, &caller.0, key).await?;
    authorize(&caller.0, Action::ManageRoles { enterprise_id: &id })?;
    // a path that names no role names nothing: 404, as for an unknown id
    let role = roles::role(&role).map_err(|_| {
        ApiError::NotFound(format!(
            "`{role}` is not a role (owner, manager, cashier, treasurer or member)"
        ))
    })?;
    let who = caller.who(&req);
    let removed = state
        .db
        .run(move |conn| roles::revoke(conn, &who, &id, &user_id, role))
        .await?;
    if removed {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(
            "this person has no such role here".into(),
        ))
    }
}
