//! `ETag` / `If-None-Match` on reads: the tag is a digest of the JSON body, so it changes
//! exactly when the answer does, whatever changed underneath (a price, a stock, a name). A
//! client that sends back the tag of its copy gets `304 Not Modified` and no body.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;

/// Whether an `If-None-Match` header value names `tag` (weak comparison, `*` included).
fn matches(header_value: &str, tag: &str) -> bool {
    header_value
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == tag)
}

/// `value` as JSON with its `ETag`, or `304` when the client already holds it.
pub fn json<T: Serialize>(req: &HttpRequest, value: &T) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let digest = Sha256::digest(&body);
    let tag = format!(
        "\"{}\"",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches(v, &tag));
    let mut response = if cached {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if cached {
        Ok(response.finish())
    } else {
        Ok(response.content_type("application/json").body(body))
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn if_none_match_forms() {
        assert!(matches("\"abc\"", "\"abc\""));
        assert!(matches("W/\"abc\", \"def\"", "\"abc\""));
        assert!(matches("*", "\"abc\""));
        assert!(!matches("\"abd\"", "\"abc\""));
    }
}
