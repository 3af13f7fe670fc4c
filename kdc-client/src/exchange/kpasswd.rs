//! The password-change exchange of RFC 3244 §2 in its version 1 form (the one MIT's
//! `krb5_change_password` and kpasswd use): an AP-REQ under a `kadmin/changepw` ticket with a
//! fresh subkey and a sequence number, and a KRB-PRIV carrying the new password encrypted in
//! that subkey (RFC 4120 §5.7, key usage 13). The reply is an AP-REP and a KRB-PRIV whose
//! user data is a 2-byte result code and a result string, or a KRB-ERROR.
//!
//! Request and reply frames: `message length (2) | version (2) | AP-REQ/AP-REP length (2) |
//! AP-REQ/AP-REP | KRB-PRIV or KRB-ERROR`, all integers big-endian.

use std::fmt;

mod ad_policy;
pub use ad_policy::AdPasswordPolicy;

use zeroize::Zeroizing;

use super::ap_req::{ApReqContents, build_ap_req, fresh_subkey};
use super::{Credentials, ExchangeError, KdcError, Timestamp, encrypt_data};
use crate::asn1::{
    ApRep, Asn1Error, EncApRepPart, EncKrbPrivPart, HostAddress, KeyBlock, KrbError, KrbPriv,
    Microseconds, UInt32Lenient, msg_type,
};
use crate::crypto::{self, EncryptionKey, Enctype, KeyUsage, RandomSource};
use crate::{NameType, PrincipalName, Realm};

/// The kpasswd port (RFC 3244 §2), MIT's default for `kpasswd_server` and `admin_server`.
pub const KPASSWD_PORT: u16 = 464;

/// Version 1: change the password of the ticket's client (RFC 3244 §2, the original
/// change-password protocol).
const VERSION_CHANGE: u16 = 1;
/// Version 0xff80: set password (RFC 3244 §2); accepted in replies as MIT does.
const VERSION_SET: u16 = 0xff80;
/// Longest new password sent, bytes (MIT's kpasswd reads at most 1023).
pub const MAX_PASSWORD_LEN: usize = 1023;
/// Longest result string kept, bytes; the frame limits it to 64 KiB anyway.
const MAX_RESULT_STRING: usize = 4096;

/// The service principal of the password-change service: `kadmin/changepw@REALM`.
pub fn changepw_service() -> PrincipalName {
    // Two fixed, valid components: construction cannot fail.
    PrincipalName::new(
        NameType::Principal,
        vec!["kadmin".to_owned(), "changepw".to_owned()],
    )
    .unwrap_or_else(|_| unreachable!("kadmin/changepw is a valid name"))
}

/// RFC 3244 §2 result codes (MIT accepts 0 to 7 and nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResultCode {
    /// The password was changed (0).
    Success,
    /// The request was malformed (1).
    Malformed,
    /// The server failed (2).
    HardError,
    /// Authentication failed (3).
    AuthError,
    /// The new password was rejected, e.g. by policy (4).
    SoftError,
    /// The client may not change this password (5, RFC 3244).
    AccessDenied,
    /// The server does not support the protocol version (6).
    BadVersion,
    /// The ticket must be an initial ticket (7).
    InitialFlagNeeded,
}

impl ResultCode {
    fn from_u16(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::Success,
            1 => Self::Malformed,
            2 => Self::HardError,
            3 => Self::AuthError,
            4 => Self::SoftError,
            5 => Self::AccessDenied,
            6 => Self::BadVersion,
            7 => Self::InitialFlagNeeded,
            _ => return None,
        })
    }

    /// The code as sent.
    pub fn to_u16(self) -> u16 {
        self as u16
    }

    /// MIT's `krb5_chpw_result_code_string`.
    pub fn description(self) -> &'static str {
        match self {
            Self::Success => "Success",
            Self::Malformed => "Malformed request error",
            Self::HardError => "Server error",
            Self::AuthError => "Authentication error",
            Self::SoftError => "Password change rejected",
            Self::AccessDenied => "Access denied",
            Self::BadVersion => "Wrong protocol version",
            Self::InitialFlagNeeded => "Initial password required",
        }
    }
}

/// The server's answer: a result code and its result string (RFC 3244 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeResult {
    /// The result code.
    pub code: ResultCode,
    /// The result string as sent (UTF-8 text from MIT and Heimdal; Active Directory sends its
    /// password policy as binary, see [`ChangeResult::ad_policy`]). Bounded to 4096 bytes.
    pub string: Vec<u8>,
}

impl ChangeResult {
    /// True when the password was changed.
    pub fn is_success(&self) -> bool {
        self.code == ResultCode::Success
    }

    /// Active Directory's password policy, when the result string is one.
    pub fn ad_policy(&self) -> Option<AdPasswordPolicy> {
        AdPasswordPolicy::parse(&self.string)
    }

    /// What to show the user, as MIT's `krb5_chpw_message`: Active Directory's policy in
    /// sentences ([`AdPasswordPolicy::describe`]), else the result string when it is non-empty
    /// UTF-8 without NULs (control characters escaped), else MIT's generic advice. Unlike MIT,
    /// one trailing NUL is dropped first: Heimdal 7.8's kpasswdd sends its reason as a C
    /// string (e.g. `Password too short\0`), which MIT shows as the generic advice.
    pub fn message(&self) -> String {
        if let Some(text) = self.ad_policy().and_then(|p| p.describe()) {
            return text;
        }
        let text = self.string.strip_suffix(&[0]).unwrap_or(&self.string);
        match std::str::from_utf8(text) {
            Ok(s) if !s.is_empty() && !s.contains('\0') => escape(s),
            _ => "Try a more complex password, or contact your administrator.".to_owned(),
        }
    }
}

impl fmt::Display for ChangeResult {
    /// MIT kpasswd's line: `<code description>: <message>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.description(), self.message())
    }
}

/// Control characters as `\xNN`, so a peer string cannot drive the terminal.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Why a kpasswd reply frame could not be decoded (RFC 3244 §2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KpasswdDecodeError {
    /// A reply shorter than its header.
    #[error("reply of {0} bytes is shorter than its 6-byte header")]
    Short(usize),
    /// A length field that does not match the reply.
    #[error("reply length field {field} does not match the {actual} bytes received")]
    Length {
        /// The length field.
        field: usize,
        /// The bytes received.
        actual: usize,
    },
    /// An unknown version.
    #[error("unknown reply version {0:#06x}")]
    Version(u16),
    /// An AP-REP length past the end of the reply.
    #[error("AP-REP length {0} runs past the end of the reply")]
    ApRepLength(usize),
    /// No KRB-PRIV after the AP-REP.
    #[error("the reply has no KRB-PRIV after the AP-REP")]
    NoPriv,
    /// A message that does not decode.
    #[error("malformed {what}: {source}")]
    Asn1 {
        /// Which message.
        what: &'static str,
        /// The decoding error.
        source: Asn1Error,
    },
    /// A result shorter than its code.
    #[error("result of {0} bytes is shorter than its 2-byte code")]
    ShortResult(usize),
    /// An unknown result code.
    #[error("unknown result code {0}")]
    ResultCode(u16),
}

/// A decoded reply frame: AP-REP and KRB-PRIV, or a KRB-ERROR (bare, or framed with an empty
/// AP-REP as RFC 3244 §2 has servers send it).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KpasswdReply {
    /// AP-REP and KRB-PRIV.
    Priv {
        /// The AP-REP.
        ap_rep: ApRep,
        /// The KRB-PRIV with the result.
        krb_priv: KrbPriv,
    },
    /// A KRB-ERROR.
    Error(KrbError),
}

impl KpasswdReply {
    /// Decode a reply frame; every length is checked against the bytes received.
    pub fn decode(reply: &[u8]) -> Result<Self, KpasswdDecodeError> {
        let asn1 = |what| move |source| KpasswdDecodeError::Asn1 { what, source };
        if reply.first() == Some(&0x7e) {
            return KrbError::decode(reply)
                .map(Self::Error)
                .map_err(asn1("KRB-ERROR"));
        }
        let (Some(len), Some(version), Some(ap_len), Some(rest)) = (
            be16(reply, 0),
            be16(reply, 2),
            be16(reply, 4),
            reply.get(6..),
        ) else {
            return Err(KpasswdDecodeError::Short(reply.len()));
        };
        if usize::from(len) != reply.len() {
            return Err(KpasswdDecodeError::Length {
                field: len.into(),
                actual: reply.len(),
            });
        }
        if version != VERSION_CHANGE && version != VERSION_SET {
            return Err(KpasswdDecodeError::Version(version));
        }
        let ap_len = usize::from(ap_len);
        if ap_len == 0 {
            return KrbError::decode(rest)
                .map(Self::Error)
                .map_err(asn1("KRB-ERROR"));
        }
        let (Some(ap), Some(body)) = (rest.get(..ap_len), rest.get(ap_len..)) else {
            return Err(KpasswdDecodeError::ApRepLength(ap_len));
        };
        if body.is_empty() {
            return Err(KpasswdDecodeError::NoPriv);
        }
        Ok(Self::Priv {
            ap_rep: ApRep::decode(ap).map_err(asn1("AP-REP"))?,
            krb_priv: KrbPriv::decode(body).map_err(asn1("KRB-PRIV"))?,
        })
    }
}

/// Decode the result data of a reply (RFC 3244 §2): a 2-byte code, then the string.
#[doc(hidden)]
pub fn decode_result(data: &[u8]) -> Result<ChangeResult, KpasswdDecodeError> {
    let code = be16(data, 0).ok_or(KpasswdDecodeError::ShortResult(data.len()))?;
    let code = ResultCode::from_u16(code).ok_or(KpasswdDecodeError::ResultCode(code))?;
    let string = data.get(2..).unwrap_or_default();
    let string = string.get(..MAX_RESULT_STRING).unwrap_or(string).to_vec();
    Ok(ChangeResult { code, string })
}

/// True if a datagram may be a kpasswd reply: a KRB-ERROR, or a frame whose length field
/// is its length (for the transport, which ignores other datagrams).
pub fn looks_like_reply(reply: &[u8]) -> bool {
    reply.first() == Some(&0x7e) || be16(reply, 0).is_some_and(|l| usize::from(l) == reply.len())
}

/// The `HostAddress` of an IP address (RFC 4120 §7.5.3), e.g. a KRB-PRIV's s-address.
#[doc(hidden)]
pub fn host_address(ip: std::net::IpAddr) -> HostAddress {
    match ip {
        std::net::IpAddr::V4(v4) => HostAddress {
            addr_type: crate::asn1::addr_type::IPV4,
            address: v4.octets().to_vec().into(),
        },
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => host_address(v4.into()),
            None => HostAddress {
                addr_type: crate::asn1::addr_type::IPV6,
                address: v6.octets().to_vec().into(),
            },
        },
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

/// One change-password request in flight, built for one connection (the KRB-PRIV names the
/// sender's address, so each attempt builds its own).
pub struct KpasswdExchange {
    realm: Realm,
    session_key: EncryptionKey,
    subkey: EncryptionKey,
    ctime: crate::asn1::KerberosTime,
    cusec: Microseconds,
}

impl fmt::Debug for KpasswdExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KpasswdExchange")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl KpasswdExchange {
    /// Build the request: `creds` must be a `kadmin/changepw` ticket from an AS exchange
    /// (MIT's server demands the INITIAL flag); `sender` is the local address of the
    /// connection the request goes out on (the KRB-PRIV's s-address, which MIT's server
    /// compares with the address it sees). The new password is copied only into zeroized
    /// buffers.
    pub fn new(
        creds: &Credentials,
        new_password: &str,
        sender: &HostAddress,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<(Self, Vec<u8>), ExchangeError> {
        if new_password.len() > MAX_PASSWORD_LEN {
            return Err(ExchangeError::Mismatch(format!(
                "the new password is longer than {MAX_PASSWORD_LEN} bytes"
            )));
        }
        let realm = creds.server.realm.clone();
        let session_key = creds.session_key.clone();
        let subkey = fresh_subkey(creds, rng)?;
        let mut seq = [0u8; 4];
        rng.fill(&mut seq)?;
        // MIT keeps sequence numbers below 2^30 for peers that read them as signed.
        let seq = u32::from_be_bytes(seq) & 0x3fff_ffff;
        let contents = ApReqContents {
            seq_number: Some(seq),
            ..ApReqContents::default()
        };
        // The authenticator's time, which the AP-REP must echo.
        let ctime = now.kerberos_time()?;
        let cusec = Microseconds::new(now.usec).unwrap_or_default();
        let ap_req = build_ap_req(
            creds,
            KeyUsage::AP_REQ_AUTHENTICATOR,
            &subkey,
            contents,
            now,
            rng,
        )?;
        let ap_req = ap_req.to_der()?;
        let plain = enc_priv_part(new_password.as_bytes(), seq, sender)?;
        let krb_priv = KrbPriv {
            pvno: 5,
            msg_type: msg_type::KRB_PRIV,
            enc_part: encrypt_data(&subkey, KeyUsage::KRB_PRIV_ENC_PART, &plain, rng)?,
        }
        .to_der()?;
        let too_long = || ExchangeError::Mismatch("the request is too long for kpasswd".into());
        let total = 6 + ap_req.len() + krb_priv.len();
        let mut bytes = Vec::with_capacity(total);
        bytes.extend_from_slice(&u16::try_from(total).map_err(|_| too_long())?.to_be_bytes());
        bytes.extend_from_slice(&VERSION_CHANGE.to_be_bytes());
        bytes.extend_from_slice(
            &u16::try_from(ap_req.len())
                .map_err(|_| too_long())?
                .to_be_bytes(),
        );
        bytes.extend_from_slice(&ap_req);
        bytes.extend_from_slice(&krb_priv);
        tracing::debug!(
            realm = %realm,
            client = %creds.client,
            "Sending kpasswd change-password request ({} bytes) for {}",
            bytes.len(),
            creds.client
        );
        let ex = Self {
            realm,
            session_key,
            subkey,
            ctime,
            cusec,
        };
        Ok((ex, bytes))
    }

    /// The realm of the password-change service.
    pub fn realm(&self) -> &Realm {
        &self.realm
    }

    /// Check the reply and return the server's result. A KRB-ERROR whose e-data holds a
    /// result gives that result (as MIT does); any other KRB-ERROR is an error.
    pub fn step(&self, reply: &[u8]) -> Result<ChangeResult, ExchangeError> {
        let decode = |e: KpasswdDecodeError| ExchangeError::Kpasswd {
            realm: self.realm.clone(),
            source: e,
        };
        match KpasswdReply::decode(reply).map_err(decode)? {
            KpasswdReply::Error(err) => match err.e_data.as_deref() {
                Some(data) if !data.is_empty() => {
                    let result = decode_result(data).map_err(decode)?;
                    tracing::debug!(realm = %self.realm, code = result.code.to_u16(),
                        "kpasswd error reply with result code {}", result.code.to_u16());
                    Ok(result)
                }
                _ => Err(KdcError::from_krb_error(&err, &self.realm).into()),
            },
            KpasswdReply::Priv { ap_rep, krb_priv } => {
                let rep = self.check_ap_rep(&ap_rep)?;
                let key = match rep.subkey {
                    Some(k) => key_from_block(&k)?,
                    None => self.subkey.clone(),
                };
                let plain =
                    crypto::decrypt(&key, KeyUsage::KRB_PRIV_ENC_PART, &krb_priv.enc_part.cipher)?;
                let part = EncKrbPrivPart::decode(&plain).map_err(|source| {
                    decode(KpasswdDecodeError::Asn1 {
                        what: "EncKrbPrivPart",
                        source,
                    })
                })?;
                // The server's first sequence number is the AP-REP's (MIT's rd_priv with
                // KRB5_AUTH_CONTEXT_DO_SEQUENCE).
                if let Some(expected) = rep.seq_number
                    && part.seq_number != Some(expected)
                {
                    return Err(ExchangeError::Mismatch(
                        "kpasswd reply sequence number".into(),
                    ));
                }
                let result = decode_result(&part.user_data).map_err(decode)?;
                tracing::debug!(realm = %self.realm, code = result.code.to_u16(),
                    "kpasswd reply: result code {} ({})", result.code.to_u16(),
                    result.code.description());
                Ok(result)
            }
        }
    }

    /// Mutual authentication (RFC 4120 §3.2.5): the AP-REP decrypts under the session key
    /// and echoes our authenticator's time.
    fn check_ap_rep(&self, ap_rep: &ApRep) -> Result<EncApRepPart, ExchangeError> {
        let plain = crypto::decrypt(
            &self.session_key,
            KeyUsage::AP_REP_ENC_PART,
            &ap_rep.enc_part.cipher,
        )?;
        let part = EncApRepPart::decode(&plain).map_err(|source| ExchangeError::Kpasswd {
            realm: self.realm.clone(),
            source: KpasswdDecodeError::Asn1 {
                what: "EncAPRepPart",
                source,
            },
        })?;
        if part.ctime != self.ctime || part.cusec != self.cusec {
            return Err(ExchangeError::Mismatch(
                "the AP-REP does not echo the authenticator's time".into(),
            ));
        }
        Ok(part)
    }
}

fn key_from_block(k: &KeyBlock) -> Result<EncryptionKey, ExchangeError> {
    let enctype = Enctype::from_i32(k.keytype).ok_or_else(|| {
        ExchangeError::Mismatch(format!("AP-REP subkey of unknown enctype {}", k.keytype))
    })?;
    EncryptionKey::new(enctype, k.keyvalue.as_bytes()).map_err(|e| ExchangeError::Crypto(e.into()))
}

/// `EncKrbPrivPart` (RFC 4120 §5.7.1) with the password as user-data, seq-number and
/// s-address, DER-encoded by hand into one zeroized buffer of the exact size, so the
/// password is never in a buffer that grows (and leaves copies behind) or is not wiped.
fn enc_priv_part(
    user_data: &[u8],
    seq: u32,
    sender: &HostAddress,
) -> Result<Zeroizing<Vec<u8>>, ExchangeError> {
    let seq_der = rasn::der::encode(&UInt32Lenient(seq)).map_err(Asn1Error::from)?;
    let addr_der = rasn::der::encode(sender).map_err(Asn1Error::from)?;
    let octets = tlv_len(user_data.len());
    let f0 = tlv_len(octets);
    let f3 = tlv_len(seq_der.len());
    let f4 = tlv_len(addr_der.len());
    let seq_content = f0 + f3 + f4;
    let total = tlv_len(tlv_len(seq_content));
    let mut out = Zeroizing::new(Vec::with_capacity(total));
    header(&mut out, 0x7c, tlv_len(seq_content));
    header(&mut out, 0x30, seq_content);
    header(&mut out, 0xa0, octets);
    header(&mut out, 0x04, user_data.len());
    out.extend_from_slice(user_data);
    header(&mut out, 0xa3, seq_der.len());
    out.extend_from_slice(&seq_der);
    header(&mut out, 0xa4, addr_der.len());
    out.extend_from_slice(&addr_der);
    debug_assert_eq!(out.len(), total);
    Ok(out)
}

/// The size of a TLV with `len` content bytes (DER definite length).
fn tlv_len(len: usize) -> usize {
    1 + length_octets(len) + len
}

fn length_octets(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        1 + (usize::BITS as usize / 8 - len.leading_zeros() as usize / 8)
    }
}

fn header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = len.leading_zeros() as usize / 8;
        let n = bytes.len() - skip;
        out.push(0x80 | n as u8);
        out.extend_from_slice(bytes.get(skip..).unwrap_or_default());
    }
}

#[cfg(test)]
#[path = "kpasswd_tests.rs"]
pub(crate) mod tests;
