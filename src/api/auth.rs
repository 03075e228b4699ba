//! Log-in and the caller's identity. Every authenticated route takes [`Authenticated`].

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{delete, get, post, put, web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::error::{ApiError, Problem};
use crate::api::extract::JsonBody;
use crate::api::views::auth::ApiKey;
use crate::api::AppState;
use crate::auth::actor::{self, Actor};
use crate::auth::api_keys;
use crate::auth::login as logins;
use crate::auth::passwords;
use crate::auth::registration;
use crate::auth::sessions;
use crate::auth::throttle::Limit;
use crate::auth::users::{normalise_email, Role};
use crate::state::{give_back_attempt, reserve_attempts};

/// The authenticated caller of a request: `Authorization: Bearer <access token>` for a person,
/// `Authorization: Bearer cpt_…` for an API key acting for the person who made it.
pub struct Authenticated(pub Actor);

impl Authenticated {
    /// The caller as the audit trail names them: their id, and the address the request came
    /// from ([`crate::api::client_ip`]: the client's, through a trusted proxy).
    pub fn who(&self, req: &HttpRequest) -> crate::audit::Who {
        let origin = crate::api::client_ip(req)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        crate::audit::Who::user(self.0.user_id.clone(), origin)
    }
}

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
            let actor = if token.starts_with(api_keys::KEY_PREFIX) {
                state
                    .db
                    .run(move |conn| {
                        let Some((user_id, scopes)) = api_keys::authenticate(conn, &token)? else {
                            return Ok::<_, ApiError>(None);
                        };
                        Ok(actor::load(conn, &user_id)?.map(|actor| Actor {
                            key_scopes: Some(scopes),
                            ..actor
                        }))
                    })
                    .await?
            } else {
                let claims = state.tokens.validate(&token)?;
                state
                    .db
                    .run(move |conn| {
                        if !sessions::is_live(conn, &claims.sid, &claims.sub)? {
                            return Ok(None);
                        }
                        actor::load(conn, &claims.sub)
                    })
                    .await?
            };
            actor.map(Authenticated).ok_or_else(|| {
                ApiError::Unauthorized(
                    "this session was ended, or the account is disabled or gone".into(),
                )
            })
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "camille@example.org", "password": "a long enough secret"}))]
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
        (status = 403, description = "The email address is not confirmed yet (told only to the password's owner)", body = Problem, content_type = "application/problem+json"),
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
    let attempt = logins::Attempt {
        email,
        password,
        address: client_address(&req),
    };
    let (db, throttle) = (state.db.clone(), state.login_throttle.clone());
    let ttl = state.tokens.refresh_ttl_seconds();
    let session = web::block(move || logins::log_in(&db, &throttle, attempt, ttl))
        .await
        .map_err(|e| ApiError::internal(format!("log-in: {e}")))??;
    Ok(web::Json(TokenResponse::new(&state, session)?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub enterprise_id: String,
    /// `owner`, `manager`, `cashier`, `treasurer` or `member`.
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
pub async fn me(caller: Authenticated) -> Result<web::Json<Me>, ApiError> {
    crate::auth::policy::authorize(&caller.0, crate::auth::policy::Action::ReadOwnAccounts)?;
    let actor = caller.0;
    Ok(web::Json(Me {
        id: actor.user_id.into_string(),
        is_platform_admin: actor.is_platform_admin,
        roles: actor
            .roles
            .into_iter()
            .map(|(enterprise_id, role)| RoleView {
                enterprise_id,
                role,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "nadia@example.org", "password": "a long enough secret", "display_name": "Nadia", "locale": "fr"}))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
    /// The language of the account's mails: one of its deployment's country's (`fr` and `en`
    /// in France, `fr`, `de` and `en` in Switzerland); by default the country's first, `fr`.
    ///
    /// A plain string in the document, not a `$ref` to the `Locale` enum: schemathesis's
    /// sign-up bootstrap cannot generate a body through that reference (CI's contract run).
    #[schema(example = "fr")]
    pub locale: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub detail: &'static str,
}

/// The client's address (see [`crate::api::client_ip`]), as a throttling key.
fn client_address(req: &HttpRequest) -> String {
    crate::api::client_ip(req)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// Checks `password` against the account of `user_id` (a wrong one counts against the
/// account, as at log-in); `wrong` names the field and its message. Returns the address.
pub(super) async fn confirm_password(
    state: &AppState,
    user_id: &str,
    password: String,
    wrong: (&str, &str),
) -> Result<String, ApiError> {
    let lookup = user_id.to_string();
    let (email, stored) = state
        .db
        .run(move |conn| registration::credentials(conn, &lookup))
        .await?;
    let account_key = format!("email:{email}");
    reserve_attempts(state, vec![(Limit::Account, account_key.clone())]).await?;
    let matches = web::block(move || passwords::verify(&password, stored.as_deref()))
        .await
        .map_err(|e| ApiError::internal(format!("password check: {e}")))?;
    if !matches {
        return Err(ApiError::field(wrong.0, "wrong_password", wrong.1));
    }
    give_back_attempt(state, Limit::Account, account_key, true).await?;
    Ok(email)
}

const CHECK_MAILBOX: &str = "if the address can be used, a mail is on its way: follow its link";

async fn hash_off_workers(password: String) -> Result<String, ApiError> {
    let hashed = web::block(move || passwords::hash(&password))
        .await
        .map_err(|e| ApiError::internal(format!("password hashing: {e}")))?;
    Ok(hashed?)
}

/// Creates an account and mails a verification link. The answer is the same whether or not
/// the address is registered already (its owner is mailed instead).
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    body: JsonBody<RegisterRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let email = registration::Email::parse(&body.email)?;
    // every registration mails someone and costs a hash: counted per address and per email
    let keys = vec![
        (Limit::Account, format!("register:{}", email.as_str())),
        (
            Limit::Address,
            format!("register-address:{}", client_address(&req)),
        ),
    ];
    reserve_attempts(&state, keys).await?;
    registration::check_password("password", &body.password, Some(email.as_str()))?;
    let name = registration::check_display_name("display_name", &body.display_name)?;
    let country = state
        .db
        .run(|conn| {
            crate::deployment::get(conn)
                .map(|d| d.country)
                .map_err(ApiError::internal)
        })
        .await?;
    let locale = country
        .locale(body.locale.as_deref())
        .map_err(|why| ApiError::field("locale", "invalid", why))?
        .as_str();
    // hashed in every case, so both answers take the same time
    let hash = hash_off_workers(body.password).await?;
    state
        .db
        .run(move |conn| registration::register(conn, &email, &name, locale, hash))
        .await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        detail: CHECK_MAILBOX,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub token: String,
}

/// Confirms an email address with the token from the verification mail.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.0.token;
    state
        .db
        .run(move |conn| registration::verify_email(conn, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// Mails a password-reset link (valid one hour) when the address belongs to an active user;
/// the answer is the same either way. Throttled like log-ins.
#[utoipa::path(
    tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 429, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/auth/password-reset")]
pub async fn request_reset(
    state: web::Data<AppState>,
    body: JsonBody<ResetRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let email = normalise_email(&body.0.email);
    // every request counts: a reset mails someone
    let keys = vec![
        (Limit::Account, format!("reset:{email}")),
        (
            Limit::Address,
            format!("reset-address:{}", client_address(&req)),
        ),
    ];
    reserve_attempts(&state, keys).await?;
    state
        .db
        .run(move |conn| registration::request_reset(conn, &email))
        .await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        detail: CHECK_MAILBOX,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub token: String,
    pub new_password: String,
}

/// Sets a new password with the token from the reset mail; every session of the user ends.
#[utoipa::path(
    tag = "auth",
    request_body = ResetConfirm,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/auth/password-reset/confirm")]
pub async fn confirm_reset(
    state: web::Data<AppState>,
    body: JsonBody<ResetConfirm>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ResetConfirm {
        token,
        new_password,
    } = body.0;
    registration::check_password("new_password", &new_password, None)?;
    let address = format!("confirm-address:{}", client_address(&req));
    reserve_attempts(&state, vec![(Limit::Address, address.clone())]).await?;
    // the token is checked before anything is hashed: guessing tokens costs no argon2 run
    let probe = token.clone();
    let usable = state
        .db
        .run(move |conn| registration::token_is_usable(conn, &probe, "reset_password"))
        .await?;
    if !usable {
        return Err(ApiError::field(
            "token",
            "invalid_token",
            "is invalid, expired or already used",
        ));
    }
    give_back_attempt(&state, Limit::Address, address, false).await?;
    let hash = hash_off_workers(new_password).await?;
    state
        .db
        .run(move |conn| registration::confirm_reset(conn, &token, hash))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's password (the current one is required); every session ends, this
/// one included: log in again.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[put("/api/v1/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    crate::auth::policy::authorize(&caller.0, crate::auth::policy::Action::ManageOwnAccount)?;
    let PasswordChange {
        current_password,
        new_password,
    } = body.0;
    let user_id = caller.0.user_id.clone();
    let email = confirm_password(
        &state,
        &user_id,
        current_password,
        ("current_password", "is not your current password"),
    )
    .await?;
    registration::check_password("new_password", &new_password, Some(&email))?;
    let hash = hash_off_workers(new_password).await?;
    state
        .db
        .run(move |conn| conn.transaction(|conn| registration::set_password(conn, &user_id, hash)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyCreate {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub scopes: Vec<api_keys::Scope>,
    /// Days until the key expires, 1 to 365.
    pub expires_in_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The key itself: shown this once, never again. Send it as `Authorization: Bearer <key>`.
    pub secret: String,
}

/// Creates an API key acting for the caller within its scopes (a person's session only).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ApiKeyCreate,
    responses(
        (status = 201, body = ApiKeyCreated),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/me/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<ApiKeyCreate>,
) -> Result<HttpResponse, ApiError> {
    crate::auth::policy::authorize(&caller.0, crate::auth::policy::Action::ManageOwnAccount)?;
    let body = body.0;
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field(
            "name",
            "invalid",
            "must be 1 to 100 characters",
        ));
    }
    if body.scopes.is_empty() {
        return Err(ApiError::field(
            "scopes",
            "required",
            "name at least one scope",
        ));
    }
    if !(1..=365).contains(&body.expires_in_days) {
        return Err(ApiError::field(
            "expires_in_days",
            "out_of_range",
            "must be between 1 and 365",
        ));
    }
    let user_id = caller.0.user_id.clone();
    let (key, secret) = state
        .db
        .run(move |conn| {
            api_keys::create(conn, &user_id, &name, &body.scopes, body.expires_in_days)
        })
        .await?;
    Ok(HttpResponse::Created().json(ApiKeyCreated {
        key: key.into(),
        secret,
    }))
}

/// The caller's API keys, with their last use (never their secret).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ApiKey>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/me/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<Vec<ApiKey>>, ApiError> {
    crate::auth::policy::authorize(&caller.0, crate::auth::policy::Action::ManageOwnAccount)?;
    let user_id = caller.0.user_id.clone();
    Ok(web::Json(
        state
            .db
            .run(move |conn| api_keys::list(conn, &user_id))
            .await
            .map(crate::api::views::all)?,
    ))
}

/// Revokes one of the caller's API keys.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("key_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[delete("/api/v1/me/api-keys/{key_id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Authenticated,
    key_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    crate::auth::policy::authorize(&caller.0, crate::auth::policy::Action::ManageOwnAccount)?;
    let (user_id, key_id) = (caller.0.user_id.clone(), key_id.into_inner());
    state
        .db
        .run(move |conn| api_keys::revoke(conn, &user_id, &key_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
