//! Request extractors that fail with problem+json.
//!
//! [`JsonBody`] replaces actix's `Json`: it requires a JSON content type, enforces the
//! configured body limit while streaming (before buffering), and reports deserialisation
//! errors with the exact path of the bad field (`lines[2].quantity`).

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::api::error::{ApiError, ProblemKind};
use crate::error::FieldError;

/// Largest body accepted, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map(|l| l.0)
            .unwrap_or(262_144);
        let is_json = match req.mime_type() {
            Ok(Some(mime)) => mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON),
            _ => false,
        };
        let declared_length = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "the body must be JSON, sent with `Content-Type: application/json`".into(),
                ));
            }
            let too_large =
                || ApiError::PayloadTooLarge(format!("the body is larger than {limit} bytes"));
            if declared_length.is_some_and(|len| len > limit) {
                return Err(too_large());
            }
            let body = read_limited(&mut payload, limit, too_large).await?;
            parse_json(&body).map(JsonBody)
        })
    }
}

/// Deserialises `bytes`, telling syntax errors (400) from values that do not fit (422).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = |e: serde_json::Error| ApiError::BadRequest {
        kind: ProblemKind::MalformedJson,
        detail: format!("the body is not valid JSON: {e}"),
    };
    if let Some(field) = nul_field(bytes) {
        return Err(ApiError::validation(vec![unstorable(&field)]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            // trailing characters after the document are malformed JSON too
            de.end().map_err(malformed)?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_data() {
                let (field, message) = plain(&path, &strip_position(&inner.to_string()));
                let field = if field.is_empty() {
                    "body".to_string()
                } else {
                    field
                };
                Err(ApiError::validation(vec![FieldError::new(
                    field, "invalid", message,
                )]))
            } else {
                Err(malformed(inner))
            }
        }
    }
}

/// serde_json appends " at line 1 column 42" to data errors; the field path says more.
/// Text is checked here, once for every route: a NUL character cannot be stored (PostgreSQL
/// refuses it in `TEXT`), so a value holding one is refused, naming the field, before any
/// handler sees it — the same on both backends.
fn unstorable(field: &str) -> FieldError {
    FieldError::new(
        field,
        "unstorable_character",
        "contains a NUL character (\\u0000), which cannot be stored",
    )
}

/// The path (`lines[2].reference`) of a string of this JSON document holding a NUL, if any.
/// JSON can only write one as the escape `\u0000`: the document is parsed again, to name the
/// field, only when that escape is there.
fn nul_field(bytes: &[u8]) -> Option<String> {
    let escaped_nul = bytes.windows(6).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(b"\\u0000")
            && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    });
    if !escaped_nul {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    fn walk(value: &serde_json::Value, path: &str) -> Option<String> {
        let here = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            serde_json::Value::String(s) if s.contains('\0') => Some(if path.is_empty() {
                "body".into()
            } else {
                path.to_string()
            }),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
                if k.contains('\0') {
                    Some(here(k))
                } else {
                    walk(v, &here(k))
                }
            }),
            _ => None,
        }
    }
    walk(&value, "")
}

/// serde's message in people's words, and the field it is about: a missing field names
/// itself (`lines`, not the object holding it); a type error says the shape expected
/// (`must be a whole number`), never a Rust type (`expected i64`, `expected struct
/// IssueRequest with 5 elements`). `path` is serde's (`.` at the top).
pub fn plain(path: &str, message: &str) -> (String, String) {
    let path = if path == "." { "" } else { path };
    let join = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return (join(name), "is required".into());
    }
    let expected = message.rsplit(", expected ").next().unwrap_or_default();
    let shape = if message.contains("invalid digit") || message.contains("invalid type") {
        match expected {
            e if e.starts_with('i') || e.starts_with('u') => Some("must be a whole number"),
            e if e.starts_with('f') => Some("must be a number"),
            e if e.contains("bool") => Some("must be true or false"),
            e if e.contains("string") || e.contains("char") => Some("must be text (a JSON string)"),
            e if e.contains("struct") || e.contains("map") => Some("must be an object"),
            e if e.contains("sequence") || e.contains("tuple") => Some("must be a list"),
            _ => None,
        }
    } else if message.contains("invalid length") {
        Some("has the wrong number of elements")
    } else {
        None
    };
    match shape {
        Some(shape) => (path.to_string(), shape.to_string()),
        None => (path.to_string(), message.to_string()),
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Query-string parameters of type `T`; a value of the wrong type is a 400
/// `invalid-query` naming the parameter.
pub struct QueryParams<T>(pub T);

impl<T> std::ops::Deref for QueryParams<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        if let Some((key, _)) = pairs
            .clone()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            let field = key.replace('\0', "\\u0000");
            return std::future::ready(Err(ApiError::validation(vec![unstorable(&field)])));
        }
        let de = serde_urlencoded::Deserializer::new(pairs);
        std::future::ready(
            serde_path_to_error::deserialize(de)
                .map(QueryParams)
                .map_err(|err| {
                    let path = err.path().to_string();
                    let (field, message) = plain(&path, &err.into_inner().to_string());
                    let sep = if message.starts_with("must") || message.starts_with("is ") {
                        " "
                    } else {
                        ": "
                    };
                    ApiError::BadRequest {
                        kind: ProblemKind::InvalidQuery,
                        detail: format!("query parameter `{field}`{sep}{message}"),
                    }
                }),
        )
    }
}

/// Path errors (a segment of the wrong shape) are 404: no such resource can exist.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _req| ApiError::NotFound(format!("no such resource: {err}")).into())
}

/// Reads a CSV request body (`Content-Type: text/csv` or `text/plain`) of at most `limit`
/// bytes. A function rather than an extractor, so that handlers authorise the caller before
/// reading (or refusing) a large upload.
pub async fn csv_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let is_csv = matches!(req.mime_type(), Ok(Some(m)) if m.type_() == mime::TEXT && (m.subtype() == "csv" || m.subtype() == mime::PLAIN));
    if !is_csv {
        return Err(ApiError::UnsupportedMediaType(
            "send the file with `Content-Type: text/csv`".into(),
        ));
    }
    read_limited(&mut payload, limit, || {
        ApiError::PayloadTooLarge(format!(
            "the file is larger than {limit} bytes; import it with `comptoir catalog import`"
        ))
    })
    .await
}

/// Reads a whole body, failing with `too_large()` as soon as it passes `limit` bytes (before
/// buffering the rest).
async fn read_limited<S, E>(
    payload: &mut S,
    limit: usize,
    too_large: impl Fn() -> ApiError,
) -> Result<web::Bytes, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest {
            kind: ProblemKind::BadRequest,
            detail: format!("the body could not be read: {e}"),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn serde_messages_in_plain_words() {
        let cases = [
            (".", "missing field `from`", "from", "is required"),
            (
                "lines[0]",
                "missing field `quantity`",
                "lines[0].quantity",
                "is required",
            ),
            (
                "lines[0].quantity",
                "invalid type: string \"2\", expected i64",
                "lines[0].quantity",
                "must be a whole number",
            ),
            (
                "limit",
                "invalid digit found in string",
                "limit",
                "must be a whole number",
            ),
            (
                ".",
                "invalid type: sequence, expected struct IssueRequest with 5 elements",
                "",
                "must be an object",
            ),
            (
                "lines",
                "invalid type: map, expected a sequence",
                "lines",
                "must be a list",
            ),
            (
                "reference",
                "invalid type: integer `3`, expected a string",
                "reference",
                "must be text (a JSON string)",
            ),
            (
                "in_stock",
                "invalid type: string \"yes\", expected a boolean",
                "in_stock",
                "must be true or false",
            ),
            (
                "kind",
                "unknown variant `bakery`, expected `producer` or `hub`",
                "kind",
                "unknown variant `bakery`, expected `producer` or `hub`",
            ),
        ];
        for (path, message, field, said) in cases {
            assert_eq!(
                plain(path, message),
                (field.to_string(), said.to_string()),
                "{message}"
            );
        }
    }
}
