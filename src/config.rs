//! Layered configuration: **CLI flags > environment (`COMPTOIR_*`) > TOML file (`--config`) > defaults.**
//!
//! Nested keys use a double underscore in the environment: `COMPTOIR_SMTP__PASSWORD` sets
//! `smtp.password`. Every secret may also be read from a file (`COMPTOIR_SMTP__PASSWORD_FILE`,
//! or `password_file` in TOML), which is how container secrets are usually mounted.
//!
//! Secrets are [`SecretString`]s: their `Debug` output is redacted, so a config can be logged
//! whole without leaking a key. The configuration is read once at start-up, validated, and
//! then passed explicitly (no global mutable state).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The validated configuration of one Comptoir process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// `sqlite://path/to/file.db`, `sqlite://:memory:` or `postgres://user@host/db`.
    pub database_url: DatabaseUrl,
    /// Maximum number of pooled database connections.
    pub database_pool_size: u32,
    /// Directory for local state (SQLite database by default, generated keys, mail outbox).
    pub data_dir: PathBuf,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Default log filter (`RUST_LOG` syntax); `RUST_LOG` itself wins when set.
    pub log_level: String,
    /// Web origins allowed to call the API from a browser (CORS); empty = none (closed).
    pub cors_allowed_origins: Vec<String>,
    pub jwt: JwtConfig,
    pub smtp: SmtpConfig,
    pub mail: MailConfig,
    pub odoo: OdooConfig,
    pub catalog: CatalogConfig,
    pub metrics: MetricsConfig,
    pub web: WebConfig,
    #[serde(default)]
    pub deployment: DeploymentConfig,
    /// Reverse proxies in front of Comptoir (exact addresses, e.g. `127.0.0.1` for a proxy on
    /// the same machine): their `X-Forwarded-For` names the client for the log-in throttle,
    /// the audit trail and the metrics' access check. Empty (the default): the header is
    /// ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Environment variables with the `COMPTOIR_` prefix whose first part names no setting
    /// (`COMPTOIR_BIN` from a wrapper script; `COMPTOIR_PORT`, `COMPTOIR_SERVICE_HOST`… that
    /// Kubernetes injects for a service named `comptoir`): ignored, and named in one warning
    /// at start. A typo inside a known section (`COMPTOIR_MAIL__POLL_SECOND`) stays an error.
    #[serde(skip)]
    pub ignored_env: Vec<String>,
}

/// Mail delivery (see `mail/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// Where the file transport writes `.eml` files (used when `smtp.url` is not set);
    /// default `DATA_DIR/outbox`.
    pub outbox_dir: Option<PathBuf>,
    /// A directory whose files override the built-in templates (`fr/verify_email.subject`…).
    pub templates_dir: Option<PathBuf>,
    /// Language of mails to recipients without a known preference: `fr` or `en`.
    pub default_locale: String,
    /// Base URL of the web pages, for links in mails (`https://…` also marks the pages' cookies
    /// `Secure`); empty (the default): `http://` and the address `serve` listens on.
    pub app_url: String,
    /// How often the background worker looks for mail to send.
    pub poll_seconds: u64,
    /// Attempts before a mail is marked failed (retries back off exponentially).
    pub max_attempts: i32,
}

/// What the deployment chooses at its first run (see `crate::deployment`): recorded in the
/// database then. Unset, the recorded choice holds (the euro and France at the first run);
/// set, it must be the recorded one, or change it while the ledger holds no entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentConfig {
    /// ISO 4217 code of the legal currency (`EUR`, `CHF`, `GBP`…).
    pub currency: Option<String>,
    /// ISO 3166-1 alpha-2 code of the country profile (`FR`, `CH`).
    pub country: Option<String>,
}

/// The web pages (see `web/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// A directory whose files override the built-in page templates (`home.html`,
    /// `static/comptoir.css` is not among them: the stylesheet is built in).
    pub templates_dir: Option<PathBuf>,
}

/// Who may read `GET /metrics`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Client addresses allowed to scrape the metrics (exact addresses; default this
    /// machine: `127.0.0.1` and `::1`). Behind a reverse proxy the address is the proxy's:
    /// do not forward `/metrics` to the Internet.
    pub allowed_addresses: Vec<std::net::IpAddr>,
}

/// Catalogue rules of the deployment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    /// VAT rates a variant may carry, in percent; unset: the deployment's country's (France:
    /// 0, 5.5, 10, 20; Switzerland: 0, 2.6, 3.8, 8.1).
    #[serde(default)]
    pub vat_rates: Option<Vec<String>>,
    /// Largest CSV file accepted by the HTTP import, in bytes (the CLI streams any size).
    pub max_import_bytes: usize,
    /// How long the import page waits for an import, in seconds, before it answers with the
    /// import's progress page (the import goes on in the background). 0: never waits.
    pub import_wait_seconds: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Reads a secret from any scalar (an all-digit key arrives from the environment as a
/// number), so that a type error can never echo it.
fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i128),
        Float(f64),
        Bool(bool),
    }
    let value = Option::<Scalar>::deserialize(d)
        .map_err(|_| serde::de::Error::custom("a secret must be a string (value not shown)"))?;
    Ok(value.map(|v| {
        SecretString::from(match v {
            Scalar::Text(s) => s,
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        })
    }))
}

/// Signing of access tokens (used by the auth module).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// HMAC key, at least 32 bytes.
    #[serde(default, deserialize_with = "secret")]
    pub secret: Option<SecretString>,
    pub secret_file: Option<PathBuf>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_seconds: u64,
    /// Lifetime of a refresh token (each use issues a new one).
    pub refresh_ttl_seconds: u64,
}

/// Outgoing mail (used by the mail module).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// `smtps://host:465` (TLS), `smtp://host:587` (STARTTLS, required) or
    /// `smtp://host:25?tls=none` (a trusted local relay); absent = file transport.
    pub url: Option<String>,
    pub username: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    pub password: Option<SecretString>,
    pub password_file: Option<PathBuf>,
    pub from: String,
}

/// Odoo accounting push (used by the accounting module).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OdooConfig {
    /// `jsonrpc` (the default: `/jsonrpc`, any Odoo) or `json2` (Odoo 19's `/json/2/…` API
    /// with a bearer key); anything else is refused when the configuration is read.
    #[serde(default)]
    pub api: OdooApi,
    pub url: Option<String>,
    pub database: Option<String>,
    pub login: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    pub api_key: Option<SecretString>,
    pub api_key_file: Option<PathBuf>,
    /// How often `comptoir serve` validates the ledger and pushes to Odoo, once the four
    /// settings above are given (0: never; `comptoir odoo sync` from cron then).
    #[serde(default = "default_odoo_sync_seconds")]
    pub sync_seconds: u64,
}

/// Which of Odoo's external APIs to speak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum OdooApi {
    /// `POST /jsonrpc`: every Odoo version.
    #[default]
    #[serde(rename = "jsonrpc")]
    JsonRpc,
    /// `POST /json/2/<model>/<method>`: Odoo 19 and later.
    #[serde(rename = "json2")]
    Json2,
}

fn default_odoo_sync_seconds() -> u64 {
    900
}

/// Values given on the command line; `None` means "not given", so lower layers apply.
#[derive(Debug, Default, Clone, Serialize)]
pub struct CliOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

/// A module's check of its settings ([`Config::load_checked`]).
pub type ConfigCheck = fn(&Config) -> Result<(), String>;

/// A configuration problem, reported as one line before anything is created.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads defaults, then the TOML file (when given), then `COMPTOIR_*`, then CLI flags.
    pub fn load(file: Option<&Path>, cli: &CliOverrides) -> Result<Config, ConfigError> {
        let mut figment = Figment::new().merge(Serialized::defaults(defaults()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist or is not a file",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let known: Vec<String> = defaults()
            .as_object()
            .map(|sections| sections.keys().cloned().collect())
            .unwrap_or_default();
        let is_setting = move |key: &str| {
            // `MAIL__POLL_SECONDS` as read, `mail.poll_seconds` once figment split it
            let key = key.to_ascii_lowercase().replace("__", ".");
            let top = key.split('.').next().unwrap_or_default();
            known.iter().any(|k| k == top)
        };
        let not_settings = ["config", "test_postgres_url"];
        let ignored_env: Vec<String> = std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .filter(|name| {
                name.strip_prefix("COMPTOIR_").is_some_and(|key| {
                    !is_setting(key) && !not_settings.contains(&key.to_ascii_lowercase().as_str())
                })
            })
            .collect();
        figment = figment
            .merge(
                Env::prefixed("COMPTOIR_")
                    .split("__")
                    .ignore(&not_settings)
                    .filter(move |key| is_setting(key.as_str())),
            )
            .merge(Serialized::globals(cli));
        let mut config: Config = figment.extract().map_err(|e| {
            // figment errors can chain several causes; the first is the useful one
            let first = e
                .into_iter()
                .next()
                .map(|e| e.to_string())
                .unwrap_or_default();
            ConfigError(without_source_lines(&first))
        })?;
        config.read_secret_files(&figment)?;
        if config.mail.app_url.trim().is_empty() {
            config.mail.app_url = format!("http://{}", config.bind);
        }
        config.validate()?;
        config.ignored_env = ignored_env;
        Ok(config)
    }

    /// [`Config::load`], then the checks of the modules that own a section (the mail
    /// section's language and SMTP URL are the mail module's to judge: `check` is
    /// `mail::check_config` at start-up), so that every bad value fails before anything is
    /// created.
    pub fn load_checked(
        file: Option<&Path>,
        cli: &CliOverrides,
        checks: &[ConfigCheck],
    ) -> Result<Config, ConfigError> {
        let config = Config::load(file, cli)?;
        for check in checks {
            check(&config).map_err(ConfigError)?;
        }
        Ok(config)
    }

    /// Reads the `*_file` secrets. A secret and its file given by the same layer is an
    /// error; given by different layers, the higher one wins, as for every other setting
    /// (`COMPTOIR_ODOO__API_KEY` overrides an `api_key_file` in the TOML file).
    fn read_secret_files(&mut self, figment: &Figment) -> Result<(), ConfigError> {
        let layer = |key: &str| layer_of(figment, key);
        resolve_secret(
            "jwt.secret",
            &mut self.jwt.secret,
            &self.jwt.secret_file,
            layer("jwt.secret"),
            layer("jwt.secret_file"),
        )?;
        resolve_secret(
            "smtp.password",
            &mut self.smtp.password,
            &self.smtp.password_file,
            layer("smtp.password"),
            layer("smtp.password_file"),
        )?;
        resolve_secret(
            "odoo.api_key",
            &mut self.odoo.api_key,
            &self.odoo.api_key_file,
            layer("odoo.api_key"),
            layer("odoo.api_key_file"),
        )?;
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=128).contains(&self.database_pool_size) {
            return Err(ConfigError(format!(
                "database_pool_size must be between 1 and 128, got {}",
                self.database_pool_size
            )));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError(format!(
                "max_body_bytes must be at least 1024, got {}",
                self.max_body_bytes
            )));
        }
        for origin in &self.cors_allowed_origins {
            let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin.ends_with('/')
                && !origin.contains('*');
            if !ok {
                return Err(ConfigError(format!(
                    "cors_allowed_origins: `{origin}` must be an exact origin such as https://shop.example.org (no path, no wildcard)"
                )));
            }
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log_level).is_err() {
            return Err(ConfigError(format!(
                "log_level `{}` is not a valid filter (e.g. info, comptoir=debug)",
                self.log_level
            )));
        }
        if let Some(secret) = &self.jwt.secret {
            if secret.expose_secret().len() < 32 {
                return Err(ConfigError(
                    "jwt.secret must be at least 32 bytes long".to_string(),
                ));
            }
        }
        if !(3_600..=31_536_000).contains(&self.jwt.refresh_ttl_seconds) {
            return Err(ConfigError(format!(
                "jwt.refresh_ttl_seconds must be between 3600 and 31536000, got {}",
                self.jwt.refresh_ttl_seconds
            )));
        }
        if !(1..=3600).contains(&self.mail.poll_seconds)
            || !(1..=100).contains(&self.mail.max_attempts)
        {
            return Err(ConfigError(
                "mail.poll_seconds must be 1 to 3600 and mail.max_attempts 1 to 100".into(),
            ));
        }
        if self.smtp.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError(format!(
                "smtp.from `{}` is not a mailbox such as `Comptoir <noreply@example.org>`",
                self.smtp.from
            )));
        }
        if !(60..=86_400).contains(&self.jwt.access_ttl_seconds) {
            return Err(ConfigError(format!(
                "jwt.access_ttl_seconds must be between 60 and 86400, got {}",
                self.jwt.access_ttl_seconds
            )));
        }
        Ok(())
    }
}

/// A TOML parse error quotes the offending line of the file, which may hold a secret: keep
/// the position (first line) and the reason (last line) only.
fn without_source_lines(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first}: {last}"),
    }
}

/// The layer a secret's key comes from: 1 the TOML file, 2 the environment, 0 otherwise
/// (no secret has a default or a command-line flag).
fn layer_of(figment: &Figment, key: &str) -> u8 {
    match figment.find_metadata(key).map(|m| m.name.to_string()) {
        Some(name) if name.contains("TOML") => 1,
        Some(name) if name.contains("environment") => 2,
        _ => 0,
    }
}

fn resolve_secret(
    name: &str,
    value: &mut Option<SecretString>,
    file: &Option<PathBuf>,
    value_layer: u8,
    file_layer: u8,
) -> Result<(), ConfigError> {
    let Some(path) = file else { return Ok(()) };
    if value.is_some() {
        if value_layer > file_layer {
            return Ok(()); // e.g. the environment's key over the file's `*_file`
        }
        if value_layer == file_layer {
            return Err(ConfigError(format!(
                "{name} and {name}_file are both set; keep only one"
            )));
        }
        // the file's path comes from a higher layer: it wins
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{name}_file {}: {e}", path.display())))?;
    *value = Some(SecretString::from(
        text.trim_end_matches(['\n', '\r']).to_string(),
    ));
    Ok(())
}

fn defaults() -> serde_json::Value {
    serde_json::json!({
        "bind": "127.0.0.1:8080",
        "database_url": "sqlite://data/comptoir.db",
        "database_pool_size": 8,
        "data_dir": "data",
        "max_body_bytes": 262_144,
        "log_format": "text",
        "log_level": "info",
        "cors_allowed_origins": [],
        "jwt": {
            "issuer": "comptoir",
            "audience": "comptoir-api",
            "access_ttl_seconds": 900,
            "refresh_ttl_seconds": 2_592_000
        },
        "smtp": { "from": "Comptoir <noreply@comptoir.localhost>" },
        "mail": {
            "default_locale": "fr",
            // empty: the address `serve` listens on (`http://` + `bind`)
            "app_url": "",
            "poll_seconds": 2,
            "max_attempts": 10
        },
        "odoo": { "sync_seconds": 900 },
        "catalog": {
            "max_import_bytes": 4_194_304,
            "import_wait_seconds": 5
        },
        "metrics": { "allowed_addresses": ["127.0.0.1", "::1"] },
        "web": {},
        // no default values (unset: the recorded choice), but a known section, so that
        // `COMPTOIR_DEPLOYMENT__…` variables are read
        "deployment": {},
        "trusted_proxies": []
    })
}

/// Which database a URL selects. The PostgreSQL URL is kept secret: it may hold a password.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub enum DatabaseUrl {
    /// A file path, or `:memory:` for a private in-memory database (one connection).
    Sqlite(PathBuf),
    Postgres(SecretString),
}

impl DatabaseUrl {
    pub fn is_sqlite_memory(&self) -> bool {
        matches!(self, DatabaseUrl::Sqlite(p) if p.as_os_str() == ":memory:")
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;

    fn try_from(url: String) -> Result<Self, Self::Error> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "a sqlite:// URL needs a file path, e.g. sqlite://data/comptoir.db".into(),
                );
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(SecretString::from(url)));
        }
        // never echo more than a plausible scheme: the rest may hold a password
        let scheme = url.split_once("://").map(|(scheme, _)| scheme).filter(|s| {
            !s.is_empty()
                && s.len() <= 16
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+')
        });
        Err(match scheme {
            Some(scheme) => format!("unsupported database URL scheme `{scheme}`: use sqlite://PATH or postgres://USER@HOST/DB"),
            None => "the database URL is not of the form sqlite://PATH or postgres://USER@HOST/DB".to_string(),
        })
    }
}

impl fmt::Display for DatabaseUrl {
    /// Shows the URL without any password (the query string, which may carry one, is elided).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => {
                let url = url.expose_secret();
                let (url, elided) = match url.split_once('?') {
                    Some((base, _)) => (base, "?…"),
                    None => (url, ""),
                };
                match (url.find("://"), url.rfind('@')) {
                    (Some(s), Some(at)) if at > s => {
                        let userinfo = &url[s + 3..at];
                        let user = userinfo.split(':').next().unwrap_or("");
                        let redacted = if userinfo.contains(':') { ":***" } else { "" };
                        write!(f, "{}{user}{redacted}{}{elided}", &url[..s + 3], &url[at..])
                    }
                    _ => write!(f, "{url}{elided}"),
                }
            }
        }
    }
}

impl DatabaseUrl {
    /// The password of a PostgreSQL URL, to scrub it from driver messages.
    pub fn password(&self) -> Option<String> {
        let DatabaseUrl::Postgres(url) = self else {
            return None;
        };
        let url = url.expose_secret();
        let mut found: Vec<String> = Vec::new();
        if let (Some(s), Some(at)) = (url.find("://"), url.rfind('@')) {
            if let Some((_, pw)) = url.get(s + 3..at).and_then(|u| u.split_once(':')) {
                found.push(pw.to_string());
            }
        }
        if let Some((_, query)) = url.split_once('?') {
            for pair in query.split('&') {
                if let Some(pw) = pair.strip_prefix("password=") {
                    found.push(pw.to_string());
                }
            }
        }
        found.into_iter().find(|p| !p.is_empty())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_password_never_displayed() {
        let url = DatabaseUrl::try_from("postgres://app:s3cret@db:5432/comptoir".to_string())
            .expect("valid url");
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/comptoir");
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn query_string_and_scheme_less_urls_never_leak() {
        let url = DatabaseUrl::try_from(
            "postgres://app@db/x?password=s3cret&sslmode=require".to_string(),
        )
        .expect("valid url");
        assert_eq!(url.to_string(), "postgres://app@db/x?…");
        assert_eq!(url.password().as_deref(), Some("s3cret"));
        let err = DatabaseUrl::try_from("postgres:/app:s3cret@db/x".to_string()).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn numeric_secrets_are_accepted_as_text() {
        let value = serde_json::json!({"url": null, "username": null, "password": 123456, "password_file": null, "from": "x"});
        let smtp: SmtpConfig = serde_json::from_value(value).expect("numeric password");
        assert_eq!(
            smtp.password
                .map(|p| p.expose_secret().to_string())
                .as_deref(),
            Some("123456")
        );
    }

    #[test]
    fn toml_errors_do_not_quote_the_file() {
        let message = "TOML parse error at line 1, column 8\n  |\n1 | password = \"hunter2\n  |        ^\ninvalid string";
        let shown = without_source_lines(message);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("line 1") && shown.contains("invalid string"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_scheme_is_refused_with_a_hint() {
        let err = DatabaseUrl::try_from("mysql://root@localhost/x".to_string()).unwrap_err();
        assert!(err.contains("`mysql`"), "{err}");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let mut config = Config::load(None, &CliOverrides::default()).expect("defaults load");
        config.smtp.password = Some(SecretString::from("hunter2-password".to_string()));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn cli_beats_defaults() {
        let cli = CliOverrides {
            bind: Some("127.0.0.1:9999".into()),
            database_url: None,
        };
        let config = Config::load(None, &cli).expect("loads");
        assert_eq!(config.bind.port(), 9999);
    }
}
