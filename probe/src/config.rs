//! The probe's TOML configuration, its documented defaults, and validation at start.
//!
//! [`Config::from_toml`] parses (unknown keys are errors) and [`Config::validate`] checks the
//! values together; every error says which key is wrong and what to write instead. A probe
//! started without a file uses [`Config::default`], which is spelled out in
//! `probe/probe.example.toml` (a test keeps the two in step).
//!
//! Exactly one capture source is configured: `[capture.live]` (an interface) or
//! `[capture.file]` (a pcap/pcapng replayed at recorded or maximum speed). Without either, the
//! default is a live capture on interface `any`.
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default TCP port of the mediation engine's HEP-over-TLS listener.
pub const DEFAULT_ENGINE_PORT: u16 = 4742;

/// Whole configuration. `Default` gives the documented defaults of every field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub agent: AgentConfig,
    pub capture: CaptureConfig,
    pub engine: EngineConfig,
    pub tls: TlsConfig,
    pub spool: SpoolSection,
    pub status: StatusConfig,
    pub privileges: PrivilegesConfig,
}

/// `[agent]`: how this probe names itself to the engine.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// HEP capture agent id (HEP chunk 0x000c). Default 2001 (heplify uses 2001 too; give
    /// each probe its own id so the engine can tell them apart).
    pub id: u32,
    /// Human-readable name sent to the engine. Default: empty, meaning the host name.
    pub name: String,
    /// How often stream reports are produced and the counters are logged, in seconds.
    /// Default 5.
    pub report_interval_secs: u64,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            id: 2001,
            name: String::new(),
            report_interval_secs: 5,
        }
    }
}

/// `[capture]`: one of `live` or `file`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureConfig {
    pub live: Option<LiveConfig>,
    pub file: Option<FileConfig>,
}

/// `[capture.live]`: capture from a network interface through libpcap (on Linux a
/// TPACKET_V3 memory-mapped ring).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// Interface name (`eth1`, or `any` for all interfaces). Default `any`.
    pub interface: String,
    /// BPF filter in tcpdump syntax; empty captures everything. Default empty.
    pub filter: String,
    /// Bytes kept of each packet. Default 65535 (whole packets: SIP messages are large).
    pub snaplen: u32,
    /// Kernel ring buffer size in MiB. Default 64. Raise it when kernel drops are counted.
    pub buffer_mib: u32,
    /// Put the interface in promiscuous mode. Default true (a mirror port delivers traffic
    /// addressed to other hosts).
    pub promisc: bool,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            interface: "any".into(),
            filter: String::new(),
            snaplen: 65_535,
            buffer_mib: 64,
            promisc: true,
        }
    }
}

/// `[capture.file]`: replay a capture file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// pcap or pcapng file. Required. It is opened after privileges are dropped, so it must be
    /// readable by `privileges.user`.
    pub path: PathBuf,
    /// `"recorded"` (the file's own pacing), `"max"` (as fast as possible) or a number: a
    /// factor of the recorded speed (`2.0` is twice as fast). Default `"recorded"`.
    #[serde(default)]
    pub speed: Speed,
}

/// Replay pacing of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Speed {
    /// Frames are handed on at the intervals recorded in the file.
    #[default]
    Recorded,
    /// As fast as the analysis takes them.
    Max,
    /// Recorded intervals divided by this factor (greater than 0).
    Factor(f64),
}

impl Serialize for Speed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Recorded => s.serialize_str("recorded"),
            Self::Max => s.serialize_str("max"),
            Self::Factor(f) => s.serialize_f64(*f),
        }
    }
}

impl<'de> Deserialize<'de> for Speed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Float(f64),
            Int(i64),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "recorded" => Ok(Self::Recorded),
            Raw::Word(w) if w == "max" => Ok(Self::Max),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "speed \"{w}\" is not known: write \"recorded\", \"max\" or a number such as 2.0"
            ))),
            Raw::Float(f) => Ok(Self::Factor(f)),
            #[allow(clippy::cast_precision_loss)] // small speed factors
            Raw::Int(i) => Ok(Self::Factor(i as f64)),
        }
    }
}

/// `[engine]`: where the HEP records go.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Mediation engine address, `IP:port`. Default `127.0.0.1:4742`.
    #[serde(deserialize_with = "socket_addr")]
    pub address: SocketAddr,
    /// Name the engine's certificate must carry (SAN), checked during the TLS handshake.
    /// Default `localhost`.
    pub server_name: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            address: SocketAddr::from(([127, 0, 0, 1], DEFAULT_ENGINE_PORT)),
            server_name: "localhost".into(),
        }
    }
}

fn socket_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "{s:?} is not an IP address and port; write e.g. \"192.0.2.10:4742\" or \"[2001:db8::1]:4742\""
        ))
    })
}

/// `[tls]`: the probe's client certificate and the engine certificates it trusts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM private key of this probe. Default `/etc/callscope/probe.key`.
    pub key: PathBuf,
    /// PEM certificate (chain) of this probe. Default `/etc/callscope/probe.crt`.
    pub cert: PathBuf,
    /// PEM certificates of the engine (or its CA) to trust. Default
    /// `/etc/callscope/engine-trust.pem`.
    pub engine_trust: PathBuf,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            key: "/etc/callscope/probe.key".into(),
            cert: "/etc/callscope/probe.crt".into(),
            engine_trust: "/etc/callscope/engine-trust.pem".into(),
        }
    }
}

/// `[spool]`: the disk buffer that holds records until the engine acknowledges them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolSection {
    /// Directory of the spool (created if missing; must be writable by `privileges.user`).
    /// Default `/var/spool/callscope-probe`.
    pub dir: PathBuf,
    /// Most bytes the spool may hold on disk; beyond, new records are dropped and counted.
    /// Default 1073741824 (1 GiB). At least 1 MiB.
    pub max_bytes: u64,
}

impl Default for SpoolSection {
    fn default() -> Self {
        Self {
            dir: "/var/spool/callscope-probe".into(),
            max_bytes: 1 << 30,
        }
    }
}

/// `[status]`: the local status endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusConfig {
    /// Unix domain socket answering one JSON document of counters per connection (mode 0600).
    /// Default `/run/callscope-probe/status.sock`.
    pub socket: PathBuf,
}

impl Default for StatusConfig {
    fn default() -> Self {
        Self {
            socket: "/run/callscope-probe/status.sock".into(),
        }
    }
}

/// `[privileges]`: whom to run as once the capture is open.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivilegesConfig {
    /// User to switch to after opening the capture (when started as root). Empty: stay as
    /// started. Default `callscope`.
    pub user: String,
    /// Group to switch to. Empty: the user's primary group. Default empty.
    pub group: String,
}

impl Default for PrivilegesConfig {
    fn default() -> Self {
        Self {
            user: "callscope".into(),
            group: String::new(),
        }
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}; check the path and its permissions")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{source_name} is not valid: {message}; see probe.example.toml for every key and its default"
    )]
    Parse {
        /// "config file PATH", or "config" for text not read from a file.
        source_name: String,
        message: String,
    },
    #[error("config key {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

/// The capture source after validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Live(LiveConfig),
    File(FileConfig),
}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let cfg = Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                source_name: format!("config file {}", path.display()),
                message,
            },
            other => other,
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses TOML text (no validation beyond types and known keys).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            source_name: "config".into(),
            message: e.to_string(),
        })
    }

    /// Checks the values together. Paths are not opened here (TLS files are read by the
    /// sender, the spool directory is created by the spool), so a config can be checked on
    /// another machine.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.capture;
        if c.live.is_some() && c.file.is_some() {
            return Err(invalid(
                "capture",
                "both [capture.live] and [capture.file] are set; keep only one capture source",
            ));
        }
        if let Some(live) = &c.live {
            if live.interface.trim().is_empty() {
                return Err(invalid(
                    "capture.live.interface",
                    "is empty; name an interface such as \"eth1\", or \"any\"",
                ));
            }
            if !(64..=262_144).contains(&live.snaplen) {
                return Err(invalid(
                    "capture.live.snaplen",
                    format!(
                        "{} is out of range; use 64..=262144 (65535 keeps whole packets)",
                        live.snaplen
                    ),
                ));
            }
            if !(1..=4096).contains(&live.buffer_mib) {
                return Err(invalid(
                    "capture.live.buffer_mib",
                    format!("{} is out of range; use 1..=4096 MiB", live.buffer_mib),
                ));
            }
        }
        if let Some(file) = &c.file {
            if file.path.as_os_str().is_empty() {
                return Err(invalid(
                    "capture.file.path",
                    "is empty; give the pcap or pcapng file to replay",
                ));
            }
            if let Speed::Factor(f) = file.speed
                && !(f.is_finite() && f > 0.0)
            {
                return Err(invalid(
                    "capture.file.speed",
                    format!(
                        "{f} is not a positive speed factor; write \"recorded\", \"max\" or a number > 0"
                    ),
                ));
            }
        }
        if self.engine.server_name.trim().is_empty() {
            return Err(invalid(
                "engine.server_name",
                "is empty; give the name in the engine's certificate (e.g. its host name)",
            ));
        }
        if self.engine.address.port() == 0 {
            return Err(invalid(
                "engine.address",
                "port 0 is not a port; the engine listens on 4742 by default",
            ));
        }
        for (key, p) in [
            ("tls.key", &self.tls.key),
            ("tls.cert", &self.tls.cert),
            ("tls.engine_trust", &self.tls.engine_trust),
        ] {
            if p.as_os_str().is_empty() {
                return Err(invalid(key, "is empty; give the path of a PEM file"));
            }
        }
        if self.spool.dir.as_os_str().is_empty() {
            return Err(invalid(
                "spool.dir",
                "is empty; give a directory on a local disk",
            ));
        }
        if self.spool.max_bytes < 1 << 20 {
            return Err(invalid(
                "spool.max_bytes",
                format!(
                    "{} bytes is too small; give at least 1048576 (1 MiB), default 1 GiB",
                    self.spool.max_bytes
                ),
            ));
        }
        if !(1..=3600).contains(&self.agent.report_interval_secs) {
            return Err(invalid(
                "agent.report_interval_secs",
                format!(
                    "{} is out of range; use 1..=3600 seconds (default 5)",
                    self.agent.report_interval_secs
                ),
            ));
        }
        if self.status.socket.as_os_str().is_empty() {
            return Err(invalid(
                "status.socket",
                "is empty; give a path for the status socket",
            ));
        }
        if self.privileges.user.is_empty() && !self.privileges.group.is_empty() {
            return Err(invalid(
                "privileges.group",
                "is set without privileges.user; set the user too, or remove the group",
            ));
        }
        Ok(())
    }

    /// The capture source: `[capture.file]`, `[capture.live]`, or by default a live capture
    /// on `any`.
    pub fn source(&self) -> Source {
        match (&self.capture.file, &self.capture.live) {
            (Some(f), _) => Source::File(f.clone()),
            (None, Some(l)) => Source::Live(l.clone()),
            (None, None) => Source::Live(LiveConfig::default()),
        }
    }

    pub fn report_interval(&self) -> Duration {
        Duration::from_secs(self.agent.report_interval_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("probe.example.toml");
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn example_file_is_the_defaults() {
        let cfg = Config::from_toml(&example()).unwrap();
        cfg.validate().unwrap();
        let mut expected = Config::default();
        expected.capture.live = Some(LiveConfig::default());
        assert_eq!(cfg, expected);
        assert_eq!(cfg.source(), Config::default().source());
    }

    #[test]
    fn empty_file_gives_defaults() {
        let cfg = Config::from_toml("").unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg, Config::default());
        assert_eq!(cfg.engine.address.to_string(), "127.0.0.1:4742");
        assert_eq!(cfg.spool.max_bytes, 1 << 30);
        assert_eq!(cfg.report_interval(), Duration::from_secs(5));
    }

    #[test]
    fn file_source_and_speeds() {
        for (text, speed) in [
            ("", Speed::Recorded),
            ("speed = \"max\"", Speed::Max),
            ("speed = \"recorded\"", Speed::Recorded),
            ("speed = 2.5", Speed::Factor(2.5)),
            ("speed = 3", Speed::Factor(3.0)),
        ] {
            let cfg =
                Config::from_toml(&format!("[capture.file]\npath = \"a.pcap\"\n{text}")).unwrap();
            cfg.validate().unwrap();
            let Source::File(f) = cfg.source() else {
                panic!("not a file source")
            };
            assert_eq!(f.speed, speed, "{text}");
        }
    }

    #[test]
    fn errors_name_the_key_and_the_fix() {
        let cases = [
            (
                "[capture.file]\npath = \"a\"\n[capture.live]\n",
                "keep only one",
            ),
            ("[capture.file]\npath = \"a\"\nspeed = \"fast\"", "\"max\""),
            (
                "[capture.file]\npath = \"a\"\nspeed = 0",
                "capture.file.speed",
            ),
            ("[capture.live]\nsnaplen = 10", "capture.live.snaplen"),
            ("[capture.live]\ninterface = \"\"", "capture.live.interface"),
            ("[spool]\nmax_bytes = 10", "spool.max_bytes"),
            ("[engine]\naddress = \"nowhere\"", "192.0.2.10:4742"),
            ("[engine]\nserver_name = \"\"", "engine.server_name"),
            (
                "[agent]\nreport_interval_secs = 0",
                "agent.report_interval_secs",
            ),
            (
                "[privileges]\nuser = \"\"\ngroup = \"x\"",
                "privileges.group",
            ),
            ("[spool]\nsize = 1", "unknown field"),
        ];
        for (text, needle) in cases {
            let err = Config::from_toml(text)
                .and_then(|c| c.validate().map(|()| c))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
