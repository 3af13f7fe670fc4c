//! KDC addresses. The `kdc =` syntax of krb5.conf is parsed by `config::krb5conf::KdcServer`;
//! this is what the transport needs of it.

use std::fmt;

/// The port KDCs listen on (RFC 4120 §7.2.1, §7.2.2).
pub const DEFAULT_KDC_PORT: u16 = 88;

/// A KDC transport: UDP (RFC 4120 §7.2.1) or TCP with a 4-byte length prefix (§7.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        })
    }
}

/// A configured KDC: a host name or IP address, a port, and an optional forced transport.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KdcAddr {
    /// `Some` when the entry had a `tcp/` or `udp/` prefix; `None` lets the request size choose.
    pub transport: Option<Transport>,
    /// A host name or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl fmt::Display for KdcAddr {
    /// MIT's syntax again: `udp/127.0.0.1:88`, `tcp/[::1]:88`, `kdc.example.com:88`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = self.transport {
            write!(f, "{t}/")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_mit_syntax() {
        let a = |transport, host: &str, port| KdcAddr {
            transport,
            host: host.into(),
            port,
        };
        assert_eq!(
            a(Some(Transport::Udp), "127.0.0.1", 88).to_string(),
            "udp/127.0.0.1:88"
        );
        assert_eq!(
            a(Some(Transport::Tcp), "::1", 750).to_string(),
            "tcp/[::1]:750"
        );
        assert_eq!(
            a(None, "kdc.example.com", 88).to_string(),
            "kdc.example.com:88"
        );
    }
}
