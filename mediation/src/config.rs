//! `callscope-mediation serve` configuration: TOML, every key optional, validated at start.
//! Every default is written in `mediation/callscope.example.toml` (kept in sync by a test).
use anyhow::{Context, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the engine keeps its database, TLS identity, trust store and API keys.
    pub data_dir: PathBuf,
    pub tls: TlsConfig,
    pub hep: HepConfig,
    pub sbc: SbcConfig,
    pub https: HttpsConfig,
    pub storage: StorageConfig,
    pub calls: CallsConfig,
    /// The embedded probe: capture an interface or read a capture file in the engine itself.
    pub capture: Option<CaptureConfig>,
    /// Users, sessions, login policy.
    pub auth: crate::auth::config::AuthConfig,
    /// SHA-256 of the configuration file as read (audited at start: a changed configuration
    /// shows as a changed digest).
    #[serde(skip)]
    pub digest: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// Subject common name of the engine's self-signed certificate (made at first start).
    pub common_name: String,
    /// Subject alternative names of that certificate (probes check them).
    pub dns_sans: Vec<String>,
    pub ip_sans: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HepConfig {
    /// HEP over TLS with client certificates ("" turns it off).
    pub tls_listen: String,
    /// HEP over cleartext TCP: off unless set (logged as insecure at every start).
    pub tcp_listen: String,
    /// HEP over UDP (Kamailio siptrace, sngrep, FreeSWITCH): off unless set (insecure).
    pub udp_listen: String,
    /// A file holding the HEP authentication key (chunk 0x000e) agents must send; none by
    /// default. A file, never a command-line argument: keys do not belong in `ps` output.
    pub auth_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SbcConfig {
    /// SBC export (IPFIX framing) over TLS ("" turns it off).
    pub tls_listen: String,
    /// SBC export over cleartext TCP (the SBC's own default port 4739): off unless set.
    pub tcp_listen: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpsConfig {
    /// Web UI and REST API, HTTPS only.
    pub listen: String,
    /// A cleartext listener that only redirects browsers to the HTTPS port (never serves
    /// data). Off unless set.
    pub http_redirect_listen: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Calls and messages older than this are deleted.
    pub max_age_days: u32,
    /// The database is kept below this size (oldest first), whatever the age.
    pub max_bytes: u64,
    /// How often retention runs (ingest never stops for it).
    pub retention_interval_s: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallsConfig {
    /// An ended call is kept open this long for late messages before it is stored.
    pub linger_s: u64,
    /// A call with no message and no media for this long is closed whatever its state.
    pub idle_timeout_s: u64,
    /// After a restart with calls open, call timers wait this long so probes reconnect and
    /// re-send what the engine had not acknowledged.
    pub restart_grace_s: u64,
    /// Headers that link B2BUA legs into one call.
    pub correlation_headers: Vec<String>,
    /// Link legs by numbers, timing and media when no header does.
    pub leg_heuristic: bool,
    /// Find RTP by content when no SDP announced it (embedded probe only).
    pub rtp_heuristic: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureConfig {
    /// Network interface to capture on (needs CAP_NET_RAW), or ...
    pub interface: Option<String>,
    /// ... a capture file (pcap or pcapng) to import.
    pub file: Option<PathBuf>,
    /// BPF filter for the interface (default: everything).
    #[serde(default)]
    pub filter: String,
    /// Name this capture point has in stored calls.
    #[serde(default = "default_capture_name")]
    pub name: String,
}

fn default_capture_name() -> String {
    "embedded".into()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("callscope-data"),
            tls: TlsConfig::default(),
            hep: HepConfig::default(),
            sbc: SbcConfig::default(),
            https: HttpsConfig::default(),
            storage: StorageConfig::default(),
            calls: CallsConfig::default(),
            capture: None,
            auth: crate::auth::config::AuthConfig::default(),
            digest: String::new(),
        }
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            common_name: "callscope-mediation".into(),
            dns_sans: vec!["localhost".into()],
            ip_sans: vec![
                std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::Ipv6Addr::LOCALHOST.into(),
            ],
        }
    }
}

impl Default for HepConfig {
    fn default() -> Self {
        Self {
            tls_listen: "0.0.0.0:4742".into(),
            tcp_listen: String::new(),
            udp_listen: String::new(),
            auth_key_file: None,
        }
    }
}

impl Default for SbcConfig {
    fn default() -> Self {
        Self {
            tls_listen: "0.0.0.0:4740".into(),
            tcp_listen: String::new(),
        }
    }
}

impl Default for HttpsConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8443".into(),
            http_redirect_listen: String::new(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            max_age_days: 30,
            max_bytes: 100 * 1024 * 1024 * 1024,
            retention_interval_s: 60,
        }
    }
}

impl Default for CallsConfig {
    fn default() -> Self {
        let c = callscope_shared::calls::CorrelationConfig::default();
        Self {
            linger_s: 32,
            idle_timeout_s: 4 * 3600,
            restart_grace_s: 60,
            correlation_headers: c.headers,
            leg_heuristic: c.heuristic,
            rtp_heuristic: false,
        }
    }
}

/// Listening addresses after validation (`None` = off).
#[derive(Debug, Clone, Copy)]
pub struct Listeners {
    pub hep_tls: Option<SocketAddr>,
    pub hep_tcp: Option<SocketAddr>,
    pub hep_udp: Option<SocketAddr>,
    pub sbc_tls: Option<SocketAddr>,
    pub sbc_tcp: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub http_redirect: Option<SocketAddr>,
}

fn addr(key: &str, v: &str) -> anyhow::Result<Option<SocketAddr>> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).with_context(|| {
        format!("{key} = {v:?} is not an address: write IP:PORT (e.g. \"0.0.0.0:4742\"), or \"\" to turn it off")
    })
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let mut cfg: Config = toml::from_str(&text)
            .with_context(|| format!("{}: invalid configuration", path.display()))?;
        cfg.validate()?;
        use sha2::Digest;
        cfg.digest = hex::encode(sha2::Sha256::digest(text.as_bytes()));
        Ok(cfg)
    }

    pub fn validate(&self) -> anyhow::Result<Listeners> {
        let l = Listeners {
            hep_tls: addr("hep.tls_listen", &self.hep.tls_listen)?,
            hep_tcp: addr("hep.tcp_listen", &self.hep.tcp_listen)?,
            hep_udp: addr("hep.udp_listen", &self.hep.udp_listen)?,
            sbc_tls: addr("sbc.tls_listen", &self.sbc.tls_listen)?,
            sbc_tcp: addr("sbc.tcp_listen", &self.sbc.tcp_listen)?,
            https: addr("https.listen", &self.https.listen)?,
            http_redirect: addr(
                "https.http_redirect_listen",
                &self.https.http_redirect_listen,
            )?,
        };
        if l.http_redirect.is_some() && l.https.is_none() {
            bail!("https.http_redirect_listen needs https.listen: there is nothing to redirect to");
        }
        self.auth.validate()?;
        if self.storage.max_age_days == 0 {
            bail!("storage.max_age_days must be at least 1");
        }
        if self.storage.max_bytes < 64 * 1024 * 1024 {
            bail!("storage.max_bytes must be at least 64 MiB (67108864)");
        }
        if self.calls.linger_s == 0 || self.calls.idle_timeout_s < self.calls.linger_s {
            bail!("calls.linger_s must be > 0 and calls.idle_timeout_s >= calls.linger_s");
        }
        if let Some(c) = &self.capture {
            match (&c.interface, &c.file) {
                (Some(_), Some(_)) => {
                    bail!("[capture] takes either interface or file, not both")
                }
                (None, None) => bail!(
                    "[capture] needs interface = \"eth0\" (live) or file = \"x.pcap\" (import)"
                ),
                (None, Some(f)) if !f.exists() => {
                    bail!("[capture] file {} does not exist", f.display())
                }
                _ => {}
            }
        }
        Ok(l)
    }

    pub fn policy(&self) -> callscope_shared::analysis::live::LivePolicy {
        callscope_shared::analysis::live::LivePolicy {
            linger: self.calls.linger_s * 1_000_000_000,
            idle_timeout: self.calls.idle_timeout_s * 1_000_000_000,
            restart_grace: self.calls.restart_grace_s * 1_000_000_000,
            ..Default::default()
        }
    }

    pub fn analyzer(&self) -> callscope_shared::analysis::AnalyzerConfig {
        let mut a = callscope_shared::analysis::AnalyzerConfig {
            rtp_heuristic: self.calls.rtp_heuristic,
            ..Default::default()
        };
        a.correlation.headers = self.calls.correlation_headers.clone();
        a.correlation.heuristic = self.calls.leg_heuristic;
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_is_valid_and_states_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("callscope.example.toml");
        let cfg = Config::load(&path).unwrap();
        let d = Config::default();
        assert_eq!(cfg.hep.tls_listen, d.hep.tls_listen);
        assert_eq!(cfg.sbc.tls_listen, d.sbc.tls_listen);
        assert_eq!(cfg.https.listen, d.https.listen);
        assert_eq!(cfg.storage.max_age_days, d.storage.max_age_days);
        assert_eq!(cfg.storage.max_bytes, d.storage.max_bytes);
        assert_eq!(cfg.calls.linger_s, d.calls.linger_s);
        assert_eq!(cfg.calls.idle_timeout_s, d.calls.idle_timeout_s);
        assert_eq!(cfg.calls.restart_grace_s, d.calls.restart_grace_s);
        assert_eq!(cfg.calls.correlation_headers, d.calls.correlation_headers);
        assert_eq!(cfg.data_dir, d.data_dir);
    }

    #[test]
    fn cleartext_listeners_are_off_by_default() {
        let l = Config::default().validate().unwrap();
        assert!(l.hep_tcp.is_none() && l.hep_udp.is_none() && l.sbc_tcp.is_none());
        assert!(l.hep_tls.is_some() && l.sbc_tls.is_some() && l.https.is_some());
    }

    #[test]
    fn errors_say_what_to_write() {
        let cfg: Config = toml::from_str("[hep]\ntcp_listen = \"4741\"").unwrap();
        let e = format!("{:#}", cfg.validate().unwrap_err());
        assert!(e.contains("hep.tcp_listen") && e.contains("IP:PORT"), "{e}");
        let e = toml::from_str::<Config>("[hepp]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("hepp"), "{e}");
    }
}
