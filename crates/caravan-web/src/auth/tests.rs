//! Tests of the login limiter's bounds and of the administration ranks.

use std::net::{IpAddr, Ipv4Addr};

use time::OffsetDateTime;

use super::*;

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_764_400_000 + seconds).unwrap()
}

#[test]
fn the_limiter_keeps_at_most_max_keys_and_short_keys() {
    let limiter = LoginLimiter::default();
    let huge = "x".repeat(256 * 1024);
    limiter.record_failure(&huge, None, at(0));
    let longest = limiter.failures.lock().unwrap().keys().map(String::len).max().unwrap();
    assert!(longest <= LoginLimiter::MAX_KEY_CHARS + 5, "{longest}");
    // Far more distinct usernames and addresses than it may remember.
    for n in 0..(LoginLimiter::MAX_KEYS as u32 + 10_000) {
        let ip = IpAddr::V4(Ipv4Addr::from(n));
        limiter.record_failure(&format!("user{n}"), Some(ip), at(i64::from(n / 100)));
    }
    assert!(limiter.len() <= LoginLimiter::MAX_KEYS, "{}", limiter.len());
    // The most recent failures are still counted.
    let last = LoginLimiter::MAX_KEYS as u32 + 9_999;
    for _ in 0..LoginLimiter::MAX_PER_USER {
        limiter.record_failure(&format!("user{last}"), None, at(i64::from(last / 100)));
    }
    assert!(!limiter.allows(&format!("user{last}"), None, at(i64::from(last / 100))));
    // One key never holds more times than its limit.
    let one = LoginLimiter::default();
    for s in 0..1000 {
        one.record_failure("someone", None, at(s));
    }
    let failures = one.failures.lock().unwrap();
    assert!(failures.values().all(|times| times.len() <= LoginLimiter::MAX_PER_ADDRESS));
}

#[test]
fn expired_keys_go_first() {
    let limiter = LoginLimiter::default();
    for n in 0..(LoginLimiter::MAX_KEYS as u32 / 2) {
        limiter.record_failure(&format!("old{n}"), Some(IpAddr::V4(Ipv4Addr::from(n))), at(0));
    }
    let later = at(LoginLimiter::WINDOW.whole_seconds() + 1);
    limiter.record_failure("recent", None, later);
    // Filling up past the cap drops the expired keys and keeps the recent one.
    for n in 0..(LoginLimiter::MAX_KEYS as u32 / 2) {
        limiter.record_failure(&format!("new{n}"), None, later);
    }
    assert!(limiter.len() <= LoginLimiter::MAX_KEYS);
    assert!(limiter.failures.lock().unwrap().contains_key("user:recent"));
}
