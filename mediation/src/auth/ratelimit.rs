//! Login rate limit per client address (pure; time in as seconds): a token bucket of
//! `per_minute` tokens refilled continuously. Memory is bounded: full buckets are forgotten.
use std::collections::HashMap;
use std::net::IpAddr;

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
        let (tokens, at) = self.buckets.entry(ip).or_insert((cap, now));
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
}
