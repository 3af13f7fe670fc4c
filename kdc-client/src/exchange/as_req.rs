//! The AS exchange (RFC 4120 §3.1) with PA-ENC-TIMESTAMP pre-authentication (§5.2.7.2),
//! ETYPE-INFO2 salts and s2kparams (§5.2.7.5), PA-FX-COOKIE echo (RFC 6113 §5.2),
//! PA-REQ-ENC-PA-REP (RFC 6806 §11), a clock-skew retry and client referrals (RFC 6806 §7).
//! With an armor TGT the exchange is armored with FAST (RFC 6113 §5.4) and pre-authenticates
//! with encrypted challenge (§5.4.6).

use std::time::Duration;

use zeroize::Zeroizing;

use super::checks::{Requested, check_reply};
use super::fast::{self, FastArmor};
use super::ticket::{HostAddress, TicketFlags};
use super::{
    Credentials, ExchangeError, KdcError, KdcRequest, PreauthUnavailable, Timestamp, as_krb_error,
    decrypt_rep_part, encrypt_data, find_padata, nonce, reply_client,
};
use crate::asn1::{
    AsRep, AsReq, Checksum, EncKdcRepPart, EtypeInfo2, EtypeInfo2Entry, KdcOptions, KdcReqBody,
    KerberosString, KrbError, MethodData, Microseconds, PaData, PaEncTsEnc, PrincipalNameAsn1, Raw,
    UInt32Lenient, kdc_options, pa_type,
};
use crate::config::krb5conf::Krb5Conf;
use crate::crypto::{
    self, ChecksumType, CryptoError, CryptoPolicy, EncryptionKey, Enctype, KeyUsage, RandomSource,
};
use crate::error_code as ec;
use crate::{NameType, Principal, PrincipalName, Realm};

/// Client referrals followed at most (RFC 6806 §7; MIT's limit is 10 hops).
const MAX_CLIENT_REFERRALS: usize = 10;

/// The client's long-term secret. Cloned (still zeroized on drop) when an AS exchange is
/// tried again with the realm's primary KDC.
#[derive(Clone)]
#[non_exhaustive]
pub enum Secret {
    /// A password; the key is derived with the KDC's salt and parameters.
    Password(Zeroizing<String>),
    /// Keys from a keytab, any enctypes.
    Keys(Vec<EncryptionKey>),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Secret::Password(<redacted>)"),
            Self::Keys(k) => f.debug_tuple("Secret::Keys").field(k).finish(),
        }
    }
}

/// What to ask for in the AS-REQ (kinit's options). Start from
/// [`AsOptions::from_config`] (or `Client::initial_options`) and change what is wanted with
/// the `with_*` methods.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AsOptions {
    /// The client principal the initial ticket is for.
    pub client: Principal,
    /// Enctypes in order of preference (`default_tkt_enctypes`).
    pub enctypes: Vec<Enctype>,
    /// Requested ticket lifetime, counted from the start time (`ticket_lifetime`, `kinit -l`).
    pub lifetime: Duration,
    /// Requested renewable lifetime (`renew_lifetime`, `kinit -r`); zero requests no
    /// renewable ticket.
    pub renew_lifetime: Duration,
    /// Ask for a forwardable ticket (`forwardable`, `kinit -f`).
    pub forwardable: bool,
    /// Ask for a proxiable ticket (`proxiable`, `kinit -p`).
    pub proxiable: bool,
    /// Set `canonicalize` (implied for NT-ENTERPRISE names).
    pub canonicalize: bool,
    /// The allowed clock skew (`clockskew`).
    pub clockskew: Duration,
    /// Which enctypes are allowed at all (`allow_weak_crypto`).
    pub policy: CryptoPolicy,
    /// The service of the initial ticket (`kinit -S`); its realm is always the realm of the
    /// request, as MIT's `build_in_tkt_name` does. `None` asks for `krbtgt/REALM`.
    pub service: Option<PrincipalName>,
    /// When the ticket should start (`kinit -s`); see [`TicketStart`].
    pub start: TicketStart,
    /// Client addresses for the ticket (`kinit -a`, RFC 4120 §5.4.1 `addresses`); empty sends
    /// none (`kinit -A`, and MIT's default `noaddresses = true`).
    pub addresses: Vec<HostAddress>,
    /// The fewest string-to-key iterations accepted from a KDC's ETYPE-INFO2 s2kparams.
    /// `None` takes each enctype's RFC default as the floor ([`s2k_floor`]): 4096 for
    /// aes-sha1 (RFC 3962 §4), 32768 for aes-sha2 (RFC 8009 §4). The s2kparams arrive in an
    /// unauthenticated KRB-ERROR, so an attacker could otherwise make the key derived from
    /// the password (and the PA-ENC-TIMESTAMP it encrypts) cheap to guess offline. Lower it
    /// only for a KDC known to use fewer. MIT has no such floor; this is stricter.
    pub min_s2k_iterations: Option<u32>,
    /// The armor TGT (`kinit -T`): a `krbtgt/REALM@REALM` ticket of the client's realm, from
    /// any principal (usually the host's). With it the requests are armored with FAST
    /// (RFC 6113 §5.4) and the password proven by encrypted challenge (§5.4.6).
    pub armor: Option<Credentials>,
    /// krb5.conf's `disable_encrypted_timestamp` for the realm: never send PA-ENC-TIMESTAMP,
    /// so the password is proven only inside FAST (MIT 1.17).
    pub disable_encrypted_timestamp: bool,
}

impl AsOptions {
    /// The options krb5.conf's `[libdefaults]` give for `client` (lifetimes, flags, enctypes,
    /// clock skew, `allow_weak_crypto`, the realm's `disable_encrypted_timestamp`), as MIT's
    /// `kinit` starts from: no service, start now, no addresses, no armor.
    pub fn from_config(client: Principal, conf: &Krb5Conf) -> Self {
        let disable_encrypted_timestamp = conf
            .realms
            .get(client.realm.as_str())
            .is_some_and(|r| r.disable_encrypted_timestamp);
        Self {
            client,
            enctypes: conf.default_tkt_enctypes.clone(),
            lifetime: conf.ticket_lifetime,
            renew_lifetime: conf.renew_lifetime,
            forwardable: conf.forwardable,
            proxiable: conf.proxiable,
            canonicalize: conf.canonicalize,
            clockskew: conf.clockskew,
            policy: CryptoPolicy {
                allow_weak_crypto: conf.allow_weak_crypto,
            },
            service: None,
            start: TicketStart::Now,
            addresses: Vec::new(),
            min_s2k_iterations: None,
            armor: None,
            disable_encrypted_timestamp,
        }
    }

    /// Sets [`AsOptions::enctypes`]: the enctypes to offer, in order of preference.
    pub fn with_enctypes(mut self, enctypes: Vec<Enctype>) -> Self {
        self.enctypes = enctypes;
        self
    }

    /// Sets [`AsOptions::lifetime`], the requested ticket lifetime (`kinit -l`).
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Sets [`AsOptions::renew_lifetime`] (`kinit -r`); zero asks for no renewable ticket.
    pub fn with_renew_lifetime(mut self, renew_lifetime: Duration) -> Self {
        self.renew_lifetime = renew_lifetime;
        self
    }

    /// Sets [`AsOptions::forwardable`] (`kinit -f` / `-F`).
    pub fn with_forwardable(mut self, forwardable: bool) -> Self {
        self.forwardable = forwardable;
        self
    }

    /// Sets [`AsOptions::proxiable`] (`kinit -p` / `-P`).
    pub fn with_proxiable(mut self, proxiable: bool) -> Self {
        self.proxiable = proxiable;
        self
    }

    /// Sets [`AsOptions::canonicalize`] (`kinit -C`).
    pub fn with_canonicalize(mut self, canonicalize: bool) -> Self {
        self.canonicalize = canonicalize;
        self
    }

    /// Sets [`AsOptions::clockskew`], the allowed clock skew.
    pub fn with_clockskew(mut self, clockskew: Duration) -> Self {
        self.clockskew = clockskew;
        self
    }

    /// Sets [`AsOptions::policy`], which enctypes are allowed at all.
    pub fn with_policy(mut self, policy: CryptoPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`AsOptions::service`], the service of the initial ticket (`kinit -S`).
    pub fn with_service(mut self, service: PrincipalName) -> Self {
        self.service = Some(service);
        self
    }

    /// Sets [`AsOptions::start`], when the ticket starts (`kinit -s`).
    pub fn with_start(mut self, start: TicketStart) -> Self {
        self.start = start;
        self
    }

    /// Sets [`AsOptions::addresses`], the client addresses for the ticket (`kinit -a`).
    pub fn with_addresses(mut self, addresses: Vec<HostAddress>) -> Self {
        self.addresses = addresses;
        self
    }

    /// Sets [`AsOptions::min_s2k_iterations`], the fewest string-to-key iterations accepted.
    pub fn with_min_s2k_iterations(mut self, min: u32) -> Self {
        self.min_s2k_iterations = Some(min);
        self
    }

    /// Sets [`AsOptions::armor`], the armor TGT that turns on FAST (`kinit -T`).
    pub fn with_armor(mut self, armor: Credentials) -> Self {
        self.armor = Some(armor);
        self
    }

    /// Sets [`AsOptions::disable_encrypted_timestamp`] (never send PA-ENC-TIMESTAMP).
    pub fn with_disable_encrypted_timestamp(mut self, disable: bool) -> Self {
        self.disable_encrypted_timestamp = disable;
        self
    }
}

/// When a requested ticket starts (`kinit -s`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketStart {
    /// A ticket valid now (no `from`).
    #[default]
    Now,
    /// A postdated ticket starting this long from now (`from`, POSTDATED and ALLOW-POSTDATE,
    /// RFC 4120 §2.2); the KDC issues it with the INVALID flag until it is validated.
    In(Duration),
    /// A `from` this long in the past, sent without those options, as MIT does for a
    /// negative `kinit -s`.
    Ago(Duration),
}

impl TicketStart {
    /// From a signed offset in seconds from now, as `kinit -s` takes it.
    pub fn from_offset_secs(secs: i64) -> Self {
        match secs {
            0 => Self::Now,
            s if s > 0 => Self::In(Duration::from_secs(s.unsigned_abs())),
            s => Self::Ago(Duration::from_secs(s.unsigned_abs())),
        }
    }

    /// The signed offset in seconds from now.
    fn offset_secs(self) -> i64 {
        match self {
            Self::Now => 0,
            Self::In(d) => secs(d),
            Self::Ago(d) => -secs(d),
        }
    }
}

/// Whole seconds of `d`, saturating (lifetimes and skews are sent as KerberosTime seconds).
pub(crate) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The default floor of s2k iterations per enctype (see [`AsOptions::min_s2k_iterations`]);
/// `None` for enctypes without an iteration count.
pub fn s2k_floor(enctype: Enctype) -> Option<u32> {
    match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => Some(4096),
        Enctype::Aes128CtsHmacSha256128 | Enctype::Aes256CtsHmacSha384192 => Some(32768),
        Enctype::Rc4Hmac => None,
    }
}

/// Initial credentials and the KDC time offset learned on the way (KDC time minus local).
#[derive(Debug, Clone)]
pub struct InitialCreds {
    /// The credentials.
    pub creds: Credentials,
    /// KDC time minus local time, seconds.
    pub kdc_offset: i64,
    /// When the client's password expires, if the AS-REP said.
    pub password_expiry: Option<PasswordExpiry>,
}

/// The password expiry an AS-REP carries (RFC 4120 §5.4.2): a last-req entry of type 6 or -6
/// (password expiration), else the `key-expiration` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordExpiry {
    /// Unix time.
    pub at: i64,
    /// From a last-req entry, by which the KDC asks for a warning (Active Directory and
    /// Heimdal send one whenever the password expires), rather than `key-expiration`.
    pub from_last_req: bool,
}

impl PasswordExpiry {
    /// The expiry in `part`, if any. Account-expiration entries (types 7, -7) are not it.
    pub(crate) fn of(part: &EncKdcRepPart) -> Option<Self> {
        part.last_req
            .iter()
            .rev()
            .find(|lr| lr.lr_type.unsigned_abs() == 6)
            .map(|lr| Self {
                at: lr.lr_value.unix(),
                from_last_req: true,
            })
            .or_else(|| {
                part.key_expiration.map(|t| Self {
                    at: t.unix(),
                    from_last_req: false,
                })
            })
    }
}

impl InitialCreds {
    /// A new cache for the credentials' client holding them, with the KDC's clock offset
    /// (learned from a KRB_AP_ERR_SKEW retry) when there is one, as MIT's kinit stores it.
    pub fn to_ccache(&self) -> crate::ccache::Ccache {
        let mut cache = crate::ccache::Ccache::new(self.creds.client.clone());
        if let Ok(seconds @ (i32::MIN..=-1 | 1..=i32::MAX)) = i32::try_from(self.kdc_offset) {
            cache.kdc_offset = Some(crate::ccache::KdcOffset {
                seconds,
                microseconds: 0,
            });
        }
        cache.store(self.creds.to_ccache());
        cache
    }
}

/// What the caller does next.
#[derive(Debug)]
#[non_exhaustive]
pub enum AsStep {
    /// Send this request to a KDC of its realm and give the reply to `step`.
    Send(KdcRequest),
    /// The exchange succeeded.
    Done(Box<InitialCreds>),
    /// The KDC's reply needs the client's key, and the exchange was started without the
    /// secret ([`AsExchange::new_deferred`]): give it with [`AsExchange::provide_secret`].
    /// MIT's kinit prompts for the password at this point, so a principal the KDC does not
    /// know fails without a prompt.
    NeedSecret,
}

/// What a password's key is derived from (RFC 3961 §3 string-to-key inputs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct S2kInput {
    enctype: Enctype,
    salt: Vec<u8>,
    params: Option<Vec<u8>>,
}

/// A key derived from the password ahead of time (see [`AsExchange::key_precomputation`]).
#[derive(Debug)]
pub struct PrecomputedKey {
    input: S2kInput,
    key: EncryptionKey,
}

/// Pre-authentication chosen from the KDC's hints.
struct Preauth {
    /// The client's long-term key.
    key: EncryptionKey,
    cookie: Option<Vec<u8>>,
    method: Method,
}

/// How the request proves the client's long-term key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// PA-ENC-TIMESTAMP (RFC 4120 §5.2.7.2).
    EncTimestamp,
    /// PA-ENCRYPTED-CHALLENGE inside FAST (RFC 6113 §5.4.6).
    EncChallenge,
}

/// The AS exchange state machine.
pub struct AsExchange {
    opts: AsOptions,
    /// `None` until [`AsExchange::provide_secret`] when started deferred.
    secret: Option<Secret>,
    /// The reply that asked for the secret, processed again once it is given.
    waiting: Option<Vec<u8>>,
    realm: Realm,
    realms_seen: Vec<Realm>,
    preauth: Option<Preauth>,
    /// FAST armor, made once from [`AsOptions::armor`] for the exchange.
    armor: Option<FastArmor>,
    kdc_offset: i64,
    skew_retried: bool,
    nonce: u32,
    /// The `from` (start time) of the last request, if it had one.
    from: Option<i64>,
    /// The `till` and `rtime` of the last request.
    till: i64,
    rtime: Option<i64>,
    request: Vec<u8>,
    finished: bool,
    precomputed: Option<PrecomputedKey>,
}

impl AsExchange {
    /// Start: the first AS-REQ carries no pre-authentication (RFC 4120 §3.1.1).
    pub fn new(
        opts: AsOptions,
        secret: Secret,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<(Self, KdcRequest), ExchangeError> {
        Self::start(opts, Some(secret), now, rng)
    }

    /// Start without the secret: the exchange asks for it ([`AsStep::NeedSecret`]) only when
    /// a reply needs the key, as MIT's kinit prompts for a password.
    pub fn new_deferred(
        opts: AsOptions,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<(Self, KdcRequest), ExchangeError> {
        Self::start(opts, None, now, rng)
    }

    fn start(
        opts: AsOptions,
        secret: Option<Secret>,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<(Self, KdcRequest), ExchangeError> {
        let realm = opts.client.realm.clone();
        let armor = match &opts.armor {
            Some(tgt) => {
                let armor = FastArmor::new(tgt, &realm, now, rng)?;
                tracing::debug!(
                    realm = %realm,
                    armor_tgt = %armor.tgt,
                    armor_client = %tgt.client,
                    "FAST armor: AP-REQ with the armor TGT, armor key from KRB-FX-CF2 of its \
                     subkey and session key"
                );
                Some(armor)
            }
            None => None,
        };
        let mut ex = Self {
            armor,
            realms_seen: vec![realm.clone()],
            realm,
            opts,
            secret,
            waiting: None,
            preauth: None,
            kdc_offset: 0,
            skew_retried: false,
            nonce: 0,
            from: None,
            till: 0,
            rtime: None,
            request: Vec::new(),
            finished: false,
            precomputed: None,
        };
        let req = ex.build_request(now, rng)?;
        Ok((ex, req))
    }

    /// Work a driver may run while the first request is in flight: string-to-key of the
    /// password for the first offered enctype with the default salt (RFC 4120 §4) and
    /// default parameters, which is what the KDC asks for unless the account has a special
    /// salt. Give the result to [`AsExchange::use_precomputed_key`]; the exchange uses it only
    /// if the KDC's ETYPE-INFO2 asks for exactly these inputs.
    pub fn key_precomputation(
        &self,
    ) -> Option<impl FnOnce() -> Option<PrecomputedKey> + Send + 'static> {
        let Some(Secret::Password(pw)) = &self.secret else {
            return None;
        };
        let enctype = *self.opts.enctypes.first()?;
        let input = S2kInput {
            enctype,
            salt: default_salt_for(&self.opts.client),
            params: None,
        };
        let pw = pw.clone();
        Some(move || {
            let key = crypto::string_to_key(enctype, pw.as_bytes(), &input.salt, None).ok()?;
            Some(PrecomputedKey { input, key })
        })
    }

    /// Offer a key from [`AsExchange::key_precomputation`].
    pub fn use_precomputed_key(&mut self, key: PrecomputedKey) {
        self.precomputed = Some(key);
    }

    /// The realm the current request is for.
    pub fn realm(&self) -> &Realm {
        &self.realm
    }

    /// Feed the KDC's reply to the last request.
    pub fn step(
        &mut self,
        reply: &[u8],
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<AsStep, ExchangeError> {
        if self.finished {
            return Err(ExchangeError::Finished);
        }
        if let Some(err) = as_krb_error(reply, &self.realm)? {
            return self.on_error(&err, reply, now, rng);
        }
        let rep = AsRep::decode(reply).map_err(|source| ExchangeError::Decode {
            realm: self.realm.clone(),
            what: "AS-REP",
            source,
        })?;
        if self.secret.is_none() {
            return Ok(self.wait_for_secret(reply));
        }
        let (creds, password_expiry) = self.on_reply(&rep, now)?;
        self.finished = true;
        Ok(AsStep::Done(Box::new(InitialCreds {
            creds,
            kdc_offset: self.kdc_offset,
            password_expiry,
        })))
    }

    /// Give the secret asked for by [`AsStep::NeedSecret`], and go on with the reply that
    /// asked for it.
    pub fn provide_secret(
        &mut self,
        secret: Secret,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<AsStep, ExchangeError> {
        let reply = self.waiting.take().ok_or(ExchangeError::SecretNotAsked)?;
        self.secret = Some(secret);
        self.step(&reply, now, rng)
    }

    fn wait_for_secret(&mut self, reply: &[u8]) -> AsStep {
        tracing::debug!(realm = %self.realm, "The reply needs the client's key");
        self.waiting = Some(reply.to_vec());
        AsStep::NeedSecret
    }

    fn on_error(
        &mut self,
        outer: &KrbError,
        reply: &[u8],
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<AsStep, ExchangeError> {
        // An armored error carries the real KRB-ERROR and padata inside (RFC 6113 §5.4.4).
        let unwrapped = match &self.armor {
            Some(a) => a.unwrap_error(outer, self.nonce, &self.realm)?,
            None => None,
        };
        let (err, fast_padata) = match unwrapped {
            Some((inner, padata)) => {
                tracing::debug!(
                    realm = %self.realm,
                    code = inner.error_code,
                    "Decoding FAST response: KRB-ERROR inside PA-FX-ERROR"
                );
                (inner, Some(padata))
            }
            None => (outer.clone(), None),
        };
        let err = &err;
        let kdc_error = || {
            let mut e = KdcError::from_krb_error(err, &self.realm);
            if err.error_code == ec::KDC_ERR_ETYPE_NOSUPP {
                e.offered = self.opts.enctypes.clone();
            }
            ExchangeError::from(e)
        };
        match err.error_code {
            ec::KDC_ERR_PREAUTH_REQUIRED if self.preauth.is_none() => {
                let methods = match fast_padata {
                    Some(p) => p,
                    // The methods of an armored request come only through FAST, or a
                    // man in the middle could choose them (RFC 6113 §5.4.4).
                    None if self.armor.is_some() => {
                        return Err(ExchangeError::armor(
                            &self.realm,
                            "the KDC answered the armored request with an unarmored \
                             KDC_ERR_PREAUTH_REQUIRED",
                        ));
                    }
                    None => match &err.e_data {
                        Some(d) => {
                            MethodData::decode(d)
                                .map_err(|source| ExchangeError::Decode {
                                    realm: self.realm.clone(),
                                    what: "METHOD-DATA",
                                    source,
                                })?
                                .0
                        }
                        None => Vec::new(),
                    },
                };
                let method = self.choose_method(&methods)?;
                if self.secret.is_none() {
                    return Ok(self.wait_for_secret(reply));
                }
                let key = self.reply_key(Some(&methods), None)?;
                let cookie = find_padata(Some(&methods), pa_type::FX_COOKIE)
                    .map(|p| p.padata_value.to_vec());
                tracing::debug!(
                    realm = %self.realm,
                    enctype = %key.enctype(),
                    cookie = cookie.is_some(),
                    "Preauthenticating using KDC method data: {}",
                    match method {
                        Method::EncTimestamp => "encrypted timestamp",
                        Method::EncChallenge => "encrypted challenge (FAST)",
                    }
                );
                self.preauth = Some(Preauth {
                    key,
                    cookie,
                    method,
                });
                self.build_request(now, rng).map(AsStep::Send)
            }
            ec::KRB_AP_ERR_SKEW if !self.skew_retried => {
                // Retry once with the KDC's clock (RFC 4120 §5.9.1 stime/susec), as MIT does.
                self.skew_retried = true;
                self.kdc_offset = err.stime.unix() - now.secs;
                tracing::debug!(
                    realm = %self.realm,
                    offset = self.kdc_offset,
                    "Clock skew too great; retrying with the KDC's time"
                );
                // The armor's authenticator carries a time too: made again with the KDC's.
                if let Some(tgt) = &self.opts.armor {
                    let kdc_now = now.offset(self.kdc_offset);
                    self.armor = Some(FastArmor::new(tgt, &self.realm, kdc_now, rng)?);
                }
                self.build_request(now, rng).map(AsStep::Send)
            }
            // MIT follows a client referral only when it asked for canonicalization
            // (RFC 6806 §7); otherwise the error stands.
            ec::KDC_ERR_WRONG_REALM if self.canonicalize() => {
                let next = err
                    .crealm
                    .as_ref()
                    .and_then(|r| Realm::try_from(r).ok())
                    .filter(|r| *r != self.realm)
                    .ok_or_else(kdc_error)?;
                if self.realms_seen.contains(&next) || self.realms_seen.len() > MAX_CLIENT_REFERRALS
                {
                    let mut path: Vec<&str> = self.realms_seen.iter().map(Realm::as_str).collect();
                    path.push(next.as_str());
                    return Err(ExchangeError::TooManyReferrals(path.join(" -> ")));
                }
                if self.armor.is_some() {
                    return Err(ExchangeError::armor(
                        &self.realm,
                        format!(
                            "the KDC refers the client to realm {next}, and the armor TGT is for \
                         {}",
                            self.realm
                        ),
                    ));
                }
                tracing::debug!(from = %self.realm, to = %next, "Following client referral");
                self.realms_seen.push(next.clone());
                self.realm = next;
                self.preauth = None;
                self.build_request(now, rng).map(AsStep::Send)
            }
            _ => Err(kdc_error()),
        }
    }

    /// The pre-authentication to answer the KDC's `methods` with: encrypted challenge when
    /// armored (MIT's client, too, never sends encrypted timestamp inside FAST), else
    /// encrypted timestamp unless `disable_encrypted_timestamp`.
    fn choose_method(&self, methods: &[PaData]) -> Result<Method, ExchangeError> {
        let offers = |t| methods.iter().any(|p| p.padata_type == t);
        let enc_ts = offers(pa_type::ENC_TIMESTAMP);
        if self.armor.is_some() {
            if offers(pa_type::ENCRYPTED_CHALLENGE) {
                return Ok(Method::EncChallenge);
            }
        } else if enc_ts && !self.opts.disable_encrypted_timestamp {
            return Ok(Method::EncTimestamp);
        }
        Err(ExchangeError::PreauthUnavailable(Box::new(
            PreauthUnavailable {
                realm: self.realm.clone(),
                kdc: None,
                offered: methods.iter().map(|p| p.padata_type).collect(),
                needs_armor: self.armor.is_none()
                    && (offers(pa_type::FX_FAST) || offers(pa_type::ENCRYPTED_CHALLENGE)),
                enc_timestamp_disabled: enc_ts && self.opts.disable_encrypted_timestamp,
            },
        )))
    }

    /// The reply key: from the keytab by enctype, or from the password with the salt and
    /// s2kparams of the first ETYPE-INFO2 entry we can use (RFC 4120 §5.2.7.5).
    fn reply_key(
        &self,
        padata: Option<&Vec<PaData>>,
        reply_etype: Option<i32>,
    ) -> Result<EncryptionKey, ExchangeError> {
        let entries = match find_padata(padata, pa_type::ETYPE_INFO2) {
            Some(p) => {
                EtypeInfo2::decode(&p.padata_value)
                    .map_err(|source| ExchangeError::Decode {
                        realm: self.realm.clone(),
                        what: "ETYPE-INFO2",
                        source,
                    })?
                    .0
            }
            None => Vec::new(),
        };
        let usable = |e: i32| {
            Enctype::from_i32(e)
                .filter(|e| self.opts.enctypes.contains(e) && self.opts.policy.permits(*e))
        };
        // The KDC lists its entries in its order of preference; take the first we offered.
        let chosen: Option<(Enctype, Option<&EtypeInfo2Entry>)> = match reply_etype {
            Some(e) => usable(e).map(|t| (t, entries.iter().find(|x| x.etype == e))),
            None => entries
                .iter()
                .find_map(|x| usable(x.etype).map(|t| (t, Some(x))))
                .or_else(|| self.opts.enctypes.first().map(|&t| (t, None))),
        };
        let Some((enctype, entry)) = chosen else {
            return Err(ExchangeError::NoCommonEnctype {
                offered: names(&self.opts.enctypes),
                kdc: entries
                    .iter()
                    .map(|x| x.etype.to_string())
                    .chain(reply_etype.map(|e| e.to_string()))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        match self.secret.as_ref().ok_or(ExchangeError::SecretNotAsked)? {
            Secret::Keys(keys) => keys
                .iter()
                .find(|k| k.enctype() == enctype)
                .cloned()
                .ok_or_else(|| ExchangeError::NoKey {
                    principal: self.opts.client.to_string(),
                    detail: format!("no {enctype} key"),
                }),
            Secret::Password(pw) => {
                let default_salt;
                let salt: &[u8] = match entry.and_then(|x| x.salt.as_ref()) {
                    Some(s) => s.as_bytes(),
                    None => {
                        default_salt = default_salt_for(&self.opts.client);
                        &default_salt
                    }
                };
                let params = entry.and_then(|x| x.s2kparams.as_deref());
                self.check_s2k_floor(enctype, params)?;
                if let Some(pre) = &self.precomputed
                    && pre.input.enctype == enctype
                    && pre.input.salt == salt
                    && pre.input.params.as_deref() == params
                {
                    return Ok(pre.key.clone());
                }
                Ok(crypto::string_to_key(enctype, pw.as_bytes(), salt, params)?)
            }
        }
    }

    /// Refuse s2kparams asking for fewer iterations than the floor (4-octet big-endian
    /// count, RFC 3962 §4 / RFC 8009 §4; other lengths are left to `string_to_key`).
    fn check_s2k_floor(
        &self,
        enctype: Enctype,
        params: Option<&[u8]>,
    ) -> Result<(), ExchangeError> {
        let Some(default_floor) = s2k_floor(enctype) else {
            return Ok(());
        };
        let floor = self.opts.min_s2k_iterations.unwrap_or(default_floor);
        let Some(count) = params
            .and_then(|p| <[u8; 4]>::try_from(p).ok())
            .map(u32::from_be_bytes)
        else {
            return Ok(());
        };
        // 0 means 2^32 in RFC 3962 and is refused by string_to_key.
        if count != 0 && count < floor {
            return Err(ExchangeError::WeakS2kParams {
                realm: self.realm.clone(),
                enctype,
                iterations: count,
                floor,
            });
        }
        Ok(())
    }

    fn build_request(
        &mut self,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<KdcRequest, ExchangeError> {
        let kdc_now = now.offset(self.kdc_offset);
        self.nonce = nonce(rng)?;
        let o = &self.opts;
        let mut options = KdcOptions::default();
        // MIT's default `kdc_default_options`: a renewable ticket may stand in for a lifetime
        // longer than the KDC allows (RFC 4120 §2.3, §3.1.3).
        options.set(kdc_options::RENEWABLE_OK);
        if o.forwardable {
            options.set(kdc_options::FORWARDABLE);
        }
        if o.proxiable {
            options.set(kdc_options::PROXIABLE);
        }
        if self.canonicalize() {
            options.set(kdc_options::CANONICALIZE);
        }
        let start_offset = o.start.offset_secs();
        if start_offset > 0 {
            options.set(kdc_options::ALLOW_POSTDATE);
            options.set(kdc_options::POSTDATED);
        }
        // As MIT's `set_request_times`: the lifetimes count from the requested start time, and
        // the renewable time is never asked shorter than the lifetime.
        let start = kdc_now.offset(start_offset);
        self.from = (start_offset != 0).then_some(start.secs);
        let till = start.offset(secs(o.lifetime));
        let rtime =
            (!o.renew_lifetime.is_zero()).then(|| start.offset(secs(o.renew_lifetime)).max(till));
        if rtime.is_some() {
            options.set(kdc_options::RENEWABLE);
        }
        self.till = till.secs;
        self.rtime = rtime.map(|t| t.secs);
        let rtime = rtime.map(Timestamp::kerberos_time).transpose()?;
        let body = KdcReqBody {
            kdc_options: options,
            cname: Some(PrincipalNameAsn1::from(&o.client.name)),
            realm: KerberosString::from(&self.realm),
            sname: Some(PrincipalNameAsn1::from(&self.server_name())),
            from: self.from.map(from_unix).transpose()?,
            till: till.kerberos_time()?,
            rtime,
            nonce: UInt32Lenient(self.nonce),
            etype: self
                .requested_enctypes()
                .iter()
                .map(|e| e.to_i32())
                .collect(),
            addresses: (!o.addresses.is_empty())
                .then(|| o.addresses.iter().map(HostAddress::to_asn1).collect()),
            enc_authorization_data: None,
            additional_tickets: None,
        };
        let mut padata = Vec::new();
        if let Some(pa) = &self.preauth {
            if let Some(cookie) = &pa.cookie {
                padata.push(pa_data(pa_type::FX_COOKIE, cookie.clone()));
            }
            let ts = PaEncTsEnc {
                patimestamp: kdc_now.kerberos_time()?,
                pausec: Microseconds::new(kdc_now.usec),
            };
            match (pa.method, &self.armor) {
                (Method::EncChallenge, Some(armor)) => {
                    let key = fast::client_challenge_key(armor.key(), &pa.key)?;
                    let enc =
                        encrypt_data(&key, KeyUsage::ENC_CHALLENGE_CLIENT, &ts.to_der()?, rng)?;
                    padata.push(pa_data(pa_type::ENCRYPTED_CHALLENGE, enc.to_der()?));
                }
                (Method::EncChallenge, None) => {
                    return Err(ExchangeError::armor(
                        &self.realm,
                        "encrypted challenge needs FAST armor",
                    ));
                }
                (Method::EncTimestamp, _) => {
                    let enc =
                        encrypt_data(&pa.key, KeyUsage::PA_ENC_TIMESTAMP, &ts.to_der()?, rng)?;
                    padata.push(pa_data(pa_type::ENC_TIMESTAMP, enc.to_der()?));
                }
            }
        }
        // An empty PA-REQ-ENC-PA-REP asks the KDC to checksum this request (RFC 6806 §11).
        padata.push(pa_data(pa_type::REQ_ENC_PA_REP, Vec::new()));
        let body = Raw::new(&body)?;
        // Armored: the padata travel encrypted in the KrbFastReq (RFC 6113 §5.4.2).
        let padata = match &self.armor {
            Some(armor) => {
                tracing::debug!(
                    realm = %self.realm,
                    "Encoding request body and padata into FAST request"
                );
                vec![armor.wrap(body.as_bytes(), &body, padata, rng)?]
            }
            None => padata,
        };
        let req = AsReq::new(Some(padata), body);
        self.request = req.to_der()?;
        tracing::debug!(
            realm = %self.realm,
            client = %self.opts.client,
            server = %Principal::new(self.server_name(), self.realm.clone()),
            nonce = self.nonce,
            enctypes = %names(&self.opts.enctypes),
            preauth = self.preauth.is_some(),
            fast = self.armor.is_some(),
            from = ?self.from,
            addresses = self.opts.addresses.len(),
            "Sending AS-REQ ({} bytes)",
            self.request.len()
        );
        Ok(KdcRequest {
            realm: self.realm.clone(),
            bytes: self.request.clone(),
        })
    }

    /// Decrypt and check the AS-REP (RFC 4120 §3.1.5, MIT's `verify_as_reply`).
    fn on_reply(
        &mut self,
        rep: &AsRep,
        now: Timestamp,
    ) -> Result<(Credentials, Option<PasswordExpiry>), ExchangeError> {
        let mut rep = rep.0.clone();
        let strengthen_key = match &self.armor {
            Some(armor) => armor.unwrap_kdc_rep(&mut rep, self.nonce, &self.realm, "AS-REP")?,
            None => None,
        };
        let rep = &rep;
        let long_term = match &self.preauth {
            Some(pa) if pa.key.enctype().to_i32() == rep.enc_part.etype => pa.key.clone(),
            _ => self.reply_key(rep.padata.as_ref(), Some(rep.enc_part.etype))?,
        };
        if let (Some(armor), Some(pa)) = (&self.armor, &self.preauth)
            && pa.method == Method::EncChallenge
        {
            self.check_kdc_challenge(armor, rep.padata.as_ref(), &long_term, now)?;
        }
        let key = match &strengthen_key {
            Some(sk) => fast::strengthen(sk, &long_term)?,
            None => long_term,
        };
        let part = decrypt_rep_part(rep, &key, KeyUsage::AS_REP_ENC_PART, &self.realm).map_err(
            |e| match e {
                ExchangeError::Crypto(CryptoError::Integrity) => ExchangeError::BadReplyKey,
                e => e,
            },
        )?;
        let client = reply_client(rep, &part, self.nonce, &self.realm)?;
        let canonicalize = self.canonicalize();
        if !canonicalize
            && (client.name.components() != self.opts.client.name.components()
                || client.realm != self.realm)
        {
            return Err(ExchangeError::Mismatch(format!(
                "client name {client} differs from the request {}",
                self.opts.client
            )));
        }
        let creds = Credentials::from_rep_part(client, &part, rep.ticket.clone(), &self.realm)?;
        // MIT's `verify_as_reply`: the server asked for, or with canonicalize any TGS when a
        // TGS was asked for.
        let asked = self.server_name();
        let canon_ok = canonicalize && asked.is_krbtgt() && creds.is_tgt();
        let same = creds.server.name.components() == asked.components()
            && creds.server.realm == self.realm;
        if !canon_ok && !same {
            return Err(ExchangeError::Mismatch(format!(
                "server {} is not the {} asked for",
                creds.server,
                Principal::new(asked, self.realm.clone())
            )));
        }
        let enctypes = self.requested_enctypes();
        let requested = Requested {
            enctypes: &enctypes,
            now: now.offset(self.kdc_offset).secs,
            clockskew: secs(self.opts.clockskew),
            // A requested start time replaces the skew check, as in MIT.
            exact_start: matches!(self.opts.start, TicketStart::In(_))
                .then_some(self.from)
                .flatten(),
            no_skew_check: self.from.is_some(),
            skew_needs_starttime: false,
            till: self.till,
            // RENEWABLE asks for `rtime`; else RENEWABLE-OK (always set) bounds it by `till`.
            renew_bound: Some(self.rtime.unwrap_or(self.till)),
        };
        check_reply(rep, &part, &creds, &requested, &self.realm)?;
        self.check_enc_pa_rep(&part.encrypted_pa_data, &creds, &key)?;
        tracing::debug!(
            client = %creds.client,
            server = %creds.server,
            enctype = %creds.session_key.enctype(),
            "AS-REP decrypted; ticket obtained"
        );
        Ok((creds, PasswordExpiry::of(&part)))
    }

    /// Whether the request sets `canonicalize` (asked for, or implied by NT-ENTERPRISE).
    fn canonicalize(&self) -> bool {
        self.opts.canonicalize || self.opts.client.name.name_type == NameType::Enterprise
    }

    /// The enctypes the request offers: the configured ones the crypto policy permits.
    fn requested_enctypes(&self) -> Vec<Enctype> {
        let o = &self.opts;
        o.enctypes
            .iter()
            .copied()
            .filter(|e| o.policy.permits(*e))
            .collect()
    }

    /// The KDC's PA-ENCRYPTED-CHALLENGE: its time encrypted with the KDC challenge key
    /// (usage 55) proves the KDC knows the client's key (RFC 6113 §5.4.6). Required when the
    /// client used encrypted challenge. Heimdal 7.8's KDC uses the client challenge key
    /// ("clientchallengearmor") instead, also accepted (MIT 1.20's client ignores a KDC
    /// challenge that does not decrypt).
    fn check_kdc_challenge(
        &self,
        armor: &FastArmor,
        padata: Option<&Vec<PaData>>,
        long_term: &EncryptionKey,
        now: Timestamp,
    ) -> Result<(), ExchangeError> {
        let pa = find_padata(padata, pa_type::ENCRYPTED_CHALLENGE).ok_or_else(|| {
            ExchangeError::armor(&self.realm, "the KDC's reply has no PA-ENCRYPTED-CHALLENGE")
        })?;
        let decode = |what| {
            let realm = self.realm.clone();
            move |source| ExchangeError::Decode {
                realm,
                what,
                source,
            }
        };
        let enc = crate::asn1::EncryptedData::decode(&pa.padata_value)
            .map_err(decode("PA-ENCRYPTED-CHALLENGE"))?;
        let key = fast::kdc_challenge_key(armor.key(), long_term)?;
        let plain = match crypto::decrypt(&key, KeyUsage::ENC_CHALLENGE_KDC, &enc.cipher) {
            Ok(plain) => plain,
            // Heimdal's KDC before 8 encrypts its challenge (still with usage 55) under the
            // client's challenge key; that key, too, takes the long-term key to make.
            Err(_) => {
                let key = fast::client_challenge_key(armor.key(), long_term)?;
                let plain = crypto::decrypt(&key, KeyUsage::ENC_CHALLENGE_KDC, &enc.cipher)
                    .map_err(|_| ExchangeError::BadReplyKey)?;
                tracing::debug!(
                    realm = %self.realm,
                    "The KDC's encrypted challenge is under the client challenge key \
                     (Heimdal 7)"
                );
                plain
            }
        };
        let ts = PaEncTsEnc::decode(&plain).map_err(decode("KDC encrypted challenge"))?;
        let kdc_now = now.offset(self.kdc_offset).secs;
        if (ts.patimestamp.unix() - kdc_now).abs() > secs(self.opts.clockskew) {
            return Err(ExchangeError::armor(
                &self.realm,
                "the KDC's encrypted challenge is outside the allowed clock skew",
            ));
        }
        tracing::debug!(realm = %self.realm, "KDC encrypted challenge verified");
        Ok(())
    }

    /// The service asked for: `-S`'s name or `krbtgt/REALM`, in the realm of the request.
    fn server_name(&self) -> PrincipalName {
        match &self.opts.service {
            Some(name) => name.clone(),
            None => PrincipalName::krbtgt(&self.realm),
        }
    }

    /// RFC 6806 §11: when the KDC sets `enc-pa-rep`, the reply must carry a valid checksum
    /// of our AS-REQ, keyed with the reply key (usage 56).
    fn check_enc_pa_rep(
        &self,
        enc_padata: &Option<Vec<PaData>>,
        creds: &Credentials,
        key: &EncryptionKey,
    ) -> Result<(), ExchangeError> {
        let Some(pa) = find_padata(enc_padata.as_ref(), pa_type::REQ_ENC_PA_REP) else {
            if creds.flags.contains(TicketFlags::ENC_PA_REP) {
                return Err(ExchangeError::Mismatch(
                    "enc-pa-rep flag set but no PA-REQ-ENC-PA-REP in the reply".into(),
                ));
            }
            return Ok(());
        };
        let cksum = Checksum::decode(&pa.padata_value).map_err(|source| ExchangeError::Decode {
            realm: self.realm.clone(),
            what: "PA-REQ-ENC-PA-REP",
            source,
        })?;
        let kind = ChecksumType::from_i32(cksum.cksumtype)
            .ok_or_else(|| ExchangeError::Mismatch("unknown PA-REQ-ENC-PA-REP type".into()))?;
        crypto::verify_checksum(key, KeyUsage::AS_REQ, kind, &self.request, &cksum.checksum)
            .map_err(|_| ExchangeError::Mismatch("PA-REQ-ENC-PA-REP checksum".into()))
    }
}

fn from_unix(secs: i64) -> Result<crate::asn1::KerberosTime, ExchangeError> {
    crate::asn1::KerberosTime::from_unix(secs).ok_or(ExchangeError::Clock(secs))
}

fn pa_data(kind: i32, value: Vec<u8>) -> PaData {
    PaData {
        padata_type: kind,
        padata_value: value.into(),
    }
}

fn names(e: &[Enctype]) -> String {
    e.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ")
}

/// The default salt: the realm followed by the name components (RFC 4120 §4).
pub(crate) fn default_salt_for(p: &Principal) -> Vec<u8> {
    let mut s = p.realm.as_str().as_bytes().to_vec();
    for c in p.name.components() {
        s.extend_from_slice(c.as_bytes());
    }
    s
}

#[cfg(test)]
#[path = "as_req_tests.rs"]
pub(crate) mod tests;
