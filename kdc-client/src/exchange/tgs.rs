//! The TGS exchange (RFC 4120 §3.3): PA-TGS-REQ carrying an AP-REQ whose authenticator
//! checksums the KDC-REQ-BODY bytes as sent (§5.5.1, §7.2.2 usage 6) and a fresh subkey
//! that encrypts the reply (usage 9). Also renewal (`renew` option, §3.3.1), and FAST with
//! implicit TGT armor (RFC 6113 §5.4.1.1).

use std::time::Duration;

use super::ap_req::{ApReqContents, build_ap_req, fresh_subkey};
use super::checks::{Requested, check_reply};
use super::fast::{self, FastArmor};
use super::ticket::{HostAddress, TicketFlags};
use super::{
    Credentials, ExchangeError, KdcError, KdcRequest, Timestamp, as_krb_error, decrypt_rep_part,
    find_padata, nonce, reply_client,
};
use crate::asn1::{
    Checksum, KdcOptions, KdcReqBody, KerberosString, MethodData, PaData, PrincipalNameAsn1, Raw,
    TgsRep, TgsReq, UInt32Lenient, kdc_options, pa_type,
};
use crate::config::krb5conf::Krb5Conf;
use crate::crypto::{self, CryptoPolicy, EncryptionKey, Enctype, KeyUsage, RandomSource};
use crate::{Principal, Realm};

/// Options of a TGS request. Start from [`TgsOptions::from_config`] (or
/// `Client::tgs_options`) and change what is wanted with the `with_*` methods:
///
/// ```
/// use kdc_client::config::{Krb5Conf, MemSource, Profile};
/// use kdc_client::exchange::TgsOptions;
///
/// let profile = Profile::parse("[libdefaults]\n clockskew = 2m\n", "krb5.conf", &MemSource::default())?;
/// let conf = Krb5Conf::from_profile(&profile)?;
/// // Renew a TGT, armored with FAST (as `kinit -R` with MIT 1.20's library).
/// let opts = TgsOptions::from_config(&conf).with_renew(true).with_fast(true);
/// assert_eq!(opts.clockskew.as_secs(), 120);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TgsOptions {
    /// Enctypes in order of preference (`default_tgs_enctypes`).
    pub enctypes: Vec<Enctype>,
    /// Set `canonicalize`, so the KDC may answer with a referral (RFC 6806 §8).
    pub canonicalize: bool,
    /// Renew the TGT instead of asking for a service ticket (`kinit -R`).
    pub renew: bool,
    /// Validate the ticket (`kinit -v`): ask the KDC to clear the INVALID flag of a postdated
    /// ticket whose start time has come (VALIDATE option, RFC 4120 §3.3.1, §2.2). The reply
    /// is the same ticket, now valid.
    pub validate: bool,
    /// Which enctypes are allowed at all (`allow_weak_crypto`).
    pub policy: CryptoPolicy,
    /// The allowed clock skew (`clockskew`): a reply's start time must be within it of the
    /// request time.
    pub clockskew: Duration,
    /// Armor the request with FAST, the TGT itself being the armor (implicit armor, RFC 6113
    /// §5.4.1.1). MIT 1.20's library armors every TGS request this way. An armored reply must
    /// pass FAST's checks; an unarmored one (a KDC that ignores FAST in TGS requests, as
    /// Heimdal 7.8's) must be under the subkey, as MIT's library accepts it.
    pub fast: bool,
}

impl TgsOptions {
    /// The options krb5.conf's `[libdefaults]` give (`default_tgs_enctypes`, `clockskew`,
    /// `allow_weak_crypto`): a plain service-ticket request, not canonicalized or armored.
    pub fn from_config(conf: &Krb5Conf) -> Self {
        Self {
            enctypes: conf.default_tgs_enctypes.clone(),
            canonicalize: false,
            renew: false,
            validate: false,
            policy: CryptoPolicy {
                allow_weak_crypto: conf.allow_weak_crypto,
            },
            clockskew: conf.clockskew,
            fast: false,
        }
    }

    /// Sets [`TgsOptions::enctypes`]: the enctypes to offer, in order of preference.
    pub fn with_enctypes(mut self, enctypes: Vec<Enctype>) -> Self {
        self.enctypes = enctypes;
        self
    }

    /// Sets [`TgsOptions::canonicalize`], so the KDC may answer with a referral.
    pub fn with_canonicalize(mut self, canonicalize: bool) -> Self {
        self.canonicalize = canonicalize;
        self
    }

    /// Sets [`TgsOptions::renew`]: renew the ticket instead (`kinit -R`).
    pub fn with_renew(mut self, renew: bool) -> Self {
        self.renew = renew;
        self
    }

    /// Sets [`TgsOptions::validate`]: validate a postdated ticket instead (`kinit -v`).
    pub fn with_validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// Sets [`TgsOptions::policy`], which enctypes are allowed at all.
    pub fn with_policy(mut self, policy: CryptoPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`TgsOptions::clockskew`], the allowed clock skew.
    pub fn with_clockskew(mut self, clockskew: Duration) -> Self {
        self.clockskew = clockskew;
        self
    }

    /// Sets [`TgsOptions::fast`]: armor the request with the TGT itself (RFC 6113 §5.4.1.1).
    pub fn with_fast(mut self, fast: bool) -> Self {
        self.fast = fast;
        self
    }
}

/// The ticket flags MIT copies into the options of a renew or validate request
/// (`KDC_TKT_COMMON_MASK`): forwardable, proxiable, may-postdate, renewable, which have the
/// same bit numbers as the KDC options they grant.
const COMMON_FLAGS: TicketFlags = TicketFlags::FORWARDABLE
    .union(TicketFlags::PROXIABLE)
    .union(TicketFlags::MAY_POSTDATE)
    .union(TicketFlags::RENEWABLE);

/// One TGS request in flight.
pub struct TgsExchange {
    tgt: Credentials,
    server: Principal,
    realm: Realm,
    subkey: EncryptionKey,
    nonce: u32,
    canonicalize: bool,
    renew: bool,
    validate: bool,
    enctypes: Vec<Enctype>,
    requested_at: i64,
    clockskew: i64,
    till: i64,
    armor: Option<FastArmor>,
}

impl std::fmt::Debug for TgsExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TgsExchange")
            .field("server", &self.server)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl TgsExchange {
    /// Build the TGS-REQ for `server` with `tgt` (for `krbtgt/R@...`, sent to realm R).
    /// `server.realm` is the realm named in the request body; it is normally R. To renew or
    /// validate, `tgt` may also be a service ticket (`kinit -S`), sent to its own realm.
    pub fn new(
        tgt: &Credentials,
        server: &Principal,
        opts: &TgsOptions,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<(Self, KdcRequest), ExchangeError> {
        let realm = match tgt.tgt_realm() {
            Some(r) => r,
            None if opts.renew || opts.validate => tgt.server.realm.clone(),
            None => {
                return Err(ExchangeError::Mismatch(format!(
                    "{} is not a TGT",
                    tgt.server
                )));
            }
        };
        let mut options = KdcOptions::default();
        if tgt.flags.forwardable() {
            options.set(kdc_options::FORWARDABLE);
        }
        if opts.renew || opts.validate {
            // MIT's `get_new_creds`: the request repeats the ticket's common flags.
            options.0 |= tgt.flags.bits() & COMMON_FLAGS.bits();
        }
        if opts.validate {
            options.set(kdc_options::VALIDATE);
        }
        if opts.canonicalize {
            options.set(kdc_options::CANONICALIZE);
        }
        if opts.renew {
            options.set(kdc_options::RENEW);
            options.set(kdc_options::RENEWABLE);
        }
        let till = if opts.renew {
            tgt.renew_till.unwrap_or(tgt.endtime)
        } else {
            tgt.endtime
        };
        let nonce = nonce(rng)?;
        let enctypes: Vec<Enctype> = opts
            .enctypes
            .iter()
            .copied()
            .filter(|e| opts.policy.permits(*e))
            .collect();
        let body = KdcReqBody {
            kdc_options: options,
            cname: None,
            realm: KerberosString::from(&server.realm),
            sname: Some(PrincipalNameAsn1::from(&server.name)),
            from: None,
            till: crate::asn1::KerberosTime::from_unix(till).ok_or(ExchangeError::Clock(till))?,
            rtime: None,
            nonce: UInt32Lenient(nonce),
            etype: enctypes.iter().map(|e| e.to_i32()).collect(),
            // MIT sends the TGT's addresses again (none for the usual address-less tickets).
            addresses: (!tgt.addresses.is_empty())
                .then(|| tgt.addresses.iter().map(HostAddress::to_asn1).collect()),
            enc_authorization_data: None,
            additional_tickets: None,
        };
        let body = Raw::new(&body)?;
        let session = &tgt.session_key;
        let subkey = fresh_subkey(tgt, rng)?;
        let cksum = Checksum {
            cksumtype: crypto::ChecksumType::for_enctype(session.enctype()).to_i32(),
            checksum: crypto::checksum(
                session,
                KeyUsage::TGS_REQ_AUTHENTICATOR_CKSUM,
                body.as_bytes(),
            )?
            .into(),
        };
        let contents = ApReqContents {
            cksum: Some(cksum),
            ..ApReqContents::default()
        };
        let ap_req = build_ap_req(
            tgt,
            KeyUsage::TGS_REQ_AUTHENTICATOR,
            &subkey,
            contents,
            now,
            rng,
        )?;
        let ap_req = ap_req.to_der()?;
        // Armored: the req-checksum covers the AP-REQ, the KrbFastReq holds no other padata
        // (as MIT's client sends it).
        let armor = if opts.fast {
            Some(FastArmor::implicit(&subkey, tgt, &realm)?)
        } else {
            None
        };
        let fx_fast = match &armor {
            Some(a) => {
                tracing::debug!(realm = %realm, "Encoding request body and padata into FAST request");
                Some(a.wrap(&ap_req, &body, Vec::new(), rng)?)
            }
            None => None,
        };
        let mut padata = vec![PaData {
            padata_type: pa_type::TGS_REQ,
            padata_value: ap_req.into(),
        }];
        padata.extend(fx_fast);
        let bytes = TgsReq::new(Some(padata), body).to_der()?;
        tracing::debug!(
            realm = %realm,
            server = %server,
            tgt = %tgt.server,
            canonicalize = opts.canonicalize,
            renew = opts.renew,
            validate = opts.validate,
            fast = opts.fast,
            "Sending TGS-REQ ({} bytes)",
            bytes.len()
        );
        let ex = Self {
            tgt: tgt.clone(),
            server: server.clone(),
            realm: realm.clone(),
            subkey,
            nonce,
            canonicalize: opts.canonicalize,
            renew: opts.renew,
            validate: opts.validate,
            enctypes,
            requested_at: now.secs,
            clockskew: super::as_req::secs(opts.clockskew),
            till,
            armor,
        };
        Ok((ex, KdcRequest { realm, bytes }))
    }

    /// The realm whose KDC must get the request.
    pub fn realm(&self) -> &Realm {
        &self.realm
    }

    /// Whether `reply`, the answer to this exchange sent unarmored, asks for FAST: a
    /// KRB-ERROR whose e-data is METHOD-DATA holding PA-FX-FAST, the KDC's sign that it
    /// takes (here: wants) armored requests (RFC 6113 §5.4.2). The caller may then send the
    /// request once more with [`TgsOptions::fast`]. Always false for an armored exchange.
    pub fn fast_demanded(&self, reply: &[u8]) -> bool {
        if self.armor.is_some() {
            return false;
        }
        let Ok(Some(err)) = as_krb_error(reply, &self.realm) else {
            return false;
        };
        err.e_data
            .as_ref()
            .and_then(|d| MethodData::decode(d).ok())
            .is_some_and(|m| m.0.iter().any(|p| p.padata_type == pa_type::FX_FAST))
    }

    /// Decrypt and check the TGS-REP. With `canonicalize`, the ticket may be a referral
    /// TGT `krbtgt/NEXT@realm` (RFC 6806 §8); the caller decides whether to follow it.
    pub fn step(&self, reply: &[u8]) -> Result<Credentials, ExchangeError> {
        if let Some(err) = as_krb_error(reply, &self.realm)? {
            // Armored, the real error is inside (RFC 6113 §5.4.4).
            let inner = match &self.armor {
                Some(a) => a.unwrap_error(&err, self.nonce, &self.realm)?,
                None => None,
            };
            let err = inner.map_or(err, |(inner, _)| inner);
            return Err(KdcError::from_krb_error(&err, &self.realm).into());
        }
        let rep = TgsRep::decode(reply).map_err(|source| ExchangeError::Decode {
            realm: self.realm.clone(),
            what: "TGS-REP",
            source,
        })?;
        let mut rep = rep.0;
        let part = match &self.armor {
            // A KDC that ignores FAST in TGS requests (Heimdal 7.8's: it armors only the AS
            // exchange) answers without PA-FX-FAST, under our subkey. MIT's library accepts
            // that reply (it ignores KRB5_ERR_FAST_REQUIRED there); so do we, under the subkey
            // only: an armored reply stripped of its PA-FX-FAST is under the strengthened key
            // and does not decrypt.
            Some(_) if find_padata(rep.padata.as_ref(), pa_type::FX_FAST).is_none() => {
                tracing::debug!(
                    realm = %self.realm,
                    "The TGS-REP is not armored: the KDC ignores FAST in TGS requests; \
                     reply key is the subkey"
                );
                decrypt_rep_part(
                    &rep,
                    &self.subkey,
                    KeyUsage::TGS_REP_ENC_PART_SUBKEY,
                    &self.realm,
                )?
            }
            Some(armor) => {
                let key = self.unwrap_armored_reply(armor, &mut rep)?;
                decrypt_rep_part(&rep, &key, KeyUsage::TGS_REP_ENC_PART_SUBKEY, &self.realm)?
            }
            // The reply is under our subkey (usage 9); MIT and Windows always use it when sent.
            None => decrypt_rep_part(
                &rep,
                &self.subkey,
                KeyUsage::TGS_REP_ENC_PART_SUBKEY,
                &self.realm,
            )
            .or_else(|_| {
                decrypt_rep_part(
                    &rep,
                    &self.tgt.session_key,
                    KeyUsage::TGS_REP_ENC_PART_SESSION_KEY,
                    &self.realm,
                )
            })?,
        };
        let rep = &rep;
        let client = reply_client(rep, &part, self.nonce, &self.realm)?;
        if client.name.components() != self.tgt.client.name.components()
            || client.realm != self.tgt.client.realm
        {
            return Err(ExchangeError::Mismatch(format!(
                "client {client} differs from the TGT's client {}",
                self.tgt.client
            )));
        }
        let creds = Credentials::from_rep_part(
            self.tgt.client.clone(),
            &part,
            rep.ticket.clone(),
            &self.realm,
        )?;
        let same = creds.server.name.components() == self.server.name.components()
            && creds.server.realm == self.server.realm;
        // A referral (RFC 6806 §8) or, when a TGT was asked for, a TGT for a nearer realm of
        // the route (MIT's KDC answers per its `[capaths]`): the walker checks the route.
        let referral = (self.canonicalize || self.server.name.is_krbtgt())
            && creds.is_tgt()
            && creds.server.realm == self.realm;
        // A validated ticket is the ticket sent, never a referral.
        if !same && (self.validate || (!referral && !self.renew)) {
            return Err(ExchangeError::Mismatch(format!(
                "ticket for {} but {} was requested",
                creds.server, self.server
            )));
        }
        let requested = Requested {
            enctypes: &self.enctypes,
            now: self.requested_at,
            clockskew: self.clockskew,
            // A validated ticket is not compared with the old start time: MIT's KDC 1.20 was
            // seen to answer one second after it (lab test `kinit_s_start_time_and_v_validate`),
            // and MIT's client does not compare either. Its start has passed: no skew check.
            exact_start: None,
            no_skew_check: self.validate,
            skew_needs_starttime: true,
            till: self.till,
            // No ticket outlives the renewable life of the ticket it was made with (RFC 4120
            // §3.3.3); none is asked for otherwise.
            renew_bound: self.tgt.renew_till,
        };
        check_reply(rep, &part, &creds, &requested, &self.realm)?;
        tracing::debug!(
            server = %creds.server,
            enctype = %creds.session_key.enctype(),
            referral = !same,
            "TGS-REP decrypted; ticket obtained"
        );
        Ok(creds)
    }

    /// The armored TGS-REP's checks ([`FastArmor::unwrap_kdc_rep`]); gives the reply key:
    /// our subkey, strengthened when the KDC sent a strengthen key (RFC 6113 §5.4.3).
    fn unwrap_armored_reply(
        &self,
        armor: &FastArmor,
        rep: &mut crate::asn1::KdcRep,
    ) -> Result<EncryptionKey, ExchangeError> {
        match armor.unwrap_kdc_rep(rep, self.nonce, &self.realm, "TGS-REP")? {
            Some(sk) => fast::strengthen(&sk, &self.subkey),
            None => Ok(self.subkey.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
