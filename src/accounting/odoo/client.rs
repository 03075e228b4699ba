//! A client of one Odoo database, over its external JSON-RPC API (`POST /jsonrpc`,
//! `common.authenticate` then `object.execute_kw` with the API key as password) or over
//! Odoo 19's JSON-2 API (`POST /json/2/<model>/<method>` with `Authorization: Bearer <key>`
//! and the keyword arguments as body; errors by HTTP status: 401, 404, 422…). JSON-2 is
//! refused, with a message saying so, by an Odoo older than 19 (`common.version`).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::config::OdooConfig;

/// What went wrong talking to Odoo.
#[derive(Debug, thiserror::Error)]
pub enum OdooError {
    #[error("Odoo is not configured: set odoo.url, odoo.database, odoo.login and odoo.api_key")]
    NotConfigured,
    #[error("Odoo refused the login or API key")]
    Auth,
    #[error("Odoo could not be reached: {0}")]
    Transport(String),
    #[error("Odoo answered HTTP {0}")]
    Http(u16),
    #[error("Odoo error {name}: {message}")]
    Server { name: String, message: String },
    #[error("Odoo answered something unexpected: {0}")]
    Protocol(String),
    #[error("odoo.api = \"json2\" needs Odoo 19 or later, and this Odoo is version {0}: set odoo.api = \"jsonrpc\" (or leave it out)")]
    Json2NeedsOdoo19(i64),
}

impl OdooError {
    /// Errors that stop the whole sync (every later call would fail the same way).
    pub fn is_fatal(&self) -> bool {
        match self {
            OdooError::NotConfigured | OdooError::Auth | OdooError::Json2NeedsOdoo19(_) => true,
            OdooError::Server { name, .. } => name.ends_with("AccessDenied"),
            _ => false,
        }
    }
}

/// Which of Odoo's external APIs to speak (the `odoo.api` setting).
pub use crate::config::OdooApi as Api;

/// A client of one Odoo database.
pub struct Client {
    api: Api,
    base: String,
    agent: ureq::Agent,
    endpoint: String,
    database: String,
    login: String,
    key: SecretString,
    uid: Option<i64>,
    next_id: u64,
}

impl Client {
    /// A client from the configuration (all four settings are needed).
    pub fn from_config(config: &OdooConfig) -> Result<Client, OdooError> {
        let (Some(url), Some(database), Some(login), Some(key)) = (
            &config.url,
            &config.database,
            &config.login,
            &config.api_key,
        ) else {
            return Err(OdooError::NotConfigured);
        };
        let api = config.api;
        Ok(Client::new(api, url, database, login, key.clone()))
    }

    pub fn new(api: Api, url: &str, database: &str, login: &str, key: SecretString) -> Client {
        Client::with_timeout(api, url, database, login, key, Duration::from_secs(30))
    }

    /// A client whose every call gives up after `timeout` (a move then fails and is tried
    /// again later).
    pub fn with_timeout(
        api: Api,
        url: &str,
        database: &str,
        login: &str,
        key: SecretString,
        timeout: Duration,
    ) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            api,
            base: url.trim_end_matches('/').to_string(),
            agent,
            endpoint: format!("{}/jsonrpc", url.trim_end_matches('/')),
            database: database.into(),
            login: login.into(),
            key,
            uid: None,
            next_id: 0,
        }
    }

    fn call(&mut self, service: &str, method: &str, args: Value) -> Result<Value, OdooError> {
        self.next_id += 1;
        let body = json!({"jsonrpc": "2.0", "method": "call", "id": self.next_id,
            "params": {"service": service, "method": method, "args": args}});
        let mut response = self
            .agent
            .post(&self.endpoint)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(|e| OdooError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(OdooError::Http(status));
        }
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| OdooError::Transport(e.to_string()))?;
        let answer: Value = serde_json::from_str(&text)
            .map_err(|_| OdooError::Protocol(text.chars().take(200).collect()))?;
        if let Some(error) = answer.get("error") {
            let data = error.get("data").cloned().unwrap_or(Value::Null);
            return Err(OdooError::Server {
                name: data["name"].as_str().unwrap_or("unknown").to_string(),
                message: data["message"]
                    .as_str()
                    .or(error["message"].as_str())
                    .unwrap_or("")
                    .chars()
                    .take(500)
                    .collect(),
            });
        }
        // a method that returns nothing answers with no `result` at all
        Ok(answer.get("result").cloned().unwrap_or(Value::Null))
    }

    /// One JSON-2 call: the keyword arguments as body, the result as answer.
    fn call_json2(&mut self, model: &str, method: &str, body: Value) -> Result<Value, OdooError> {
        let mut response = self
            .agent
            .post(&format!("{}/json/2/{model}/{method}", self.base))
            .header("Content-Type", "application/json")
            .header(
                "Authorization",
                &format!("Bearer {}", self.key.expose_secret()),
            )
            .header("X-Odoo-Database", &self.database)
            .send(body.to_string())
            .map_err(|e| OdooError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| OdooError::Transport(e.to_string()))?;
        match status {
            200 => serde_json::from_str(&text)
                .map_err(|_| OdooError::Protocol(text.chars().take(200).collect())),
            401 | 403 => Err(OdooError::Auth),
            400..=499 => {
                let error: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                Err(OdooError::Server {
                    name: error["name"].as_str().unwrap_or("http").to_string(),
                    message: error["message"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("HTTP {status}"))
                        .chars()
                        .take(500)
                        .collect(),
                })
            }
            _ => Err(OdooError::Http(status)),
        }
    }

    /// The user id of the login (cached; JSON-2 checks the key with `context_get`); a refused
    /// key is [`OdooError::Auth`].
    pub fn authenticate(&mut self) -> Result<i64, OdooError> {
        if let Some(uid) = self.uid {
            return Ok(uid);
        }
        if self.api == Api::Json2 {
            // JSON-2 exists from Odoo 19 on; an older Odoo answers its routes with 404
            let major = self.server_major_version()?;
            if major < 19 {
                return Err(OdooError::Json2NeedsOdoo19(major));
            }
            self.call_json2("res.users", "context_get", json!({}))?;
            self.uid = Some(0);
            return Ok(0);
        }
        let args = json!([self.database, self.login, self.key.expose_secret(), {}]);
        match self.call("common", "authenticate", args)? {
            Value::Number(n) => {
                let uid = n.as_i64().ok_or(OdooError::Auth)?;
                self.uid = Some(uid);
                Ok(uid)
            }
            _ => Err(OdooError::Auth),
        }
    }

    /// The major version of the Odoo server (`common.version`, answered by every Odoo
    /// without logging in: `server_version_info` `[17, 0, 0, "final", 0, ""]`).
    pub fn server_major_version(&mut self) -> Result<i64, OdooError> {
        let version = self.call("common", "version", json!([]))?;
        version["server_version_info"][0]
            .as_i64()
            .or_else(|| {
                version["server_version"]
                    .as_str()
                    .and_then(|v| v.split(['.', '~', '-']).next())
                    .and_then(|major| major.trim_start_matches("saas").parse().ok())
            })
            .ok_or_else(|| OdooError::Protocol(format!("common.version answered {version}")))
    }

    /// `search_read` of `fields` on the records of `model` matching `domain`.
    pub fn search_read(
        &mut self,
        model: &str,
        domain: Value,
        fields: &[&str],
        limit: Option<usize>,
    ) -> Result<Vec<Value>, OdooError> {
        let mut kwargs = json!({ "fields": fields });
        if let Some(limit) = limit {
            kwargs["limit"] = json!(limit);
        }
        let found = self.execute(model, "search_read", json!([domain]), kwargs)?;
        match found {
            Value::Array(rows) => Ok(rows),
            other => Err(OdooError::Protocol(format!(
                "search_read on {model} answered {}",
                other.to_string().chars().take(200).collect::<String>()
            ))),
        }
    }

    /// `write(ids, values)`.
    pub fn write(&mut self, model: &str, ids: &[i64], values: Value) -> Result<(), OdooError> {
        if self.api == Api::Json2 {
            let body = json!({"ids": ids, "vals": values});
            self.call_json2(model, "write", body)?;
            return Ok(());
        }
        self.execute(model, "write", json!([ids, values]), json!({}))?;
        Ok(())
    }

    /// `execute_kw(db, uid, key, model, method, args, kwargs)`; a session that expired is
    /// authenticated again once.
    pub fn execute(
        &mut self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, OdooError> {
        if self.api == Api::Json2 {
            // JSON-2 takes keyword arguments only: the positional ones get their names
            let mut body = kwargs;
            match method {
                "search_read" => body["domain"] = args[0].clone(),
                "create" => body["vals_list"] = json!([args[0].clone()]),
                _ => body["ids"] = args[0].clone(),
            }
            return self.call_json2(model, method, body);
        }
        for attempt in 0..2 {
            let uid = self.authenticate()?;
            let call = json!([
                self.database,
                uid,
                self.key.expose_secret(),
                model,
                method,
                args,
                kwargs
            ]);
            match self.call("object", "execute_kw", call) {
                Err(OdooError::Server { name, .. })
                    if attempt == 0 && name.contains("SessionExpired") =>
                {
                    self.uid = None;
                }
                other => return other,
            }
        }
        Err(OdooError::Protocol("session expired twice".into()))
    }

    /// Ids of the records of `model` matching `domain`.
    pub fn search(&mut self, model: &str, domain: Value) -> Result<Vec<i64>, OdooError> {
        let found = self.execute(
            model,
            "search_read",
            json!([domain]),
            json!({"fields": ["id"], "limit": 2}),
        )?;
        Ok(found
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r["id"].as_i64()).collect())
            .unwrap_or_default())
    }

    pub fn create(&mut self, model: &str, values: Value) -> Result<i64, OdooError> {
        let created = self.execute(model, "create", json!([values]), json!({}))?;
        // one id, or a list of one id (newer versions)
        created
            .as_i64()
            .or_else(|| {
                created
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(Value::as_i64)
            })
            .ok_or_else(|| OdooError::Protocol(format!("create answered {created}")))
    }
}
