//! MySQL / MariaDB connection phase with Kerberos authentication, without any C library.
//!
//! * [`packet`]: framing (3-byte length + sequence id, 0xFFFFFF splits, bounded size).
//! * [`messages`]: Initial Handshake v10, HandshakeResponse41, SSLRequest, AuthSwitchRequest,
//!   AuthMoreData, OK, ERR, text result sets.
//! * [`plugin`]: the `authentication_kerberos_client` (MySQL/Aurora) and `auth_gssapi_client`
//!   (MariaDB) exchanges over the [`GssInitiator`] abstraction (implemented by `gss-mech`).
//! * [`spn_policy`]: which SPN a server may make the client fetch a ticket for.
//! * [`handshake`]: [`ClientHandshake`], the sans-IO connection-phase state machine: each
//!   [`Step`] says what the driver must do, including the GSS-API work it needs.
//! * [`command`]: the sans-IO command-phase reader (text result sets, bounded in memory).
//! * `connector` (feature `connector`, default): tokio + rustls connector, COM_QUERY/PING/QUIT.
//! * `kerberos` (feature `connector`): [`GssInitiator`] over `kdc-client` and `gss-mech`
//!   (ccache, in-process AS with a password, cross-realm service tickets).
//! * [`proxy`]: the login proxy for clients without a Kerberos plugin: its local side free of
//!   I/O always; `LocalProxy` on a Unix socket with feature `proxy`.
//! * `test_server` (feature `test-server`): an in-process MySQL-protocol test peer.
//!
//! Byte layouts and reference-client behaviour follow the primary sources: MySQL's client plugin
//! (`mysql-server`, `libmysql/authentication_kerberos/`) and server framing
//! (`sql/auth/sql_authentication.cc`), MariaDB's (`plugin/auth_gssapi/client_plugin.cc`,
//! `gssapi_client.cc`, `server_plugin.cc`), and RFC 2743 §3.1 / RFC 4121 §4.1 for the tokens.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod command;
pub mod error;
pub mod handshake;
pub mod messages;
pub mod packet;
pub mod plugin;
pub mod spn_policy;

#[cfg(feature = "connector")]
pub mod connector;
#[cfg(feature = "connector")]
pub mod kerberos;
#[cfg(feature = "test-native-password")]
pub mod native_password;
pub mod proxy;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use error::{AuthError, GssError, ProtocolError};
pub use handshake::{Authenticated, ClientHandshake, HandshakeOptions, Step, TlsIntent};
pub use messages::{ErrPacket, OkPacket};
pub use packet::{Packet, PacketDecoder};
pub use plugin::{ContextRequest, GssInitiator, GssStep, KerberosExchange, KerberosPlugin};
pub use spn_policy::{SpnContext, SpnPolicy, SpnRejected};
