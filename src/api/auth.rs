//! Log-in and the caller's identity. Every authenticated route takes [`Authenticated`].

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::JsonBody;
use crate::api::AppState;
use crate::auth::actor::{self, Actor};
use crate::auth::passwords;
use crate::auth::sessions;
use crate::auth::users::{normalise_email, Role};
use crate::db::schema::users;
use crate::db_run;
use crate::error::{ApiError, Problem};

/// The authenticated caller of a request (from `Authorization: Bearer <access token>`).
pub struct Authenticated(pub Actor);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .map(str::to_string);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token.ok_or_else(|| {
                ApiError::Unauthorized(
                    "send `Authorization: Bearer <access token>` (see POST /api/v1/auth/login)"
                        .into(),
                )
            })?;
            let claims = state.tokens.validate(&token)?;
            let actor = state
                .db
                .run(move |conn| {
                    if sessions::is_revoked(conn, &claims.sid)? {
                        return Ok(None);
                    }
                    actor::load(conn, &claims.sub)
                })
                .await?;
            actor.map(Authenticated).ok_or_else(|| {
                ApiError::Unauthorized(
                    "this session was ended, or the account is disabled or gone".into(),
                )
            })
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Exchange it at `POST /api/v1/auth/refresh` for new tokens; each is valid once.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

impl TokenResponse {
    fn new(state: &AppState, session: sessions::Issued) -> Result<TokenResponse, ApiError> {
        Ok(TokenResponse {
            access_token: state.tokens.issue(&session.user_id, &session.family_id)?,
            token_type: "Bearer",
            expires_in: state.tokens.ttl_seconds(),
            refresh_token: session.token,
            refresh_expires_in: state.tokens.refresh_ttl_seconds(),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new access token and a new refresh token. A refresh token
/// works once: presenting it again revokes every token of that log-in.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let ttl = state.tokens.refresh_ttl_seconds();
    let token = body.0.refresh_token;
    let session = state
        .db
        .run(move |conn| conn.transaction(|conn| sessions::rotate(conn, &token, ttl)))
        .await??;
    Ok(web::Json(TokenResponse::new(&state, session)?))
}

/// Ends the log-in session of a refresh token: it and the session's access tokens stop
/// working at once.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "The session is ended (also when it already was)"))
)]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.0.refresh_token;
    state
        .db
        .run(move |conn| sessions::end(conn, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Exchanges an email and password for a short-lived access token.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this account or address; see Retry-After", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: JsonBody<LoginRequest>,
    req: HttpRequest,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginRequest { email, password } = body.0;
    let email = normalise_email(&email);
    let account_key = format!("email:{email}");
    let address_key = format!(
        "address:{}",
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    );
    let throttle = state.login_throttle.clone();
    let now = std::time::Instant::now();
    for (limiter, key) in [
        (&throttle.accounts, &account_key),
        (&throttle.addresses, &address_key),
    ] {
        if let Err(retry_after_seconds) = limiter.check(key, now) {
            return Err(ApiError::TooManyRequests {
                retry_after_seconds,
            });
        }
    }
    let user = state
        .db
        .run(move |conn| {
            let user: Option<(String, Option<String>, Option<chrono::NaiveDateTime>)> = db_run!(conn => users::table
                .filter(users::email.eq(&email))
                .select((users::id, users::password_hash, users::disabled_at))
                .first(conn)
                .optional())?;
            Ok(user)
        })
        .await?;
    // hashing runs on a blocking thread without holding a database connection, and it runs
    // whether or not the user exists: the same time either way
    let stored = user.as_ref().and_then(|(_, hash, _)| hash.clone());
    let matches = web::block(move || passwords::verify(&password, stored.as_deref()))
        .await
        .map_err(|e| ApiError::internal(format!("password check: {e}")))?;
    let user_id = match user {
        Some((id, _, None)) if matches => id,
        _ => {
            throttle.accounts.failed(&account_key, now);
            throttle.addresses.failed(&address_key, now);
            return Err(ApiError::Unauthorized(
                "the email or the password is wrong".into(),
            ));
        }
    };
    throttle.accounts.clear(&account_key);
    let ttl = state.tokens.refresh_ttl_seconds();
    let session = state
        .db
        .run(move |conn| sessions::start(conn, &user_id, ttl))
        .await?;
    Ok(web::Json(TokenResponse::new(&state, session)?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub enterprise_id: String,
    /// `owner`, `manager`, `treasurer` or `member`.
    #[schema(value_type = String)]
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub is_platform_admin: bool,
    pub roles: Vec<RoleView>,
}

/// The caller's identity and roles.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/me")]
pub async fn me(caller: Authenticated) -> web::Json<Me> {
    let actor = caller.0;
    web::Json(Me {
        id: actor.user_id,
        is_platform_admin: actor.is_platform_admin,
        roles: actor
            .roles
            .into_iter()
            .map(|(enterprise_id, role)| RoleView {
                enterprise_id,
                role,
            })
            .collect(),
    })
}
