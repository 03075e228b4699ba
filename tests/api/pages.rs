//! A browser without a browser, for the pages over real HTTP: [`Visitor`] keeps its cookies,
//! follows nothing by itself (each redirect is asserted), and posts forms with the CSRF token
//! of the last page it read, as a browser would. The browser tests (`browser.rs`) drive a
//! real Chromium; these check statuses, redirects, cookies and refusals precisely.

use std::collections::BTreeMap;

use crate::harness::{Reply, TestApp};

/// A page as read: status, headers, body text.
pub struct Page {
    pub status: u16,
    pub reply: Reply,
    pub text: String,
}

impl Page {
    /// The `Location` of a redirect.
    #[track_caller]
    pub fn location(&self) -> String {
        assert!(
            (300..400).contains(&self.status),
            "expected a redirect, got {}: {}",
            self.status,
            self.text
        );
        self.reply.header("location").expect("Location header")
    }

    /// Asserts a 200 HTML page and returns its text.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.status, 200, "{}", self.text);
        assert!(self
            .reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")));
        &self.text
    }

    /// The value of the first `<input name="NAME" … value="…">` (HTML-unescaped).
    pub fn input_value(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\"");
        let at = self.text.find(&needle)?;
        let tag_start = self.text[..at].rfind('<')?;
        let tag_end = at + self.text[at..].find('>')?;
        let tag = &self.text[tag_start..tag_end];
        let v = tag.find("value=\"")? + 7;
        let end = tag[v..].find('"')?;
        Some(unescape(&tag[v..v + end]))
    }

    /// Whether the page's text (HTML-unescaped) contains `words`.
    pub fn shows(&self, words: &str) -> bool {
        unescape(&self.text).contains(words)
    }
}

/// Undoes minijinja's HTML escaping.
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// One browser: its cookies and the CSRF token of the last page read.
pub struct Visitor<'a> {
    pub app: &'a TestApp,
    /// A client that follows no redirect (each is asserted).
    client: awc::Client,
    pub cookies: BTreeMap<String, String>,
    pub csrf: Option<String>,
    /// Sent as `Accept-Language` (none when empty).
    pub accept_language: String,
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Visitor<'a> {
        Visitor {
            app,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(std::time::Duration::from_secs(30))
                .finish(),
            cookies: BTreeMap::new(),
            csrf: None,
            accept_language: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let Ok(text) = value.to_str() else { continue };
            let first = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = first.split_once('=') {
                let removed = text.contains("Max-Age=0") || value.is_empty();
                if removed {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_string(), value.trim().to_string());
                }
            }
        }
    }

    async fn send(&mut self, method: &str, path: &str, form: Option<String>) -> Page {
        let cookies = self.cookie_header();
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if !cookies.is_empty() {
            headers.push(("cookie", cookies.as_str()));
        }
        if !self.accept_language.is_empty() {
            headers.push(("accept-language", self.accept_language.as_str()));
        }
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.app.url(path));
        for (name, value) in headers {
            request = request.insert_header((name, value));
        }
        let reply = match form {
            Some(body) => {
                crate::harness::read(
                    request
                        .insert_header(("content-type", "application/x-www-form-urlencoded"))
                        .send_body(body)
                        .await,
                )
                .await
            }
            None => crate::harness::read(request.send().await).await,
        };
        self.keep_cookies(&reply);
        let text = String::from_utf8_lossy(&reply.body).to_string();
        let page = Page {
            status: reply.status.as_u16(),
            reply,
            text,
        };
        if let Some(token) = page.input_value("_csrf") {
            self.csrf = Some(token);
        }
        page
    }

    /// Sends `body` of `content_type` with this browser's cookies, following no redirect and
    /// keeping no cookie (a multipart upload, whose CSRF token the caller puts in the body).
    pub async fn send_body(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .client
            .request(method, self.app.url(path))
            .insert_header(("content-type", content_type));
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            request = request.insert_header(("cookie", cookies));
        }
        if !self.accept_language.is_empty() {
            request = request.insert_header(("accept-language", self.accept_language.clone()));
        }
        crate::harness::read(request.send_body(body).await).await
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    /// Posts `fields` to `path` with the CSRF token of the last page read.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly `fields` (no token added: to test refusals).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send("POST", path, Some(body)).await
    }

    /// Signs in through the log-in page with the demo password, and asserts it worked.
    pub async fn sign_in(&mut self, email: &str) {
        self.get("/login").await.ok();
        let page = self
            .post(
                "/login",
                &[
                    ("email", email),
                    ("password", comptoir::demo::DEMO_PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(
            page.location(),
            "/",
            "{email} could not sign in: {}",
            page.text
        );
        assert!(self.cookies.contains_key("comptoir_session"));
    }
}
