//! Signing in and out, and the reader's language.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::WebError;
use super::render::Pages;
use super::session::{self, Form, Visitor};
use super::{local_path, redirect, render, render_status};
use crate::auth::login as logins;
use crate::auth::{sessions, AuthError};
use crate::error::FieldError;
use crate::mail::format::Locale;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("login.html");

/// The account's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/language", web::post().to(set_language))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(log_in))
        .route("/logout", web::post().to(log_out));
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
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
        json!({"errors": [], "values": {"email": "", "next": next}, "notice": null}),
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
