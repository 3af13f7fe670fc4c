//! The rustls client configuration for each `--ssl-mode`, with the two certificate verifiers
//! the mysql client's modes need beyond webpki's.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::{Error, SslMode};

/// REQUIRED / PREFERRED: accept any certificate, but still check the handshake signature
/// (so the session is at least bound to the presented key).
#[derive(Debug)]
struct NoCertVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCertVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// VERIFY_CA: full chain verification, but a host-name mismatch is ignored. webpki checks the
/// chain before the name, so a name error implies the chain was valid.
#[derive(Debug)]
struct CaOnlyVerification(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for CaOnlyVerification {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            r => r,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The ring crypto provider.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The CA certificates of the PEM file `--ssl-ca`.
fn load_roots(path: &std::path::Path) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| Error::Config(format!("--ssl-ca {}: {e}", path.display())))?;
    for c in iter {
        let c = c.map_err(|e| Error::Config(format!("--ssl-ca {}: {e}", path.display())))?;
        roots.add(c)?;
    }
    if roots.is_empty() {
        return Err(Error::Config(format!(
            "--ssl-ca {}: no certificates found",
            path.display()
        )));
    }
    Ok(roots)
}

/// Build the rustls client configuration for `mode` (None for `Disabled`).
pub fn tls_client_config(
    mode: SslMode,
    ssl_ca: Option<&std::path::Path>,
) -> Result<Option<Arc<rustls::ClientConfig>>, Error> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        SslMode::Disabled => return Ok(None),
        SslMode::Preferred | SslMode::Required => Arc::new(NoCertVerification(provider.clone())),
        SslMode::VerifyCa | SslMode::VerifyIdentity => {
            let ca = ssl_ca.ok_or_else(|| {
                Error::Config("--ssl-mode VERIFY_CA/VERIFY_IDENTITY needs --ssl-ca".into())
            })?;
            let webpki = WebPkiServerVerifier::builder_with_provider(
                Arc::new(load_roots(ca)?),
                provider.clone(),
            )
            .build()
            .map_err(|e| Error::Tls(e.to_string()))?;
            if mode == SslMode::VerifyCa {
                Arc::new(CaOnlyVerification(webpki))
            } else {
                webpki
            }
        }
    };
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(Arc::new(cfg)))
}
