//! Login rate limit per client address (pure; time in as seconds): a token bucket of
//! `per_minute` tokens refilled continuously. Memory is bounded: full buckets are forgotten.
//!
//! An IPv6 client counts by its /64: one host usually holds a whole /64 (RFC 7421), so a
//! bucket per /128 would give it 2^64 buckets. IPv4 clients seen through a dual-stack socket
//! (`::ffff:a.b.c.d`) count by their IPv4 address, not all together in `::ffff:0:0/64`.
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

/// The bucket an address counts in: the IPv4 address, or the IPv6 /64.
fn bucket_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
pub struct LoginLimiter {
    per_minute: f64,
    buckets: HashMap<IpAddr, (f64, f64)>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute.max(1)),
            buckets: HashMap::new(),
        }
    }

    /// Takes a token for `ip` at `now` (seconds, fractional); `false`: over the limit.
    pub fn allow(&mut self, ip: IpAddr, now: f64) -> bool {
        if self.buckets.len() >= MAX_TRACKED {
            self.forget_full(now);
        }
        let cap = self.per_minute;
        let rate = cap / 60.0;
        let (tokens, at) = self.buckets.entry(bucket_of(ip)).or_insert((cap, now));
        *tokens = (*tokens + (now - *at).max(0.0) * rate).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn forget_full(&mut self, now: f64) {
        let (cap, rate) = (self.per_minute, self.per_minute / 60.0);
        self.buckets
            .retain(|_, (t, at)| *t + (now - *at).max(0.0) * rate < cap);
        if self.buckets.len() >= MAX_TRACKED {
            // Under a flood from many addresses: start over rather than grow without bound.
            self.buckets.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let mut l = LoginLimiter::new(3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.allow(a, 0.0));
        assert!(l.allow(a, 0.1));
        assert!(l.allow(a, 0.2));
        assert!(!l.allow(a, 0.3));
        assert!(l.allow(b, 0.3), "another address has its own bucket");
        assert!(!l.allow(a, 10.0));
        assert!(l.allow(a, 21.0), "one token back after 20 s at 3/min");
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_by_address() {
        let mut l = LoginLimiter::new(2);
        let a1: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let a2: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:fffe".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(l.allow(a1, 0.0));
        assert!(l.allow(a2, 0.0));
        assert!(!l.allow(a1, 0.0), "the /64 shares one bucket");
        assert!(
            !l.allow("2001:db8:1:2::99".parse().unwrap(), 0.0),
            "another address of the same /64"
        );
        assert!(l.allow(other, 0.0), "the next /64 is someone else");
        // IPv4 through a dual-stack socket: each address on its own, and the same bucket as
        // the plain IPv4 form.
        let m1: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let m2: IpAddr = "::ffff:192.0.2.2".parse().unwrap();
        assert!(l.allow(m1, 0.0));
        assert!(l.allow("192.0.2.1".parse().unwrap(), 0.0));
        assert!(!l.allow(m1, 0.0));
        assert!(l.allow(m2, 0.0), "mapped IPv4 clients are not one bucket");
    }
}
