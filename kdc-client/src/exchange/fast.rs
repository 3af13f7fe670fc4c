//! FAST armoring (RFC 6113 §5.4): the armor key from an armor TGT for the AS exchange or from
//! the TGS request's own TGT and subkey (implicit armor, §5.4.1.1), the armored request
//! (§5.4.2), the armored reply and errors (§5.4.3, §5.4.4), and the keys of encrypted challenge
//! (§5.4.6).

use super::ap_req::{ApReqContents, build_ap_req, fresh_subkey};
use super::{Credentials, ExchangeError, Timestamp, encrypt_data, find_padata};
use crate::Realm;
use crate::asn1::{
    Checksum, KdcReqBody, KerberosFlags, KeyBlock, KrbError, KrbFastArmor, KrbFastArmoredReq,
    KrbFastFinished, KrbFastReq, KrbFastResponse, MethodData, PaData, PaFxFastReply,
    PaFxFastRequest, Raw, pa_type,
};
use crate::crypto::{self, ChecksumType, EncryptionKey, Enctype, KeyUsage, RandomSource};

/// `FX_FAST_ARMOR_AP_REQUEST`, the only armor type (RFC 6113 §5.4.1).
const ARMOR_AP_REQUEST: i32 = 1;

/// The armor of one exchange: the armor key KRB-FX-CF2(subkey, TGT session key,
/// "subkeyarmor", "ticketarmor") (RFC 6113 §5.4.1.1), with, for the AS exchange, the AP-REQ
/// under the armor TGT that carries the subkey. A TGS request's armor is implicit: its own
/// PA-TGS-REQ carries the TGT and the subkey.
pub(crate) struct FastArmor {
    armor: Option<KrbFastArmor>,
    key: EncryptionKey,
    /// The armor TGT's service, for the trace.
    pub(crate) tgt: crate::Principal,
    /// The realm of the requests, for errors.
    realm: Realm,
}

/// What an armored KDC reply carried inside its PA-FX-FAST.
pub(crate) struct FastReply {
    pub(crate) padata: Vec<PaData>,
    pub(crate) strengthen_key: Option<EncryptionKey>,
    pub(crate) finished: Option<KrbFastFinished>,
}

impl FastArmor {
    /// Armor for requests to `realm` with `tgt`, which must be `krbtgt/REALM@REALM`: MIT's
    /// KDC accepts armor only under its own TGS key.
    pub(crate) fn new(
        tgt: &Credentials,
        realm: &Realm,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<Self, ExchangeError> {
        if tgt.tgt_realm().as_ref() != Some(realm) || tgt.server.realm != *realm {
            return Err(ExchangeError::armor(
                realm,
                format!(
                    "the armor ticket is for {}, not krbtgt/{realm}@{realm}",
                    tgt.server
                ),
            ));
        }
        let session = &tgt.session_key;
        let subkey = fresh_subkey(tgt, rng)?;
        let ap_req = build_ap_req(
            tgt,
            KeyUsage::AP_REQ_AUTHENTICATOR,
            &subkey,
            ApReqContents::default(),
            now,
            rng,
        )?;
        let key = crypto::cf2(&subkey, session, b"subkeyarmor", b"ticketarmor")?;
        Ok(Self {
            armor: Some(KrbFastArmor {
                armor_type: ARMOR_AP_REQUEST,
                armor_value: ap_req.to_der()?.into(),
            }),
            key,
            tgt: tgt.server.clone(),
            realm: realm.clone(),
        })
    }

    /// Implicit armor of a TGS request (RFC 6113 §5.4.1.1): the key from the subkey of the
    /// PA-TGS-REQ's authenticator and `tgt`'s session key; no armor field.
    pub(crate) fn implicit(
        subkey: &EncryptionKey,
        tgt: &Credentials,
        realm: &Realm,
    ) -> Result<Self, ExchangeError> {
        Ok(Self {
            armor: None,
            key: crypto::cf2(subkey, &tgt.session_key, b"subkeyarmor", b"ticketarmor")?,
            tgt: tgt.server.clone(),
            realm: realm.clone(),
        })
    }

    /// The armor key (RFC 6113 §5.4.1.1).
    pub(crate) fn key(&self) -> &EncryptionKey {
        &self.key
    }

    /// PA-FX-FAST for a request whose outer body is `body`: the req-checksum (usage 50) over
    /// `checksummed` (the body's bytes in an AS-REQ, the PA-TGS-REQ's AP-REQ in a TGS-REQ, as
    /// MIT's KDC checks it) and the KrbFastReq with the real `padata` and the same body,
    /// encrypted with the armor key (usage 51) (RFC 6113 §5.4.2).
    pub(crate) fn wrap(
        &self,
        checksummed: &[u8],
        body: &Raw<KdcReqBody>,
        padata: Vec<PaData>,
        rng: &mut dyn RandomSource,
    ) -> Result<PaData, ExchangeError> {
        let req_checksum = Checksum {
            cksumtype: ChecksumType::for_enctype(self.key.enctype()).to_i32(),
            checksum: crypto::checksum(&self.key, KeyUsage::FAST_REQ_CHKSUM, checksummed)?.into(),
        };
        let inner = KrbFastReq {
            fast_options: KerberosFlags::default(),
            padata,
            req_body: body.decode()?,
        };
        let armored = KrbFastArmoredReq {
            armor: self.armor.clone(),
            req_checksum,
            enc_fast_req: encrypt_data(&self.key, KeyUsage::FAST_ENC, &inner.to_der()?, rng)?,
        };
        Ok(PaData {
            padata_type: pa_type::FX_FAST,
            padata_value: PaFxFastRequest::ArmoredData(armored).to_der()?.into(),
        })
    }

    /// The KrbFastResponse in `padata`'s PA-FX-FAST, decrypted with the armor key (usage 52),
    /// its nonce that of the request (RFC 6113 §5.4.3). `None` when there is no PA-FX-FAST.
    pub(crate) fn unwrap(
        &self,
        padata: Option<&Vec<PaData>>,
        nonce: u32,
        realm: &Realm,
    ) -> Result<Option<FastReply>, ExchangeError> {
        let Some(pa) = find_padata(padata, pa_type::FX_FAST) else {
            return Ok(None);
        };
        let decode = |what| {
            let realm = realm.clone();
            move |source| ExchangeError::Decode {
                realm,
                what,
                source,
            }
        };
        let PaFxFastReply::ArmoredData(rep) =
            PaFxFastReply::decode(&pa.padata_value).map_err(decode("PA-FX-FAST reply"))?;
        if rep.enc_fast_rep.etype != self.key.enctype().to_i32() {
            return Err(ExchangeError::armor(
                &self.realm,
                format!(
                    "the FAST reply is encrypted with enctype {}, the armor key is {}",
                    rep.enc_fast_rep.etype,
                    self.key.enctype()
                ),
            ));
        }
        let plain = crypto::decrypt(&self.key, KeyUsage::FAST_REP, &rep.enc_fast_rep.cipher)
            .map_err(|_| {
                ExchangeError::armor(
                    &self.realm,
                    "the FAST reply does not decrypt with the armor key",
                )
            })?;
        let resp = KrbFastResponse::decode(&plain).map_err(decode("KrbFastResponse"))?;
        if resp.nonce.0 != nonce {
            return Err(ExchangeError::armor(
                &self.realm,
                "the FAST reply's nonce is not the request's",
            ));
        }
        let strengthen_key = resp
            .strengthen_key
            .as_ref()
            .map(|k| to_key(k, realm))
            .transpose()?;
        Ok(Some(FastReply {
            padata: resp.padata,
            strengthen_key,
            finished: resp.finished,
        }))
    }

    /// An armored KRB-ERROR: the KDC's real error in the PA-FX-ERROR of the KrbFastResponse
    /// in the e-data's PA-FX-FAST, and the rest of that padata (the pre-authentication
    /// methods, PA-FX-COOKIE) (RFC 6113 §5.4.3, §5.4.4). `None` when the error is unarmored.
    pub(crate) fn unwrap_error(
        &self,
        err: &KrbError,
        nonce: u32,
        realm: &Realm,
    ) -> Result<Option<(KrbError, Vec<PaData>)>, ExchangeError> {
        let Some(e_data) = &err.e_data else {
            return Ok(None);
        };
        // Unarmored errors carry other e-data (METHOD-DATA without PA-FX-FAST, TYPED-DATA).
        let Ok(methods) = MethodData::decode(e_data) else {
            return Ok(None);
        };
        let Some(reply) = self.unwrap(Some(&methods.0), nonce, realm)? else {
            return Ok(None);
        };
        let fx = find_padata(Some(&reply.padata), pa_type::FX_ERROR).ok_or_else(|| {
            ExchangeError::armor(&self.realm, "the armored error carries no PA-FX-ERROR")
        })?;
        let inner = KrbError::decode(&fx.padata_value).map_err(|source| ExchangeError::Decode {
            realm: realm.clone(),
            what: "PA-FX-ERROR",
            source,
        })?;
        let rest = reply
            .padata
            .into_iter()
            .filter(|p| p.padata_type != pa_type::FX_ERROR)
            .collect();
        Ok(Some((inner, rest)))
    }

    /// Check KrbFastFinished's ticket-checksum over the received Ticket bytes with the armor
    /// key (usage 53) (RFC 6113 §5.4.3).
    pub(crate) fn verify_finished(
        &self,
        finished: &KrbFastFinished,
        ticket: &[u8],
    ) -> Result<(), ExchangeError> {
        let kind = ChecksumType::from_i32(finished.ticket_checksum.cksumtype).ok_or_else(|| {
            ExchangeError::armor(
                &self.realm,
                format!(
                    "unknown checksum type {} in KrbFastFinished",
                    finished.ticket_checksum.cksumtype
                ),
            )
        })?;
        crypto::verify_checksum(
            &self.key,
            KeyUsage::FAST_FINISHED,
            kind,
            ticket,
            &finished.ticket_checksum.checksum,
        )
        .map_err(|_| ExchangeError::armor(&self.realm, "the ticket was modified in the KDC reply"))
    }
}

/// The reply key strengthened by the KDC: KRB-FX-CF2(strengthen-key, reply-key,
/// "strengthenkey", "replykey") (RFC 6113 §5.4.3).
pub(crate) fn strengthen(
    strengthen_key: &EncryptionKey,
    reply_key: &EncryptionKey,
) -> Result<EncryptionKey, ExchangeError> {
    Ok(crypto::cf2(
        strengthen_key,
        reply_key,
        b"strengthenkey",
        b"replykey",
    )?)
}

/// The client's encrypted-challenge key: KRB-FX-CF2(armor key, long-term key,
/// "clientchallengearmor", "challengelongterm") (RFC 6113 §5.4.6).
pub(crate) fn client_challenge_key(
    armor_key: &EncryptionKey,
    long_term: &EncryptionKey,
) -> Result<EncryptionKey, ExchangeError> {
    Ok(crypto::cf2(
        armor_key,
        long_term,
        b"clientchallengearmor",
        b"challengelongterm",
    )?)
}

/// The KDC's encrypted-challenge key: KRB-FX-CF2(armor key, long-term key,
/// "kdcchallengearmor", "challengelongterm") (RFC 6113 §5.4.6).
pub(crate) fn kdc_challenge_key(
    armor_key: &EncryptionKey,
    long_term: &EncryptionKey,
) -> Result<EncryptionKey, ExchangeError> {
    Ok(crypto::cf2(
        armor_key,
        long_term,
        b"kdcchallengearmor",
        b"challengelongterm",
    )?)
}

fn to_key(k: &KeyBlock, realm: &Realm) -> Result<EncryptionKey, ExchangeError> {
    let enctype = Enctype::from_i32(k.keytype).ok_or_else(|| {
        ExchangeError::armor(
            realm,
            format!("strengthen key of unknown enctype {}", k.keytype),
        )
    })?;
    EncryptionKey::new(enctype, k.keyvalue.as_bytes()).map_err(|e| ExchangeError::Crypto(e.into()))
}

impl FastArmor {
    /// An armored KDC-REP's checks (RFC 6113 §5.4.3), for the AS-REP and TGS-REP alike: the
    /// KrbFastResponse in PA-FX-FAST (nonce bound) replaces the outer padata, and its
    /// KrbFastFinished must checksum the ticket; the client name it gives replaces the outer
    /// one. `what` names the reply in errors. Gives the strengthen key, if the KDC sent one.
    pub(crate) fn unwrap_kdc_rep(
        &self,
        rep: &mut crate::asn1::KdcRep,
        nonce: u32,
        realm: &Realm,
        what: &str,
    ) -> Result<Option<EncryptionKey>, ExchangeError> {
        let reply = self
            .unwrap(rep.padata.as_ref(), nonce, realm)?
            .ok_or_else(|| {
                ExchangeError::armor(
                    realm,
                    format!("the KDC's {what} to the armored request is not armored"),
                )
            })?;
        let finished = reply.finished.as_ref().ok_or_else(|| {
            ExchangeError::armor(realm, format!("the armored {what} has no KrbFastFinished"))
        })?;
        self.verify_finished(finished, rep.ticket.as_bytes())?;
        rep.crealm = finished.crealm.clone();
        rep.cname = finished.cname.clone();
        rep.padata = Some(reply.padata);
        tracing::debug!(
            realm = %realm,
            "Decoding FAST response: ticket checksum verified{}",
            if reply.strengthen_key.is_some() {
                "; reply key strengthened"
            } else {
                ""
            }
        );
        Ok(reply.strengthen_key)
    }
}
