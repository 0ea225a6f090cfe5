//! Tests of the login limiter's bounds and of the administration ranks.

use std::net::{IpAddr, Ipv4Addr};

use time::{Duration, OffsetDateTime};

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
    for _ in 0..LoginLimiter::FREE_PER_USER {
        limiter.record_failure(&format!("user{last}"), None, at(i64::from(last / 100)));
    }
    assert!(!limiter.allows(&format!("user{last}"), None, at(i64::from(last / 100))));
    // One key is one small record, however many failures it saw.
    let one = LoginLimiter::default();
    for s in 0..1000 {
        one.record_failure("someone", None, at(s));
    }
    assert_eq!(one.failures.lock().unwrap()["user:someone"].count, 1000);
    assert_eq!(one.len(), 2);
}

#[test]
fn a_hundred_thousand_usernames_never_exceed_the_cap() {
    let limiter = LoginLimiter::default();
    let mut most = 0;
    for n in 0..100_000_u32 {
        let ip = IpAddr::V4(Ipv4Addr::from(n % 1000));
        limiter.record_failure(&format!("guess-{n}"), Some(ip), at(i64::from(n / 10)));
        most = most.max(limiter.len());
        assert!(limiter.len() <= LoginLimiter::MAX_KEYS, "{} keys after {n}", limiter.len());
    }
    // The cap was reached (so the bound was tested), and the newest name is still slowed.
    assert!(most + 2 > LoginLimiter::MAX_KEYS, "{most}");
    assert!(limiter.failures.lock().unwrap().contains_key("user:guess-99999"));
}

#[test]
fn an_account_is_slowed_exponentially_up_to_a_minute_never_locked() {
    let limiter = LoginLimiter::default();
    let attacker = Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
    for _ in 0..LoginLimiter::FREE_PER_USER - 1 {
        limiter.record_failure("admin", attacker, at(0));
    }
    assert!(limiter.allows("admin", attacker, at(0)), "free failures are not slowed");
    limiter.record_failure("admin", attacker, at(0));
    assert_eq!(limiter.check("admin", attacker, at(0)), Err(Duration::seconds(1)));
    assert!(limiter.allows("admin", attacker, at(1)));
    limiter.record_failure("admin", attacker, at(1));
    assert_eq!(limiter.check("admin", attacker, at(1)), Err(Duration::seconds(2)));
    limiter.record_failure("admin", attacker, at(3));
    assert_eq!(limiter.check("admin", attacker, at(3)), Err(Duration::seconds(4)));
    // However long the attack, from however many addresses, a failing address waits at most a
    // minute after the account's last failure.
    let mut t = 3;
    let mut last = attacker;
    for n in 0..40_u8 {
        t += 100;
        last = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)));
        limiter.record_failure("admin", last, at(t));
    }
    assert_eq!(limiter.check("admin", last, at(t)), Err(LoginLimiter::MAX_USER_DELAY));
    assert!(limiter.allows("admin", last, at(t + 60)));
}

#[test]
fn a_clean_address_gets_through_a_slowed_account() {
    let limiter = LoginLimiter::default();
    let attacker = Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
    let owner = Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)));
    for _ in 0..15 {
        limiter.record_failure("admin", attacker, at(0));
    }
    assert!(limiter.check("admin", attacker, at(0)).is_err());
    assert_eq!(limiter.check("admin", owner, at(0)), Ok(()), "the owner is not kept out");
    // Once the owner's address fails too, it waits like the others.
    limiter.record_failure("admin", owner, at(0));
    assert!(limiter.check("admin", owner, at(0)).is_err());
    // A successful login clears the account, not the attacker's address.
    limiter.record_success("admin");
    assert_eq!(limiter.check("admin", owner, at(0)), Ok(()));
}

#[test]
fn an_address_is_slowed_up_to_a_quarter_hour_and_forgotten_later() {
    let limiter = LoginLimiter::default();
    let sprayer = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)));
    for n in 0..LoginLimiter::FREE_PER_ADDRESS {
        limiter.record_failure(&format!("someone{n}"), sprayer, at(0));
    }
    // A fresh username from that address waits: the address is slowed, not only its names.
    assert_eq!(limiter.check("fresh", sprayer, at(0)), Err(Duration::seconds(1)));
    for n in 0..30 {
        limiter.record_failure(&format!("other{n}"), sprayer, at(0));
    }
    assert_eq!(limiter.check("fresh", sprayer, at(0)), Err(LoginLimiter::MAX_ADDRESS_DELAY));
    let later = LoginLimiter::MAX_ADDRESS_DELAY.whole_seconds();
    assert_eq!(limiter.check("fresh", sprayer, at(later)), Ok(()));
    // Failing again at the cap keeps it there; silence past FORGET_AFTER starts it from zero.
    limiter.record_failure("fresh", sprayer, at(later));
    assert_eq!(limiter.check("x", sprayer, at(later)), Err(LoginLimiter::MAX_ADDRESS_DELAY));
    let forgotten = later + LoginLimiter::FORGET_AFTER.whole_seconds();
    limiter.record_failure("x", sprayer, at(forgotten));
    assert_eq!(limiter.failures.lock().unwrap()["ip:192.0.2.9"].count, 1);
}

#[test]
fn waits_are_told_in_whole_seconds_rounded_up() {
    assert_eq!(wait_seconds(Duration::milliseconds(1)), 1);
    assert_eq!(wait_seconds(Duration::ZERO), 1);
    assert_eq!(wait_seconds(Duration::milliseconds(1_001)), 2);
    assert_eq!(wait_seconds(Duration::minutes(15)), 900);
}

#[test]
fn expired_keys_go_first() {
    let limiter = LoginLimiter::default();
    for n in 0..(LoginLimiter::MAX_KEYS as u32 / 2) {
        limiter.record_failure(&format!("old{n}"), Some(IpAddr::V4(Ipv4Addr::from(n))), at(0));
    }
    let later = at(LoginLimiter::FORGET_AFTER.whole_seconds() + 1);
    limiter.record_failure("recent", None, later);
    // Filling up past the cap drops the expired keys and keeps the recent one.
    for n in 0..(LoginLimiter::MAX_KEYS as u32 / 2) {
        limiter.record_failure(&format!("new{n}"), None, later);
    }
    assert!(limiter.len() <= LoginLimiter::MAX_KEYS);
    assert!(limiter.failures.lock().unwrap().contains_key("user:recent"));
}
