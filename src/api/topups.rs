//! Top-up requests over HTTP (see [`crate::association::topups`]): a member asks, reads and
//! cancels; the currency's treasurers list the queue, approve and refuse; the transfer's
//! details and its QR code (SVG, PNG). And a currency association's bank account.

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{JsonBody, QueryParams};
use crate::api::idempotency;
use crate::api::pagination::{PageQuery, PageResponse};
use crate::api::views::topups::{
    Approval, BankAccount, NewBankAccount, NewTopUp, QueueFilter, Refusal, TopUp, Transfer,
};
use crate::api::AppState;
use crate::association::{bank, topups};
use crate::banking::Picture;
use crate::pagination::PageParams;

/// Asks the currency's association for local currency, paid by bank transfer (to the
/// reference answered, or with the QR code of `…/qr.svg`) or in cash at an exchange point.
/// Needs an `Idempotency-Key` header.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The local currency"), ("Idempotency-Key" = String, Header)),
    request_body = NewTopUp,
    responses((status = 201, body = TopUp), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 409, description = "A bank transfer, but the association has given no account", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/currencies/{code}/topup-requests")]
pub async fn request(
    state: web::Data<AppState>,
    caller: Authenticated,
    code: web::Path<String>,
    body: JsonBody<NewTopUp>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::key(&req)?;
    let (code, body) = (code.into_inner(), body.0);
    let route = format!("topup-request {code}");
    let saved = state
        .db
        .run(move |conn| {
            let user = caller.0.user_id.clone();
            idempotency::run(
                conn,
                &user,
                &key,
                &route,
                &body,
                StatusCode::CREATED,
                |conn| {
                    let amount = body.amount.clone().into();
                    topups::request(conn, &caller.0, &code, &amount, body.method).map(TopUp::from)
                },
            )
        })
        .await?;
    Ok(saved.respond())
}

/// The caller's top-up requests, newest first.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = PageResponse<TopUp>), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/me/topup-requests")]
pub async fn mine(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: QueryParams<PageQuery>,
    req: HttpRequest,
) -> Result<web::Json<PageResponse<TopUp>>, ApiError> {
    let page = PageParams::from(page.0);
    let found = state
        .db
        .run(move |conn| Ok::<_, ApiError>(topups::mine(conn, &caller.0, &page)?))
        .await?;
    Ok(web::Json(PageResponse::from_page(
        found.map(TopUp::from),
        &req,
    )))
}

/// The top-up requests of a local currency, oldest first, for its treasurers: the queue is
/// `?state=pending`.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The local currency"), QueueFilter),
    responses((status = 200, body = PageResponse<TopUp>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/currencies/{code}/topup-requests")]
pub async fn queue(
    state: web::Data<AppState>,
    caller: Authenticated,
    code: web::Path<String>,
    filter: QueryParams<QueueFilter>,
    req: HttpRequest,
) -> Result<web::Json<PageResponse<TopUp>>, ApiError> {
    let (code, filter) = (code.into_inner(), filter.0);
    let page = PageParams {
        limit: filter.limit,
        after: filter.after.clone(),
    };
    let found = state
        .db
        .run(move |conn| {
            Ok::<_, ApiError>(topups::queue(
                conn,
                &caller.0,
                &code,
                filter.state,
                filter.method,
                &page,
            )?)
        })
        .await?;
    Ok(web::Json(PageResponse::from_page(
        found.map(TopUp::from),
        &req,
    )))
}

/// A top-up request, for its member or the currency's treasurers.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = TopUp), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/topup-requests/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<TopUp>, ApiError> {
    let id = id.into_inner();
    let found = state
        .db
        .run(move |conn| Ok::<_, ApiError>(topups::get(conn, &caller.0, &id)?))
        .await?;
    Ok(web::Json(found.into()))
}

/// How to pay a top-up request by bank transfer: the association's IBAN, the amount, the
/// reference, and the QR code's text (an EPC QR code in euros, a Swiss QR-bill in francs).
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Transfer), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "The association has given no bank account", body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/topup-requests/{id}/transfer")]
pub async fn transfer(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<Transfer>, ApiError> {
    let id = id.into_inner();
    let found = state
        .db
        .run(move |conn| Ok::<_, ApiError>(topups::transfer(conn, &caller.0, &id)?))
        .await?;
    Ok(web::Json(found.into()))
}

/// The transfer's QR code as `svg` or `png`, drawn by the server.
async fn drawn(
    state: &AppState,
    caller: Authenticated,
    id: String,
    picture: Picture,
) -> Result<HttpResponse, ApiError> {
    let (bytes, number) = state
        .db
        .run(move |conn| {
            let (code, number) = topups::code(conn, &caller.0, &id)?;
            let bytes = crate::banking::draw(&code, picture)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok::<_, ApiError>((bytes, number))
        })
        .await?;
    let mut response = HttpResponse::Ok();
    response
        .content_type(picture.content_type())
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"topup-{number}.{}\"",
                picture.extension()
            ),
        ));
    Ok(response.body(bytes))
}

/// The transfer's QR code as SVG (with the Swiss cross on a QR-bill), for a banking app.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The QR code", content_type = "image/svg+xml"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "No bank account, or no QR code in this currency", body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/topup-requests/{id}/qr.svg")]
pub async fn qr_svg(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    drawn(&state, caller, id.into_inner(), Picture::Svg).await
}

/// The transfer's QR code as PNG.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The QR code", content_type = "image/png"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "No bank account, or no QR code in this currency", body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/topup-requests/{id}/qr.png")]
pub async fn qr_png(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    drawn(&state, caller, id.into_inner(), Picture::Png).await
}

/// The member cancels their pending request.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = TopUp), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Decided already", body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/topup-requests/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<TopUp>, ApiError> {
    let id = id.into_inner();
    let done = state
        .db
        .run(move |conn| Ok::<_, ApiError>(topups::cancel(conn, &caller.0, &id)?))
        .await?;
    Ok(web::Json(done.into()))
}

/// A treasurer approves a request once the money arrived: the local currency is issued to
/// the member's wallet (once, whatever the retries) and the member gets the receipt.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = Approval,
    responses((status = 200, body = TopUp), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Refused or cancelled already", body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/topup-requests/{id}/approve")]
pub async fn approve_topup(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: JsonBody<Approval>,
    req: HttpRequest,
) -> Result<web::Json<TopUp>, ApiError> {
    let (id, body) = (id.into_inner(), body.0);
    let who = caller.who(&req);
    let done = state
        .db
        .run(move |conn| {
            Ok::<_, ApiError>(topups::approve(
                conn,
                &caller.0,
                &who,
                &id,
                &body.received_reference,
            )?)
        })
        .await?;
    Ok(web::Json(done.into()))
}

/// A treasurer refuses a request, saying why (the member is mailed the reason).
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = Refusal,
    responses((status = 200, body = TopUp), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Approved or cancelled already", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/topup-requests/{id}/refuse")]
pub async fn refuse_topup(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: JsonBody<Refusal>,
    req: HttpRequest,
) -> Result<web::Json<TopUp>, ApiError> {
    let (id, body) = (id.into_inner(), body.0);
    let who = caller.who(&req);
    let done = state
        .db
        .run(move |conn| {
            Ok::<_, ApiError>(topups::refuse(conn, &caller.0, &who, &id, &body.reason)?)
        })
        .await?;
    Ok(web::Json(done.into()))
}

/// Sets a currency association's bank account, where members' top-up transfers go (its
/// owners). An empty `iban` removes it.
#[utoipa::path(
    tag = "topups",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The currency association (id or slug)")),
    request_body = NewBankAccount,
    responses((status = 200, body = Option<BankAccount>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Not a currency association", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[put("/api/v1/enterprises/{id}/bank-account")]
pub async fn set_bank_account(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: JsonBody<NewBankAccount>,
    req: HttpRequest,
) -> Result<web::Json<Option<BankAccount>>, ApiError> {
    let id = crate::api::resolve::enterprise(&state, &caller.0, id.into_inner()).await?;
    let (body, who) = (body.0, caller.who(&req));
    let account = state
        .db
        .run(move |conn| {
            Ok::<_, ApiError>(bank::set(
                conn,
                &caller.0,
                &who,
                &id,
                &body.iban,
                body.bic.as_deref(),
            )?)
        })
        .await?;
    Ok(web::Json(account.map(BankAccount::from)))
}

/// A currency association's bank account, where its members' top-up transfers go: public,
/// as an association publishes it (`null` until it gives one).
#[utoipa::path(
    tag = "topups",
    params(("id" = String, Path, description = "The currency association (id or slug)")),
    responses((status = 200, body = Option<BankAccount>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{id}/bank-account")]
pub async fn get_bank_account(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Option<BankAccount>>, ApiError> {
    let key = id.into_inner();
    let account = state
        .db
        .run(move |conn| {
            let id = crate::enterprises::find_id(conn, &key)?
                .ok_or_else(|| ApiError::NotFound(format!("no enterprise {key}")))?;
            Ok::<_, ApiError>(bank::of(conn, &id)?)
        })
        .await?;
    Ok(web::Json(account.map(BankAccount::from)))
}
