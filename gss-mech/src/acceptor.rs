//! The acceptor: verifies initial context tokens with keytab keys (RFC 4120 §3.2.3, RFC 4121
//! §4.1) and answers with the AP-REP token for mutual authentication.

use std::collections::HashMap;
use std::time::Duration;

use kdc_client::Principal;
use kdc_client::crypto::{self, EncryptionKey, Enctype, KeyUsage, RandomSource};
use kdc_client::error_code::error_message;
use kdc_client::exchange::Timestamp;
use kdc_client::keytab::Keytab;
use kdc_client::unstable::asn1::{
    ApRep, ApReq, Authenticator, EncApRepPart, EncTicketPart, EncryptedData, KerberosString,
    KerberosTime, KrbError, Microseconds, UInt32Lenient, ap_options, msg_type, ticket_flags,
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::cb::{CKSUMTYPE_GSSAPI, ChannelBindings, GssChecksum};
use crate::context::{ContextParts, SecurityContext};
use crate::initiator::{fresh_seq, fresh_subkey};
use crate::token::{self, TOK_AP_REP, TOK_AP_REQ, TOK_ERROR};
use crate::{ContextFlags, GssError};

/// Default clock-skew limit, 300 s (MIT's `clockskew` default).
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(300);

/// Replay-cache bound: beyond it, the oldest entries are dropped first by expiry; if still
/// full, new authenticators are refused rather than letting memory grow without limit.
const MAX_RCACHE: usize = 100_000;

/// Acceptor configuration: [`AcceptorOptions::default`], changed with the `with_*` methods.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AcceptorOptions {
    /// Accept only tickets for this principal (compared by components and realm); `None`
    /// accepts any principal with a key in the keytab (MIT's `GSS_C_NO_CREDENTIAL`).
    pub service: Option<Principal>,
    /// Bindings the initiator must have used (RFC 4121 §4.1.1.2); an all-zero `Bnd` from the
    /// initiator is still accepted, as MIT does.
    pub channel_bindings: Option<ChannelBindings>,
    /// Clock-skew limit ([`DEFAULT_MAX_SKEW`]); whole seconds count.
    pub max_skew: Duration,
}

impl Default for AcceptorOptions {
    fn default() -> Self {
        Self {
            service: None,
            channel_bindings: None,
            max_skew: DEFAULT_MAX_SKEW,
        }
    }
}

impl AcceptorOptions {
    /// Sets [`AcceptorOptions::service`]: accept only tickets for this principal.
    pub fn with_service(mut self, service: Principal) -> Self {
        self.service = Some(service);
        self
    }

    /// Sets [`AcceptorOptions::channel_bindings`], the bindings the initiator must have used.
    pub fn with_channel_bindings(mut self, channel_bindings: ChannelBindings) -> Self {
        self.channel_bindings = Some(channel_bindings);
        self
    }

    /// Sets [`AcceptorOptions::max_skew`], the clock-skew limit.
    pub fn with_max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// The skew limit in whole seconds, saturating.
    fn skew_secs(&self) -> i64 {
        i64::try_from(self.max_skew.as_secs()).unwrap_or(i64::MAX)
    }
}

/// A successfully accepted context.
#[derive(Debug)]
pub struct Accepted {
    /// The initiator (ticket client).
    pub initiator: Principal,
    /// The service the ticket was for.
    pub service: Principal,
    /// The context flags (from the 0x8003 checksum; MUTUAL only when an AP-REP is returned).
    pub flags: ContextFlags,
    /// The AP-REP token to send back (mutual authentication), framed with TOK_ID `02 00`.
    pub output_token: Option<Vec<u8>>,
    /// The established context for per-message tokens.
    pub context: SecurityContext,
}

/// Decode an initial context token (RFC 2743 §3.1 framing, TOK_ID `01 00`, RFC 4121 §4.1)
/// into its AP-REQ. No cryptographic check happens here.
pub fn decode_initial_token(token: &[u8]) -> Result<ApReq, GssError> {
    let f = token::unframe(token)?;
    if f.tok_id != TOK_AP_REQ {
        return Err(GssError::TokId {
            expected: TOK_AP_REQ,
            got: f.tok_id,
        });
    }
    ApReq::decode(f.inner).map_err(GssError::asn1("AP-REQ"))
}

/// Replay-cache key: client, ctime, cusec and a hash of the authenticator ciphertext.
type RcKey = (String, i64, u32, [u8; 32]);

/// An acceptor holding keytab keys and an in-memory replay cache.
#[derive(Debug)]
pub struct Acceptor {
    keytab: Keytab,
    opts: AcceptorOptions,
    /// Seen authenticators and the time (s) after which they can be forgotten.
    rcache: HashMap<RcKey, i64>,
}

impl Acceptor {
    /// An acceptor with the keys of `keytab`.
    pub fn new(keytab: Keytab, opts: AcceptorOptions) -> Self {
        Self {
            keytab,
            opts,
            rcache: HashMap::new(),
        }
    }

    /// Accept an initial context token (RFC 4121 §4.1): framing and TOK_ID `01 00`; the
    /// ticket decrypted with the keytab key for its sname/realm/kvno/etype (usage 2); ticket
    /// times; the authenticator (usage 11) with the client of the ticket, a ctime within the
    /// skew, the 0x8003 checksum and channel bindings; the replay cache. With the
    /// `mutual-required` AP option the AP-REP token (EncAPRepPart under the session key,
    /// usage 12, echoing ctime/cusec, with a fresh acceptor subkey and sequence number) is
    /// returned in [`Accepted::output_token`].
    pub fn accept(
        &mut self,
        token: &[u8],
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<Accepted, GssError> {
        let req = decode_initial_token(token)?;
        if req.ap_options.is_set(ap_options::USE_SESSION_KEY) {
            // User-to-user (RFC 4120 §2.9.2) needs a TGT session key this acceptor lacks.
            return Err(GssError::Invalid(
                "use-session-key (user-to-user) is not supported",
            ));
        }
        let ticket = req.ticket.decode().map_err(GssError::asn1("Ticket"))?;
        let service = ticket
            .sname
            .to_principal(&ticket.realm)
            .map_err(GssError::asn1("Ticket sname"))?;
        if let Some(expected) = &self.opts.service
            && !expected.matches(&service)
        {
            return Err(GssError::WrongService {
                expected: expected.clone(),
                got: service,
            });
        }
        let etype = ticket.enc_part.etype;
        let enctype = Enctype::from_i32(etype).ok_or(GssError::Enctype(etype))?;
        let kvno = ticket.enc_part.kvno.map(|k| k.0);
        let key = self
            .keytab
            .find(&service, kvno, &[enctype])
            .ok_or_else(|| GssError::NoKey {
                principal: service.clone(),
                kvno,
                enctype: etype,
            })?;
        let plain = crypto::decrypt(&key, KeyUsage::TICKET, &ticket.enc_part.cipher)
            .map_err(GssError::crypto("Ticket enc-part"))?;
        let part = EncTicketPart::decode(&plain).map_err(GssError::asn1("EncTicketPart"))?;
        let skew = self.opts.skew_secs();
        if part.flags.is_set(ticket_flags::INVALID) {
            // RFC 4120 §2.2: an invalid (postdated, not validated) ticket is refused.
            return Err(GssError::TicketNotYetValid);
        }
        let start = part.starttime.unwrap_or(part.authtime).unix();
        if start.saturating_sub(skew) > now.secs {
            return Err(GssError::TicketNotYetValid);
        }
        if part.endtime.unix().saturating_add(skew) < now.secs {
            return Err(GssError::TicketExpired);
        }
        let ske = Enctype::from_i32(part.key.keytype).ok_or(GssError::Enctype(part.key.keytype))?;
        let session_key = EncryptionKey::new(ske, part.key.keyvalue.as_bytes())
            .map_err(|e| GssError::crypto("ticket session key")(e.into()))?;

        if req.authenticator.etype != ske.to_i32() {
            return Err(GssError::Enctype(req.authenticator.etype));
        }
        let auth_cipher = &req.authenticator.cipher;
        // Zeroizing: the plaintext holds the initiator subkey.
        let plain = crypto::decrypt(&session_key, KeyUsage::AP_REQ_AUTHENTICATOR, auth_cipher)
            .map_err(GssError::crypto("Authenticator"))?;
        let auth = Authenticator::decode(&plain).map_err(GssError::asn1("Authenticator"))?;
        if auth.crealm != part.crealm || auth.cname.name_string != part.cname.name_string {
            return Err(GssError::ClientMismatch);
        }
        let initiator = part
            .cname
            .to_principal(&part.crealm)
            .map_err(GssError::asn1("ticket cname"))?;
        let delta = auth.ctime.unix().saturating_sub(now.secs);
        if delta.saturating_abs() > skew {
            return Err(GssError::Skew(delta));
        }
        let cksum = auth
            .cksum
            .as_ref()
            .filter(|c| c.cksumtype == CKSUMTYPE_GSSAPI)
            .ok_or(GssError::BadGssChecksum("no checksum of type 0x8003"))?;
        let gss = GssChecksum::decode(&cksum.checksum)?;
        gss.check_bindings(self.opts.channel_bindings.as_ref())?;

        self.check_replay(&initiator, &auth, auth_cipher, now)?;

        let initiator_subkey = match &auth.subkey {
            Some(k) => {
                let e = Enctype::from_i32(k.keytype).ok_or(GssError::Enctype(k.keytype))?;
                Some(
                    EncryptionKey::new(e, k.keyvalue.as_bytes())
                        .map_err(|e| GssError::crypto("initiator subkey")(e.into()))?,
                )
            }
            None => None,
        };
        let recv_seq = u64::from(auth.seq_number.map_or(0, |s| s.0));
        let mutual = req.ap_options.is_set(ap_options::MUTUAL_REQUIRED);
        let mut flags = ContextFlags(gss.flags.0 & ContextFlags::KNOWN & !ContextFlags::DELEG);
        let (output_token, acceptor_subkey, send_seq) = if mutual {
            flags.0 |= ContextFlags::MUTUAL;
            let like = initiator_subkey.as_ref().unwrap_or(&session_key).enctype();
            let (sub, block) = fresh_subkey(like, rng)?;
            let seq = fresh_seq(rng)?;
            let enc = EncApRepPart {
                ctime: auth.ctime,
                cusec: auth.cusec,
                subkey: Some(block),
                seq_number: Some(UInt32Lenient(seq)),
            };
            let der = Zeroizing::new(enc.to_der().map_err(GssError::asn1("EncAPRepPart"))?);
            let cipher = crypto::encrypt(&session_key, KeyUsage::AP_REP_ENC_PART, &der, rng)
                .map_err(GssError::crypto("AP-REP enc-part"))?;
            let rep = ApRep {
                pvno: 5,
                msg_type: msg_type::AP_REP,
                enc_part: EncryptedData {
                    etype: session_key.enctype().to_i32(),
                    kvno: None,
                    cipher: cipher.into(),
                },
            };
            let der = rep.to_der().map_err(GssError::asn1("AP-REP"))?;
            (
                Some(token::frame(TOK_AP_REP, &der)),
                Some(sub),
                u64::from(seq),
            )
        } else {
            flags.0 &= !ContextFlags::MUTUAL;
            // No AP-REP: both directions use the initiator's sequence number (as MIT).
            (None, None, recv_seq)
        };
        let context = SecurityContext::new(ContextParts {
            acceptor: true,
            flags,
            initiator_name: initiator.clone(),
            target_name: service.clone(),
            session_key,
            initiator_subkey,
            acceptor_subkey,
            send_seq,
            recv_seq,
            endtime: part.endtime.unix(),
        });
        Ok(Accepted {
            initiator,
            service,
            flags,
            output_token,
            context,
        })
    }

    /// The KRB-ERROR token (TOK_ID `03 00`, RFC 4121 §4.1, RFC 4120 §5.9.1) telling the
    /// initiator why `token` was refused with `err`, as MIT's acceptor sends it. The server
    /// name is the ticket's if the token decodes that far, else the configured service;
    /// `None` when neither is known or the error is not an acceptor failure. The e-text is
    /// the standard message, never internal detail.
    pub fn error_token(&self, token: &[u8], err: &GssError, now: Timestamp) -> Option<Vec<u8>> {
        let code = err.krb_error_code()?;
        let (realm, sname) = match decode_initial_token(token)
            .and_then(|r| r.ticket.decode().map_err(GssError::asn1("Ticket")))
        {
            Ok(t) => (t.realm, t.sname),
            Err(_) => {
                let s = self.opts.service.as_ref()?;
                ((&s.realm).into(), (&s.name).into())
            }
        };
        let e = KrbError {
            pvno: 5,
            msg_type: msg_type::KRB_ERROR,
            ctime: None,
            cusec: None,
            stime: KerberosTime::from_unix(now.secs)?,
            susec: Microseconds::new(now.usec)?,
            error_code: code,
            crealm: None,
            cname: None,
            realm,
            sname,
            e_text: error_message(code).map(KerberosString::from),
            e_data: None,
        };
        Some(token::frame(TOK_ERROR, &e.to_der().ok()?))
    }

    /// KRB_AP_ERR_REPEAT detection (RFC 4120 §3.2.3): an authenticator seen within the skew
    /// window is refused. Expired entries are pruned first.
    fn check_replay(
        &mut self,
        client: &Principal,
        auth: &Authenticator,
        cipher: &[u8],
        now: Timestamp,
    ) -> Result<(), GssError> {
        self.rcache.retain(|_, expires| *expires >= now.secs);
        let key: RcKey = (
            client.to_string(),
            auth.ctime.unix(),
            auth.cusec.get(),
            Sha256::digest(cipher).into(),
        );
        if self.rcache.contains_key(&key) {
            return Err(GssError::Replay);
        }
        if self.rcache.len() >= MAX_RCACHE {
            return Err(GssError::Invalid("replay cache full"));
        }
        let expires = auth.ctime.unix().saturating_add(self.opts.skew_secs());
        self.rcache.insert(key, expires);
        Ok(())
    }
}
