//! The authenticator checksum of type 0x8003 (RFC 4121 §4.1.1) and the channel-bindings hash
//! it carries (RFC 4121 §4.1.1.2, RFC 2744 §3.11).

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use crate::{ContextFlags, GssError};

/// The checksum type of the GSS authenticator checksum (RFC 4121 §4.1.1).
pub const CKSUMTYPE_GSSAPI: i32 = 0x8003;

/// GSS-API channel bindings (RFC 2744 §3.11, `gss_channel_bindings_struct`). Addresses are
/// normally empty (address type 0, `GSS_C_AF_UNSPEC`); the application data carries e.g. the
/// RFC 5929 `tls-server-end-point:` binding.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ChannelBindings {
    /// The initiator's address type (0 = `GSS_C_AF_UNSPEC`).
    pub initiator_addrtype: u32,
    /// The initiator's address (empty with type 0).
    pub initiator_address: Vec<u8>,
    /// The acceptor's address type.
    pub acceptor_addrtype: u32,
    /// The acceptor's address.
    pub acceptor_address: Vec<u8>,
    /// Application data, e.g. `tls-server-end-point:` and the certificate hash (RFC 5929 §4).
    pub application_data: Vec<u8>,
}

impl std::fmt::Debug for ChannelBindings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelBindings")
            .field("initiator_addrtype", &self.initiator_addrtype)
            .field("acceptor_addrtype", &self.acceptor_addrtype)
            .field("application_data_len", &self.application_data.len())
            .finish_non_exhaustive()
    }
}

impl ChannelBindings {
    /// Bindings with empty addresses and `data` as application data.
    pub fn application(data: impl Into<Vec<u8>>) -> Self {
        Self {
            application_data: data.into(),
            ..Self::default()
        }
    }

    /// RFC 5929 §4 `tls-server-end-point`: the application data is
    /// `"tls-server-end-point:"` followed by the hash of the server certificate.
    pub fn tls_server_end_point(cert_hash: &[u8]) -> Self {
        let mut d = b"tls-server-end-point:".to_vec();
        d.extend_from_slice(cert_hash);
        Self::application(d)
    }

    /// The `Bnd` field: MD5 over the structure with every integer as a 32-bit little-endian
    /// value and every buffer preceded by its length (RFC 4121 §4.1.1.2; the layout MIT's
    /// `kg_checksum_channel_bindings` hashes).
    pub fn md5(&self) -> [u8; 16] {
        // Lengths are 32-bit fields, as in MIT; a buffer above 4 GiB cannot occur in practice
        // and would be truncated the same way.
        let mut h = Md5::new();
        h.update(self.initiator_addrtype.to_le_bytes());
        h.update((self.initiator_address.len() as u32).to_le_bytes());
        h.update(&self.initiator_address);
        h.update(self.acceptor_addrtype.to_le_bytes());
        h.update((self.acceptor_address.len() as u32).to_le_bytes());
        h.update(&self.acceptor_address);
        h.update((self.application_data.len() as u32).to_le_bytes());
        h.update(&self.application_data);
        h.finalize().into()
    }
}

/// The decoded 0x8003 checksum value (RFC 4121 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GssChecksum {
    /// `Bnd`: the channel-bindings hash, or 16 zero octets for none.
    pub bnd: [u8; 16],
    /// `Flags`.
    pub flags: ContextFlags,
    /// True when a delegated credential (`DlgOpt` 1) was present. It is skipped, not used.
    pub delegation: bool,
}

impl GssChecksum {
    /// Encode: `Lgth` = 16 (LE), `Bnd`, `Flags` (LE). No delegation (RFC 4121 §4.1.1).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(24);
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&self.bnd);
        v.extend_from_slice(&self.flags.0.to_le_bytes());
        v
    }

    /// Decode. `Lgth` must be 16; with the DELEG flag the `DlgOpt`/`Dlgth`/`Deleg` fields
    /// must be complete (they are then skipped and DELEG is cleared, as delegation is not
    /// supported); extensions after them are ignored.
    pub fn decode(b: &[u8]) -> Result<Self, GssError> {
        let short = GssError::BadGssChecksum("shorter than 24 octets");
        let lgth = b.get(0..4).ok_or(short)?;
        if lgth != 16u32.to_le_bytes() {
            return Err(GssError::BadGssChecksum("Lgth is not 16"));
        }
        let mut bnd = [0u8; 16];
        bnd.copy_from_slice(
            b.get(4..20)
                .ok_or(GssError::BadGssChecksum("truncated Bnd"))?,
        );
        let f: [u8; 4] = b
            .get(20..24)
            .and_then(|f| f.try_into().ok())
            .ok_or(GssError::BadGssChecksum("truncated Flags"))?;
        let mut flags = u32::from_le_bytes(f);
        let mut delegation = false;
        if flags & ContextFlags::DELEG != 0 {
            if let Some(opt) = b.get(24..28).and_then(|o| <[u8; 4]>::try_from(o).ok()) {
                if opt[0..2] != [1, 0] {
                    return Err(GssError::BadGssChecksum("DlgOpt is not 1"));
                }
                let dlgth = usize::from(u16::from_le_bytes([opt[2], opt[3]]));
                if b.len() < 28 + dlgth {
                    return Err(GssError::BadGssChecksum("truncated Deleg"));
                }
                delegation = true;
            }
            flags &= !ContextFlags::DELEG;
        }
        Ok(Self {
            bnd,
            flags: ContextFlags(flags),
            delegation,
        })
    }

    /// The acceptor's channel-binding rule (MIT): with no acceptor bindings anything goes;
    /// with bindings, an all-zero `Bnd` is accepted (the initiator passed none) and any
    /// other value must equal their hash (constant-time comparison).
    pub fn check_bindings(&self, acceptor: Option<&ChannelBindings>) -> Result<(), GssError> {
        let Some(cb) = acceptor else {
            return Ok(());
        };
        if self.bnd == [0u8; 16] {
            return Ok(());
        }
        if bool::from(self.bnd.ct_eq(&cb.md5())) {
            Ok(())
        } else {
            Err(GssError::ChannelBindings)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_layout_is_little_endian() {
        let c = GssChecksum {
            bnd: [0; 16],
            flags: ContextFlags(0x32),
            delegation: false,
        };
        let e = c.encode();
        assert_eq!(&e[..4], &[0x10, 0, 0, 0]);
        assert_eq!(&e[20..], &[0x32, 0, 0, 0]);
        assert_eq!(GssChecksum::decode(&e).unwrap(), c);
        for n in 0..24 {
            assert!(GssChecksum::decode(&e[..n]).is_err());
        }
        let mut bad = e.clone();
        bad[0] = 0x11;
        assert!(GssChecksum::decode(&bad).is_err());
    }

    #[test]
    fn delegation_fields_are_checked_and_skipped() {
        let mut e = GssChecksum {
            bnd: [0; 16],
            flags: ContextFlags(0x33),
            delegation: false,
        }
        .encode();
        e.extend_from_slice(&[1, 0, 3, 0, 0xaa, 0xbb]);
        assert!(GssChecksum::decode(&e).is_err());
        e.push(0xcc);
        let d = GssChecksum::decode(&e).unwrap();
        assert!(d.delegation);
        assert_eq!(d.flags, ContextFlags(0x32));
    }

    #[test]
    fn bindings_hash_and_rules() {
        // MD5 of five zero u32 fields (20 zero octets): the hash of empty bindings.
        let empty = ChannelBindings::default().md5();
        assert_eq!(hex::encode(empty), "441018525208457705bf09a8ee3c1093");
        let cb = ChannelBindings::tls_server_end_point(&[1, 2, 3]);
        let ok = GssChecksum {
            bnd: cb.md5(),
            flags: ContextFlags(0),
            delegation: false,
        };
        assert!(ok.check_bindings(Some(&cb)).is_ok());
        assert!(ok.check_bindings(None).is_ok());
        let other = ChannelBindings::tls_server_end_point(&[1, 2, 4]);
        assert!(matches!(
            ok.check_bindings(Some(&other)),
            Err(GssError::ChannelBindings)
        ));
        let none = GssChecksum { bnd: [0; 16], ..ok };
        assert!(none.check_bindings(Some(&cb)).is_ok());
    }
}
