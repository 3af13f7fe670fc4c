//! One exchange with an MS-KKDCP proxy (feature `https`): TLS (rustls, ring) to the proxy,
//! an HTTP/1.1 POST of the KDC-PROXY-MESSAGE, the reply read incrementally and bounded. The
//! message formats are the sans-IO `crate::unstable::kkdcp`.
//!
//! The proxy's certificate is checked against `http_anchors` as MIT reads it (`FILE:` a PEM
//! file, `DIR:` a directory of PEM files, `ENV:` a variable naming a PEM file), else against
//! the system's CA bundle; the name checked is the URL's host.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{AttemptError, KdcAddr, Payload};
use crate::Realm;
use crate::unstable::kkdcp;

/// The system CA bundles tried, in order, when no `http_anchors` are set (after
/// `SSL_CERT_FILE`).
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Most files read from a `DIR:` anchor.
const MAX_ANCHOR_FILES: usize = 1000;

/// The TLS client configuration for `anchors` (blocking file reads: run it off the async
/// workers).
pub(super) fn tls_config(anchors: &[String]) -> Result<Arc<rustls::ClientConfig>, AttemptError> {
    let mut roots = RootCertStore::empty();
    if anchors.is_empty() {
        let file = std::env::var_os("SSL_CERT_FILE")
            .map(PathBuf::from)
            .into_iter()
            .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
            .find(|p| p.is_file())
            .ok_or_else(|| AttemptError::Tls("no system CA bundle found".into()))?;
        add_pem(&mut roots, &file)?;
    }
    for anchor in anchors {
        match anchor.split_once(':') {
            Some(("FILE", path)) => add_pem(&mut roots, Path::new(path))?,
            Some(("ENV", var)) => {
                let path = std::env::var_os(var).ok_or_else(|| {
                    AttemptError::Tls(format!("http_anchors {anchor}: {var} is not set"))
                })?;
                add_pem(&mut roots, Path::new(&path))?;
            }
            Some(("DIR", dir)) => {
                let entries = std::fs::read_dir(dir)
                    .map_err(|e| AttemptError::Tls(format!("http_anchors {anchor}: {e}")))?;
                for entry in entries.take(MAX_ANCHOR_FILES).flatten() {
                    let path = entry.path();
                    if path.is_file() {
                        add_pem(&mut roots, &path)?;
                    }
                }
            }
            _ => {
                return Err(AttemptError::Tls(format!(
                    "http_anchors {anchor}: expected FILE:, DIR: or ENV:"
                )));
            }
        }
    }
    if roots.is_empty() {
        return Err(AttemptError::Tls(
            "no CA certificates in http_anchors".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| AttemptError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn add_pem(roots: &mut RootCertStore, path: &Path) -> Result<(), AttemptError> {
    let bad = |e: &dyn std::fmt::Display| AttemptError::Tls(format!("{}: {e}", path.display()));
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))? {
        let cert = cert.map_err(|e| bad(&e))?;
        // A bundle may hold certificates webpki cannot use; skip those, as MIT does.
        let _ = roots.add(cert);
    }
    Ok(())
}

/// POST the payload to the proxy `kdc` at `addr` and return the Kerberos reply inside the
/// proxy's KDC-PROXY-MESSAGE.
pub(super) async fn exchange(
    addr: SocketAddr,
    kdc: &KdcAddr,
    realm: &Realm,
    tls: Arc<rustls::ClientConfig>,
    payload: &mut Payload<'_>,
    max_reply_len: usize,
) -> Result<Vec<u8>, AttemptError> {
    let name = ServerName::try_from(kdc.host.clone())
        .map_err(|_| AttemptError::Tls(format!("{} is not a valid TLS server name", kdc.host)))?;
    let path = kdc.path.as_deref().unwrap_or("/");
    let tcp = TcpStream::connect(addr).await?;
    let request = payload.for_local(tcp.local_addr()?)?;
    let body = kkdcp::encode_request(&request, realm).map_err(proxy_error)?;
    let http = kkdcp::http_request(&kdc.host, kdc.port, path, &body);
    let mut stream = TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .map_err(|e| AttemptError::Tls(e.to_string()))?;
    tracing::debug!(kdc = %addr, "TLS certificate name matched \"{}\"", kdc.host);
    tracing::debug!(kdc = %addr, request_len = request.len(),
        "Sending HTTPS request to https {addr}");
    stream.write_all(&http).await?;
    // The DER and HTTP framing add little to the Kerberos reply; bound the body accordingly.
    let max_body = max_reply_len.saturating_add(64);
    let limit = max_body.saturating_add(kkdcp::MAX_HEADER_LEN);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            // A peer that closes without TLS close_notify: what was read is all there is.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(e.into()),
        };
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if buf.len() > limit {
            return Err(AttemptError::ReplyTooLong {
                len: buf.len() as u64,
                max: limit,
            });
        }
        match kkdcp::parse_http_response(&buf, n == 0, max_body).map_err(proxy_error)? {
            Some(body) => {
                let reply = kkdcp::decode_reply(&body).map_err(proxy_error)?;
                if reply.len() > max_reply_len {
                    return Err(AttemptError::ReplyTooLong {
                        len: reply.len() as u64,
                        max: max_reply_len,
                    });
                }
                tracing::debug!(kdc = %addr, reply_len = reply.len(),
                    "Received answer ({} bytes) from https {addr}", reply.len());
                tracing::debug!(kdc = %addr, "Terminating TCP connection to https {addr}");
                return Ok(reply);
            }
            None if n == 0 => return Err(AttemptError::Truncated),
            None => {}
        }
    }
}

fn proxy_error(e: kkdcp::KkdcpError) -> AttemptError {
    AttemptError::Proxy(e.to_string())
}
