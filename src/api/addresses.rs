//! The caller's saved delivery addresses (their address book), over
//! [`crate::orders::addresses`]. Reading needs the `read` scope of an API key or a session;
//! changing needs a person's session. Each route acts on the caller's own addresses only: one
//! of another person's answers 404, as an unknown one (never 403, which would tell it exists).

use actix_web::{delete, get, patch, post, web, HttpResponse};

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::JsonBody;
use crate::api::views::addresses::{AddressInput, AddressPatch, SavedAddress};
use crate::api::AppState;
use crate::auth::policy::{authorize, Action};
use crate::orders::addresses;

/// The caller's saved addresses, oldest first (at most 20).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<SavedAddress>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/me/addresses")]
pub async fn list_my_addresses(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<Vec<SavedAddress>>, ApiError> {
    authorize(&caller.0, Action::ReadOwnAccounts)?;
    let user = caller.0.user_id.to_string();
    Ok(web::Json(
        state
            .db
            .run(move |conn| addresses::list(conn, &user))
            .await
            .map(crate::api::views::all)?,
    ))
}

/// Saves an address in the caller's book: 201 with it, or 200 with the equal address already
/// saved (nothing added). 409 when the book holds 20 addresses already.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    request_body = AddressInput,
    responses(
        (status = 201, description = "Saved", body = SavedAddress),
        (status = 200, description = "An equal address was saved already", body = SavedAddress),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The address book is full", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/me/addresses")]
pub async fn create_my_address(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<AddressInput>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller.0, Action::ManageOwnAccount)?;
    let (user, input) = (caller.0.user_id.to_string(), body.0.into());
    let (saved, added) = state
        .db
        .run(move |conn| addresses::create(conn, &user, &input))
        .await?;
    let view = SavedAddress::from(saved);
    Ok(if added {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Changes one of the caller's saved addresses (only the fields sent). Orders already
/// delivered there keep the address they were given.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("address_id" = String, Path)),
    request_body = AddressPatch,
    responses(
        (status = 200, body = SavedAddress),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/me/addresses/{address_id}")]
pub async fn update_my_address(
    state: web::Data<AppState>,
    caller: Authenticated,
    address_id: web::Path<String>,
    body: JsonBody<AddressPatch>,
) -> Result<web::Json<SavedAddress>, ApiError> {
    authorize(&caller.0, Action::ManageOwnAccount)?;
    let (user, id, patch) = (
        caller.0.user_id.to_string(),
        address_id.into_inner(),
        body.0.into(),
    );
    Ok(web::Json(
        state
            .db
            .run(move |conn| addresses::update(conn, &user, &id, &patch))
            .await?
            .into(),
    ))
}

/// Deletes one of the caller's saved addresses. Orders keep their copy.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("address_id" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/api/v1/me/addresses/{address_id}")]
pub async fn delete_my_address(
    state: web::Data<AppState>,
    caller: Authenticated,
    address_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller.0, Action::ManageOwnAccount)?;
    let (user, id) = (caller.0.user_id.to_string(), address_id.into_inner());
    state
        .db
        .run(move |conn| addresses::delete(conn, &user, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
