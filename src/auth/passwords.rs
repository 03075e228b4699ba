//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane).
//!
//! Verification of an unknown email runs against a fixed dummy hash, so a login takes the
//! same time whether or not the account exists. Callers run these on a blocking thread.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::AuthError;

fn argon2() -> Argon2<'static> {
    // constant, valid parameters: construction cannot fail
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for `password`.
pub fn hash(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::internal(format!("password hashing: {e}")))
}

/// Whether `password` matches the stored hash; `None` (no such user) still costs a hash.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("not a real password").unwrap_or_default());
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (dummy.as_str(), false),
    };
    let matches = PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    real && matches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let phc = hash("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse", Some(&phc)));
        assert!(!verify("wrong horse", Some(&phc)));
        assert!(!verify("correct horse", None));
        assert!(!verify("x", Some("not a phc string")));
    }
}
