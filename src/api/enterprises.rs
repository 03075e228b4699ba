//! Managing enterprises over HTTP: creating and editing them, the caller's own enterprises,
//! the permissions producers grant hubs, and the product taxonomy. Every write asks
//! [`crate::auth::policy::authorize`].

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::JsonBody;
use crate::api::views;
use crate::api::views::catalog::Category;
use crate::api::views::enterprises::{Enterprise, EnterpriseInput, Permission, Revoked};
use crate::api::AppState;
use crate::auth::policy::{authorize, Action};
use crate::catalog::categories;
use crate::enterprises::manage;
use crate::enterprises::relationships;
use crate::enterprises::{self, EnterpriseKind};

/// Creates a producer, hub or producer-hub; the caller becomes its owner. Its wallets (euro
/// and each accepted local currency) are opened with it.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    request_body = EnterpriseInput,
    responses(
        (status = 201, body = Enterprise),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/enterprises")]
pub async fn create_enterprise(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<EnterpriseInput>,
) -> Result<HttpResponse, ApiError> {
    let input = manage::EnterpriseInput::from(body.0);
    authorize(
        &caller.0,
        Action::CreateEnterprise {
            association: input.kind == Some(EnterpriseKind::CurrencyAssociation),
        },
    )?;
    let user = caller.0.user_id.clone();
    let view = state
        .db
        .run(move |conn| {
            let row = manage::create(conn, &user, &input)?;
            enterprises::view(conn, row)
        })
        .await?;
    Ok(HttpResponse::Created().json(Enterprise::from(view)))
}

/// Edits an enterprise: only the fields sent change; `accepted_currencies` replaces the list
/// (wallets are opened for new currencies; existing wallets stay).
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path)),
    request_body = EnterpriseInput,
    responses(
        (status = 200, body = Enterprise),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/enterprises/{enterprise_id}")]
pub async fn update_enterprise(
    state: web::Data<AppState>,
    caller: Authenticated,
    enterprise_id: web::Path<String>,
    body: JsonBody<EnterpriseInput>,
) -> Result<web::Json<Enterprise>, ApiError> {
    let id = super::resolve::enterprise(&state, &caller.0, enterprise_id.into_inner()).await?;
    authorize(&caller.0, Action::ManageEnterprise { enterprise_id: &id })?;
    let input = manage::EnterpriseInput::from(body.0);
    let view = state
        .db
        .run(move |conn| {
            let row = manage::update(conn, &id, &input)?;
            enterprises::view(conn, row)
        })
        .await?;
    Ok(web::Json(view.into()))
}

/// An enterprise of the caller, with the caller's roles in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyEnterprise {
    pub enterprise: Enterprise,
    /// `owner`, `manager`, `cashier`, `treasurer`, `member`.
    pub roles: Vec<String>,
}

/// The enterprises the caller holds a role in (hidden ones included).
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<MyEnterprise>),
        (status = 401, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/me/enterprises")]
pub async fn my_enterprises(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<Vec<MyEnterprise>>, ApiError> {
    authorize(&caller.0, Action::ReadOwnAccounts)?;
    let roles = caller.0.roles.clone();
    let list = state
        .db
        .run(move |conn| {
            let mut ids: Vec<String> = roles.iter().map(|(e, _)| e.clone()).collect();
            ids.sort();
            ids.dedup();
            let mut out = Vec::new();
            for id in ids {
                let row = enterprises::get_row(conn, &id)?;
                out.push(MyEnterprise {
                    enterprise: enterprises::view(conn, row)?.into(),
                    roles: roles
                        .iter()
                        .filter(|(e, _)| *e == id)
                        .map(|(_, r)| r.as_str().to_string())
                        .collect(),
                });
            }
            Ok::<_, ApiError>(out)
        })
        .await?;
    Ok(web::Json(list))
}

/// Permissions an enterprise granted (as a producer) or received (as a hub).
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path)),
    responses(
        (status = 200, body = Vec<Permission>),
        (status = 403, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/enterprises/{enterprise_id}/permissions")]
pub async fn list_permissions(
    state: web::Data<AppState>,
    caller: Authenticated,
    enterprise_id: web::Path<String>,
) -> Result<web::Json<Vec<Permission>>, ApiError> {
    let id = super::resolve::enterprise(&state, &caller.0, enterprise_id.into_inner()).await?;
    authorize(&caller.0, Action::ManageEnterprise { enterprise_id: &id })?;
    let list = state
        .db
        .run(move |conn| relationships::list(conn, &id))
        .await?;
    Ok(web::Json(views::all(list)))
}

/// What a producer lets a hub do; both default to `true`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionInput {
    /// The hub may offer the producer's variants in its order cycles.
    pub can_add_to_order_cycles: Option<bool>,
    /// The hub's reports may name the producer's customers.
    pub can_see_orders: Option<bool>,
}

/// A producer grants a hub permissions over its products (or changes them).
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("producer_id" = String, Path), ("hub_id" = String, Path)),
    request_body = PermissionInput,
    responses(
        (status = 200, body = Permission),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[put("/api/v1/enterprises/{producer_id}/permissions/{hub_id}")]
pub async fn grant_permission(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    body: JsonBody<PermissionInput>,
) -> Result<web::Json<Permission>, ApiError> {
    let (producer, hub) = super::resolve::pair(&state, &caller.0, path.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ManageEnterprise {
            enterprise_id: &producer,
        },
    )?;
    let add = body.0.can_add_to_order_cycles.unwrap_or(true);
    let see = body.0.can_see_orders.unwrap_or(true);
    let permission = state
        .db
        .run(move |conn| relationships::grant(conn, &producer, &hub, add, see))
        .await?;
    Ok(web::Json(permission.into()))
}

/// A producer revokes a hub's permissions: its variants leave the hub's cycles that have not
/// opened yet (an open cycle keeps them until it closes).
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("producer_id" = String, Path), ("hub_id" = String, Path)),
    responses(
        (status = 200, body = Revoked),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/api/v1/enterprises/{producer_id}/permissions/{hub_id}")]
pub async fn revoke_permission(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Revoked>, ApiError> {
    let (producer, hub) = super::resolve::pair(&state, &caller.0, path.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ManageEnterprise {
            enterprise_id: &producer,
        },
    )?;
    let revoked = state
        .db
        .run(move |conn| relationships::revoke(conn, &producer, &hub))
        .await?;
    Ok(web::Json(revoked.into()))
}

/// A hub accepts a producer's grant: the producer's variants join the hub's offer.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("hub_id" = String, Path), ("producer_id" = String, Path)),
    responses(
        (status = 200, body = Permission),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[put("/api/v1/enterprises/{hub_id}/suppliers/{producer_id}")]
pub async fn accept_supplier(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Permission>, ApiError> {
    let (hub, producer) = super::resolve::pair(&state, &caller.0, path.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ManageEnterprise {
            enterprise_id: &hub,
        },
    )?;
    let permission = state
        .db
        .run(move |conn| relationships::accept(conn, &hub, &producer))
        .await?;
    Ok(web::Json(permission.into()))
}

/// A hub ends its relationship with a producer (as the producer can with `DELETE
/// …/permissions/{hub_id}`).
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("hub_id" = String, Path), ("producer_id" = String, Path)),
    responses(
        (status = 200, body = Revoked),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/api/v1/enterprises/{hub_id}/suppliers/{producer_id}")]
pub async fn drop_supplier(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Revoked>, ApiError> {
    let (hub, producer) = super::resolve::pair(&state, &caller.0, path.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ManageEnterprise {
            enterprise_id: &hub,
        },
    )?;
    let revoked = state
        .db
        .run(move |conn| relationships::revoke(conn, &producer, &hub))
        .await?;
    Ok(web::Json(revoked.into()))
}

/// The product taxonomy.
#[utoipa::path(tag = "directory", responses((status = 200, body = Vec<Category>)))]
#[get("/api/v1/categories")]
pub async fn list_categories(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Category>>, ApiError> {
    Ok(web::Json(views::all(state.db.run(categories::list).await?)))
}
