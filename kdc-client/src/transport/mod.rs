//! The KDC transport: sends one encoded request to the KDCs of a realm over UDP
//! (RFC 4120 §7.2.1) or TCP (RFC 4120 §7.2.2) and returns the first reply.
//!
//! This is the only module of `kdc-client` that does I/O (feature `transport`, on by default).
//! It knows nothing about ASN.1: the caller passes the encoded request and a predicate that
//! recognises a KRB-ERROR `KRB_ERR_RESPONSE_TOO_BIG`. MIT's `sendto_kdc.c` is the reference:
//!
//! - the transport is UDP if the request is at most [`TransportConfig::udp_preference_limit`]
//!   bytes, TCP otherwise, unless the KDC entry forces one (`udp/…`, `tcp/…`);
//! - KDCs (and each address a host name resolves to) are tried in order, each bounded by
//!   [`TransportConfig::kdc_timeout`]; a silent, refusing or failing KDC moves on to the next;
//! - a UDP reply for which the predicate holds is retried over TCP with the same KDC;
//! - the KDC list is walked `1 + retries` times, the per-KDC timeout doubling on each pass
//!   (MIT's 1 s / 2 s / 4 s), and the whole call is bounded by [`TransportConfig::deadline`].
//!
//! Each step is traced with `tracing::debug!` in the words of MIT's `KRB5_TRACE`; lengths and
//! addresses are logged, message contents never are.
//!
//! The caller supplies the KDC list: from krb5.conf, or from DNS URI and SRV records with
//! `dns::locate` (feature `dns`; `dns` also holds the stub resolver, the only other I/O here). `https://` entries are MS-KKDCP proxies (feature
//! `https`): the same order, timeouts and deadline, the request in a KDC-PROXY-MESSAGE POSTed
//! over TLS (see `crate::unstable::kkdcp`), never retried over UDP or TCP.
//!
//! [`send_built`] sends the password-change request (RFC 3244) the same way, built for each
//! attempt's socket.

#[cfg(feature = "dns")]
pub mod dns;
#[cfg(feature = "https")]
mod https;
mod kdc_addr;
mod tcp;
mod udp;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::time::{Instant, timeout_at};
use tracing::Instrument;

use crate::Realm;
pub use kdc_addr::{DEFAULT_HTTPS_PORT, DEFAULT_KDC_PORT, KdcAddr, Transport};
pub use udp::looks_like_kdc_reply;

/// MIT's hard cap on `udp_preference_limit` (`HARD_UDP_LIMIT` in `sendto_kdc.c`).
pub const MAX_UDP_PREFERENCE_LIMIT: usize = 32_700;

/// Tunables of [`send_to_realm`]. The defaults follow MIT where MIT has a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Requests longer than this go over TCP (krb5.conf `udp_preference_limit`, default 1465;
    /// `1` forces TCP). Values above [`MAX_UDP_PREFERENCE_LIMIT`] are treated as that limit.
    pub udp_preference_limit: usize,
    /// How long one KDC address gets to answer on the first pass (krb5.conf `kdc_timeout`,
    /// default 1 s). It doubles on each further pass.
    pub kdc_timeout: Duration,
    /// Bound on the whole [`send_to_realm`] call, all KDCs and passes included (default 10 s).
    pub deadline: Duration,
    /// Longest reply accepted; a TCP length prefix above it is rejected before any allocation
    /// (default 1 MiB; tickets carrying large PACs stay well below that).
    pub max_reply_len: usize,
    /// Further passes over the KDC list after the first one fails (default 2, i.e. three passes
    /// like MIT).
    pub retries: u32,
    /// The realm's `http_anchors` (`FILE:`, `DIR:` or `ENV:`): the CAs an MS-KKDCP proxy's
    /// certificate must chain to; empty means the system's CA bundle.
    pub http_anchors: Vec<String>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            udp_preference_limit: 1465,
            kdc_timeout: Duration::from_secs(1),
            deadline: Duration::from_secs(10),
            max_reply_len: 1 << 20,
            retries: 2,
            http_anchors: Vec::new(),
        }
    }
}

impl TransportConfig {
    /// Sets [`TransportConfig::udp_preference_limit`]: longer requests go over TCP.
    pub fn with_udp_preference_limit(mut self, limit: usize) -> Self {
        self.udp_preference_limit = limit;
        self
    }

    /// Sets [`TransportConfig::kdc_timeout`], one KDC address's time on the first pass.
    pub fn with_kdc_timeout(mut self, timeout: Duration) -> Self {
        self.kdc_timeout = timeout;
        self
    }

    /// Sets [`TransportConfig::deadline`], the bound on a whole [`send_to_realm`] call.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets [`TransportConfig::max_reply_len`], the longest reply accepted.
    pub fn with_max_reply_len(mut self, len: usize) -> Self {
        self.max_reply_len = len;
        self
    }

    /// Sets [`TransportConfig::retries`], further passes over the KDC list.
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Sets [`TransportConfig::http_anchors`], the CAs an MS-KKDCP proxy must chain to.
    pub fn with_http_anchors(mut self, anchors: Vec<String>) -> Self {
        self.http_anchors = anchors;
        self
    }
}

/// A reply from a KDC, with the KDC and transport that produced it (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdcReply {
    /// The reply's bytes.
    pub bytes: Vec<u8>,
    /// The KDC that answered.
    pub kdc: SocketAddr,
    /// The transport it came over.
    pub transport: Transport,
}

/// Why one attempt at one KDC failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// The host name does not resolve.
    #[error("cannot resolve host: {0}")]
    Resolve(String),
    /// No reply within the per-attempt timeout.
    #[error("timeout")]
    Timeout,
    /// The overall deadline passed.
    #[error("overall deadline reached")]
    DeadlineExceeded,
    /// The KDC refused the connection.
    #[error("connection refused")]
    ConnectionRefused,
    /// The KDC reset the connection.
    #[error("connection reset")]
    ConnectionReset,
    /// A reply longer than the limit.
    #[error("reply too long ({len} bytes, limit {max})")]
    ReplyTooLong {
        /// The length announced or read.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// An empty reply.
    #[error("empty reply")]
    EmptyReply,
    /// The connection closed before the whole reply arrived.
    #[error("connection closed before the whole reply arrived")]
    Truncated,
    /// The TLS handshake with an HTTPS proxy failed (e.g. its certificate is not from a
    /// trusted CA), or the trust anchors could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// The HTTPS proxy's answer was not a KDC-PROXY-MESSAGE in an HTTP 200 response.
    #[error("KDC proxy: {0}")]
    Proxy(String),
    /// An HTTPS proxy entry in a build without the `https` feature.
    #[error("HTTPS KDC proxies are not supported by this build (feature https)")]
    HttpsUnsupported,
    /// Another I/O error.
    #[error("{0}")]
    Io(String),
}

impl From<std::io::Error> for AttemptError {
    fn from(e: std::io::Error) -> Self {
        use std::io::ErrorKind;
        match e.kind() {
            ErrorKind::TimedOut => Self::Timeout,
            ErrorKind::ConnectionRefused => Self::ConnectionRefused,
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Self::ConnectionReset,
            ErrorKind::UnexpectedEof => Self::Truncated,
            _ => Self::Io(e.to_string()),
        }
    }
}

/// One failed attempt: the KDC as configured (when its host did not resolve) or the address
/// and transport tried (`udp/127.0.0.1:88`), and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The KDC tried.
    pub kdc: KdcAddr,
    /// What went wrong.
    pub error: AttemptError,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kdc, self.error)
    }
}

/// Why [`send_to_realm`] returned no reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// MIT: "Cannot find KDC for realm".
    /// MIT: "Cannot find KDC for realm".
    #[error("Cannot find KDC for realm '{realm}'")]
    NoKdcs {
        /// The realm.
        realm: Realm,
    },
    /// MIT: "Cannot contact any KDC for realm"; lists every attempt in order.
    #[error("Cannot contact any KDC for realm '{realm}' (tried {})", AttemptList(.attempts))]
    CannotContact {
        /// The realm.
        realm: Realm,
        /// Every attempt, in order.
        attempts: Vec<Attempt>,
    },
    /// The request does not fit a TCP length prefix (RFC 4120 §7.2.2).
    #[error("request of {0} bytes is too long to send to a KDC")]
    RequestTooLong(usize),
}

struct AttemptList<'a>(&'a [Attempt]);

impl fmt::Display for AttemptList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, attempt) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{attempt}")?;
        }
        Ok(())
    }
}

/// True if `message` starts with the `[APPLICATION 30]` tag (0x7e) of a KRB-ERROR
/// (RFC 4120 §5.9.1). A cheap pre-check for an `is_response_too_big` predicate.
pub fn looks_like_krb_error(message: &[u8]) -> bool {
    message.first() == Some(&0x7e)
}

/// Sends `request` (an encoded AS-REQ or TGS-REQ) to the KDCs of `realm` and returns the first
/// reply; see the [module documentation](self) for the order and the fallbacks.
///
/// `is_response_too_big` is asked about each UDP reply: when it returns true (a KRB-ERROR with
/// error-code `KRB_ERR_RESPONSE_TOO_BIG`, RFC 4120 §7.2.1), the same KDC is asked again over TCP.
pub async fn send_to_realm(
    realm: &Realm,
    kdcs: &[KdcAddr],
    request: &[u8],
    cfg: &TransportConfig,
    is_response_too_big: impl Fn(&[u8]) -> bool,
) -> Result<KdcReply, TransportError> {
    tcp::frame(request).ok_or(TransportError::RequestTooLong(request.len()))?;
    let mut payload = Payload::Fixed(request);
    send(
        realm,
        kdcs,
        &mut payload,
        request.len(),
        cfg,
        looks_like_kdc_reply,
        &is_response_too_big,
    )
    .await
}

/// A request built anew for each attempt from the local address of its socket: the
/// password-change request (RFC 3244), whose KRB-PRIV names the sender's address and whose
/// authenticator must not be replayed to a server that may have seen it.
pub type BuildRequest<'a> =
    dyn FnMut(SocketAddr) -> Result<Vec<u8>, AttemptError> + Send + Sync + 'a;

/// [`send_to_realm`] for a request built per attempt by `build` (see [`BuildRequest`]), to
/// `servers` (e.g. the kpasswd servers), with the same order, timeouts and fallbacks.
/// `len_hint` (an upper bound of the request's length) chooses UDP or TCP; `accept` tells a
/// reply datagram from noise.
pub async fn send_built(
    realm: &Realm,
    servers: &[KdcAddr],
    build: &mut BuildRequest<'_>,
    len_hint: usize,
    cfg: &TransportConfig,
    accept: fn(&[u8]) -> bool,
    is_response_too_big: impl Fn(&[u8]) -> bool,
) -> Result<KdcReply, TransportError> {
    let mut payload = Payload::Built(build);
    send(
        realm,
        servers,
        &mut payload,
        len_hint,
        cfg,
        accept,
        &is_response_too_big,
    )
    .await
}

/// What goes to each server: fixed bytes, or bytes built for the attempt's local address.
pub(crate) enum Payload<'a> {
    Fixed(&'a [u8]),
    Built(&'a mut BuildRequest<'a>),
}

impl Payload<'_> {
    fn for_local(&mut self, local: SocketAddr) -> Result<std::borrow::Cow<'_, [u8]>, AttemptError> {
        match self {
            Self::Fixed(b) => Ok(std::borrow::Cow::Borrowed(b)),
            Self::Built(f) => f(local).map(std::borrow::Cow::Owned),
        }
    }
}

async fn send(
    realm: &Realm,
    kdcs: &[KdcAddr],
    payload: &mut Payload<'_>,
    request_len: usize,
    cfg: &TransportConfig,
    accept: fn(&[u8]) -> bool,
    is_response_too_big: &impl Fn(&[u8]) -> bool,
) -> Result<KdcReply, TransportError> {
    if kdcs.is_empty() {
        return Err(TransportError::NoKdcs {
            realm: realm.clone(),
        });
    }
    let preferred = if request_len > cfg.udp_preference_limit.min(MAX_UDP_PREFERENCE_LIMIT) {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    // A built request is traced by its builder, with its real length.
    if let Payload::Fixed(_) = payload {
        tracing::debug!(realm = %realm, request_len = request_len,
            "Sending request ({request_len} bytes) to {realm}");
    }
    let mut run = Run {
        realm,
        payload,
        accept,
        anchors: &cfg.http_anchors,
        #[cfg(feature = "https")]
        tls: None,
        max_reply_len: cfg.max_reply_len,
        overall_end: after(Instant::now(), cfg.deadline),
        attempts: Vec::new(),
    };
    'passes: for pass in 0..=cfg.retries {
        let kdc_timeout = cfg.kdc_timeout.saturating_mul(1 << pass.min(16));
        for kdc in kdcs {
            for addr in run.resolve(kdc, kdc_timeout).await {
                let transport = kdc.transport.unwrap_or(preferred);
                match run
                    .exchange(addr, kdc, transport, kdc_timeout, is_response_too_big)
                    .await
                {
                    Some(reply) => return Ok(reply),
                    None if Instant::now() >= run.overall_end => break 'passes,
                    None => {}
                }
            }
            if Instant::now() >= run.overall_end {
                break 'passes;
            }
        }
    }
    let err = TransportError::CannotContact {
        realm: realm.clone(),
        attempts: run.attempts,
    };
    tracing::debug!(realm = %realm, "{err}");
    Err(err)
}

/// The state of one [`send_to_realm`] call.
struct Run<'a, 'p> {
    realm: &'a Realm,
    payload: &'a mut Payload<'p>,
    accept: fn(&[u8]) -> bool,
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    anchors: &'a [String],
    /// The TLS configuration, built at the first HTTPS proxy.
    #[cfg(feature = "https")]
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    max_reply_len: usize,
    overall_end: Instant,
    attempts: Vec<Attempt>,
}

impl Run<'_, '_> {
    /// The addresses of `kdc`, in resolver order; none (with the failure recorded) if it does
    /// not resolve in time.
    async fn resolve(&mut self, kdc: &KdcAddr, timeout: Duration) -> Vec<SocketAddr> {
        if let Ok(ip) = kdc.host.parse::<IpAddr>() {
            return vec![SocketAddr::new(ip, kdc.port)];
        }
        tracing::debug!(realm = %self.realm, host = %kdc.host, "Resolving hostname {}", kdc.host);
        let lookup = async {
            match tokio::net::lookup_host((kdc.host.as_str(), kdc.port)).await {
                Ok(addrs) => Ok(addrs.collect::<Vec<_>>()),
                Err(e) => Err(AttemptError::Resolve(e.to_string())),
            }
        };
        match self.bounded(timeout, lookup).await {
            Ok(addrs) if !addrs.is_empty() => addrs,
            Ok(_) => {
                self.fail(kdc.clone(), AttemptError::Resolve("no addresses".into()));
                Vec::new()
            }
            Err(e) => {
                self.fail(kdc.clone(), e);
                Vec::new()
            }
        }
    }

    /// One exchange with `addr`, plus the TCP retry after a "response too big" UDP reply.
    /// Failures are recorded in `self.attempts`.
    async fn exchange(
        &mut self,
        addr: SocketAddr,
        kdc: &KdcAddr,
        transport: Transport,
        timeout: Duration,
        is_response_too_big: &impl Fn(&[u8]) -> bool,
    ) -> Option<KdcReply> {
        if transport == Transport::Https {
            let end = self.attempt_end(timeout);
            return match bounded(end, self.overall_end, self.https(addr, kdc)).await {
                Ok(bytes) => Some(self.reply(bytes, addr, Transport::Https)),
                Err(e) => {
                    self.fail(
                        KdcAddr {
                            host: addr.ip().to_string(),
                            port: addr.port(),
                            ..kdc.clone()
                        },
                        e,
                    );
                    None
                }
            };
        }
        if transport == Transport::Udp {
            let span = self.span(addr, Transport::Udp);
            let end = self.attempt_end(timeout);
            let udp =
                udp::exchange(addr, self.payload, self.max_reply_len, self.accept).instrument(span);
            match bounded(end, self.overall_end, udp).await {
                Ok(bytes) if is_response_too_big(&bytes) => {
                    tracing::debug!(realm = %self.realm, kdc = %addr,
                        "Request or response is too big for UDP; retrying with TCP");
                }
                Ok(bytes) => return Some(self.reply(bytes, addr, Transport::Udp)),
                Err(e) => {
                    self.fail_at(addr, Transport::Udp, e);
                    return None;
                }
            }
        }
        let span = self.span(addr, Transport::Tcp);
        let end = self.attempt_end(timeout);
        let tcp = tcp::exchange(addr, self.payload, self.max_reply_len).instrument(span);
        match bounded(end, self.overall_end, tcp).await {
            Ok(bytes) => Some(self.reply(bytes, addr, Transport::Tcp)),
            Err(e) => {
                self.fail_at(addr, Transport::Tcp, e);
                None
            }
        }
    }

    /// One exchange with the HTTPS proxy `kdc` at `addr` (the TLS configuration is built
    /// at the first proxy, its files read off the async workers).
    #[cfg(feature = "https")]
    async fn https(&mut self, addr: SocketAddr, kdc: &KdcAddr) -> Result<Vec<u8>, AttemptError> {
        let tls = match &self.tls {
            Some(t) => t.clone(),
            None => {
                let anchors = self.anchors.to_vec();
                let t = tokio::task::spawn_blocking(move || https::tls_config(&anchors))
                    .await
                    .map_err(|e| AttemptError::Tls(e.to_string()))??;
                self.tls = Some(t.clone());
                t
            }
        };
        let span = self.span(addr, Transport::Https);
        https::exchange(addr, kdc, self.realm, tls, self.payload, self.max_reply_len)
            .instrument(span)
            .await
    }

    #[cfg(not(feature = "https"))]
    async fn https(&mut self, _: SocketAddr, _: &KdcAddr) -> Result<Vec<u8>, AttemptError> {
        Err(AttemptError::HttpsUnsupported)
    }

    /// When an attempt started now with `timeout` must end: not past the overall deadline.
    fn attempt_end(&self, timeout: Duration) -> Instant {
        after(Instant::now(), timeout).min(self.overall_end)
    }

    /// Runs `attempt` for at most `timeout`, and not past the overall deadline.
    async fn bounded<T>(
        &self,
        timeout: Duration,
        attempt: impl Future<Output = Result<T, AttemptError>>,
    ) -> Result<T, AttemptError> {
        bounded(self.attempt_end(timeout), self.overall_end, attempt).await
    }

    /// A span giving the realm and transport to the events of one exchange.
    fn span(&self, kdc: SocketAddr, transport: Transport) -> tracing::Span {
        tracing::debug_span!("kdc_exchange", realm = %self.realm, kdc = %kdc, transport = %transport)
    }

    fn reply(&self, bytes: Vec<u8>, kdc: SocketAddr, transport: Transport) -> KdcReply {
        tracing::debug!(realm = %self.realm, kdc = %kdc, transport = %transport,
            reply_len = bytes.len(), "Response was from {transport}/{kdc}");
        KdcReply {
            bytes,
            kdc,
            transport,
        }
    }

    fn fail_at(&mut self, addr: SocketAddr, transport: Transport, error: AttemptError) {
        let kdc = KdcAddr {
            transport: Some(transport),
            host: addr.ip().to_string(),
            port: addr.port(),
            path: None,
        };
        self.fail(kdc, error);
    }

    fn fail(&mut self, kdc: KdcAddr, error: AttemptError) {
        tracing::debug!(realm = %self.realm, kdc = %kdc, error = %error,
            "Error contacting {kdc}: {error}");
        self.attempts.push(Attempt { kdc, error });
    }
}

/// Runs `attempt` until `end`; `overall_end` tells a deadline from a per-attempt timeout.
async fn bounded<T>(
    end: Instant,
    overall_end: Instant,
    attempt: impl Future<Output = Result<T, AttemptError>>,
) -> Result<T, AttemptError> {
    match timeout_at(end, attempt).await {
        Ok(result) => result,
        Err(_) if end == overall_end => Err(AttemptError::DeadlineExceeded),
        Err(_) => Err(AttemptError::Timeout),
    }
}

/// `now + d`, with `d` capped at 30 years so that a huge configured duration cannot overflow.
fn after(now: Instant, d: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);
    let d = d.min(FAR);
    // Monotonic clocks count from boot, so `now + 30 years` does not overflow; `now` is
    // only a panic-free fallback.
    now.checked_add(d).unwrap_or(now)
}

#[cfg(test)]
mod tests;
