//! Groups legs into calls. Legs with one Call-ID are already one leg; B2BUA legs (a new
//! Call-ID on the far side) are linked by correlation headers, or failing those by a bounded
//! heuristic. Union-find over leg indexes; each link records why it was made.
use super::leg::Leg;
use std::collections::HashMap;

/// Why two legs were put in one call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "value")]
pub enum LinkReason {
    /// The first leg of a call.
    Root,
    /// Shared correlation header value (header name, value).
    Header(String, String),
    /// Heuristic: same called number, INVITE forwarded by the host that received the first,
    /// within the time window.
    Heuristic(String),
}

/// Correlation settings. Defaults: the headers of DESIGN.md and the heuristic on.
#[derive(Debug, Clone)]
pub struct CorrelationConfig {
    /// Header names (lower case) whose values link legs. `session-id` is read per RFC 7989
    /// (local and remote UUIDs), `p-charging-vector` by its `icid-value`, others whole.
    pub headers: Vec<String>,
    /// Link B2BUA legs by number, timing and address when no header does.
    pub heuristic: bool,
    /// Heuristic window between the two INVITEs, nanoseconds. Default 2 s.
    pub heuristic_window_ns: u64,
}

impl Default for CorrelationConfig {
    fn default() -> Self {
        Self {
            headers: ["session-id", "x-cid", "p-charging-vector", "x-call-id"]
                .map(String::from)
                .to_vec(),
            heuristic: true,
            heuristic_window_ns: 2_000_000_000,
        }
    }
}

/// One call: the legs it groups (indexes into the leg list) and how each joined.
#[derive(Debug, Clone)]
pub struct CallGroup {
    /// (leg index, why it is in this call), in order of first appearance.
    pub legs: Vec<(usize, LinkReason)>,
}

/// Groups `legs` into calls. Legs that are not calls (REGISTER, OPTIONS, ...) are not grouped
/// and not returned. Deterministic: output order follows first appearance.
pub fn group_legs(legs: &[Leg], cfg: &CorrelationConfig) -> Vec<CallGroup> {
    let n = legs.len();
    let mut uf = UnionFind::new(n);
    let mut reason: Vec<Option<LinkReason>> = vec![None; n];
    let calls: Vec<usize> = (0..n)
        .filter(|&i| legs.get(i).is_some_and(Leg::is_call))
        .collect();

    // Header tokens: (header, token) -> first leg that carried it.
    let by_call_id: HashMap<&str, usize> = calls
        .iter()
        .filter_map(|&i| Some((legs.get(i)?.call_id.as_str(), i)))
        .collect();
    let mut first_with: HashMap<(String, String), usize> = HashMap::new();
    for &i in &calls {
        let Some(leg) = legs.get(i) else { continue };
        for (name, value) in &leg.correlation {
            if !cfg.headers.iter().any(|h| h == name) {
                continue;
            }
            for token in tokens(name, value) {
                // X-CID / X-Call-ID usually carry the other leg's Call-ID.
                if let Some(&j) = by_call_id.get(token.as_str())
                    && j != i
                    && uf.union(j, i)
                {
                    reason[i.max(j)].get_or_insert(LinkReason::Header(name.clone(), token.clone()));
                }
                match first_with.get(&(name.clone(), token.clone())) {
                    Some(&j) if j != i => {
                        if uf.union(j, i) {
                            reason[i.max(j)]
                                .get_or_insert(LinkReason::Header(name.clone(), token.clone()));
                        }
                    }
                    Some(_) => {}
                    None => {
                        first_with.insert((name.clone(), token), i);
                    }
                }
            }
        }
    }

    if cfg.heuristic {
        link_heuristic(legs, &calls, cfg, &mut uf, &mut reason);
    }

    let mut groups: Vec<CallGroup> = Vec::new();
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    for &i in &calls {
        let root = uf.find(i);
        let g = *group_of_root.entry(root).or_insert_with(|| {
            groups.push(CallGroup { legs: Vec::new() });
            groups.len() - 1
        });
        let why = if groups.get(g).is_some_and(|gr| gr.legs.is_empty()) {
            LinkReason::Root
        } else {
            reason
                .get_mut(i)
                .and_then(Option::take)
                .unwrap_or(LinkReason::Root)
        };
        if let Some(gr) = groups.get_mut(g) {
            gr.legs.push((i, why));
        }
    }
    groups
}

/// The values of a correlation header that identify a session.
fn tokens(name: &str, value: &str) -> Vec<String> {
    match name {
        // RFC 7989: `local-uuid;remote=remote-uuid`; the null UUID means "not known yet".
        "session-id" => {
            let mut out = Vec::new();
            let mut parts = value.split(';');
            if let Some(local) = parts.next() {
                out.push(local.trim().to_ascii_lowercase());
            }
            for p in parts {
                if let Some(r) = p.trim().strip_prefix("remote=") {
                    out.push(r.trim().to_ascii_lowercase());
                }
            }
            out.retain(|u| !u.is_empty() && u.bytes().any(|b| b != b'0'));
            out
        }
        "p-charging-vector" => value
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("icid-value="))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .filter(|v| !v.is_empty())
            .collect(),
        _ => {
            let v = value.trim();
            if v.is_empty() {
                Vec::new()
            } else {
                vec![v.to_owned()]
            }
        }
    }
}

/// Pairs each unlinked leg with at most one earlier leg: same called number (user part, or
/// one a suffix of the other with at least 6 digits), the second INVITE sent by the host that
/// received the first, within the window. Each leg gets at most one heuristic parent and child.
fn link_heuristic(
    legs: &[Leg],
    calls: &[usize],
    cfg: &CorrelationConfig,
    uf: &mut UnionFind,
    reason: &mut [Option<LinkReason>],
) {
    let mut has_child = vec![false; legs.len()];
    // Candidates by the address their first INVITE went to, sorted by INVITE time: a leg only
    // looks at legs sent to its own sender within the window (O(L log L), not O(L^2): the
    // engine regroups its open legs every second).
    let mut by_dst: HashMap<std::net::IpAddr, Vec<(u64, usize, usize)>> = HashMap::new();
    for (pos, &a) in calls.iter().enumerate() {
        if let Some(la) = legs.get(a)
            && let (Some(ta), Some(hop_a)) = (la.invite_ts, la.hops.first())
        {
            by_dst.entry(hop_a.dst.ip).or_default().push((ta, pos, a));
        }
    }
    for v in by_dst.values_mut() {
        v.sort_unstable();
    }
    for (pos, &b) in calls.iter().enumerate() {
        let Some(lb) = legs.get(b) else { continue };
        let (Some(tb), Some(hop_b)) = (lb.invite_ts, lb.hops.first()) else {
            continue;
        };
        let Some(bucket) = by_dst.get(&hop_b.src.ip) else {
            continue;
        };
        let lo = tb.saturating_sub(cfg.heuristic_window_ns);
        let first = bucket.partition_point(|&(ta, _, _)| ta < lo);
        // Closest INVITE first; among equal times the earliest leg (as a scan in order).
        let mut best: Option<(u64, usize, usize)> = None;
        for &(ta, pos_a, a) in bucket.get(first..).unwrap_or(&[]) {
            if ta > tb {
                break;
            }
            if pos_a >= pos {
                continue;
            }
            let Some(la) = legs.get(a) else { continue };
            if has_child.get(a).copied().unwrap_or(true) || uf.find(a) == uf.find(b) {
                continue;
            }
            if !same_number(&la.to_user, &lb.to_user) {
                continue;
            }
            let dt = tb - ta;
            if best.is_none_or(|(d, p, _)| (dt, pos_a) < (d, p)) {
                best = Some((dt, pos_a, a));
            }
        }
        let best = best.map(|(dt, _, a)| (dt, a));
        if let Some((dt, a)) = best
            && uf.union(a, b)
        {
            if let Some(h) = has_child.get_mut(a) {
                *h = true;
            }
            if let Some(r) = reason.get_mut(b) {
                r.get_or_insert(LinkReason::Heuristic(format!(
                    "same called number, forwarded by {} after {} ms",
                    hop_b.src.ip,
                    dt / 1_000_000
                )));
            }
        }
    }
}

fn same_number(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    if a.eq_ignore_ascii_case(b) && !a.is_empty() {
        return true;
    }
    let (da, db) = (digits(a), digits(b));
    da.len() >= 6 && db.len() >= 6 && (da.ends_with(&db) || db.ends_with(&da))
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while let Some(&p) = self.parent.get(x) {
            if p == x {
                break;
            }
            let gp = self.parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(x) {
                *slot = gp;
            }
            x = gp;
        }
        x
    }

    /// Joins the sets; the smaller index stays root so groups keep first-appearance order.
    /// Returns false when they were already one set.
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        if let Some(slot) = self.parent.get_mut(child) {
            *slot = root;
        }
        true
    }
}
