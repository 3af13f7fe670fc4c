//! Token layouts: the RFC 2743 §3.1 initial context token framing with the RFC 4121 §4.1
//! TOK_IDs, and the RFC 4121 §4.2 per-message token headers. Parsers only check structure;
//! cryptographic checks live in [`crate::SecurityContext`] and the context types.

use crate::GssError;

/// DER of the Kerberos V5 mechanism OID 1.2.840.113554.1.2.2 (RFC 1964 §1, RFC 4121 §4.1).
pub const KRB5_MECH_OID_DER: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
];

/// TOK_ID of KRB_AP_REQ (RFC 4121 §4.1).
pub const TOK_AP_REQ: [u8; 2] = [0x01, 0x00];
/// TOK_ID of KRB_AP_REP (RFC 4121 §4.1).
pub const TOK_AP_REP: [u8; 2] = [0x02, 0x00];
/// TOK_ID of KRB_ERROR (RFC 4121 §4.1).
pub const TOK_ERROR: [u8; 2] = [0x03, 0x00];
/// TOK_ID of MIC tokens (RFC 4121 §4.2.6.1).
pub const TOK_MIC: [u8; 2] = [0x04, 0x04];
/// TOK_ID of Wrap tokens (RFC 4121 §4.2.6.2).
pub const TOK_WRAP: [u8; 2] = [0x05, 0x04];

/// Per-message token flag: the sender is the context acceptor (RFC 4121 §4.2.2).
pub const FLAG_SENT_BY_ACCEPTOR: u8 = 0x01;
/// Per-message token flag: confidentiality was applied (Wrap only, RFC 4121 §4.2.2).
pub const FLAG_SEALED: u8 = 0x02;
/// Per-message token flag: the acceptor subkey protects the token (RFC 4121 §4.2.2).
pub const FLAG_ACCEPTOR_SUBKEY: u8 = 0x04;

/// Length of the per-message token header (RFC 4121 §4.2.6).
pub const HEADER_LEN: usize = 16;

/// Largest framed token accepted (a bound, not a protocol limit): 16 MiB.
const MAX_TOKEN: usize = 1 << 24;

/// Frame `inner` (a DER Kerberos message) as an initial context token:
/// `60 <DER length> <mech OID> <TOK_ID> <inner>` (RFC 2743 §3.1, RFC 4121 §4.1).
pub fn frame(tok_id: [u8; 2], inner: &[u8]) -> Vec<u8> {
    let body_len = KRB5_MECH_OID_DER.len() + 2 + inner.len();
    let mut out = Vec::with_capacity(body_len + 6);
    out.push(0x60);
    push_der_len(&mut out, body_len);
    out.extend_from_slice(&KRB5_MECH_OID_DER);
    out.extend_from_slice(&tok_id);
    out.extend_from_slice(inner);
    out
}

fn push_der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // < 0x80: fits one octet.
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    // At most size_of::<usize>() = 8 octets: fits in the low 7 bits.
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// A framed context token split into its TOK_ID and inner message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramedToken<'a> {
    /// The two-octet TOK_ID.
    pub tok_id: [u8; 2],
    /// The inner DER message (AP-REQ, AP-REP or KRB-ERROR).
    pub inner: &'a [u8],
}

/// Parse the RFC 2743 §3.1 framing. The DER length must cover exactly the rest of the token
/// (non-minimal long forms are tolerated, the indefinite form is not), the OID must be the
/// Kerberos V5 mechanism, and a TOK_ID must follow.
pub fn unframe(token: &[u8]) -> Result<FramedToken<'_>, GssError> {
    let rest = match token.split_first() {
        Some((0x60, rest)) => rest,
        Some(_) => {
            return Err(GssError::Defective(
                "initial context token does not start with 0x60",
            ));
        }
        None => return Err(GssError::Defective("empty token")),
    };
    let (len, rest) = read_der_len(rest)?;
    if len != rest.len() {
        return Err(GssError::Defective(
            "framing length does not match the token length",
        ));
    }
    let rest = match rest.split_first() {
        Some((0x06, _)) => rest,
        _ => return Err(GssError::Defective("no mechanism OID in the framing")),
    };
    let Some(oid_len) = rest.get(1).map(|l| usize::from(*l)) else {
        return Err(GssError::Defective("truncated mechanism OID"));
    };
    if oid_len >= 0x80 {
        return Err(GssError::Defective("mechanism OID with a long-form length"));
    }
    let Some(oid) = rest.get(..2 + oid_len) else {
        return Err(GssError::Defective("truncated mechanism OID"));
    };
    if oid != KRB5_MECH_OID_DER {
        return Err(GssError::WrongMech);
    }
    let rest = rest.get(2 + oid_len..).unwrap_or_default();
    let (Some(&a), Some(&b)) = (rest.first(), rest.get(1)) else {
        return Err(GssError::Defective("truncated TOK_ID"));
    };
    Ok(FramedToken {
        tok_id: [a, b],
        inner: rest.get(2..).unwrap_or_default(),
    })
}

fn read_der_len(b: &[u8]) -> Result<(usize, &[u8]), GssError> {
    let trunc = GssError::Defective("truncated framing length");
    let (&first, rest) = b.split_first().ok_or(trunc)?;
    if first < 0x80 {
        return Ok((usize::from(first), rest));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 {
        return Err(GssError::Defective("indefinite length in the framing"));
    }
    if n > 4 {
        return Err(GssError::Defective("framing length too large"));
    }
    let digits = rest
        .get(..n)
        .ok_or(GssError::Defective("truncated framing length"))?;
    let len = digits
        .iter()
        .fold(0usize, |acc, d| (acc << 8) | usize::from(*d));
    if len > MAX_TOKEN {
        return Err(GssError::Defective("framing length too large"));
    }
    Ok((len, rest.get(n..).unwrap_or_default()))
}

/// The 16-octet header of a MIC or Wrap token (RFC 4121 §4.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerMsgHeader {
    /// [`TOK_MIC`] or [`TOK_WRAP`].
    pub tok_id: [u8; 2],
    /// `SentByAcceptor`, `Sealed`, `AcceptorSubkey` bits.
    pub flags: u8,
    /// Wrap only: extra count (filler or checksum length).
    pub ec: u16,
    /// Wrap only: right rotation count.
    pub rrc: u16,
    /// The sender's 64-bit sequence number.
    pub seq: u64,
}

impl PerMsgHeader {
    /// Encode as the 16 header octets. MIC tokens carry `FF` filler in octets 3..8.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut h = [0xffu8; HEADER_LEN];
        h[0] = self.tok_id[0];
        h[1] = self.tok_id[1];
        h[2] = self.flags;
        if self.tok_id == TOK_WRAP {
            h[4..6].copy_from_slice(&self.ec.to_be_bytes());
            h[6..8].copy_from_slice(&self.rrc.to_be_bytes());
        }
        h[8..16].copy_from_slice(&self.seq.to_be_bytes());
        h
    }

    /// Parse the header of a MIC (`04 04`) or Wrap (`05 04`) token and return it with the
    /// octets that follow. Checks the TOK_ID, the filler and that no unknown flag is set.
    /// Wrap tokens must not carry the RFC 2743 framing (RFC 4121 §4.2.6: they never do).
    pub fn parse(token: &[u8], expected: [u8; 2]) -> Result<(Self, &[u8]), GssError> {
        let Some(h) = token
            .get(..HEADER_LEN)
            .and_then(|h| <&[u8; HEADER_LEN]>::try_from(h).ok())
        else {
            return Err(GssError::Defective(
                "per-message token shorter than its 16-octet header",
            ));
        };
        let tok_id = [h[0], h[1]];
        if tok_id != expected {
            return Err(GssError::TokId {
                expected,
                got: tok_id,
            });
        }
        let flags = h[2];
        if flags & !(FLAG_SENT_BY_ACCEPTOR | FLAG_SEALED | FLAG_ACCEPTOR_SUBKEY) != 0 {
            return Err(GssError::Defective(
                "unknown flag bits in the per-message token",
            ));
        }
        let (ec, rrc) = if expected == TOK_MIC {
            if flags & FLAG_SEALED != 0 {
                return Err(GssError::Defective("Sealed flag on a MIC token"));
            }
            if h[3..8] != [0xff; 5] {
                return Err(GssError::Defective("bad filler in the MIC token"));
            }
            (0, 0)
        } else {
            if h[3] != 0xff {
                return Err(GssError::Defective("bad filler in the Wrap token"));
            }
            (
                u16::from_be_bytes([h[4], h[5]]),
                u16::from_be_bytes([h[6], h[7]]),
            )
        };
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&h[8..16]);
        let header = Self {
            tok_id,
            flags,
            ec,
            rrc,
            seq: u64::from_be_bytes(seq),
        };
        Ok((header, token.get(HEADER_LEN..).unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip_short_and_long_lengths() {
        for n in [0usize, 1, 100, 114, 115, 300, 70_000] {
            let inner = vec![0x6e; n];
            let t = frame(TOK_AP_REQ, &inner);
            let f = unframe(&t).unwrap();
            assert_eq!(f.tok_id, TOK_AP_REQ);
            assert_eq!(f.inner, &inner[..]);
        }
        assert_eq!(&frame(TOK_AP_REP, &[])[..4], &[0x60, 0x0d, 0x06, 0x09]);
    }

    #[test]
    fn truncated_framing_is_defective() {
        // The MIT t_invalid.c classes: just the tag, long length running off the end, OID tag
        // without length, OID length with no OID, no TOK_ID.
        let bad: &[&[u8]] = &[
            &[],
            &[0x60],
            &[0x60, 0x84, 0x00, 0x00],
            &[0x60, 0x01, 0x06],
            &[0x60, 0x02, 0x06, 0x09],
            &[
                0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
            ],
            &[
                0x60, 0x0c, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01,
            ],
            &[0x60, 0x80, 0x06, 0x00, 0x00, 0x00],
            &[0x61, 0x00],
        ];
        for b in bad {
            assert!(
                matches!(unframe(b), Err(GssError::Defective(_))),
                "{b:02x?}"
            );
        }
        let mut other = frame(TOK_AP_REQ, b"x");
        other[12] = 0x03;
        assert!(matches!(unframe(&other), Err(GssError::WrongMech)));
        let mut longer = frame(TOK_AP_REQ, b"x");
        longer.push(0);
        assert!(matches!(unframe(&longer), Err(GssError::Defective(_))));
    }

    #[test]
    fn header_checks() {
        let h = PerMsgHeader {
            tok_id: TOK_WRAP,
            flags: 1,
            ec: 12,
            rrc: 28,
            seq: 7,
        };
        let b = h.to_bytes();
        assert_eq!(PerMsgHeader::parse(&b, TOK_WRAP).unwrap(), (h, &[][..]));
        assert!(matches!(
            PerMsgHeader::parse(&b, TOK_MIC),
            Err(GssError::TokId { .. })
        ));
        for n in 0..16 {
            assert!(PerMsgHeader::parse(&b[..n], TOK_WRAP).is_err());
        }
        let mut f = b;
        f[3] = 0;
        assert!(PerMsgHeader::parse(&f, TOK_WRAP).is_err());
        let mut f = b;
        f[2] = 0x08;
        assert!(PerMsgHeader::parse(&f, TOK_WRAP).is_err());
        let m = PerMsgHeader {
            tok_id: TOK_MIC,
            flags: 0,
            ec: 0,
            rrc: 0,
            seq: 1,
        }
        .to_bytes();
        assert_eq!(&m[3..8], &[0xff; 5]);
        let mut f = m;
        f[5] = 0;
        assert!(PerMsgHeader::parse(&f, TOK_MIC).is_err());
        let mut f = m;
        f[2] = FLAG_SEALED;
        assert!(PerMsgHeader::parse(&f, TOK_MIC).is_err());
    }
}
