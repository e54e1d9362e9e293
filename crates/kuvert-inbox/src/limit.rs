//! Per-address rate limits, keyed the way an attacker's addresses come: one IPv4 address, or one
//! IPv6 /64 (the smallest block a host is usually given, so one machine cannot rotate through
//! 2^64 buckets), with bounded memory.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Most addresses a limiter tracks at once. Past it, stale entries are dropped; if every entry
/// is still live (a flood from more addresses than this within one window), new addresses are
/// refused until some age out: failing closed, rather than forgetting the limits.
pub const MAX_TRACKED: usize = 100_000;

/// The key an address is limited under: IPv4 as it is (an IPv4-mapped IPv6 address counts as
/// its IPv4 address), IPv6 by its /64 prefix.
pub fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// How a key is written in the audit log: the address, or the /64 it stands for.
pub fn describe(key: IpAddr) -> String {
    match key {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{v6}/64"),
    }
}

/// A token-bucket limit per address (governor's GCRA), keyed by [`key`], with at most
/// `max_tracked` addresses in memory.
pub struct Limiter {
    inner: DefaultKeyedRateLimiter<IpAddr>,
    max_tracked: usize,
}

impl Limiter {
    /// `n` per minute per address.
    pub fn per_minute(n: u32) -> Limiter {
        Self::new(Quota::per_minute(
            NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
        ))
    }

    /// `n` per hour per address.
    pub fn per_hour(n: u32) -> Limiter {
        Self::new(Quota::per_hour(
            NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
        ))
    }

    fn new(quota: Quota) -> Limiter {
        Limiter {
            inner: RateLimiter::keyed(quota),
            max_tracked: MAX_TRACKED,
        }
    }

    /// The same limiter, tracking at most `n` addresses (tests).
    pub fn with_max_tracked(mut self, n: usize) -> Limiter {
        self.max_tracked = n;
        self
    }

    /// Takes one request for `ip`; `false` when over the limit (answer 429).
    pub fn check(&self, ip: IpAddr) -> bool {
        if self.inner.len() >= self.max_tracked {
            self.inner.retain_recent();
            self.inner.shrink_to_fit();
            if self.inner.len() >= self.max_tracked {
                return false;
            }
        }
        self.inner.check_key(&key(ip)).is_ok()
    }

    /// Drops addresses whose limit has fully recovered.
    pub fn retain_recent(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }

    /// How many addresses are tracked now.
    pub fn tracked(&self) -> usize {
        self.inner.len()
    }
}

/// Length of a failed-authentication window, seconds.
pub const WINDOW_SECS: i64 = 60;

/// Seconds until the failure window of `now` ends (for `Retry-After`).
pub fn retry_after(now: i64) -> i64 {
    WINDOW_SECS - now.rem_euclid(WINDOW_SECS)
}

/// Failed staff authentications per address in fixed one-minute windows: the lockout (an
/// address past the limit is refused before its token is even looked at) and the audit log's
/// aggregate (one row per address and window, not one per failure, so failures cannot flood
/// the log).
///
/// By hand rather than governor: a lockout must be asked "is this address blocked?" without
/// spending a cell, which governor's limiters cannot answer, and the audit needs the counts.
///
/// Keyed by client address ([`key`]), or by the person a sign-in names ([`Person`]), so
/// guessing at one person from many addresses is limited too.
pub struct AuthFailures<K = IpAddr> {
    limit: u32,
    max_tracked: usize,
    state: Mutex<Window<K>>,
}

struct Window<K> {
    start: i64,
    counts: HashMap<K, u32>,
}

/// What failed authentications are counted under.
pub trait FailKey: Clone + Eq + std::hash::Hash + Ord {
    /// The key this one is limited under (an IPv6 address's /64).
    fn limited(self) -> Self;
    /// How the audit log writes it.
    fn describe(&self) -> String;
}

impl FailKey for IpAddr {
    fn limited(self) -> Self {
        key(self)
    }
    fn describe(&self) -> String {
        describe(*self)
    }
}

/// A person's name, as a sign-in gave it (whether or not such a person exists, so a refusal
/// says nothing about who does).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Person(pub String);

impl FailKey for Person {
    fn limited(self) -> Self {
        self
    }
    fn describe(&self) -> String {
        format!("person={}", self.0)
    }
}

/// One key's failures in one window, for the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aggregate<K = IpAddr> {
    /// Start of the window, UTC seconds.
    pub window_start: i64,
    /// The limited key ([`FailKey::describe`] it for people).
    pub key: K,
    /// Failed or refused attempts in the window.
    pub count: u32,
}

impl<K: FailKey> AuthFailures<K> {
    /// At most `limit` failures per key per minute.
    pub fn new(limit: u32) -> AuthFailures<K> {
        AuthFailures {
            limit: limit.max(1),
            max_tracked: MAX_TRACKED,
            state: Mutex::new(Window {
                start: 0,
                counts: HashMap::new(),
            }),
        }
    }

    /// The same, tracking at most `n` keys per window (tests).
    pub fn with_max_tracked(mut self, n: usize) -> AuthFailures<K> {
        self.max_tracked = n;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window<K>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves to the window of `now`, returning the finished window's counts.
    fn roll(w: &mut Window<K>, now: i64) -> Vec<Aggregate<K>> {
        let start = now - now.rem_euclid(WINDOW_SECS);
        if start == w.start {
            return Vec::new();
        }
        let old = std::mem::take(&mut w.counts);
        let old_start = std::mem::replace(&mut w.start, start);
        let mut out: Vec<Aggregate<K>> = old
            .into_iter()
            .map(|(key, count)| Aggregate {
                window_start: old_start,
                key,
                count,
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// Whether `key` is locked out now. A full table (a flood from more keys than it
    /// tracks) locks out keys it does not know yet.
    pub fn blocked(&self, key: K, now: i64) -> (bool, Vec<Aggregate<K>>) {
        let mut w = self.lock();
        let finished = Self::roll(&mut w, now);
        let key = key.limited();
        let blocked = match w.counts.get(&key) {
            Some(n) => *n >= self.limit,
            None => w.counts.len() >= self.max_tracked,
        };
        (blocked, finished)
    }

    /// Counts one failed (or refused) attempt under `key`. Returns finished windows to audit.
    pub fn record(&self, key: K, now: i64) -> Vec<Aggregate<K>> {
        let mut w = self.lock();
        let finished = Self::roll(&mut w, now);
        let key = key.limited();
        if w.counts.len() < self.max_tracked || w.counts.contains_key(&key) {
            let n = w.counts.entry(key).or_insert(0);
            *n = n.saturating_add(1);
        }
        finished
    }

    /// Finished windows as of `now` (a periodic flush, and at shutdown with `now` far ahead).
    pub fn flush(&self, now: i64) -> Vec<Aggregate<K>> {
        Self::roll(&mut self.lock(), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Finding "IPv6 addresses are keyed one by one": one /64, one bucket.
    #[test]
    fn ipv6_is_limited_per_64() {
        assert_eq!(
            key(ip("2001:db8:1:2::1")),
            key(ip("2001:db8:1:2:ffff:1:2:3"))
        );
        assert_ne!(key(ip("2001:db8:1:2::1")), key(ip("2001:db8:1:3::1")));
        assert_eq!(key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        let limiter = Limiter::per_minute(3);
        let allowed = (0..50u16)
            .filter(|i| limiter.check(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, *i, 0, 0, 1))))
            .count();
        assert_eq!(allowed, 3);
        assert_eq!(describe(key(ip("2001:db8:1:2::1"))), "2001:db8:1:2::/64");
    }

    /// Finding "the limiter's memory grows with the number of addresses": bounded.
    #[test]
    fn memory_is_bounded_and_fails_closed() {
        let limiter = Limiter::per_minute(5).with_max_tracked(100);
        for i in 0..1000u32 {
            let _ = limiter.check(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)));
        }
        assert!(limiter.tracked() <= 100, "{} tracked", limiter.tracked());
        // Every tracked address is still live, so a new one is refused rather than forgotten.
        assert!(!limiter.check(ip("192.0.2.1")));
    }

    #[test]
    fn auth_failures_lock_out_and_aggregate_per_window() {
        let f: AuthFailures = AuthFailures::new(3);
        let t0 = 1_800_000_000 - 1_800_000_000 % WINDOW_SECS;
        for i in 0..3 {
            assert!(!f.blocked(ip("192.0.2.1"), t0 + i).0);
            assert!(f.record(ip("192.0.2.1"), t0 + i).is_empty());
        }
        assert!(f.blocked(ip("192.0.2.1"), t0 + 5).0);
        assert!(!f.blocked(ip("192.0.2.2"), t0 + 5).0);
        let _ = f.record(ip("2001:db8::1"), t0 + 6);
        let _ = f.record(ip("2001:db8::2"), t0 + 7);
        let done = f.flush(t0 + WINDOW_SECS);
        assert_eq!(
            done,
            vec![
                Aggregate {
                    window_start: t0,
                    key: ip("192.0.2.1"),
                    count: 3
                },
                Aggregate {
                    window_start: t0,
                    key: ip("2001:db8::"),
                    count: 2
                },
            ]
        );
        assert!(
            !f.blocked(ip("192.0.2.1"), t0 + WINDOW_SECS).0,
            "a new window starts clean"
        );
        assert_eq!(retry_after(t0 + 15), 45);
    }

    #[test]
    fn auth_failure_table_is_bounded() {
        let f: AuthFailures = AuthFailures::new(3).with_max_tracked(10);
        for i in 0..100u32 {
            let _ = f.record(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)), 0);
        }
        assert_eq!(f.flush(WINDOW_SECS).len(), 10);
    }
}
