//! Credentials shared by every session of a long-running proxy: one in-memory credential
//! cache holding the TGT and the service tickets, handed to each login as a snapshot and
//! merged back after it (so a service ticket is obtained once and reused until it nears
//! expiry). The TGT comes from the user's credential cache (re-read when the TGT nears its
//! end, e.g. after a `kinit`) or from a keytab (a fresh AS exchange before it expires, like
//! `k5start`). Every file read runs on tokio's blocking pool, never on an async worker.

use std::path::PathBuf;
use std::sync::Mutex;

use kdc_client::ccache::{CacheEntry, Ccache};
use kdc_client::client::Client;
use kdc_client::exchange::Secret;
use kdc_client::keytab::Keytab;
use kdc_client::{Principal, PrincipalName};

use crate::kerberos::{CacheSource, KerberosError, KerberosInitiator};

/// A TGT with less than this left is renewed (keytab) or re-read (cache), in seconds.
pub const TGT_MARGIN: i64 = 15 * 60;

/// A service ticket with less than this left is dropped so the next login gets a new one.
pub const SERVICE_TICKET_MARGIN: i64 = 5 * 60;

/// Where the TGT comes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TgtSource {
    /// The credential cache (`-c`/`KRB5CCNAME`), read but never written by the proxy.
    Cache,
    /// A keytab file; the client is its first entry's principal.
    Keytab(PathBuf),
}

/// The shared credentials of a proxy.
pub struct SharedCredentials {
    client: Client,
    cache: CacheSource,
    source: TgtSource,
    state: Mutex<Option<Ccache>>,
}

impl std::fmt::Debug for SharedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCredentials")
            .field("cache", &self.cache.cache.name().to_string())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

fn blocking_failed(e: tokio::task::JoinError) -> KerberosError {
    KerberosError::Ccache(format!("credential file reader failed: {e}"))
}

fn tgt_endtime(c: &Ccache) -> Option<i64> {
    let p = &c.default_principal;
    let tgt = Principal::new(PrincipalName::krbtgt(&p.realm), p.realm.clone());
    c.credentials
        .iter()
        .filter(|x| !x.is_config() && x.server == tgt)
        .map(|x| i64::from(x.endtime))
        .max()
}

fn is_tgt(c: &CacheEntry) -> bool {
    c.server.name.is_krbtgt()
}

impl SharedCredentials {
    /// Load the first TGT (from the cache, or with the keytab) and return the shared state.
    /// `cache` names the cache (and is the one read with [`TgtSource::Cache`]).
    pub async fn new(
        client: Client,
        cache: CacheSource,
        source: TgtSource,
    ) -> Result<Self, KerberosError> {
        let me = Self {
            client,
            cache,
            source,
            state: Mutex::new(None),
        };
        me.acquire().await?;
        Ok(me)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Ccache>> {
        // A panic while holding the lock cannot leave a half-updated cache (every update is a
        // single assignment or apply_changes); keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Get a TGT from the source and make it the shared cache.
    async fn acquire(&self) -> Result<(), KerberosError> {
        let fresh = match &self.source {
            TgtSource::Cache => {
                let h = self.cache.cache.clone();
                let name = h.name().to_string();
                tokio::task::spawn_blocking(move || h.load())
                    .await
                    .map_err(blocking_failed)?
                    .map_err(|e| {
                        KerberosError::Ccache(format!(
                            "{e} while reading the credential cache {name}"
                        ))
                    })?
            }
            TgtSource::Keytab(path) => {
                let p = path.clone();
                let kt = tokio::task::spawn_blocking(move || Keytab::read_file(&p))
                    .await
                    .map_err(blocking_failed)?
                    .map_err(|e| {
                        KerberosError::Ccache(format!(
                            "{e} while reading keytab {}",
                            path.display()
                        ))
                    })?;
                let Some(client) = kt.entries.first().map(|e| e.principal.clone()) else {
                    return Err(KerberosError::Ccache(format!(
                        "Keytab {} is empty",
                        path.display()
                    )));
                };
                let keys = kt.client_keys(&client);
                let init = self
                    .client
                    .get_initial_creds(
                        self.client.initial_options(client.clone()),
                        Secret::Keys(keys),
                    )
                    .await
                    .map_err(|e| KerberosError::Kdc {
                        code: e.kdc_error_code(),
                        message: e.to_string(),
                        context: format!("getting initial credentials for {client} with keytab"),
                    })?;
                let c = init.to_ccache();
                tracing::debug!("TGT for {} obtained with the keytab", c.default_principal);
                c
            }
        };
        *self.lock() = Some(fresh);
        Ok(())
    }

    /// Periodic upkeep: drop service tickets near expiry; get a new TGT when the current one
    /// has less than [`TGT_MARGIN`] left (from the cache only if it holds a later one).
    pub async fn refresh(&self) -> Result<(), KerberosError> {
        self.refresh_within(TGT_MARGIN).await
    }

    /// [`SharedCredentials::refresh`] with another TGT margin, in seconds (a margin longer
    /// than the TGT's life renews it now).
    pub async fn refresh_within(&self, tgt_margin: i64) -> Result<(), KerberosError> {
        let now = self.client.now().secs;
        let tgt_end = self.lock().as_mut().map(|c| {
            c.credentials.retain(|x| {
                x.is_config() || is_tgt(x) || i64::from(x.endtime) > now + SERVICE_TICKET_MARGIN
            });
            tgt_endtime(c)
        });
        let Some(tgt_end) = tgt_end else {
            return self.acquire().await;
        };
        if tgt_end.is_some_and(|e| e > now + tgt_margin) {
            return Ok(());
        }
        tracing::debug!("The TGT nears its end: getting a new one");
        let old = self.lock().clone();
        self.acquire().await?;
        // A cache that has nothing newer is kept as it was (with its service tickets); a
        // keytab always gives a fresh TGT.
        let mut g = self.lock();
        if let (TgtSource::Cache, Some(old), Some(new)) = (&self.source, old, g.as_ref())
            && tgt_endtime(new) <= tgt_endtime(&old)
        {
            *g = Some(old);
        }
        Ok(())
    }

    /// A snapshot for one login.
    pub fn snapshot(&self) -> Option<Ccache> {
        self.lock().clone()
    }

    /// An initiator over `snapshot` (no file I/O).
    pub fn initiator(&self, snapshot: Option<Ccache>) -> KerberosInitiator {
        KerberosInitiator::in_memory(self.client.clone(), self.cache.clone(), snapshot)
    }

    /// Merge what a login changed (`before` -> `after`) into the shared cache, keeping what
    /// other logins and the refresher stored meanwhile.
    pub fn merge(&self, before: &Option<Ccache>, after: Option<&Ccache>) {
        let (Some(before), Some(after)) = (before, after) else {
            return;
        };
        let mut g = self.lock();
        if let Some(c) = g.as_mut()
            && c.default_principal == before.default_principal
        {
            c.apply_changes(before, after);
        }
    }

    /// The client principal of the TGT.
    pub fn principal(&self) -> Option<Principal> {
        self.lock().as_ref().map(|c| c.default_principal.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kdc_client::ccache::{CcacheHandle, Keyblock};
    use kdc_client::config::krb5conf::Krb5Conf;
    use kdc_client::config::profile::FsSource;
    use kdc_client::{NameType, Realm};
    use zeroize::Zeroizing;

    fn cred(client: &Principal, server: Principal, endtime: i64) -> CacheEntry {
        CacheEntry {
            client: client.clone(),
            server,
            key: Keyblock {
                enctype: 18,
                bytes: Zeroizing::new(vec![0x11; 32]),
            },
            authtime: 1,
            starttime: 1,
            endtime: u32::try_from(endtime).unwrap(),
            renew_till: 0,
            is_skey: false,
            ticket_flags: 0,
            addresses: Vec::new(),
            authdata: Vec::new(),
            ticket: vec![0x61, 0x00],
            second_ticket: Vec::new(),
        }
    }

    fn service(host: &str) -> Principal {
        Principal::parse_as(
            &format!("mariadb/{host}@AD.EXAMPLE"),
            NameType::SrvHst,
            None,
        )
        .unwrap()
    }

    /// Times are relative to the client's clock (no fixed dates).
    #[test]
    fn service_tickets_near_expiry_are_dropped_and_logins_merge_back() {
        let client = Client::new(Krb5Conf::load_from(&[], &FsSource).unwrap());
        let now = client.now().secs;
        let me = Principal::parse("joedoe@ONPREM.EXAMPLE", None).unwrap();
        let realm = Realm::new("ONPREM.EXAMPLE").unwrap();
        let tgt = Principal::new(PrincipalName::krbtgt(&realm), realm);
        let mut c = Ccache::new(me.clone());
        c.store(cred(&me, tgt, now + 10 * 3600));
        c.store(cred(&me, service("near"), now + 60));
        c.store(cred(&me, service("far"), now + 3600));
        let dir = std::env::temp_dir().join(format!("kerb-proxy-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cc");
        c.write_file(&path).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let shared = rt
            .block_on(SharedCredentials::new(
                client,
                CacheSource::new(CcacheHandle::file(&path)),
                TgtSource::Cache,
            ))
            .unwrap();
        assert_eq!(shared.principal(), Some(me.clone()));
        assert_eq!(shared.snapshot().unwrap().credentials.len(), 3);
        rt.block_on(shared.refresh()).unwrap();
        let after = shared.snapshot().unwrap();
        assert!(after.retrieve(&service("near")).is_none());
        assert!(after.retrieve(&service("far")).is_some());
        assert_eq!(after.credentials.len(), 2);
        // A login that got a new ticket (from a snapshot) adds it, keeping the rest.
        let before = shared.snapshot();
        let mut login = before.clone().unwrap();
        login.store(cred(&me, service("new"), now + 3600));
        shared.merge(&before, Some(&login));
        let merged = shared.snapshot().unwrap();
        assert!(merged.retrieve(&service("new")).is_some());
        assert!(merged.retrieve(&service("far")).is_some());
        // The proxy never writes the cache file.
        assert_eq!(Ccache::read_file(&path).unwrap().credentials.len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
