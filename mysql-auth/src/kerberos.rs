//! [`KerberosInitiator`]: the [`GssInitiator`] the connector drives, built on `kdc-client`
//! (credential cache, AS exchange, cross-realm TGS walk) and `gss-mech` (RFC 4121 tokens).
//!
//! * [`Initiator::acquire`] finds the client principal (the MySQL UPN `user@realm`, or the
//!   cache's default principal for MariaDB), makes sure a valid TGT for it exists (else, with a
//!   password, runs the AS exchange in-process, as libmysqlclient's
//!   `authentication_kerberos_client` does), and gets the service ticket for the server's SPN,
//!   walking trusts and referrals. New tickets are written back to the cache file.
//! * [`GssInitiator::initial_token`] builds the AP-REQ token; with mutual authentication
//!   [`GssInitiator::step`] verifies the server's AP-REP.

use gss_mech::{ChannelBindings, ContextFlags, InitiatorContext, InitiatorOptions};
use kdc_client::ServiceName;
use kdc_client::ccache::{Ccache, CcacheHandle, CcacheName};
use kdc_client::client::{Client, ClientError};
use kdc_client::crypto::OsRandom;
use kdc_client::exchange::{Credentials, Secret};
use kdc_client::referral;
use kdc_client::{NameType, Principal, PrincipalName};
use zeroize::Zeroizing;

use crate::connector::Initiator;
use crate::error::GssError;
use crate::plugin::{ContextRequest, GssInitiator, GssStep};
use crate::spn_policy::SpnContext;

/// Why a Kerberos login could not start or finish on the client side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KerberosError {
    /// No usable TGT and no password to get one.
    #[error(
        "No Kerberos credentials for {client} (credential cache {cache}); run kinit or supply the password"
    )]
    NoCredentials {
        /// The principal a TGT was needed for.
        client: String,
        /// The cache looked at.
        cache: String,
    },
    /// A name (UPN or SPN) is not a valid Kerberos principal.
    #[error("{0}")]
    Name(String),
    /// A KDC exchange failed (the Kerberos error text).
    #[error("{message} while {context}")]
    Kdc {
        /// What the client library said.
        message: String,
        /// What we were doing.
        context: String,
        /// The KDC's error code, if one came.
        code: Option<i32>,
    },
    /// The credential cache could not be read or written.
    #[error("{0}")]
    Ccache(String),
    /// The GSS-API mechanism failed (building the AP-REQ or checking the AP-REP).
    #[error("{0}")]
    Mech(#[from] gss_mech::GssError),
    /// `initial_token` without a successful `acquire`, or a token without a context.
    #[error("{0}")]
    State(&'static str),
}

/// Where the credential cache lives and whether to create it: [`CacheSource::new`], changed
/// with the `with_*` methods.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CacheSource {
    /// The cache (`KRB5CCNAME` resolved and opened: FILE or KEYRING).
    pub cache: CcacheHandle,
    /// Store a TGT obtained with the password into `cache` (like a kinit).
    pub store_tgt: bool,
}

impl CacheSource {
    /// The cache `cache`, read for the TGT and given the service tickets; a TGT obtained with
    /// a password is not stored.
    pub fn new(cache: CcacheHandle) -> Self {
        Self {
            cache,
            store_tgt: false,
        }
    }

    /// Sets [`CacheSource::store_tgt`]: store a TGT obtained with the password (like a kinit).
    pub fn with_store_tgt(mut self, store_tgt: bool) -> Self {
        self.store_tgt = store_tgt;
        self
    }
}

/// A GSS-API initiator over the krb5 credential cache.
pub struct KerberosInitiator {
    client: Client,
    cache: CacheSource,
    /// The cache as read when the initiator was made (None if it did not exist).
    loaded: Option<Ccache>,
    /// The cache this login works with (the loaded one, or an in-memory one for the UPN).
    work: Option<Ccache>,
    /// Whether `work` is written back to the cache.
    write_back: bool,
    /// Whether this initiator may write the cache at all (false: memory only).
    persist: bool,
    password: Option<Zeroizing<String>>,
    mutual: bool,
    channel_bindings: Option<ChannelBindings>,
    creds: Option<Credentials>,
    from_cache: bool,
    ctx: Option<InitiatorContext>,
}

impl std::fmt::Debug for KerberosInitiator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosInitiator")
            .field("cache", &self.cache)
            .field("mutual", &self.mutual)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl KerberosInitiator {
    /// An initiator reading (and updating) `cache.cache`, requesting mutual authentication.
    /// A missing cache is not an error here: a password may still obtain a TGT.
    pub fn new(client: Client, cache: CacheSource) -> Result<Self, KerberosError> {
        let loaded = match cache.cache.load() {
            Ok(c) => Some(c),
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                return Err(KerberosError::Ccache(format!(
                    "{e} while reading the credential cache {}",
                    cache.cache.name()
                )));
            }
        };
        Ok(Self {
            client,
            cache,
            loaded,
            work: None,
            write_back: false,
            persist: true,
            password: None,
            mutual: true,
            channel_bindings: None,
            creds: None,
            from_cache: false,
            ctx: None,
        })
    }

    /// An initiator on a [`Session`](kdc_client::session::Session)'s client and cache (the
    /// cache is read now, and the service ticket stored back after the login).
    pub fn from_session(session: &kdc_client::session::Session) -> Result<Self, KerberosError> {
        let cache = CacheSource::new(session.cache().clone());
        Self::new(session.client().clone(), cache)
    }

    /// An initiator over `loaded`, an in-memory cache: nothing is read or written on disk
    /// (a long-running process shares one cache between logins and does the cache I/O
    /// itself, off its async workers). `cache` only names the cache in messages.
    pub fn in_memory(client: Client, cache: CacheSource, loaded: Option<Ccache>) -> Self {
        Self {
            client,
            cache,
            loaded,
            work: None,
            write_back: false,
            persist: false,
            password: None,
            mutual: false,
            channel_bindings: None,
            creds: None,
            from_cache: false,
            ctx: None,
        }
    }

    /// The cache the last login worked with (the loaded one plus any tickets obtained).
    pub fn working_cache(&self) -> Option<&Ccache> {
        self.work.as_ref()
    }

    /// The Kerberos password for the in-process AS exchange when no TGT is cached.
    pub fn with_password(mut self, password: Zeroizing<String>) -> Self {
        self.password = Some(password);
        self
    }

    /// Request mutual authentication (the server's AP-REP is verified); on by default. Both
    /// real servers send the AP-REP when asked: MariaDB 10.11 raw (lab test
    /// `cli/tests/lab_mysql.rs`), and MySQL's `authentication_kerberos` in AuthMoreData, which
    /// Connector/Python (mutual on) expects (`lib/mysql/connector/plugins/authentication_kerberos_client.py` in
    /// `mysql/mysql-connector-python`; lab test with
    /// MIT's acceptor in `mysql-auth/tests/lab_mysql_peer.rs`).
    pub fn with_mutual(mut self, mutual: bool) -> Self {
        self.mutual = mutual;
        self
    }

    /// Channel bindings hashed into the authenticator checksum.
    pub fn with_channel_bindings(mut self, cb: Option<ChannelBindings>) -> Self {
        self.channel_bindings = cb;
        self
    }

    /// The default principal of the cache file, if it was read.
    pub fn cache_principal(&self) -> Option<&Principal> {
        self.loaded.as_ref().map(|c| &c.default_principal)
    }

    /// The cache's name (`FILE:...` or `KEYRING:...`).
    pub fn cache_name(&self) -> CcacheName {
        self.cache.cache.name()
    }

    /// Whether the last service ticket came from the cache (no KDC exchange for it).
    pub fn ticket_from_cache(&self) -> bool {
        self.from_cache
    }

    /// The service ticket of the last `acquire`.
    pub fn service_credentials(&self) -> Option<&Credentials> {
        self.creds.as_ref()
    }

    /// Drop the last service ticket from the cache (memory and file), so the next login asks
    /// the KDC again (the server's key may have rotated). Returns how many entries went.
    pub fn forget_service_ticket(&mut self) -> Result<usize, KerberosError> {
        let Some(creds) = self.creds.take() else {
            return Ok(0);
        };
        self.ctx = None;
        let before = self.work.clone();
        let mut n = 0;
        for c in [self.work.as_mut(), self.loaded.as_mut()]
            .into_iter()
            .flatten()
        {
            n += c.remove(&creds.server);
        }
        if self.write_back
            && let (Some(b), Some(w)) = (&before, &self.work)
        {
            self.update(b, w)?;
        }
        Ok(n)
    }

    /// Store the changes from `before` to `after`, keeping other processes' additions.
    fn update(&self, before: &Ccache, after: &Ccache) -> Result<(), KerberosError> {
        self.cache.cache.update(before, after).map_err(|e| {
            KerberosError::Ccache(format!(
                "{e} while storing credentials in {}",
                self.cache.cache.name()
            ))
        })
    }

    fn save(&self, c: &Ccache) -> Result<(), KerberosError> {
        self.cache.cache.save(c).map_err(|e| {
            KerberosError::Ccache(format!(
                "{e} while storing credentials in {}",
                self.cache.cache.name()
            ))
        })
    }

    fn kdc_err(e: ClientError, context: String) -> KerberosError {
        KerberosError::Kdc {
            code: e.kdc_error_code(),
            message: e.to_string(),
            context,
        }
    }

    /// The client principal for `req`.
    fn client_principal(&self, req: &ContextRequest) -> Result<Principal, KerberosError> {
        if let Some(upn) = req.upn() {
            return Principal::parse(&upn, None)
                .map_err(|e| KerberosError::Name(format!("{e} while parsing the UPN '{upn}'")));
        }
        if let Some(c) = &self.loaded {
            return Ok(c.default_principal.clone());
        }
        if self.password.is_some() {
            let realm = self.client.config().default_realm.as_ref();
            return Principal::parse(&req.user, realm).map_err(|e| {
                KerberosError::Name(format!("{e} while parsing the principal '{}'", req.user))
            });
        }
        Err(KerberosError::NoCredentials {
            client: req.user.clone(),
            cache: self.cache.cache.name().to_string(),
        })
    }

    /// Pick or build the working cache with a valid TGT for `client`.
    async fn ensure_tgt(&mut self, client: &Principal) -> Result<(), KerberosError> {
        let now = self.client.now();
        let has_tgt = |c: &Ccache| {
            let off = c.kdc_offset.map_or(0, |o| i64::from(o.seconds));
            let tgt = Principal::new(PrincipalName::krbtgt(&client.realm), client.realm.clone());
            referral::cached_creds(c, client, &tgt, now.offset(off).secs).is_some()
        };
        if let Some(w) = &self.work
            && w.default_principal.matches(client)
            && has_tgt(w)
        {
            return Ok(());
        }
        if let Some(c) = &self.loaded
            && c.default_principal.matches(client)
            && has_tgt(c)
        {
            self.work = Some(c.clone());
            self.write_back = self.persist;
            return Ok(());
        }
        let Some(pw) = self.password.clone() else {
            return Err(KerberosError::NoCredentials {
                client: client.to_string(),
                cache: self.cache.cache.name().to_string(),
            });
        };
        tracing::debug!(%client, "No TGT in the cache: AS exchange with the password");
        let opts = self.client.initial_options(client.clone());
        let init = self
            .client
            .get_initial_creds(opts, Secret::Password(pw))
            .await
            .map_err(|e| Self::kdc_err(e, format!("getting initial credentials for {client}")))?;
        let c = init.to_ccache();
        self.write_back = self.persist && self.cache.store_tgt;
        if self.write_back {
            self.save(&c)?;
        }
        self.work = Some(c);
        Ok(())
    }

    /// The service name for an SPN as the servers send it.
    pub fn service_name(spn: &str) -> Result<ServiceName, KerberosError> {
        let bad = |e: kdc_client::PrincipalError| {
            KerberosError::Name(format!("{e} while parsing the service principal '{spn}'"))
        };
        let p = Principal::parse(spn, None);
        match p {
            // An explicit realm: a two-component SPN is a host-based name (NT-SRV-HST).
            Ok(p) if spn_has_realm(spn) => {
                let p = match p.name.components() {
                    [_, _] => Principal::new(
                        PrincipalName::new(NameType::SrvHst, p.name.components().to_vec())
                            .map_err(bad)?,
                        p.realm,
                    ),
                    _ => p,
                };
                Ok(ServiceName::Principal(p))
            }
            _ => match spn.split_once('/') {
                Some((svc, host)) if !svc.is_empty() && !host.is_empty() && !host.contains('/') => {
                    Ok(ServiceName::host_based(svc, host))
                }
                _ => Err(bad(kdc_client::PrincipalError::Empty)).or_else(|e| {
                    Principal::parse(spn, None)
                        .map(ServiceName::Principal)
                        .map_err(|_| e)
                }),
            },
        }
    }

    async fn acquire_inner(&mut self, req: &ContextRequest) -> Result<(), KerberosError> {
        self.ctx = None;
        let client = self.client_principal(req)?;
        self.ensure_tgt(&client).await?;
        let service = Self::service_name(&req.spn)?;
        let Some(work) = self.work.as_mut() else {
            return Err(KerberosError::State("no credential cache"));
        };
        // Armored as `kerb kvno` does when the cache says the realm takes FAST.
        let opts = self.client.tgs_options_for(work);
        // Only a cache that is written back needs the state to diff against.
        let snapshot = self.write_back.then(|| work.clone());
        let before = self.client.kdc_exchanges();
        let creds = self
            .client
            .get_service_creds(work, &service, &opts)
            .await
            .map_err(|e| Self::kdc_err(e, format!("getting credentials for {service}")))?;
        self.from_cache = self.client.kdc_exchanges() == before;
        if !self.from_cache
            && let (Some(snapshot), Some(w)) = (&snapshot, &self.work)
        {
            self.update(snapshot, w)?;
        }
        self.creds = Some(creds);
        Ok(())
    }
}

/// Whether an SPN string names its realm (an unescaped `@`).
fn spn_has_realm(spn: &str) -> bool {
    let mut esc = false;
    for c in spn.chars() {
        match c {
            _ if esc => esc = false,
            '\\' => esc = true,
            '@' => return true,
            _ => {}
        }
    }
    false
}

impl Initiator for KerberosInitiator {
    async fn acquire(&mut self, req: &ContextRequest) -> Result<(), GssError> {
        self.acquire_inner(req)
            .await
            .map_err(|e| Box::new(e) as GssError)
    }
}

impl GssInitiator for KerberosInitiator {
    fn initial_token(&mut self, req: &ContextRequest) -> Result<GssStep, GssError> {
        let _ = req;
        let creds = self.creds.as_ref().ok_or(KerberosError::State(
            "no service ticket (acquire did not run)",
        ))?;
        let mut flags = ContextFlags::REPLAY
            | ContextFlags::SEQUENCE
            | ContextFlags::CONF
            | ContextFlags::INTEG;
        if self.mutual {
            flags |= ContextFlags::MUTUAL;
        }
        // The server's AP-REP subkey must be within this client's crypto policy.
        let conf = self.client.config();
        let mut opts = InitiatorOptions::default()
            .with_flags(ContextFlags(flags))
            .with_permitted_enctypes(conf.permitted_enctypes.clone())
            .with_policy(kdc_client::crypto::CryptoPolicy::new(
                conf.allow_weak_crypto,
            ));
        opts.channel_bindings = self.channel_bindings.clone();
        let off = self
            .work
            .as_ref()
            .and_then(|c| c.kdc_offset)
            .map_or(0, |o| i64::from(o.seconds));
        let now = self.client.now().offset(off);
        let (ctx, token) =
            InitiatorContext::new(creds, &opts, now, &mut OsRandom).map_err(KerberosError::from)?;
        if ctx.needs_reply() {
            self.ctx = Some(ctx);
            Ok(GssStep {
                token: Some(token),
                complete: false,
            })
        } else {
            ctx.complete().map_err(KerberosError::from)?;
            self.ctx = None;
            Ok(GssStep {
                token: Some(token),
                complete: true,
            })
        }
    }

    /// The host's realm from this client's krb5.conf `[domain_realm]`; the client's realm is
    /// the cache's default principal's, else `default_realm`.
    fn spn_context(&self, dialed_host: &str) -> SpnContext {
        let conf = self.client.config();
        let client_realm = match &self.loaded {
            Some(c) => Some(c.default_principal.realm.as_str()),
            None => conf.default_realm.as_ref().map(|r| r.as_str()),
        };
        SpnContext::from_config(dialed_host, conf, client_realm)
    }

    fn step(&mut self, token: &[u8]) -> Result<GssStep, GssError> {
        let ctx = self.ctx.take().ok_or(KerberosError::State(
            "a token from the server without a pending security context",
        ))?;
        ctx.step(token).map_err(KerberosError::from)?;
        tracing::debug!("The server's AP-REP verified: mutual authentication complete");
        Ok(GssStep {
            token: None,
            complete: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spn_forms() {
        let s = KerberosInitiator::service_name("mariadb/db.ad.myaws.com@AD.MYAWS.COM").unwrap();
        match s {
            ServiceName::Principal(p) => {
                assert_eq!(p.name.name_type, NameType::SrvHst);
                assert_eq!(p.realm.as_str(), "AD.MYAWS.COM");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            KerberosInitiator::service_name("mysql/Db.Example.com").unwrap(),
            ServiceName::host_based("mysql", "db.example.com")
        );
        assert!(matches!(
            KerberosInitiator::service_name("a/b/c@R").unwrap(),
            ServiceName::Principal(_)
        ));
        assert!(KerberosInitiator::service_name("").is_err());
        assert!(KerberosInitiator::service_name("@").is_err());
        assert!(!spn_has_realm("a\\@b"));
    }

    #[test]
    fn misuse_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("kerb-init-{}", std::process::id()));
        let cache = CacheSource::new(CcacheHandle::file(dir.join("absent")));
        let client = Client::new(
            kdc_client::config::krb5conf::Krb5Conf::load_from(
                &[],
                &kdc_client::config::profile::FsSource,
            )
            .unwrap(),
        );
        let mut init = KerberosInitiator::new(client, cache).unwrap();
        assert!(init.cache_principal().is_none());
        let req = ContextRequest {
            plugin: crate::KerberosPlugin::MysqlKerberos,
            spn: "mysql/db@R".into(),
            user: "u".into(),
            upn_realm: Some("R".into()),
            mech: None,
        };
        assert!(init.initial_token(&req).is_err());
        assert!(init.step(b"\x6f\x00").is_err());
        assert_eq!(init.forget_service_ticket().unwrap(), 0);
        // No cache and no password: a clear error naming the UPN.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let e = rt.block_on(init.acquire(&req)).unwrap_err();
        assert!(
            e.to_string().contains("No Kerberos credentials for u@R"),
            "{e}"
        );
        // A directory is not a cache.
        let client = Client::new(
            kdc_client::config::krb5conf::Krb5Conf::load_from(
                &[],
                &kdc_client::config::profile::FsSource,
            )
            .unwrap(),
        );
        let bad = CacheSource::new(CcacheHandle::file(std::env::temp_dir()));
        assert!(KerberosInitiator::new(client, bad).is_err());
    }
}
