//! KEYRING caches in the kernel: keyctl(2)/add_key(2) through `keyutils-raw`'s safe
//! wrappers over the raw system calls (no C library), step for step as MIT's `cc_keyring.c`
//! so that MIT's tools and ours share caches.

use std::time::{SystemTime, UNIX_EPOCH};

use keyutils_raw as kr;
use zeroize::Zeroizing;

use super::{Anchor, KeyringName, decode_primary_index, decode_time_offsets, encode_primary_index};
use crate::Principal;
use crate::ccache::{CacheEntry, Ccache, CcacheError, decode_principal_v4, encode_principal_v4};

type Serial = kr::KeyringSerial;
use errno::Errno;

const KEYRING: &str = "keyring";
const USER: &str = "user";
const BIG_KEY: &str = "big_key";
const PRINCIPAL_KEY: &str = "__krb5_princ__";
const TIME_OFFSETS_KEY: &str = "__krb5_time_offsets__";
const PRIMARY_KEY: &str = "krb_ccache:primary";
const PERSISTENT_COLLECTION: &str = "_krb";
const COLLECTION_PREFIX: &str = "_krb_";
const UNIQUE_PREFIX: &str = "krb_ccache_";

/// One cache of a collection: the collection keyring is found (or created) when opened; the
/// cache keyring itself is looked up at each operation, as other processes may replace it.
#[derive(Debug, Clone)]
pub struct KeyringCache {
    /// Always with a subsidiary.
    name: KeyringName,
    collection: Serial,
    /// Opened by a name with a subsidiary: the "collection" is then that one cache, and no
    /// new cache can be made beside it (MIT's subsidiary cursor).
    single: bool,
}

/// Errors that mean "this key is gone or not ours to read", skipped like MIT does.
fn is_gone(e: Errno) -> bool {
    matches!(
        e.0,
        libc::ENOKEY | libc::EKEYEXPIRED | libc::EKEYREVOKED | libc::EACCES
    )
}

/// A description for the kernel: a C string, so no NUL (keyutils-raw would panic on one).
fn c_str(desc: &str) -> Result<&str, Errno> {
    if desc.contains('\0') {
        Err(Errno(libc::EINVAL))
    } else {
        Ok(desc)
    }
}

fn add(ty: &str, desc: &str, payload: &[u8], ring: Serial) -> Result<Serial, Errno> {
    kr::add_key(ty, c_str(desc)?, payload, ring)
}

fn search(
    ring: Serial,
    ty: &str,
    desc: &str,
    dest: Option<Serial>,
) -> Result<Option<Serial>, Errno> {
    match kr::keyctl_search(ring, ty, c_str(desc)?, dest) {
        Ok(k) => Ok(Some(k)),
        Err(e) if is_gone(e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A key's payload; a keyring's payload is its list of key serials.
fn read(key: Serial) -> Result<Zeroizing<Vec<u8>>, Errno> {
    let mut buf = Zeroizing::new(vec![0u8; 4096]);
    loop {
        let n = kr::keyctl_read(key, Some(buf.as_mut_slice().into()))?;
        if n <= buf.len() {
            buf.truncate(n);
            return Ok(buf);
        }
        // The payload is larger than the buffer: the kernel said how large; read again.
        buf = Zeroizing::new(vec![0u8; n]);
    }
}

fn children(ring: Serial) -> Result<Vec<Serial>, Errno> {
    let raw = read(ring)?;
    Ok(raw
        .chunks_exact(4)
        .filter_map(|c| <[u8; 4]>::try_from(c).ok())
        .filter_map(|b| Serial::new(i32::from_ne_bytes(b)))
        .collect())
}

/// `type;uid;gid;perm;description` of a key: its type and description.
fn describe(key: Serial) -> Result<(String, String), Errno> {
    let mut buf = vec![0u8; 256];
    let n = loop {
        let n = kr::keyctl_describe(key, Some(buf.as_mut_slice().into()))?;
        if n <= buf.len() {
            break n;
        }
        buf = vec![0u8; n];
    };
    let text = String::from_utf8_lossy(&buf[..n]);
    let text = text.trim_end_matches('\0');
    // The description is last and may itself contain ';'.
    let mut parts = text.splitn(5, ';');
    let ty = parts.next().unwrap_or_default().to_owned();
    let desc = parts.nth(3).unwrap_or_default().to_owned();
    Ok((ty, desc))
}

/// MIT's `find_or_create_keyring`: the keyring `name` under `parent`, created if missing.
/// With `possess`, the keyring is also linked there so this process possesses it (the user
/// and persistent keyrings confer no possession by themselves).
fn find_or_create(parent: Serial, possess: Option<Serial>, name: &str) -> Result<Serial, Errno> {
    if let Some(k) = search(parent, KEYRING, name, possess)? {
        return Ok(k);
    }
    match possess {
        Some(p) => {
            let k = add(KEYRING, name, &[], p)?;
            kr::keyctl_link(k, parent)?;
            Ok(k)
        }
        None => add(KEYRING, name, &[], parent),
    }
}

/// The keyring to write to for the session anchor: the user session keyring when the process
/// has no session keyring of its own (writing to the special id would create an empty,
/// private one).
fn session_write_anchor() -> Serial {
    let s = kr::keyctl_get_keyring_id(kr::KEY_SPEC_SESSION_KEYRING, false);
    let u = kr::keyctl_get_keyring_id(kr::KEY_SPEC_USER_SESSION_KEYRING, false);
    match (s, u) {
        (Ok(s), Ok(u)) if s == u => kr::KEY_SPEC_USER_SESSION_KEYRING,
        _ => kr::KEY_SPEC_SESSION_KEYRING,
    }
}

/// The uid's persistent keyring, linked to the process keyring; the user keyring where the
/// kernel has no persistent keyrings (as MIT falls back).
fn persistent_keyring(uid: u32, euid: u32) -> Result<Serial, Errno> {
    match kr::keyctl_get_persistent(uid, kr::KEY_SPEC_PROCESS_KEYRING) {
        Err(e) if e.0 == libc::EOPNOTSUPP && uid == euid => Ok(kr::KEY_SPEC_USER_KEYRING),
        r => r,
    }
}

/// Unlink `key` from `ring`; a key already gone is fine.
fn unlink(key: Serial, ring: Serial) -> Result<(), Errno> {
    match kr::keyctl_unlink(key, ring) {
        Err(e) if !is_gone(e) => Err(e),
        _ => Ok(()),
    }
}

/// MIT's `update_keyring_expiration`: the cache keyring expires with its latest credential
/// (one second for an expired cache: a zero timeout would mean "never"). Failure is harmless.
fn expire_with_latest(ring: Serial, credentials: &[CacheEntry], now: u32) {
    let latest_end = credentials.iter().map(|c| c.endtime).max().unwrap_or(0);
    if latest_end != 0 {
        let timeout = latest_end.checked_sub(now).filter(|&t| t > 0).unwrap_or(1);
        let _ = kr::keyctl_set_timeout(ring, timeout);
    }
}

fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}

impl KeyringCache {
    /// Resolve `name` for the user `euid`: find or create its collection and, for a name
    /// without a subsidiary, the collection's primary cache name.
    pub fn open(name: &KeyringName, euid: u32) -> Result<Self, CcacheError> {
        let err = |e: Errno| io_error(&name.to_string(), e);
        let collection = collection(name, euid).map_err(err)?;
        let subsidiary = match &name.subsidiary {
            Some(s) => s.clone(),
            None => primary_name(name, collection)?,
        };
        Ok(Self {
            name: name.with_subsidiary(&subsidiary),
            collection,
            single: name.subsidiary.is_some(),
        })
    }

    /// The full residual, `anchor:collection:subsidiary`.
    pub fn name(&self) -> &KeyringName {
        &self.name
    }

    fn subsidiary(&self) -> &str {
        self.name.subsidiary.as_deref().unwrap_or_default()
    }

    fn err(&self) -> impl Fn(Errno) -> CcacheError + '_ {
        move |e| io_error(&self.name.to_string(), e)
    }

    fn not_found(&self) -> CcacheError {
        CcacheError::KeyringNotFound(self.name.to_string())
    }

    fn cache_keyring(&self) -> Result<Option<Serial>, CcacheError> {
        search(self.collection, KEYRING, self.subsidiary(), None).map_err(self.err())
    }

    /// The default principal, without reading the credentials.
    pub fn principal(&self) -> Result<Principal, CcacheError> {
        let cache = self.cache_keyring()?.ok_or_else(|| self.not_found())?;
        self.principal_key(cache).map(|(_, p)| p)
    }

    /// The `__krb5_princ__` key of the cache keyring and the principal it holds.
    fn principal_key(&self, cache: Serial) -> Result<(Serial, Principal), CcacheError> {
        let key = search(cache, USER, PRINCIPAL_KEY, None)
            .map_err(self.err())?
            .ok_or_else(|| self.not_found())?;
        let principal = decode_principal_v4(&read(key).map_err(self.err())?)?;
        Ok((key, principal))
    }

    /// Read the whole cache, credentials in the keyring's order (which MIT's klist shows too).
    pub fn load(&self) -> Result<Ccache, CcacheError> {
        let cache = self.cache_keyring()?.ok_or_else(|| self.not_found())?;
        let err = self.err();
        let (principal_key, default_principal) = self.principal_key(cache)?;
        let offsets_key = search(cache, USER, TIME_OFFSETS_KEY, None).map_err(&err)?;
        let kdc_offset = match offsets_key {
            Some(k) => decode_time_offsets(&read(k).map_err(&err)?),
            None => None,
        };
        let mut credentials = Vec::new();
        for key in children(cache).map_err(&err)? {
            if key == principal_key || Some(key) == offsets_key {
                continue;
            }
            match read(key) {
                Ok(payload) => credentials.push(CacheEntry::decode_v4(&payload)?),
                // Unlinked or expired since the listing: skip it, as MIT does.
                Err(e) if is_gone(e) => {}
                Err(e) => return Err(err(e)),
            }
        }
        Ok(Ccache {
            kdc_offset,
            default_principal,
            credentials,
        })
    }

    /// Make the cache hold exactly `cache`: the principal, time offsets and credential keys
    /// are added (a key with the same description is replaced in one step), then every other
    /// key of the cache keyring is unlinked. Readers never see an empty cache. Timeouts are
    /// set as MIT does: each credential key expires at its end time, the cache keyring at
    /// the latest one.
    pub fn save(&self, cache: &Ccache) -> Result<(), CcacheError> {
        let err = self.err();
        let ring = find_or_create(self.collection, None, self.subsidiary()).map_err(&err)?;
        if self.name.is_legacy_cache() {
            // Visible to pre-collection code, as MIT links it; failure is harmless.
            let _ = kr::keyctl_link(ring, session_write_anchor());
        }
        let principal = encode_principal_v4(&cache.default_principal)?;
        let mut keep = vec![add(USER, PRINCIPAL_KEY, &principal, ring).map_err(&err)?];
        if let (Some(o), false) = (cache.kdc_offset, self.name.is_legacy_cache()) {
            let mut payload = o.seconds.to_be_bytes().to_vec();
            payload.extend_from_slice(&o.microseconds.to_be_bytes());
            keep.push(add(USER, TIME_OFFSETS_KEY, &payload, ring).map_err(&err)?);
        }
        let now = now();
        for cred in &cache.credentials {
            keep.push(self.store_credential(cred, ring, now)?);
        }
        for key in children(ring).map_err(&err)? {
            if !keep.contains(&key) {
                unlink(key, ring).map_err(&err)?;
            }
        }
        expire_with_latest(ring, &cache.credentials, now);
        Ok(())
    }

    /// See [`crate::ccache::CcacheHandle::update`]: keys for the credentials that changed
    /// only; the whole cache when it is gone or its principal or offsets changed.
    pub fn update(&self, before: &Ccache, after: &Ccache) -> Result<(), CcacheError> {
        let same_header = before.default_principal == after.default_principal
            && before.kdc_offset == after.kdc_offset;
        let ring = match self.cache_keyring()? {
            Some(ring) if same_header => ring,
            _ => return self.save(after),
        };
        match self.principal_key(ring) {
            Ok((_, current)) if current == after.default_principal => {}
            _ => return self.save(after),
        }
        let err = self.err();
        let changes = Ccache::changes(before, after);
        for server in changes.removed {
            let desc = server.to_string();
            for ty in [BIG_KEY, USER] {
                if let Some(key) = search(ring, ty, &desc, None).map_err(&err)? {
                    unlink(key, ring).map_err(&err)?;
                }
            }
        }
        let now = now();
        for cred in changes.added {
            self.store_credential(cred, ring, now)?;
        }
        expire_with_latest(ring, &after.credentials, now);
        Ok(())
    }

    /// Add (or replace) the key of `cred`, expiring at its end time as MIT sets it.
    fn store_credential(
        &self,
        cred: &CacheEntry,
        ring: Serial,
        now: u32,
    ) -> Result<Serial, CcacheError> {
        let payload = cred.encode_v4()?;
        let key = self
            .add_credential_key(&cred.server.to_string(), &payload, ring)
            .map_err(self.err())?;
        if cred.endtime > now {
            let _ = kr::keyctl_set_timeout(key, cred.endtime - now);
        }
        Ok(key)
    }

    /// big_key (kept in kernel memory or encrypted tmpfs, up to 1 MiB) unless under the legacy
    /// anchor or unsupported by the kernel, then user (up to 32 KiB), like MIT.
    fn add_credential_key(
        &self,
        desc: &str,
        payload: &[u8],
        ring: Serial,
    ) -> Result<Serial, Errno> {
        if self.name.anchor != Anchor::Legacy {
            match add(BIG_KEY, desc, payload, ring) {
                Ok(k) => return Ok(k),
                Err(e) if e.0 == libc::EINVAL || e.0 == libc::ENODEV => {}
                Err(e) => return Err(e),
            }
        }
        add(USER, desc, payload, ring)
    }

    /// `kdestroy`: clear the cache keyring and unlink it from the collection. A cache that
    /// does not exist is fine (MIT's kdestroy is silent about it too).
    pub fn destroy(&self) -> Result<(), CcacheError> {
        let Some(ring) = self.cache_keyring()? else {
            return Ok(());
        };
        let err = self.err();
        kr::keyctl_clear(ring).map_err(&err)?;
        kr::keyctl_unlink(ring, self.collection).map_err(&err)?;
        if self.name.is_legacy_cache() {
            let _ = kr::keyctl_unlink(ring, session_write_anchor());
        }
        Ok(())
    }

    /// Make this cache its collection's primary (`kswitch`, and `kinit` into a collection).
    pub fn switch_to(&self) -> Result<(), CcacheError> {
        set_primary(self.collection, self.subsidiary()).map_err(self.err())
    }

    /// The caches of this cache's collection that exist: the primary first, then the other
    /// cache keyrings in the collection's order. Opened with a subsidiary name: that cache.
    pub fn collection(&self) -> Result<Vec<KeyringCache>, CcacheError> {
        let collection_name = KeyringName {
            subsidiary: None,
            ..self.name.clone()
        };
        let primary = primary_name(&collection_name, self.collection)?;
        let at = |sub: &str| Self {
            name: self.name.with_subsidiary(sub),
            collection: self.collection,
            single: false,
        };
        if self.single {
            let found = self.cache_keyring()?.is_some();
            return Ok(if found {
                vec![self.clone()]
            } else {
                Vec::new()
            });
        }
        let mut out = Vec::new();
        if at(&primary).cache_keyring()?.is_some() {
            out.push(at(&primary));
        }
        for key in children(self.collection).map_err(self.err())? {
            match describe(key) {
                Ok((ty, desc)) if ty == KEYRING && desc != primary => out.push(at(&desc)),
                Ok(_) => {}
                Err(e) if is_gone(e) => {}
                Err(e) => return Err(self.err()(e)),
            }
        }
        Ok(out)
    }

    /// A fresh cache name in this collection, `krb_ccache_` and seven random letters and
    /// digits as MIT makes them (its eight-byte buffer holds a terminating NUL), not yet in
    /// use (MIT's `new_unique`). The keyring is created by the first save.
    pub fn new_unique(&self) -> Result<KeyringCache, CcacheError> {
        if self.single {
            return Err(CcacheError::SubsidiaryDefault);
        }
        const ALPHABET: &[u8; 62] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for _ in 0..100 {
            let mut random = [0u8; 7];
            getrandom::fill(&mut random)
                .map_err(|_| CcacheError::Malformed("no randomness for a cache name"))?;
            let mut name = String::from(UNIQUE_PREFIX);
            // 256 = 4 * 62 + 8: the slight bias is irrelevant for a unique name.
            name.extend(
                random
                    .iter()
                    .map(|b| char::from(ALPHABET[usize::from(*b) % 62])),
            );
            let candidate = Self {
                name: self.name.with_subsidiary(&name),
                collection: self.collection,
                single: false,
            };
            if candidate.cache_keyring()?.is_none() {
                return Ok(candidate);
            }
        }
        Err(CcacheError::Malformed("no unused keyring cache name found"))
    }
}

fn io_error(name: &str, e: Errno) -> CcacheError {
    CcacheError::Keyring {
        name: name.to_owned(),
        source: std::io::Error::from_raw_os_error(e.0),
    }
}

/// MIT's `get_collection`: the collection keyring of `name`, created when missing.
fn collection(name: &KeyringName, euid: u32) -> Result<Serial, Errno> {
    let (anchor, possess) = match name.anchor {
        Anchor::Persistent => {
            // Validated by KeyringName::parse: empty or a uid.
            let uid = name.collection.parse::<u32>().unwrap_or(euid);
            let persistent = persistent_keyring(uid, euid)?;
            return find_or_create(
                persistent,
                Some(kr::KEY_SPEC_PROCESS_KEYRING),
                PERSISTENT_COLLECTION,
            );
        }
        Anchor::Process => (kr::KEY_SPEC_PROCESS_KEYRING, None),
        Anchor::Thread => (kr::KEY_SPEC_THREAD_KEYRING, None),
        Anchor::Session | Anchor::Legacy => (session_write_anchor(), None),
        Anchor::User => (
            kr::KEY_SPEC_USER_KEYRING,
            Some(kr::KEY_SPEC_PROCESS_KEYRING),
        ),
    };
    let ring = format!("{COLLECTION_PREFIX}{}", name.collection);
    find_or_create(anchor, possess, &ring)
}

fn set_primary(collection: Serial, subsidiary: &str) -> Result<(), Errno> {
    let payload = encode_primary_index(subsidiary).map_err(|_| Errno(libc::EINVAL))?;
    add(USER, PRIMARY_KEY, &payload, collection).map(|_| ())
}

/// MIT's `get_primary_name`: read the collection's primary index, or initialise it with the
/// collection's name (adopting a legacy cache of that name from the session keyring).
fn primary_name(name: &KeyringName, collection: Serial) -> Result<String, CcacheError> {
    let err = |e: Errno| io_error(&name.to_string(), e);
    match search(collection, USER, PRIMARY_KEY, None).map_err(err)? {
        Some(key) => {
            let (version, primary) = decode_primary_index(&read(key).map_err(err)?)?;
            if version != super::COLLECTION_VERSION {
                return Err(CcacheError::KeyringVersion(version));
            }
            Ok(primary)
        }
        None => {
            let primary = name.initial_primary().to_owned();
            set_primary(collection, &primary).map_err(err)?;
            if name.anchor == Anchor::Legacy {
                let legacy =
                    search(kr::KEY_SPEC_SESSION_KEYRING, KEYRING, &primary, None).map_err(err)?;
                if let Some(old) = legacy {
                    kr::keyctl_link(old, collection).map_err(err)?;
                }
            }
            Ok(primary)
        }
    }
}
