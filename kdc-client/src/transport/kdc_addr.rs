//! KDC addresses. The `kdc =` syntax of krb5.conf is parsed by `config::krb5conf::KdcServer`;
//! this is what the transport needs of it.

use std::fmt;

/// The port KDCs listen on (RFC 4120 §7.2.1, §7.2.2).
pub const DEFAULT_KDC_PORT: u16 = 88;

/// A KDC transport: UDP (RFC 4120 §7.2.1), TCP with a 4-byte length prefix (§7.2.2), or an
/// MS-KKDCP proxy over HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// HTTPS (an MS-KKDCP proxy).
    Https,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Https => "https",
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
    /// The port.
    pub port: u16,
    /// The URL path of an HTTPS proxy (`Some` only with [`Transport::Https`]).
    pub path: Option<String>,
}

/// The port of HTTPS proxies without one.
pub const DEFAULT_HTTPS_PORT: u16 = 443;

impl KdcAddr {
    /// A `kdc = https://HOST[:PORT][/PATH]` entry (MS-KKDCP), as MIT splits it: the host and
    /// port as for a KDC (IPv6 in brackets), port 443 and path `/` by default.
    pub fn from_https_url(url: &str) -> Option<Self> {
        let rest = url
            .get(..8)?
            .eq_ignore_ascii_case("https://")
            .then(|| url.get(8..))??;
        let (hostport, path) = match rest.find('/') {
            Some(i) => (rest.get(..i)?, rest.get(i..)?),
            None => (rest, "/"),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|&p| p != 0)?,
            None => DEFAULT_HTTPS_PORT,
        };
        let bad = |c: char| c.is_whitespace() || c.is_control();
        if host.is_empty() || host.contains(bad) || path.contains(bad) {
            return None;
        }
        Some(Self {
            transport: Some(Transport::Https),
            host: host.to_owned(),
            port,
            path: Some(path.to_owned()),
        })
    }
}

impl fmt::Display for KdcAddr {
    /// MIT's syntax again: `udp/127.0.0.1:88`, `tcp/[::1]:88`, `kdc.example.com:88`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.transport == Some(Transport::Https) {
            let path = self.path.as_deref().unwrap_or("/");
            return if self.host.contains(':') {
                write!(f, "https://[{}]:{}{path}", self.host, self.port)
            } else {
                write!(f, "https://{}:{}{path}", self.host, self.port)
            };
        }
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
            path: None,
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

    #[test]
    fn https_urls_like_mit() {
        let u = |s| KdcAddr::from_https_url(s).map(|a| a.to_string());
        assert_eq!(
            u("https://proxy.example.com/KdcProxy").as_deref(),
            Some("https://proxy.example.com:443/KdcProxy")
        );
        assert_eq!(
            u("HTTPS://127.0.0.1:8443").as_deref(),
            Some("https://127.0.0.1:8443/")
        );
        assert_eq!(
            u("https://[::1]:8443/a/b").as_deref(),
            Some("https://[::1]:8443/a/b")
        );
        for bad in [
            "https://",
            "https://:1/",
            "https://h:0/",
            "https://h:x/",
            "http://h/",
            "https://h/a b",
        ] {
            assert_eq!(u(bad), None, "{bad}");
        }
    }
}
