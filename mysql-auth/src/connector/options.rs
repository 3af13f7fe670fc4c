//! Connection options and `--ssl-mode`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::Error;
use crate::plugin::KerberosPlugin;
use crate::spn_policy::SpnPolicy;

/// `--ssl-mode` with the mysql client's semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SslMode {
    /// Plain TCP only.
    Disabled,
    /// TLS if the server offers it, without certificate verification.
    Preferred,
    /// TLS or fail; the certificate is not verified (encryption only).
    Required,
    /// TLS; the chain must verify against `--ssl-ca`; the host name is not checked.
    VerifyCa,
    /// Like `VerifyCa`, and the certificate must match the host name (or IP).
    VerifyIdentity,
}

impl std::str::FromStr for SslMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "DISABLED" => Self::Disabled,
            "PREFERRED" => Self::Preferred,
            "REQUIRED" => Self::Required,
            "VERIFY_CA" => Self::VerifyCa,
            "VERIFY_IDENTITY" => Self::VerifyIdentity,
            _ => return Err(Error::Config(format!("unknown ssl mode '{s}'"))),
        })
    }
}

/// Connection options: [`ConnectOptions::new`], changed with the `with_*` methods.
///
/// ```
/// use std::time::Duration;
///
/// use mysql_auth::KerberosPlugin;
/// use mysql_auth::connector::{ConnectOptions, SslMode};
///
/// let opts = ConnectOptions::new("db.ad.myaws.com", "joedoe", KerberosPlugin::MysqlKerberos)
///     .with_database("labdb")
///     .with_ssl_mode(SslMode::VerifyIdentity)
///     .with_ssl_ca("/etc/ssl/certs/db-ca.pem")
///     .with_connect_timeout(Duration::from_secs(5));
/// assert_eq!(opts.port, 3306);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Host name or IP address.
    pub host: String,
    /// TCP port (3306).
    pub port: u16,
    /// Account name (see [`crate::HandshakeOptions::user`]).
    pub user: String,
    /// Initial database.
    pub database: Option<String>,
    /// Kerberos plugin to announce.
    pub plugin: KerberosPlugin,
    /// TLS mode.
    pub ssl_mode: SslMode,
    /// PEM file with the CA certificate(s) for `VerifyCa` / `VerifyIdentity`.
    pub ssl_ca: Option<PathBuf>,
    /// Bound for the TCP connect and greeting, and again for the login.
    pub connect_timeout: Duration,
    /// Bound for each command's round trip (None = unbounded).
    pub read_timeout: Option<Duration>,
    /// Largest accepted packet payload.
    pub max_packet: usize,
    /// Bound on the memory one buffered result set holds (field bytes plus the per-field and
    /// per-row bookkeeping, so NULL-only rows count their real cost).
    pub max_result_bytes: usize,
    /// The SPNs the server may ask for ([`SpnPolicy::DatabaseServices`] by default): checked
    /// before [`super::Initiator::acquire`] fetches any ticket, the realm against `host` and
    /// what [`crate::GssInitiator::spn_context`] knows.
    pub spn_policy: SpnPolicy,
    /// Called with a warning the user must see, before any Kerberos token is sent: with
    /// `PREFERRED`, a server that does not offer TLS (the login and session go in clear text).
    /// Also logged with `tracing::warn!`.
    pub on_warning: Option<fn(&str)>,
    /// Client collation id (45 = utf8mb4_general_ci).
    pub charset: u8,
    /// See [`crate::HandshakeOptions::capabilities`].
    pub capabilities: Option<u32>,
    /// See [`crate::HandshakeOptions::connect_attrs`].
    pub connect_attrs: Option<Vec<u8>>,
    /// See [`crate::HandshakeOptions::probe_other_plugins`].
    pub probe_other_plugins: bool,
    /// TEST AID ONLY: see [`crate::HandshakeOptions::native_password_test_aid`]. Hidden from
    /// the documentation and without a builder: it exists only with the
    /// `test-native-password` feature, for the tests against a real server.
    #[doc(hidden)]
    #[cfg(feature = "test-native-password")]
    pub native_password_test_aid: Option<String>,
    /// The TLS configuration [`ConnectOptions::prepare_tls`] built, with the mode and CA
    /// file it was built for.
    prepared_tls: Option<PreparedTls>,
}

/// A rustls configuration built once for one `ssl_mode` and `ssl_ca`.
#[derive(Debug, Clone)]
struct PreparedTls {
    mode: SslMode,
    ca: Option<PathBuf>,
    config: Option<Arc<rustls::ClientConfig>>,
}

impl ConnectOptions {
    /// Defaults: port 3306, no database, `PREFERRED`, 10 s connect timeout, 16 MiB packets.
    pub fn new(host: impl Into<String>, user: impl Into<String>, plugin: KerberosPlugin) -> Self {
        Self {
            host: host.into(),
            port: 3306,
            user: user.into(),
            database: None,
            plugin,
            ssl_mode: SslMode::Preferred,
            ssl_ca: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Some(Duration::from_secs(60)),
            max_packet: crate::packet::DEFAULT_MAX_PAYLOAD,
            max_result_bytes: 256 * 1024 * 1024,
            spn_policy: SpnPolicy::default(),
            on_warning: None,
            charset: 45,
            capabilities: None,
            connect_attrs: None,
            probe_other_plugins: false,
            #[cfg(feature = "test-native-password")]
            native_password_test_aid: None,
            prepared_tls: None,
        }
    }

    /// Sets [`ConnectOptions::port`], the server's TCP port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets [`ConnectOptions::database`], the initial database.
    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Sets [`ConnectOptions::ssl_mode`] (`--ssl-mode`).
    pub fn with_ssl_mode(mut self, mode: SslMode) -> Self {
        self.ssl_mode = mode;
        self
    }

    /// Sets [`ConnectOptions::ssl_ca`] (`--ssl-ca`), the CA file for `VerifyCa`/`VerifyIdentity`.
    pub fn with_ssl_ca(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_ca = Some(path.into());
        self
    }

    /// Sets [`ConnectOptions::connect_timeout`], the bound on connecting, the greeting and the login.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`ConnectOptions::read_timeout`], the bound on each command (`None`: unbounded).
    pub fn with_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets [`ConnectOptions::max_packet`], the largest accepted packet payload.
    pub fn with_max_packet(mut self, max: usize) -> Self {
        self.max_packet = max;
        self
    }

    /// Sets [`ConnectOptions::max_result_bytes`], the memory bound of one result set.
    pub fn with_max_result_bytes(mut self, max: usize) -> Self {
        self.max_result_bytes = max;
        self
    }

    /// Sets [`ConnectOptions::spn_policy`], the SPNs the server may ask for.
    pub fn with_spn_policy(mut self, policy: SpnPolicy) -> Self {
        self.spn_policy = policy;
        self
    }

    /// Sets [`ConnectOptions::on_warning`], called with a warning the user must see.
    pub fn with_on_warning(mut self, warn: fn(&str)) -> Self {
        self.on_warning = Some(warn);
        self
    }

    /// Sets [`ConnectOptions::charset`], the client collation id.
    pub fn with_charset(mut self, charset: u8) -> Self {
        self.charset = charset;
        self
    }

    /// Sets [`ConnectOptions::capabilities`], the command-phase capability flags to request.
    pub fn with_capabilities(mut self, capabilities: u32) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// Sets [`ConnectOptions::connect_attrs`], connection attributes in wire form.
    pub fn with_connect_attrs(mut self, attrs: Vec<u8>) -> Self {
        self.connect_attrs = Some(attrs);
        self
    }

    /// Sets [`ConnectOptions::probe_other_plugins`]: answer a non-Kerberos plugin switch so the server gives its verdict.
    pub fn with_probe_other_plugins(mut self, probe: bool) -> Self {
        self.probe_other_plugins = probe;
        self
    }

    /// Build the TLS configuration for `ssl_mode` and `ssl_ca` now (reading the CA file, a
    /// blocking read) so that every login with these options shares it instead of reading
    /// the file and building it again: for many logins, as a proxy makes. A later change of
    /// `ssl_mode` or `ssl_ca` is noticed, and such a login builds its own again. Does nothing
    /// if the configuration is already prepared for the current settings.
    pub fn prepare_tls(&mut self) -> Result<(), Error> {
        if self.prepared().is_some() {
            return Ok(());
        }
        let config = super::tls_client_config(self.ssl_mode, self.ssl_ca.as_deref())?;
        self.prepared_tls = Some(PreparedTls {
            mode: self.ssl_mode,
            ca: self.ssl_ca.clone(),
            config,
        });
        Ok(())
    }

    /// The TLS configuration for a login: the prepared one if it was built for the current
    /// `ssl_mode` and `ssl_ca`, else a new one.
    pub(crate) fn tls_config(&self) -> Result<Option<Arc<rustls::ClientConfig>>, Error> {
        match self.prepared() {
            Some(p) => Ok(p.config.clone()),
            None => super::tls_client_config(self.ssl_mode, self.ssl_ca.as_deref()),
        }
    }

    /// The prepared TLS configuration, if it was built for the current settings.
    fn prepared(&self) -> Option<&PreparedTls> {
        self.prepared_tls
            .as_ref()
            .filter(|p| p.mode == self.ssl_mode && p.ca == self.ssl_ca)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prepared_tls_configuration_is_shared_until_the_settings_change() {
        let mut o = ConnectOptions::new("db", "joe", KerberosPlugin::MariadbGssapi);
        o.ssl_mode = SslMode::Required;
        o.prepare_tls().unwrap();
        let a = o.tls_config().unwrap().expect("TLS for REQUIRED");
        let b = o.tls_config().unwrap().expect("TLS for REQUIRED");
        assert!(Arc::ptr_eq(&a, &b), "one configuration for every login");
        o.prepare_tls().unwrap();
        let c = o.tls_config().unwrap().unwrap();
        assert!(Arc::ptr_eq(&a, &c), "preparing again keeps it");
        // A stricter mode set afterwards is never served by the prepared, laxer one.
        o.ssl_mode = SslMode::VerifyIdentity;
        assert!(
            matches!(o.tls_config(), Err(Error::Config(_))),
            "needs --ssl-ca"
        );
        o.ssl_mode = SslMode::Disabled;
        assert!(o.tls_config().unwrap().is_none());
    }
}
