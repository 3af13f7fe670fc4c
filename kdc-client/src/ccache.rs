//! MIT FILE credential caches, as described in MIT krb5's "Credential cache file format"
//! (`doc/formats/ccache_file_format.rst`). Versions 3 and 4 are read; version 4 is written.
//!
//! ```text
//! file       = 0x05, version (3 or 4), [v4: u16 header length, header tag*], principal, credential*
//! tag        = u16 tag, u16 length, bytes        (tag 1: KDC time offset, i32 s + i32 µs)
//! principal  = u32 name_type, u32 count, data realm, data component * count
//! credential = principal client, principal server, keyblock,
//!              u32 authtime, u32 starttime, u32 endtime, u32 renew_till, u8 is_skey,
//!              u32 ticket_flags, u32 count, address*, u32 count, authdata*,
//!              data ticket, data second_ticket
//! keyblock   = u16 enctype, [v3: u16 enctype again], data key
//! address    = u16 addrtype, data        authdata = u16 ad_type, data
//! data       = u32 length, bytes
//! ```
//! All integers are big-endian. Parsing and encoding work on bytes in memory; the file
//! functions are thin wrappers; FILE caches are read and written in place under MIT's `fcntl`
//! record locks (`ccache/file.rs`).
//!
//! Cache names ([`CcacheName`]: `FILE:`, `DIR:`, `KEYRING:` and `KCM:`) open to a
//! [`CcacheHandle`], which reads, writes and destroys caches of any of these types; DIR
//! collections ([`dir`]) are directories of FILE caches, KEYRING caches ([`keyring`]) keep each
//! credential in this same encoding in a kernel key, KCM daemons ([`kcm`]) take it over their
//! socket.

use std::fmt;

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::config::UnknownPathToken;
use crate::crypto::{EncryptionKey, Enctype};
use crate::principal::{NameType, Principal, PrincipalName, Realm};
use crate::wire::{Reader, Truncated, put_u32_data};

pub mod dir;
mod file;
mod handle;
pub mod kcm;
pub mod keyring;
mod name;

pub use handle::CcacheHandle;
pub use name::CcacheName;

/// The realm of MIT's configuration entries.
pub const CONFIG_REALM: &str = "X-CACHECONF:";
/// The first component of a configuration entry's server principal.
pub const CONFIG_NAME: &str = "krb5_ccache_conf_data";
/// MIT's default cache name when neither `KRB5CCNAME` nor `default_ccache_name` is set.
pub const DEFAULT_CCACHE_NAME: &str = "FILE:/tmp/krb5cc_%{uid}";

/// Errors from reading, writing or naming a credential cache.
#[derive(Debug, thiserror::Error)]
pub enum CcacheError {
    #[error("credential cache is truncated")]
    Truncated,
    #[error("not a FILE credential cache (first byte {0:#04x}, expected 0x05)")]
    BadMagic(u8),
    #[error("unsupported credential cache version 0x05{0:02x} (only 3 and 4 are supported)")]
    UnsupportedVersion(u8),
    #[error("malformed credential cache: {0}")]
    Malformed(&'static str),
    #[error("credential field out of range for the file format")]
    TooLarge,
    #[error("unsupported ccache type '{0}' (FILE and KEYRING are supported)")]
    UnsupportedType(String),
    /// A cache name MIT refuses too: MIT's detailed message, and the text of its error code
    /// (what MIT's kdestroy and kswitch print instead).
    #[error("{message}")]
    BadName {
        generic: &'static str,
        message: String,
    },
    #[error("Invalid keyring anchor name")]
    InvalidKeyringAnchor,
    #[error("Invalid UID in persistent keyring name")]
    InvalidKeyringUid,
    #[error("Unknown keyring collection version {0}")]
    KeyringVersion(u32),
    #[error("Can't create new subsidiary cache because default cache is already a subsidiary")]
    SubsidiaryDefault,
    #[error("Credentials cache keyring '{0}' not found")]
    KeyringNotFound(String),
    #[error("credential cache keyring '{name}': {source}")]
    Keyring {
        name: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Kcm(#[from] kcm::KcmError),
    #[error(transparent)]
    Path(#[from] UnknownPathToken),
    #[error("credential cache {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl CcacheError {
    /// The text of MIT's error code alone, without the detail some tools print.
    pub fn generic_message(&self) -> String {
        match self {
            Self::BadName { generic, .. } => (*generic).to_owned(),
            e => e.to_string(),
        }
    }

    /// The cache does not exist (a missing file, or a keyring cache never initialised).
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::KeyringNotFound(_) => true,
            Self::Kcm(kcm::KcmError::NotFound(_)) => true,
            Self::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            _ => false,
        }
    }
}

/// An I/O error of no particular path yet ([`Ccache::update_file`] names it).
impl From<std::io::Error> for CcacheError {
    fn from(source: std::io::Error) -> Self {
        CcacheError::Io {
            path: PathBuf::new(),
            source,
        }
    }
}

impl From<Truncated> for CcacheError {
    fn from(_: Truncated) -> Self {
        CcacheError::Truncated
    }
}

/// A session key as stored: the raw enctype (possibly one this engine does not implement).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Keyblock {
    pub enctype: i32,
    pub bytes: Zeroizing<Vec<u8>>,
}

impl Keyblock {
    /// The key as an [`EncryptionKey`], if its enctype is implemented and the length fits.
    pub fn encryption_key(&self) -> Option<EncryptionKey> {
        EncryptionKey::new(Enctype::from_i32(self.enctype)?, &self.bytes).ok()
    }
}

impl From<&EncryptionKey> for Keyblock {
    fn from(k: &EncryptionKey) -> Self {
        Self {
            enctype: k.enctype().to_i32(),
            bytes: Zeroizing::new(k.as_bytes().to_vec()),
        }
    }
}

impl fmt::Debug for Keyblock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyblock")
            .field("enctype", &self.enctype)
            .field("bytes", &"<redacted>")
            .finish()
    }
}

/// A host address (RFC 4120 §5.2.5) or authorization-data element (§5.2.6): a type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    pub kind: u16,
    pub data: Vec<u8>,
}

/// One credential. Times are seconds since the Unix epoch (0 = unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub client: Principal,
    pub server: Principal,
    pub key: Keyblock,
    pub authtime: u32,
    pub starttime: u32,
    pub endtime: u32,
    pub renew_till: u32,
    pub is_skey: bool,
    /// TicketFlags (RFC 4120 §5.3) as a 32-bit number, bit 0 (`reserved`) being the MSB.
    pub ticket_flags: u32,
    pub addresses: Vec<Typed>,
    pub authdata: Vec<Typed>,
    /// The DER-encoded Ticket, kept verbatim.
    pub ticket: Vec<u8>,
    pub second_ticket: Vec<u8>,
}

impl Credential {
    /// A configuration entry as MIT writes them: server
    /// `krb5_ccache_conf_data/<key>[/<principal>]@X-CACHECONF:`, the value in the ticket field.
    pub fn config(
        client: Principal,
        key: &str,
        principal: Option<&Principal>,
        value: &[u8],
    ) -> Self {
        Self {
            client,
            server: config_principal(key, principal),
            key: Keyblock::default(),
            authtime: 0,
            starttime: 0,
            endtime: 0,
            renew_till: 0,
            is_skey: false,
            ticket_flags: 0,
            addresses: Vec::new(),
            authdata: Vec::new(),
            ticket: value.to_vec(),
            second_ticket: Vec::new(),
        }
    }

    /// Decode one credential in the version 4 encoding, the whole input (the payload of a
    /// KEYRING credential key).
    pub fn decode_v4(bytes: &[u8]) -> Result<Self, CcacheError> {
        let mut r = Reader::new(bytes);
        let cred = read_credential(&mut r, 4)?;
        r.is_empty()
            .then_some(cred)
            .ok_or(CcacheError::Malformed("trailing bytes after a credential"))
    }

    /// Encode in the version 4 encoding (the payload of a KEYRING credential key).
    /// The buffer holds the session key: it is reserved at its final size up front
    /// ([`Credential::encoded_len_bound`]), so it never reallocates and leaves no copy.
    pub fn encode_v4(&self) -> Result<Zeroizing<Vec<u8>>, CcacheError> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len_bound()));
        write_credential(&mut out, self).ok_or(CcacheError::TooLarge)?;
        Ok(out)
    }

    /// An upper bound (the exact value) of the version 4 encoding's length: each principal
    /// 12 octets plus the realm and 4 per component; key 6; times, flags and is_skey 21;
    /// lists 4 plus 6 per entry; tickets 4 each.
    pub fn encoded_len_bound(&self) -> usize {
        let principal = |p: &Principal| {
            12 + p.realm.as_str().len()
                + p.name
                    .components()
                    .iter()
                    .map(|c| 4 + c.len())
                    .sum::<usize>()
        };
        let list = |l: &[Typed]| 4 + l.iter().map(|t| 6 + t.data.len()).sum::<usize>();
        principal(&self.client)
            + principal(&self.server)
            + 6
            + self.key.bytes.len()
            + 21
            + list(&self.addresses)
            + list(&self.authdata)
            + 8
            + self.ticket.len()
            + self.second_ticket.len()
    }

    /// True for MIT configuration entries.
    pub fn is_config(&self) -> bool {
        self.server.realm.as_str() == CONFIG_REALM
            && self.server.name.components().first().map(String::as_str) == Some(CONFIG_NAME)
    }
}

fn config_principal(key: &str, principal: Option<&Principal>) -> Principal {
    let mut components = vec![CONFIG_NAME.to_owned(), key.to_owned()];
    components.extend(principal.map(Principal::to_string));
    // Invariant: the component list is non-empty and the realm is a non-empty constant.
    let name = PrincipalName::new(NameType::Principal, components).expect("non-empty name");
    Principal::new(name, Realm::new(CONFIG_REALM).expect("constant realm"))
}

/// See [`Ccache::changes`].
#[derive(Debug)]
pub struct Changes<'a> {
    pub removed: Vec<&'a Principal>,
    pub added: Vec<&'a Credential>,
}

/// The KDC time offset header tag (tag 1): KDC time minus local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdcOffset {
    pub seconds: i32,
    pub microseconds: i32,
}

/// A credential cache: a default principal and credentials in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ccache {
    pub kdc_offset: Option<KdcOffset>,
    pub default_principal: Principal,
    pub credentials: Vec<Credential>,
}

impl Ccache {
    /// An empty cache for `default_principal` (what `kinit` starts from).
    pub fn new(default_principal: Principal) -> Self {
        Self {
            kdc_offset: None,
            default_principal,
            credentials: Vec::new(),
        }
    }

    /// Parse a version 3 or 4 FILE cache from its bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, CcacheError> {
        let mut r = Reader::new(bytes);
        let magic = r.u8()?;
        if magic != 5 {
            return Err(CcacheError::BadMagic(magic));
        }
        let version = r.u8()?;
        let mut kdc_offset = None;
        match version {
            3 => {}
            4 => {
                let len = r.u16()?;
                let mut h = Reader::new(r.take(usize::from(len))?);
                while !h.is_empty() {
                    let tag = h.u16()?;
                    let len = h.u16()?;
                    let mut field = Reader::new(h.take(usize::from(len))?);
                    if tag == 1 {
                        kdc_offset = Some(KdcOffset {
                            seconds: field.i32()?,
                            microseconds: field.i32()?,
                        });
                    }
                }
            }
            v => return Err(CcacheError::UnsupportedVersion(v)),
        }
        let default_principal = read_principal(&mut r)?;
        let mut credentials = Vec::new();
        while !r.is_empty() {
            credentials.push(read_credential(&mut r, version)?);
        }
        Ok(Self {
            kdc_offset,
            default_principal,
            credentials,
        })
    }

    /// Encode as a version 4 cache.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, CcacheError> {
        let mut out = Zeroizing::new(vec![5, 4]);
        match self.kdc_offset {
            Some(o) => {
                out.extend_from_slice(&[0, 12, 0, 1, 0, 8]);
                out.extend_from_slice(&o.seconds.to_be_bytes());
                out.extend_from_slice(&o.microseconds.to_be_bytes());
            }
            None => out.extend_from_slice(&[0, 0]),
        }
        write_principal(&mut out, &self.default_principal).ok_or(CcacheError::TooLarge)?;
        for c in &self.credentials {
            write_credential(&mut out, c).ok_or(CcacheError::TooLarge)?;
        }
        Ok(out)
    }

    /// Add `cred`, replacing a credential with the same client and server.
    pub fn store(&mut self, cred: Credential) {
        let same =
            |c: &Credential| c.client.matches(&cred.client) && c.server.matches(&cred.server);
        match self.credentials.iter_mut().find(|c| same(c)) {
            Some(slot) => *slot = cred,
            None => self.credentials.push(cred),
        }
    }

    /// The first non-configuration credential for `server`. Expiry is left to the caller.
    pub fn retrieve(&self, server: &Principal) -> Option<&Credential> {
        self.credentials
            .iter()
            .find(|c| !c.is_config() && c.server.matches(server))
    }

    /// Remove every credential for `server`; returns how many were removed.
    pub fn remove(&mut self, server: &Principal) -> usize {
        let before = self.credentials.len();
        self.credentials.retain(|c| !c.server.matches(server));
        before - self.credentials.len()
    }

    /// What turned `before` into `after`: the servers whose credentials went, and the
    /// credentials that are new or changed. The default principal and offset are not compared.
    pub fn changes<'a>(before: &'a Ccache, after: &'a Ccache) -> Changes<'a> {
        let removed = before
            .credentials
            .iter()
            .filter(|b| {
                !after
                    .credentials
                    .iter()
                    .any(|a| a.server.matches(&b.server))
            })
            .map(|b| &b.server)
            .collect();
        let added = after
            .credentials
            .iter()
            .filter(|a| !before.credentials.contains(a))
            .collect();
        Changes { removed, added }
    }

    /// Apply to this cache (as read now) the changes that turned `before` into `after`, so
    /// that what another process stored in the meantime is kept.
    pub fn apply_changes(&mut self, before: &Ccache, after: &Ccache) {
        let changes = Ccache::changes(before, after);
        for server in changes.removed {
            self.remove(server);
        }
        for cred in changes.added {
            self.store(cred.clone());
        }
        self.kdc_offset = after.kdc_offset;
    }

    /// Set a configuration value (e.g. `fast_avail`, `pa_type`, `refresh_time`,
    /// `proxy_impersonator`), optionally scoped to a principal, replacing an earlier one.
    pub fn set_config(&mut self, key: &str, principal: Option<&Principal>, value: &[u8]) {
        let client = self.default_principal.clone();
        self.store(Credential::config(client, key, principal, value));
    }

    /// A configuration value, if set.
    pub fn get_config(&self, key: &str, principal: Option<&Principal>) -> Option<&[u8]> {
        let server = config_principal(key, principal);
        self.credentials
            .iter()
            .find(|c| c.is_config() && c.server.matches(&server))
            .map(|c| c.ticket.as_slice())
    }

    /// Read a FILE cache (under a shared `fcntl` lock, as MIT reads).
    pub fn read_file(path: &Path) -> Result<Self, CcacheError> {
        let bytes = file::read_locked(path).map_err(io_err(path))?;
        Self::parse(&bytes)
    }

    /// Write the cache in place under an exclusive `fcntl` lock (created mode 0600), as
    /// MIT's FILE cache does; readers that lock (ours, MIT's) never see a partial cache.
    pub fn write_file(&self, path: &Path) -> Result<(), CcacheError> {
        file::replace_locked(path, &self.to_bytes()?).map_err(io_err(path))
    }

    /// Read-modify-write of a FILE cache under one exclusive `fcntl` lock: `change` gets the
    /// cache as it is now (`None` when missing, empty or unreadable) and returns the cache
    /// to write.
    pub fn update_file(
        path: &Path,
        change: impl FnOnce(Option<Ccache>) -> Ccache,
    ) -> Result<(), CcacheError> {
        file::update_locked(path, |current| {
            let current = current.and_then(|b| Self::parse(b).ok());
            change(current).to_bytes()
        })
        .map_err(|e| match e {
            CcacheError::Io { source, .. } => io_err(path)(source),
            e => e,
        })
    }

    /// `kinit`'s initialisation: replace whatever is at `path` by an empty cache.
    pub fn init_file(path: &Path, default_principal: Principal) -> Result<Self, CcacheError> {
        let cache = Self::new(default_principal);
        cache.write_file(path)?;
        Ok(cache)
    }

    /// `kdestroy`: overwrite the file with zeros, then unlink it (as MIT's FILE cache does),
    /// under an exclusive lock; a symbolic link is refused, not followed.
    pub fn destroy_file(path: &Path) -> Result<(), CcacheError> {
        file::destroy_locked(path).map_err(io_err(path))
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CcacheError + '_ {
    move |source| CcacheError::Io {
        path: path.into(),
        source,
    }
}

/// Decode a principal in the version 4 encoding, the whole input (the payload of a KEYRING
/// cache's `__krb5_princ__` key).
pub fn decode_principal_v4(bytes: &[u8]) -> Result<Principal, CcacheError> {
    let mut r = Reader::new(bytes);
    let p = read_principal(&mut r)?;
    r.is_empty()
        .then_some(p)
        .ok_or(CcacheError::Malformed("trailing bytes after a principal"))
}

/// Encode a principal in the version 4 encoding.
pub fn encode_principal_v4(p: &Principal) -> Result<Vec<u8>, CcacheError> {
    let mut out = Vec::new();
    write_principal(&mut out, p).ok_or(CcacheError::TooLarge)?;
    Ok(out)
}

fn read_data<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], CcacheError> {
    let len = usize::try_from(r.u32()?).map_err(|_| CcacheError::Truncated)?;
    Ok(r.take(len)?)
}

fn read_string(r: &mut Reader<'_>) -> Result<String, CcacheError> {
    let b = read_data(r)?;
    String::from_utf8(b.to_vec()).map_err(|_| CcacheError::Malformed("name is not UTF-8"))
}

fn read_principal(r: &mut Reader<'_>) -> Result<Principal, CcacheError> {
    let name_type = NameType::from_i32(r.i32()?);
    let count = r.u32()?;
    let realm = match read_string(r)? {
        // MIT's referral realm: `kvno -S` caches `host/db.example.com@`.
        s if s.is_empty() => Realm::referral(),
        s => Realm::new(s).map_err(|_| CcacheError::Malformed("bad realm"))?,
    };
    let mut components = Vec::new();
    for _ in 0..count {
        components.push(read_string(r)?);
    }
    let name = PrincipalName::new(name_type, components)
        .map_err(|_| CcacheError::Malformed("principal without components"))?;
    Ok(Principal::new(name, realm))
}

fn read_typed_list(r: &mut Reader<'_>) -> Result<Vec<Typed>, CcacheError> {
    let count = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let kind = r.u16()?;
        out.push(Typed {
            kind,
            data: read_data(r)?.to_vec(),
        });
    }
    Ok(out)
}

fn read_credential(r: &mut Reader<'_>, version: u8) -> Result<Credential, CcacheError> {
    let client = read_principal(r)?;
    let server = read_principal(r)?;
    let enctype = i32::from(r.u16()?);
    if version == 3 {
        r.u16()?; // version 3 repeats the enctype
    }
    let key = Keyblock {
        enctype,
        bytes: Zeroizing::new(read_data(r)?.to_vec()),
    };
    Ok(Credential {
        client,
        server,
        key,
        authtime: r.u32()?,
        starttime: r.u32()?,
        endtime: r.u32()?,
        renew_till: r.u32()?,
        is_skey: r.u8()? != 0,
        ticket_flags: r.u32()?,
        addresses: read_typed_list(r)?,
        authdata: read_typed_list(r)?,
        ticket: read_data(r)?.to_vec(),
        second_ticket: read_data(r)?.to_vec(),
    })
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn write_principal(out: &mut Vec<u8>, p: &Principal) -> Option<()> {
    out.extend_from_slice(&p.name.name_type.to_i32().to_be_bytes());
    put_u32(out, u32::try_from(p.name.components().len()).ok()?);
    put_u32_data(out, p.realm.as_str().as_bytes())?;
    for c in p.name.components() {
        put_u32_data(out, c.as_bytes())?;
    }
    Some(())
}

fn write_typed_list(out: &mut Vec<u8>, list: &[Typed]) -> Option<()> {
    put_u32(out, u32::try_from(list.len()).ok()?);
    for t in list {
        out.extend_from_slice(&t.kind.to_be_bytes());
        put_u32_data(out, &t.data)?;
    }
    Some(())
}

fn write_credential(out: &mut Vec<u8>, c: &Credential) -> Option<()> {
    write_principal(out, &c.client)?;
    write_principal(out, &c.server)?;
    out.extend_from_slice(&u16::try_from(c.key.enctype).ok()?.to_be_bytes());
    put_u32_data(out, &c.key.bytes)?;
    for t in [c.authtime, c.starttime, c.endtime, c.renew_till] {
        put_u32(out, t);
    }
    out.push(u8::from(c.is_skey));
    put_u32(out, c.ticket_flags);
    write_typed_list(out, &c.addresses)?;
    write_typed_list(out, &c.authdata)?;
    put_u32_data(out, &c.ticket)?;
    put_u32_data(out, &c.second_ticket)
}

#[cfg(test)]
mod tests;
