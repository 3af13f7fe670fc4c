//! KCM credential caches: caches kept by a daemon (Heimdal's `kcm`, sssd-kcm) and reached over
//! a Unix stream socket, in the protocol MIT krb5 1.20's client speaks (`cc_kcm.c`, `kcm.h`):
//!
//! ```text
//! request    = u32 length, u8 major (2), u8 minor (0), u16 opcode, arguments
//! reply      = u32 length, u32 transport status, then `length` bytes: u32 status, payload
//! name       = bytes, NUL            (cache names are chosen by the daemon: "0", "0:1", ...)
//! principal  = as in a FILE v4 cache;  credential = as in a FILE v4 cache
//! uuid list  = 16-byte UUIDs up to the end of the payload
//! cred list  = u32 count, count * (u32 length, credential)     (MIT's GET_CRED_LIST)
//! ```
//! All integers big-endian; statuses are krb5 com_err codes (0 = success), shared by MIT and
//! Heimdal. `KCM:` names the collection's default cache (GET_DEFAULT_CACHE), `KCM:NAME` one
//! cache. This module is the codec (no I/O); [`KcmCache`] does the socket I/O.

use std::fmt;

use zeroize::Zeroizing;

use super::{CacheEntry, Ccache, encode_principal_v4};
use crate::Principal;
use crate::wire::Reader;

#[cfg(all(feature = "kcm", unix))]
mod client;
#[cfg(all(feature = "kcm", unix))]
pub use client::KcmCache;

/// MIT's and Heimdal's default socket (`[libdefaults] kcm_socket` overrides it).
pub const DEFAULT_KCM_SOCKET: &str = "/var/run/.heim_org.h5l.kcm-socket";
/// The largest reply accepted, as MIT (10 MiB).
pub const MAX_REPLY_SIZE: u32 = 10 * 1024 * 1024;
/// The length of a cache or credential UUID.
pub const UUID_LEN: usize = 16;

/// KCM opcodes used here (`kcm.h`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Opcode {
    GenNew = 3,
    Initialize = 4,
    Destroy = 5,
    Store = 6,
    GetPrincipal = 8,
    GetCredUuidList = 9,
    GetCredByUuid = 10,
    GetCacheUuidList = 18,
    GetCacheByUuid = 19,
    GetDefaultCache = 20,
    SetDefaultCache = 21,
    GetKdcOffset = 22,
    SetKdcOffset = 23,
    /// MIT extension: all credentials in one reply.
    GetCredList = 13001,
    /// MIT extension: replace a cache's principal, offset and credentials atomically.
    Replace = 13002,
}

/// krb5 com_err codes a KCM daemon answers with (MIT's `krb5_err.et`, same values in Heimdal).
#[doc(hidden)]
pub mod status {
    pub const KRB5_CC_NOTFOUND: i32 = -1765328243;
    pub const KRB5_CC_END: i32 = -1765328242;
    pub const KRB5_CC_IO: i32 = -1765328191;
    pub const KRB5_FCC_PERM: i32 = -1765328190;
    pub const KRB5_FCC_NOFILE: i32 = -1765328189;
    pub const KRB5_FCC_INTERNAL: i32 = -1765328188;
    pub const KRB5_CC_WRITE: i32 = -1765328187;
    pub const KRB5_CC_NOMEM: i32 = -1765328186;
    pub const KRB5_CC_FORMAT: i32 = -1765328185;
    pub const KRB5_CC_BADNAME: i32 = -1765328245;
    pub const KRB5_CC_NOSUPP: i32 = -1765328137;

    /// MIT's message for a status, if it is one of the credential cache codes.
    pub fn message(code: i32) -> Option<&'static str> {
        Some(match code {
            KRB5_CC_NOTFOUND => "Matching credential not found",
            KRB5_CC_END => "End of credential cache reached",
            KRB5_CC_IO => "Credentials cache I/O operation failed",
            KRB5_FCC_PERM => "Credentials cache permissions incorrect",
            KRB5_FCC_NOFILE => "No credentials cache found",
            KRB5_FCC_INTERNAL => "Internal credentials cache error",
            KRB5_CC_WRITE => "Error writing to credentials cache",
            KRB5_CC_NOMEM => "No more memory to allocate (in credentials cache code)",
            KRB5_CC_FORMAT => "Bad format in credentials cache",
            KRB5_CC_BADNAME => "Credential cache name malformed",
            KRB5_CC_NOSUPP => "Ccache function not supported: not implemented",
            _ => return None,
        })
    }

    /// True for the answers that may mean "opcode not implemented": Heimdal's
    /// KRB5_FCC_INTERNAL, sssd's KRB5_CC_NOSUPP and KRB5_CC_IO (as MIT's client reads them).
    pub fn is_unsupported(code: i32) -> bool {
        matches!(code, KRB5_FCC_INTERNAL | KRB5_CC_IO | KRB5_CC_NOSUPP)
    }
}

/// Errors of the KCM cache type, worded as MIT's tools print them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KcmError {
    /// The named cache does not exist in the daemon.
    #[error("Credentials cache 'KCM:{0}' not found")]
    NotFound(String),
    /// A reply that does not parse.
    #[error("Malformed reply from KCM daemon")]
    Malformed,
    /// A reply longer than the limit.
    #[error("KCM daemon reply too big")]
    ReplyTooBig,
    /// No daemon listens on the socket.
    #[error("No KCM server found")]
    NoServer,
    /// The daemon's krb5 error code.
    #[error("{}", status::message(*.0).map_or_else(|| format!("KCM daemon error {}", .0), str::to_owned))]
    Status(i32),
    /// A cache name the daemon refuses.
    #[error("Credential cache name malformed")]
    BadName,
    /// A request too large to encode.
    #[error("KCM request too large")]
    TooLarge,
    /// Talking to the daemon failed.
    #[error("KCM daemon at {path}: {source}")]
    Io {
        /// The daemon's socket.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl KcmError {
    /// The daemon's status code, if the error is one.
    pub fn status(&self) -> Option<i32> {
        match self {
            Self::Status(c) => Some(*c),
            _ => None,
        }
    }
}

/// A KCM residual: empty for the daemon's default cache, else the daemon's cache name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KcmName {
    /// `None`: `KCM:` (the collection's default cache).
    pub cache: Option<String>,
}

impl KcmName {
    /// Parse the part after `KCM:`. Names travel NUL-terminated, so a NUL is refused.
    pub fn parse(residual: &str) -> Result<Self, KcmError> {
        if residual.contains('\0') {
            return Err(KcmError::BadName);
        }
        Ok(Self {
            cache: (!residual.is_empty()).then(|| residual.to_owned()),
        })
    }
}

impl fmt::Display for KcmName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cache.as_deref().unwrap_or_default())
    }
}

/// A request: the four-byte header, the cache name if any (NUL-terminated), then `args`. The
/// result carries the u32 length prefix, ready to write. Zeroized: it may hold session keys.
#[doc(hidden)]
pub fn encode_request(
    op: Opcode,
    name: Option<&str>,
    args: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KcmError> {
    let name_len = name.map_or(0, |n| n.len() + 1);
    let body_len = 4 + name_len + args.len();
    let len = u32::try_from(body_len).map_err(|_| KcmError::TooLarge)?;
    let mut out = Zeroizing::new(Vec::with_capacity(4 + body_len));
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[2, 0]);
    out.extend_from_slice(&(op as u16).to_be_bytes());
    if let Some(n) = name {
        if n.contains('\0') {
            return Err(KcmError::BadName);
        }
        out.extend_from_slice(n.as_bytes());
        out.push(0);
    }
    out.extend_from_slice(args);
    Ok(out)
}

/// The eight bytes that start a reply: the length of what follows and the transport status.
/// A non-zero status is the daemon's error; a length above [`MAX_REPLY_SIZE`] is refused
/// before anything is allocated.
#[doc(hidden)]
pub fn decode_reply_header(header: [u8; 8]) -> Result<usize, KcmError> {
    let [l0, l1, l2, l3, s0, s1, s2, s3] = header;
    let len = u32::from_be_bytes([l0, l1, l2, l3]);
    if len > MAX_REPLY_SIZE {
        return Err(KcmError::ReplyTooBig);
    }
    let code = i32::from_be_bytes([s0, s1, s2, s3]);
    if code != 0 {
        return Err(KcmError::Status(code));
    }
    usize::try_from(len).map_err(|_| KcmError::ReplyTooBig)
}

/// The body of a reply: its u32 status, then the payload (returned on status 0).
#[doc(hidden)]
pub fn decode_reply_body(body: &[u8]) -> Result<&[u8], KcmError> {
    let mut r = Reader::new(body);
    let code = r.i32().map_err(|_| KcmError::Malformed)?;
    if code != 0 {
        return Err(KcmError::Status(code));
    }
    r.take(r.remaining()).map_err(|_| KcmError::Malformed)
}

/// A NUL-terminated cache name at the start of `payload` (what follows is ignored, as MIT).
#[doc(hidden)]
pub fn decode_name(payload: &[u8]) -> Result<String, KcmError> {
    let end = payload
        .iter()
        .position(|b| *b == 0)
        .ok_or(KcmError::Malformed)?;
    let name = payload.get(..end).ok_or(KcmError::Malformed)?;
    String::from_utf8(name.to_vec()).map_err(|_| KcmError::Malformed)
}

/// A UUID list: the whole payload, a multiple of 16 bytes.
#[doc(hidden)]
pub fn decode_uuid_list(payload: &[u8]) -> Result<Vec<[u8; UUID_LEN]>, KcmError> {
    if !payload.len().is_multiple_of(UUID_LEN) {
        return Err(KcmError::Malformed);
    }
    Ok(payload
        .chunks_exact(UUID_LEN)
        .map(|c| {
            let mut u = [0u8; UUID_LEN];
            u.copy_from_slice(c);
            u
        })
        .collect())
}

/// A GET_CRED_LIST payload: a count, then each credential with a u32 length. The count is
/// bounded by the payload size before anything is allocated.
#[doc(hidden)]
pub fn decode_cred_list(payload: &[u8]) -> Result<Vec<CacheEntry>, KcmError> {
    let mut r = Reader::new(payload);
    let count = r.u32().map_err(|_| KcmError::Malformed)?;
    let count = usize::try_from(count).map_err(|_| KcmError::Malformed)?;
    if count > r.remaining() / 4 {
        return Err(KcmError::Malformed);
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = usize::try_from(r.u32().map_err(|_| KcmError::Malformed)?)
            .map_err(|_| KcmError::Malformed)?;
        let bytes = r.take(len).map_err(|_| KcmError::Malformed)?;
        out.push(decode_credential(bytes)?);
    }
    Ok(out)
}

/// One credential (a GET_CRED_BY_UUID payload), the whole payload.
#[doc(hidden)]
pub fn decode_credential(payload: &[u8]) -> Result<CacheEntry, KcmError> {
    CacheEntry::decode_v4(payload).map_err(|_| KcmError::Malformed)
}

/// A principal (a GET_PRINCIPAL payload). Heimdal answers an uninitialised cache with an
/// empty payload: `None`, as MIT treats it ("not found").
#[doc(hidden)]
pub fn decode_principal(payload: &[u8]) -> Result<Option<Principal>, KcmError> {
    if payload.is_empty() {
        return Ok(None);
    }
    super::decode_principal_v4(payload)
        .map(Some)
        .map_err(|_| KcmError::Malformed)
}

/// A GET_KDC_OFFSET payload: i32 seconds (KDC minus local).
#[doc(hidden)]
pub fn decode_offset(payload: &[u8]) -> Result<i32, KcmError> {
    Reader::new(payload).i32().map_err(|_| KcmError::Malformed)
}

/// The arguments of MIT's REPLACE: offset, principal, count, then each credential with its
/// length.
/// The buffer (session keys) is reserved at its exact size, so it never reallocates.
#[doc(hidden)]
pub fn encode_replace_args(cache: &Ccache) -> Result<Zeroizing<Vec<u8>>, KcmError> {
    let offset = cache.kdc_offset.map_or(0, |o| o.seconds);
    let principal = encode_principal_v4(&cache.default_principal).map_err(too_large)?;
    let count = u32::try_from(cache.credentials.len()).map_err(|_| KcmError::TooLarge)?;
    let creds = cache
        .credentials
        .iter()
        .map(|c| c.encode_v4().map_err(too_large))
        .collect::<Result<Vec<_>, _>>()?;
    let total = 8 + principal.len() + creds.iter().map(|c| 4 + c.len()).sum::<usize>();
    let mut out = Zeroizing::new(Vec::with_capacity(total));
    out.extend_from_slice(&offset.to_be_bytes());
    out.extend_from_slice(&principal);
    out.extend_from_slice(&count.to_be_bytes());
    for bytes in &creds {
        let len = u32::try_from(bytes.len()).map_err(|_| KcmError::TooLarge)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

fn too_large(_: super::CcacheError) -> KcmError {
    KcmError::TooLarge
}

#[cfg(test)]
mod tests;
