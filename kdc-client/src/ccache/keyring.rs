//! MIT's KEYRING credential caches: names and the layout in the Linux kernel keyring, as MIT
//! krb5 builds it (`src/lib/krb5/ccache/cc_keyring.c`, krb5 1.12 and later):
//!
//! ```text
//! anchor         persistent: the uid's persistent keyring (KEYCTL_GET_PERSISTENT, else the
//!                user keyring); process, thread, user; session and legacy: the session keyring
//! └─ keyring     collection: "_krb" under persistent, else "_krb_<collection>"
//!    ├─ user     "krb_ccache:primary" = u32 version (1), u32 length, primary subsidiary name
//!    └─ keyring  one per cache, named by its subsidiary ("0", "tkt", "krb_ccache_XXXXXXX")
//!       ├─ user  "__krb5_princ__"        = default principal (FILE v4 encoding)
//!       ├─ user  "__krb5_time_offsets__" = i32 seconds, i32 microseconds (KDC minus local)
//!       └─ big_key (user under legacy) one per credential, described by the server principal,
//!                = the credential (FILE v4 encoding); key timeout = its end time
//! ```
//! All integers big-endian. A name without a subsidiary designates its collection's primary
//! cache; resolving it creates the collection and the primary index when missing, as MIT does.

use std::fmt;

use super::CcacheError;
use crate::wire::Reader;

#[cfg(all(feature = "keyring", target_os = "linux"))]
mod kernel;
#[cfg(all(feature = "keyring", target_os = "linux"))]
pub use kernel::KeyringCache;

/// The collection version MIT writes in `krb_ccache:primary`.
pub const COLLECTION_VERSION: u32 = 1;

/// Where a collection hangs (`KEYRING:<anchor>:...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anchor {
    /// The per-uid persistent keyring (`KEYRING:persistent:<uid>`, RHEL's default).
    Persistent,
    /// The process keyring (`KEYRING:process:`).
    Process,
    /// The thread keyring (`KEYRING:thread:`).
    Thread,
    /// The session keyring (`KEYRING:session:`).
    Session,
    /// The user keyring (`KEYRING:user:`).
    User,
    /// A residual without an anchor: the session keyring, caches also linked there directly.
    Legacy,
}

impl Anchor {
    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "persistent" => Self::Persistent,
            "process" => Self::Process,
            "thread" => Self::Thread,
            "session" => Self::Session,
            "user" => Self::User,
            "legacy" => Self::Legacy,
            _ => return None,
        })
    }

    /// The anchor's name in a residual.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Persistent => "persistent",
            Self::Process => "process",
            Self::Thread => "thread",
            Self::Session => "session",
            Self::User => "user",
            Self::Legacy => "legacy",
        }
    }
}

/// A KEYRING residual: `anchor:collection[:subsidiary]`, or `collection` (legacy anchor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringName {
    /// The keyring the collection hangs from.
    pub anchor: Anchor,
    /// For [`Anchor::Persistent`], a uid (empty: the current one).
    pub collection: String,
    /// The cache within the collection; `None` designates the collection's primary cache.
    pub subsidiary: Option<String>,
}

impl KeyringName {
    /// Parse a residual the way MIT does: the anchor up to the first `:` (none: legacy), then
    /// the collection up to the next `:`, the rest being the subsidiary.
    pub fn parse(residual: &str) -> Result<Self, CcacheError> {
        if residual.contains('\0') {
            return Err(CcacheError::Malformed("NUL in a keyring name"));
        }
        let (anchor, rest) = match residual.split_once(':') {
            None => (Anchor::Legacy, residual),
            Some((a, rest)) => (
                Anchor::from_name(a).ok_or(CcacheError::InvalidKeyringAnchor)?,
                rest,
            ),
        };
        let (collection, subsidiary) = match rest.split_once(':') {
            None => (rest, None),
            Some((c, s)) => (c, Some(s.to_owned())),
        };
        if anchor == Anchor::Persistent
            && !collection.is_empty()
            && collection.parse::<u32>().is_err()
        {
            return Err(CcacheError::InvalidKeyringUid);
        }
        Ok(Self {
            anchor,
            collection: collection.to_owned(),
            subsidiary,
        })
    }

    /// The same collection with `subsidiary` named.
    pub fn with_subsidiary(&self, subsidiary: &str) -> Self {
        Self {
            subsidiary: Some(subsidiary.to_owned()),
            ..self.clone()
        }
    }

    /// MIT's name for a collection's first primary cache: the collection name, `tkt` if empty.
    pub fn initial_primary(&self) -> &str {
        if self.collection.is_empty() {
            "tkt"
        } else {
            &self.collection
        }
    }

    /// The legacy layout's own cache (`legacy:X:X`), also linked from the session keyring.
    pub fn is_legacy_cache(&self) -> bool {
        self.anchor == Anchor::Legacy && self.subsidiary.as_deref() == Some(&self.collection)
    }
}

impl fmt::Display for KeyringName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.anchor.as_str(), self.collection)?;
        match &self.subsidiary {
            Some(s) => write!(f, ":{s}"),
            None => Ok(()),
        }
    }
}

/// Decode the payload of `krb_ccache:primary`: the collection version and the primary name.
pub fn decode_primary_index(bytes: &[u8]) -> Result<(u32, String), CcacheError> {
    let mut r = Reader::new(bytes);
    let version = r.u32()?;
    let len = usize::try_from(r.u32()?).map_err(|_| CcacheError::Truncated)?;
    let name = r.take(len)?;
    // MIT ignores bytes past the name; so do we.
    let name = String::from_utf8(name.to_vec())
        .map_err(|_| CcacheError::Malformed("primary cache name is not UTF-8"))?;
    if name.contains('\0') {
        return Err(CcacheError::Malformed("NUL in the primary cache name"));
    }
    Ok((version, name))
}

/// Encode the payload of `krb_ccache:primary` naming `subsidiary`.
pub fn encode_primary_index(subsidiary: &str) -> Result<Vec<u8>, CcacheError> {
    let len = u32::try_from(subsidiary.len()).map_err(|_| CcacheError::TooLarge)?;
    let mut out = Vec::with_capacity(8 + subsidiary.len());
    out.extend_from_slice(&COLLECTION_VERSION.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(subsidiary.as_bytes());
    Ok(out)
}

/// Decode the payload of `__krb5_time_offsets__`: seconds and microseconds, KDC minus local.
/// MIT ignores a payload shorter than 8 bytes; `None` here.
pub fn decode_time_offsets(bytes: &[u8]) -> Option<super::KdcOffset> {
    let mut r = Reader::new(bytes);
    Some(super::KdcOffset {
        seconds: r.i32().ok()?,
        microseconds: r.i32().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residuals_parse_like_mit() {
        let n = KeyringName::parse("persistent:1000").unwrap();
        assert_eq!(n.anchor, Anchor::Persistent);
        assert_eq!(n.collection, "1000");
        assert_eq!(n.subsidiary, None);
        assert_eq!(n.to_string(), "persistent:1000");
        assert_eq!(n.initial_primary(), "1000");

        let n = KeyringName::parse("persistent::krb_ccache_AbCd1234").unwrap();
        assert_eq!(n.collection, "");
        assert_eq!(n.initial_primary(), "tkt");
        assert_eq!(n.subsidiary.as_deref(), Some("krb_ccache_AbCd1234"));

        let n = KeyringName::parse("mycache").unwrap();
        assert_eq!(n.anchor, Anchor::Legacy);
        assert!(!n.is_legacy_cache());
        assert!(n.with_subsidiary("mycache").is_legacy_cache());
        assert_eq!(
            n.with_subsidiary("mycache").to_string(),
            "legacy:mycache:mycache"
        );

        // The subsidiary is everything after the second colon.
        let n = KeyringName::parse("user:c:a:b").unwrap();
        assert_eq!(n.subsidiary.as_deref(), Some("a:b"));

        assert!(matches!(
            KeyringName::parse("bogus:x:y"),
            Err(CcacheError::InvalidKeyringAnchor)
        ));
        assert!(matches!(
            KeyringName::parse("persistent:abc"),
            Err(CcacheError::InvalidKeyringUid)
        ));
        assert!(KeyringName::parse("session:a\0b").is_err());
    }

    #[test]
    fn primary_index_round_trips_and_rejects_garbage() {
        let b = encode_primary_index("krb_ccache_Xy").unwrap();
        assert_eq!(&b[..8], &[0, 0, 0, 1, 0, 0, 0, 13]);
        assert_eq!(
            decode_primary_index(&b).unwrap(),
            (1, "krb_ccache_Xy".into())
        );
        for cut in 0..b.len() {
            assert!(decode_primary_index(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = b.clone();
        long[7] = 0xff;
        assert!(decode_primary_index(&long).is_err());
        assert!(decode_primary_index(&[0, 0, 0, 1, 0, 0, 0, 1, 0]).is_err());
    }

    #[test]
    fn time_offsets() {
        let o = decode_time_offsets(&[0xff, 0xff, 0xf1, 0xf0, 0, 0, 0, 5]).unwrap();
        assert_eq!((o.seconds, o.microseconds), (-3600, 5));
        assert!(decode_time_offsets(&[0; 7]).is_none());
    }
}
