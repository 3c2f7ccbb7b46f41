//! Number patterns: `*` matches any run of characters (also none), `?` exactly one; everything
//! else matches itself (case-sensitive). Matching is on bytes and never backtracks more than
//! once per `*` (linear in practice, O(n·m) worst case).

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: Vec<u8>,
}

impl Glob {
    pub fn new(pattern: &str) -> Self {
        Glob {
            pattern: pattern.as_bytes().to_vec(),
        }
    }

    /// True when the pattern has no wildcard.
    pub fn is_literal(&self) -> bool {
        !self.pattern.iter().any(|&c| c == b'*' || c == b'?')
    }

    /// The characters before the first wildcard.
    pub fn literal_prefix(&self) -> &[u8] {
        let end = self
            .pattern
            .iter()
            .position(|&c| c == b'*' || c == b'?')
            .unwrap_or(self.pattern.len());
        self.pattern.get(..end).unwrap_or_default()
    }

    /// The characters after the last wildcard.
    pub fn literal_suffix(&self) -> &[u8] {
        let start = self
            .pattern
            .iter()
            .rposition(|&c| c == b'*' || c == b'?')
            .map_or(0, |p| p + 1);
        self.pattern.get(start..).unwrap_or_default()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.pattern
    }

    pub fn matches(&self, text: &[u8]) -> bool {
        let p = &self.pattern;
        let (mut pi, mut ti) = (0usize, 0usize);
        // Position after the last `*` and the text position it was tried at.
        let mut star: Option<(usize, usize)> = None;
        loop {
            match (p.get(pi), text.get(ti)) {
                (Some(b'*'), _) => {
                    star = Some((pi + 1, ti));
                    pi += 1;
                }
                (Some(&pc), Some(&tc)) if pc == b'?' || pc == tc => {
                    pi += 1;
                    ti += 1;
                }
                (None, None) => return true,
                _ => match star {
                    Some((sp, st)) if st < text.len() => {
                        pi = sp;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    _ => return false,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn wildcards() {
        let m = |p: &str, t: &str| Glob::new(p).matches(t.as_bytes());
        assert!(m("4930*", "4930123"));
        assert!(m("4930*", "4930"));
        assert!(!m("4930*", "493"));
        assert!(m("*123", "49123"));
        assert!(!m("*123", "491234"));
        assert!(m("49?0", "4920"));
        assert!(!m("49?0", "490"));
        assert!(m("*", ""));
        assert!(m("*2*4*", "1234"));
        assert!(!m("*2*5*", "1234"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(m("exact", "exact"));
        assert!(!m("exact", "exactly"));
        assert!(m("??", "ab") && !m("??", "a"));
    }

    #[test]
    fn literal_parts() {
        let g = Glob::new("49*30?5");
        assert_eq!(g.literal_prefix(), b"49");
        assert_eq!(g.literal_suffix(), b"5");
        assert!(!g.is_literal());
        assert!(Glob::new("100").is_literal());
        assert_eq!(Glob::new("*55").literal_prefix(), b"");
        assert_eq!(Glob::new("*55").literal_suffix(), b"55");
    }
}
