//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane).
//!
//! Verification of an unknown email runs against a fixed dummy hash, so a login takes the
//! same time whether or not the account exists. Callers run these on a blocking thread.
//!
//! At most one hash per core runs at once ([`Gate`]): each takes 19 MiB, so a burst of 32
//! log-ins used to take 600 MiB more (measured by `comptoir bench checkout`); the others wait
//! their turn, which costs no more time in total on a machine with that many cores.

use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::ApiError;

/// A counting semaphore bounding the hashes computed at once.
struct Gate {
    running: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

impl Gate {
    fn get() -> &'static Gate {
        static GATE: OnceLock<Gate> = OnceLock::new();
        GATE.get_or_init(|| Gate {
            running: Mutex::new(0),
            freed: Condvar::new(),
            max: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .max(1),
        })
    }

    /// Runs `work` once a slot is free.
    fn run<T>(work: impl FnOnce() -> T) -> T {
        let gate = Gate::get();
        {
            let mut running = gate.running.lock().unwrap_or_else(|p| p.into_inner());
            while *running >= gate.max {
                running = gate.freed.wait(running).unwrap_or_else(|p| p.into_inner());
            }
            *running += 1;
        }
        // released even if `work` panics
        struct Release(&'static Gate);
        impl Drop for Release {
            fn drop(&mut self) {
                let mut running = self.0.running.lock().unwrap_or_else(|p| p.into_inner());
                *running = running.saturating_sub(1);
                self.0.freed.notify_one();
            }
        }
        let _release = Release(gate);
        work()
    }
}

fn argon2() -> Argon2<'static> {
    // constant, valid parameters: construction cannot fail
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for `password`.
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Gate::run(|| {
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .map_err(|e| ApiError::internal(format!("password hashing: {e}")))
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
            Gate::run(|| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
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
    fn no_more_hashes_run_at_once_than_the_gate_allows() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NOW: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..(Gate::get().max * 4) {
                scope.spawn(|| {
                    Gate::run(|| {
                        let n = NOW.fetch_add(1, Ordering::SeqCst) + 1;
                        MOST.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        NOW.fetch_sub(1, Ordering::SeqCst);
                    })
                });
            }
        });
        assert!(MOST.load(Ordering::SeqCst) <= Gate::get().max);
        assert!(MOST.load(Ordering::SeqCst) >= 1);
    }
}
