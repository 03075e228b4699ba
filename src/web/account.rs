//! The reader's account: signing in and out, the language, the account's page and a
//! password change; creating an account, confirming its address and a forgotten password
//! are in [`registration`].
//!
//! A password change (`POST /account/password`, the API's `PUT /api/v1/me/password`: the
//! current password checked under the log-in throttle, the same rule for the new one, then
//! [`crate::auth::registration::set_password`]) ends every session of the account, this
//! browser's included, as the API does; in the same transaction this browser gets a new
//! session (it just proved the password), so the reader stays signed in here and every
//! other browser, app or old cookie of the account is signed out at once.

mod registration;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::WebError;
use super::render::Pages;
use super::session::{self, Form, Visitor};
use super::NoticeQuery;
use super::{local_path, redirect, render, render_status};
use crate::auth::login as logins;
use crate::auth::throttle::Limit;
use crate::auth::{sessions, AuthError};
use crate::error::FieldError;
use crate::mail::format::Locale;
use crate::state::{give_back_attempt, reserve_attempts, AppState};

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "login.html",
    "account.html",
    "account_password.html",
    "register.html",
    "register_sent.html",
    "verify_email.html",
    "link_invalid.html",
    "forgot_password.html",
    "forgot_sent.html",
    "reset_password.html",
);

/// The account's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/language", web::post().to(set_language))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(log_in))
        .route("/logout", web::post().to(log_out))
        .route("/account", web::get().to(account_page))
        .route("/account/password", web::get().to(password_page))
        .route("/account/password", web::post().to(change_password))
        .configure(registration::routes);
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
    /// What the log-in page says first (`verified`, `password-reset`).
    pub notice: Option<String>,
}

/// The words of a notice the log-in page knows; nothing for any other text.
fn login_notice(pages: &Pages, visitor: &Visitor, notice: Option<&str>) -> Option<String> {
    let key = match notice? {
        "verified" => "account-notice-verified",
        "password-reset" => "account-notice-password-reset",
        _ => return None,
    };
    Some(pages.text(super::i18n::page_locale(visitor.locale), key))
}

fn next_of(next: Option<&str>) -> String {
    next.and_then(local_path).unwrap_or("/").to_string()
}

/// `GET /login`: the log-in form (a signed-in reader goes on to `next`).
pub async fn login_page(
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let next = next_of(query.next.as_deref());
    if visitor.reader.is_some() {
        return Ok(redirect(&next));
    }
    render(
        &pages,
        &visitor,
        "login.html",
        json!({
            "errors": [],
            "values": {"email": "", "next": next},
            "notice": login_notice(&pages, &visitor, query.notice.as_deref()),
        }),
    )
}

/// `POST /login`: checks the email and password (the API's throttle and rules), starts a
/// session and sets its cookie, then goes on to `next`.
pub async fn log_in(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let next = next_of(form.opt("next").as_deref());
    let mut errors = Vec::new();
    if form.get("email").is_empty() {
        errors.push(FieldError::new(
            "email",
            "email_required",
            "enter your email address",
        ));
    }
    if form.get("password").is_empty() {
        errors.push(FieldError::new(
            "password",
            "password_required",
            "enter your password",
        ));
    }
    if errors.is_empty() {
        let attempt = logins::Attempt {
            email: form.get("email").to_string(),
            password: form
                .0
                .iter()
                .find(|(k, _)| k == "password")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            address: crate::state::client_ip(&req)
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
        };
        let (db, throttle) = (state.db.clone(), state.login_throttle.clone());
        let ttl = state.tokens.refresh_ttl_seconds();
        let outcome = web::block(move || logins::log_in(&db, &throttle, attempt, ttl))
            .await
            .map_err(|e| WebError::internal(format!("log-in: {e}")))?;
        match outcome {
            Ok(issued) => {
                let mut response = redirect(&next);
                let secure = pages.deployment.secure_cookies;
                let _ = response.add_cookie(&session::cookie(
                    session::SESSION_COOKIE,
                    issued.token,
                    secure,
                ));
                return Ok(response);
            }
            Err(AuthError::Unauthorized(_)) => errors.push(FieldError::new(
                "email",
                "login_refused",
                "the email or the password is wrong",
            )),
            Err(AuthError::Forbidden(_)) => errors.push(FieldError::new(
                "email",
                "email_unconfirmed",
                "confirm your email address first: follow the link we mailed you",
            )),
            Err(AuthError::Throttled {
                retry_after_seconds,
            }) => {
                let minutes = retry_after_seconds.div_ceil(60).max(1) as i64;
                let message = pages.catalogue.text(
                    super::i18n::page_locale(visitor.locale),
                    "login-throttled",
                    &[("minutes", super::i18n::Arg::Number(minutes))],
                );
                let errors = json!([{"field": "email", "message": message}]);
                return render_status(
                    &pages,
                    &visitor,
                    "login.html",
                    json!({"errors": errors, "values": form.values(), "notice": null}),
                    actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                )
                .map(|mut r| {
                    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(
                        &retry_after_seconds.to_string(),
                    ) {
                        r.headers_mut()
                            .insert(actix_web::http::header::RETRY_AFTER, v);
                    }
                    r
                });
            }
            Err(other) => return Err(other.into()),
        }
    }
    let errors = super::field_errors(&pages, &visitor, &errors);
    render_status(
        &pages,
        &visitor,
        "login.html",
        json!({"errors": errors, "values": form.values(), "notice": null}),
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `POST /logout`: ends the session (at once, everywhere it is used) and drops the cookie.
pub async fn log_out(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    _form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    if let Some(token) = req
        .cookie(session::SESSION_COOKIE)
        .map(|c| c.value().to_string())
    {
        state
            .db
            .run(move |conn| sessions::end(conn, &token))
            .await?;
    }
    let mut response = redirect("/");
    let _ = response.add_removal_cookie(&session::removal(
        session::SESSION_COOKIE,
        pages.deployment.secure_cookies,
    ));
    Ok(response)
}

/// `POST /language`: reads the pages in `lang` from now on (remembered by a cookie, and by
/// the account of a signed-in reader, whose mails follow), then back to `next`.
pub async fn set_language(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let next = next_of(form.opt("next").as_deref());
    let Some(locale) = Locale::parse(form.get("lang"))
        .filter(|l| pages.deployment.country.languages().contains(l))
    else {
        return Err(WebError::Invalid(vec![FieldError::new(
            "lang",
            "unknown_language",
            "choose one of the languages offered",
        )]));
    };
    if let Some(reader) = &visitor.reader {
        let user_id = reader.actor.user_id.to_string();
        state
            .db
            .run(move |conn| crate::auth::users::set_locale(conn, &user_id, locale))
            .await?;
    }
    let mut response = redirect(&next);
    let _ = response.add_cookie(&session::cookie(
        session::LANG_COOKIE,
        locale.as_str().to_string(),
        pages.deployment.secure_cookies,
    ));
    Ok(response)
}

/// The value of a password field as typed (never trimmed).
fn secret(form: &Form, name: &str) -> String {
    form.0
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The field errors of a refused input; any other failure stays an error.
fn auth_errors(e: AuthError) -> Result<Vec<FieldError>, WebError> {
    match e {
        AuthError::Invalid(invalid) => Ok(invalid.0),
        other => Err(other.into()),
    }
}

/// The errors as this module's templates show them (its own words first).
fn account_errors(pages: &Pages, visitor: &Visitor, errors: &[FieldError]) -> serde_json::Value {
    super::field_errors_of(pages, visitor, "account", errors)
}

/// Hashes a new password off the async workers.
async fn hash_password(password: String) -> Result<String, WebError> {
    let hashed = web::block(move || crate::auth::passwords::hash(&password))
        .await
        .map_err(|e| WebError::internal(format!("password hashing: {e}")))?;
    Ok(hashed?)
}

/// `GET /account`: the reader's name, email and language, and the way to change the
/// password.
pub async fn account_page(
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    crate::auth::policy::authorize(&reader.actor, crate::auth::policy::Action::ReadOwnAccounts)?;
    let notice = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        &[("password-changed", "account-notice-password-changed")],
    );
    render(
        &pages,
        &visitor,
        "account.html",
        json!({
            "account": {
                "name": reader.display_name,
                "email": reader.email,
                "language": visitor.locale.as_str(),
            },
            "notice": notice,
        }),
    )
}

fn password_form(
    pages: &Pages,
    visitor: &Visitor,
    errors: &[FieldError],
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    render_status(
        pages,
        visitor,
        "account_password.html",
        json!({"errors": account_errors(pages, visitor, errors)}),
        status,
    )
}

/// `GET /account/password`.
pub async fn password_page(
    pages: web::Data<Pages>,
    visitor: Visitor,
) -> Result<HttpResponse, WebError> {
    visitor.require()?;
    password_form(&pages, &visitor, &[], actix_web::http::StatusCode::OK)
}

/// `POST /account/password`: the current password (a wrong one counts against the account,
/// as at log-in), the rule for the new one, then every session ends and this browser gets a
/// new one (see the module's documentation).
pub async fn change_password(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    use crate::auth::registration;
    let reader = visitor.require()?;
    crate::auth::policy::authorize(&reader.actor, crate::auth::policy::Action::ManageOwnAccount)?;
    let unprocessable = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    let current = secret(&form, "current_password");
    let new = secret(&form, "new_password");
    if current.is_empty() {
        let errors = [FieldError::new(
            "current_password",
            "required",
            "enter your current password",
        )];
        return password_form(&pages, &visitor, &errors, unprocessable);
    }
    let user_id = reader.actor.user_id.to_string();
    let lookup = user_id.clone();
    let (email, stored) = state
        .db
        .run(move |conn| registration::credentials(conn, &lookup))
        .await?;
    let account_key = format!("email:{email}");
    reserve_attempts(&state, vec![(Limit::Account, account_key.clone())]).await?;
    let matches = web::block(move || crate::auth::passwords::verify(&current, stored.as_deref()))
        .await
        .map_err(|e| WebError::internal(format!("password check: {e}")))?;
    if !matches {
        let errors = [FieldError::new(
            "current_password",
            "wrong_password",
            "is not your current password",
        )];
        return password_form(&pages, &visitor, &errors, unprocessable);
    }
    give_back_attempt(&state, Limit::Account, account_key, true).await?;
    if let Err(e) = registration::check_password("new_password", &new, Some(&email)) {
        return password_form(&pages, &visitor, &auth_errors(e)?, unprocessable);
    }
    let hash = hash_password(new).await?;
    let ttl = state.tokens.refresh_ttl_seconds();
    let issued = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                registration::set_password(conn, &user_id, hash)?;
                sessions::start(conn, &user_id, ttl)
            })
        })
        .await?;
    let mut response = redirect("/account?notice=password-changed");
    let _ = response.add_cookie(&session::cookie(
        session::SESSION_COOKIE,
        issued.token,
        pages.deployment.secure_cookies,
    ));
    Ok(response)
}
