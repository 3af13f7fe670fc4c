//! tokio + rustls connector: the only I/O in this crate (feature `connector`).
//!
//! Connects over TCP (with a timeout), optionally switches to TLS after the SSLRequest (MySQL
//! manual, client/server protocol, "SSL Handshake"), drives [`ClientHandshake`] and answers
//! its GSS-API steps with an [`Initiator`], then offers COM_QUERY (text result sets, read by
//! [`crate::command::QueryReader`]), COM_PING and COM_QUIT.
//!
//! `--ssl-mode` semantics follow the mysql client ([`SslMode`]).
//!
//! [`ClientHandshake`]: crate::ClientHandshake

mod connection;
mod error;
mod options;
pub(crate) mod stream;
mod tls;

pub use crate::command::QueryResult;
pub use connection::{Connection, Greeted, Initiator};
pub use error::Error;
pub use options::{ConnectOptions, SslMode};
#[cfg(feature = "proxy")]
pub(crate) use stream::Stream;
pub use tls::tls_client_config;
