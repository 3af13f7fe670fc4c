//! An established context and its per-message tokens: MIC (`04 04`) and Wrap (`05 04`),
//! RFC 4121 §4.2.

use kdc_client::Principal;
use kdc_client::crypto::{
    self, ChecksumType, CryptoError, EncryptionKey, Enctype, KeyUsage, RandomSource,
};
use zeroize::Zeroizing;

use crate::seqstate::{SeqState, SeqStatus};
use crate::token::{
    FLAG_ACCEPTOR_SUBKEY, FLAG_SEALED, FLAG_SENT_BY_ACCEPTOR, HEADER_LEN, PerMsgHeader, TOK_MIC,
    TOK_WRAP,
};
use crate::{ContextFlags, GssError};

/// An established security context (either role). Keys are zeroized on drop and redacted in
/// `Debug` (see [`EncryptionKey`]).
#[derive(Debug)]
pub struct SecurityContext {
    acceptor: bool,
    flags: ContextFlags,
    initiator_name: Principal,
    target_name: Principal,
    session_key: EncryptionKey,
    initiator_subkey: Option<EncryptionKey>,
    acceptor_subkey: Option<EncryptionKey>,
    send_seq: u64,
    recv: SeqState,
    endtime: i64,
}

/// The result of [`SecurityContext::unwrap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwrapped {
    /// The message.
    pub data: Vec<u8>,
    /// True when the token was sealed (confidentiality applied).
    pub confidential: bool,
    /// Ordering of the token.
    pub seq: SeqStatus,
}

/// Parameters for [`SecurityContext::new`].
pub(crate) struct ContextParts {
    pub acceptor: bool,
    pub flags: ContextFlags,
    pub initiator_name: Principal,
    pub target_name: Principal,
    pub session_key: EncryptionKey,
    pub initiator_subkey: Option<EncryptionKey>,
    pub acceptor_subkey: Option<EncryptionKey>,
    pub send_seq: u64,
    pub recv_seq: u64,
    pub endtime: i64,
}

/// Length of the keyed checksum of the enctype (RFC 3962 §6: 12, RFC 8009 §5: 16 / 24).
fn checksum_len(e: Enctype) -> usize {
    ChecksumType::for_enctype(e).output_len()
}

impl SecurityContext {
    pub(crate) fn new(p: ContextParts) -> Self {
        let check = p.flags.has(ContextFlags::REPLAY) || p.flags.has(ContextFlags::SEQUENCE);
        Self {
            acceptor: p.acceptor,
            flags: p.flags,
            initiator_name: p.initiator_name,
            target_name: p.target_name,
            session_key: p.session_key,
            initiator_subkey: p.initiator_subkey,
            acceptor_subkey: p.acceptor_subkey,
            send_seq: p.send_seq,
            recv: SeqState::new(p.recv_seq, check),
            endtime: p.endtime,
        }
    }

    /// A context over one key, for fuzzing and tests of the token parsers: `acceptor` sets
    /// the role; the peer's sequence numbers start at 0, ours at 0.
    #[doc(hidden)]
    pub fn for_key(acceptor: bool, key: EncryptionKey, flags: ContextFlags) -> Self {
        let p = kdc_client::Principal::parse("fuzz@FUZZ", None);
        // "fuzz@FUZZ" is a valid principal string; a failure would be a bug in the parser.
        let p = p.unwrap_or_else(|_| unreachable!("constant principal parses"));
        Self::new(ContextParts {
            acceptor,
            flags,
            initiator_name: p.clone(),
            target_name: p,
            session_key: key.clone(),
            initiator_subkey: Some(key),
            acceptor_subkey: None,
            send_seq: 0,
            recv_seq: 0,
            endtime: i64::MAX,
        })
    }

    /// When the context expires (the ticket's endtime, Unix seconds). Per-message calls do not
    /// check it; callers that hold contexts for long should (GSS_S_CONTEXT_EXPIRED).
    pub fn endtime(&self) -> i64 {
        self.endtime
    }

    /// True for the acceptor's side of the context.
    pub fn is_acceptor(&self) -> bool {
        self.acceptor
    }

    /// The context flags in effect.
    pub fn flags(&self) -> ContextFlags {
        self.flags
    }

    /// The initiator's principal (the client of the ticket).
    pub fn initiator_name(&self) -> &Principal {
        &self.initiator_name
    }

    /// The target (service) principal.
    pub fn target_name(&self) -> &Principal {
        &self.target_name
    }

    /// The enctype protecting per-message tokens we send.
    pub fn enctype(&self) -> Enctype {
        self.send_key().0.enctype()
    }

    /// RFC 4121 §4.2.1 key selection for sending: the acceptor subkey if there is one
    /// (and the AcceptorSubkey flag), else the initiator subkey, else the session key.
    fn send_key(&self) -> (&EncryptionKey, u8) {
        match (&self.acceptor_subkey, &self.initiator_subkey) {
            (Some(k), _) => (k, FLAG_ACCEPTOR_SUBKEY),
            (None, Some(k)) => (k, 0),
            (None, None) => (&self.session_key, 0),
        }
    }

    /// Key selection for a received token: AcceptorSubkey asserted -> the acceptor subkey
    /// (an error if absent), else the initiator subkey or the session key.
    fn recv_key(&self, flags: u8) -> Result<&EncryptionKey, GssError> {
        if flags & FLAG_ACCEPTOR_SUBKEY != 0 {
            return self
                .acceptor_subkey
                .as_ref()
                .ok_or(GssError::NoAcceptorSubkey);
        }
        Ok(self.initiator_subkey.as_ref().unwrap_or(&self.session_key))
    }

    fn usages(&self, sent_by_acceptor: bool) -> (KeyUsage, KeyUsage) {
        if sent_by_acceptor {
            (KeyUsage::GSS_ACCEPTOR_SEAL, KeyUsage::GSS_ACCEPTOR_SIGN)
        } else {
            (KeyUsage::GSS_INITIATOR_SEAL, KeyUsage::GSS_INITIATOR_SIGN)
        }
    }

    fn next_header(&mut self, tok_id: [u8; 2], extra_flags: u8) -> (PerMsgHeader, EncryptionKey) {
        let (key, kflag) = self.send_key();
        let key = key.clone();
        let dir = if self.acceptor {
            FLAG_SENT_BY_ACCEPTOR
        } else {
            0
        };
        let h = PerMsgHeader {
            tok_id,
            flags: dir | kflag | extra_flags,
            ec: 0,
            rrc: 0,
            seq: self.send_seq,
        };
        self.send_seq = self.send_seq.wrapping_add(1);
        (h, key)
    }

    /// Check the direction flag of a received token: it must come from the peer.
    fn check_direction(&self, h: &PerMsgHeader) -> Result<(), GssError> {
        let from_acceptor = h.flags & FLAG_SENT_BY_ACCEPTOR != 0;
        if from_acceptor == self.acceptor {
            return Err(GssError::Direction);
        }
        Ok(())
    }

    /// GSS_GetMIC (RFC 4121 §4.2.6.1): header `04 04 flags FF×5 SND_SEQ`, then the keyed
    /// checksum (usage 23 acceptor / 25 initiator) over `message || header`.
    pub fn get_mic(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
        let (h, key) = self.next_header(TOK_MIC, 0);
        let hdr = h.to_bytes();
        let (_, sign) = self.usages(self.acceptor);
        let mut input = Vec::with_capacity(message.len() + HEADER_LEN);
        input.extend_from_slice(message);
        input.extend_from_slice(&hdr);
        let ck = crypto::checksum(&key, sign, &input).map_err(GssError::crypto("GetMIC"))?;
        let mut out = hdr.to_vec();
        out.extend_from_slice(&ck);
        Ok(out)
    }

    /// GSS_VerifyMIC (RFC 4121 §4.2.6.1). The checksum is compared in constant time; the
    /// sequence number is checked only after it verified.
    pub fn verify_mic(&mut self, message: &[u8], token: &[u8]) -> Result<SeqStatus, GssError> {
        let (h, cksum) = PerMsgHeader::parse(token, TOK_MIC)?;
        self.check_direction(&h)?;
        let key = self.recv_key(h.flags)?;
        if cksum.len() != checksum_len(key.enctype()) {
            return Err(GssError::Defective("MIC checksum of the wrong length"));
        }
        let (_, sign) = self.usages(!self.acceptor);
        let mut input = Vec::with_capacity(message.len() + HEADER_LEN);
        input.extend_from_slice(message);
        input.extend_from_slice(token.get(..HEADER_LEN).unwrap_or_default());
        let ty = ChecksumType::for_enctype(key.enctype());
        crypto::verify_checksum(key, sign, ty, &input, cksum).map_err(bad_sig("VerifyMIC"))?;
        self.recv.check(h.seq)
    }

    /// GSS_Wrap (RFC 4121 §4.2.6.2). With `confidential`: `header || E(message || header)`
    /// with EC = 0 and RRC = 0 (MIT's choice for non-DCE contexts). Without: `header ||
    /// message || checksum`, EC = checksum length, the checksum (SEAL usage 22/24, as for
    /// sealed tokens) taken over `message || header` with EC and RRC zeroed (RFC 4121 §4.2.4).
    pub fn wrap(
        &mut self,
        message: &[u8],
        confidential: bool,
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<u8>, GssError> {
        let sealed = if confidential { FLAG_SEALED } else { 0 };
        let (mut h, key) = self.next_header(TOK_WRAP, sealed);
        // Wrap tokens use the SEAL usage with or without confidentiality (RFC 4121 §2, §4.2.4).
        let (seal, _) = self.usages(self.acceptor);
        let mut plain = Zeroizing::new(Vec::with_capacity(message.len() + HEADER_LEN));
        plain.extend_from_slice(message);
        if confidential {
            plain.extend_from_slice(&h.to_bytes());
            let ct = crypto::encrypt(&key, seal, &plain, rng).map_err(GssError::crypto("Wrap"))?;
            let mut out = h.to_bytes().to_vec();
            out.extend_from_slice(&ct);
            Ok(out)
        } else {
            plain.extend_from_slice(&h.to_bytes());
            let ck = crypto::checksum(&key, seal, &plain).map_err(GssError::crypto("Wrap"))?;
            h.ec = u16::try_from(ck.len()).map_err(|_| GssError::Invalid("checksum too long"))?;
            let mut out = h.to_bytes().to_vec();
            out.extend_from_slice(message);
            out.extend_from_slice(&ck);
            Ok(out)
        }
    }

    /// GSS_Unwrap (RFC 4121 §4.2.6.2, §4.2.5). Undoes any RRC rotation (reduced modulo the
    /// body length, as MIT does), then decrypts and checks that the encrypted header copy
    /// equals the outer header except RRC (the EC-mismatch attack of MIT's t_invalid.c), or
    /// verifies the checksum (EC must be the checksum length).
    pub fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped, GssError> {
        let (h, body) = PerMsgHeader::parse(token, TOK_WRAP)?;
        self.check_direction(&h)?;
        let key = self.recv_key(h.flags)?;
        let (seal, _) = self.usages(!self.acceptor);
        let mut body = body.to_vec();
        if !body.is_empty() {
            let r = usize::from(h.rrc) % body.len();
            body.rotate_left(r);
        }
        let ec = usize::from(h.ec);
        let confidential = h.flags & FLAG_SEALED != 0;
        let data = if confidential {
            let plain = crypto::decrypt(key, seal, &body).map_err(bad_sig("Unwrap"))?;
            let Some(keep) = plain.len().checked_sub(HEADER_LEN + ec) else {
                return Err(GssError::Defective("EC larger than the sealed message"));
            };
            let inner = plain.get(plain.len() - HEADER_LEN..).unwrap_or_default();
            let outer = token.get(..HEADER_LEN).unwrap_or_default();
            let same = inner.get(..6) == outer.get(..6) && inner.get(8..) == outer.get(8..);
            if !same {
                return Err(GssError::Defective(
                    "encrypted header copy differs from the header",
                ));
            }
            plain.get(..keep).unwrap_or_default().to_vec()
        } else {
            if ec != checksum_len(key.enctype()) {
                return Err(GssError::Defective("EC is not the checksum length"));
            }
            let Some(keep) = body.len().checked_sub(ec) else {
                return Err(GssError::Defective("EC larger than the message"));
            };
            let (msg, cksum) = body.split_at(keep);
            let mut zeroed = h;
            zeroed.ec = 0;
            zeroed.rrc = 0;
            let mut input = Vec::with_capacity(msg.len() + HEADER_LEN);
            input.extend_from_slice(msg);
            input.extend_from_slice(&zeroed.to_bytes());
            let ty = ChecksumType::for_enctype(key.enctype());
            crypto::verify_checksum(key, seal, ty, &input, cksum).map_err(bad_sig("Unwrap"))?;
            msg.to_vec()
        };
        let seq = self.recv.check(h.seq)?;
        Ok(Unwrapped {
            data,
            confidential,
            seq,
        })
    }
}

/// Integrity failures become [`GssError::BadSignature`]; other crypto errors keep their cause.
fn bad_sig(what: &'static str) -> impl FnOnce(CryptoError) -> GssError {
    move |e| match e {
        CryptoError::Integrity
        | CryptoError::BadChecksum
        | CryptoError::CiphertextTooShort { .. } => GssError::BadSignature,
        other => GssError::Crypto {
            what,
            source: other,
        },
    }
}
