//! MIT's FILE credential cache format, as described in MIT krb5's "Credential cache file
//! format" (`doc/formats/ccache_file_format.rst`). Versions 3 and 4 are read; version 4 is
//! written. Parsing and encoding work on bytes in memory (no I/O).
//!
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
//!
//! All integers are big-endian.

use zeroize::Zeroizing;

use super::{CacheEntry, Ccache, CcacheError, KdcOffset, Keyblock, Typed};
use crate::principal::{NameType, Principal, PrincipalName, Realm};
use crate::wire::{Reader, put_u32_data};

impl Ccache {
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
}

impl CacheEntry {
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
    /// ([`CacheEntry::encoded_len_bound`]), so it never reallocates and leaves no copy.
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

fn read_credential(r: &mut Reader<'_>, version: u8) -> Result<CacheEntry, CcacheError> {
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
    Ok(CacheEntry {
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

pub(super) fn write_principal(out: &mut Vec<u8>, p: &Principal) -> Option<()> {
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

pub(super) fn write_credential(out: &mut Vec<u8>, c: &CacheEntry) -> Option<()> {
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
