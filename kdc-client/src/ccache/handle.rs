//! An opened credential cache of any supported type: what `kinit`, `klist`, `kvno` and
//! `kdestroy` read, write and destroy. FILE caches are single caches; KEYRING caches belong
//! to a collection with a primary cache (MIT's "cache collections").

use std::path::PathBuf;

use super::dir::DirCache;
use super::{Ccache, CcacheError, CcacheName};
use crate::Principal;

#[cfg(all(feature = "kcm", unix))]
use super::kcm::KcmCache;
#[cfg(all(feature = "keyring", target_os = "linux"))]
use super::keyring::KeyringCache;

/// A resolved cache. Opening a KEYRING name finds (or creates) its collection and, for a
/// collection name, its primary cache; nothing is read until [`CcacheHandle::load`].
#[derive(Debug, Clone)]
pub struct CcacheHandle(Inner);

#[derive(Debug, Clone)]
enum Inner {
    File(PathBuf),
    Dir(DirCache),
    #[cfg(all(feature = "keyring", target_os = "linux"))]
    Keyring(KeyringCache),
    #[cfg(all(feature = "kcm", unix))]
    Kcm(KcmCache),
}

impl CcacheName {
    /// Resolve the name for the user `euid` (the persistent keyring's default uid).
    pub fn open(&self, euid: u32) -> Result<CcacheHandle, CcacheError> {
        match self {
            Self::File(path) => Ok(CcacheHandle(Inner::File(path.clone()))),
            Self::Dir(d) => DirCache::open(d).map(|c| CcacheHandle(Inner::Dir(c))),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Self::Keyring(k) => {
                KeyringCache::open(k, euid).map(|c| CcacheHandle(Inner::Keyring(c)))
            }
            #[cfg(not(all(feature = "keyring", target_os = "linux")))]
            Self::Keyring(_) => {
                let _ = euid;
                Err(CcacheError::UnsupportedType(
                    "KEYRING (built without the `keyring` feature)".to_owned(),
                ))
            }
            Self::Kcm(_) => self.open_kcm(None),
        }
    }

    /// [`CcacheName::open`], with `[libdefaults] kcm_socket` for KCM names (`None`: MIT's
    /// default, [`DEFAULT_KCM_SOCKET`](super::kcm::DEFAULT_KCM_SOCKET); `-`: no KCM daemon).
    pub fn open_with_kcm_socket(
        &self,
        euid: u32,
        kcm_socket: Option<&str>,
    ) -> Result<CcacheHandle, CcacheError> {
        match self {
            Self::Kcm(_) => self.open_kcm(kcm_socket),
            _ => self.open(euid),
        }
    }

    #[cfg(all(feature = "kcm", unix))]
    fn open_kcm(&self, socket: Option<&str>) -> Result<CcacheHandle, CcacheError> {
        let Self::Kcm(k) = self else {
            return Err(CcacheError::UnsupportedType("KCM".to_owned()));
        };
        let socket = std::path::Path::new(socket.unwrap_or(super::kcm::DEFAULT_KCM_SOCKET));
        KcmCache::open(k, socket).map(|c| CcacheHandle(Inner::Kcm(c)))
    }

    #[cfg(not(all(feature = "kcm", unix)))]
    fn open_kcm(&self, _socket: Option<&str>) -> Result<CcacheHandle, CcacheError> {
        Err(CcacheError::UnsupportedType(
            "KCM (built without the `kcm` feature)".to_owned(),
        ))
    }
}

impl CcacheHandle {
    /// A FILE cache at `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self(Inner::File(path.into()))
    }

    /// The resolved name, MIT's display form (`FILE:/tmp/krb5cc_0`, `KEYRING:persistent:0:0`).
    pub fn name(&self) -> CcacheName {
        match &self.0 {
            Inner::File(p) => CcacheName::File(p.clone()),
            Inner::Dir(d) => CcacheName::Dir(d.name()),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => CcacheName::Keyring(k.name().clone()),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => CcacheName::Kcm(k.name()),
        }
    }

    /// Read the cache. A missing cache is an error for which
    /// [`CcacheError::is_not_found`] holds.
    pub fn load(&self) -> Result<Ccache, CcacheError> {
        match &self.0 {
            Inner::File(p) => Ccache::read_file(p),
            Inner::Dir(d) => Ccache::read_file(&d.path()),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => k.load(),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => k.load(),
        }
    }

    /// The default principal (for KEYRING and KCM caches without reading the credentials).
    pub fn principal(&self) -> Result<Principal, CcacheError> {
        match &self.0 {
            Inner::File(p) => Ccache::read_file(p).map(|c| c.default_principal),
            Inner::Dir(d) => Ccache::read_file(&d.path()).map(|c| c.default_principal),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => k.principal(),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => k.principal(),
        }
    }

    /// Replace the cache's contents by `cache`. FILE and DIR: rewritten in place under an
    /// exclusive `fcntl` lock (mode 0600 when created), as MIT does; KEYRING: keys replaced one by one, stale ones unlinked afterwards;
    /// KCM: the daemon's REPLACE, else initialise and store.
    pub fn save(&self, cache: &Ccache) -> Result<(), CcacheError> {
        match &self.0 {
            Inner::File(p) => cache.write_file(p),
            Inner::Dir(d) => cache.write_file(&d.path()),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => k.save(cache),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => k.save(cache),
        }
    }

    /// Store what changed from `before` (the cache as loaded) to `after` (as this process
    /// left it), keeping what other processes stored meanwhile, as MIT's store adds one
    /// credential at a time. FILE: re-read, changed and rewritten under one exclusive `fcntl`
    /// lock, so concurrent writers (MIT's included) lose nothing; KEYRING: only the
    /// changed keys are added or unlinked. A cache that is gone or now belongs to another
    /// principal is replaced by `after`.
    pub fn update(&self, before: &Ccache, after: &Ccache) -> Result<(), CcacheError> {
        match &self.0 {
            Inner::File(p) => update_file(p, before, after),
            Inner::Dir(d) => update_file(&d.path(), before, after),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => k.update(before, after),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => k.update(before, after),
        }
    }

    /// Remove the cache (`kdestroy`).
    pub fn destroy(&self) -> Result<(), CcacheError> {
        match &self.0 {
            Inner::File(p) => Ccache::destroy_file(p),
            Inner::Dir(d) => Ccache::destroy_file(&d.path()),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => k.destroy(),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => k.destroy(),
        }
    }

    /// True when the type has collections with a primary cache (MIT's
    /// `krb5_cc_support_switch`): DIR, KEYRING and KCM yes, FILE no.
    pub fn supports_switch(&self) -> bool {
        !matches!(self.0, Inner::File(_))
    }

    /// Make this cache the primary of its collection; a no-op for FILE.
    pub fn switch_to(&self) -> Result<(), CcacheError> {
        match &self.0 {
            Inner::File(_) => Ok(()),
            Inner::Dir(d) => d.switch_to(),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => k.switch_to(),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => k.switch_to(),
        }
    }

    /// The existing caches of this cache's collection, the primary first. A FILE cache is a
    /// collection of itself when the file exists (MIT's FILE collection cursor).
    pub fn collection(&self) -> Result<Vec<CcacheHandle>, CcacheError> {
        match &self.0 {
            Inner::File(p) => Ok(if p.exists() {
                vec![self.clone()]
            } else {
                Vec::new()
            }),
            Inner::Dir(d) => Ok(d
                .collection()?
                .into_iter()
                .map(|c| Self(Inner::Dir(c)))
                .collect()),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => Ok(k
                .collection()?
                .into_iter()
                .map(|c| Self(Inner::Keyring(c)))
                .collect()),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => Ok(k
                .collection()?
                .into_iter()
                .map(|c| Self(Inner::Kcm(c)))
                .collect()),
        }
    }

    /// The cache of this collection whose default principal is `client` (MIT's
    /// `krb5_cc_cache_match`), if any. Caches that cannot be read are passed over, as MIT does.
    pub fn find_in_collection(
        &self,
        client: &Principal,
    ) -> Result<Option<CcacheHandle>, CcacheError> {
        Ok(self
            .collection()?
            .into_iter()
            .find(|cache| cache.principal().is_ok_and(|p| p.matches(client))))
    }

    /// A new, unused cache in this cache's collection (MIT's `krb5_cc_new_unique`). FILE caches
    /// have no collection: `None`.
    pub fn new_unique(&self) -> Result<Option<CcacheHandle>, CcacheError> {
        match &self.0 {
            Inner::File(_) => Ok(None),
            Inner::Dir(d) => Ok(Some(Self(Inner::Dir(d.new_unique()?)))),
            #[cfg(all(feature = "keyring", target_os = "linux"))]
            Inner::Keyring(k) => Ok(Some(Self(Inner::Keyring(k.new_unique()?)))),
            #[cfg(all(feature = "kcm", unix))]
            Inner::Kcm(k) => Ok(Some(Self(Inner::Kcm(k.new_unique()?)))),
        }
    }
}

/// [`CcacheHandle::update`] of a FILE cache: re-read, the changes applied, rewritten, all
/// under one exclusive lock ([`Ccache::update_file`]).
fn update_file(path: &std::path::Path, before: &Ccache, after: &Ccache) -> Result<(), CcacheError> {
    Ccache::update_file(path, |current| match current {
        Some(mut current)
            if current.default_principal == after.default_principal
                && before.default_principal == after.default_principal =>
        {
            current.apply_changes(before, after);
            current
        }
        _ => after.clone(),
    })
}
