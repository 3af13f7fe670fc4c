//! The local side of the login proxy, free of I/O: the greeting the proxy presents to a local
//! client, that client's HandshakeResponse41, the packets the proxy answers with, and the
//! filter on the client-to-server byte stream of the command phase.
//!
//! Layouts: MySQL docs "Protocol::HandshakeV10", "Protocol::HandshakeResponse41",
//! "ERR_Packet", "COM_CHANGE_USER" (MySQL Source Code Documentation, Client/Server
//! Protocol).

use crate::error::ProtocolError;
use crate::messages::{ErrPacket, Handshake, HandshakeResponse, caps};
use crate::packet::{MAX_CHUNK, Packet};

/// Capabilities the proxy never offers its local clients: TLS (the local hop is a Unix
/// socket), compression (not implemented), and LOAD DATA LOCAL INFILE (its data packets would
/// make command boundaries ambiguous to the [`CommandFilter`]).
pub const NOT_RELAYED: u32 =
    caps::SSL | caps::COMPRESS | caps::ZSTD_COMPRESSION | caps::LOCAL_FILES;

/// The plugin named in the local greeting. Any client answers it; the answer is ignored.
pub const LOCAL_PLUGIN: &str = "mysql_native_password";

/// Bound on the local client's HandshakeResponse (account, database, attributes and an
/// auth response fit easily).
pub const MAX_LOCAL_RESPONSE: usize = 128 * 1024;

/// COM_CHANGE_USER: re-authentication, which the proxy cannot relay (the local client would
/// answer a password scramble).
pub const COM_CHANGE_USER: u8 = 0x11;

/// The greeting presented to a local client, derived from the server's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalGreeting {
    /// The greeting payload (sequence id 0).
    pub payload: Vec<u8>,
    /// The capabilities it offers.
    pub capabilities: u32,
}

/// Derive the local greeting from the server's: same version string, connection id,
/// character set and status; only the capabilities the proxy can relay; no MariaDB extended
/// capabilities; [`LOCAL_PLUGIN`] with `scramble` as its (ignored) challenge.
pub fn local_greeting(server: &Handshake, scramble: &[u8; 20]) -> LocalGreeting {
    let capabilities = (server.capabilities & !NOT_RELAYED)
        | caps::PROTOCOL_41
        | caps::SECURE_CONNECTION
        | caps::PLUGIN_AUTH;
    let mut p = Vec::with_capacity(96 + server.server_version.len());
    p.push(10);
    // The version is printable ASCII in practice; a NUL would end it early, so cut there.
    let version = server.server_version.split('\0').next().unwrap_or_default();
    p.extend_from_slice(version.as_bytes());
    p.push(0);
    p.extend_from_slice(&server.connection_id.to_le_bytes());
    p.extend_from_slice(&scramble[..8]);
    p.push(0);
    p.extend_from_slice(&(capabilities as u16).to_le_bytes());
    p.push(server.charset);
    p.extend_from_slice(&server.status.to_le_bytes());
    p.extend_from_slice(&((capabilities >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend_from_slice(&[0; 10]);
    p.extend_from_slice(&scramble[8..]);
    p.push(0);
    p.extend_from_slice(LOCAL_PLUGIN.as_bytes());
    p.push(0);
    LocalGreeting {
        payload: p,
        capabilities,
    }
}

/// The greeting of a session the proxy refuses without contacting the server (a peer of
/// another uid, the server unreachable): clients show an ERR after a greeting as the
/// server's answer, while an ERR in place of the greeting reads to some as a TLS or
/// framing failure.
pub fn refusal_greeting(scramble: &[u8; 20]) -> LocalGreeting {
    let server = Handshake {
        server_version: "5.5.5-kerb-proxy".into(),
        connection_id: 0,
        auth_plugin_data: Vec::new(),
        capabilities: caps::LONG_PASSWORD
            | caps::LONG_FLAG
            | caps::CONNECT_WITH_DB
            | caps::PROTOCOL_41
            | caps::TRANSACTIONS
            | caps::SECURE_CONNECTION
            | caps::PLUGIN_AUTH
            | caps::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | caps::CONNECT_ATTRS,
        charset: 45,
        status: 2,
        auth_plugin_name: None,
        mariadb_ext_capabilities: None,
    };
    local_greeting(&server, scramble)
}

/// What the proxy takes from the local client's HandshakeResponse41 to log in upstream.
/// The auth response (a password scramble, or nothing) is read and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalLogin {
    /// Account name.
    pub user: String,
    /// Initial database.
    pub database: Option<String>,
    /// Client collation id.
    pub charset: u8,
    /// The client's capabilities intersected with the local greeting's: the command phase
    /// upstream must use exactly these.
    pub capabilities: u32,
    /// Max packet size the client announced.
    pub max_packet: u32,
    /// Connection attributes in wire form (without the total length), if sent.
    pub attrs: Option<Vec<u8>>,
}

impl LocalLogin {
    /// Parse the local client's response to a greeting that offered `offered`.
    pub fn parse(payload: &[u8], offered: u32) -> Result<Self, ProtocolError> {
        if payload.len() > MAX_LOCAL_RESPONSE {
            return Err(ProtocolError::PacketTooLarge {
                len: payload.len(),
                max: MAX_LOCAL_RESPONSE,
            });
        }
        let r = HandshakeResponse::parse(payload)?;
        if r.capabilities & caps::SSL != 0 && offered & caps::SSL == 0 {
            return Err(ProtocolError::Malformed(
                "HandshakeResponse41",
                "CLIENT_SSL set but TLS was not offered",
            ));
        }
        if r.user.is_empty() {
            return Err(ProtocolError::Malformed(
                "HandshakeResponse41",
                "empty account name",
            ));
        }
        let capabilities = r.capabilities & offered;
        Ok(Self {
            user: r.user.to_owned(),
            database: r
                .database
                .filter(|d| capabilities & caps::CONNECT_WITH_DB != 0 && !d.is_empty())
                .map(str::to_owned),
            charset: r.charset,
            capabilities,
            max_packet: r.max_packet,
            attrs: r
                .attrs
                .filter(|_| capabilities & caps::CONNECT_ATTRS != 0)
                .map(<[u8]>::to_vec),
        })
    }
}

/// An ERR packet from the proxy itself.
pub fn err_packet(seq: u8, code: u16, sql_state: &str, message: impl Into<String>) -> Packet {
    Packet::new(
        seq,
        ErrPacket {
            code,
            sql_state: sql_state.to_owned(),
            message: message.into(),
        }
        .encode(),
    )
}

/// A command the proxy refuses instead of relaying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The command byte.
    pub command: u8,
}

#[derive(Debug, Clone, Copy)]
enum FilterState {
    /// Collecting a 4-byte header (held back).
    Header { hdr: [u8; 4], n: usize },
    /// A command packet's header is complete and held back until its command byte is seen.
    Command { hdr: [u8; 4] },
    /// Inside a chunk: `left` payload bytes to pass; `full` = a 0xFFFFFF chunk (more follow).
    Body { left: usize, full: bool },
}

/// The client-to-server stream of the command phase, followed packet by packet without
/// buffering payloads: every logical packet with sequence id 0 starts a command (the proxy
/// offers no LOAD DATA LOCAL INFILE, whose data packets would wrap the sequence id), and
/// COM_CHANGE_USER is refused. Everything else passes byte for byte; a split (> 16 MiB)
/// packet's chunks pass as they come.
#[derive(Debug, Clone)]
pub struct CommandFilter {
    state: FilterState,
    at_packet_start: bool,
}

impl Default for CommandFilter {
    fn default() -> Self {
        Self {
            state: FilterState::Header { hdr: [0; 4], n: 0 },
            at_packet_start: true,
        }
    }
}

impl CommandFilter {
    /// Feed bytes from the client; the bytes that may go to the server are appended to
    /// `out` (a held-back header goes out with the bytes that clear it). A refused command
    /// is reported before any of its bytes reach `out`.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), Refused> {
        while !input.is_empty() {
            match &mut self.state {
                FilterState::Header { hdr, n } => {
                    let take = (4 - *n).min(input.len());
                    hdr[*n..*n + take].copy_from_slice(&input[..take]);
                    *n += take;
                    input = &input[take..];
                    if *n < 4 {
                        continue;
                    }
                    let hdr = *hdr;
                    let len =
                        usize::from(hdr[0]) | usize::from(hdr[1]) << 8 | usize::from(hdr[2]) << 16;
                    let full = len == MAX_CHUNK;
                    if self.at_packet_start && hdr[3] == 0 && len > 0 {
                        self.state = FilterState::Command { hdr };
                    } else {
                        out.extend_from_slice(&hdr);
                        self.enter_body(len, full);
                    }
                }
                FilterState::Command { hdr } => {
                    let hdr = *hdr;
                    let command = input[0]; // input is not empty (loop condition)
                    if command == COM_CHANGE_USER {
                        return Err(Refused { command });
                    }
                    let len =
                        usize::from(hdr[0]) | usize::from(hdr[1]) << 8 | usize::from(hdr[2]) << 16;
                    out.extend_from_slice(&hdr);
                    out.push(command);
                    input = &input[1..];
                    self.enter_body(len - 1, len == MAX_CHUNK); // len > 0 in this state
                }
                FilterState::Body { left, full } => {
                    let take = (*left).min(input.len());
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    *left -= take;
                    if *left == 0 {
                        let full = *full;
                        self.end_chunk(full);
                    }
                }
            }
        }
        Ok(())
    }

    fn enter_body(&mut self, left: usize, full: bool) {
        if left == 0 {
            self.end_chunk(full);
        } else {
            self.state = FilterState::Body { left, full };
        }
    }

    fn end_chunk(&mut self, full: bool) {
        self.at_packet_start = !full;
        self.state = FilterState::Header { hdr: [0; 4], n: 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{PacketDecoder, encode_packet, put_lenenc_bytes};

    fn mariadb_greeting() -> Handshake {
        Handshake {
            server_version: "5.5.5-10.11.6-MariaDB-0+deb12u1".into(),
            connection_id: 42,
            auth_plugin_data: b"12345678901234567890".to_vec(),
            capabilities: 0xF7FE_F7FE | caps::SSL | caps::COMPRESS | caps::LOCAL_FILES,
            charset: 45,
            status: 2,
            auth_plugin_name: Some("mysql_native_password".into()),
            mariadb_ext_capabilities: Some(0x1d),
        }
    }

    #[test]
    fn greeting_drops_what_cannot_be_relayed() {
        let server = mariadb_greeting();
        let g = local_greeting(&server, &[b'x'; 20]);
        let parsed = Handshake::parse(&g.payload).unwrap();
        assert_eq!(parsed.server_version, server.server_version);
        assert_eq!(parsed.connection_id, 42);
        assert_eq!(parsed.capabilities, g.capabilities);
        assert_eq!(parsed.capabilities & NOT_RELAYED, 0);
        assert_ne!(parsed.capabilities & caps::DEPRECATE_EOF, 0);
        assert_eq!(parsed.auth_plugin_name.as_deref(), Some(LOCAL_PLUGIN));
        assert_eq!(parsed.auth_plugin_data, [b'x'; 20]);
        // MariaDB's extended capabilities are not offered (zero).
        assert_eq!(parsed.mariadb_ext_capabilities, Some(0));
        assert_eq!(parsed.charset, 45);
    }

    fn response(caps_: u32, user: &str, db: Option<&str>, attrs: Option<&[u8]>) -> Vec<u8> {
        HandshakeResponse {
            capabilities: caps_,
            max_packet: 1 << 24,
            charset: 33,
            user,
            auth_response: &[9; 20],
            database: db,
            plugin: LOCAL_PLUGIN,
            attrs,
        }
        .encode()
    }

    #[test]
    fn login_takes_account_database_attrs_and_intersects_caps() {
        let offered = local_greeting(&mariadb_greeting(), &[0; 20]).capabilities;
        let mut attrs = Vec::new();
        put_lenenc_bytes(&mut attrs, b"_client_name");
        put_lenenc_bytes(&mut attrs, b"pymysql");
        let c = caps::PROTOCOL_41
            | caps::SECURE_CONNECTION
            | caps::PLUGIN_AUTH
            | caps::CONNECT_WITH_DB
            | caps::CONNECT_ATTRS
            | caps::MULTI_RESULTS
            | caps::LOCAL_FILES;
        let l = LocalLogin::parse(&response(c, "joedoe", Some("labdb"), Some(&attrs)), offered)
            .unwrap();
        assert_eq!(l.user, "joedoe");
        assert_eq!(l.database.as_deref(), Some("labdb"));
        assert_eq!(l.charset, 33);
        assert_eq!(l.attrs.as_deref(), Some(&attrs[..]));
        assert_eq!(l.capabilities, c & !caps::LOCAL_FILES);
        // A client asking for TLS that was not offered, or with no account, is refused.
        assert!(LocalLogin::parse(&response(c | caps::SSL, "j", None, None), offered).is_err());
        assert!(LocalLogin::parse(&response(c, "", None, None), offered).is_err());
        // Oversized responses are refused before parsing.
        assert!(matches!(
            LocalLogin::parse(&vec![0; MAX_LOCAL_RESPONSE + 1], offered),
            Err(ProtocolError::PacketTooLarge { .. })
        ));
    }

    fn filter_all(chunks: &[&[u8]]) -> (Vec<u8>, Result<(), Refused>) {
        let mut f = CommandFilter::default();
        let mut out = Vec::new();
        for c in chunks {
            if let Err(r) = f.feed(c, &mut out) {
                return (out, Err(r));
            }
        }
        (out, Ok(()))
    }

    #[test]
    fn filter_passes_commands_byte_for_byte_in_any_split() {
        let mut wire = encode_packet(0, b"\x03SELECT 1");
        wire.extend(encode_packet(0, b"\x0e")); // COM_PING
        wire.extend(encode_packet(0, b"\x1f")); // COM_RESET_CONNECTION passes
        wire.extend(encode_packet(0, b"")); // an empty packet
        for split in 0..=wire.len() {
            let (out, r) = filter_all(&[&wire[..split], &wire[split..]]);
            assert_eq!(r, Ok(()));
            assert_eq!(out, wire, "split at {split}");
        }
        let singles: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(filter_all(&singles), (wire.clone(), Ok(())));
    }

    #[test]
    fn filter_refuses_change_user_before_any_of_its_bytes() {
        let first = encode_packet(0, b"\x03SELECT 1");
        let mut wire = first.clone();
        wire.extend(encode_packet(0, b"\x11joedoe\0"));
        for split in 0..=wire.len() {
            let (out, r) = filter_all(&[&wire[..split], &wire[split..]]);
            assert_eq!(r, Err(Refused { command: 0x11 }));
            assert!(
                out.len() <= first.len() && first.starts_with(&out),
                "{split}"
            );
        }
    }

    #[test]
    fn filter_follows_split_packets() {
        // A 16 MiB + 3 packet whose second chunk (seq 1) starts with 0x11: data, not a command.
        let mut payload = vec![b'a'; MAX_CHUNK + 3];
        payload[0] = 0x03;
        payload[MAX_CHUNK] = 0x11;
        let mut wire = encode_packet(0, &payload);
        // After it, a chunk with seq 0 starting a new command passes too.
        wire.extend(encode_packet(0, b"\x03SELECT 2"));
        let chunks: Vec<&[u8]> = wire.chunks(65_536).collect();
        let (out, r) = filter_all(&chunks);
        assert_eq!(r, Ok(()));
        assert_eq!(out.len(), wire.len());
        assert!(out == wire);
        let mut d = PacketDecoder::new(2 * MAX_CHUNK);
        d.extend(&out);
        assert_eq!(d.next_packet().unwrap().unwrap().payload, payload);
    }
}
