//! Prometheus text metrics: bookings accepted and rejected by reason, erasures, latency.
//! Written by hand: a handful of counters and one histogram do not need a metrics registry.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

const BUCKETS_MS: [u64; 8] = [1, 5, 10, 25, 50, 100, 250, 1000];

/// A counter per label value (`reason`, `problem`), the values being the inbox's own codes.
#[derive(Default)]
struct Labelled(Mutex<BTreeMap<&'static str, u64>>);

impl Labelled {
    fn add(&self, value: &'static str) {
        *self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(value)
            .or_default() += 1;
    }

    /// One `name{label="value"} n` line per value.
    fn render(&self, out: &mut String, name: &str, label: &str) {
        for (value, n) in self.0.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {n}");
        }
    }
}

/// The inbox's counters.
#[derive(Default)]
pub struct Metrics {
    accepted: AtomicU64,
    rejected: Labelled,
    cancelled: AtomicU64,
    staff_deleted: AtomicU64,
    purged: AtomicU64,
    problems: Labelled,
    latency: Mutex<(Vec<u64>, u64, f64)>,
}

impl Metrics {
    /// A booking was stored.
    pub fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// A booking was refused with `code`.
    pub fn rejected(&self, code: &'static str) {
        self.rejected.add(code);
    }

    /// A widget reported a problem (`kuvert_api::WidgetProblem`).
    pub fn problem(&self, code: &'static str) {
        self.problems.add(code);
    }

    /// A customer cancelled.
    pub fn cancelled(&self) {
        self.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    /// Staff deleted a booking.
    pub fn staff_deleted(&self) {
        self.staff_deleted.fetch_add(1, Ordering::Relaxed);
    }

    /// The retention purge erased `n` bookings.
    pub fn purged(&self, n: u64) {
        self.purged.fetch_add(n, Ordering::Relaxed);
    }

    /// One request took `ms` milliseconds.
    pub fn observe(&self, ms: f64) {
        let mut l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        if l.0.is_empty() {
            l.0 = vec![0; BUCKETS_MS.len()];
        }
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b as f64 {
                l.0[i] += 1;
            }
        }
        l.1 += 1;
        l.2 += ms / 1000.0;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP kuvert_bookings_accepted_total Bookings stored.\n# TYPE kuvert_bookings_accepted_total counter"
        );
        let _ = writeln!(
            out,
            "kuvert_bookings_accepted_total {}",
            self.accepted.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP kuvert_bookings_rejected_total Bookings refused, by reason.\n# TYPE kuvert_bookings_rejected_total counter"
        );
        self.rejected
            .render(&mut out, "kuvert_bookings_rejected_total", "reason");
        let _ = writeln!(
            out,
            "# HELP kuvert_bookings_erased_total Bookings erased, by cause.\n# TYPE kuvert_bookings_erased_total counter"
        );
        let _ = writeln!(
            out,
            "kuvert_bookings_erased_total{{cause=\"cancel\"}} {}",
            self.cancelled.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "kuvert_bookings_erased_total{{cause=\"staff\"}} {}",
            self.staff_deleted.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "kuvert_bookings_erased_total{{cause=\"retention\"}} {}",
            self.purged.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP kuvert_widget_problems_total Widgets that could not be used, by problem.\n# TYPE kuvert_widget_problems_total counter"
        );
        self.problems
            .render(&mut out, "kuvert_widget_problems_total", "problem");
        let l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(
            out,
            "# HELP kuvert_request_duration_seconds Time to answer a request.\n# TYPE kuvert_request_duration_seconds histogram"
        );
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            let n = l.0.get(i).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "kuvert_request_duration_seconds_bucket{{le=\"{}\"}} {n}",
                *b as f64 / 1000.0
            );
        }
        let _ = writeln!(
            out,
            "kuvert_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            l.1
        );
        let _ = writeln!(out, "kuvert_request_duration_seconds_sum {}", l.2);
        let _ = writeln!(out, "kuvert_request_duration_seconds_count {}", l.1);
        out
    }
}
