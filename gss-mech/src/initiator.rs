//! The initiator: the initial context token (RFC 2743 §3.1, RFC 4121 §4.1) and the check of
//! the acceptor's AP-REP (RFC 4120 §3.2.5, §5.5.2).

use kdc_client::Principal;
use kdc_client::crypto::{self, CryptoPolicy, EncryptionKey, Enctype, KeyUsage, RandomSource};
use kdc_client::error_code::error_name;
use kdc_client::exchange::{Credentials, Timestamp};
use kdc_client::unstable::ap_req::{ApReqContents, build_ap_req};
use kdc_client::unstable::asn1::{
    ApRep, Checksum, EncApRepPart, KerberosFlags, KerberosTime, KeyBlock, KrbError, Microseconds,
    SecretOctets, ap_options,
};
use zeroize::Zeroizing;

use crate::cb::{CKSUMTYPE_GSSAPI, ChannelBindings, GssChecksum};
use crate::context::{ContextParts, SecurityContext};
use crate::token::{self, TOK_AP_REP, TOK_AP_REQ, TOK_ERROR};
use crate::{ContextFlags, GssError};

/// What the initiator asks for: [`InitiatorOptions::default`], changed with the `with_*`
/// methods.
///
/// ```
/// use gss_mech::{ChannelBindings, ContextFlags, InitiatorOptions};
///
/// // Integrity and confidentiality only: no mutual authentication, no sequence checks.
/// let opts = InitiatorOptions::default()
///     .with_flags(ContextFlags(ContextFlags::CONF | ContextFlags::INTEG))
///     .with_channel_bindings(ChannelBindings::application(b"tls-server-end-point:...".to_vec()));
/// assert!(!opts.flags.has(ContextFlags::MUTUAL));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InitiatorOptions {
    /// Requested context flags (RFC 4121 §4.1.1.1). CONF and INTEG are always added, as MIT
    /// does; DELEG is always removed (no delegation). MUTUAL sets the `mutual-required` AP
    /// option and makes the context wait for the AP-REP.
    pub flags: ContextFlags,
    /// Channel bindings to hash into `Bnd`; `None` sends 16 zero octets.
    pub channel_bindings: Option<ChannelBindings>,
    /// The enctypes an acceptor subkey in the AP-REP may have (krb5.conf
    /// `permitted_enctypes`, as [`kdc_client::config::krb5conf::Krb5Conf`] reads it).
    pub permitted_enctypes: Vec<Enctype>,
    /// The run-time crypto policy (`allow_weak_crypto`): a weak acceptor subkey is refused
    /// unless it allows weak enctypes, even when listed in `permitted_enctypes`.
    pub policy: CryptoPolicy,
}

impl Default for InitiatorOptions {
    /// Mutual, replay, sequence, conf, integ; no channel bindings; MIT's default enctypes
    /// (no weak ones) for the acceptor subkey.
    fn default() -> Self {
        Self {
            flags: ContextFlags::ALL,
            channel_bindings: None,
            permitted_enctypes: kdc_client::config::krb5conf::default_enctypes(),
            policy: CryptoPolicy::default(),
        }
    }
}

impl InitiatorOptions {
    /// Sets [`InitiatorOptions::flags`], the requested context flags.
    pub fn with_flags(mut self, flags: ContextFlags) -> Self {
        self.flags = flags;
        self
    }

    /// Sets [`InitiatorOptions::channel_bindings`], hashed into the authenticator's `Bnd`.
    pub fn with_channel_bindings(mut self, channel_bindings: ChannelBindings) -> Self {
        self.channel_bindings = Some(channel_bindings);
        self
    }

    /// Sets [`InitiatorOptions::permitted_enctypes`], the enctypes an acceptor subkey may have.
    pub fn with_permitted_enctypes(mut self, enctypes: Vec<Enctype>) -> Self {
        self.permitted_enctypes = enctypes;
        self
    }

    /// Sets [`InitiatorOptions::policy`], the run-time crypto policy.
    pub fn with_policy(mut self, policy: CryptoPolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// An initiator context after the first token, waiting for the AP-REP when mutual
/// authentication was requested.
#[derive(Debug)]
pub struct InitiatorContext {
    flags: ContextFlags,
    client: Principal,
    server: Principal,
    session_key: EncryptionKey,
    subkey: EncryptionKey,
    seq: u32,
    ctime: KerberosTime,
    cusec: Microseconds,
    endtime: i64,
    permitted_enctypes: Vec<Enctype>,
    policy: CryptoPolicy,
}

fn ts(now: Timestamp) -> Result<(KerberosTime, Microseconds), GssError> {
    let t =
        KerberosTime::from_unix(now.secs).ok_or(GssError::Invalid("time outside KerberosTime"))?;
    let u = Microseconds::new(now.usec).ok_or(GssError::Invalid("microseconds above 999999"))?;
    Ok((t, u))
}

/// A subkey of the same enctype as `like` (MIT's choice), as a KeyBlock and a key.
pub(crate) fn fresh_subkey(
    like: Enctype,
    rng: &mut dyn RandomSource,
) -> Result<(EncryptionKey, KeyBlock), GssError> {
    let key = crypto::generate_key(like, rng).map_err(GssError::crypto("subkey"))?;
    let block = KeyBlock {
        keytype: like.to_i32(),
        keyvalue: SecretOctets(Zeroizing::new(key.as_bytes().to_vec())),
    };
    Ok((key, block))
}

/// A random sequence number in [0, 2^30): MIT's `krb5_generate_seq_number` masks to 30 bits
/// so that peers decoding it as a signed 32-bit integer never see a negative or wrapping value.
pub(crate) fn fresh_seq(rng: &mut dyn RandomSource) -> Result<u32, GssError> {
    let mut b = [0u8; 4];
    rng.fill(&mut b)
        .map_err(GssError::crypto("sequence number"))?;
    Ok(u32::from_be_bytes(b) & 0x3fff_ffff)
}

impl InitiatorContext {
    /// Build the initial context token for the service ticket `creds` (RFC 4121 §4.1):
    /// framing, TOK_ID `01 00`, an AP-REQ with an authenticator (usage 11) carrying the
    /// 0x8003 checksum, a fresh subkey of the session key's enctype and a random sequence
    /// number. Returns the context and the token to send.
    pub fn new(
        creds: &Credentials,
        opts: &InitiatorOptions,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<(Self, Vec<u8>), GssError> {
        let flags = ContextFlags(
            (opts.flags.0 & ContextFlags::KNOWN & !ContextFlags::DELEG)
                | ContextFlags::CONF
                | ContextFlags::INTEG,
        );
        let mutual = flags.has(ContextFlags::MUTUAL);
        let (ctime, cusec) = ts(now)?;
        let subkey = kdc_client::unstable::ap_req::fresh_subkey(creds, rng)
            .map_err(|e| GssError::ApReq(Box::new(e)))?;
        let seq = fresh_seq(rng)?;
        let bnd = opts
            .channel_bindings
            .as_ref()
            .map_or([0u8; 16], ChannelBindings::md5);
        let gss_cksum = GssChecksum {
            bnd,
            flags,
            delegation: false,
        };
        let mut ap_options = KerberosFlags::default();
        if mutual {
            ap_options.set(ap_options::MUTUAL_REQUIRED);
        }
        let contents = ApReqContents {
            cksum: Some(Checksum {
                cksumtype: CKSUMTYPE_GSSAPI,
                checksum: gss_cksum.encode().into(),
            }),
            seq_number: Some(seq),
            ap_options,
        };
        let req = build_ap_req(
            creds,
            KeyUsage::AP_REQ_AUTHENTICATOR,
            &subkey,
            contents,
            now,
            rng,
        )
        .map_err(|e| GssError::ApReq(Box::new(e)))?;
        let der = req.to_der().map_err(GssError::asn1("AP-REQ"))?;
        let ctx = Self {
            flags,
            client: creds.client.clone(),
            server: creds.server.clone(),
            session_key: creds.session_key.clone(),
            subkey,
            seq,
            ctime,
            cusec,
            endtime: creds.endtime,
            permitted_enctypes: opts.permitted_enctypes.clone(),
            policy: opts.policy,
        };
        Ok((ctx, token::frame(TOK_AP_REQ, &der)))
    }

    /// True when mutual authentication was requested: the acceptor's reply must be passed to
    /// [`InitiatorContext::step`].
    pub fn needs_reply(&self) -> bool {
        self.flags.has(ContextFlags::MUTUAL)
    }

    /// The flags sent in the 0x8003 checksum.
    pub fn flags(&self) -> ContextFlags {
        self.flags
    }

    /// Without mutual authentication the context is established once the token is sent; both
    /// directions start from our sequence number (as MIT). Errors with
    /// [`GssError::NeedsReply`] when mutual authentication was requested.
    pub fn complete(self) -> Result<SecurityContext, GssError> {
        if self.needs_reply() {
            return Err(GssError::NeedsReply);
        }
        let seq = u64::from(self.seq);
        Ok(self.into_context(None, seq))
    }

    fn into_context(
        self,
        acceptor_subkey: Option<EncryptionKey>,
        recv_seq: u64,
    ) -> SecurityContext {
        SecurityContext::new(ContextParts {
            acceptor: false,
            flags: self.flags,
            initiator_name: self.client,
            target_name: self.server,
            session_key: self.session_key,
            initiator_subkey: Some(self.subkey),
            acceptor_subkey,
            send_seq: u64::from(self.seq),
            recv_seq,
            endtime: self.endtime,
        })
    }

    /// Process the acceptor's reply: a framed AP-REP token (`02 00`), a raw AP-REP (`6F`,
    /// as MariaDB sends it), or a KRB-ERROR token (`03 00`, or raw `7E`) which becomes
    /// [`GssError::KrbError`]. The EncAPRepPart (usage 12, session key) must echo our
    /// ctime/cusec; its subkey becomes the acceptor subkey and its seq-number the start of
    /// the receive window.
    pub fn step(self, reply: &[u8]) -> Result<SecurityContext, GssError> {
        let rep = decode_reply_token(reply)?;
        if rep.enc_part.etype != self.session_key.enctype().to_i32() {
            return Err(GssError::Enctype(rep.enc_part.etype));
        }
        let plain = crypto::decrypt(
            &self.session_key,
            KeyUsage::AP_REP_ENC_PART,
            &rep.enc_part.cipher,
        )
        .map_err(GssError::crypto("AP-REP enc-part"))?;
        let part = EncApRepPart::decode(&plain).map_err(GssError::asn1("EncAPRepPart"))?;
        if part.ctime != self.ctime || part.cusec != self.cusec {
            return Err(GssError::ApRepMismatch);
        }
        let acceptor_subkey = match part.subkey {
            Some(k) => {
                let e = self.permitted_subkey_enctype(k.keytype)?;
                let key = EncryptionKey::new(e, k.keyvalue.as_bytes())
                    .map_err(|e| GssError::crypto("acceptor subkey")(e.into()))?;
                Some(key)
            }
            None => None,
        };
        // An absent seq-number counts as 0, as in MIT's init_sec_context.
        let recv_seq = part.seq_number.map_or(0, |s| u64::from(s.0));
        Ok(self.into_context(acceptor_subkey, recv_seq))
    }

    /// The acceptor subkey's enctype, if the crypto policy permits it: a known enctype, in
    /// `permitted_enctypes`, and weak only if the policy allows weak crypto. (No etype
    /// negotiation is offered, RFC 4537, so MIT's acceptor answers with our subkey's
    /// enctype; anything else is the server's choice and must pass the client's policy.)
    fn permitted_subkey_enctype(&self, keytype: i32) -> Result<Enctype, GssError> {
        let e = Enctype::from_i32(keytype)
            .ok_or_else(|| GssError::SubkeyNotPermitted(format!("{keytype} (unknown)")))?;
        if !self.permitted_enctypes.contains(&e) || !self.policy.permits(e) {
            return Err(GssError::SubkeyNotPermitted(format!("{e} ({keytype})")));
        }
        Ok(e)
    }
}

/// Decode the acceptor's reply to an initial context token (RFC 4121 §4.1): a framed AP-REP
/// (`60 … 02 00 6F …`), a raw AP-REP (`6F …`, MariaDB), or a KRB-ERROR, framed (`03 00`) or
/// raw (`7E`), which becomes [`GssError::KrbError`]. No cryptographic check happens here.
pub fn decode_reply_token(reply: &[u8]) -> Result<ApRep, GssError> {
    let (kind, inner) = match reply.first() {
        Some(0x60) => {
            let f = token::unframe(reply)?;
            (f.tok_id, f.inner)
        }
        Some(0x6f) => (TOK_AP_REP, reply),
        Some(0x7e) => (TOK_ERROR, reply),
        Some(_) => return Err(GssError::Defective("not a context token")),
        None => return Err(GssError::Defective("empty token")),
    };
    if kind == TOK_ERROR {
        return Err(krb_error(inner));
    }
    if kind != TOK_AP_REP {
        return Err(GssError::TokId {
            expected: TOK_AP_REP,
            got: kind,
        });
    }
    ApRep::decode(inner).map_err(GssError::asn1("AP-REP"))
}

/// Decode a KRB-ERROR into [`GssError::KrbError`] (or the decode error).
pub(crate) fn krb_error(der: &[u8]) -> GssError {
    match KrbError::decode(der) {
        Ok(e) => GssError::KrbError {
            code: e.error_code,
            name: error_name(e.error_code).unwrap_or("unknown Kerberos error"),
            e_text: e.e_text.map(|t| t.to_string()),
        },
        Err(e) => GssError::asn1("KRB-ERROR")(e),
    }
}
