//! The AS and TGS exchanges (RFC 4120 §3.1, §3.3) and the password change (RFC 3244) as
//! sans-IO state machines.
//!
//! An exchange takes the current time and a random source, gives a [`KdcRequest`] ("send
//! these bytes to a KDC of realm R"), and turns the KDC's reply into either another request
//! or [`Credentials`]. The caller does the I/O (see `client` for the tokio driver).

mod ap_req;
mod as_req;
mod checks;
mod creds;
mod error;
mod fast;
pub mod kpasswd;
mod tgs;
mod ticket;

/// The scripted KDC of the AS exchange's tests, for the client's tests.
#[cfg(test)]
pub(crate) use as_req::tests as as_req_tests;
/// The scripted password server of the kpasswd exchange's tests, for the session's tests.
#[cfg(test)]
pub(crate) use kpasswd::tests as kpasswd_tests;

#[doc(hidden)]
pub use ap_req::{ApReqContents, build_ap_req, fresh_subkey};
pub use as_req::{
    AsExchange, AsOptions, AsStep, InitialCreds, PasswordExpiry, PrecomputedKey, Secret,
    TicketStart, s2k_floor,
};
pub use creds::Credentials;
pub use error::{ExchangeError, KdcError, PreauthUnavailable};
pub use kpasswd::{AdPasswordPolicy, ChangeResult, KpasswdExchange, ResultCode};
pub use tgs::{TgsExchange, TgsOptions};
pub use ticket::{EncodedTicket, HostAddress, TicketFlags};

use crate::Realm;
use crate::asn1::{EncKdcRepPart, EncryptedData, KdcRep, KerberosTime, KrbError, PaData};
use crate::crypto::{self, CryptoError, EncryptionKey, KeyUsage, RandomSource};

/// "Send these bytes to a KDC of this realm."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdcRequest {
    /// The realm whose KDC the request is for.
    pub realm: Realm,
    /// The encoded request.
    pub bytes: Vec<u8>,
}

/// A point in time with microseconds, as Kerberos messages carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// Microseconds.
    pub usec: u32,
}

impl Timestamp {
    /// The system clock.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            usec: d.subsec_micros(),
        }
    }

    /// This time moved by `offset` seconds (the KDC time offset).
    pub fn offset(self, offset: i64) -> Self {
        Self {
            secs: self.secs.saturating_add(offset),
            usec: self.usec,
        }
    }

    fn kerberos_time(self) -> Result<KerberosTime, ExchangeError> {
        KerberosTime::from_unix(self.secs).ok_or(ExchangeError::Clock(self.secs))
    }
}

/// A fresh nonce in [0, 2^31): MIT's KDC decodes the nonce as a signed 32-bit integer.
fn nonce(rng: &mut dyn RandomSource) -> Result<u32, ExchangeError> {
    let mut b = [0u8; 4];
    rng.fill(&mut b)?;
    Ok(u32::from_be_bytes(b) & 0x7fff_ffff)
}

/// A reply is a KRB-ERROR when it carries APPLICATION 30.
fn as_krb_error(reply: &[u8], realm: &Realm) -> Result<Option<KrbError>, ExchangeError> {
    if reply.first() != Some(&0x7e) {
        return Ok(None);
    }
    KrbError::decode(reply)
        .map(Some)
        .map_err(|source| ExchangeError::Decode {
            realm: realm.clone(),
            what: "KRB-ERROR",
            source,
        })
}

fn find_padata(padata: Option<&Vec<PaData>>, kind: i32) -> Option<&PaData> {
    padata?.iter().find(|p| p.padata_type == kind)
}

fn encrypt_data(
    key: &EncryptionKey,
    usage: KeyUsage,
    plaintext: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<EncryptedData, CryptoError> {
    Ok(EncryptedData {
        etype: key.enctype().to_i32(),
        kvno: None,
        cipher: crypto::encrypt(key, usage, plaintext, rng)?.into(),
    })
}

/// The reply's client name, once the nonce shows the reply answers our request
/// (RFC 4120 §3.1.5, §3.3.4).
fn reply_client(
    rep: &KdcRep,
    part: &EncKdcRepPart,
    nonce: u32,
    realm: &Realm,
) -> Result<crate::Principal, ExchangeError> {
    if part.nonce.0 != nonce {
        return Err(ExchangeError::Mismatch("nonce".into()));
    }
    rep.cname
        .to_principal(&rep.crealm)
        .map_err(|source| ExchangeError::Decode {
            realm: realm.clone(),
            what: "KDC-REP cname",
            source,
        })
}

/// Decrypt and decode a KDC-REP's enc-part (RFC 4120 §5.4.2).
fn decrypt_rep_part(
    rep: &KdcRep,
    key: &EncryptionKey,
    usage: KeyUsage,
    realm: &Realm,
) -> Result<EncKdcRepPart, ExchangeError> {
    if rep.enc_part.etype != key.enctype().to_i32() {
        return Err(ExchangeError::Mismatch(format!(
            "reply encrypted with enctype {} but the key is {}",
            rep.enc_part.etype,
            key.enctype()
        )));
    }
    let plain = crypto::decrypt(key, usage, &rep.enc_part.cipher)?;
    EncKdcRepPart::decode_either(&plain).map_err(|source| ExchangeError::Decode {
        realm: realm.clone(),
        what: "EncKDCRepPart",
        source,
    })
}
