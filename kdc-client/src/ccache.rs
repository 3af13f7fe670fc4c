//! Credential caches: the model ([`Ccache`], [`CacheEntry`]) and MIT's cache types.
//!
//! The model is MIT's FILE cache content; `codec` encodes it in MIT's FILE format (versions 3
//! and 4 read, 4 written) and `file` reads and writes FILE caches under MIT's `fcntl` record
//! locks ([`Ccache::read_file`], [`Ccache::update_file`]).
//!
//! Cache names ([`CcacheName`]: `FILE:`, `DIR:`, `KEYRING:` and `KCM:`) open to a
//! [`CcacheHandle`], which reads, writes and destroys caches of any of these types; DIR
//! collections ([`dir`]) are directories of FILE caches, KEYRING caches ([`keyring`]) keep each
//! credential in this same encoding in a kernel key, KCM daemons ([`kcm`]) take it over their
//! socket.

use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::config::UnknownPathToken;
use crate::crypto::{EncryptionKey, Enctype};
use crate::principal::{NameType, Principal, PrincipalName, Realm};
use crate::wire::Truncated;

/// MIT's ccache configuration key saying a realm's KDC takes FAST (value `yes`, scoped to
/// `krbtgt/REALM@REALM`): see [`Ccache::takes_fast`].
pub const FAST_AVAIL: &str = "fast_avail";

mod codec;
pub mod dir;
mod file;
mod handle;
pub mod kcm;
pub mod keyring;
mod name;

pub use codec::{decode_principal_v4, encode_principal_v4};
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
#[non_exhaustive]
pub enum CcacheError {
    /// The cache ends inside a field.
    #[error("credential cache is truncated")]
    Truncated,
    /// The first byte is not 0x05.
    #[error("not a FILE credential cache (first byte {0:#04x}, expected 0x05)")]
    BadMagic(u8),
    /// A FILE format version other than 3 and 4.
    #[error("unsupported credential cache version 0x05{0:02x} (only 3 and 4 are supported)")]
    UnsupportedVersion(u8),
    /// A field that breaks the format (the reason).
    #[error("malformed credential cache: {0}")]
    Malformed(&'static str),
    /// A value too large for the format's field.
    #[error("credential field out of range for the file format")]
    TooLarge,
    /// A cache type this build does not support.
    #[error("unsupported ccache type '{0}' (FILE and KEYRING are supported)")]
    UnsupportedType(String),
    /// A cache name MIT refuses too: MIT's detailed message, and the text of its error code
    /// (what MIT's kdestroy and kswitch print instead).
    #[error("{message}")]
    BadName {
        /// The text of MIT's error code.
        generic: &'static str,
        /// MIT's detailed message.
        message: String,
    },
    /// A KEYRING anchor other than process, thread, session, user or persistent.
    #[error("Invalid keyring anchor name")]
    InvalidKeyringAnchor,
    /// A persistent keyring name whose UID is not a number.
    #[error("Invalid UID in persistent keyring name")]
    InvalidKeyringUid,
    /// A keyring collection of an unknown version.
    #[error("Unknown keyring collection version {0}")]
    KeyringVersion(u32),
    /// A new cache asked of a name that is already a subsidiary.
    #[error("Can't create new subsidiary cache because default cache is already a subsidiary")]
    SubsidiaryDefault,
    /// The named keyring does not exist.
    #[error("Credentials cache keyring '{0}' not found")]
    KeyringNotFound(String),
    /// A kernel keyring call failed.
    #[error("credential cache keyring '{name}': {source}")]
    Keyring {
        /// The keyring's name.
        name: String,
        /// The error of the keyring call.
        source: std::io::Error,
    },
    /// A KCM daemon error.
    #[error(transparent)]
    Kcm(#[from] kcm::KcmError),
    /// A path with an unknown `%{token}`.
    #[error(transparent)]
    Path(#[from] UnknownPathToken),
    /// A file I/O error.
    #[error("credential cache {path}: {source}")]
    Io {
        /// The cache file.
        path: PathBuf,
        /// The I/O error.
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
    /// The enctype number (possibly one this engine does not implement).
    pub enctype: i32,
    /// The key bytes.
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
    /// The address type or ad-type.
    pub kind: u16,
    /// The contents.
    pub data: Vec<u8>,
}

/// One entry of a credential cache as MIT stores it: a credential, or a configuration value
/// ([`CacheEntry::is_config`]). Raw fields: the enctype may be one this engine does not
/// implement; times are seconds since the Unix epoch (0 = unset). The usable form of a
/// credential is [`crate::exchange::Credentials`] ([`crate::exchange::Credentials::from_ccache`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The client principal.
    pub client: Principal,
    /// The server principal (for a configuration entry, `krb5_ccache_conf_data/KEY[/PRINCIPAL]@X-CACHECONF:`).
    pub server: Principal,
    /// The session key.
    pub key: Keyblock,
    /// When the initial ticket was issued.
    pub authtime: u32,
    /// When the ticket becomes valid (0: the authtime).
    pub starttime: u32,
    /// When the ticket expires.
    pub endtime: u32,
    /// Until when it can be renewed (0: not renewable).
    pub renew_till: u32,
    /// Whether the ticket is encrypted in another ticket's session key (user-to-user).
    pub is_skey: bool,
    /// TicketFlags (RFC 4120 §5.3) as a 32-bit number, bit 0 (`reserved`) being the MSB.
    pub ticket_flags: u32,
    /// The ticket's client addresses.
    pub addresses: Vec<Typed>,
    /// The ticket's authorization data.
    pub authdata: Vec<Typed>,
    /// The DER-encoded Ticket, kept verbatim.
    pub ticket: Vec<u8>,
    /// The second ticket of a user-to-user credential (usually empty).
    pub second_ticket: Vec<u8>,
}

impl CacheEntry {
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
    /// Servers whose credentials were removed.
    pub removed: Vec<&'a Principal>,
    /// Credentials added or changed.
    pub added: Vec<&'a CacheEntry>,
}

/// The KDC time offset header tag (tag 1): KDC time minus local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdcOffset {
    /// Whole seconds.
    pub seconds: i32,
    /// Microseconds.
    pub microseconds: i32,
}

/// A credential cache: a default principal and credentials in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ccache {
    /// The KDC time offset header, if any.
    pub kdc_offset: Option<KdcOffset>,
    /// The principal the cache belongs to.
    pub default_principal: Principal,
    /// The entries, in file order.
    pub credentials: Vec<CacheEntry>,
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

    /// Add `cred`, replacing a credential with the same client and server.
    pub fn store(&mut self, cred: CacheEntry) {
        let same =
            |c: &CacheEntry| c.client.matches(&cred.client) && c.server.matches(&cred.server);
        match self.credentials.iter_mut().find(|c| same(c)) {
            Some(slot) => *slot = cred,
            None => self.credentials.push(cred),
        }
    }

    /// The first non-configuration credential for `server`. Expiry is left to the caller.
    pub fn retrieve(&self, server: &Principal) -> Option<&CacheEntry> {
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
        self.store(CacheEntry::config(client, key, principal, value));
    }

    /// A configuration value, if set.
    pub fn get_config(&self, key: &str, principal: Option<&Principal>) -> Option<&[u8]> {
        let server = config_principal(key, principal);
        self.credentials
            .iter()
            .find(|c| c.is_config() && c.server.matches(&server))
            .map(|c| c.ticket.as_slice())
    }

    /// Whether the cache says `realm`'s KDC takes FAST: its [`FAST_AVAIL`] entry for
    /// `krbtgt/REALM@REALM` is `yes` (written by MIT's kinit when the KDC offered FAST, and by
    /// armored logins).
    pub fn takes_fast(&self, realm: &Realm) -> bool {
        self.get_config(FAST_AVAIL, Some(&local_tgs(realm))) == Some(&b"yes"[..])
    }

    /// Record that `realm`'s KDC takes FAST, as MIT's kinit does ([`Ccache::takes_fast`]).
    pub fn set_takes_fast(&mut self, realm: &Realm) {
        self.set_config(FAST_AVAIL, Some(&local_tgs(realm)), b"yes");
    }
}

/// `krbtgt/REALM@REALM`, the principal MIT scopes [`FAST_AVAIL`] to.
fn local_tgs(realm: &Realm) -> Principal {
    Principal::new(PrincipalName::krbtgt(realm), realm.clone())
}

#[cfg(test)]
mod tests;
