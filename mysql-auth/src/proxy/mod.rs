//! The login proxy: local MySQL clients connect to a Unix socket with no
//! password; the proxy logs in upstream as the account they name, with Kerberos, and relays
//! the command phase byte for byte.
//!
//! * [`local`]: the local side free of I/O (derived greeting, the client's
//!   HandshakeResponse41, the command filter refusing COM_CHANGE_USER).
//! * [`credentials`] (feature `proxy`): the TGT and service tickets shared by all sessions.
//! * [`LocalProxy`] (feature `proxy`): the Unix-socket listener (same-uid peers only, SO_PEERCRED) and the
//!   session's login; `relay` its command phase — the only I/O here.
//!
//! Security model: whoever can connect to the socket logs in with the proxy owner's
//! Kerberos identity. The socket is set to mode 0600 once bound, and what holds even in the
//! instant before: a peer whose uid differs from the proxy's gets ERR 1045 before any
//! upstream traffic.

#[cfg(feature = "proxy")]
pub mod credentials;
#[cfg(feature = "proxy")]
mod listener;
pub mod local;
#[cfg(feature = "proxy")]
mod relay;

#[cfg(feature = "proxy")]
pub use listener::{LocalProxy, ProxyConfig};
