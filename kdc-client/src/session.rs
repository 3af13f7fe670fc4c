//! The front door: a [`Session`] is a [`Client`] (krb5.conf, KDC transport) bound to a
//! credential cache, and does what MIT's `kinit` and `kvno` do with them: get a TGT from a
//! password or a keytab into the cache, and service tickets from the cache or the KDCs (across
//! trusts), stored back. Cache and keytab files are read and written on tokio's blocking
//! threads, never on an async worker.
//!
//! ```no_run
//! # async fn f() -> Result<(), kdc_client::session::SessionError> {
//! use kdc_client::session::Session;
//! use kdc_client::{Principal, ServiceName};
//!
//! // KRB5_CONFIG and KRB5CCNAME as MIT reads them.
//! let session = Session::from_env()?;
//! let user = Principal::parse("joedoe@ONPREM.LOCAL", None)?;
//! let password = zeroize::Zeroizing::new(String::from("Passw0rd-joedoe"));
//! session.login_with_password(&user, password).await?;
//! // Across the trust to AD.MYAWS.COM, by referral: the ticket is stored in the cache.
//! let ticket = session
//!     .service_ticket(&ServiceName::host_based("mariadb", "db.ad.myaws.com"))
//!     .await?;
//! println!("{} until {}", ticket.server, ticket.endtime);
//! # Ok(()) }
//! ```
//!
//! [`Session::login`] takes MIT kinit's options ([`LoginOptions`]) and a [`Prompter`] that is
//! asked for the password only when the KDC's reply needs it, and for a new one when it has
//! expired (then changed as MIT's kinit changes it):
//!
//! ```no_run
//! # async fn f() -> Result<(), kdc_client::session::SessionError> {
//! use std::io::BufRead;
//! use std::time::Duration;
//!
//! use kdc_client::session::{KeySource, LoginOptions, Notice, Prompt, PromptError, Prompter, Session};
//! use kdc_client::Principal;
//! use zeroize::Zeroizing;
//!
//! /// Reads answers from stdin, one line each.
//! struct Stdin;
//!
//! impl Prompter for Stdin {
//!     fn secret(&self, prompt: Prompt<'_>) -> Result<Zeroizing<String>, PromptError> {
//!         eprint!("{prompt}: ");
//!         let mut line = Zeroizing::new(String::with_capacity(1024));
//!         std::io::stdin().lock().read_line(&mut line)?;
//!         let len = line.trim_end_matches(['\r', '\n']).len();
//!         line.truncate(len);
//!         Ok(line)
//!     }
//!
//!     fn notice(&self, notice: &Notice) {
//!         eprintln!("{notice}");
//!     }
//! }
//!
//! let session = Session::from_env()?;
//! let user = Principal::parse("joedoe@ONPREM.LOCAL", None)?;
//! // kinit -l 10h -f joedoe@ONPREM.LOCAL
//! let opts = LoginOptions::default()
//!     .with_lifetime(Duration::from_secs(10 * 3600))
//!     .with_forwardable(true);
//! let login = session.login(&user, KeySource::Password(&Stdin), &opts).await?;
//! if let Some(expiry) = login.password_expiry {
//!     eprintln!("the password expires at {} (Unix time)", expiry.at);
//! }
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ServiceName;
use crate::ccache::{Ccache, CcacheError, CcacheHandle, CcacheName};
use crate::client::{CacheUse, Client, ClientError};
use crate::config::krb5conf::Krb5Conf;
use crate::config::{ConfigError, current_uid};
use crate::exchange::{Credentials, Secret, TgsOptions};
use crate::keytab::KeytabError;
use crate::{Principal, PrincipalError, PrincipalName, referral};

mod login;

pub use login::{
    KeySource, Login, LoginOptions, NotChanged, Notice, Prompt, PromptError, Prompter,
};

/// Why a [`Session`] call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// krb5.conf could not be read.
    #[error("{0} while initializing krb5 library")]
    Config(#[from] ConfigError),
    /// The credential cache could not be resolved, read or written.
    #[error("{0}")]
    Cache(#[from] CcacheError),
    /// The keytab could not be read, or holds no key of the principal.
    #[error("{0}")]
    Keytab(#[from] KeytabError),
    /// A KDC exchange failed (the Kerberos error, realm and KDC are in the message).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A principal name did not parse.
    #[error(transparent)]
    Name(#[from] PrincipalError),
    /// The current user's uid could not be read (`getuid` via `/proc/self`).
    #[error("cannot tell the current user: {0}")]
    Uid(std::io::Error),
    /// A blocking file task did not finish (the runtime is shutting down).
    #[error("a blocking file task failed: {0}")]
    Task(String),
    /// The keytab holds no key of the principal (of a supported enctype).
    #[error("Keytab {} holds no key for {principal}", keytab.display())]
    NoKeytabKey {
        /// The keytab file.
        keytab: PathBuf,
        /// The principal whose key was looked for.
        principal: Principal,
    },
    /// The session's [`Armor`] gave no armor TGT (its cache, keytab or AS exchange failed,
    /// the error inside): a login fails rather than go unarmored.
    #[error("no FAST armor TGT: {0}")]
    Armor(Box<SessionError>),
    /// A [`Prompter`] gave no new password.
    #[error("{0}")]
    Prompt(PromptError),
    /// No new password was set: see [`NotChanged`].
    #[error(transparent)]
    NotChanged(NotChanged),
    /// The password change exchange (RFC 3244) failed: no password server answered, or its
    /// reply was bad.
    #[error(transparent)]
    Kpasswd(ClientError),
}

/// A [`Client`] bound to a credential cache. Cheap to clone (the client is shared).
#[derive(Debug, Clone)]
pub struct Session {
    client: Client,
    cache: CcacheHandle,
    armor: Option<Armor>,
}

/// Where the FAST armor of a session's logins comes from (RFC 6113 §5.4.1.1, MIT's
/// `kinit -T`): with it every AS request of [`Session::login`] (and of
/// [`Session::change_password`]) is armored, as a KDC that takes passwords only through FAST
/// (Active Directory's "fail unarmored authentication requests") requires.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Armor {
    /// The valid `krbtgt/REALM@REALM` ticket of the user's realm in this cache (what
    /// `kerb kinit -k -t KEYTAB -c ARMOR host/NAME` wrote; MIT's `kinit -T ARMOR`).
    Cache(CcacheHandle),
    /// A TGT got with this keytab for this principal before each login (a domain-joined
    /// host's `host/NAME` and its machine keytab), kept in memory only.
    Keytab {
        /// The keytab's principal, e.g. `host/client.example.com@EXAMPLE.COM`.
        principal: Principal,
        /// The keytab file.
        keytab: PathBuf,
    },
}

impl Session {
    /// The session a MIT tool would use: krb5.conf from `KRB5_CONFIG` (else
    /// `/etc/krb5.conf`), the cache from `KRB5CCNAME`, else krb5.conf's
    /// `default_ccache_name`, else `FILE:/tmp/krb5cc_<uid>`; KCM caches through krb5.conf's
    /// `kcm_socket`. Reads krb5.conf: call it before the async runtime, or accept one small
    /// blocking read.
    pub fn from_env() -> Result<Self, SessionError> {
        let conf = Krb5Conf::load(std::env::var("KRB5_CONFIG").ok().as_deref())?;
        let uid = current_uid().map_err(SessionError::Uid)?;
        let name = CcacheName::resolve(
            std::env::var("KRB5CCNAME").ok().as_deref(),
            conf.default_ccache_name.as_deref(),
            uid,
        )?;
        let cache = name.open_with_kcm_socket(uid, conf.kcm_socket.as_deref())?;
        Ok(Self::new(Client::new(conf), cache))
    }

    /// A session of `client` on `cache`.
    pub fn new(client: Client, cache: CcacheHandle) -> Self {
        Self {
            client,
            cache,
            armor: None,
        }
    }

    /// This session with its logins armored by `armor` (FAST, RFC 6113). A login then fails
    /// rather than go unarmored when no armor TGT can be had; the cache it fills says the
    /// realm takes FAST (MIT's `fast_avail`), so [`Session::service_ticket`] armors too.
    pub fn with_armor(mut self, armor: Armor) -> Self {
        self.armor = Some(armor);
        self
    }

    /// The client (configuration, clock, KDC transport).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The credential cache.
    pub fn cache(&self) -> &CcacheHandle {
        &self.cache
    }

    /// The cache's default principal; `None` if the cache does not exist yet.
    pub async fn principal(&self) -> Result<Option<Principal>, SessionError> {
        match self.load().await {
            Ok(c) => Ok(Some(c.default_principal)),
            Err(SessionError::Cache(e)) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The armor TGT for a login in `realm`, if the session has [`Armor`]; its failures are
    /// [`SessionError::Armor`].
    async fn armor_tgt(&self, realm: &crate::Realm) -> Result<Option<Credentials>, SessionError> {
        let armor = match &self.armor {
            None => return Ok(None),
            Some(armor) => armor,
        };
        let tgt = match armor {
            Armor::Cache(handle) => {
                let name = handle.name();
                let handle = handle.clone();
                match blocking(move || handle.load()).await {
                    Ok(Ok(cache)) => {
                        let tgt = self.client.armor_from_ccache(&cache, realm);
                        if let Ok(tgt) = &tgt {
                            tracing::debug!(
                                "FAST armor ccache {name}: armor TGT of {} for {}",
                                tgt.client,
                                tgt.server
                            );
                        }
                        tgt.map_err(SessionError::from)
                    }
                    Ok(Err(e)) => Err(e.into()),
                    Err(e) => Err(e),
                }
            }
            Armor::Keytab { principal, keytab } => {
                match self.keytab_keys(principal, keytab).await {
                    Ok(keys) => {
                        let opts = self.client.initial_options(principal.clone());
                        let init = self.client.get_initial_creds(opts, Secret::Keys(keys));
                        init.await.map(|i| i.creds).map_err(SessionError::from)
                    }
                    Err(e) => Err(e),
                }
            }
        };
        tgt.map(Some).map_err(|e| SessionError::Armor(Box::new(e)))
    }

    /// For long-running programs (what `k5start` does): if the cache holds no TGT of `user`
    /// valid for at least `margin` more, get a new one with the keytab. Call it before each
    /// use or on a timer. Returns whether a new TGT was obtained.
    pub async fn refresh_with_keytab(
        &self,
        user: &Principal,
        keytab: &Path,
        margin: Duration,
    ) -> Result<bool, SessionError> {
        let margin = i64::try_from(margin.as_secs()).unwrap_or(i64::MAX);
        let fresh_enough = match self.load().await {
            Ok(cache) => {
                let offset = cache.kdc_offset.map_or(0, |o| i64::from(o.seconds));
                let now = self.client.now().offset(offset).secs;
                let tgt = Principal::new(PrincipalName::krbtgt(&user.realm), user.realm.clone());
                referral::cached_creds(&cache, user, &tgt, now)
                    .is_some_and(|c| c.endtime.saturating_sub(now) > margin)
            }
            Err(SessionError::Cache(e)) if e.is_not_found() => false,
            Err(e) => return Err(e),
        };
        if fresh_enough {
            return Ok(false);
        }
        self.login_with_keytab(user, keytab).await?;
        Ok(true)
    }

    /// `kvno service`: the service ticket from the cache if a valid one is there, else from the
    /// KDCs with the cache's TGT, walking cross-realm referrals or `[capaths]`; the ticket and
    /// any cross-realm TGTs are stored back in the cache (merged with what others stored
    /// meanwhile, as MIT does).
    pub async fn service_ticket(&self, service: &ServiceName) -> Result<Credentials, SessionError> {
        self.service_ticket_with(service, CacheUse::default(), |_| {})
            .await
    }

    /// [`Session::service_ticket`] with what the cache may be used for (`kvno --cached-only`,
    /// `--no-store`) and the TGS options adjusted by `adjust` (e.g. `kvno -e`): they start as
    /// [`Client::tgs_options_for`] the cache (armored when it says the realm takes FAST). A
    /// failure to store the ticket is [`SessionError::Cache`]; a ticket absent with
    /// `cached_only` is [`ClientError::NotCached`].
    pub async fn service_ticket_with(
        &self,
        service: &ServiceName,
        cache_use: CacheUse,
        adjust: impl FnOnce(&mut TgsOptions) + Send,
    ) -> Result<Credentials, SessionError> {
        let before = self.load().await?;
        let mut after = before.clone();
        let mut opts = self.client.tgs_options_for(&before);
        adjust(&mut opts);
        let creds = self
            .client
            .get_service_creds_with(&mut after, service, &opts, cache_use)
            .await?;
        if after != before {
            let handle = self.cache.clone();
            blocking(move || handle.update(&before, &after)).await??;
        }
        Ok(creds)
    }

    /// The service principal for `spn` as servers name theirs (`service/host@REALM`, or
    /// `service/host` whose realm referrals find).
    pub fn service_name(spn: &str) -> Result<ServiceName, SessionError> {
        if spn.contains('@') {
            return Ok(ServiceName::Principal(Principal::parse(spn, None)?));
        }
        match spn.split_once('/') {
            Some((service, host)) if !service.is_empty() && !host.is_empty() => {
                Ok(ServiceName::host_based(service, host))
            }
            _ => Ok(ServiceName::Principal(Principal::parse(spn, None)?)),
        }
    }

    async fn load(&self) -> Result<Ccache, SessionError> {
        let handle = self.cache.clone();
        Ok(blocking(move || handle.load()).await??)
    }

    async fn save(&self, cache: Ccache) -> Result<(), SessionError> {
        let handle = self.cache.clone();
        Ok(blocking(move || handle.save(&cache)).await??)
    }
}

/// Run blocking file I/O on tokio's blocking threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SessionError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SessionError::Task(e.to_string()))
}

/// A keytab path from a keytab name (`FILE:path`, `WRFILE:path` or a path), as MIT names them.
pub fn keytab_path(name: &str) -> Result<PathBuf, SessionError> {
    Ok(crate::keytab::resolve_name(name)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MemSource;

    fn session(dir: &Path) -> Session {
        let mut m = std::collections::BTreeMap::new();
        m.insert(
            PathBuf::from("/k"),
            "[libdefaults]\n default_realm = EXAMPLE.COM\n dns_lookup_kdc = false\n".to_string(),
        );
        let conf = Krb5Conf::load_from(&["/k".into()], &MemSource(m)).unwrap();
        Session::new(Client::new(conf), CcacheHandle::file(dir.join("cc")))
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kdc-session-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[tokio::test]
    async fn a_missing_cache_has_no_principal_and_no_ticket() {
        let d = tmp("missing");
        let s = session(&d);
        assert_eq!(s.principal().await.unwrap(), None);
        let e = s
            .service_ticket(&ServiceName::host_based("host", "a.example.com"))
            .await
            .unwrap_err();
        assert!(
            matches!(e, SessionError::Cache(ref c) if c.is_not_found()),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_keytab_without_the_users_key_is_refused_before_any_kdc() {
        let d = tmp("keytab");
        std::fs::write(d.join("kt"), [0x05, 0x02]).unwrap();
        let s = session(&d);
        let user = Principal::parse("joe@EXAMPLE.COM", None).unwrap();
        let e = s.login_with_keytab(&user, &d.join("kt")).await.unwrap_err();
        assert!(
            e.to_string().contains("holds no key for joe@EXAMPLE.COM"),
            "{e}"
        );
        // Refreshing with it fails the same way (no TGT in a missing cache).
        let e = s
            .refresh_with_keytab(&user, &d.join("kt"), Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("holds no key"), "{e}");
    }

    #[test]
    fn service_names_as_servers_send_them() {
        assert_eq!(
            Session::service_name("mariadb/db.ad.myaws.com").unwrap(),
            ServiceName::host_based("mariadb", "db.ad.myaws.com")
        );
        assert!(matches!(
            Session::service_name("mysql/db@AD.MYAWS.COM").unwrap(),
            ServiceName::Principal(p) if p.realm.as_str() == "AD.MYAWS.COM"
        ));
    }
}
