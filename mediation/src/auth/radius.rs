//! RADIUS client for password logins: PAP (RFC 2865) with Message-Authenticator (RFC 3579
//! §3.2) in every request and **required** in every reply (replies without a valid one are
//! discarded: the Blast-RADIUS hardening, CVE-2024-3596).
//!
//! Servers are tried in the configured order. To each, the request is sent, then resent
//! `retries` times, each time waiting `timeout_ms` for a verified reply; a retransmission
//! keeps the Identifier and Request Authenticator (RFC 5080 §2.2.1, so a late answer to the
//! first copy still counts), the next server gets a fresh Identifier and Request
//! Authenticator from the operating system's random source. Replies that fail verification
//! are discarded and the wait goes on (RFC 2865 §3), so a forged packet cannot end a login
//! early.
//!
//! Errors separate "no server gave a usable answer" ([`RadiusError::Unreachable`], where a
//! combined login mode may fall back to local accounts) from "a server answered but every
//! answer failed verification" ([`RadiusError::InvalidReplies`]: usually a wrong shared
//! secret or a server that does not sign its replies; no fallback, the operator must fix it).
//!
//! Shared secrets are read from files named in the configuration (never in the configuration
//! text or on a command line) and are never logged, printed by `Debug`, or put in an error.
//!
//! The role comes from the reply's role attribute ([`RadiusConfig::role_attribute`], default
//! `Filter-Id`), whose value is a role name (`admin`, `operator`, `monitor`) or contains
//! `callscope:role=<role>` (for a Class or a vendor attribute such as Cisco-AVPair). Without
//! one, [`RadiusConfig::default_role`] applies; with no default, the accept carries no role
//! and the login layer refuses it.
//!
//! ```toml
//! [auth.radius]
//! servers = [
//!   { address = "10.0.0.5:1812", secret_file = "/etc/callscope/radius1.secret" },
//!   { address = "radius2.example.net", secret_file = "/etc/callscope/radius2.secret" },
//! ]
//! timeout_ms = 3000           # per send
//! retries = 2                 # resends to one server before the next
//! nas_identifier = "callscope"
//! # nas_ip_address = "10.0.0.2"
//! role_attribute = "Filter-Id" # or "Class", "11", "vendor:9:1" (Cisco-AVPair)
//! # default_role = "monitor"  # unset: accepted users without a role are refused
//! ```
//!
//! FreeRADIUS before 3.2.5 does not sign its replies: add to the virtual server's post-auth
//! section `update reply { Message-Authenticator := 0x00 }` (and the same inside
//! `Post-Auth-Type REJECT`), and set `require_message_authenticator = yes` on the client.
use callscope_shared::radius::{self as codec, Code, Packet, VerifiedReply, attr};
use serde::Deserialize;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// The RADIUS authentication port (RFC 2865 §3).
pub const DEFAULT_PORT: u16 = 1812;
/// The role names a reply may carry.
pub const ROLES: [&str; 3] = ["admin", "operator", "monitor"];

/// `[auth.radius]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RadiusConfig {
    /// Tried in this order.
    pub servers: Vec<RadiusServerConfig>,
    /// How long to wait for a reply to each transmission.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retransmissions to one server after the first try (so `retries + 1` sends each).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// NAS-Identifier sent in every request (servers can match clients on it).
    #[serde(default = "default_nas_identifier")]
    pub nas_identifier: String,
    /// NAS-IP-Address sent in every request (optional).
    #[serde(default)]
    pub nas_ip_address: Option<Ipv4Addr>,
    /// Where the role is in an Access-Accept: a standard attribute by name (`Filter-Id`,
    /// `Class`, `Reply-Message`) or number (`11`), or a vendor attribute as
    /// `vendor:<Vendor-Id>:<vendor type>` (for example `vendor:9:1`, Cisco-AVPair).
    #[serde(default = "default_role_attribute")]
    pub role_attribute: String,
    /// The role of an accepted user whose reply names none. Unset: such users are refused.
    #[serde(default)]
    pub default_role: Option<String>,
}

/// One RADIUS server.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RadiusServerConfig {
    /// `host:port` or `host` (port 1812); an IPv6 address with a port as `[addr]:port`.
    pub address: String,
    /// A file holding the shared secret (trailing newline ignored). Keep it mode 0600.
    pub secret_file: PathBuf,
}

impl fmt::Debug for RadiusServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RadiusServerConfig")
            .field("address", &self.address)
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

fn default_timeout_ms() -> u64 {
    3000
}
fn default_retries() -> u32 {
    2
}
fn default_nas_identifier() -> String {
    "callscope".into()
}
fn default_role_attribute() -> String {
    "Filter-Id".into()
}

/// Where a reply carries the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleAttribute {
    /// A standard attribute type (Filter-Id is 11).
    Standard(u8),
    /// A sub-attribute of Vendor-Specific (RFC 2865 §5.26).
    Vendor { vendor_id: u32, vendor_type: u8 },
}

impl RoleAttribute {
    /// Parses `Filter-Id`, `11` or `vendor:9:1`.
    pub fn parse(s: &str) -> Result<Self, RadiusError> {
        let s = s.trim();
        let bad = || {
            RadiusError::Config(format!(
                "role_attribute {s:?} is not an attribute name (Filter-Id, Class, Reply-Message), a number 1-255, or vendor:<Vendor-Id>:<type>"
            ))
        };
        if let Some(rest) = s.strip_prefix("vendor:") {
            let (id, t) = rest.split_once(':').ok_or_else(bad)?;
            return Ok(Self::Vendor {
                vendor_id: id.trim().parse().map_err(|_| bad())?,
                vendor_type: t.trim().parse().map_err(|_| bad())?,
            });
        }
        let t = match s.parse::<u8>() {
            Ok(n) => n,
            Err(_) => attr::by_name(s).ok_or_else(bad)?,
        };
        if matches!(
            t,
            0 | attr::USER_PASSWORD | attr::MESSAGE_AUTHENTICATOR | attr::VENDOR_SPECIFIC
        ) {
            return Err(bad());
        }
        Ok(Self::Standard(t))
    }
}

/// A role name from an attribute value: the name alone, or `callscope:role=<name>`.
pub fn role_from_value(value: &[u8]) -> Option<&'static str> {
    let v = std::str::from_utf8(value)
        .ok()?
        .trim()
        .trim_end_matches('\0');
    let name = match v.get(..15) {
        Some(p) if p.eq_ignore_ascii_case("callscope:role=") => v.get(15..)?.trim(),
        _ => v,
    };
    ROLES.into_iter().find(|r| r.eq_ignore_ascii_case(name))
}

/// A shared secret: bytes that never reach a log, a `Debug` output or an error.
#[derive(Clone, PartialEq, Eq)]
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What a RADIUS server decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RadiusOutcome {
    /// Access-Accept. `role`: from the reply's role attribute, else the configured default
    /// role; `None` when neither exists (the login layer refuses such a user).
    Accept { role: Option<String> },
    /// Access-Reject (or Access-Challenge, which PAP logins cannot answer).
    Reject,
}

/// Why no decision was obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RadiusError {
    /// The configuration cannot be used (the message says what to fix).
    #[error("RADIUS configuration: {0}")]
    Config(String),
    /// The request cannot be encoded (for example a password above 128 bytes).
    #[error("RADIUS request cannot be encoded: {0}")]
    Request(#[from] codec::RadiusError),
    /// No server gave a usable answer before its timeouts: combined login modes may fall
    /// back to local accounts.
    #[error(
        "no RADIUS server answered ({tried} tried, {timeout_ms} ms x {sends} sends each; last problem: {last}); check the servers and the network path"
    )]
    Unreachable {
        tried: usize,
        timeout_ms: u64,
        sends: u32,
        last: String,
    },
    /// Servers answered, but every answer failed verification: a shared secret that differs
    /// from the server's, or a server that does not sign replies with Message-Authenticator.
    #[error(
        "RADIUS server {server} answered, but its replies failed verification ({reason}); check that the shared secret matches and that the server sends Message-Authenticator"
    )]
    InvalidReplies {
        server: String,
        reason: codec::RadiusError,
    },
}

impl RadiusError {
    /// True when no server could be reached (the fallback case of combined modes).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }
}

#[derive(Debug, Clone)]
struct Server {
    address: String,
    secret: Secret,
}

/// A RADIUS client over UDP. Each login uses its own socket, so logins run concurrently.
#[derive(Debug, Clone)]
pub struct RadiusClient {
    servers: Vec<Server>,
    timeout: Duration,
    timeout_ms: u64,
    retries: u32,
    nas_identifier: String,
    nas_ip_address: Option<Ipv4Addr>,
    role_attribute: RoleAttribute,
    default_role: Option<&'static str>,
}

/// Reads a shared secret file: bytes without the trailing newline; refuses an empty file.
fn read_secret(path: &Path) -> Result<Secret, RadiusError> {
    let mut bytes = std::fs::read(path).map_err(|e| {
        RadiusError::Config(format!(
            "cannot read the RADIUS shared secret file {}: {e}",
            path.display()
        ))
    })?;
    while matches!(bytes.last(), Some(b'\n' | b'\r')) {
        bytes.pop();
    }
    if bytes.is_empty() {
        return Err(RadiusError::Config(format!(
            "the RADIUS shared secret file {} is empty: put the secret the server has for this client in it",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                file = %path.display(),
                "the RADIUS shared secret file is readable by other users: chmod 600 it"
            );
        }
    }
    Ok(Secret(bytes))
}

impl RadiusClient {
    /// Checks the configuration and reads every shared secret file.
    pub fn new(cfg: &RadiusConfig) -> Result<Self, RadiusError> {
        if cfg.servers.is_empty() {
            return Err(RadiusError::Config(
                "[auth.radius] servers is empty: add at least one { address, secret_file }".into(),
            ));
        }
        if cfg.timeout_ms == 0 || cfg.timeout_ms > 60_000 {
            return Err(RadiusError::Config(format!(
                "[auth.radius] timeout_ms {} must be between 1 and 60000",
                cfg.timeout_ms
            )));
        }
        if cfg.retries > 10 {
            return Err(RadiusError::Config(format!(
                "[auth.radius] retries {} is above 10",
                cfg.retries
            )));
        }
        if cfg.nas_identifier.is_empty() || cfg.nas_identifier.len() > codec::MAX_VALUE_LEN {
            return Err(RadiusError::Config(
                "[auth.radius] nas_identifier must be 1 to 253 bytes".into(),
            ));
        }
        let default_role = match &cfg.default_role {
            None => None,
            Some(r) => Some(role_from_value(r.as_bytes()).ok_or_else(|| {
                RadiusError::Config(format!(
                    "[auth.radius] default_role {r:?} is not admin, operator or monitor"
                ))
            })?),
        };
        let mut servers = Vec::with_capacity(cfg.servers.len());
        for s in &cfg.servers {
            if s.address.trim().is_empty() {
                return Err(RadiusError::Config(
                    "[auth.radius] a server has an empty address".into(),
                ));
            }
            servers.push(Server {
                address: s.address.trim().to_owned(),
                secret: read_secret(&s.secret_file)?,
            });
        }
        Ok(Self {
            servers,
            timeout: Duration::from_millis(cfg.timeout_ms),
            timeout_ms: cfg.timeout_ms,
            retries: cfg.retries,
            nas_identifier: cfg.nas_identifier.clone(),
            nas_ip_address: cfg.nas_ip_address,
            role_attribute: RoleAttribute::parse(&cfg.role_attribute)?,
            default_role,
        })
    }

    /// Checks `user` / `password` with the servers in order (see the module docs).
    pub async fn authenticate(
        &self,
        user: &str,
        password: &str,
    ) -> Result<RadiusOutcome, RadiusError> {
        if user.is_empty() {
            return Ok(RadiusOutcome::Reject);
        }
        if password.len() > codec::MAX_PASSWORD_LEN {
            return Err(codec::RadiusError::PasswordTooLong(password.len()).into());
        }
        let mut last = String::from("no server configured");
        let mut invalid: Option<(String, codec::RadiusError)> = None;
        for server in &self.servers {
            match self.ask(server, user, password).await {
                Ok(Asked::Decided(outcome)) => return Ok(outcome),
                Ok(Asked::NoAnswer {
                    problem,
                    invalid: inv,
                }) => {
                    tracing::warn!(server = %server.address, %problem, "RADIUS server gave no usable answer; trying the next one");
                    last = format!("{}: {problem}", server.address);
                    if let Some(e) = inv {
                        invalid = Some((server.address.clone(), e));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if let Some((server, reason)) = invalid {
            return Err(RadiusError::InvalidReplies { server, reason });
        }
        Err(RadiusError::Unreachable {
            tried: self.servers.len(),
            timeout_ms: self.timeout_ms,
            sends: self.retries + 1,
            last,
        })
    }

    async fn ask(&self, server: &Server, user: &str, password: &str) -> Result<Asked, RadiusError> {
        let no_answer = |problem: String| Asked::NoAnswer {
            problem,
            invalid: None,
        };
        let addr = match resolve(&server.address).await {
            Ok(a) => a,
            Err(p) => return Ok(no_answer(p)),
        };
        let bind: SocketAddr = match addr {
            SocketAddr::V4(_) => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0).into(),
            SocketAddr::V6(_) => (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0).into(),
        };
        let sock = match UdpSocket::bind(bind).await {
            Ok(s) => s,
            Err(e) => return Ok(no_answer(format!("cannot open a UDP socket: {e}"))),
        };
        // Connected: the kernel drops datagrams from any other address and port.
        if let Err(e) = sock.connect(addr).await {
            return Ok(no_answer(format!("cannot reach {addr}: {e}")));
        }
        let mut rnd = [0u8; 17];
        getrandom::fill(&mut rnd)
            .map_err(|e| RadiusError::Config(format!("no random source: {e}")))?;
        let [identifier, auth @ ..] = rnd;
        let request = codec::pap_access_request(
            identifier,
            &auth,
            user.as_bytes(),
            password.as_bytes(),
            self.nas_identifier.as_bytes(),
            self.nas_ip_address,
            &server.secret.0,
        )?;
        let mut buf = vec![0u8; codec::MAX_PACKET_LEN + 1];
        let mut problem = String::from("timeout");
        let mut invalid = None;
        for attempt in 0..=self.retries {
            tracing::debug!(server = %addr, attempt, identifier, "RADIUS Access-Request");
            if let Err(e) = sock.send(&request).await {
                problem = format!("send to {addr} failed: {e}");
                continue;
            }
            let deadline = Instant::now() + self.timeout;
            loop {
                let n = match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
                    Err(_) => {
                        problem = format!("no reply from {addr} within {} ms", self.timeout_ms);
                        break;
                    }
                    // ICMP port unreachable and the like: this send is lost, try again.
                    Ok(Err(e)) => {
                        problem = format!("{addr}: {e}");
                        break;
                    }
                    Ok(Ok(n)) => n,
                };
                let verified = Packet::new_checked(buf.get(..n).unwrap_or_default())
                    .and_then(|p| p.verify_reply(identifier, &auth, &server.secret.0));
                match verified {
                    Ok(reply) => return Ok(Asked::Decided(self.outcome(&reply, addr))),
                    Err(e) => {
                        // RFC 2865 §3: silently discarded; keep waiting for a valid one.
                        tracing::warn!(server = %addr, error = %e, "RADIUS reply discarded");
                        invalid = Some(e);
                    }
                }
            }
        }
        Ok(Asked::NoAnswer { problem, invalid })
    }

    fn outcome(&self, reply: &VerifiedReply<'_>, addr: SocketAddr) -> RadiusOutcome {
        match reply.code() {
            Code::AccessAccept => {
                let found = self.role_in(reply);
                if found.is_none() {
                    tracing::info!(server = %addr, default = ?self.default_role, "RADIUS accept carries no callscope role");
                }
                RadiusOutcome::Accept {
                    role: found.or(self.default_role).map(str::to_owned),
                }
            }
            Code::AccessChallenge => {
                tracing::warn!(server = %addr, "RADIUS Access-Challenge is not supported for PAP logins: treated as a reject");
                RadiusOutcome::Reject
            }
            _ => RadiusOutcome::Reject,
        }
    }

    /// The first role found in the reply's role attribute(s).
    fn role_in(&self, reply: &VerifiedReply<'_>) -> Option<&'static str> {
        match self.role_attribute {
            RoleAttribute::Standard(t) => reply
                .attributes()
                .filter(|a| a.type_id == t)
                .find_map(|a| role_from_value(a.value)),
            RoleAttribute::Vendor {
                vendor_id,
                vendor_type,
            } => reply
                .attributes()
                .filter_map(|a| a.vendor_specific()?.ok())
                .filter(|v| v.vendor_id == vendor_id)
                .filter_map(|v| v.sub_attributes().ok())
                .flatten()
                .filter(|s| s.vendor_type == vendor_type)
                .find_map(|s| role_from_value(s.value)),
        }
    }
}

enum Asked {
    Decided(RadiusOutcome),
    NoAnswer {
        problem: String,
        invalid: Option<codec::RadiusError>,
    },
}

/// `host:port`, `[v6]:port`, a bare address or a bare host name (port 1812).
async fn resolve(address: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = address.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = address.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    let with_port = if address.contains(':') {
        address.to_owned()
    } else {
        format!("{address}:{DEFAULT_PORT}")
    };
    match tokio::net::lookup_host(&with_port).await {
        Ok(mut it) => it
            .next()
            .ok_or_else(|| format!("{address} resolves to no address")),
        Err(e) => Err(format!("cannot resolve {address}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_values() {
        assert_eq!(role_from_value(b"operator"), Some("operator"));
        assert_eq!(role_from_value(b"Admin\n"), Some("admin"));
        assert_eq!(role_from_value(b"callscope:role=monitor"), Some("monitor"));
        assert_eq!(role_from_value(b"CallScope:Role=admin"), Some("admin"));
        assert_eq!(role_from_value(b"callscope:role=root"), None);
        assert_eq!(role_from_value(b"shell:priv-lvl=15"), None);
        assert_eq!(role_from_value(b"\xff\xfe"), None);
        assert_eq!(role_from_value(b""), None);
    }

    #[test]
    fn role_attribute_forms() {
        assert_eq!(
            RoleAttribute::parse("Filter-Id").unwrap(),
            RoleAttribute::Standard(11)
        );
        assert_eq!(
            RoleAttribute::parse("class").unwrap(),
            RoleAttribute::Standard(25)
        );
        assert_eq!(
            RoleAttribute::parse("18").unwrap(),
            RoleAttribute::Standard(18)
        );
        assert_eq!(
            RoleAttribute::parse("vendor:9:1").unwrap(),
            RoleAttribute::Vendor {
                vendor_id: 9,
                vendor_type: 1
            }
        );
        for bad in [
            "User-Password",
            "80",
            "26",
            "vendor:9",
            "Nope",
            "vendor:x:1",
        ] {
            assert!(RoleAttribute::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_defaults_and_unknown_keys() {
        let cfg: RadiusConfig = toml::from_str(
            r#"servers = [{ address = "127.0.0.1", secret_file = "/nonexistent" }]"#,
        )
        .unwrap();
        assert_eq!(cfg.timeout_ms, 3000);
        assert_eq!(cfg.retries, 2);
        assert_eq!(cfg.nas_identifier, "callscope");
        assert_eq!(cfg.role_attribute, "Filter-Id");
        assert_eq!(cfg.default_role, None);
        assert!(toml::from_str::<RadiusConfig>("servers = []\nsecret = \"x\"").is_err());
        // A missing secret file says which file.
        let e = RadiusClient::new(&cfg).unwrap_err().to_string();
        assert!(e.contains("/nonexistent"), "{e}");
    }

    #[test]
    fn secrets_stay_out_of_debug_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("secret");
        std::fs::write(&f, "Sup3rS3cret\n").unwrap();
        let cfg = RadiusConfig {
            servers: vec![RadiusServerConfig {
                address: "127.0.0.1:1".into(),
                secret_file: f,
            }],
            timeout_ms: 10,
            retries: 0,
            nas_identifier: "callscope".into(),
            nas_ip_address: None,
            role_attribute: "Filter-Id".into(),
            default_role: Some("monitor".into()),
        };
        let c = RadiusClient::new(&cfg).unwrap();
        assert_eq!(c.servers[0].secret.0, b"Sup3rS3cret");
        assert!(!format!("{c:?}").contains("Sup3rS3cret"));
        let bad = RadiusConfig {
            default_role: Some("root".into()),
            ..cfg.clone()
        };
        assert!(matches!(
            RadiusClient::new(&bad),
            Err(RadiusError::Config(_))
        ));
    }
}
