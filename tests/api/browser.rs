//! Browser tests: pages walked in a real, headless Chromium over WebDriver (fantoccini), each
//! page checked with axe-core, each walk once with JavaScript and once without.
//!
//! [`Browser::start`] spawns its own ChromeDriver (`COMPTOIR_CHROMEDRIVER`, else
//! `/usr/bin/chromedriver`) on a free port, opens one headless Chromium session
//! (`COMPTOIR_CHROMIUM`, else `/usr/bin/chromium`) and ends both when dropped: one browser per
//! test. A phone by default — Chrome's mobile emulation of a 390×844 viewport, so a page
//! without `<meta name="viewport">` is laid out 980 px wide and shrunk, as on a phone (a
//! headless window cannot be narrower than 500 px), but with a mouse rather than a touch
//! screen (below); [`Browser::desktop`] is a 1280×900 window. The browser asks for French
//! first (`Accept-Language: fr-FR,fr`), so a page's language does not depend on the machine's
//! locale.
//!
//! Browser tests carry
//! `#[cfg_attr(not(comptoir_browser_tests), ignore = "no ChromeDriver: …")]`: `build.rs` sets
//! the cfg when a driver is installed, so without one they are reported ignored, never passed;
//! with `CI=true` a build without them fails (`browser_tests_are_compiled_when_ci_is_set`).
//!
//! # Without JavaScript, and axe
//!
//! Chrome's content setting (`profile.managed_default_content_settings.javascript = 2`)
//! does stop the page's scripts, and WebDriver's *execute script* still runs in such a page
//! (that is how ChromeDriver finds elements too), so axe can be injected; but the page's
//! timers never fire, and `axe.run` waits on `setTimeout`: it never finishes (a script
//! timeout). A managed setting also cannot be lifted for a moment over the DevTools protocol.
//! So a no-JS [`Browser`] disables scripts with the DevTools protocol instead
//! (`Emulation.setScriptExecutionDisabled`, sent through ChromeDriver's `goog/cdp/execute`),
//! which holds for the tab across every navigation: the page's scripts do not run,
//! `<noscript>` is rendered. [`Browser::accessibility_violations`] lifts it only while axe
//! runs on the page as it was loaded without scripts (a parsed page's scripts do not run
//! afterwards), then sets it again. It holds for this tab only: a link opening a new window
//! would have JavaScript.
//!
//! Without scripts, timers do not fire whichever way scripts are disabled, and ChromeDriver
//! waits on one after an emulated tap: a click on a touch-screen phone hangs for ten minutes
//! (ChromeDriver's own limit). So the phone is emulated without touch: clicks are mouse
//! clicks, which work with and without JavaScript (and `(pointer: coarse)` does not match).
//!
//! axe treats `<noscript>` content as hidden (it assumes scripts run), so content in a
//! `<noscript>` is never checked: the pages work without JavaScript by design, not through
//! `<noscript>`.
//!
//! Screenshots ([`Browser::screenshot`]) are full-page PNGs under the target directory, in
//! `screenshots/` (`target/screenshots/NAME-js-phone-390x844.png`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::elements::Element;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use serde::Deserialize;
use serde_json::{json, Value};

/// `walks!(walk)`: the four browser tests of a walk `async fn walk(backend: Backend, js:
/// bool)` — SQLite and PostgreSQL, with JavaScript and without — each ignored (never passed)
/// without ChromeDriver, the PostgreSQL ones also without `COMPTOIR_TEST_POSTGRES_URL`.
macro_rules! walks {
    ($walk:ident) => {
        $crate::browser::walks!(@one sqlite_with_javascript, $walk, $crate::harness::Backend::Sqlite, true);
        $crate::browser::walks!(@one sqlite_without_javascript, $walk, $crate::harness::Backend::Sqlite, false);
        $crate::browser::walks!(@one postgres_with_javascript, $walk, $crate::harness::Backend::Postgres, true,
            #[cfg_attr(not(comptoir_pg_tests), ignore = "COMPTOIR_TEST_POSTGRES_URL is not set")]);
        $crate::browser::walks!(@one postgres_without_javascript, $walk, $crate::harness::Backend::Postgres, false,
            #[cfg_attr(not(comptoir_pg_tests), ignore = "COMPTOIR_TEST_POSTGRES_URL is not set")]);
    };
    (@one $name:ident, $walk:ident, $backend:expr, $js:expr $(, #[$extra:meta])?) => {
        #[actix_web::test]
        #[cfg_attr(
            not(comptoir_browser_tests),
            ignore = "no ChromeDriver: install chromium and chromium-driver"
        )]
        $(#[$extra])?
        async fn $name() {
            $walk($backend, $js).await
        }
    };
}
pub(crate) use walks;

/// axe-core, vendored from the npm registry (`tests/vendor/axe-core/README.md`).
const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// The rule sets a page must pass: WCAG 2.0 and 2.1, levels A and AA, and axe's best practices.
const AXE_RUN: &str = r"
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
}).then(
  (results) => done({violations: results.violations.map((v) => ({
    id: v.id,
    impact: v.impact || '',
    help: v.help,
    help_url: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: JSON.stringify(n.target), html: n.html})),
  }))}),
  (error) => done({error: String(error)}),
);
";

/// A window's size and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// A phone: 390×844 CSS pixels, mobile (Chrome's mobile emulation).
    Phone,
    /// A laptop: a 1280×900 window.
    Desktop,
}

impl Viewport {
    fn label(self) -> &'static str {
        match self {
            Viewport::Phone => "phone-390x844",
            Viewport::Desktop => "desktop-1280x900",
        }
    }
}

/// One axe violation: a rule and the elements failing it.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The rule: `label`, `image-alt`, `color-contrast`…
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    pub help: String,
    pub help_url: String,
    pub nodes: Vec<ViolationNode>,
}

/// An element failing a rule: its CSS selector (as axe's JSON array) and its HTML.
#[derive(Debug, Clone, Deserialize)]
pub struct ViolationNode {
    pub target: String,
    pub html: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "- {} ({}): {} <{}>",
            self.id, self.impact, self.help, self.help_url
        )?;
        for node in &self.nodes {
            // an element's HTML on one line, cut short (`<html>` would be the whole page)
            let html = node.html.split_whitespace().collect::<Vec<_>>().join(" ");
            let cut: String = html.chars().take(200).collect();
            let more = if cut.len() < html.len() { "…" } else { "" };
            writeln!(f, "    at {}: {cut}{more}", node.target)?;
        }
        Ok(())
    }
}

/// A headless Chromium driven over WebDriver, with its own ChromeDriver.
pub struct Browser {
    client: Client,
    js: bool,
    viewport: Viewport,
    /// Declared last: dropped after the client, it ends the session and the driver.
    driver: Driver,
}

impl Browser {
    /// A phone-sized browser, with JavaScript (`js`) or without.
    pub async fn start(js: bool) -> Browser {
        Browser::open(js, Viewport::Phone).await
    }

    /// A desktop-sized browser (a 1280×900 window), with JavaScript (`js`) or without.
    pub async fn desktop(js: bool) -> Browser {
        Browser::open(js, Viewport::Desktop).await
    }

    async fn open(js: bool, viewport: Viewport) -> Browser {
        let mut driver = Driver::spawn().await;
        let chromium = std::env::var("COMPTOIR_CHROMIUM")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "/usr/bin/chromium".into());
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            // no scrollbar taking width from the page: screenshots are the page, full width
            "--hide-scrollbars",
        ];
        let mut options = json!({
            "binary": chromium,
            "prefs": {"intl.accept_languages": "fr-FR,fr"},
        });
        match viewport {
            Viewport::Phone => {
                // mouse clicks, not taps (see the module's documentation)
                options["mobileEmulation"] = json!({"deviceMetrics": {
                    "width": 390, "height": 844, "pixelRatio": 1.0, "touch": false,
                }});
            }
            Viewport::Desktop => args.push("--window-size=1280,900"),
        }
        options["args"] = json!(args);
        let capabilities = json!({"browserName": "chrome", "goog:chromeOptions": options});
        let Value::Object(capabilities) = capabilities else {
            unreachable!("capabilities are an object")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.base)
            .await
            .unwrap_or_else(|e| {
                panic!("no Chromium session ({chromium}; apt-get install chromium): {e}")
            });
        driver.session = client
            .session_id()
            .await
            .unwrap_or_else(|e| panic!("the WebDriver session has no id: {e}"));
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(30)),
                None,
            ))
            .await
            .unwrap_or_else(|e| panic!("WebDriver timeouts not set: {e}"));
        let browser = Browser {
            client,
            js,
            viewport,
            driver,
        };
        if !js {
            browser.set_scripts_disabled(true).await;
        }
        browser
    }

    /// The WebDriver client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits until it is loaded.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Types `value` into the field labelled `label` (a `<label>`'s text, spaces collapsed),
    /// or else named `label`; a `<select>` gets the option of that text.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        let tag = field.tag_name().await.unwrap_or_default();
        let kind = field.attr("type").await.ok().flatten().unwrap_or_default();
        let filled = if tag.eq_ignore_ascii_case("select") {
            field.select_by_label(value).await
        } else if ["date", "datetime-local", "time"].contains(&kind.as_str()) {
            // typed keys go through the browser's date picker, in its locale's order: the
            // value is set as a person's choice would set it
            let script = "arguments[0].value = arguments[1]; \
                 arguments[0].dispatchEvent(new Event('input', {bubbles: true})); \
                 arguments[0].dispatchEvent(new Event('change', {bubbles: true}));";
            match serde_json::to_value(&field) {
                Ok(element) => self
                    .client
                    .execute(script, vec![element, Value::from(value)])
                    .await
                    .map(|_| ()),
                Err(e) => panic!("cannot pass the field {label:?} to a script: {e}"),
            }
        } else {
            match field.clear().await {
                Ok(()) => field.send_keys(value).await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = filled {
            panic!("cannot fill the field {label:?} with {value:?}: {e}");
        }
    }

    /// The form control a `<label>` of this text names, else the control named so.
    async fn field(&self, label: &str) -> Element {
        let literal = xpath_literal(label);
        let labelled = format!("//label[normalize-space()={literal}]");
        if let Ok(label_element) = self.client.find(Locator::XPath(&labelled)).await {
            let control = match label_element.attr("for").await.ok().flatten() {
                Some(id) => self.client.find(Locator::Id(&id)).await,
                None => {
                    label_element
                        .find(Locator::XPath(".//input|.//select|.//textarea"))
                        .await
                }
            };
            return match control {
                Ok(control) => control,
                Err(e) => panic!(
                    "the label {label:?} names no form control on {}: {e}",
                    self.here().await
                ),
            };
        }
        let named = format!("//*[self::input or self::select or self::textarea][@name={literal}]");
        match self.client.find(Locator::XPath(&named)).await {
            Ok(field) => field,
            Err(_) => panic!(
                "no field labelled or named {label:?} on {}; its labels: {:?}",
                self.here().await,
                self.texts("//label").await
            ),
        }
    }

    /// Clicks the button of this text (`<button>` or `<input type=submit|button>`) and waits
    /// for the page it loads, if any.
    pub async fn click_button(&self, text: &str) {
        let literal = xpath_literal(text);
        let button = format!(
            "//button[normalize-space()={literal}]\
             |//input[@type='submit' or @type='button'][@value={literal}]"
        );
        if let Err(e) = self.click_and_wait(&button).await {
            panic!(
                "cannot click the button {text:?} on {} ({e}); its buttons: {:?}",
                self.here().await,
                self.texts("//button|//input[@type='submit' or @type='button']/@value")
                    .await
            );
        }
    }

    /// Signs in at `login_url` (the sign-in page, French) as `email` with the demo's password;
    /// the page then offers to sign out (in French, or in the account's English: the demo's
    /// admin reads English).
    pub async fn sign_in(&self, login_url: &str, email: &str) {
        self.goto(login_url).await;
        self.fill("Adresse e-mail", email).await;
        self.fill("Mot de passe", comptoir::demo::DEMO_PASSWORD)
            .await;
        self.click_button("Se connecter").await;
        let text = self.text().await;
        assert!(
            text.contains("Se déconnecter") || text.contains("Sign out"),
            "{email} is not signed in: {text}"
        );
    }

    /// Chooses `file` in the file field of id `id`.
    pub async fn choose_file(&self, id: &str, file: &std::path::Path) {
        let input = match self.client.find(Locator::Id(id)).await {
            Ok(input) => input,
            Err(e) => panic!("no file field `{id}` on {}: {e}", self.here().await),
        };
        input
            .send_keys(&file.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("cannot choose {}: {e}", file.display()));
    }

    /// This browser's session as a `Cookie` header value (`comptoir_session=…`): what a
    /// download it starts would send, for a test to fetch the file itself.
    pub async fn session_cookie(&self) -> String {
        let session = self
            .client
            .get_named_cookie("comptoir_session")
            .await
            .expect("the session cookie");
        format!("comptoir_session={}", session.value())
    }

    /// Clicks the button whose text starts with `prefix` (a button that names an amount:
    /// "Record a payment of 4,20 €").
    pub async fn click_button_starting(&self, prefix: &str) {
        let button = format!(
            "//button[starts-with(normalize-space(), {})]",
            xpath_literal(prefix)
        );
        if let Err(e) = self.click_and_wait(&button).await {
            panic!(
                "cannot click a button starting {prefix:?} on {} ({e}); its buttons: {:?}",
                self.here().await,
                self.texts("//button").await
            );
        }
    }

    /// Ticks the radio button or check box whose `<label>` has this text.
    pub async fn choose(&self, label: &str) {
        let xpath = format!("//label[normalize-space()={}]", xpath_literal(label));
        if let Err(e) = self.click_first(&xpath).await {
            panic!(
                "cannot choose {label:?} on {} ({e}); its labels: {:?}",
                self.here().await,
                self.texts("//label").await
            );
        }
    }

    /// Clicks the first element `xpath` finds. A page still loading after the last click can
    /// lack it for a moment, or swap it for its new one between the look-up and the click (a
    /// "stale element"): both are tried again, for up to 5 s; the last error otherwise.
    async fn click_first(&self, xpath: &str) -> Result<(), String> {
        let mut last = String::new();
        for _ in 0..50 {
            match self.client.find(Locator::XPath(xpath)).await {
                Ok(element) => match element.click().await {
                    Ok(()) => return Ok(()),
                    Err(e) => last = e.to_string(),
                },
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(last)
    }

    /// Clicks the first element at `xpath`, then waits (up to 5 s) for the page it was on
    /// to be replaced: a form's POST and its redirect can still be under way when the click
    /// returns, and the next reading would see the old page. A click that loads no page
    /// (a disclosure, a script) goes on after the wait.
    async fn click_and_wait(&self, xpath: &str) -> Result<(), String> {
        let old = self.client.find(Locator::Css("html")).await.ok();
        self.click_first(xpath).await?;
        let Some(old) = old else { return Ok(()) };
        for _ in 0..50 {
            // a replaced page's element is stale: reading it fails
            if old.tag_name().await.is_err() {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Follows the link of this text and waits for the page it loads.
    pub async fn click_link(&self, text: &str) {
        let link = format!("//a[normalize-space()={}]", xpath_literal(text));
        if let Err(e) = self.click_and_wait(&link).await {
            panic!(
                "cannot follow the link {text:?} on {} ({e}); its links: {:?}",
                self.here().await,
                self.texts("//a").await
            );
        }
    }

    /// The page's text as it is shown (the body's rendered text).
    ///
    /// A page still loading after a click can swap its body between the look-up and the
    /// reading (a "stale element"): the reading is tried again, for up to 5 s.
    pub async fn text(&self) -> String {
        let mut tries = 0;
        loop {
            let text = match self.client.find(Locator::Css("body")).await {
                Ok(body) => body.text().await,
                Err(e) => Err(e),
            };
            match text {
                Ok(text) => return text,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no text on {}: {e}", self.here().await),
            }
        }
    }

    /// The page's `<title>`.
    pub async fn title(&self) -> String {
        self.client
            .title()
            .await
            .unwrap_or_else(|e| panic!("no title: {e}"))
    }

    /// The address of the page shown (after redirections).
    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .unwrap_or_else(|e| panic!("no current URL: {e}"))
            .to_string()
    }

    /// Writes a PNG of the whole page (not only the window) to
    /// `<target>/screenshots/<name>-<js|nojs>-<viewport>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let (width, height) = (size["width"].as_f64(), size["height"].as_f64());
        let (Some(width), Some(height)) = (width, height) else {
            panic!("no page size in Page.getLayoutMetrics: {metrics}");
        };
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                }),
            )
            .await;
        let png = shot["data"]
            .as_str()
            .and_then(|data| base64::engine::general_purpose::STANDARD.decode(data).ok())
            .unwrap_or_else(|| panic!("Page.captureScreenshot gave no PNG"));
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let js = if self.js { "js" } else { "nojs" };
        let path = dir.join(format!("{name}-{js}-{}.png", self.viewport.label()));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// Runs axe on the page and panics listing its serious and critical violations, if any.
    pub async fn check_accessibility(&self) {
        let violations = self.accessibility_violations().await;
        if !violations.is_empty() {
            panic!("{}", report(&self.here().await, &violations));
        }
    }

    /// Runs axe on the page and returns its serious and critical violations (WCAG 2.0 and
    /// 2.1 A and AA, best practices). Without JavaScript, scripts are allowed only while axe
    /// runs (see the module's documentation).
    pub async fn accessibility_violations(&self) -> Vec<Violation> {
        let injected = self
            .client()
            .execute(&format!("{AXE}\n;return typeof axe.run;"), vec![])
            .await;
        if let Err(e) = injected {
            panic!("axe-core not injected into {}: {e}", self.here().await);
        }
        if !self.js {
            self.set_scripts_disabled(false).await;
        }
        let ran = self.client.execute_async(AXE_RUN, vec![]).await;
        if !self.js {
            self.set_scripts_disabled(true).await;
        }
        let ran = match ran {
            Ok(ran) => ran,
            Err(e) => panic!("axe did not run on {}: {e}", self.here().await),
        };
        if let Some(error) = ran.get("error") {
            panic!("axe failed on {}: {error}", self.here().await);
        }
        let violations: Vec<Violation> = serde_json::from_value(ran["violations"].clone())
            .unwrap_or_else(|e| panic!("axe's results are unreadable ({e}): {ran}"));
        violations
            .into_iter()
            .filter(|v| v.impact == "serious" || v.impact == "critical")
            .collect()
    }

    async fn set_scripts_disabled(&self, disabled: bool) {
        self.cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": disabled}),
        )
        .await;
    }

    /// A DevTools protocol command, through ChromeDriver's `goog/cdp/execute`.
    async fn cdp(&self, command: &str, params: Value) -> Value {
        let url = format!(
            "{}/session/{}/goog/cdp/execute",
            self.driver.base,
            self.driver.session.as_deref().unwrap_or_default()
        );
        let mut response = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .finish()
            .post(url)
            .send_json(&json!({"cmd": command, "params": params}))
            .await
            .unwrap_or_else(|e| panic!("ChromeDriver unreachable for {command}: {e}"));
        let body: Value = response
            .json()
            .limit(256 * 1024 * 1024)
            .await
            .unwrap_or_else(|e| panic!("ChromeDriver's answer to {command} is unreadable: {e}"));
        if !response.status().is_success() {
            panic!("{command} failed: {body}");
        }
        body["value"].clone()
    }

    /// The current page and this browser's kind, for messages (never panicking).
    async fn here(&self) -> String {
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(_) => "a page".into(),
        };
        let js = if self.js {
            "JavaScript"
        } else {
            "no JavaScript"
        };
        format!("{url} ({js}, {})", self.viewport.label())
    }

    /// The texts of the elements (or attributes) an XPath finds, for error messages.
    async fn texts(&self, xpath: &str) -> Vec<String> {
        let found = self
            .client()
            .execute(
                "const found = document.evaluate(arguments[0], document, null, \
                 XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null); \
                 return Array.from({length: found.snapshotLength}, \
                 (_, i) => found.snapshotItem(i).textContent.replace(/\\s+/g, ' ').trim());",
                vec![json!(xpath)],
            )
            .await;
        found
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }
}

/// The message of [`Browser::check_accessibility`]: each violation, its rule's help and the
/// failing elements.
pub fn report(page: &str, violations: &[Violation]) -> String {
    let mut message = format!(
        "{} serious or critical accessibility violations on {page}:\n",
        violations.len()
    );
    for violation in violations {
        message.push_str(&violation.to_string());
    }
    message
}

/// `<target dir>/screenshots`: the test's temporary directory is `<target dir>/tmp`.
fn screenshots_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map_or(tmp.clone(), PathBuf::from)
        .join("screenshots")
}

/// `text` as an XPath 1.0 string literal (which has no escapes: quotes are concatenated).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// A ChromeDriver of this browser, on a free local port: its session deleted (Chromium
/// quits) and the driver killed on drop.
struct Driver {
    child: Child,
    port: u16,
    base: String,
    session: Option<String>,
}

impl Driver {
    async fn spawn() -> Driver {
        let path = std::env::var("COMPTOIR_CHROMEDRIVER")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "/usr/bin/chromedriver".into());
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .unwrap_or_else(|e| panic!("no free local port for ChromeDriver: {e}"));
        let child = Command::new(&path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start ChromeDriver {path} (apt-get install chromium-driver): {e}")
            });
        let mut driver = Driver {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            session: None,
        };
        driver.wait_until_ready(&path).await;
        driver
    }

    /// Polls `GET /status` until the driver says it is ready.
    async fn wait_until_ready(&mut self, path: &str) {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(2))
            .finish();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "ChromeDriver {path} exited at start ({status}), port {}",
                    self.port
                );
            }
            if let Ok(mut response) = client.get(format!("{}/status", self.base)).send().await {
                if let Ok(status) = response.json::<Value>().await {
                    if status["value"]["ready"] == true {
                        return;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "ChromeDriver {path} did not answer on port {} within 20 s",
                self.port
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // synchronously (no runtime in drop): ChromeDriver quits Chromium before it answers
        if let Some(session) = &self.session {
            let _ = delete_session(self.port, session);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `DELETE /session/{id}` over a plain socket, waiting for the answer (read up to its
/// `Content-Length`: ChromeDriver keeps the connection open although it says `close`).
fn delete_session(port: u16, session: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        stream,
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Ok(());
        }
        answer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return Ok(());
            }
        }
    }
}

/// Pages of the harness's own tests, served by a throwaway server: they do not depend on
/// Comptoir's pages.
mod pages {
    use std::collections::HashMap;
    use std::net::TcpListener;

    use actix_web::dev::ServerHandle;
    use actix_web::{web, App, HttpResponse, HttpServer};

    /// Everything axe asks of a page: a language, a title, a main landmark and a heading,
    /// labelled fields. Its script says whether it ran.
    pub const GOOD: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Order a basket</title>
</head>
<body>
<main>
<h1>Order a basket</h1>
<p id="scripts">Scripts did not run.</p>
<form method="post" action="/orders">
<p><label for="name">Your name</label><br>
<input id="name" name="name" type="text" autocomplete="name"></p>
<p><label for="note">Anything to add?</label><br><textarea id="note" name="note"></textarea></p>
<p><button type="submit">Send the order</button></p>
</form>
<p><a href="/bad">A page that fails</a></p>
</main>
<script>document.getElementById('scripts').textContent = 'Scripts ran.';</script>
</body>
</html>"#;

    /// Three serious or critical violations (and more): a field without a label, an image
    /// without a text alternative, text in a colour too faint for its background.
    pub const BAD: &str = r#"<!doctype html>
<html>
<head><meta charset="utf-8"></head>
<body>
<p style="color: #c8c8c8; background: #ffffff">Faint text nobody can read</p>
<input type="text" name="nameless">
<img src="/basket.png">
</body>
</html>"#;

    /// The good and the bad page, and an order form posting to a thank-you page
    /// (POST, then a redirection to a GET).
    pub struct Pages {
        pub base: String,
        handle: ServerHandle,
    }

    impl Pages {
        pub fn serve() -> Pages {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a free local port");
            let port = listener.local_addr().expect("the port").port();
            let server = HttpServer::new(|| {
                App::new()
                    .route("/good", web::get().to(|| async { html(GOOD) }))
                    .route("/bad", web::get().to(|| async { html(BAD) }))
                    .route("/orders", web::post().to(order))
                    .route("/thanks", web::get().to(thanks))
            })
            .workers(1)
            .listen(listener)
            .expect("the test pages' server listens")
            .run();
            let handle = server.handle();
            actix_web::rt::spawn(server);
            Pages {
                base: format!("http://127.0.0.1:{port}"),
                handle,
            }
        }

        pub fn url(&self, path: &str) -> String {
            format!("{}{path}", self.base)
        }
    }

    impl Drop for Pages {
        fn drop(&mut self) {
            drop(self.handle.stop(false));
        }
    }

    fn html(body: &str) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body.to_string())
    }

    async fn order(form: web::Form<HashMap<String, String>>) -> HttpResponse {
        let query = serde_urlencoded::to_string(form.into_inner()).expect("a query string");
        HttpResponse::SeeOther()
            .insert_header(("location", format!("/thanks?{query}")))
            .finish()
    }

    async fn thanks(query: web::Query<HashMap<String, String>>) -> HttpResponse {
        let field = |name: &str| {
            query
                .get(name)
                .map(|v| {
                    v.replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;")
                })
                .unwrap_or_default()
        };
        html(&format!(
            r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thank you</title></head>
<body><main><h1>Thank you, {}</h1><p>Your note: {}</p></main></body>
</html>"#,
            field("name"),
            field("note")
        ))
    }
}

/// The harness's own tests: it finds what it must, fails when it must.
mod tests {
    use super::pages::Pages;
    use super::{report, xpath_literal, Browser, Violation};

    /// The rules a bad page must be caught breaking.
    fn assert_bad_page_caught(violations: &[Violation]) {
        let ids: Vec<&str> = violations.iter().map(|v| v.id.as_str()).collect();
        for rule in ["label", "image-alt", "color-contrast"] {
            assert!(ids.contains(&rule), "axe missed {rule}: {ids:?}");
        }
        let label = violations.iter().find(|v| v.id == "label").expect("label");
        assert_eq!(label.impact, "critical");
        assert!(
            label.nodes.iter().any(|n| n.html.contains("nameless")),
            "the unlabelled input is named: {label:?}"
        );
        let message = report("the bad page", violations);
        assert!(message.contains("image-alt (critical)"), "{message}");
        assert!(message.contains("<img src=\"/basket.png\">"), "{message}");
    }

    async fn accessibility_is_checked(js: bool) {
        let pages = Pages::serve();
        let browser = Browser::start(js).await;
        browser.goto(&pages.url("/good")).await;
        assert_eq!(browser.title().await, "Order a basket");
        browser.check_accessibility().await;
        let scripts = if js {
            "Scripts ran."
        } else {
            "Scripts did not run."
        };
        // axe ran on the page; the page's own script did not run after the fact
        let text = browser.text().await;
        assert!(text.contains(scripts), "{text}");

        browser.click_link("A page that fails").await;
        assert_eq!(browser.current_url().await, pages.url("/bad"));
        assert_bad_page_caught(&browser.accessibility_violations().await);

        // scripts stay as they were through navigations and axe runs
        browser.goto(&pages.url("/good")).await;
        let text = browser.text().await;
        assert!(text.contains(scripts), "{text}");
    }

    #[actix_web::test]
    #[cfg_attr(
        not(comptoir_browser_tests),
        ignore = "no ChromeDriver: install chromium and chromium-driver"
    )]
    async fn axe_passes_a_good_page_and_catches_a_bad_one_with_javascript() {
        accessibility_is_checked(true).await;
    }

    #[actix_web::test]
    #[cfg_attr(
        not(comptoir_browser_tests),
        ignore = "no ChromeDriver: install chromium and chromium-driver"
    )]
    async fn axe_passes_a_good_page_and_catches_a_bad_one_without_javascript() {
        accessibility_is_checked(false).await;
    }

    #[actix_web::test]
    #[cfg_attr(
        not(comptoir_browser_tests),
        ignore = "no ChromeDriver: install chromium and chromium-driver"
    )]
    #[should_panic(expected = "serious or critical accessibility violations on http://127.0.0.1:")]
    async fn check_accessibility_fails_on_a_bad_page() {
        let pages = Pages::serve();
        let browser = Browser::start(false).await;
        browser.goto(&pages.url("/bad")).await;
        browser.check_accessibility().await;
    }

    #[actix_web::test]
    #[cfg_attr(
        not(comptoir_browser_tests),
        ignore = "no ChromeDriver: install chromium and chromium-driver"
    )]
    async fn a_form_is_filled_by_label_and_submitted_without_javascript() {
        let pages = Pages::serve();
        let browser = Browser::start(false).await;
        browser.goto(&pages.url("/good")).await;
        let width = browser
            .client()
            .execute("return window.innerWidth", vec![])
            .await
            .expect("the window's width");
        assert_eq!(width, 390, "a phone's viewport");
        browser.fill("Your name", "Camille O'Brien").await;
        // no label of this text: the field named so
        browser.fill("note", "Ring twice <please>").await;
        browser.click_button("Send the order").await;
        let url = browser.current_url().await;
        assert!(url.starts_with(&pages.url("/thanks?")), "{url}");
        assert_eq!(browser.title().await, "Thank you");
        let text = browser.text().await;
        assert!(text.contains("Thank you, Camille O'Brien"), "{text}");
        assert!(text.contains("Your note: Ring twice <please>"), "{text}");
        browser.check_accessibility().await;
        // a page longer than the phone's screen (WebDriver's scripts run without JavaScript)
        browser
            .client()
            .execute("document.body.style.minHeight = '2000px'", vec![])
            .await
            .expect("the page made longer");
        let path = browser.screenshot("harness-thanks").await;
        assert!(
            path.ends_with("screenshots/harness-thanks-nojs-phone-390x844.png"),
            "{}",
            path.display()
        );
        let png = std::fs::read(&path).expect("the screenshot is written");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
        let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
        assert_eq!((size(16), size(20) >= 2000), (390, true), "the whole page");
    }

    #[actix_web::test]
    #[cfg_attr(
        not(comptoir_browser_tests),
        ignore = "no ChromeDriver: install chromium and chromium-driver"
    )]
    async fn a_screenshot_is_a_png_of_the_whole_page() {
        let pages = Pages::serve();
        let browser = Browser::desktop(true).await;
        browser.goto(&pages.url("/good")).await;
        let width = browser
            .client()
            .execute("return window.innerWidth", vec![])
            .await
            .expect("the window's width");
        assert_eq!(width, 1280, "a desktop window");
        // a page longer than the window (757 px high inside a 900 px window)
        browser
            .client()
            .execute("document.body.style.minHeight = '2000px'", vec![])
            .await
            .expect("the page made longer");
        let path = browser.screenshot("harness-good-page").await;
        assert!(
            path.ends_with("screenshots/harness-good-page-js-desktop-1280x900.png"),
            "{}",
            path.display()
        );
        let png = std::fs::read(&path).expect("the screenshot is written");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
        // the IHDR chunk: the whole page's width and height in pixels
        let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
        assert_eq!(size(16), 1280);
        assert!(
            size(20) >= 2000,
            "the whole page, not the window: {}",
            size(20)
        );
    }

    #[test]
    fn xpath_literals_quote_any_text() {
        assert_eq!(xpath_literal("Your name"), "'Your name'");
        assert_eq!(xpath_literal("l'adresse"), "\"l'adresse\"");
        assert_eq!(
            xpath_literal(r#"l'"adresse""#),
            r#"concat('l', "'", '"adresse"')"#
        );
    }
}
