//! KDC addresses in MIT's `kdc =` syntax: `host`, `host:port`, `[v6]`, `[v6]:port`, each
//! optionally prefixed by `tcp/` or `udp/` (krb5.conf(5), MIT's `k5_parse_host_string`).

use std::fmt;
use std::str::FromStr;

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

/// A `kdc =` entry that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid KDC address '{spec}': {reason}")]
pub struct KdcAddrError {
    pub spec: String,
    pub reason: &'static str,
}

impl FromStr for KdcAddr {
    type Err = KdcAddrError;

    fn from_str(spec: &str) -> Result<Self, KdcAddrError> {
        let invalid = |reason| KdcAddrError {
            spec: spec.to_owned(),
            reason,
        };
        let trimmed = spec.trim();
        let (transport, rest) = match trimmed.split_at_checked(4) {
            Some((p, rest)) if p.eq_ignore_ascii_case("tcp/") => (Some(Transport::Tcp), rest),
            Some((p, rest)) if p.eq_ignore_ascii_case("udp/") => (Some(Transport::Udp), rest),
            _ => (None, trimmed),
        };
        if rest.contains("://") {
            return Err(invalid("KDC proxy (MS-KKDCP) URLs are not supported"));
        }
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, tail) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("missing ']'"))?;
            let port = match tail {
                "" => None,
                _ => Some(
                    tail.strip_prefix(':')
                        .ok_or_else(|| invalid("expected ':' after ']'"))?,
                ),
            };
            (host, port)
        } else {
            match rest.split_once(':') {
                // More than one colon without brackets: a bare IPv6 address, no port.
                Some((host, port)) if !port.contains(':') => (host, Some(port)),
                _ => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(invalid("empty host"));
        }
        if host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/[]".contains(c))
        {
            return Err(invalid("bad character in host"));
        }
        let port = match port {
            None => DEFAULT_KDC_PORT,
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(invalid("port must be 1-65535")),
                Ok(p) => p,
            },
        };
        Ok(KdcAddr {
            transport,
            host: host.to_owned(),
            port,
        })
    }
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

    fn parse(s: &str) -> (Option<Transport>, String, u16) {
        let a: KdcAddr = s.parse().unwrap();
        (a.transport, a.host, a.port)
    }

    #[test]
    fn mit_kdc_syntax() {
        assert_eq!(
            parse("kdc.example.com"),
            (None, "kdc.example.com".into(), 88)
        );
        assert_eq!(parse(" kdc:750 "), (None, "kdc".into(), 750));
        assert_eq!(parse("10.0.0.1:88"), (None, "10.0.0.1".into(), 88));
        assert_eq!(parse("[::1]:8888"), (None, "::1".into(), 8888));
        assert_eq!(parse("[fe80::1]"), (None, "fe80::1".into(), 88));
        assert_eq!(parse("2001:db8::5"), (None, "2001:db8::5".into(), 88));
        let tcp = Some(Transport::Tcp);
        let udp = Some(Transport::Udp);
        assert_eq!(parse("tcp/kdc:99"), (tcp, "kdc".into(), 99));
        assert_eq!(parse("UDP/kdc"), (udp, "kdc".into(), 88));
        assert_eq!(parse("tcp/[::1]:1"), (tcp, "::1".into(), 1));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "   ",
            "tcp/",
            ":88",
            "kdc:",
            "kdc:0",
            "kdc:65536",
            "kdc:http",
            "[::1",
            "[::1]88",
            "[]:88",
            "https://kdc/KdcProxy",
            "sctp/kdc:88",
            "k dc:88",
            "ünïcödé\u{0}:1",
        ] {
            assert!(
                bad.parse::<KdcAddr>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["udp/127.0.0.1:88", "tcp/[::1]:750", "kdc.example.com:88"] {
            assert_eq!(s.parse::<KdcAddr>().unwrap().to_string(), s);
        }
    }
}
