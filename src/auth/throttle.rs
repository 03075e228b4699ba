//! Throttling of failed log-ins, per account and per client address.
//!
//! Each key (an email, an address) may fail `limit` times in a window; further attempts are
//! refused with 429 and `Retry-After` until the window ends — even with the right password,
//! so guessing gains nothing. A success clears the account's count (not the address's).
//! Counters live in this process: several instances each keep their own (documented).
//! The map is pruned of finished windows, so its size stays bounded by recent activity.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures counted for one key.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// A fixed-window counter of failures per key.
#[derive(Debug)]
pub struct Throttle {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, Window>>,
}

const PRUNE_ABOVE: usize = 10_000;

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Throttle {
        Throttle {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Window>) -> T) -> T {
        // a poisoned lock only means another thread panicked mid-update of a counter
        let mut guard = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    /// `Err(seconds)` when `key` is locked out for that long.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        self.with(|windows| match windows.get(key) {
            Some(w) if now.duration_since(w.started) < self.window && w.failures >= self.limit => {
                let left = self.window - now.duration_since(w.started);
                Err(left.as_secs().max(1))
            }
            _ => Ok(()),
        })
    }

    pub fn failed(&self, key: &str, now: Instant) {
        self.with(|windows| {
            if windows.len() > PRUNE_ABOVE {
                windows.retain(|_, w| now.duration_since(w.started) < self.window);
            }
            let entry = windows.entry(key.to_string()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(entry.started) >= self.window {
                *entry = Window {
                    started: now,
                    failures: 0,
                };
            }
            entry.failures += 1;
        })
    }

    /// Checks and counts an attempt in one locked step, before the attempt is made: parallel
    /// attempts cannot all slip past the check. `Err(seconds)` when locked out.
    pub fn reserve(&self, key: &str, now: Instant) -> Result<(), u64> {
        self.with(|windows| {
            if windows.len() > PRUNE_ABOVE {
                windows.retain(|_, w| now.duration_since(w.started) < self.window);
            }
            let entry = windows.entry(key.to_string()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(entry.started) >= self.window {
                *entry = Window {
                    started: now,
                    failures: 0,
                };
            }
            if entry.failures >= self.limit {
                let left = self.window - now.duration_since(entry.started);
                return Err(left.as_secs().max(1));
            }
            entry.failures += 1;
            Ok(())
        })
    }

    /// Gives back an attempt reserved by [`Throttle::reserve`] that turned out not to fail.
    pub fn release(&self, key: &str) {
        self.with(|windows| {
            if let Some(w) = windows.get_mut(key) {
                w.failures = w.failures.saturating_sub(1);
            }
        })
    }

    pub fn clear(&self, key: &str) {
        self.with(|windows| windows.remove(key));
    }
}

/// The log-in throttles: 5 failures per account and 30 per address, per 15 minutes.
#[derive(Debug)]
pub struct LoginThrottle {
    pub accounts: Throttle,
    pub addresses: Throttle,
}

impl Default for LoginThrottle {
    fn default() -> LoginThrottle {
        let window = Duration::from_secs(15 * 60);
        LoginThrottle {
            accounts: Throttle::new(5, window),
            addresses: Throttle::new(30, window),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_until_the_window_ends() {
        let throttle = Throttle::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(throttle.check("a", t0).is_ok());
        throttle.failed("a", t0);
        throttle.failed("a", t0);
        assert_eq!(throttle.check("a", t0 + Duration::from_secs(10)), Err(50));
        assert!(
            throttle.check("b", t0).is_ok(),
            "other keys are not affected"
        );
        assert!(throttle.check("a", t0 + Duration::from_secs(61)).is_ok());
        throttle.failed("a", t0 + Duration::from_secs(61));
        assert!(
            throttle.check("a", t0 + Duration::from_secs(62)).is_ok(),
            "a new window starts afresh"
        );
        throttle.clear("a");
        assert!(throttle.check("a", t0).is_ok());
    }

    #[test]
    fn reserving_counts_before_the_attempt() {
        let throttle = Throttle::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(throttle.reserve("a", t0).is_ok());
        assert!(throttle.reserve("a", t0).is_ok());
        assert!(
            throttle.reserve("a", t0).is_err(),
            "a third attempt in flight is refused"
        );
        throttle.release("a");
        assert!(
            throttle.reserve("a", t0).is_ok(),
            "a released attempt frees its place"
        );
    }
}
