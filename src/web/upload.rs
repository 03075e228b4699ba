//! A posted form with a file: `multipart/form-data`, read whole (at most the catalogue
//! import's limit, `catalog.max_import_bytes`, plus room for the other fields) and split into
//! its parts, its `_csrf` field checked exactly as [`super::session::Form`] checks it.
//!
//! One small reader rather than a multipart crate: a page's form has a few text fields and at
//! most one file, and the whole body is read before anything else is done (the limit keeps it
//! small), so a streaming parser would buy nothing.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::error::WebError;
use super::session::{csrf_token, CSRF_COOKIE};
use crate::state::AppState;

/// Room for the fields beside the file (and the parts' headers).
const FIELDS_ROOM: usize = 65_536;

/// One part of a posted form: its field name, the file's name when it is a file, its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// A posted `multipart/form-data` form whose `_csrf` matches the browser's cookie.
#[derive(Debug, Clone, Default)]
pub struct Upload(pub Vec<Part>);

impl Upload {
    /// The text of field `name`, trimmed; `""` when absent or not UTF-8.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| std::str::from_utf8(&p.data).ok())
            .map(str::trim)
            .unwrap_or("")
    }

    /// The bytes of field `name` (a file, or a text field), unless it is empty.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.data.as_slice())
            .filter(|d| !d.is_empty())
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < from + needle.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The value of `key="…"` (or `key=…`) in a `Content-Disposition` header.
fn parameter(header: &str, key: &str) -> Option<String> {
    for piece in header.split(';').map(str::trim) {
        let Some((k, v)) = piece.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case(key) {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            return Some(v.replace("\\\"", "\""));
        }
    }
    None
}

/// The parts of a `multipart/form-data` body with this boundary; `None` when it is not one.
pub fn parse(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = body.get(at..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        at += if rest.starts_with(b"\r\n") {
            2
        } else {
            return None;
        };
        let headers_end = find(body, b"\r\n\r\n", at)?;
        let headers = std::str::from_utf8(&body[at..headers_end]).ok()?;
        let content_start = headers_end + 4;
        let content_end = find(body, &next_delimiter, content_start)?;
        let disposition = headers
            .split("\r\n")
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then_some(value)
            })
            .unwrap_or("");
        if let Some(name) = parameter(disposition, "name") {
            parts.push(Part {
                name,
                filename: parameter(disposition, "filename"),
                data: body[content_start..content_end].to_vec(),
            });
        }
        at = content_end + next_delimiter.len();
    }
}

impl FromRequest for Upload {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use futures_util::StreamExt;
        let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
        let cross_site = req
            .headers()
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site");
        let boundary = match actix_web::HttpMessage::mime_type(req) {
            Ok(Some(m)) if m.essence_str() == "multipart/form-data" => m
                .get_param("boundary")
                .map(|b| b.as_str().to_string())
                .filter(|b| !b.is_empty() && b.len() <= 200),
            _ => None,
        };
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(4_194_304, |s| s.max_import_bytes)
            .saturating_add(FIELDS_ROOM);
        let mut payload = payload.take();
        Box::pin(async move {
            if cross_site {
                return Err(WebError::Csrf);
            }
            let Some(boundary) = boundary else {
                return Err(WebError::BadForm);
            };
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| WebError::BadForm)?;
                if body.len() + chunk.len() > limit {
                    return Err(WebError::BadForm);
                }
                body.extend_from_slice(&chunk);
            }
            let upload = Upload(parse(&body, &boundary).ok_or(WebError::BadForm)?);
            let sent = upload.get("_csrf");
            match cookie {
                Some(c) if !sent.is_empty() && csrf_token(&c) == sent => Ok(upload),
                _ => Err(WebError::Csrf),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_with_a_file_is_split_into_its_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n\
Content-Type: text/csv\r\n\r\nsku,price\r\nA,1\r\n\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "_csrf");
        assert_eq!(parts[0].data, b"abc");
        assert_eq!(parts[1].filename.as_deref(), Some("c.csv"));
        assert_eq!(parts[1].data, b"sku,price\r\nA,1\r\n");
        let upload = Upload(parts);
        assert_eq!(upload.get("_csrf"), "abc");
        assert!(upload.bytes("missing").is_none());
    }

    #[test]
    fn what_is_not_multipart_is_refused() {
        assert!(parse(b"a=b", "XyZ").is_none());
        assert!(parse(b"--XyZ\r\nno end", "XyZ").is_none());
        assert_eq!(parse(b"--XyZ--\r\n", "XyZ"), Some(vec![]));
    }
}
