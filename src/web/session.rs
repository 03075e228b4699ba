//! Who reads a page: the browser's session cookie, the CSRF token of its forms, its language.
//!
//! - **Session**: `comptoir_session` holds a session token of [`crate::auth::sessions`] (a
//!   family of one never-rotated token): HttpOnly, SameSite=Lax, `Secure` when the site is
//!   served over TLS, no `Max-Age` (it ends with the browser; the server ends it after
//!   `jwt.refresh_ttl_seconds` at most). Log-out, a password change or reset and a disabled
//!   account end it at once, exactly as they end an API session.
//! - **CSRF**: every form that changes something carries `_csrf`, the SHA-256 of the
//!   browser's random `comptoir_csrf` cookie (HttpOnly, so a script of another site can
//!   neither read the cookie nor compute the token; SameSite=Lax, so another site's form
//!   does not even send it). A post whose `_csrf` does not match, or that a browser marks
//!   `Sec-Fetch-Site: cross-site`, is refused before anything is read.
//! - **Language**: the account's for a signed-in reader; else the `comptoir_lang` cookie
//!   (set by the language switch); else the first of `Accept-Language` the deployment's
//!   country speaks; else the country's first language.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

use super::error::WebError;
use super::i18n::asked_locale;
use super::render::Pages;
use crate::auth::actor::{self, Actor};
use crate::auth::sessions;
use crate::mail::format::Locale;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "comptoir_session";
pub const CSRF_COOKIE: &str = "comptoir_csrf";
pub use super::i18n::LANG_COOKIE;

/// The signed-in reader.
#[derive(Debug, Clone)]
pub struct Reader {
    pub actor: Actor,
    pub email: String,
    pub display_name: String,
}

impl Reader {
    /// The person acting, as the audit trail records them (with the client's address).
    pub fn who(&self, req: &actix_web::HttpRequest) -> crate::audit::Who {
        let origin = crate::state::client_ip(req)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        crate::audit::Who::user(self.actor.user_id.clone(), origin)
    }
}

/// Whoever reads the page: signed in or not, in which language, with which CSRF token.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub reader: Option<Reader>,
    /// The language the reader asked for (the page is written in
    /// [`super::i18n::page_locale`] of it).
    pub locale: Locale,
    /// The token this reader's forms carry.
    pub csrf: String,
    /// A new CSRF cookie to set (the browser had none).
    new_csrf_cookie: Option<String>,
    /// The request's path and query, to come back to after signing in.
    pub path: String,
}

/// The CSRF token of a browser's `comptoir_csrf` cookie value.
pub fn csrf_token(cookie: &str) -> String {
    format!(
        "{:x}",
        Sha256::digest(format!("comptoir-csrf:{cookie}").as_bytes())
    )
}

fn random_hex() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A cookie of the site: path `/`, HttpOnly, SameSite=Lax, `Secure` under TLS.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// The same cookie, expired (a log-out).
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure);
    c.make_removal();
    c
}

impl Visitor {
    /// The signed-in reader, or a redirect to the log-in page that comes back here.
    pub fn require(&self) -> Result<&Reader, WebError> {
        self.reader
            .as_ref()
            .ok_or_else(|| WebError::SignIn(self.path.clone()))
    }

    /// Sets the CSRF cookie on `response` when this browser had none.
    pub fn finish(&self, response: &mut HttpResponse, pages: &Pages) {
        if let Some(value) = &self.new_csrf_cookie {
            let _ = response.add_cookie(&cookie(
                CSRF_COOKIE,
                value.clone(),
                pages.deployment.secure_cookies,
            ));
        }
    }
}

impl FromRequest for Visitor {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let pages = req.app_data::<web::Data<Pages>>().cloned();
        let session = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let csrf_cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
        let path = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_string(),
            None => req.path().to_string(),
        };
        let req = req.clone();
        Box::pin(async move {
            let (Some(state), Some(pages)) = (state, pages) else {
                return Err(WebError::Internal("application state missing".into()));
            };
            let reader = match session.filter(|s| !s.is_empty()) {
                Some(token) => {
                    state
                        .db
                        .run(move |conn| -> Result<Option<(Reader, String)>, WebError> {
                            let Some((user_id, _family)) = sessions::find_live(conn, &token)?
                            else {
                                return Ok(None);
                            };
                            let Some(actor) = actor::load(conn, &user_id)? else {
                                return Ok(None);
                            };
                            let user = crate::auth::users::find(conn, &user_id)?;
                            Ok(Some((
                                Reader {
                                    actor,
                                    email: user.email,
                                    display_name: user.display_name,
                                },
                                user.locale,
                            )))
                        })
                        .await?
                }
                None => None,
            };
            let locale = match &reader {
                Some((_, locale)) => Locale::parse(locale)
                    .unwrap_or_else(|| asked_locale(&req, pages.deployment.country)),
                None => asked_locale(&req, pages.deployment.country),
            };
            let (csrf, new_csrf_cookie) = match csrf_cookie.filter(|c| c.len() == 64) {
                Some(c) => (csrf_token(&c), None),
                None => {
                    let c = random_hex();
                    (csrf_token(&c), Some(c))
                }
            };
            Ok(Visitor {
                reader: reader.map(|(r, _)| r),
                locale,
                csrf,
                new_csrf_cookie,
                path,
            })
        })
    }
}

/// A posted form (`application/x-www-form-urlencoded`, at most 64 KiB) whose `_csrf` matches
/// the browser's cookie. Fields keep their order; a name may repeat.
#[derive(Debug, Clone, Default)]
pub struct Form(pub Vec<(String, String)>);

/// Largest form a page accepts.
const FORM_LIMIT: usize = 65_536;

impl Form {
    /// The first value of `name`, trimmed; `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The value of `name` unless it is blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Every value of a field (a checkbox list, or `name[key]` entries: `(key, value)`).
    pub fn keyed(&self, prefix: &str) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let key = k
                    .strip_prefix(prefix)?
                    .strip_prefix('[')?
                    .strip_suffix(']')?;
                Some((key.to_string(), v.trim().to_string()))
            })
            .collect()
    }

    /// The fields as a JSON object, to fill the form again after an error (never the
    /// passwords nor the token).
    pub fn values(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.0 {
            if k == "_csrf" || k.contains("password") {
                continue;
            }
            map.entry(k.clone()).or_insert_with(|| v.clone().into());
        }
        serde_json::Value::Object(map)
    }
}

impl FromRequest for Form {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use futures_util::StreamExt;
        let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
        let cross_site = req
            .headers()
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site");
        let is_form = matches!(
            actix_web::HttpMessage::mime_type(req),
            Ok(Some(m)) if m.essence_str() == "application/x-www-form-urlencoded"
        );
        let mut payload = payload.take();
        Box::pin(async move {
            if cross_site {
                return Err(WebError::Csrf);
            }
            if !is_form {
                return Err(WebError::BadForm);
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| WebError::BadForm)?;
                if body.len() + chunk.len() > FORM_LIMIT {
                    return Err(WebError::BadForm);
                }
                body.extend_from_slice(&chunk);
            }
            let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
                .map(|(k, v)| (k.replace('\0', ""), v.replace('\0', "")))
                .collect();
            let form = Form(fields);
            let sent = form.get("_csrf");
            match cookie {
                Some(c) if !sent.is_empty() && csrf_token(&c) == sent => Ok(form),
                _ => Err(WebError::Csrf),
            }
        })
    }
}
