//! Payload parsers and builders for the connection phase and the text protocol.
//!
//! References: MySQL source docs "Connection Phase Packets" (Protocol::HandshakeV10,
//! Protocol::HandshakeResponse41, Protocol::SSLRequest, Protocol::AuthSwitchRequest,
//! Protocol::AuthMoreData), "Generic Response Packets" (OK_Packet, ERR_Packet, EOF_Packet),
//! "Text Resultset"; MariaDB KB "Connection" (extended capabilities); MySQL's
//! `sql/auth/sql_authentication.cc` (`send_plugin_request_packet`).
//! Every parser is total: truncated or malformed input gives a [`ProtocolError`].

use crate::error::ProtocolError;
use crate::packet::{Reader, put_lenenc_bytes};

/// Capability flags (MySQL docs "Capabilities Flags").
pub mod caps {
    /// CLIENT_LONG_PASSWORD; MariaDB leaves it clear to signal "MariaDB" (CLIENT_MYSQL).
    pub const LONG_PASSWORD: u32 = 1;
    /// CLIENT_FOUND_ROWS.
    pub const FOUND_ROWS: u32 = 1 << 1;
    /// CLIENT_LONG_FLAG.
    pub const LONG_FLAG: u32 = 1 << 2;
    /// CLIENT_CONNECT_WITH_DB.
    pub const CONNECT_WITH_DB: u32 = 1 << 3;
    /// CLIENT_COMPRESS.
    pub const COMPRESS: u32 = 1 << 5;
    /// CLIENT_LOCAL_FILES (LOAD DATA LOCAL INFILE).
    pub const LOCAL_FILES: u32 = 1 << 7;
    /// CLIENT_PROTOCOL_41.
    pub const PROTOCOL_41: u32 = 1 << 9;
    /// CLIENT_SSL.
    pub const SSL: u32 = 1 << 11;
    /// CLIENT_TRANSACTIONS.
    pub const TRANSACTIONS: u32 = 1 << 13;
    /// CLIENT_SECURE_CONNECTION (4.1 auth: auth-plugin-data part 2).
    pub const SECURE_CONNECTION: u32 = 1 << 15;
    /// CLIENT_MULTI_STATEMENTS.
    pub const MULTI_STATEMENTS: u32 = 1 << 16;
    /// CLIENT_MULTI_RESULTS.
    pub const MULTI_RESULTS: u32 = 1 << 17;
    /// CLIENT_PLUGIN_AUTH.
    pub const PLUGIN_AUTH: u32 = 1 << 19;
    /// CLIENT_CONNECT_ATTRS.
    pub const CONNECT_ATTRS: u32 = 1 << 20;
    /// CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA.
    pub const PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 1 << 21;
    /// CLIENT_SESSION_TRACK.
    pub const SESSION_TRACK: u32 = 1 << 23;
    /// CLIENT_DEPRECATE_EOF (result sets end with an OK packet, no EOF after the columns).
    pub const DEPRECATE_EOF: u32 = 1 << 24;
    /// CLIENT_ZSTD_COMPRESSION_ALGORITHM.
    pub const ZSTD_COMPRESSION: u32 = 1 << 26;
}

/// Server status flag SERVER_MORE_RESULTS_EXISTS.
pub const SERVER_MORE_RESULTS_EXISTS: u16 = 0x0008;

/// Protocol::HandshakeV10, the server greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Human-readable server version (e.g. `8.0.36` or `5.5.5-10.11.6-MariaDB-0+deb12u1`).
    pub server_version: String,
    /// Connection (thread) id.
    pub connection_id: u32,
    /// auth-plugin-data parts 1 and 2 joined (trailing NUL of part 2 removed).
    pub auth_plugin_data: Vec<u8>,
    /// Server capability flags (lower and upper 16 bits).
    pub capabilities: u32,
    /// Default character set/collation id.
    pub charset: u8,
    /// Server status flags.
    pub status: u16,
    /// Auth plugin of the greeting (e.g. `caching_sha2_password`), if sent.
    pub auth_plugin_name: Option<String>,
    /// MariaDB extended capabilities (present when the server is MariaDB, i.e.
    /// CLIENT_LONG_PASSWORD/CLIENT_MYSQL is clear).
    pub mariadb_ext_capabilities: Option<u32>,
}

impl Handshake {
    /// Parse a greeting payload. An ERR packet (e.g. "Host is not allowed") is reported by the
    /// caller; here `0xFF` is a [`ProtocolError`].
    pub fn parse(payload: &[u8]) -> Result<Self, ProtocolError> {
        const W: &str = "initial handshake";
        let mut r = Reader::new(payload, W);
        let v = r.u8()?;
        if v != 10 {
            return Err(ProtocolError::UnsupportedProtocolVersion(v));
        }
        let server_version = String::from_utf8_lossy(r.null_str()?).into_owned();
        let connection_id = r.u32le()?;
        let mut data = r.take(8)?.to_vec();
        r.u8()?; // filler
        let cap_lo = u32::from(r.u16le()?);
        if r.is_empty() {
            return Ok(Self {
                server_version,
                connection_id,
                auth_plugin_data: data,
                capabilities: cap_lo,
                charset: 0,
                status: 0,
                auth_plugin_name: None,
                mariadb_ext_capabilities: None,
            });
        }
        let charset = r.u8()?;
        let status = r.u16le()?;
        let cap_hi = u32::from(r.u16le()?);
        let capabilities = cap_lo | cap_hi << 16;
        let auth_data_len = r.u8()?;
        let reserved = r.take(10)?;
        // `reserved` is exactly 10 bytes (take(10)), so indexes 6..=9 are in bounds.
        let mariadb_ext_capabilities = if capabilities & caps::LONG_PASSWORD == 0 {
            Some(u32::from_le_bytes([
                reserved[6],
                reserved[7],
                reserved[8],
                reserved[9],
            ]))
        } else {
            None
        };
        if capabilities & caps::SECURE_CONNECTION != 0 {
            let n = usize::from(auth_data_len).saturating_sub(8).max(13);
            let part2 = r.take(n)?;
            data.extend_from_slice(part2);
            if data.last() == Some(&0) {
                data.pop();
            }
        }
        let auth_plugin_name = if capabilities & caps::PLUGIN_AUTH != 0 {
            // Some servers omit the final NUL (MySQL bug #59453): accept end of packet.
            Some(String::from_utf8_lossy(r.null_str_or_eof()).into_owned())
        } else {
            None
        };
        Ok(Self {
            server_version,
            connection_id,
            auth_plugin_data: data,
            capabilities,
            charset,
            status,
            auth_plugin_name,
            mariadb_ext_capabilities,
        })
    }

    /// Whether the server identifies itself as MariaDB.
    pub fn is_mariadb(&self) -> bool {
        self.server_version.contains("MariaDB") || self.mariadb_ext_capabilities.is_some()
    }
}

/// Protocol::SSLRequest: the first 32 bytes of a HandshakeResponse41 with CLIENT_SSL set.
pub fn ssl_request(capabilities: u32, max_packet: u32, charset: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    out.extend_from_slice(&capabilities.to_le_bytes());
    out.extend_from_slice(&max_packet.to_le_bytes());
    out.push(charset);
    out.extend_from_slice(&[0u8; 23]);
    out
}

/// Protocol::HandshakeResponse41.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse<'a> {
    /// Negotiated client capabilities.
    pub capabilities: u32,
    /// Max packet size the client accepts.
    pub max_packet: u32,
    /// Client character set id.
    pub charset: u8,
    /// Account name.
    pub user: &'a str,
    /// auth-response (empty for the Kerberos plugins unless the greeting carried their data).
    pub auth_response: &'a [u8],
    /// Initial database (sent with CLIENT_CONNECT_WITH_DB).
    pub database: Option<&'a str>,
    /// Client plugin name (sent with CLIENT_PLUGIN_AUTH).
    pub plugin: &'a str,
    /// Connection attributes (sent with CLIENT_CONNECT_ATTRS): the key/value pairs, each a
    /// length-encoded string, without the leading total length.
    pub attrs: Option<&'a [u8]>,
}

/// Bound on the connection attributes block (MySQL's server limit is 64 KiB).
pub const CONNECT_ATTRS_MAX: usize = 65_535;

impl<'a> HandshakeResponse<'a> {
    /// Parse a HandshakeResponse41 payload (the local client's, in the proxy). The client
    /// must speak the 4.1 protocol; an SSLRequest (32 bytes, CLIENT_SSL) is not a response.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ProtocolError> {
        const W: &str = "HandshakeResponse41";
        let mut r = Reader::new(payload, W);
        let capabilities = r.u32le()?;
        if capabilities & caps::PROTOCOL_41 == 0 {
            return Err(ProtocolError::MissingCapability("CLIENT_PROTOCOL_41"));
        }
        let max_packet = r.u32le()?;
        let charset = r.u8()?;
        r.take(23)?;
        if r.is_empty() {
            return Err(ProtocolError::Malformed(
                W,
                "SSLRequest where a response was due",
            ));
        }
        let utf8 = |b: &'a [u8], what: &'static str| {
            std::str::from_utf8(b).map_err(|_| ProtocolError::Malformed(W, what))
        };
        let user = utf8(r.null_str()?, "account name is not UTF-8")?;
        let auth_response = if capabilities & caps::PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
            r.lenenc_bytes()?
        } else if capabilities & caps::SECURE_CONNECTION != 0 {
            let n = usize::from(r.u8()?);
            r.take(n)?
        } else {
            r.null_str()?
        };
        let database = if capabilities & caps::CONNECT_WITH_DB != 0 {
            Some(utf8(r.null_str_or_eof(), "database name is not UTF-8")?)
        } else {
            None
        };
        let plugin = if capabilities & caps::PLUGIN_AUTH != 0 {
            utf8(r.null_str_or_eof(), "plugin name is not UTF-8")?
        } else {
            ""
        };
        let attrs = if capabilities & caps::CONNECT_ATTRS != 0 && !r.is_empty() {
            let a = r.lenenc_bytes()?;
            if a.len() > CONNECT_ATTRS_MAX {
                return Err(ProtocolError::Malformed(
                    W,
                    "connection attributes over 64 KiB",
                ));
            }
            Some(a)
        } else {
            None
        };
        Ok(Self {
            capabilities,
            max_packet,
            charset,
            user,
            auth_response,
            database,
            plugin,
            attrs,
        })
    }
}

impl HandshakeResponse<'_> {
    /// Encode the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = ssl_request(self.capabilities, self.max_packet, self.charset);
        out.extend_from_slice(self.user.as_bytes());
        out.push(0);
        if self.capabilities & caps::PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
            put_lenenc_bytes(&mut out, self.auth_response);
        } else {
            // Caller guarantees <= 255 bytes without LENENC (checked in the handshake).
            out.push(self.auth_response.len().min(255) as u8);
            out.extend_from_slice(&self.auth_response[..self.auth_response.len().min(255)]);
        }
        if self.capabilities & caps::CONNECT_WITH_DB != 0 {
            out.extend_from_slice(self.database.unwrap_or("").as_bytes());
            out.push(0);
        }
        if self.capabilities & caps::PLUGIN_AUTH != 0 {
            out.extend_from_slice(self.plugin.as_bytes());
            out.push(0);
        }
        if self.capabilities & caps::CONNECT_ATTRS != 0 {
            put_lenenc_bytes(&mut out, self.attrs.unwrap_or_default());
        }
        out
    }
}

/// OK_Packet (header `0x00`, or `0xFE` when it terminates a result set with
/// CLIENT_DEPRECATE_EOF).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OkPacket {
    /// Affected rows.
    pub affected_rows: u64,
    /// Last insert id.
    pub last_insert_id: u64,
    /// Server status flags.
    pub status: u16,
    /// Warning count.
    pub warnings: u16,
    /// Human-readable info (session-state tracking data, if any, is not decoded).
    pub info: Vec<u8>,
}

impl OkPacket {
    /// Parse an OK packet (header byte `0x00` or `0xFE`), assuming CLIENT_PROTOCOL_41.
    pub fn parse(payload: &[u8]) -> Result<Self, ProtocolError> {
        const W: &str = "OK packet";
        let mut r = Reader::new(payload, W);
        let h = r.u8()?;
        if h != 0x00 && h != 0xFE {
            return Err(ProtocolError::Malformed(
                W,
                "header is neither 0x00 nor 0xFE",
            ));
        }
        let affected_rows = r.lenenc_int()?;
        let last_insert_id = r.lenenc_int()?;
        let status = r.u16le()?;
        let warnings = r.u16le()?;
        Ok(Self {
            affected_rows,
            last_insert_id,
            status,
            warnings,
            info: r.take_rest().to_vec(),
        })
    }
}

/// ERR_Packet: `0xFF`, u16le error code, `#` + 5-byte SQLSTATE (with CLIENT_PROTOCOL_41),
/// message. Code, SQLSTATE and message are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrPacket {
    /// Server error code (e.g. 1045).
    pub code: u16,
    /// SQLSTATE (e.g. `28000`); `HY000` if the server sent none.
    pub sql_state: String,
    /// The message exactly as sent (lossily decoded as UTF-8).
    pub message: String,
}

/// `ERROR code (state): message`, as the mysql client prints it, with the server's text
/// escaped and bounded ([`kdc_client::escape_peer_text`]): never raw control characters.
impl std::fmt::Display for ErrPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ERROR {} ({}): {}",
            self.code,
            kdc_client::escape_peer_text(&self.sql_state, 16),
            self.message_escaped()
        )
    }
}

impl std::error::Error for ErrPacket {}

impl ErrPacket {
    /// The message escaped and bounded for printing (a server's ERR may carry 16 MiB of
    /// escape sequences).
    pub fn message_escaped(&self) -> String {
        kdc_client::escape_peer_text(&self.message, 512)
    }

    /// Parse an ERR packet.
    pub fn parse(payload: &[u8]) -> Result<Self, ProtocolError> {
        const W: &str = "ERR packet";
        let mut r = Reader::new(payload, W);
        if r.u8()? != 0xFF {
            return Err(ProtocolError::Malformed(W, "header is not 0xFF"));
        }
        let code = r.u16le()?;
        let sql_state = if r.rest().first() == Some(&b'#') {
            r.u8()?;
            String::from_utf8_lossy(r.take(5)?).into_owned()
        } else {
            "HY000".to_owned()
        };
        Ok(Self {
            code,
            sql_state,
            message: String::from_utf8_lossy(r.take_rest()).into_owned(),
        })
    }

    /// Encode (used by the test server).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0xFF];
        out.extend_from_slice(&self.code.to_le_bytes());
        out.push(b'#');
        let mut st = self.sql_state.as_bytes().to_vec();
        st.resize(5, b'0');
        out.extend_from_slice(&st);
        out.extend_from_slice(self.message.as_bytes());
        out
    }
}

/// Protocol::AuthSwitchRequest: `0xFE`, plugin name NUL-terminated, plugin data to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSwitchRequest {
    /// Client plugin the server wants.
    pub plugin: String,
    /// Plugin data (everything after the NUL).
    pub data: Vec<u8>,
}

impl AuthSwitchRequest {
    /// Parse (header `0xFE`). A bare `0xFE` (old-password switch) is rejected as malformed.
    pub fn parse(payload: &[u8]) -> Result<Self, ProtocolError> {
        const W: &str = "AuthSwitchRequest";
        let mut r = Reader::new(payload, W);
        if r.u8()? != 0xFE {
            return Err(ProtocolError::Malformed(W, "header is not 0xFE"));
        }
        if r.is_empty() {
            return Err(ProtocolError::Malformed(
                W,
                "old (pre-4.1) auth switch is not supported",
            ));
        }
        let plugin = String::from_utf8_lossy(r.null_str()?).into_owned();
        Ok(Self {
            plugin,
            data: r.take_rest().to_vec(),
        })
    }

    /// Encode (used by the test server).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0xFE];
        out.extend_from_slice(self.plugin.as_bytes());
        out.push(0);
        out.extend_from_slice(&self.data);
        out
    }
}

/// A server packet during the authentication exchange, classified by its first byte as
/// libmysqlclient/libmariadb do (`libmysql/authentication_kerberos/`, MariaDB's
/// `plugin/auth_gssapi/client_plugin.cc`): GSS context tokens start with `0x60`, so the
/// classification is never ambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthPacket<'a> {
    /// `0x00`: authentication succeeded.
    Ok(OkPacket),
    /// `0xFF`: authentication failed.
    Err(ErrPacket),
    /// `0xFE`: switch (or restart) to a plugin.
    Switch(AuthSwitchRequest),
    /// `0x01` + data: AuthMoreData with exactly one leading `0x01` stripped.
    MoreData(&'a [u8]),
    /// Any other first byte: raw plugin data (older MariaDB servers send the AP-REP like this).
    Raw(&'a [u8]),
}

impl<'a> AuthPacket<'a> {
    /// Classify and parse.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ProtocolError> {
        match payload.split_first() {
            None => Err(ProtocolError::Truncated("authentication packet")),
            Some((0x00, _)) => Ok(Self::Ok(OkPacket::parse(payload)?)),
            Some((0xFF, _)) => Ok(Self::Err(ErrPacket::parse(payload)?)),
            Some((0xFE, _)) => Ok(Self::Switch(AuthSwitchRequest::parse(payload)?)),
            Some((0x01, rest)) => Ok(Self::MoreData(rest)),
            Some(_) => Ok(Self::Raw(payload)),
        }
    }
}

/// Column name from a Protocol::ColumnDefinition41 (catalog, schema, table, org_table, name,
/// ...); the remaining fields are skipped.
pub fn parse_column_name(payload: &[u8]) -> Result<String, ProtocolError> {
    let mut r = Reader::new(payload, "column definition");
    for _ in 0..4 {
        r.lenenc_bytes()?;
    }
    Ok(String::from_utf8_lossy(r.lenenc_bytes()?).into_owned())
}

/// One text-protocol result row: `n` length-encoded strings, `0xFB` for NULL.
pub fn parse_text_row(payload: &[u8], n: usize) -> Result<Vec<Option<Vec<u8>>>, ProtocolError> {
    let mut r = Reader::new(payload, "text result row");
    let mut row = Vec::with_capacity(n.min(payload.len()));
    for _ in 0..n {
        row.push(r.lenenc_bytes_or_null()?.map(<[u8]>::to_vec));
    }
    if !r.is_empty() {
        return Err(ProtocolError::Malformed(
            "text result row",
            "trailing bytes after the last column",
        ));
    }
    Ok(row)
}

/// Whether a packet in the row phase terminates the result set: an EOF packet (`0xFE`,
/// shorter than 9 bytes) or, with CLIENT_DEPRECATE_EOF, an OK packet with a `0xFE` header
/// (shorter than 0xFFFFFF bytes: a row starting with an 8-byte length would be longer).
pub fn is_result_terminator(payload: &[u8], deprecate_eof: bool) -> bool {
    payload.first() == Some(&0xFE)
        && if deprecate_eof {
            payload.len() < crate::packet::MAX_CHUNK
        } else {
            payload.len() < 9
        }
}

/// Server status from an EOF packet (`0xFE`, u16 warnings, u16 status), or from a
/// `0xFE`-OK packet when CLIENT_DEPRECATE_EOF is in effect.
pub fn terminator_status(payload: &[u8], deprecate_eof: bool) -> Result<u16, ProtocolError> {
    if deprecate_eof {
        Ok(OkPacket::parse(payload)?.status)
    } else {
        let mut r = Reader::new(payload, "EOF packet");
        r.u8()?;
        r.u16le()?;
        r.u16le()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MySQL 8 greeting (caching_sha2_password, 20-byte scramble).
    pub(crate) fn mysql_greeting() -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(b"8.0.36\0");
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(b"abcdefgh");
        p.push(0);
        let c: u32 = 0xFFFF_F7FF;
        p.extend_from_slice(&(c as u16).to_le_bytes());
        p.push(255);
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&((c >> 16) as u16).to_le_bytes());
        p.push(21);
        p.extend_from_slice(&[0; 10]);
        p.extend_from_slice(b"ijklmnopqrst\0");
        p.extend_from_slice(b"caching_sha2_password\0");
        p
    }

    #[test]
    fn greeting_mysql() {
        let p = mysql_greeting();
        let h = Handshake::parse(&p).unwrap();
        assert_eq!(h.server_version, "8.0.36");
        assert_eq!(h.connection_id, 7);
        assert_eq!(h.auth_plugin_data, b"abcdefghijklmnopqrst");
        assert_eq!(h.auth_plugin_name.as_deref(), Some("caching_sha2_password"));
        assert_eq!(h.charset, 255);
        assert_eq!(h.status, 2);
        assert!(h.capabilities & caps::SSL == 0);
        assert!(!h.is_mariadb());
        // Truncation: every prefix either errors or (at the optional-tail boundaries) parses.
        for cut in 0..p.len() {
            let _ = Handshake::parse(&p[..cut]);
        }
        for cut in 0..21 {
            assert!(Handshake::parse(&p[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn greeting_mariadb_ext_caps() {
        let mut p = vec![10];
        p.extend_from_slice(b"5.5.5-10.11.6-MariaDB\0");
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(b"12345678\0");
        let c: u32 = 0xF7FE_F7FE; // LONG_PASSWORD clear
        p.extend_from_slice(&(c as u16).to_le_bytes());
        p.push(45);
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&((c >> 16) as u16).to_le_bytes());
        p.push(21);
        p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x1d, 0, 0, 0]);
        p.extend_from_slice(b"9abcdefghijk\0mysql_native_password\0");
        let h = Handshake::parse(&p).unwrap();
        assert_eq!(h.mariadb_ext_capabilities, Some(0x1d));
        assert!(h.is_mariadb());
        assert_eq!(h.auth_plugin_data, b"123456789abcdefghijk");
        assert_eq!(h.auth_plugin_name.as_deref(), Some("mysql_native_password"));
    }

    #[test]
    fn bad_version() {
        assert_eq!(
            Handshake::parse(&[9, 0]),
            Err(ProtocolError::UnsupportedProtocolVersion(9))
        );
    }

    #[test]
    fn ok_err_switch() {
        let ok = [
            0x00, 0x01, 0xFC, 0x00, 0x01, 0x02, 0x00, 0x03, 0x00, b'h', b'i',
        ];
        let o = OkPacket::parse(&ok).unwrap();
        assert_eq!(
            o,
            OkPacket {
                affected_rows: 1,
                last_insert_id: 256,
                status: 2,
                warnings: 3,
                info: b"hi".to_vec()
            }
        );
        for cut in 0..9 {
            assert!(OkPacket::parse(&ok[..cut]).is_err());
        }
        let e = ErrPacket {
            code: 1045,
            sql_state: "28000".into(),
            message: "Access denied for user 'u'@'localhost' (using password: NO)".into(),
        };
        let enc = e.encode();
        assert_eq!(ErrPacket::parse(&enc).unwrap(), e);
        // A bare code (cut 3) is a valid pre-4.1 style ERR; a '#' with a short SQLSTATE is not.
        for cut in (0..3).chain(4..9) {
            assert!(ErrPacket::parse(&enc[..cut]).is_err(), "{cut}");
        }
        assert_eq!(
            ErrPacket::parse(&[0xFF, 0x10, 0x04, b'x'])
                .unwrap()
                .sql_state,
            "HY000"
        );
        let s = AuthSwitchRequest {
            plugin: "auth_gssapi_client".into(),
            data: b"mariadb/h@R\0\0".to_vec(),
        };
        let enc = s.encode();
        assert_eq!(AuthSwitchRequest::parse(&enc).unwrap(), s);
        for cut in 0..20 {
            assert!(AuthSwitchRequest::parse(&enc[..cut]).is_err());
        }
    }

    #[test]
    fn auth_packet_classify() {
        assert_eq!(
            AuthPacket::parse(&[1, 1, 0x60]).unwrap(),
            AuthPacket::MoreData(&[1, 0x60])
        );
        assert_eq!(
            AuthPacket::parse(&[0x60, 3]).unwrap(),
            AuthPacket::Raw(&[0x60, 3])
        );
        assert!(AuthPacket::parse(&[]).is_err());
        assert!(matches!(
            AuthPacket::parse(&[0, 0, 0, 2, 0, 0, 0]).unwrap(),
            AuthPacket::Ok(_)
        ));
    }

    #[test]
    fn handshake_response_layout() {
        let r = HandshakeResponse {
            capabilities: caps::PROTOCOL_41
                | caps::SECURE_CONNECTION
                | caps::PLUGIN_AUTH
                | caps::PLUGIN_AUTH_LENENC_CLIENT_DATA,
            max_packet: 1 << 24,
            charset: 45,
            user: "karl",
            auth_response: b"",
            database: None,
            plugin: "authentication_kerberos_client",
            attrs: None,
        };
        let e = r.encode();
        assert_eq!(&e[32..], b"karl\0\0authentication_kerberos_client\0");
        assert_eq!(e[8], 45);
        assert_eq!(HandshakeResponse::parse(&e).unwrap(), r);
    }

    #[test]
    fn handshake_response_parse_all_fields() {
        let mut attrs = Vec::new();
        put_lenenc_bytes(&mut attrs, b"_client_name");
        put_lenenc_bytes(&mut attrs, b"libmariadb");
        let r = HandshakeResponse {
            capabilities: caps::PROTOCOL_41
                | caps::SECURE_CONNECTION
                | caps::PLUGIN_AUTH
                | caps::CONNECT_WITH_DB
                | caps::CONNECT_ATTRS,
            max_packet: 1 << 30,
            charset: 33,
            user: "joedoe",
            auth_response: &[7; 20],
            database: Some("labdb"),
            plugin: "mysql_native_password",
            attrs: Some(&attrs),
        };
        let e = r.encode();
        assert_eq!(HandshakeResponse::parse(&e).unwrap(), r);
        // Every truncation before the attributes is an error, never a panic.
        for cut in 0..e.len() - attrs.len() - 1 {
            let _ = HandshakeResponse::parse(&e[..cut]);
        }
        for cut in 0..60 {
            assert!(HandshakeResponse::parse(&e[..cut]).is_err(), "{cut}");
        }
        // An SSLRequest and a pre-4.1 client are refused.
        let ssl = ssl_request(caps::PROTOCOL_41 | caps::SSL, 0, 45);
        assert!(HandshakeResponse::parse(&ssl).is_err());
        let mut old = e.clone();
        old[1] &= !((caps::PROTOCOL_41 >> 8) as u8);
        assert_eq!(
            HandshakeResponse::parse(&old),
            Err(ProtocolError::MissingCapability("CLIENT_PROTOCOL_41"))
        );
        // A non-UTF-8 account name is malformed.
        let mut bad = e.clone();
        bad[32] = 0xFF;
        assert!(HandshakeResponse::parse(&bad).is_err());
    }

    #[test]
    fn rows_and_columns() {
        let mut col = Vec::new();
        for s in [&b"def"[..], b"", b"", b"", b"CURRENT_USER()", b""] {
            put_lenenc_bytes(&mut col, s);
        }
        col.extend_from_slice(&[0x0c, 45, 0, 0, 1, 0, 0, 253, 0, 0, 0x1f, 0, 0]);
        assert_eq!(parse_column_name(&col).unwrap(), "CURRENT_USER()");
        for cut in 0..22 {
            assert!(parse_column_name(&col[..cut]).is_err());
        }
        let row = [3, b'a', b'b', b'c', 0xFB, 0];
        assert_eq!(
            parse_text_row(&row, 3).unwrap(),
            vec![Some(b"abc".to_vec()), None, Some(vec![])]
        );
        for cut in 0..row.len() {
            assert!(parse_text_row(&row[..cut], 3).is_err());
        }
        assert!(parse_text_row(&row, 2).is_err());
        assert!(is_result_terminator(&[0xFE, 0, 0, 2, 0], false));
        assert!(!is_result_terminator(&[0xFE; 9], false));
        assert_eq!(terminator_status(&[0xFE, 0, 0, 2, 0], false).unwrap(), 2);
        assert_eq!(
            terminator_status(&[0xFE, 0, 0, 0x0a, 0, 0, 0], true).unwrap(),
            0x0a
        );
    }
}
