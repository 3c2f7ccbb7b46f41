//! Authentication: users, roles, sessions (the lead's `auth` core) and external password
//! checks.
//!
//! - [`radius`]: RADIUS client (PAP with Message-Authenticator, several servers).
pub mod radius;
