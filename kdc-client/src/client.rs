//! The tokio driver: runs the sans-IO exchanges against the KDCs named in krb5.conf.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ServiceName;
use crate::asn1::KrbError;
use crate::ccache::Ccache;
use crate::config::krb5conf::{KdcServer, Krb5Conf, Transport as ConfTransport};
use crate::crypto::OsRandom;
use crate::error_code::KRB_ERR_RESPONSE_TOO_BIG;
use crate::exchange::kpasswd::{self, KPASSWD_PORT};
use crate::exchange::{
    AsExchange, AsOptions, AsStep, ChangeResult, Credentials, ExchangeError, InitialCreds,
    KdcRequest, KpasswdExchange, Secret, TgsExchange, TgsOptions, Timestamp,
};
use crate::referral::{self, RealmPath, ReferralWalker, WalkError, WalkStep};
use crate::transport::{self, KdcAddr, KdcReply, Transport, TransportConfig, TransportError};
use crate::{Principal, PrincipalName, Realm};

/// Why the client failed: no KDC answered, or an exchange failed (with the KDC that said so).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No KDC is configured or discovered for the realm.
    #[error("Cannot find KDC for realm \"{0}\"")]
    NoKdc(Realm),
    /// No KDC could be reached.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An exchange failed (the KDC's error, a bad reply).
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The cross-realm walk failed.
    #[error(transparent)]
    Walk(#[from] WalkError),
    /// A failure during a cross-realm walk, with the realms walked so far.
    #[error("{source} (path walked: {path})")]
    OnPath {
        /// The realms walked.
        path: RealmPath,
        /// The error of the failed hop.
        source: Box<ClientError>,
    },
    /// Neither `kpasswd_server` nor `admin_server` names a server for the realm.
    #[error(
        "Cannot find password change server for realm \"{0}\" (set kpasswd_server or admin_server in krb5.conf)"
    )]
    NoKpasswdServer(Realm),
    /// The cache has no TGT for the principal.
    #[error("No ticket-granting ticket for {0} in the credential cache (or it has expired)")]
    NoTgt(Principal),
    /// The armor cache holds no valid TGT of the realm (FAST, RFC 6113 §5.4.1.1).
    #[error(
        "The armor credential cache holds no valid {0} (get one with kinit -k -t KEYTAB -c ARMOR_CCACHE host/NAME)"
    )]
    NoArmor(Principal),
    /// [`CacheUse::cached_only`] and the cache holds no valid ticket for the service
    /// (MIT's `KRB5_CC_NOTFOUND`).
    #[error("Matching credential not found")]
    NotCached,
    /// The caller could not give the secret asked for (a password prompt failed).
    #[error(transparent)]
    Secret(Box<dyn std::error::Error + Send + Sync>),
}

/// How [`Client::get_service_creds_with`] uses the credential cache: MIT's
/// `KRB5_GC_CACHED` (`kvno --cached-only`) and `KRB5_GC_NO_STORE` (`kvno --no-store`).
/// The default looks in the cache, asks a KDC when needed and stores what it gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheUse {
    /// Only look in the cache; never ask a KDC ([`ClientError::NotCached`] when absent).
    pub cached_only: bool,
    /// Do not store the service ticket in the cache. Cross-realm TGTs obtained on the way
    /// are still stored, as MIT does.
    pub no_store: bool,
}

impl CacheUse {
    /// Sets [`CacheUse::cached_only`] (`kvno --cached-only`): never ask a KDC.
    pub fn with_cached_only(mut self, cached_only: bool) -> Self {
        self.cached_only = cached_only;
        self
    }

    /// Sets [`CacheUse::no_store`] (`kvno --no-store`): do not store the service ticket.
    pub fn with_no_store(mut self, no_store: bool) -> Self {
        self.no_store = no_store;
        self
    }
}

impl ClientError {
    /// The Kerberos error code, when a KDC sent one.
    pub fn kdc_error_code(&self) -> Option<i32> {
        match self {
            Self::Exchange(e) => e.kdc_error_code(),
            Self::Walk(e) => e.kdc_error().map(|k| k.code),
            Self::OnPath { source, .. } => source.kdc_error_code(),
            _ => None,
        }
    }
}

/// The clock, injectable for tests.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// A Kerberos client bound to a configuration.
#[derive(Clone)]
pub struct Client {
    conf: Arc<Krb5Conf>,
    transport: TransportConfig,
    clock: Clock,
    /// KDC round trips made through [`Client::send`] (shared by clones).
    exchanges: Arc<AtomicU64>,
    /// The system's DNS resolver, made on first use (shared by clones).
    #[cfg(feature = "dns")]
    dns: Arc<tokio::sync::OnceCell<Option<transport::dns::SystemResolver>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the configuration, with the system clock and OS randomness.
    pub fn new(conf: Krb5Conf) -> Self {
        let transport = TransportConfig {
            udp_preference_limit: conf.udp_preference_limit as usize,
            kdc_timeout: conf.kdc_timeout,
            ..TransportConfig::default()
        };
        Self {
            conf: Arc::new(conf),
            transport,
            clock: Arc::new(Timestamp::now),
            exchanges: Arc::new(AtomicU64::new(0)),
            #[cfg(feature = "dns")]
            dns: Arc::default(),
        }
    }

    /// Replace the clock (tests inject a skewed one).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replace the transport settings.
    pub fn with_transport(mut self, transport: TransportConfig) -> Self {
        self.transport = transport;
        self
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &Krb5Conf {
        &self.conf
    }

    /// The current time from the client's clock.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// AS options from `[libdefaults]` (lifetimes, flags, enctypes), for `client`
    /// ([`AsOptions::from_config`]).
    pub fn initial_options(&self, client: Principal) -> AsOptions {
        AsOptions::from_config(client, &self.conf)
    }

    /// [`Client::tgs_options`] for the tickets of `ccache`, armored (implicit TGT armor, RFC
    /// 6113 §5.4.1.1) when the cache says its principal's realm takes FAST: MIT's
    /// [`FAST_AVAIL`](crate::ccache::FAST_AVAIL) entry for `krbtgt/REALM@REALM`, written by MIT's kinit when the KDC
    /// offers FAST and by `kerb kinit -T`. `kerb kvno`, the MySQL/MariaDB logins and
    /// [`Session::service_ticket`](crate::session::Session::service_ticket) all use this rule.
    pub fn tgs_options_for(&self, ccache: &Ccache) -> TgsOptions {
        let mut opts = self.tgs_options();
        let realm = &ccache.default_principal.realm;
        if ccache.takes_fast(realm) {
            let tgs = Principal::new(PrincipalName::krbtgt(realm), realm.clone());
            tracing::debug!("The cache says {tgs} takes FAST: TGS requests armored with the TGT");
            opts.fast = true;
        }
        opts
    }

    /// TGS options from `[libdefaults]` ([`TgsOptions::from_config`]).
    pub fn tgs_options(&self) -> TgsOptions {
        TgsOptions::from_config(&self.conf)
    }

    /// The `kdc` entries of a realm in `[realms]`, in order; `https://` entries are MS-KKDCP
    /// proxies (with the `https` feature; skipped without it).
    fn configured_kdcs(&self, realm: &Realm) -> Vec<KdcAddr> {
        self.conf
            .realms
            .get(realm.as_str())
            .map(|r| r.kdc.iter().filter_map(kdc_addr).collect())
            .unwrap_or_default()
    }

    /// Whether KDCs of realms that `[realms]` does not list are looked up in DNS: krb5.conf's
    /// `dns_lookup_kdc` (MIT's default: true), in a build with the `dns` feature.
    pub fn looks_up_kdcs_in_dns(&self) -> bool {
        cfg!(feature = "dns") && self.conf.dns_lookup_kdc
    }

    /// The KDCs of a realm as MIT finds them (`locate_kdc.c`): the `kdc` entries of `[realms]`;
    /// when there are none and [`Client::looks_up_kdcs_in_dns`], the realm's `_kerberos` URI
    /// records (`dns_uri_lookup`, MIT's `krb5srv:` form), else the targets of its
    /// `_kerberos._udp` then `_kerberos._tcp` SRV records (RFC 4120 §7.2.3.2), in priority and
    /// weight order, from the nameservers of `/etc/resolv.conf`.
    pub async fn locate_kdcs(&self, realm: &Realm) -> Result<Vec<KdcAddr>, ClientError> {
        let kdcs = self.configured_kdcs(realm);
        if !kdcs.is_empty() {
            return Ok(kdcs);
        }
        #[cfg(feature = "dns")]
        if self.conf.dns_lookup_kdc {
            let kdcs = self
                .dns_servers(realm, transport::dns::Service::Kdc, false)
                .await;
            if !kdcs.is_empty() {
                return Ok(kdcs);
            }
        }
        Err(ClientError::NoKdc(realm.clone()))
    }

    /// The system's resolver, made on first use; `None` (traced) when `/etc/resolv.conf`
    /// cannot be read.
    #[cfg(feature = "dns")]
    async fn resolver(&self) -> Option<&transport::dns::SystemResolver> {
        use transport::dns::{ResolvConf, SystemResolver};
        self.dns
            .get_or_init(|| async {
                // Reading /etc/resolv.conf is blocking file I/O: off the async workers.
                let read = tokio::task::spawn_blocking(ResolvConf::read_system)
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|read| read.map_err(|e| e.to_string()));
                match read {
                    Ok(conf) => {
                        tracing::debug!("DNS resolver configuration: {conf:?}");
                        Some(SystemResolver::new(conf))
                    }
                    Err(e) => {
                        tracing::debug!("No DNS lookups: {e}");
                        None
                    }
                }
            })
            .await
            .as_ref()
    }

    /// The DNS lookup of [`Client::locate_kdcs`] and [`Client::kpasswd_servers`]; a failed
    /// lookup (no resolver configuration, no answer) is traced and counts as no server, as
    /// with MIT.
    #[cfg(feature = "dns")]
    async fn dns_servers(
        &self,
        realm: &Realm,
        service: transport::dns::Service,
        tcp_only: bool,
    ) -> Vec<KdcAddr> {
        use transport::dns::{Service, locate};
        let Some(resolver) = self.resolver().await else {
            return Vec::new();
        };
        let what = match service {
            Service::Kdc => "KDCs",
            Service::PrimaryKdc => "primary KDCs",
            Service::Kpasswd => "kpasswd servers",
            Service::Kadmin => "admin servers",
        };
        match locate(realm, service, tcp_only, self.conf.dns_uri_lookup, resolver).await {
            Ok(found) => {
                let list: Vec<String> = found.servers.iter().map(ToString::to_string).collect();
                tracing::debug!(
                    realm = %realm,
                    "{what} of {realm} from DNS {} records: {list:?}",
                    found.from
                );
                found.servers
            }
            Err(e) => {
                tracing::debug!(realm = %realm, "{e}");
                Vec::new()
            }
        }
    }

    /// The fallback realm of `host` from its `_kerberos` TXT records, when `dns_lookup_realm`
    /// is on and `[domain_realm]` does not map it (MIT's `dns_fallback_realm`).
    #[cfg(feature = "dns")]
    async fn txt_realm(&self, service: &ServiceName) -> Option<Realm> {
        let ServiceName::HostBased { host, .. } = service else {
            return None;
        };
        if !self.conf.dns_lookup_realm || self.conf.realm_for_host(host).is_some() {
            return None;
        }
        transport::dns::realm_from_txt(host, self.resolver().await?).await
    }

    /// The default realm, as MIT's `krb5_get_default_realm`: `default_realm` of
    /// `[libdefaults]`; else, with `dns_lookup_realm` (or `dns_fallback`) in a build with the
    /// `dns` feature, the `_kerberos` TXT record of the local host's fully qualified name or
    /// its nearest parent domain, else the global `_kerberos.` record (MIT's
    /// `hostrealm_dns.c`, [`transport::dns::default_realm_from_txt`]). `None` when neither
    /// gives one.
    pub async fn default_realm(&self) -> Option<Realm> {
        if let Some(realm) = &self.conf.default_realm {
            return Some(realm.clone());
        }
        #[cfg(feature = "dns")]
        if self.conf.dns_lookup_realm {
            use transport::dns::{default_realm_from_txt, read_fq_local_hostname};
            // Reading the host name and /etc/hosts is blocking file I/O.
            let host = tokio::task::spawn_blocking(read_fq_local_hostname)
                .await
                .ok()
                .flatten()?;
            tracing::debug!("No default_realm: looking up the realm of {host} in DNS");
            return default_realm_from_txt(&host, self.resolver().await?).await;
        }
        None
    }

    /// The password-change servers of a realm (RFC 3244), as MIT's `locate_kpasswd`:
    /// `kpasswd_server` (port 464 by default); else, with `dns_lookup_kdc`, the realm's
    /// `_kpasswd` URI or SRV records; else the `admin_server` hosts, else (with
    /// `dns_lookup_kdc`) the TCP `_kerberos-adm` URI or SRV records, each on port 464 (their
    /// own port is kadmin's) over either transport.
    pub async fn kpasswd_servers(&self, realm: &Realm) -> Result<Vec<KdcAddr>, ClientError> {
        let conf = self.conf.realms.get(realm.as_str());
        let servers: Vec<KdcAddr> = conf
            .map(|r| {
                r.kpasswd_server
                    .iter()
                    .filter_map(|s| server_addr(s, KPASSWD_PORT))
                    .collect()
            })
            .unwrap_or_default();
        if !servers.is_empty() {
            return Ok(servers);
        }
        #[cfg(feature = "dns")]
        if self.conf.dns_lookup_kdc {
            let servers = self
                .dns_servers(realm, transport::dns::Service::Kpasswd, false)
                .await;
            if !servers.is_empty() {
                return Ok(servers);
            }
        }
        #[allow(unused_mut)]
        let mut admin: Vec<KdcAddr> = conf
            .map(|r| r.admin_server.iter().filter_map(kdc_addr).collect())
            .unwrap_or_default();
        #[cfg(feature = "dns")]
        if admin.is_empty() && self.conf.dns_lookup_kdc {
            admin = self
                .dns_servers(realm, transport::dns::Service::Kadmin, true)
                .await;
        }
        if admin.is_empty() {
            return Err(ClientError::NoKpasswdServer(realm.clone()));
        }
        for s in &mut admin {
            s.port = KPASSWD_PORT;
            if s.transport == Some(Transport::Tcp) {
                s.transport = None;
            }
        }
        Ok(admin)
    }

    /// AS options for a `kadmin/changepw` ticket as MIT's kpasswd asks for one: five
    /// minutes, not renewable, forwardable or proxiable.
    pub fn changepw_options(&self, client: Principal) -> AsOptions {
        self.initial_options(client)
            .with_lifetime(std::time::Duration::from_secs(5 * 60))
            .with_renew_lifetime(std::time::Duration::ZERO)
            .with_forwardable(false)
            .with_proxiable(false)
            .with_service(kpasswd::changepw_service())
    }

    /// Change the password of `creds`' client (RFC 3244 version 1, MIT's
    /// `krb5_change_password`): `creds` is a `kadmin/changepw` ticket from an AS exchange
    /// ([`Client::changepw_options`]). The request goes to [`Client::kpasswd_servers`] with
    /// the KDC transport's order, timeouts and fallbacks, built anew for each attempt. The
    /// server's refusal is a [`ChangeResult`], not an error.
    pub async fn change_password(
        &self,
        creds: &Credentials,
        new_password: &str,
    ) -> Result<ChangeResult, ClientError> {
        let realm = &creds.server.realm;
        let servers = self.kpasswd_servers(realm).await?;
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        let mut current: Option<KpasswdExchange> = None;
        let mut build_error: Option<ExchangeError> = None;
        let clock = self.clock.clone();
        let mut build = |local: std::net::SocketAddr| {
            let sender = kpasswd::host_address(local.ip());
            match KpasswdExchange::new(creds, new_password, &sender, clock(), &mut OsRandom) {
                Ok((ex, bytes)) => {
                    current = Some(ex);
                    Ok(bytes)
                }
                Err(e) => {
                    let msg = e.to_string();
                    build_error = Some(e);
                    Err(transport::AttemptError::Io(msg))
                }
            }
        };
        // The ticket dominates; 512 bytes bound the rest of the frame.
        let len_hint = creds.ticket.as_bytes().len() + new_password.len() + 512;
        let too_big = |b: &[u8]| {
            transport::looks_like_krb_error(b)
                && KrbError::decode(b).is_ok_and(|e| e.error_code == KRB_ERR_RESPONSE_TOO_BIG)
        };
        let reply = transport::send_built(
            realm,
            &servers,
            &mut build,
            len_hint,
            &self.transport_for(realm),
            kpasswd::looks_like_reply,
            too_big,
        )
        .await;
        if let Some(e) = build_error {
            return Err(e.into());
        }
        let reply = reply?;
        let ex = current.ok_or(ExchangeError::Finished)?;
        let kdc = reply.kdc.to_string();
        tracing::debug!(realm = %realm, server = %kdc, "kpasswd reply from {kdc}");
        Ok(ex.step(&reply.bytes).map_err(|e| e.with_kdc(&kdc))?)
    }

    /// The transport settings for a realm: the client's, with the realm's `http_anchors`.
    fn transport_for(&self, realm: &Realm) -> TransportConfig {
        let mut cfg = self.transport.clone();
        if let Some(r) = self.conf.realms.get(realm.as_str()) {
            cfg.http_anchors.clone_from(&r.http_anchors);
        }
        cfg
    }

    /// How many KDC exchanges (requests answered or failed, retries over other KDCs or TCP not
    /// counted twice) this client and its clones have made.
    pub fn kdc_exchanges(&self) -> u64 {
        self.exchanges.load(Ordering::Relaxed)
    }

    /// Send one request to its realm's KDCs.
    pub async fn send(&self, req: &KdcRequest) -> Result<KdcReply, ClientError> {
        let kdcs = self.locate_kdcs(&req.realm).await?;
        self.send_to(req, &kdcs).await
    }

    /// Send one request to `kdcs`, in order.
    async fn send_to(&self, req: &KdcRequest, kdcs: &[KdcAddr]) -> Result<KdcReply, ClientError> {
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        let too_big = |b: &[u8]| {
            transport::looks_like_krb_error(b)
                && KrbError::decode(b).is_ok_and(|e| e.error_code == KRB_ERR_RESPONSE_TOO_BIG)
        };
        let cfg = self.transport_for(&req.realm);
        Ok(transport::send_to_realm(&req.realm, kdcs, &req.bytes, &cfg, too_big).await?)
    }

    /// The armor TGT for FAST (MIT's `kinit -T`, RFC 6113 §5.4.1.1): the
    /// `krbtgt/REALM@REALM` ticket of `realm` in `ccache`, valid now. Put it in
    /// [`AsOptions::armor`] to armor the AS exchange.
    pub fn armor_from_ccache(
        &self,
        ccache: &Ccache,
        realm: &Realm,
    ) -> Result<Credentials, ClientError> {
        let tgs = Principal::new(PrincipalName::krbtgt(realm), realm.clone());
        let now = self.now().secs;
        ccache
            .credentials
            .iter()
            .filter(|c| c.server == tgs)
            .filter_map(Credentials::from_ccache)
            .find(|c| c.endtime > now)
            .ok_or(ClientError::NoArmor(tgs))
    }

    /// The AS exchange (kinit), tried once more with the realm's primary KDCs when a replica
    /// refused it ([`Client::get_initial_creds_asking`]).
    pub async fn get_initial_creds(
        &self,
        opts: AsOptions,
        secret: Secret,
    ) -> Result<InitialCreds, ClientError> {
        // The secret is given: the exchange never asks for it.
        let never = || Err(ExchangeError::SecretNotAsked.into());
        self.initial_creds(opts, Some(secret), never).await
    }

    /// The AS exchange with the secret asked for only when a reply needs the key, as MIT's
    /// kinit prompts for a password: `ask` runs at most once, and not at all when the KDC
    /// refuses the first request (an unknown principal, a disabled account).
    ///
    /// As MIT's `krb5_get_init_creds_password` and `_keytab`: when the exchange fails with
    /// an answer (any KDC error, a reply the key does not decrypt, but not an unreachable
    /// realm or a failed prompt) from a KDC that is not one of the realm's primary KDCs
    /// ([`Client::primary_kdcs`]), the whole exchange is made once more with the primaries,
    /// with the secret already given (a replica may not have the new password yet). If no
    /// primary is known or none answers, the replica's error is returned.
    pub async fn get_initial_creds_asking<E>(
        &self,
        opts: AsOptions,
        ask: impl FnOnce() -> Result<Secret, E>,
    ) -> Result<InitialCreds, ClientError>
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let ask = || ask().map_err(|e| ClientError::Secret(e.into()));
        self.initial_creds(opts, None, ask).await
    }

    /// The AS exchange with any KDC of the realm, then, after a failure answered by a replica,
    /// with the primary KDCs (MIT's `use_primary` retry).
    async fn initial_creds(
        &self,
        opts: AsOptions,
        mut secret: Option<Secret>,
        ask: impl FnOnce() -> Result<Secret, ClientError>,
    ) -> Result<InitialCreds, ClientError> {
        let realm = opts.client.realm.clone();
        let mut ask = Some(ask);
        let (error, kdc) = match self.run_as(opts.clone(), None, &mut secret, &mut ask).await {
            Ok(creds) => return Ok(creds),
            Err(failure) => failure,
        };
        // MIT gives up at once when no KDC answered, the realm has none, or the prompt
        // failed (KRB5_KDC_UNREACH, KRB5_REALM_CANT_RESOLVE, KRB5_LIBOS_PWDINTR).
        let Some(kdc) = kdc else {
            return Err(error);
        };
        if matches!(
            error,
            ClientError::Transport(_) | ClientError::NoKdc(_) | ClientError::Secret(_)
        ) {
            return Err(error);
        }
        let primaries = self.primary_kdcs(&realm).await;
        let primary = self.is_primary(&primaries, kdc).await;
        tracing::debug!(
            realm = %realm,
            kdc = %kdc,
            "Response was{} from primary KDC",
            if primary { "" } else { " not" }
        );
        if primary {
            return Err(error);
        }
        if primaries.is_empty() {
            tracing::debug!(realm = %realm, "No primary KDC known for {realm}: not retrying");
            return Err(error);
        }
        tracing::debug!(realm = %realm, kdc = %kdc, "Retrying AS request with primary KDC");
        match self
            .run_as(opts, Some(&primaries), &mut secret, &mut ask)
            .await
        {
            Ok(creds) => Ok(creds),
            // An unreachable primary: the replica's answer stands (as MIT).
            Err((ClientError::Transport(e), _)) => {
                tracing::debug!(realm = %realm, "Primary KDC unreachable: {e}");
                Err(error)
            }
            Err((retry_error, _)) => Err(retry_error),
        }
    }

    /// The primary KDCs of a realm, as MIT's `locate_service_primary_kdc`: `primary_kdc`
    /// (else `master_kdc`) in `[realms]`; when there are none and
    /// [`Client::looks_up_kdcs_in_dns`], the realm's `_kerberos` URI records with the `m`
    /// flag (`dns_uri_lookup`), else its `_kerberos-master._udp` then `._tcp` SRV records.
    /// Empty when none is known. (MIT's `locate_uri`, 1.20 to its current sources, is given a
    /// primary-only flag it never applies, so its retry goes to every KDC of the URI
    /// records; we keep only the flagged ones.)
    pub async fn primary_kdcs(&self, realm: &Realm) -> Vec<KdcAddr> {
        let configured: Vec<KdcAddr> = self
            .conf
            .realms
            .get(realm.as_str())
            .map(|r| r.primary_kdc.iter().filter_map(kdc_addr).collect())
            .unwrap_or_default();
        if !configured.is_empty() {
            return configured;
        }
        #[cfg(feature = "dns")]
        if self.conf.dns_lookup_kdc {
            return self
                .dns_servers(realm, transport::dns::Service::PrimaryKdc, false)
                .await;
        }
        Vec::new()
    }

    /// Whether the KDC at `kdc` is one of `primaries` (MIT's `k5_kdc_is_primary`). MIT
    /// compares host names; we compare the address and port the primaries' names resolve to
    /// (names that do not resolve match nothing), so a replica on the same host but another
    /// port is not taken for the primary.
    async fn is_primary(&self, primaries: &[KdcAddr], kdc: std::net::SocketAddr) -> bool {
        for primary in primaries {
            let port = primary.port;
            if let Ok(ip) = primary.host.parse::<std::net::IpAddr>() {
                if std::net::SocketAddr::new(ip, port) == kdc {
                    return true;
                }
                continue;
            }
            match tokio::net::lookup_host((primary.host.as_str(), port)).await {
                Ok(mut addrs) => {
                    if addrs.any(|a| a == kdc) {
                        return true;
                    }
                }
                Err(e) => tracing::debug!("Cannot resolve primary KDC {}: {e}", primary.host),
            }
        }
        false
    }

    /// One AS exchange, with `kdcs` or (`None`) the realm's KDCs. The secret is `secret`,
    /// else asked once with `ask` (and kept in `secret` for a retry). A failure comes with
    /// the KDC that sent the last reply, if any did.
    async fn run_as(
        &self,
        opts: AsOptions,
        kdcs: Option<&[KdcAddr]>,
        secret: &mut Option<Secret>,
        ask: &mut Option<impl FnOnce() -> Result<Secret, ClientError>>,
    ) -> Result<InitialCreds, (ClientError, Option<std::net::SocketAddr>)> {
        let mut rng = OsRandom;
        let now = self.now();
        let started = match secret.clone() {
            Some(given) => AsExchange::new(opts, given, now, &mut rng),
            None => AsExchange::new_deferred(opts, now, &mut rng),
        };
        let (mut ex, mut req) = started.map_err(|e| (e.into(), None))?;
        let mut last_kdc = None;
        // The password's likely key is derived while the first request is in flight.
        let mut precomputation = ex.key_precomputation().map(tokio::task::spawn_blocking);
        loop {
            let sent = match kdcs {
                Some(kdcs) => self.send_to(&req, kdcs).await,
                None => self.send(&req).await,
            };
            let reply = sent.map_err(|e| (e, last_kdc))?;
            last_kdc = Some(reply.kdc);
            if let Some(task) = precomputation.take()
                && let Ok(Some(key)) = task.await
            {
                ex.use_precomputed_key(key);
            }
            let kdc = reply.kdc.to_string();
            let mut step = ex.step(&reply.bytes, self.now(), &mut rng);
            if let Ok(AsStep::NeedSecret) = step {
                let given = match secret.clone() {
                    Some(given) => given,
                    None => {
                        let ask = ask
                            .take()
                            .ok_or((ExchangeError::SecretNotAsked.into(), last_kdc))?;
                        let asked = ask().map_err(|e| (e, last_kdc))?;
                        *secret = Some(asked.clone());
                        asked
                    }
                };
                step = ex.provide_secret(given, self.now(), &mut rng);
            }
            match step.map_err(|e| (e.with_kdc(&kdc).into(), last_kdc))? {
                AsStep::Send(next) => req = next,
                AsStep::Done(creds) => return Ok(*creds),
                // `provide_secret` goes on with the reply, which needs nothing more.
                AsStep::NeedSecret => {
                    return Err((ExchangeError::SecretNotAsked.into(), last_kdc));
                }
            }
        }
    }

    /// One TGS exchange with `tgt` for `server` (no referral chasing).
    pub async fn tgs(
        &self,
        tgt: &Credentials,
        server: &Principal,
        opts: &TgsOptions,
    ) -> Result<Credentials, ClientError> {
        let mut rng = OsRandom;
        let (ex, req) = TgsExchange::new(tgt, server, opts, self.now(), &mut rng)?;
        let reply = self.send(&req).await?;
        let kdc = reply.kdc.to_string();
        Ok(ex.step(&reply.bytes).map_err(|e| e.with_kdc(&kdc))?)
    }

    /// A service ticket for `service`, from `ccache` when it holds a valid one, else by walking
    /// from the cache's TGTs ([`referral::ReferralWalker`]: explicit realm over `[capaths]` or
    /// the hierarchical route, or referrals, RFC 6806 §8). A cached cross-realm TGT on the route
    /// shortens the walk, so a second ticket through the same trust costs one TGS exchange.
    /// The new cross-realm TGTs and the service ticket are stored into `ccache` (the caller
    /// writes the file). `opts.canonicalize` is decided per hop by the walker.
    pub async fn get_service_creds(
        &self,
        ccache: &mut Ccache,
        service: &ServiceName,
        opts: &TgsOptions,
    ) -> Result<Credentials, ClientError> {
        self.get_service_creds_with(ccache, service, opts, CacheUse::default())
            .await
    }

    /// [`Client::get_service_creds`], with `cache_use` saying whether to ask KDCs at all and
    /// whether to store the service ticket (`kvno --cached-only`, `--no-store`).
    pub async fn get_service_creds_with(
        &self,
        ccache: &mut Ccache,
        service: &ServiceName,
        opts: &TgsOptions,
        cache_use: CacheUse,
    ) -> Result<Credentials, ClientError> {
        let offset = ccache.kdc_offset.map_or(0, |o| i64::from(o.seconds));
        let now = self.now().offset(offset).secs;
        let client = ccache.default_principal.clone();
        let cached = match service.resolve(&self.conf) {
            Some(p) => referral::cached_creds(ccache, &client, &p, now),
            None => {
                let wanted = service.components();
                ccache
                    .credentials
                    .iter()
                    .filter(|c| !c.is_config() && c.client.matches(&client))
                    .filter(|c| c.server.name.components() == wanted.as_slice())
                    .filter_map(Credentials::from_ccache)
                    .find(|c| c.endtime > now)
            }
        };
        if let Some(creds) = cached {
            tracing::debug!(server = %creds.server, "Service ticket found in the credential cache");
            return Ok(creds);
        }
        if cache_use.cached_only {
            return Err(ClientError::NotCached);
        }
        let home = client.realm.clone();
        let home_tgt_name = Principal::new(PrincipalName::krbtgt(&home), home.clone());
        let home_tgt = referral::cached_creds(ccache, &client, &home_tgt_name, now)
            .ok_or(ClientError::NoTgt(home_tgt_name))?;
        let mut walker = ReferralWalker::new(home_tgt, service, &self.conf)?;
        #[cfg(feature = "dns")]
        if let Some(realm) = self.txt_realm(service).await {
            walker = walker.with_fallback_realm(realm, &self.conf);
        }
        if self.looks_up_kdcs_in_dns() {
            // Any realm may have KDCs in DNS: the walk is bounded by hops and visited realms.
            walker = walker.with_kdc_realms(None);
        }
        let start = walker
            .route()
            .and_then(|route| referral::find_cached_tgt(ccache, &client, route, now));
        if let Some(tgt) = start {
            walker.start_from_cached(tgt)?;
        }
        let before = self.kdc_exchanges();
        let mut rng = OsRandom;
        let mut step = walker.start()?;
        loop {
            let hop = match step {
                WalkStep::Tgs(hop) => {
                    // A cross-realm TGT the walker accepted: cache it now, so it survives a
                    // failure further along the route.
                    if hop.realm().is_some_and(|r| r != hop.tgt.server.realm) {
                        ccache.store(hop.tgt.to_ccache());
                    }
                    hop
                }
                WalkStep::Done(result) => {
                    for tgt in &result.tgts {
                        ccache.store(tgt.to_ccache());
                    }
                    if !cache_use.no_store {
                        ccache.store(result.creds.to_ccache());
                    }
                    tracing::debug!(
                        server = %result.creds.server,
                        path = %result.path,
                        tgs_exchanges = self.kdc_exchanges() - before,
                        stored = !cache_use.no_store,
                        "Service ticket obtained"
                    );
                    return Ok(result.creds);
                }
            };
            let on_path = |e: ClientError| ClientError::OnPath {
                path: walker.path(),
                source: Box::new(e),
            };
            let (mut ex, req) = hop
                .exchange(opts, self.now(), &mut rng)
                .map_err(|e| on_path(e.into()))?;
            let mut reply = self.send(&req).await.map_err(on_path)?;
            if ex.fast_demanded(&reply.bytes) {
                // Once, armored with the hop's TGT (RFC 6113 §5.4.2: the error named FAST).
                tracing::debug!(
                    realm = %req.realm,
                    kdc = %reply.kdc,
                    "The KDC answered the unarmored TGS-REQ with PA-FX-FAST: retrying armored"
                );
                let armored = TgsOptions {
                    fast: true,
                    ..opts.clone()
                };
                let (again, req) = hop
                    .exchange(&armored, self.now(), &mut rng)
                    .map_err(|e| on_path(e.into()))?;
                reply = self.send(&req).await.map_err(on_path)?;
                ex = again;
            }
            let kdc = reply.kdc.to_string();
            tracing::debug!(realm = %req.realm, kdc = %kdc, server = %hop.server, "TGS reply");
            step = walker.step(ex.step(&reply.bytes).map_err(|e| e.with_kdc(&kdc)))?;
        }
    }

    /// Renew a TGT (`kinit -R`).
    pub async fn renew(&self, tgt: &Credentials) -> Result<Credentials, ClientError> {
        let opts = self.tgs_options().with_renew(true);
        self.tgs(tgt, &tgt.server, &opts).await
    }

    /// Validate a postdated ticket whose start time has come (`kinit -v`, RFC 4120 §3.3.1):
    /// the KDC returns it without the INVALID flag. Usually the TGT; with `kinit -S` the
    /// initial service ticket, asked of its own realm.
    pub async fn validate(&self, ticket: &Credentials) -> Result<Credentials, ClientError> {
        let opts = TgsOptions {
            validate: true,
            ..self.tgs_options()
        };
        self.tgs(ticket, &ticket.server, &opts).await
    }
}

fn kdc_addr(s: &KdcServer) -> Option<KdcAddr> {
    server_addr(s, transport::DEFAULT_KDC_PORT)
}

/// A `host[:port]` server entry with `default_port` when it names none; `None` for URLs.
fn server_addr(s: &KdcServer, default_port: u16) -> Option<KdcAddr> {
    match s {
        KdcServer::Host {
            transport,
            host,
            port,
        } => Some(KdcAddr {
            transport: match transport {
                ConfTransport::Tcp => Some(Transport::Tcp),
                ConfTransport::Udp => Some(Transport::Udp),
                ConfTransport::Any => None,
            },
            host: host.clone(),
            port: port.unwrap_or(default_port),
            path: None,
        }),
        #[cfg(feature = "https")]
        KdcServer::Https(url) => KdcAddr::from_https_url(url),
        #[cfg(not(feature = "https"))]
        KdcServer::Https(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ccache::{CacheEntry, Keyblock};

    fn conf() -> Krb5Conf {
        let text = "[libdefaults]\n default_realm = ONPREM.LOCAL\n";
        let mut m = std::collections::BTreeMap::new();
        m.insert(std::path::PathBuf::from("/k"), text.to_owned());
        Krb5Conf::load_from(&["/k".into()], &crate::config::MemSource(m)).unwrap()
    }

    fn cred(server: &str) -> CacheEntry {
        let mut c = CacheEntry::config(
            Principal::parse("joedoe@ONPREM.LOCAL", None).unwrap(),
            "unused",
            None,
            b"",
        );
        c.server = Principal::parse(server, None).unwrap();
        c.key = Keyblock {
            enctype: 18,
            bytes: zeroize::Zeroizing::new(vec![1; 32]),
        };
        c.ticket = vec![0x61, 0x00];
        c.endtime = u32::MAX;
        c
    }

    /// `kpasswd_server` (default port 464), else the `admin_server` hosts on port 464 (over
    /// either transport).
    #[tokio::test]
    async fn kpasswd_servers_like_mit() {
        let text = "[libdefaults]\n dns_lookup_kdc = false\n[realms]\n A = {\n kpasswd_server = k1\n kpasswd_server = tcp/k2:1464\n                     admin_server = adm:749\n }\n B = {\n admin_server = adm:749\n }\n C = {\n                     kdc = kdc\n }\n";
        let mut m = std::collections::BTreeMap::new();
        m.insert(std::path::PathBuf::from("/k"), text.to_owned());
        let conf = Krb5Conf::load_from(&["/k".into()], &crate::config::MemSource(m)).unwrap();
        let client = Client::new(conf);
        let names = async |r: &str| -> Vec<String> {
            let servers = client.kpasswd_servers(&Realm::new(r).unwrap()).await;
            servers.unwrap().iter().map(ToString::to_string).collect()
        };
        assert_eq!(names("A").await, ["k1:464", "tcp/k2:1464"]);
        assert_eq!(names("B").await, ["adm:464"]);
        let err = client
            .kpasswd_servers(&Realm::new("C").unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::NoKpasswdServer(_)), "{err}");
    }

    /// `kvno --cached-only`: the cache answers or the lookup fails without asking a KDC
    /// (the configuration names none, so any attempt would fail differently).
    #[tokio::test]
    async fn cached_only_never_asks_a_kdc() {
        let client = Client::new(conf());
        let mut cache = Ccache::new(Principal::parse("joedoe@ONPREM.LOCAL", None).unwrap());
        cache.store(cred("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL"));
        cache.store(cred("host/a.onprem.local@ONPREM.LOCAL"));
        let only = CacheUse::default().with_cached_only(true);
        let opts = client.tgs_options();
        let cached = ServiceName::Principal(
            Principal::parse("host/a.onprem.local@ONPREM.LOCAL", None).unwrap(),
        );
        let got = client
            .get_service_creds_with(&mut cache, &cached, &opts, only)
            .await
            .unwrap();
        assert_eq!(got.server.to_string(), "host/a.onprem.local@ONPREM.LOCAL");
        let missing = ServiceName::Principal(
            Principal::parse("host/b.onprem.local@ONPREM.LOCAL", None).unwrap(),
        );
        let err = client
            .get_service_creds_with(&mut cache, &missing, &opts, only)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::NotCached), "{err}");
        assert_eq!(err.to_string(), "Matching credential not found");
        // Without --cached-only the same lookup goes to the (missing) KDC.
        let err = client
            .get_service_creds_with(&mut cache, &missing, &opts, CacheUse::default())
            .await
            .unwrap_err();
        assert!(!matches!(err, ClientError::NotCached), "{err}");
        assert_eq!(client.kdc_exchanges(), 0);
    }

    /// A KDC that wants FAST (RFC 6113 §5.4.2): it answers an unarmored TGS-REQ with a
    /// KRB-ERROR carrying PA-FX-FAST, and the walk sends the request once more, armored with
    /// the TGT, and no more (a scripted UDP KDC on 127.0.0.1; MIT's KDC never demands FAST
    /// for a TGS request, so the lab cannot show this).
    #[tokio::test]
    async fn a_tgs_error_asking_for_fast_is_retried_once_armored() {
        use crate::asn1::{
            KerberosTime, KrbError, MethodData, Microseconds, PaData, PrincipalNameAsn1, TgsReq,
            msg_type, pa_type,
        };
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = sock.local_addr().unwrap().port();
        let server = Principal::parse("host/db.onprem.local@ONPREM.LOCAL", None).unwrap();
        let error = |code: i32, e_data: Option<Vec<u8>>| {
            KrbError {
                pvno: 5,
                msg_type: msg_type::KRB_ERROR,
                ctime: None,
                cusec: None,
                stime: KerberosTime::from_unix(1_700_000_000).unwrap(),
                susec: Microseconds::new(0).unwrap(),
                error_code: code,
                crealm: None,
                cname: None,
                realm: "ONPREM.LOCAL".into(),
                sname: PrincipalNameAsn1::from(&server.name),
                e_text: None,
                e_data: e_data.map(Into::into),
            }
            .to_der()
            .unwrap()
        };
        let wants_fast = MethodData(vec![PaData {
            padata_type: pa_type::FX_FAST,
            padata_value: Vec::new().into(),
        }])
        .to_der()
        .unwrap();
        // Every request gets the same answer: the first one asks for FAST, and so does the
        // answer to the armored retry (which the armored exchange cannot take as a reply).
        let answer = error(
            crate::error_code::KDC_ERR_PREAUTH_REQUIRED,
            Some(wants_fast),
        );
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let kdc = tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let req = TgsReq::decode(&buf[..n]).unwrap();
                let types: Vec<i32> = req
                    .0
                    .padata
                    .unwrap_or_default()
                    .iter()
                    .map(|p| p.padata_type)
                    .collect();
                log.lock().unwrap().push(types);
                let _ = sock.send_to(&answer, from).await;
            }
        });
        let text = format!(
            "[libdefaults]\n default_realm = ONPREM.LOCAL\n dns_lookup_kdc = false\n\
             [realms]\n ONPREM.LOCAL = {{\n kdc = udp/127.0.0.1:{port}\n }}\n"
        );
        let mut m = std::collections::BTreeMap::new();
        m.insert(std::path::PathBuf::from("/k"), text);
        let conf = Krb5Conf::load_from(&["/k".into()], &crate::config::MemSource(m)).unwrap();
        let client = Client::new(conf);
        let mut cache = Ccache::new(Principal::parse("joedoe@ONPREM.LOCAL", None).unwrap());
        cache.store(cred("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL"));
        let opts = client.tgs_options();
        assert!(!opts.fast);
        let err = client
            .get_service_creds(&mut cache, &ServiceName::Principal(server.clone()), &opts)
            .await
            .unwrap_err();
        kdc.abort();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2, "{seen:?}: {err}");
        assert!(!seen[0].contains(&pa_type::FX_FAST), "{seen:?}");
        assert!(seen[1].contains(&pa_type::FX_FAST), "{seen:?}");
        assert_eq!(client.kdc_exchanges(), 2);
    }

    /// A scripted UDP KDC on loopback: answers each AS-REQ with `answer(request)` and logs
    /// whether the request carried PA-ENC-TIMESTAMP.
    async fn scripted_as_kdc(
        answer: impl Fn(&[u8]) -> Vec<u8> + Send + 'static,
    ) -> (
        u16,
        std::sync::Arc<std::sync::Mutex<Vec<bool>>>,
        tokio::task::JoinHandle<()>,
    ) {
        use crate::asn1::pa_type;
        use crate::exchange::as_req_tests::padata_of;
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = sock.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let req = &buf[..n];
                log.lock()
                    .unwrap()
                    .push(padata_of(req, pa_type::ENC_TIMESTAMP).is_some());
                let _ = sock.send_to(&answer(req), from).await;
            }
        });
        (port, seen, task)
    }

    /// A replica without the new password: PREAUTH_REQUIRED, then PREAUTH_FAILED.
    fn stale_replica(req: &[u8]) -> Vec<u8> {
        use crate::exchange::as_req_tests::{NOW, krb_error, padata_of, preauth_required};
        match padata_of(req, crate::asn1::pa_type::ENC_TIMESTAMP) {
            None => preauth_required(),
            Some(_) => krb_error(
                crate::error_code::KDC_ERR_PREAUTH_FAILED,
                NOW.secs,
                None,
                None,
            ),
        }
    }

    /// The primary, which has the password: PREAUTH_REQUIRED, then the AS-REP.
    fn primary(req: &[u8]) -> Vec<u8> {
        use crate::exchange::as_req_tests::{as_rep, padata_of, preauth_required};
        match padata_of(req, crate::asn1::pa_type::ENC_TIMESTAMP) {
            None => preauth_required(),
            Some(_) => as_rep(req, 0),
        }
    }

    fn client_for(realm_lines: &str) -> Client {
        let text = format!(
            "[libdefaults]\n dns_lookup_kdc = false\n\
             [realms]\n ONPREM.LOCAL = {{\n{realm_lines}\n }}\n"
        );
        let mut m = std::collections::BTreeMap::new();
        m.insert(std::path::PathBuf::from("/k"), text);
        let conf = Krb5Conf::load_from(&["/k".into()], &crate::config::MemSource(m)).unwrap();
        let now = crate::exchange::as_req_tests::NOW;
        Client::new(conf).with_clock(Arc::new(move || now))
    }

    /// MIT's `use_primary` retry (`gic_pwd.c`): PREAUTH_FAILED from a replica sends the whole
    /// exchange again to `primary_kdc`, with the password asked only once.
    #[tokio::test]
    async fn a_replica_refusing_the_password_is_retried_with_the_primary() {
        use crate::exchange::as_req_tests::{options, password};
        let (replica_port, replica_seen, replica) = scripted_as_kdc(stale_replica).await;
        let (primary_port, primary_seen, primary_task) = scripted_as_kdc(primary).await;
        let client = client_for(&format!(
            " kdc = udp/127.0.0.1:{replica_port}\n primary_kdc = udp/127.0.0.1:{primary_port}"
        ));
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let ask = || {
            asked.fetch_add(1, Ordering::Relaxed);
            Ok::<_, std::io::Error>(password())
        };
        let init = client.get_initial_creds_asking(options(), ask).await;
        replica.abort();
        primary_task.abort();
        let init = init.unwrap();
        assert_eq!(init.creds.client, options().client);
        assert_eq!(asked.load(Ordering::Relaxed), 1);
        assert_eq!(*replica_seen.lock().unwrap(), [false, true]);
        assert_eq!(*primary_seen.lock().unwrap(), [false, true]);
        // The password given up front is used again as well (MIT's keytab path too).
        let (replica_port, _, replica) = scripted_as_kdc(stale_replica).await;
        let (primary_port, primary_seen, primary_task) = scripted_as_kdc(primary).await;
        let client = client_for(&format!(
            " kdc = udp/127.0.0.1:{replica_port}\n master_kdc = udp/127.0.0.1:{primary_port}"
        ));
        let init = client.get_initial_creds(options(), password()).await;
        replica.abort();
        primary_task.abort();
        assert!(init.is_ok(), "{init:?}");
        assert_eq!(primary_seen.lock().unwrap().len(), 2);
    }

    /// No retry when the KDC that refused is the primary or no primary is known; the
    /// primary's own refusal replaces the replica's; an unreachable primary leaves the
    /// replica's error.
    #[tokio::test]
    async fn the_primary_retry_happens_only_with_another_primary() {
        use crate::exchange::as_req_tests::{NOW, krb_error, options, password};
        let preauth_failed = Some(crate::error_code::KDC_ERR_PREAUTH_FAILED);
        let (port, seen, task) = scripted_as_kdc(stale_replica).await;
        for lines in [
            format!(" kdc = udp/127.0.0.1:{port}\n primary_kdc = udp/127.0.0.1:{port}"),
            format!(" kdc = udp/127.0.0.1:{port}"),
        ] {
            seen.lock().unwrap().clear();
            let err = client_for(&lines)
                .get_initial_creds(options(), password())
                .await
                .unwrap_err();
            assert_eq!(err.kdc_error_code(), preauth_failed, "{lines}: {err}");
            assert_eq!(*seen.lock().unwrap(), [false, true], "{lines}");
        }
        // The primary says the password has expired: that is the answer (kinit then asks
        // for a new one, as MIT's).
        let (primary_port, primary_seen, primary_task) = scripted_as_kdc(|req| {
            match crate::exchange::as_req_tests::padata_of(req, crate::asn1::pa_type::ENC_TIMESTAMP)
            {
                None => crate::exchange::as_req_tests::preauth_required(),
                Some(_) => krb_error(crate::error_code::KDC_ERR_KEY_EXPIRED, NOW.secs, None, None),
            }
        })
        .await;
        let err = client_for(&format!(
            " kdc = udp/127.0.0.1:{port}\n primary_kdc = udp/127.0.0.1:{primary_port}"
        ))
        .get_initial_creds(options(), password())
        .await
        .unwrap_err();
        primary_task.abort();
        assert_eq!(
            err.kdc_error_code(),
            Some(crate::error_code::KDC_ERR_KEY_EXPIRED),
            "{err}"
        );
        assert_eq!(primary_seen.lock().unwrap().len(), 2);
        // A primary that does not answer (nothing listens on its port).
        let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let client = client_for(&format!(
            " kdc = udp/127.0.0.1:{port}\n primary_kdc = udp/127.0.0.1:{closed_port}"
        ))
        .with_transport(TransportConfig {
            kdc_timeout: std::time::Duration::from_millis(200),
            ..TransportConfig::default()
        });
        let err = client
            .get_initial_creds(options(), password())
            .await
            .unwrap_err();
        task.abort();
        assert_eq!(err.kdc_error_code(), preauth_failed, "{err}");
    }

    /// MIT's `fast_avail` entry for the cache principal's realm makes the TGS options armored.
    #[test]
    fn tgs_options_for_a_cache_follow_fast_avail() {
        let client = Client::new(conf());
        let joe = Principal::parse("joedoe@ONPREM.LOCAL", None).unwrap();
        let mut cache = Ccache::new(joe);
        assert!(!client.tgs_options_for(&cache).fast);
        let other = Principal::parse("krbtgt/OTHER@OTHER", None).unwrap();
        cache.set_config(crate::ccache::FAST_AVAIL, Some(&other), b"yes");
        assert!(
            !client.tgs_options_for(&cache).fast,
            "another realm's entry"
        );
        let tgs = Principal::parse("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL", None).unwrap();
        cache.set_config(crate::ccache::FAST_AVAIL, Some(&tgs), b"no");
        assert!(!client.tgs_options_for(&cache).fast);
        cache.set_config(crate::ccache::FAST_AVAIL, Some(&tgs), b"yes");
        assert!(client.tgs_options_for(&cache).fast);
    }
}
