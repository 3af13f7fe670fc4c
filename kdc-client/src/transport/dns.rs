//! DNS discovery, as MIT's `locate_kdc.c` and `hostrealm_dns.c` do it (feature `dns`):
//!
//! - servers of a realm ([`locate`]): URI records `_kerberos.REALM.` (MIT's `krb5srv:` form,
//!   when `dns_uri_lookup` is on), else SRV records `_kerberos._udp.REALM.` then
//!   `_kerberos._tcp.REALM.` (RFC 4120 §7.2.3.2, RFC 2782); `_kpasswd` and `_kerberos-adm`
//!   the same way for password-change servers;
//! - the realm of a host ([`realm_from_txt`]): TXT records `_kerberos.HOST.`, then of each
//!   parent domain (MIT's `dns_lookup_realm`).
//!
//! The queries go to the nameservers of `/etc/resolv.conf` ([`ResolvConf`]) through
//! [`SystemResolver`], our own small stub resolver over the sans-IO codec [`crate::dns`]: UDP
//! from an ephemeral port with a random query id, TCP when the reply is truncated, each try
//! bounded by the `timeout` option, the next nameserver on any failure, `attempts` rounds.

use std::cmp::Reverse;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

use super::{KdcAddr, Transport};
use crate::Realm;
use crate::dns::{
    Answer, DnsMessageError, Record, RecordType, SrvRecord, encode_query, parse_response,
};

/// A failed DNS query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DNS lookup of {name} failed: {reason}")]
pub struct DnsError {
    /// The name asked for (or what could not be read).
    pub name: String,
    /// What went wrong, with the nameserver when one was asked.
    pub reason: String,
}

/// Answers DNS queries: [`SystemResolver`] asks the system's nameservers; tests use a fake.
pub trait DnsResolver {
    /// The records of type `rtype` at the fully qualified `name`; empty if the name has none
    /// or does not exist.
    fn query(
        &self,
        name: &str,
        rtype: RecordType,
    ) -> impl Future<Output = Result<Vec<Record>, DnsError>> + Send;
}

/// What [`locate`] looks for: MIT's `locate_service_type`, with its DNS names and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Service {
    /// KDCs: URI `_kerberos`, SRV `_kerberos._udp`/`_tcp`, port 88.
    Kdc,
    /// Primary KDCs (MIT's `locate_service_primary_kdc`): the URI `_kerberos` records with
    /// the `m` flag, SRV `_kerberos-master._udp`/`_tcp`, port 88.
    PrimaryKdc,
    /// Password-change servers (RFC 3244): URI `_kpasswd`, SRV `_kpasswd._udp`/`_tcp`,
    /// port 464.
    Kpasswd,
    /// Administration servers: URI `_kerberos-adm`, SRV `_kerberos-adm._udp`/`_tcp`, port
    /// 749. MIT's kpasswd falls back to them (TCP only) on port 464.
    Kadmin,
}

impl Service {
    /// The URI name prefix.
    fn uri_prefix(self) -> &'static str {
        match self {
            Self::PrimaryKdc => "_kerberos",
            other => other.srv_prefix(),
        }
    }

    /// The SRV service label.
    fn srv_prefix(self) -> &'static str {
        match self {
            Self::Kdc => "_kerberos",
            Self::PrimaryKdc => "_kerberos-master",
            Self::Kpasswd => "_kpasswd",
            Self::Kadmin => "_kerberos-adm",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Kdc | Self::PrimaryKdc => super::DEFAULT_KDC_PORT,
            Self::Kpasswd => 464,
            Self::Kadmin => 749,
        }
    }
}

/// Servers found in DNS and the record type that named them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// In the order to try them.
    pub servers: Vec<KdcAddr>,
    /// [`RecordType::Uri`] or [`RecordType::Srv`].
    pub from: RecordType,
}

/// The servers of `service` for `realm` from DNS, as MIT's `locate_server` after an empty
/// profile: with `uri_lookup`, the usable `krb5srv:` URI records of `_kerberos.REALM.` (or
/// `_kpasswd`, `_kerberos-adm`); if there are none, the targets of the `_udp` then `_tcp` SRV
/// records. `tcp_only` asks for TCP servers only (MIT's `no_udp`: no `_udp` query, only `tcp`
/// URIs). Records are ordered by priority, then by descending weight (no random weighting);
/// SRV targets `.` and port 0 are dropped.
///
/// A failed query is traced; it is an error only when no server was found. `Ok` with no
/// servers means DNS has none.
pub async fn locate(
    realm: &Realm,
    service: Service,
    tcp_only: bool,
    uri_lookup: bool,
    resolver: &impl DnsResolver,
) -> Result<Located, DnsError> {
    let realm_name = realm.as_str().trim_end_matches('.');
    let mut failure = None;
    if uri_lookup {
        let name = format!("{}.{realm_name}.", service.uri_prefix());
        match resolver.query(&name, RecordType::Uri).await {
            Ok(records) => {
                let mut uris: Vec<_> = records
                    .into_iter()
                    .filter_map(|r| match r {
                        Record::Uri(u) => Some(u),
                        _ => None,
                    })
                    .collect();
                tracing::debug!(realm = %realm, records = uris.len(), "URI lookup of {name}");
                uris.sort_by_key(|u| (u.priority, Reverse(u.weight)));
                let servers: Vec<KdcAddr> = uris
                    .iter()
                    .filter(|u| service != Service::PrimaryKdc || krb5srv_is_primary(&u.target))
                    .filter_map(|u| parse_krb5srv(&u.target, service.default_port()))
                    .filter(|a| !tcp_only || a.transport == Some(Transport::Tcp))
                    .collect();
                if !servers.is_empty() {
                    return Ok(Located {
                        servers,
                        from: RecordType::Uri,
                    });
                }
            }
            Err(e) => {
                tracing::debug!(realm = %realm, "{e}");
                failure = Some(e);
            }
        }
    }
    let mut servers = Vec::new();
    let protocols: &[(Transport, &str)] = if tcp_only {
        &[(Transport::Tcp, "_tcp")]
    } else {
        &[(Transport::Udp, "_udp"), (Transport::Tcp, "_tcp")]
    };
    for &(transport, protocol) in protocols {
        let name = format!("{}.{protocol}.{realm_name}.", service.srv_prefix());
        // Each query stands alone (as in MIT's locate_kdc.c): a server that refuses the TCP
        // name does not void the UDP answers.
        let records = match resolver.query(&name, RecordType::Srv).await {
            Ok(records) => records,
            Err(e) => {
                tracing::debug!(realm = %realm, "{e}");
                failure = Some(e);
                continue;
            }
        };
        let mut records: Vec<SrvRecord> = records
            .into_iter()
            .filter_map(|r| match r {
                Record::Srv(s) => Some(s),
                _ => None,
            })
            .collect();
        tracing::debug!(realm = %realm, records = records.len(), "SRV lookup of {name}");
        records.sort_by_key(|r| (r.priority, Reverse(r.weight)));
        servers.extend(records.into_iter().filter_map(|r| {
            let host = r.target.trim_end_matches('.');
            (!host.is_empty() && r.port != 0).then(|| KdcAddr {
                transport: Some(transport),
                host: host.to_owned(),
                port: r.port,
                path: None,
            })
        }));
    }
    match failure {
        Some(e) if servers.is_empty() => Err(e),
        _ => Ok(Located {
            servers,
            from: RecordType::Srv,
        }),
    }
}

/// Whether a `krb5srv:FLAGS:...` URI names a primary KDC: FLAGS holds `m` or `M` (MIT's
/// `parse_uri_fields`).
pub fn krb5srv_is_primary(uri: &str) -> bool {
    uri.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("krb5srv:"))
        && uri
            .get(8..)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(flags, _)| flags.contains(['m', 'M']))
}

/// A server from MIT's URI form `krb5srv:FLAGS:udp|tcp|kkdcp:ADDRESS` (`locate_kdc.c`): the
/// scheme and transport case-insensitive, any flags (`m`, a primary KDC: see
/// [`krb5srv_is_primary`]); ADDRESS is `host[:port]` (IPv6 in brackets) for UDP and TCP, an `https://` URL for
/// `kkdcp` (MS-KKDCP; skipped without the `https` feature). `None` for anything else.
pub fn parse_krb5srv(uri: &str, default_port: u16) -> Option<KdcAddr> {
    let scheme = uri.get(..8)?;
    if !scheme.eq_ignore_ascii_case("krb5srv:") {
        return None;
    }
    let (_flags, rest) = uri.get(8..)?.split_once(':')?;
    let (transport, address) = rest.split_once(':')?;
    let transport = match transport.to_ascii_lowercase().as_str() {
        "udp" => Transport::Udp,
        "tcp" => Transport::Tcp,
        "kkdcp" if cfg!(feature = "https") => return KdcAddr::from_https_url(address),
        _ => return None,
    };
    let (host, port) = split_host_port(address, default_port)?;
    Some(KdcAddr {
        transport: Some(transport),
        host,
        port,
        path: None,
    })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address (MIT's
/// `k5_parse_host_string`); the port is 1 to 65535.
fn split_host_port(s: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else if s.matches(':').count() == 1 {
        let (h, p) = s.split_once(':')?;
        (h, Some(p))
    } else {
        (s, None)
    };
    let port = match port {
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u16>().ok()?,
        Some(_) => return None,
        None => default_port,
    };
    let bad = |c: char| c.is_whitespace() || c.is_control() || c == '/';
    (port != 0 && !host.is_empty() && !host.contains(bad)).then(|| (host.to_owned(), port))
}

/// The realm of `host` from TXT records, as MIT's `dns_lookup_realm` (`hostrealm_dns.c`,
/// `txt_lookup`): the first string of the first TXT record of `_kerberos.HOST.`, else of
/// `_kerberos.` each parent domain in turn, down to the top-level one; a trailing dot is
/// dropped. `None` for IP addresses, when no name has a record, or when a record is not a
/// realm name. Failed queries count as no record.
pub async fn realm_from_txt(host: &str, resolver: &impl DnsResolver) -> Option<Realm> {
    let host = host.trim_end_matches('.');
    if host.is_empty() || host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let mut rest = Some(host);
    while let Some(domain) = rest.filter(|d| !d.is_empty()) {
        if let Some(realm) = txt_realm(&format!("_kerberos.{domain}."), resolver).await {
            return Some(realm);
        }
        rest = domain.split_once('.').map(|(_, parent)| parent);
    }
    None
}

/// The default realm from DNS, as MIT's `dns_default_realm` (`hostrealm_dns.c`, with
/// `dns_lookup_realm`): [`realm_from_txt`] for the local host's fully qualified name
/// ([`fq_local_hostname`]), else the global record `_kerberos.` at the root.
pub async fn default_realm_from_txt(
    local_host: &str,
    resolver: &impl DnsResolver,
) -> Option<Realm> {
    match realm_from_txt(local_host, resolver).await {
        Some(realm) => Some(realm),
        None => txt_realm("_kerberos.", resolver).await,
    }
}

/// The realm in the first string of the first TXT record at `name` (MIT's
/// `k5_try_realm_txt_rr`), traced as MIT's `TXT record NAME found: REALM`.
async fn txt_realm(name: &str, resolver: &impl DnsResolver) -> Option<Realm> {
    let records = match resolver.query(name, RecordType::Txt).await {
        Ok(records) => records,
        Err(e) => {
            tracing::debug!("{e}");
            return None;
        }
    };
    let first = records.into_iter().find_map(|r| match r {
        Record::Txt(strings) => strings.into_iter().next(),
        _ => None,
    });
    let Some(text) = first else {
        tracing::debug!("TXT record {name} not found");
        return None;
    };
    let text = String::from_utf8_lossy(&text);
    let realm = text.strip_suffix('.').unwrap_or(&text);
    // A realm name holds no control characters: such a record is refused, not traced raw.
    match Realm::new(realm) {
        Ok(realm) if !realm.as_str().chars().any(char::is_control) => {
            tracing::debug!("TXT record {name} found: {realm}");
            Some(realm)
        }
        _ => {
            tracing::debug!(
                "TXT record {name} holds no realm name: {}",
                crate::escape_peer_text(&text, 300)
            );
            None
        }
    }
}

/// Where [`fq_local_hostname`] reads the local host name (the kernel's, as `gethostname`).
pub const HOSTNAME_FILE: &str = "/proc/sys/kernel/hostname";
/// The hosts file [`fq_local_hostname`] reads the canonical name from.
pub const HOSTS_FILE: &str = "/etc/hosts";

/// The local host's fully qualified name, as MIT's `krb5int_get_fq_local_hostname`
/// (`gethostname`, then the canonical name `getaddrinfo` gives): `hostname`, or the
/// canonical (first) name of the `hosts` line that lists it, case-insensitively. Unlike
/// glibc's `getaddrinfo`, no DNS query with the resolver's search list is made for a name
/// without a dot that `hosts` does not list: the name is used as it is.
pub fn fq_local_hostname(hostname: &str, hosts: &str) -> String {
    let hostname = hostname.trim();
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let _address = words.next();
        let names: Vec<&str> = words.collect();
        if names.iter().any(|n| n.eq_ignore_ascii_case(hostname))
            && let Some(canonical) = names.first()
        {
            return (*canonical).to_owned();
        }
    }
    hostname.to_owned()
}

/// [`fq_local_hostname`] of this machine, from [`HOSTNAME_FILE`] and [`HOSTS_FILE`]. Blocking
/// file I/O: call it off the async workers. `None` when the host name cannot be read.
pub fn read_fq_local_hostname() -> Option<String> {
    let hostname = std::fs::read_to_string(HOSTNAME_FILE)
        .map_err(|e| tracing::debug!("Cannot read {HOSTNAME_FILE}: {e}"))
        .ok()?;
    let hosts = std::fs::read_to_string(HOSTS_FILE).unwrap_or_default();
    Some(fq_local_hostname(&hostname, &hosts)).filter(|h| !h.is_empty())
}

/// The nameservers and options of `/etc/resolv.conf` that [`SystemResolver`] uses (glibc's
/// `resolv.conf(5)` rules for `nameserver` and `options timeout:N attempts:N rotate`; search
/// domains do not matter, every name asked is absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvConf {
    /// At most three (glibc's `MAXNS`), on port 53; `127.0.0.1` when the file names none.
    pub nameservers: Vec<SocketAddr>,
    /// How long one try waits for a reply (default 5 s, at most 30 s).
    pub timeout: Duration,
    /// Rounds over the nameservers (default 2, at most 5).
    pub attempts: u32,
    /// Start each query at the next nameserver (`options rotate`).
    pub rotate: bool,
}

/// The system resolver configuration file.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

impl ResolvConf {
    /// Parse the text of a resolv.conf; unknown or malformed lines are ignored, as glibc does.
    pub fn parse(text: &str) -> Self {
        let mut conf = Self {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(5),
            attempts: 2,
            rotate: false,
        };
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    let addr = words.next().and_then(|a| a.parse::<IpAddr>().ok());
                    if let Some(ip) = addr
                        && conf.nameservers.len() < 3
                    {
                        conf.nameservers.push(SocketAddr::new(ip, 53));
                    }
                }
                Some("options") => {
                    for option in words {
                        let number = |prefix| {
                            option
                                .strip_prefix(prefix)
                                .and_then(|n: &str| n.parse::<u32>().ok())
                        };
                        if let Some(n) = number("timeout:") {
                            conf.timeout = Duration::from_secs(n.clamp(1, 30).into());
                        } else if let Some(n) = number("attempts:") {
                            conf.attempts = n.clamp(1, 5);
                        } else if option == "rotate" {
                            conf.rotate = true;
                        }
                    }
                }
                _ => {}
            }
        }
        if conf.nameservers.is_empty() {
            conf.nameservers
                .push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53));
        }
        conf
    }

    /// Read [`RESOLV_CONF`]. Blocking file I/O: call it off the async workers
    /// (`spawn_blocking`). A missing file gives the defaults, as with glibc.
    pub fn read_system() -> Result<Self, DnsError> {
        match std::fs::read_to_string(RESOLV_CONF) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::parse("")),
            Err(e) => Err(DnsError {
                name: RESOLV_CONF.into(),
                reason: e.to_string(),
            }),
        }
    }
}

/// A stub resolver asking the nameservers of a [`ResolvConf`] (recursion desired).
#[derive(Debug)]
pub struct SystemResolver {
    conf: ResolvConf,
    /// The nameserver the next query starts at (`options rotate`).
    next: AtomicUsize,
}

/// Datagrams that are not the reply (wrong id, question or sender) ignored per try at most.
const MAX_STRAY_DATAGRAMS: usize = 16;

impl SystemResolver {
    /// A resolver using `conf`.
    pub fn new(conf: ResolvConf) -> Self {
        Self {
            conf,
            next: AtomicUsize::new(0),
        }
    }

    /// One try with one nameserver: UDP, then TCP if the reply is truncated.
    async fn ask(
        &self,
        server: SocketAddr,
        name: &str,
        rtype: RecordType,
    ) -> Result<Answer, String> {
        let deadline = Instant::now() + self.conf.timeout;
        let answer = timeout_at(deadline, udp_exchange(server, name, rtype))
            .await
            .map_err(|_| format!("no answer from {server} within {:?}", self.conf.timeout))??;
        if answer != Answer::Truncated {
            return Ok(answer);
        }
        tracing::debug!("DNS reply from {server} truncated; asking over TCP");
        let deadline = Instant::now() + self.conf.timeout;
        match timeout_at(deadline, tcp_exchange(server, name, rtype)).await {
            Ok(Ok(Answer::Truncated)) => Err(format!("{server} truncated its TCP reply")),
            Ok(result) => result,
            Err(_) => Err(format!(
                "no TCP answer from {server} within {:?}",
                self.conf.timeout
            )),
        }
    }
}

impl DnsResolver for SystemResolver {
    async fn query(&self, name: &str, rtype: RecordType) -> Result<Vec<Record>, DnsError> {
        let error = |reason: String| DnsError {
            name: name.to_owned(),
            reason,
        };
        // Validate the name once, before any socket is made.
        encode_query(0, name, rtype).map_err(|e| error(e.to_string()))?;
        let servers = &self.conf.nameservers;
        let start = if self.conf.rotate {
            self.next.fetch_add(1, Ordering::Relaxed)
        } else {
            0
        };
        let mut last = String::from("no nameserver");
        for _ in 0..self.conf.attempts {
            for i in 0..servers.len() {
                let server = servers[(start + i) % servers.len()];
                tracing::debug!("DNS {rtype} query for {name} to {server}");
                match self.ask(server, name, rtype).await {
                    Ok(Answer::Records(records)) => return Ok(records),
                    Ok(Answer::NoSuchName) => return Ok(Vec::new()),
                    Ok(Answer::Truncated) => last = format!("{server} truncated its reply"),
                    Err(e) => {
                        tracing::debug!("DNS query for {name}: {e}");
                        last = e;
                    }
                }
            }
        }
        Err(error(last))
    }
}

/// A random query id (RFC 5452 §9.2): with the ephemeral source port, what an off-path
/// attacker must guess.
fn random_id() -> Result<u16, String> {
    let mut id = [0; 2];
    getrandom::fill(&mut id).map_err(|e| format!("no random query id: {e}"))?;
    Ok(u16::from_be_bytes(id))
}

fn describe(server: SocketAddr, e: &DnsMessageError) -> String {
    format!("{server}: {e}")
}

/// The UDP exchange (RFC 1035 §4.2.1): a connected socket on an ephemeral port (chosen at
/// random by the kernel), so only `server`'s datagrams arrive; replies to other queries are
/// ignored, a bounded number of times.
async fn udp_exchange(server: SocketAddr, name: &str, rtype: RecordType) -> Result<Answer, String> {
    let id = random_id()?;
    let query = encode_query(id, name, rtype).map_err(|e| e.to_string())?;
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let io = |e: std::io::Error| format!("{server}: {e}");
    let socket = UdpSocket::bind(local).await.map_err(io)?;
    socket.connect(server).await.map_err(io)?;
    socket.send(&query).await.map_err(io)?;
    // Without EDNS a UDP reply is at most 512 bytes (RFC 1035 §4.2.1); room for more.
    let mut buf = vec![0; 4096];
    for _ in 0..MAX_STRAY_DATAGRAMS {
        let n = socket.recv(&mut buf).await.map_err(io)?;
        match parse_response(id, name, rtype, &buf[..n]) {
            Err(DnsMessageError::Mismatch(why)) => {
                tracing::debug!("Ignoring a DNS datagram from {server}: {why}");
            }
            result => return result.map_err(|e| describe(server, &e)),
        }
    }
    Err(format!("{server}: too many stray datagrams"))
}

/// The TCP exchange (RFC 1035 §4.2.2, RFC 7766): a two-byte length before each message.
async fn tcp_exchange(server: SocketAddr, name: &str, rtype: RecordType) -> Result<Answer, String> {
    let id = random_id()?;
    let query = encode_query(id, name, rtype).map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| format!("{server} (TCP): {e}");
    let mut stream = TcpStream::connect(server).await.map_err(io)?;
    let len = u16::try_from(query.len()).map_err(|_| "query too long".to_owned())?;
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend_from_slice(&query);
    stream.write_all(&frame).await.map_err(io)?;
    let len = usize::from(stream.read_u16().await.map_err(io)?);
    let mut reply = vec![0; len];
    stream.read_exact(&mut reply).await.map_err(io)?;
    parse_response(id, name, rtype, &reply).map_err(|e| describe(server, &e))
}

#[cfg(test)]
mod tests;
