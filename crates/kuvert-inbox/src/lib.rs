//! Kuvert's inbox: receives sealed bookings, runs the calendar, and serves staff.
//!
//! It stores ciphertext and the public booking facts (form, service, slot) only. It never holds
//! a private key and never sees a customer's details in the clear. [`app`] builds the whole
//! HTTP service, so tests drive it with `tower::ServiceExt::oneshot`.

#![forbid(unsafe_code)]

pub mod anchor;
pub mod api;
pub mod calendar;
pub mod config;
pub mod limit;
pub mod maintenance;
pub mod metrics;
pub mod people;
pub mod store;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub use api::{AppState, app};

/// Where the inbox gets the time: the system clock, or a settable one in tests.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// A clock that stays where it is put (tests, and the `--clock` debugging flag).
#[derive(Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `secs`.
    pub fn new(secs: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(secs)))
    }

    /// Moves the clock to `secs`.
    pub fn set(&self, secs: i64) {
        self.0.store(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
