//! Creating an account, confirming its address, and a forgotten password — the pages of
//! `POST /api/v1/auth/register`, `…/verify-email`, `…/password-reset` and
//! `…/password-reset/confirm`, with the same domain functions ([`crate::auth::registration`]),
//! rules, throttles and mails.
//!
//! - `GET/POST /register` → `/register/sent`: the same page whether or not the address had
//!   an account (its owner is mailed `account_exists` instead).
//! - `GET /verify-email?token=` (the mail's link) shows one button; only its `POST` uses the
//!   token, so a mail scanner that fetches links does not. Then `/login?notice=verified`.
//! - `GET/POST /forgot-password` → `/forgot-password/sent` (the same answer for any
//!   address); `GET /reset-password?token=` (the mail's link) → `POST /reset-password` →
//!   `/login?notice=password-reset` (every session of the account has ended).
//! - A token that is unknown, used or expired: a page saying so, with the way to get a new
//!   link (410 Gone).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{account_errors, auth_errors, hash_password, secret};
use crate::auth::registration;
use crate::auth::throttle::Limit;
use crate::auth::users::normalise_email;
use crate::auth::AuthError;
use crate::error::FieldError;
use crate::state::{give_back_attempt, reserve_attempts, AppState};
use crate::web::error::WebError;
use crate::web::render::Pages;
use crate::web::session::{Form, Visitor};
use crate::web::{redirect, render, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/register", web::get().to(register_page))
        .route("/register", web::post().to(register))
        .route("/register/sent", web::get().to(register_sent))
        .route("/verify-email", web::get().to(verify_page))
        .route("/verify-email", web::post().to(verify))
        .route("/forgot-password", web::get().to(forgot_page))
        .route("/forgot-password", web::post().to(forgot))
        .route("/forgot-password/sent", web::get().to(forgot_sent))
        .route("/reset-password", web::get().to(reset_page))
        .route("/reset-password", web::post().to(reset));
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

/// The client's address, as a throttle key.
fn address(req: &HttpRequest) -> String {
    crate::state::client_ip(req)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// The languages an account can choose: the deployment country's, the page's checked.
fn languages(pages: &Pages, visitor: &Visitor, chosen: &str) -> Vec<serde_json::Value> {
    let chosen = if chosen.is_empty() {
        visitor.locale.as_str()
    } else {
        chosen
    };
    pages
        .deployment
        .country
        .languages()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({
                "code": l.as_str(),
                // the first radio carries the group's id, for the error summary's link
                "id": if i == 0 { "locale".to_string() } else { format!("locale-{}", l.as_str()) },
                "checked": l.as_str() == chosen,
            })
        })
        .collect()
}

fn register_form(
    pages: &Pages,
    visitor: &Visitor,
    errors: &[FieldError],
    values: serde_json::Value,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let chosen = values["locale"].as_str().unwrap_or("").to_string();
    render_status(
        pages,
        visitor,
        "register.html",
        json!({
            "errors": account_errors(pages, visitor, errors),
            "values": values,
            "languages": languages(pages, visitor, &chosen),
        }),
        status,
    )
}

/// `GET /register`: the form (a signed-in reader goes to their account).
pub async fn register_page(
    pages: web::Data<Pages>,
    visitor: Visitor,
) -> Result<HttpResponse, WebError> {
    if visitor.reader.is_some() {
        return Ok(redirect("/account"));
    }
    register_form(&pages, &visitor, &[], json!({}), StatusCode::OK)
}

/// `POST /register`: the API's checks in its order (the address, the throttle, the
/// password, the name, the language), the password hashed in every case, then
/// [`registration::register`].
pub async fn register(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let password = secret(&form, "password");
    let mut errors = Vec::new();
    let name = match registration::check_display_name("display_name", form.get("display_name")) {
        Ok(name) => name,
        Err(e) => {
            errors.extend(auth_errors(e)?);
            String::new()
        }
    };
    let email = match registration::Email::parse(form.get("email")) {
        Ok(email) => Some(email),
        Err(e) => {
            errors.extend(auth_errors(e)?);
            None
        }
    };
    if let Err(e) =
        registration::check_password("password", &password, email.as_ref().map(|e| e.as_str()))
    {
        errors.extend(auth_errors(e)?);
    }
    let locale = match pages
        .deployment
        .country
        .locale(form.opt("locale").as_deref())
    {
        Ok(l) => Some(l),
        Err(why) => {
            errors.push(FieldError::new("locale", "unknown_language", why));
            None
        }
    };
    let (Some(email), Some(locale), true) = (email, locale, errors.is_empty()) else {
        return register_form(
            &pages,
            &visitor,
            &errors,
            form.values(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    // every registration mails someone and costs a hash: counted per address and per email
    let keys = vec![
        (Limit::Account, format!("register:{}", email.as_str())),
        (
            Limit::Address,
            format!("register-address:{}", address(&req)),
        ),
    ];
    reserve_attempts(&state, keys).await?;
    // hashed in every case, so both answers take the same time
    let hash = hash_password(password).await?;
    state
        .db
        .run(move |conn| registration::register(conn, &email, &name, locale.as_str(), hash))
        .await?;
    Ok(redirect("/register/sent"))
}

/// `GET /register/sent`: "check your mail" (the same page for a new or a known address).
pub async fn register_sent(
    pages: web::Data<Pages>,
    visitor: Visitor,
) -> Result<HttpResponse, WebError> {
    render(
        &pages,
        &visitor,
        "register_sent.html",
        json!({"hours": registration::VERIFY_TTL_HOURS}),
    )
}

/// The page of a link that no longer works: `kind` is `verify` or `reset`.
fn link_invalid(pages: &Pages, visitor: &Visitor, kind: &str) -> Result<HttpResponse, WebError> {
    render_status(
        pages,
        visitor,
        "link_invalid.html",
        json!({"kind": kind}),
        StatusCode::GONE,
    )
}

async fn usable(state: &AppState, token: &str, purpose: &'static str) -> Result<bool, WebError> {
    if token.is_empty() || token.len() > 200 {
        return Ok(false);
    }
    let token = token.to_string();
    Ok(state
        .db
        .run(move |conn| registration::token_is_usable(conn, &token, purpose))
        .await?)
}

/// `GET /verify-email?token=`: one button that confirms (the token is not used yet).
pub async fn verify_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let token = query.token.clone().unwrap_or_default();
    if !usable(&state, &token, "verify_email").await? {
        return link_invalid(&pages, &visitor, "verify");
    }
    render(
        &pages,
        &visitor,
        "verify_email.html",
        json!({"token": token}),
    )
}

/// `POST /verify-email`: [`registration::verify_email`], then the log-in page says so.
pub async fn verify(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let token = form.get("token").to_string();
    let outcome = state
        .db
        .run(move |conn| registration::verify_email(conn, &token))
        .await;
    match outcome {
        Ok(()) => Ok(redirect("/login?notice=verified")),
        Err(AuthError::Invalid(_)) => link_invalid(&pages, &visitor, "verify"),
        Err(other) => Err(other.into()),
    }
}

/// `GET /forgot-password`.
pub async fn forgot_page(
    pages: web::Data<Pages>,
    visitor: Visitor,
) -> Result<HttpResponse, WebError> {
    render(
        &pages,
        &visitor,
        "forgot_password.html",
        json!({"errors": [], "values": {}}),
    )
}

/// `POST /forgot-password`: [`registration::request_reset`] (a mail to the address whether
/// or not it has an account), throttled like the API.
pub async fn forgot(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let email = normalise_email(form.get("email"));
    if email.is_empty() {
        let errors = [FieldError::new(
            "email",
            "email_required",
            "enter your email address",
        )];
        return render_status(
            &pages,
            &visitor,
            "forgot_password.html",
            json!({"errors": account_errors(&pages, &visitor, &errors), "values": form.values()}),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    // every request counts: a reset mails someone
    let keys = vec![
        (Limit::Account, format!("reset:{email}")),
        (Limit::Address, format!("reset-address:{}", address(&req))),
    ];
    reserve_attempts(&state, keys).await?;
    state
        .db
        .run(move |conn| registration::request_reset(conn, &email))
        .await?;
    Ok(redirect("/forgot-password/sent"))
}

/// `GET /forgot-password/sent`.
pub async fn forgot_sent(
    pages: web::Data<Pages>,
    visitor: Visitor,
) -> Result<HttpResponse, WebError> {
    render(
        &pages,
        &visitor,
        "forgot_sent.html",
        json!({"minutes": registration::RESET_TTL_MINUTES}),
    )
}

fn reset_form(
    pages: &Pages,
    visitor: &Visitor,
    token: &str,
    errors: &[FieldError],
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    render_status(
        pages,
        visitor,
        "reset_password.html",
        json!({"errors": account_errors(pages, visitor, errors), "token": token}),
        status,
    )
}

/// `GET /reset-password?token=`: the new-password form.
pub async fn reset_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let token = query.token.clone().unwrap_or_default();
    if !usable(&state, &token, "reset_password").await? {
        return link_invalid(&pages, &visitor, "reset");
    }
    reset_form(&pages, &visitor, &token, &[], StatusCode::OK)
}

/// `POST /reset-password`: the API's checks (the password rule, the per-address throttle
/// on tokens, the token before any hashing), then [`registration::confirm_reset`]: every
/// session of the account ends, its API keys are revoked; on to the log-in page.
pub async fn reset(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let token = form.get("token").to_string();
    let password = secret(&form, "new_password");
    if let Err(e) = registration::check_password("new_password", &password, None) {
        let errors = auth_errors(e)?;
        return reset_form(
            &pages,
            &visitor,
            &token,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let key = format!("confirm-address:{}", address(&req));
    reserve_attempts(&state, vec![(Limit::Address, key.clone())]).await?;
    if !usable(&state, &token, "reset_password").await? {
        return link_invalid(&pages, &visitor, "reset");
    }
    give_back_attempt(&state, Limit::Address, key, false).await?;
    let hash = hash_password(password).await?;
    let outcome = state
        .db
        .run(move |conn| registration::confirm_reset(conn, &token, hash))
        .await;
    match outcome {
        Ok(()) => Ok(redirect("/login?notice=password-reset")),
        // used by another tab between the check and now
        Err(AuthError::Invalid(_)) => link_invalid(&pages, &visitor, "reset"),
        Err(other) => Err(other.into()),
    }
}
