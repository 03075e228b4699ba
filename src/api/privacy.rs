//! A person's own data: the export (GDPR articles 15 and 20) and the erasure (article 17),
//! over [`crate::privacy`]. Both need the person's session (an API key cannot), and the
//! erasure the password again.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{confirm_password, Authenticated};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::JsonBody;
use crate::api::AppState;
use crate::auth::policy::{authorize, Action};
use crate::privacy;

/// The shape of the export, for the API's documentation (the document is
/// [`privacy::Export`]).
#[derive(ToSchema)]
#[schema(as = PersonalData)]
#[allow(dead_code)]
struct PersonalDataDoc {
    exported_at: DateTime<Utc>,
    /// Id, address, name, language, whether verified, when created.
    #[schema(value_type = Object)]
    account: (),
    /// Roles in enterprises.
    #[schema(value_type = Vec<Object>)]
    roles: (),
    /// Wallets and their balances.
    #[schema(value_type = Vec<Object>)]
    wallets: (),
    /// Every movement of the wallets, oldest first.
    #[schema(value_type = Vec<Object>)]
    wallet_movements: (),
    /// Orders, as `GET /api/v1/me/orders` shows them.
    #[schema(value_type = Vec<Object>)]
    orders: (),
    /// Mail sent to the address: which template, when.
    #[schema(value_type = Vec<Object>)]
    mails: (),
    #[schema(value_type = Vec<Object>)]
    sessions: (),
    #[schema(value_type = Vec<Object>)]
    api_keys: (),
    /// The person's acts in the audit trail.
    #[schema(value_type = Vec<Object>)]
    audit_events: (),
    /// Top-up requests, as `GET /api/v1/me/topup-requests` shows them.
    #[schema(value_type = Vec<Object>)]
    topup_requests: (),
    /// Payments made to professionals' payment requests.
    #[schema(value_type = Vec<Object>)]
    payment_request_payments: (),
    /// Saved delivery addresses, as `GET /api/v1/me/addresses` shows them.
    #[schema(value_type = Vec<Object>)]
    addresses: (),
}

/// Everything Comptoir holds about the caller, as one JSON document to keep or take
/// elsewhere.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = PersonalDataDoc), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/me/data")]
pub async fn export(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller.0, Action::ManageOwnAccount)?;
    let user = caller.0.user_id.clone();
    let data = state
        .db
        .run(move |conn| privacy::export(conn, &user))
        .await?;
    let name = format!("comptoir-data-{}.json", data.exported_at.format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .json(data))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The caller's password, once more.
    #[schema(max_length = 128)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureDone {
    pub user_id: String,
    /// The pseudonym now shown in place of the name.
    pub pseudonym: String,
    /// Mails to the address not sent yet, dropped.
    pub mails_dropped: usize,
}

/// Erases the caller's personal data: the name and address become a pseudonym, the
/// password, sessions and keys go, mail not sent yet is dropped; the ledger, orders and
/// validated books stay (accounting law). Refused (409, with the reason) while a wallet holds
/// money, an order is open, or the caller is an admin or holds a role other than member.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ErasureRequest,
    responses((status = 200, body = ErasureDone), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/me/erasure")]
pub async fn erase(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<ErasureRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller.0, Action::ManageOwnAccount)?;
    let user_id = caller.0.user_id.clone();
    confirm_password(
        &state,
        &user_id,
        body.0.password,
        ("password", "is not your password"),
    )
    .await?;
    let user = user_id.clone();
    let who = caller.who(&req);
    let erased = state
        .db
        .run(move |conn| privacy::erase(conn, &who, &user))
        .await?;
    Ok(HttpResponse::Ok().json(ErasureDone {
        user_id: erased.user_id,
        pseudonym: erased.pseudonym,
        mails_dropped: erased.mails_dropped,
    }))
}
