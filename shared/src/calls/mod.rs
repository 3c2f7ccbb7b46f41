//! SIP transactions, dialogs, legs and calls. Pure and deterministic: fed one [`SipInfo`] per
//! message with its capture time; no I/O, no clock.
//!
//! - [`leg`]: one Call-ID seen on the wire (a dialog and its forks, possibly seen on several
//!   hops through proxies that keep the Call-ID): its transactions, state and KPIs.
//! - [`correlate`]: groups legs into calls (B2BUA legs linked by correlation headers, or by a
//!   bounded heuristic).
//! - [`info`]: the owned per-message summary the engine feeds in.

pub mod correlate;
pub mod info;
pub mod leg;

pub use correlate::{CallGroup, CorrelationConfig, LinkReason, group_legs};
pub use info::{MediaInfo, MessageKind, SipInfo};
pub use leg::{Leg, LegKind, LegState, Legs};

#[cfg(test)]
mod tests;
