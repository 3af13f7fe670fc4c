//! The AP-REQ a client sends (RFC 4120 §3.2.2, §5.5.1): a ticket and an authenticator that
//! proves the client knows the ticket's session key, with a fresh subkey. One builder for every
//! AP-REQ we send: the PA-TGS-REQ (usage 7), FAST armor, kpasswd and GSS-API (usage 11).

use super::{Credentials, ExchangeError, Timestamp, encrypt_data};
use crate::asn1::{
    ApOptions, ApReq, Authenticator, Checksum, KerberosString, KeyBlock, Microseconds,
    PrincipalNameAsn1, SecretOctets, UInt32Lenient, msg_type,
};
use crate::crypto::{self, EncryptionKey, KeyUsage, RandomSource};

/// What goes into the authenticator besides the client's name and the time.
#[derive(Debug, Clone, Default)]
pub struct ApReqContents {
    /// The authenticator checksum (the request body's for a TGS request, RFC 4121's for GSS).
    pub cksum: Option<Checksum>,
    /// The initial sequence number (KRB-PRIV/KRB-SAFE and GSS contexts), below 2^30.
    pub seq_number: Option<u32>,
    /// The AP options (e.g. `mutual-required`).
    pub ap_options: ApOptions,
}

/// A fresh subkey for an authenticator: of the session key's enctype, as MIT chooses.
pub fn fresh_subkey(
    creds: &Credentials,
    rng: &mut dyn RandomSource,
) -> Result<EncryptionKey, ExchangeError> {
    Ok(crypto::generate_key(creds.session_key.enctype(), rng)?)
}

/// An AP-REQ presenting `creds`' ticket, its authenticator encrypted in the session key with
/// `usage` and carrying `subkey` (see [`fresh_subkey`]). The authenticator's DER, which holds
/// the subkey, is zeroized once encrypted.
pub fn build_ap_req(
    creds: &Credentials,
    usage: KeyUsage,
    subkey: &EncryptionKey,
    contents: ApReqContents,
    now: Timestamp,
    rng: &mut dyn RandomSource,
) -> Result<ApReq, ExchangeError> {
    let session = &creds.session_key;
    let authenticator = Authenticator {
        authenticator_vno: 5,
        crealm: KerberosString::from(&creds.client.realm),
        cname: PrincipalNameAsn1::from(&creds.client.name),
        cksum: contents.cksum,
        cusec: Microseconds::new(now.usec).unwrap_or_default(),
        ctime: now.kerberos_time()?,
        subkey: Some(KeyBlock {
            keytype: subkey.enctype().to_i32(),
            keyvalue: SecretOctets(zeroize::Zeroizing::new(subkey.as_bytes().to_vec())),
        }),
        seq_number: contents.seq_number.map(UInt32Lenient),
        authorization_data: None,
    };
    let der = zeroize::Zeroizing::new(authenticator.to_der()?);
    let ap_req = ApReq {
        pvno: 5,
        msg_type: msg_type::AP_REQ,
        ap_options: contents.ap_options,
        ticket: creds.ticket.raw().clone(),
        authenticator: encrypt_data(session, usage, &der, rng)?,
    };
    Ok(ap_req)
}
