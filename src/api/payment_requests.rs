//! Payment requests over HTTP (see [`crate::association::payment_requests`]): a professional
//! asks, lists, cancels and reads what it received; a member opens one (its URL, its QR code)
//! and pays it in one step.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::JsonBody;
use crate::api::idempotency;
use crate::api::views::payment_requests::{
    NewPaymentRequest, PayPaymentRequest, PaymentRequestPayment, PaymentRequestView,
};
use crate::api::AppState;
use crate::association::payment_requests::{self, NewRequest};
use crate::auth::policy::{authorize, Action};
use crate::banking::Picture;

/// A professional asks for a payment in a local currency, into its wallet (only an approved
/// professional of the currency has one). Needs an `Idempotency-Key` header.
#[utoipa::path(
    tag = "payment-requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The enterprise (id or slug)"), ("Idempotency-Key" = String, Header)),
    request_body = NewPaymentRequest,
    responses((status = 201, body = PaymentRequestView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Not an approved professional of the currency", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/enterprises/{id}/payment-requests")]
pub async fn create_payment_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: JsonBody<NewPaymentRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = crate::api::resolve::enterprise(&state, &caller.0, id.into_inner()).await?;
    // who may ask is decided before the request's key is even read
    authorize(&caller.0, Action::RequestPayments { enterprise_id: &id })?;
    let key = idempotency::key(&req)?;
    let body = body.0;
    let app_url = state.app_url.clone();
    let route = format!("payment-request {id}");
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
                    let new = NewRequest {
                        amount: body.amount.clone().map(Into::into),
                        currency: body.currency.clone(),
                        label: body.label.clone(),
                        reusable: body.reusable,
                        expires_at: body.expires_at.map(|t| t.naive_utc()),
                    };
                    payment_requests::create(conn, &caller.0, &id, &new, &app_url)
                        .map(PaymentRequestView::from)
                },
            )
        })
        .await?;
    Ok(saved.respond())
}

/// An enterprise's payment requests, newest first (the last 500), with what each received.
#[utoipa::path(
    tag = "payment-requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The enterprise (id or slug)")),
    responses((status = 200, body = [PaymentRequestView]), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{id}/payment-requests")]
pub async fn list_payment_requests(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<Vec<PaymentRequestView>>, ApiError> {
    let id = crate::api::resolve::enterprise(&state, &caller.0, id.into_inner()).await?;
    let app_url = state.app_url.clone();
    let found = state
        .db
        .run(move |conn| Ok::<_, ApiError>(payment_requests::list(conn, &caller.0, &id, &app_url)?))
        .await?;
    Ok(web::Json(found.into_iter().map(Into::into).collect()))
}

/// A payment request, as a payer sees it after scanning its code: who asks, for what, how
/// much, and whether it may still be paid.
#[utoipa::path(
    tag = "payment-requests",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PaymentRequestView), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/payment-requests/{id}")]
pub async fn get_payment_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<PaymentRequestView>, ApiError> {
    let (id, app_url) = (id.into_inner(), state.app_url.clone());
    let found = state
        .db
        .run(move |conn| Ok::<_, ApiError>(payment_requests::get(conn, &caller.0, &id, &app_url)?))
        .await?;
    Ok(web::Json(found.into()))
}

async fn drawn_request(
    state: &AppState,
    caller: Authenticated,
    id: String,
    picture: Picture,
) -> Result<HttpResponse, ApiError> {
    let app_url = state.app_url.clone();
    let bytes = state
        .db
        .run(move |conn| {
            let code = payment_requests::code(conn, &caller.0, &id, &app_url)?;
            crate::banking::draw(&code, picture).map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(picture.content_type())
        .body(bytes))
}

/// The request's QR code (its URL) as SVG, to show at the stall or print.
#[utoipa::path(
    tag = "payment-requests",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The QR code", content_type = "image/svg+xml"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/payment-requests/{id}/qr.svg")]
pub async fn qr_svg_of_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    drawn_request(&state, caller, id.into_inner(), Picture::Svg).await
}

/// The request's QR code (its URL) as PNG.
#[utoipa::path(
    tag = "payment-requests",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The QR code", content_type = "image/png"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/payment-requests/{id}/qr.png")]
pub async fn qr_png_of_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    drawn_request(&state, caller, id.into_inner(), Picture::Png).await
}

/// A member pays the request from their wallet in the request's currency, in one step. A
/// single-use request paid twice at once is paid once (the other payer gets 409). Needs an
/// `Idempotency-Key` header: a retry answers the same payment.
#[utoipa::path(
    tag = "payment-requests",
    security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = PayPaymentRequest,
    responses((status = 201, body = PaymentRequestPayment), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Paid already, cancelled, expired, no wallet or not enough in it", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/payment-requests/{id}/pay")]
pub async fn pay_payment_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: JsonBody<PayPaymentRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::key(&req)?;
    let (id, body) = (id.into_inner(), body.0);
    let route = format!("payment-request pay {id}");
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
                    let amount = body.amount.clone().map(crate::money::AmountInput::from);
                    payment_requests::pay(conn, &caller.0, &id, amount.as_ref(), &key)
                        .map(PaymentRequestPayment::from)
                },
            )
        })
        .await?;
    Ok(saved.respond())
}

/// The payments a request received, oldest first (the professional's people).
#[utoipa::path(
    tag = "payment-requests",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = [PaymentRequestPayment]), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/payment-requests/{id}/payments")]
pub async fn payment_request_payments(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<Vec<PaymentRequestPayment>>, ApiError> {
    let id = id.into_inner();
    let found = state
        .db
        .run(move |conn| Ok::<_, ApiError>(payment_requests::payments(conn, &caller.0, &id)?))
        .await?;
    Ok(web::Json(found.into_iter().map(Into::into).collect()))
}

/// The professional closes an open request: it can no longer be paid.
#[utoipa::path(
    tag = "payment-requests",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PaymentRequestView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Paid already", body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/payment-requests/{id}/cancel")]
pub async fn cancel_payment_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<PaymentRequestView>, ApiError> {
    let (id, app_url) = (id.into_inner(), state.app_url.clone());
    let done = state
        .db
        .run(move |conn| {
            Ok::<_, ApiError>(payment_requests::cancel(conn, &caller.0, &id, &app_url)?)
        })
        .await?;
    Ok(web::Json(done.into()))
}
