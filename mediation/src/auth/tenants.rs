//! Tenants: a tenant's users see only the calls of its probes/SBCs, networks or realms.
//! Matching is pure; [`TenantStore`] keeps the definitions in `data_dir/tenants.json`.
use crate::storage::CallSummary;
use crate::storage::glob::Glob;
use anyhow::{Context, bail};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A tenant. A call belongs to it when any criterion matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    pub name: String,
    /// Source names with `*`/`?` wildcards: a probe's or HEP agent's name, `sbc:ADDR`, ...
    #[serde(default)]
    pub sources: Vec<String>,
    /// Networks (CIDR): a call with a signalling address inside belongs to the tenant.
    #[serde(default)]
    pub networks: Vec<IpNet>,
    /// SIP domains of the From/To URIs or SBC realms, with wildcards.
    #[serde(default)]
    pub realms: Vec<String>,
}

impl Tenant {
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.name.trim().is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            bail!(
                "tenant name {:?}: use letters, digits, '-', '_' or '.'",
                self.name
            );
        }
        if self.sources.is_empty() && self.networks.is_empty() && self.realms.is_empty() {
            bail!(
                "tenant {:?} has no sources, networks or realms: it would see nothing",
                self.name
            );
        }
        Ok(())
    }

    /// Whether the call belongs to this tenant by its source or addresses.
    fn covers_summary(&self, s: &CallSummary) -> bool {
        self.sources
            .iter()
            .any(|g| Glob::new(g).matches(s.source.as_bytes()))
            || s.ips
                .iter()
                .any(|ip| self.networks.iter().any(|n| n.contains(ip)))
    }

    /// Whether the call belongs to this tenant. `record` gives the call record JSON, needed
    /// only for realm criteria (it is not loaded otherwise).
    pub fn covers(
        &self,
        s: &CallSummary,
        record: impl FnOnce() -> Option<serde_json::Value>,
    ) -> bool {
        if self.covers_summary(s) {
            return true;
        }
        if self.realms.is_empty() {
            return false;
        }
        let Some(r) = record() else { return false };
        realms_of(&r)
            .iter()
            .any(|realm| self.realms.iter().any(|g| glob_ci(g, realm)))
    }
}

fn glob_ci(pattern: &str, text: &str) -> bool {
    Glob::new(&pattern.to_ascii_lowercase()).matches(text.to_ascii_lowercase().as_bytes())
}

/// The host part of a SIP/SIPS URI (`"Bob" <sip:bob@example.com;user=phone>` → example.com).
fn uri_domain(uri: &str) -> Option<&str> {
    let start = uri
        .find("sip:")
        .map(|i| i + 4)
        .or_else(|| uri.find("sips:").map(|i| i + 5))?;
    let rest = uri.get(start..)?;
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    let end = host.find([';', '>', ':', '?', ' ']).unwrap_or(host.len());
    host.get(..end).filter(|h| !h.is_empty())
}

/// Realms of a stored call record: From/To domains of the call and its legs, SBC realms.
fn realms_of(record: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push_uri = |v: Option<&serde_json::Value>| {
        if let Some(d) = v.and_then(|v| v.as_str()).and_then(uri_domain) {
            out.push(d.to_owned());
        }
    };
    push_uri(record.get("from"));
    push_uri(record.get("to"));
    for leg in record
        .get("legs")
        .and_then(|l| l.as_array())
        .into_iter()
        .flatten()
    {
        push_uri(leg.get("from"));
        push_uri(leg.get("to"));
    }
    for q in record
        .get("sbc_qos")
        .and_then(|l| l.as_array())
        .into_iter()
        .flatten()
    {
        for k in ["inc_realm", "out_realm"] {
            if let Some(r) = q.get(k).and_then(|v| v.as_str()).filter(|r| !r.is_empty()) {
                out.push(r.to_owned());
            }
        }
    }
    out
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TenantFile {
    tenants: Vec<Tenant>,
}

/// Tenant definitions in `data_dir/tenants.json`.
#[derive(Debug)]
pub struct TenantStore {
    path: PathBuf,
    tenants: Vec<Arc<Tenant>>,
}

impl TenantStore {
    pub fn load(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join("tenants.json");
        let tenants = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice::<TenantFile>(&b)
                .with_context(|| format!("{} is not a valid tenant file", path.display()))?
                .tenants
                .into_iter()
                .map(Arc::new)
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Self { path, tenants })
    }

    pub fn get(&self, name: &str) -> Option<Arc<Tenant>> {
        self.tenants.iter().find(|t| t.name == name).cloned()
    }

    pub fn list(&self) -> &[Arc<Tenant>] {
        &self.tenants
    }

    /// Adds or replaces a tenant.
    pub fn put(&mut self, t: Tenant) -> anyhow::Result<()> {
        t.validate()?;
        let t = Arc::new(t);
        match self.tenants.iter_mut().find(|x| x.name == t.name) {
            Some(x) => *x = t,
            None => self.tenants.push(t),
        }
        self.save()
    }

    pub fn remove(&mut self, name: &str) -> anyhow::Result<bool> {
        let before = self.tenants.len();
        self.tenants.retain(|t| t.name != name);
        let removed = self.tenants.len() != before;
        if removed {
            self.save()?;
        }
        Ok(removed)
    }

    fn save(&self) -> anyhow::Result<()> {
        let file = TenantFile {
            tenants: self.tenants.iter().map(|t| (**t).clone()).collect(),
        };
        super::users::write_private(&self.path, &serde_json::to_vec_pretty(&file)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::CallId;

    fn summary(source: &str, ips: &[&str]) -> CallSummary {
        CallSummary {
            id: CallId { start: 1, seq: 1 },
            start: 1,
            end: 2,
            call_ids: vec!["c1".into()],
            from_user: "100".into(),
            to_user: "200".into(),
            ips: ips.iter().map(|i| i.parse().unwrap()).collect(),
            final_status: Some(200),
            duration: None,
            worst_mos: None,
            source: source.into(),
        }
    }

    #[test]
    fn sources_networks_and_realms() {
        let t = Tenant {
            name: "acme".into(),
            sources: vec!["probe-acme-*".into()],
            networks: vec!["10.1.0.0/16".parse().unwrap()],
            realms: vec!["*.acme.example".into()],
        };
        t.validate().unwrap();
        let none = || None;
        assert!(t.covers(&summary("probe-acme-paris", &["192.0.2.1"]), none));
        assert!(t.covers(&summary("other", &["192.0.2.1", "10.1.2.3"]), none));
        assert!(!t.covers(&summary("other", &["10.2.0.1"]), none));
        let rec = serde_json::json!({
            "from": "\"A\" <sip:100@pbx.ACME.example;user=phone>",
            "to": "sip:200@carrier.example",
        });
        assert!(t.covers(&summary("other", &[]), || Some(rec.clone())));
        let sbc = serde_json::json!({"sbc_qos": [{"inc_realm": "pbx.acme.example", "out_realm": "core"}]});
        assert!(t.covers(&summary("other", &[]), || Some(sbc)));
        assert!(!t.covers(&summary("other", &[]), || Some(
            serde_json::json!({"from": "sip:1@x.example"})
        )));
    }

    #[test]
    fn a_tenant_must_select_something() {
        let t = Tenant {
            name: "empty".into(),
            sources: vec![],
            networks: vec![],
            realms: vec![],
        };
        assert!(t.validate().is_err());
    }

    #[test]
    fn uri_domains() {
        assert_eq!(uri_domain("sip:bob@example.com"), Some("example.com"));
        assert_eq!(uri_domain("<sips:example.com:5061>"), Some("example.com"));
        assert_eq!(uri_domain("tel:+331234"), None);
    }
}
