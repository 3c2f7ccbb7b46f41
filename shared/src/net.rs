//! Endpoint and flow types used across layers.
use std::fmt;
use std::net::IpAddr;

/// Capture time in nanoseconds since the Unix epoch (as the capture file recorded it).
pub type Nanos = u64;

/// Transport protocol of a segment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Udp,
    Tcp,
    Sctp,
    /// SIP over WebSocket (RFC 7118), carried by TCP.
    Ws,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Sctp => "sctp",
            Transport::Ws => "ws",
        }
    }
}

/// An IP address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

impl Endpoint {
    pub fn new(ip: IpAddr, port: u16) -> Self {
        Self { ip, port }
    }
}

impl fmt::Display for Endpoint {
    /// `ip:port` for IPv4, `[ip]:port` for IPv6.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(v4) => write!(f, "{v4}:{}", self.port),
            IpAddr::V6(v6) => write!(f, "[{v6}]:{}", self.port),
        }
    }
}

impl serde::Serialize for Endpoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Endpoint {
    /// The form `Serialize` writes: `ip:port` or `[ip]:port`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let sa: std::net::SocketAddr = s
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("not an ip:port endpoint: {s:?}")))?;
        Ok(Endpoint::new(sa.ip(), sa.port()))
    }
}

/// A directed transport flow (source to destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flow {
    pub src: Endpoint,
    pub dst: Endpoint,
}

impl Flow {
    pub fn reversed(self) -> Self {
        Self {
            src: self.dst,
            dst: self.src,
        }
    }
}
