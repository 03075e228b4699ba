//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane).
//!
//! Verification of an unknown email runs against a fixed dummy hash, so a login takes the
//! same time whether or not the account exists. Callers run these on a blocking thread,
//! holding no database connection: at most one computation per core runs at once
//! ([`Gate`]), the others wait their turn.

use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::AuthError;

fn argon2() -> Argon2<'static> {
    // constant, valid parameters: construction cannot fail
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most one argon2id computation per core at once (#24, P6). Each holds 19 MiB while it
/// runs and is all CPU: more at once than there are cores added memory (32 concurrent
/// log-ins: 290 MiB more) and no speed.
struct Gate {
    running: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

/// A turn at [`Gate`], given back when dropped (even by a panic).
struct Turn(&'static Gate);

impl Drop for Turn {
    fn drop(&mut self) {
        let mut running = self.0.running.lock().unwrap_or_else(|e| e.into_inner());
        *running = running.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

/// Waits for a turn to compute a hash.
fn turn() -> Turn {
    static GATE: OnceLock<Gate> = OnceLock::new();
    let gate = GATE.get_or_init(|| Gate {
        running: Mutex::new(0),
        freed: Condvar::new(),
        limit: std::thread::available_parallelism().map_or(1, |n| n.get()),
    });
    let mut running = gate.running.lock().unwrap_or_else(|e| e.into_inner());
    while *running >= gate.limit {
        running = gate.freed.wait(running).unwrap_or_else(|e| e.into_inner());
    }
    *running += 1;
    Turn(gate)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for `password`.
pub fn hash(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    let _turn = turn();
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
            let _turn = turn();
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

    #[test]
    fn concurrent_hashes_take_turns_and_all_finish() {
        let limit = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads: Vec<_> = (0..limit * 2 + 1)
            .map(|i| std::thread::spawn(move || hash(&format!("password {i}"))))
            .collect();
        for thread in threads {
            let phc = thread.join().expect("thread").expect("hash");
            assert!(phc.starts_with("$argon2id$"), "{phc}");
        }
    }
}
