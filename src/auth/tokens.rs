//! Short-lived JWT access tokens: HS256 only, with `exp`, `iat`, `iss`, `aud`, `sub` and `jti`
//! required and validated (30 s leeway). The key comes from configuration (`jwt.secret`) or is
//! generated once into `<data_dir>/jwt.key` with mode 0600 — there is no built-in key.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::AuthError;
use crate::config::Config;

const LEEWAY_SECONDS: u64 = 30;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
    /// The session (refresh-token family) the token was issued in; revoking the session
    /// stops the token before it expires.
    pub sid: String,
}

/// Keys and rules for issuing and checking tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    audience: String,
    ttl_seconds: u64,
    refresh_ttl_seconds: u64,
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Reads the key file, or creates it (64 random bytes, hex, mode 0600) when absent. A key
/// file shorter than 32 bytes (empty, truncated) is refused: it would be a guessable key.
fn key_file(dir: &Path) -> Result<Vec<u8>> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let path = dir.join("jwt.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let key = text.trim().as_bytes().to_vec();
        anyhow::ensure!(
            key.len() >= 32,
            "{} holds {} bytes: a signing key needs at least 32 (delete the file to generate a new one)",
            path.display(),
            key.len()
        );
        return Ok(key);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut bytes = [0u8; 64];
    OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // written to a temporary file, synced, then renamed: a crash never leaves a short key
    let partial = dir.join(format!("jwt.key.{}.tmp", std::process::id()));
    let mut file = crate::files::private(&partial, true)
        .with_context(|| format!("creating {}", partial.display()))?;
    std::io::Write::write_all(&mut file, hex.as_bytes())
        .with_context(|| format!("writing {}", partial.display()))?;
    file.sync_all()
        .with_context(|| format!("syncing {}", partial.display()))?;
    std::fs::rename(&partial, &path).with_context(|| format!("installing {}", path.display()))?;
    Ok(hex.into_bytes())
}

impl TokenKeys {
    pub fn from_config(config: &Config) -> Result<TokenKeys> {
        let secret = match &config.jwt.secret {
            Some(secret) => secret.expose_secret().as_bytes().to_vec(),
            None => key_file(&config.data_dir)?,
        };
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            issuer: config.jwt.issuer.clone(),
            audience: config.jwt.audience.clone(),
            ttl_seconds: config.jwt.access_ttl_seconds,
            refresh_ttl_seconds: config.jwt.refresh_ttl_seconds,
        })
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    pub fn refresh_ttl_seconds(&self) -> u64 {
        self.refresh_ttl_seconds
    }

    /// A new access token for `user_id` in session `sid`.
    pub fn issue(&self, user_id: &str, sid: &str) -> Result<String, AuthError> {
        let now = now_seconds();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + self.ttl_seconds,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: uuid::Uuid::now_v7().to_string(),
            sid: sid.to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::internal(format!("token signing: {e}")))
    }

    /// The claims of a valid token; 401 for anything else (other algorithm, `none`, bad
    /// signature, expired, not yet valid (`nbf`) or issued in the future, wrong issuer or
    /// audience, missing claim).
    pub fn validate(&self, token: &str) -> Result<Claims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        // a token that says it is not valid yet (`nbf`) is refused too
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let claims = decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "it has expired: refresh it, or log in again",
                    ErrorKind::ImmatureSignature => "it is not valid yet",
                    _ => "it was not issued by this server for this API: log in again",
                };
                AuthError::Unauthorized(format!("invalid access token: {why}"))
            })?
            .claims;
        if claims.iat > now_seconds() + LEEWAY_SECONDS {
            return Err(AuthError::Unauthorized(
                "invalid access token (issued in the future)".into(),
            ));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::key_file;

    #[test]
    fn the_key_file_is_generated_once_and_a_short_one_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let first = key_file(dir.path()).expect("generated");
        assert_eq!(first.len(), 128);
        assert_eq!(key_file(dir.path()).expect("read back"), first);
        std::fs::write(dir.path().join("jwt.key"), "").expect("truncate");
        let err = key_file(dir.path()).expect_err("an empty key is refused");
        assert!(err.to_string().contains("at least 32"), "{err}");
    }
}
