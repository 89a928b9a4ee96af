//! The API's rate limiter (reference §4.7): GCRA, as upstream's (the `throttled` library's
//! generic cell-rate algorithm with an in-memory store), reimplemented. Pure: the caller passes the
//! current time, so tests drive a fake clock.
//!
//! A quota of `per_second` requests per second and `burst` allows `burst + 1` requests at once,
//! then one every `1 / per_second` seconds. Each bucket keeps one number, its theoretical arrival
//! time (TAT): when the bucket would be empty again at the sustained rate. A request is allowed
//! when moving the TAT one emission interval later keeps it within the tolerance
//! (`(burst + 1) / per_second`) of now.
//!
//! Buckets are keyed like upstream's, on `X-Forwarded-For`, `\n`, the URL path, `\n`, but on
//! the header's right-most hop only (lower-cased): through the API server's service proxy that
//! is the client address the API server appended, which the client cannot vary. Clients on the
//! pod network that reach the port directly can still send any header; the in-flight cap of
//! the HTTP server bounds what they can cost. Without the header every client shares one bucket per path. The store holds at most
//! [`MAX_KEYS`] buckets and drops the least recently used one when full (upstream's LRU store).
//! Unlike upstream, a header value longer than [`MAX_KEY_VALUE`] bytes is replaced by a keyed hash
//! of it, so the store's memory stays bounded whatever clients send.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::num::NonZeroU32;
use std::time::Duration;

/// Most buckets kept; the least recently used one is dropped to make room.
pub const MAX_KEYS: usize = 65_536;

/// Longest `X-Forwarded-For` value kept verbatim in a bucket key.
pub const MAX_KEY_VALUE: usize = 256;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// A sustained rate and a burst, as upstream's `--rate-limit` / `--rate-limit-burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// Sustained requests per second.
    pub per_second: NonZeroU32,
    /// Requests allowed on top of the first one in an instant burst.
    pub burst: u32,
}

impl Default for RateQuota {
    /// Upstream's defaults: 2 per second, burst 2.
    fn default() -> Self {
        Self { per_second: NonZeroU32::MIN.saturating_add(1), burst: 2 }
    }
}

/// The decision for one request, with what the rate-limit headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (otherwise: `429`).
    pub allowed: bool,
    /// `X-RateLimit-Limit`: `burst + 1`.
    pub limit: u32,
    /// `X-RateLimit-Remaining`: requests that would still be allowed right now.
    pub remaining: u32,
    /// `X-RateLimit-Reset`: until the bucket is full again.
    pub reset_after: Duration,
    /// `Retry-After`, only on a refused request: until the next request would be allowed.
    pub retry_after: Option<Duration>,
}

impl Decision {
    /// The response headers, as upstream writes them: durations in whole seconds rounded up, and
    /// `Retry-After` only when the request was refused.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", ceil_secs(self.reset_after).to_string()),
        ];
        if let Some(retry) = self.retry_after {
            headers.push(("retry-after", ceil_secs(retry).to_string()));
        }
        headers
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// A GCRA limiter over a bounded set of buckets. `Debug` shows the quota and bucket count, not
/// the keys (client addresses).
pub struct Gcra {
    /// Time between requests at the sustained rate, in nanoseconds.
    emission: i128,
    /// How far ahead of now a bucket's TAT may run, in nanoseconds.
    tolerance: i128,
    limit: u32,
    store: Lru,
    hasher: RandomState,
}

impl fmt::Debug for Gcra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gcra")
            .field("limit", &self.limit)
            .field("emission_ns", &self.emission)
            .field("buckets", &self.len())
            .finish_non_exhaustive()
    }
}

impl Gcra {
    /// A limiter for `quota` with no buckets yet.
    pub fn new(quota: RateQuota) -> Self {
        let emission = NANOS_PER_SEC / i128::from(quota.per_second.get());
        let limit = quota.burst.saturating_add(1);
        Self {
            emission,
            tolerance: emission * i128::from(limit),
            limit,
            store: Lru::default(),
            hasher: RandomState::new(),
        }
    }

    /// The bucket key for a request: the lower-cased right-most `X-Forwarded-For` hop (empty when
    /// absent; hashed when longer than [`MAX_KEY_VALUE`]), `\n`, the URL path, `\n`.
    pub fn bucket_key(&self, forwarded_for: Option<&[u8]>, path: &str) -> String {
        // The right-most hop: through the API server's service proxy (how users reach the
        // controller) it is the client address the API server saw, appended after whatever
        // the client sent. Upstream keys on the whole header, so a client could get a fresh
        // bucket per request by varying its own part of it.
        let value = forwarded_for.unwrap_or_default();
        let value = value.rsplit(|b| *b == b',').next().unwrap_or_default().trim_ascii();
        let value = if value.len() > MAX_KEY_VALUE {
            format!("#{:016x}", self.hasher.hash_one(value.to_ascii_lowercase()))
        } else {
            String::from_utf8_lossy(value).to_lowercase()
        };
        format!("{value}\n{path}\n")
    }

    /// Decides on one request in bucket `key` at time `now` (measured from any fixed origin, the
    /// same for every call), and records it when allowed.
    pub fn check(&mut self, key: &str, now: Duration) -> Decision {
        let now = i128::try_from(now.as_nanos()).unwrap_or(i128::MAX);
        let tat = self.store.get(key).unwrap_or(now);
        let new_tat = tat.max(now) + self.emission;
        let allow_at = new_tat - self.tolerance;
        let (allowed, ttl, retry_after) = if now < allow_at {
            // Refused: the TAT stays; it is ahead of now, or the request would have been allowed.
            (false, tat - now, Some(nanos(allow_at - now)))
        } else {
            self.store.put(key, new_tat);
            (true, new_tat - now, None)
        };
        let next = self.tolerance - ttl;
        let remaining = if next > -self.emission { next / self.emission } else { 0 };
        Decision {
            allowed,
            limit: self.limit,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
            reset_after: nanos(ttl),
            retry_after,
        }
    }

    /// Number of buckets held.
    pub fn len(&self) -> usize {
        self.store.values.len()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn nanos(n: i128) -> Duration {
    let n = u128::try_from(n.max(0)).unwrap_or(0);
    let secs = u64::try_from(n / 1_000_000_000).unwrap_or(u64::MAX);
    // The remainder is below 10^9, so it fits.
    let sub = u32::try_from(n % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, sub)
}

/// Key → TAT with least-recently-used eviction at [`MAX_KEYS`].
#[derive(Debug, Default)]
struct Lru {
    /// Key → (TAT, last use tick).
    values: HashMap<String, (i128, u64)>,
    /// Last use tick → key, oldest first.
    order: BTreeMap<u64, String>,
    tick: u64,
}

impl Lru {
    fn get(&mut self, key: &str) -> Option<i128> {
        let tick = self.next_tick();
        let (tat, used) = self.values.get_mut(key)?;
        let old = std::mem::replace(used, tick);
        let tat = *tat;
        if let Some(k) = self.order.remove(&old) {
            self.order.insert(tick, k);
        }
        Some(tat)
    }

    fn put(&mut self, key: &str, tat: i128) {
        let tick = self.next_tick();
        if let Some((old_tat, used)) = self.values.get_mut(key) {
            *old_tat = tat;
            let old = std::mem::replace(used, tick);
            if let Some(k) = self.order.remove(&old) {
                self.order.insert(tick, k);
            }
            return;
        }
        while self.values.len() >= MAX_KEYS {
            let Some((_, oldest)) = self.order.pop_first() else { break };
            self.values.remove(&oldest);
        }
        self.values.insert(key.to_owned(), (tat, tick));
        self.order.insert(tick, key.to_owned());
    }

    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(per_second: u32, burst: u32) -> RateQuota {
        RateQuota { per_second: NonZeroU32::new(per_second).unwrap(), burst }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn upstream_defaults_allow_three_at_once_then_two_per_second() {
        let mut gcra = Gcra::new(RateQuota::default());
        let t0 = Duration::from_secs(1000);
        let got: Vec<(bool, u32)> = (0..4).map(|_| gcra.check("k", t0)).map(|d| (d.allowed, d.remaining)).collect();
        assert_eq!(got, [(true, 2), (true, 1), (true, 0), (false, 0)]);

        let refused = gcra.check("k", t0);
        assert_eq!(refused.limit, 3);
        assert_eq!(refused.retry_after, Some(ms(500)));
        assert_eq!(refused.reset_after, ms(1500));
        assert_eq!(
            refused.headers(),
            [
                ("x-ratelimit-limit", "3".to_owned()),
                ("x-ratelimit-remaining", "0".to_owned()),
                ("x-ratelimit-reset", "2".to_owned()),
                ("retry-after", "1".to_owned()),
            ]
        );

        // Half a second later one request fits again, and only one.
        assert!(gcra.check("k", t0 + ms(499)).retry_after.is_some());
        let d = gcra.check("k", t0 + ms(500));
        assert!(d.allowed);
        assert_eq!(d.retry_after, None);
        assert!(!gcra.check("k", t0 + ms(500)).allowed);
    }

    #[test]
    fn allowed_requests_carry_no_retry_after() {
        let mut gcra = Gcra::new(quota(1, 0));
        let d = gcra.check("k", Duration::ZERO);
        assert!(d.allowed);
        assert_eq!(d.headers().len(), 3);
        assert_eq!(d.headers()[2], ("x-ratelimit-reset", "1".to_owned()));
        assert!(!gcra.check("k", ms(999)).allowed);
        assert!(gcra.check("k", ms(1000)).allowed);
    }

    #[test]
    fn a_full_bucket_refills_after_the_reset_time() {
        let mut gcra = Gcra::new(quota(10, 4));
        for _ in 0..5 {
            assert!(gcra.check("k", Duration::ZERO).allowed);
        }
        let refused = gcra.check("k", Duration::ZERO);
        assert!(!refused.allowed);
        let later = refused.reset_after;
        let d = gcra.check("k", later);
        assert!(d.allowed);
        assert_eq!(d.remaining, 4);
    }

    #[test]
    fn buckets_are_independent_per_key() {
        let mut gcra = Gcra::new(quota(1, 0));
        let a = gcra.bucket_key(Some(b"10.0.0.1"), "/v1/verify");
        let b = gcra.bucket_key(Some(b"10.0.0.2"), "/v1/verify");
        let a_rotate = gcra.bucket_key(Some(b"10.0.0.1"), "/v1/rotate");
        assert!(gcra.check(&a, Duration::ZERO).allowed);
        assert!(!gcra.check(&a, Duration::ZERO).allowed);
        assert!(gcra.check(&b, Duration::ZERO).allowed);
        assert!(gcra.check(&a_rotate, Duration::ZERO).allowed);
    }

    #[test]
    fn bucket_key_is_the_lower_cased_last_hop_and_path() {
        let gcra = Gcra::new(RateQuota::default());
        assert_eq!(gcra.bucket_key(Some(b"10.0.0.1, FE80::1"), "/v1/verify"), "fe80::1\n/v1/verify\n");
        // A client varying what it sends before the proxy's hop stays in one bucket.
        assert_eq!(
            gcra.bucket_key(Some(b"spoofed-1, 10.0.0.9"), "/v1/verify"),
            gcra.bucket_key(Some(b"spoofed-2,10.0.0.9"), "/v1/verify")
        );
        assert_eq!(gcra.bucket_key(None, "/v1/verify"), "\n/v1/verify\n");
        let long = vec![b'A'; MAX_KEY_VALUE + 1];
        let key = gcra.bucket_key(Some(&long), "/p");
        assert!(key.len() < 40 && key.ends_with("\n/p\n"), "{key}");
        assert_eq!(key, gcra.bucket_key(Some(&long.to_ascii_lowercase()), "/p"));
    }

    #[test]
    fn the_store_evicts_the_least_recently_used_key_when_full() {
        let mut gcra = Gcra::new(quota(1, 0));
        let t = Duration::ZERO;
        for i in 0..MAX_KEYS {
            assert!(gcra.check(&format!("k{i}"), t).allowed);
        }
        assert_eq!(gcra.len(), MAX_KEYS);
        // Touch k0 so that k1 is the least recently used.
        assert!(!gcra.check("k0", t).allowed);
        assert!(gcra.check("new", t).allowed);
        assert_eq!(gcra.len(), MAX_KEYS);
        assert!(!gcra.check("k0", t).allowed, "k0 was used recently and kept");
        assert!(gcra.check("k1", t).allowed, "k1 was evicted, so it starts afresh");
    }
}
