//! The AS exchange driven by a scripted KDC written with the crate's own ASN.1 and crypto.

use std::time::Duration;

use super::*;
use crate::asn1::{
    AsReq, EncAsRepPart, EncKdcRepPart, EncryptedData, EtypeInfo2, EtypeInfo2Entry, HostAddress,
    KdcRep, KdcReqBody, KerberosFlags, KerberosTime, KeyBlock, KrbError, MethodData, Microseconds,
    PaData, PaEncTsEnc, PrincipalNameAsn1, Raw, SecretOctets, Ticket, addr_type, kdc_options,
    msg_type, pa_type, ticket_flags,
};
use crate::crypto::{self, Counter, CryptoPolicy, Enctype, KeyUsage};
use crate::error_code as ec;
use crate::exchange::{AsStep, ExchangeError, Timestamp};
use crate::{Principal, PrincipalName, Realm};

pub(crate) const NOW: Timestamp = Timestamp {
    secs: 1_764_000_000,
    usec: 5,
};
const PASSWORD: &str = "Passw0rd-joedoe";
const SALT: &str = "ONPREM.LOCALjoedoe";

fn realm() -> Realm {
    Realm::new("ONPREM.LOCAL").unwrap()
}

fn user() -> Principal {
    Principal::parse("joedoe@ONPREM.LOCAL", None).unwrap()
}

pub(crate) fn options() -> AsOptions {
    AsOptions {
        client: user(),
        enctypes: vec![Enctype::Aes256CtsHmacSha196, Enctype::Aes128CtsHmacSha196],
        lifetime: Duration::from_secs(36_000),
        renew_lifetime: Duration::ZERO,
        forwardable: true,
        proxiable: false,
        canonicalize: false,
        clockskew: Duration::from_secs(300),
        policy: CryptoPolicy::default(),
        service: None,
        start: TicketStart::Now,
        addresses: Vec::new(),
        min_s2k_iterations: None,
        armor: None,
        disable_encrypted_timestamp: false,
    }
}

pub(crate) fn password() -> Secret {
    Secret::Password(zeroize::Zeroizing::new(PASSWORD.into()))
}

fn user_key() -> crate::crypto::EncryptionKey {
    crypto::string_to_key(
        Enctype::Aes256CtsHmacSha196,
        PASSWORD.as_bytes(),
        SALT.as_bytes(),
        None,
    )
    .unwrap()
}

pub(crate) fn krb_error(
    code: i32,
    stime: i64,
    e_data: Option<Vec<u8>>,
    crealm: Option<&str>,
) -> Vec<u8> {
    KrbError {
        pvno: 5,
        msg_type: msg_type::KRB_ERROR,
        ctime: None,
        cusec: None,
        stime: KerberosTime::from_unix(stime).unwrap(),
        susec: Microseconds::new(0).unwrap(),
        error_code: code,
        crealm: crealm.map(Into::into),
        cname: None,
        realm: "ONPREM.LOCAL".into(),
        sname: PrincipalNameAsn1::from(&PrincipalName::krbtgt(&realm())),
        e_text: None,
        e_data: e_data.map(Into::into),
    }
    .to_der()
    .unwrap()
}

pub(crate) fn preauth_required() -> Vec<u8> {
    let info = EtypeInfo2(vec![EtypeInfo2Entry {
        etype: 18,
        salt: Some(SALT.into()),
        s2kparams: None,
    }])
    .to_der()
    .unwrap();
    let methods = MethodData(vec![
        PaData {
            padata_type: pa_type::ETYPE_INFO2,
            padata_value: info.into(),
        },
        PaData {
            padata_type: pa_type::ENC_TIMESTAMP,
            padata_value: Vec::new().into(),
        },
        PaData {
            padata_type: pa_type::FX_COOKIE,
            padata_value: b"MIT".to_vec().into(),
        },
    ]);
    krb_error(
        ec::KDC_ERR_PREAUTH_REQUIRED,
        NOW.secs,
        Some(methods.to_der().unwrap()),
        None,
    )
}

/// The scripted KDC's AS-REP for `request`, with `nonce_delta` added to the echoed nonce.
pub(crate) fn as_rep(request: &[u8], nonce_delta: u32) -> Vec<u8> {
    as_rep_with(request, |part| {
        part.nonce = part.nonce.0.wrapping_add(nonce_delta).into();
    })
}

/// The AS-REP an MIT KDC would give for `request` (the server asked for, a postdated start
/// time with POSTDATED and INVALID, the requested addresses), changed by `tweak`.
fn as_rep_with(request: &[u8], tweak: impl FnOnce(&mut EncKdcRepPart)) -> Vec<u8> {
    let req = AsReq::decode(request).unwrap().0;
    let body = req.req_body.decode().unwrap();
    let sname = body
        .sname
        .clone()
        .unwrap_or_else(|| PrincipalNameAsn1::from(&PrincipalName::krbtgt(&realm())));
    let mut flags = KerberosFlags(0x4000_0000);
    let mut starttime = None;
    if body.kdc_options.is_set(kdc_options::POSTDATED) {
        flags
            .set(ticket_flags::POSTDATED)
            .set(ticket_flags::INVALID);
        starttime = body.from;
    }
    if body.kdc_options.is_set(kdc_options::ALLOW_POSTDATE) {
        flags.set(ticket_flags::MAY_POSTDATE);
    }
    let mut part = EncKdcRepPart {
        key: KeyBlock {
            keytype: 18,
            keyvalue: SecretOctets(zeroize::Zeroizing::new(vec![9; 32])),
        },
        last_req: Vec::new(),
        nonce: body.nonce,
        key_expiration: None,
        flags,
        authtime: KerberosTime::from_unix(NOW.secs).unwrap(),
        starttime,
        // As MIT's KDC: never past the requested till.
        endtime: KerberosTime::from_unix((NOW.secs + 36_000).min(body.till.unix())).unwrap(),
        renew_till: None,
        srealm: "ONPREM.LOCAL".into(),
        sname,
        caddr: body.addresses.clone(),
        encrypted_pa_data: None,
    };
    tweak(&mut part);
    let ticket = Ticket {
        tkt_vno: 5,
        realm: "ONPREM.LOCAL".into(),
        sname: part.sname.clone(),
        enc_part: EncryptedData {
            etype: 18,
            kvno: None,
            cipher: vec![0u8; 40].into(),
        },
    };
    let cipher = crypto::encrypt(
        &user_key(),
        KeyUsage::AS_REP_ENC_PART,
        &EncAsRepPart(part).to_der().unwrap(),
        &mut Counter(0),
    )
    .unwrap();
    crate::asn1::AsRep(KdcRep {
        pvno: 5,
        msg_type: msg_type::AS_REP,
        padata: None,
        crealm: "ONPREM.LOCAL".into(),
        cname: PrincipalNameAsn1::from(&user().name),
        ticket: Raw::new(&ticket).unwrap(),
        enc_part: EncryptedData {
            etype: 18,
            kvno: Some(1.into()),
            cipher: cipher.into(),
        },
    })
    .to_der()
    .unwrap()
}

pub(crate) fn padata_of(request: &[u8], kind: i32) -> Option<Vec<u8>> {
    let req = AsReq::decode(request).unwrap().0;
    req.padata?
        .into_iter()
        .find(|p| p.padata_type == kind)
        .map(|p| p.padata_value.to_vec())
}

fn send(step: AsStep) -> KdcRequest {
    match step {
        AsStep::Send(r) => r,
        AsStep::Done(_) => panic!("expected another request"),
        AsStep::NeedSecret => panic!("expected another request, got a request for the secret"),
    }
}

#[test]
fn preauth_flow_sends_timestamp_echoes_cookie_and_checks_the_reply() {
    let rng = &mut Counter(0);
    let (mut ex, first) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    assert_eq!(first.realm, realm());
    assert!(padata_of(&first.bytes, pa_type::ENC_TIMESTAMP).is_none());
    assert_eq!(
        padata_of(&first.bytes, pa_type::REQ_ENC_PA_REP),
        Some(Vec::new())
    );

    let second = send(ex.step(&preauth_required(), NOW, rng).unwrap());
    assert_eq!(
        padata_of(&second.bytes, pa_type::FX_COOKIE).unwrap(),
        b"MIT"
    );
    let enc =
        EncryptedData::decode(&padata_of(&second.bytes, pa_type::ENC_TIMESTAMP).unwrap()).unwrap();
    let ts = crypto::decrypt(&user_key(), KeyUsage::PA_ENC_TIMESTAMP, &enc.cipher).unwrap();
    let ts = PaEncTsEnc::decode(&ts).unwrap();
    assert_eq!(ts.patimestamp.unix(), NOW.secs);

    let AsStep::Done(done) = ex.step(&as_rep(&second.bytes, 0), NOW, rng).unwrap() else {
        panic!("expected credentials");
    };
    assert_eq!(done.creds.client, user());
    assert_eq!(
        done.creds.server.to_string(),
        "krbtgt/ONPREM.LOCAL@ONPREM.LOCAL"
    );
    assert_eq!(done.creds.session_key.as_bytes(), &[9; 32]);
    assert_eq!(done.kdc_offset, 0);
    assert!(matches!(
        ex.step(&[], NOW, rng),
        Err(ExchangeError::Finished)
    ));
}

#[test]
fn a_reply_with_another_nonce_is_refused() {
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    let second = send(ex.step(&preauth_required(), NOW, rng).unwrap());
    let err = ex.step(&as_rep(&second.bytes, 1), NOW, rng).unwrap_err();
    assert!(
        matches!(err, ExchangeError::Mismatch(ref m) if m == "nonce"),
        "{err}"
    );
}

#[test]
fn skew_error_is_retried_once_with_the_kdc_time() {
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    let _ = send(ex.step(&preauth_required(), NOW, rng).unwrap());
    let kdc_time = NOW.secs - 3600;
    let retry = send(
        ex.step(
            &krb_error(ec::KRB_AP_ERR_SKEW, kdc_time, None, None),
            NOW,
            rng,
        )
        .unwrap(),
    );
    let enc =
        EncryptedData::decode(&padata_of(&retry.bytes, pa_type::ENC_TIMESTAMP).unwrap()).unwrap();
    let ts = crypto::decrypt(&user_key(), KeyUsage::PA_ENC_TIMESTAMP, &enc.cipher).unwrap();
    assert_eq!(
        PaEncTsEnc::decode(&ts).unwrap().patimestamp.unix(),
        kdc_time
    );
    let err = ex
        .step(
            &krb_error(ec::KRB_AP_ERR_SKEW, kdc_time, None, None),
            NOW,
            rng,
        )
        .unwrap_err();
    assert_eq!(err.kdc_error().map(|e| e.code), Some(ec::KRB_AP_ERR_SKEW));
    assert!(err.to_string().contains("KRB_AP_ERR_SKEW"), "{err}");
}

#[test]
fn client_referral_loops_are_bounded_and_print_the_path() {
    let rng = &mut Counter(0);
    let opts = AsOptions {
        canonicalize: true,
        ..options()
    };
    let (mut ex, _) = AsExchange::new(opts, password(), NOW, rng).unwrap();
    let next = send(
        ex.step(
            &krb_error(ec::KDC_ERR_WRONG_REALM, NOW.secs, None, Some("OTHER.REALM")),
            NOW,
            rng,
        )
        .unwrap(),
    );
    assert_eq!(next.realm.as_str(), "OTHER.REALM");
    let err = ex
        .step(
            &krb_error(
                ec::KDC_ERR_WRONG_REALM,
                NOW.secs,
                None,
                Some("ONPREM.LOCAL"),
            ),
            NOW,
            rng,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "client referral loop or too many client referrals (realms: ONPREM.LOCAL -> OTHER.REALM -> ONPREM.LOCAL)"
    );
}

#[test]
fn etype_nosupp_lists_what_was_offered() {
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    let err = ex
        .step(
            &krb_error(ec::KDC_ERR_ETYPE_NOSUPP, NOW.secs, None, None),
            NOW,
            rng,
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("KDC_ERR_ETYPE_NOSUPP"), "{msg}");
    assert!(
        msg.contains("offered: aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96"),
        "{msg}"
    );
}

#[test]
fn garbage_replies_are_errors() {
    let rng = &mut Counter(0);
    for reply in [
        &[][..],
        &[0x7e, 0x03, 0x02, 0x01],
        &[0x6b, 0x00],
        &[0xff; 64],
    ] {
        let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
        assert!(ex.step(reply, NOW, rng).is_err());
    }
}

#[test]
fn a_precomputed_key_is_used_only_for_matching_inputs() {
    let rng = &mut Counter(0);
    // The precomputation guesses the default salt, which is what the scripted KDC asks for.
    let (ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    let key = ex.key_precomputation().expect("a password")().expect("a key");
    assert_eq!(key.key, user_key());
    assert_eq!(key.input.salt, SALT.as_bytes());

    // A precomputed key for the same inputs is taken as is (a wrong one then fails).
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    let wrong = crypto::string_to_key(
        Enctype::Aes256CtsHmacSha196,
        b"not the password",
        SALT.as_bytes(),
        None,
    )
    .unwrap();
    ex.use_precomputed_key(PrecomputedKey {
        input: key.input.clone(),
        key: wrong.clone(),
    });
    let second = send(ex.step(&preauth_required(), NOW, rng).unwrap());
    assert!(matches!(
        ex.step(&as_rep(&second.bytes, 0), NOW, rng),
        Err(ExchangeError::BadReplyKey)
    ));

    // For other inputs (another salt) it is ignored.
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    ex.use_precomputed_key(PrecomputedKey {
        input: S2kInput {
            salt: b"OTHER.SALT".to_vec(),
            ..key.input
        },
        key: wrong,
    });
    let second = send(ex.step(&preauth_required(), NOW, rng).unwrap());
    assert!(matches!(
        ex.step(&as_rep(&second.bytes, 0), NOW, rng),
        Ok(AsStep::Done(_))
    ));
}

fn body_of(request: &[u8]) -> KdcReqBody {
    AsReq::decode(request).unwrap().0.req_body.decode().unwrap()
}

/// Run the pre-authenticated exchange with `opts` against the scripted KDC whose reply is
/// changed by `tweak`; returns the second request's body and the outcome.
fn exchange_with(
    opts: AsOptions,
    tweak: impl FnOnce(&mut EncKdcRepPart),
) -> (KdcReqBody, Result<AsStep, ExchangeError>) {
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(opts, password(), NOW, rng).unwrap();
    let second = send(ex.step(&preauth_required(), NOW, rng).unwrap());
    let outcome = ex.step(&as_rep_with(&second.bytes, tweak), NOW, rng);
    (body_of(&second.bytes), outcome)
}

fn done(outcome: Result<AsStep, ExchangeError>) -> InitialCreds {
    match outcome {
        Ok(AsStep::Done(d)) => *d,
        Ok(AsStep::Send(_)) => panic!("expected credentials, got another request"),
        Ok(AsStep::NeedSecret) => panic!("expected credentials, got a request for the secret"),
        Err(e) => panic!("expected credentials: {e}"),
    }
}

#[test]
fn kinit_s_asks_for_the_service_in_the_client_realm() {
    let service = PrincipalName::new(
        crate::NameType::Principal,
        vec!["kadmin".into(), "admin".into()],
    )
    .unwrap();
    let opts = AsOptions {
        service: Some(service.clone()),
        ..options()
    };
    let (body, outcome) = exchange_with(opts.clone(), |_| {});
    assert_eq!(body.sname, Some(PrincipalNameAsn1::from(&service)));
    assert_eq!(body.realm.as_bytes(), b"ONPREM.LOCAL");
    let creds = done(outcome).creds;
    assert_eq!(creds.server.to_string(), "kadmin/admin@ONPREM.LOCAL");
    assert!(!creds.is_tgt());

    // A TGT (or any other server) in reply to a service request is refused, as MIT does.
    let tgs = PrincipalNameAsn1::from(&PrincipalName::krbtgt(&realm()));
    let (_, outcome) = exchange_with(opts.clone(), |p| p.sname = tgs.clone());
    let err = outcome.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Mismatch(ref m) if m.contains("kadmin/admin@ONPREM.LOCAL")),
        "{err}"
    );
    // Even with canonicalize: only a TGS request may be answered by another TGS.
    let (_, outcome) = exchange_with(
        AsOptions {
            canonicalize: true,
            ..opts
        },
        |p| p.sname = tgs,
    );
    assert!(matches!(outcome, Err(ExchangeError::Mismatch(_))));
}

#[test]
fn the_default_service_is_the_tgs_and_other_tgts_need_canonicalize() {
    let other = PrincipalNameAsn1::from(&PrincipalName::krbtgt(&Realm::new("X.Y").unwrap()));
    let (body, outcome) = exchange_with(options(), |p| p.sname = other.clone());
    assert_eq!(
        body.sname,
        Some(PrincipalNameAsn1::from(&PrincipalName::krbtgt(&realm())))
    );
    assert!(matches!(outcome, Err(ExchangeError::Mismatch(_))));
    let opts = AsOptions {
        canonicalize: true,
        ..options()
    };
    let (_, outcome) = exchange_with(opts, |p| p.sname = other);
    assert_eq!(
        done(outcome).creds.server.to_string(),
        "krbtgt/X.Y@ONPREM.LOCAL"
    );
}

#[test]
fn kinit_s_start_time_asks_for_a_postdated_ticket() {
    let opts = AsOptions {
        start: TicketStart::In(Duration::from_secs(600)),
        renew_lifetime: Duration::from_secs(60),
        ..options()
    };
    let (body, outcome) = exchange_with(opts.clone(), |_| {});
    assert!(body.kdc_options.is_set(kdc_options::POSTDATED));
    assert!(body.kdc_options.is_set(kdc_options::ALLOW_POSTDATE));
    // As MIT's default kdc_default_options.
    assert!(body.kdc_options.is_set(kdc_options::RENEWABLE_OK));
    assert_eq!(body.from.map(|t| t.unix()), Some(NOW.secs + 600));
    // Lifetimes count from the start time; the renewable time is never below the lifetime.
    assert_eq!(body.till.unix(), NOW.secs + 600 + 36_000);
    assert_eq!(body.rtime.map(|t| t.unix()), Some(NOW.secs + 600 + 36_000));
    // The ticket starts 10 minutes from now: beyond the clock skew, and accepted.
    let creds = done(outcome).creds;
    assert_eq!(creds.starttime, Some(NOW.secs + 600));
    assert!(creds.flags.invalid());
    assert!(creds.flags.contains(TicketFlags::POSTDATED));

    // A start time other than the one requested is refused (MIT's verify_as_reply).
    let (_, outcome) = exchange_with(opts, |p| {
        p.starttime = KerberosTime::from_unix(NOW.secs + 1);
    });
    let err = outcome.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Mismatch(ref m) if m.contains("postdated")),
        "{err}"
    );
}

#[test]
fn without_a_start_time_no_from_and_the_skew_check_applies() {
    let (body, outcome) = exchange_with(options(), |_| {});
    assert_eq!(body.from, None);
    assert!(!body.kdc_options.is_set(kdc_options::POSTDATED));
    assert!(!body.kdc_options.is_set(kdc_options::ALLOW_POSTDATE));
    assert_eq!(body.till.unix(), NOW.secs + 36_000);
    assert!(done(outcome).creds.starttime.is_none());
    // An unrequested start time 10 minutes away is outside the skew.
    let (_, outcome) = exchange_with(options(), |p| {
        p.starttime = KerberosTime::from_unix(NOW.secs + 600);
    });
    assert_eq!(
        outcome.unwrap_err().kdc_error().map(|e| e.code),
        Some(ec::KRB_AP_ERR_SKEW)
    );
    // A start time in the past is sent as MIT does: `from`, without the postdate options.
    let opts = AsOptions {
        start: TicketStart::Ago(Duration::from_secs(60)),
        ..options()
    };
    let (body, outcome) = exchange_with(opts, |_| {});
    assert_eq!(body.from.map(|t| t.unix()), Some(NOW.secs - 60));
    assert!(!body.kdc_options.is_set(kdc_options::POSTDATED));
    assert!(done(outcome).creds.starttime.is_none());
}

#[test]
fn kinit_a_addresses_are_sent_and_kept_with_the_ticket() {
    let addrs = vec![
        crate::exchange::HostAddress::from(std::net::IpAddr::from([192, 0, 2, 2])),
        crate::exchange::HostAddress {
            addr_type: crate::exchange::HostAddress::IPV6,
            address: vec![0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        },
    ];
    let opts = AsOptions {
        addresses: addrs.clone(),
        ..options()
    };
    let (body, outcome) = exchange_with(opts, |_| {});
    let asn1_addrs: Vec<HostAddress> = addrs.iter().map(|a| a.to_asn1()).collect();
    assert_eq!(body.addresses.as_ref(), Some(&asn1_addrs));
    assert_eq!(asn1_addrs[0].addr_type, addr_type::IPV4);
    assert_eq!(asn1_addrs[1].addr_type, addr_type::IPV6);
    let creds = done(outcome).creds;
    assert_eq!(creds.addresses, addrs);
    // The ccache form keeps them (klist -a), and back.
    let cc = creds.to_ccache();
    assert_eq!(cc.addresses.len(), 2);
    assert_eq!(cc.addresses[0].kind, 2);
    assert_eq!(cc.addresses[0].data, [192, 0, 2, 2]);
    assert_eq!(Credentials::from_ccache(&cc).unwrap().addresses, addrs);

    // -A (and the default): no addresses field at all.
    let (body, _) = exchange_with(options(), |_| {});
    assert_eq!(body.addresses, None);
}

#[test]
fn a_deferred_secret_is_asked_for_when_the_kdc_wants_preauth() {
    let rng = &mut Counter(0);
    let (mut ex, first) = AsExchange::new_deferred(options(), NOW, rng).unwrap();
    assert!(padata_of(&first.bytes, pa_type::ENC_TIMESTAMP).is_none());
    assert!(ex.key_precomputation().is_none());
    assert!(matches!(
        ex.step(&preauth_required(), NOW, rng),
        Ok(AsStep::NeedSecret)
    ));
    let second = send(ex.provide_secret(password(), NOW, rng).unwrap());
    let enc =
        EncryptedData::decode(&padata_of(&second.bytes, pa_type::ENC_TIMESTAMP).unwrap()).unwrap();
    crypto::decrypt(&user_key(), KeyUsage::PA_ENC_TIMESTAMP, &enc.cipher).unwrap();
    assert_eq!(
        padata_of(&second.bytes, pa_type::FX_COOKIE).unwrap(),
        b"MIT"
    );
    let creds = done(ex.step(&as_rep(&second.bytes, 0), NOW, rng));
    assert_eq!(creds.creds.client, user());
    // Asked once only.
    assert!(matches!(
        ex.provide_secret(password(), NOW, rng),
        Err(ExchangeError::SecretNotAsked)
    ));
}

#[test]
fn a_deferred_secret_is_not_asked_for_when_the_kdc_refuses_first() {
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new_deferred(options(), NOW, rng).unwrap();
    let err = ex
        .step(
            &krb_error(ec::KDC_ERR_C_PRINCIPAL_UNKNOWN, NOW.secs, None, None),
            NOW,
            rng,
        )
        .unwrap_err();
    assert_eq!(
        err.kdc_error().map(|e| e.code),
        Some(ec::KDC_ERR_C_PRINCIPAL_UNKNOWN)
    );
    assert!(matches!(
        ex.provide_secret(password(), NOW, rng),
        Err(ExchangeError::SecretNotAsked)
    ));
}

#[test]
fn a_deferred_secret_decrypts_a_reply_sent_without_preauth() {
    let rng = &mut Counter(0);
    let (mut ex, first) = AsExchange::new_deferred(options(), NOW, rng).unwrap();
    let reply = as_rep(&first.bytes, 0);
    assert!(matches!(ex.step(&reply, NOW, rng), Ok(AsStep::NeedSecret)));
    let creds = done(ex.provide_secret(password(), NOW, rng));
    assert_eq!(creds.creds.client, user());
    // A wrong password fails on the reply, as MIT's "Password incorrect".
    let (mut ex, first) = AsExchange::new_deferred(options(), NOW, rng).unwrap();
    let reply = as_rep(&first.bytes, 0);
    assert!(matches!(ex.step(&reply, NOW, rng), Ok(AsStep::NeedSecret)));
    let wrong = Secret::Password(zeroize::Zeroizing::new("wrong".to_owned()));
    assert!(matches!(
        ex.provide_secret(wrong, NOW, rng),
        Err(ExchangeError::BadReplyKey)
    ));
}

#[test]
fn client_referrals_are_followed_only_with_canonicalize() {
    // MIT follows KDC_ERR_WRONG_REALM only when it asked for canonicalization.
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    let err = ex
        .step(
            &krb_error(ec::KDC_ERR_WRONG_REALM, NOW.secs, None, Some("EVIL.REALM")),
            NOW,
            rng,
        )
        .unwrap_err();
    assert_eq!(
        err.kdc_error().map(|e| e.code),
        Some(ec::KDC_ERR_WRONG_REALM)
    );
    assert_eq!(ex.realm().as_str(), "ONPREM.LOCAL");
    // An enterprise name implies canonicalize, so its referral is followed.
    let ent = Principal::new(
        PrincipalName::new(
            crate::NameType::Enterprise,
            vec!["joedoe@onprem.local".into()],
        )
        .unwrap(),
        realm(),
    );
    let opts = AsOptions {
        client: ent,
        ..options()
    };
    let (mut ex, _) = AsExchange::new(opts, password(), NOW, rng).unwrap();
    let next = send(
        ex.step(
            &krb_error(ec::KDC_ERR_WRONG_REALM, NOW.secs, None, Some("OTHER.REALM")),
            NOW,
            rng,
        )
        .unwrap(),
    );
    assert_eq!(next.realm.as_str(), "OTHER.REALM");
}

/// A KDC error offering ETYPE-INFO2 with these s2kparams for aes256-sha1.
fn preauth_required_with(s2kparams: Option<Vec<u8>>, etype: i32) -> Vec<u8> {
    let info = EtypeInfo2(vec![EtypeInfo2Entry {
        etype,
        salt: Some(SALT.into()),
        s2kparams: s2kparams.map(Into::into),
    }])
    .to_der()
    .unwrap();
    let methods = MethodData(vec![
        PaData {
            padata_type: pa_type::ETYPE_INFO2,
            padata_value: info.into(),
        },
        PaData {
            padata_type: pa_type::ENC_TIMESTAMP,
            padata_value: Vec::new().into(),
        },
    ]);
    krb_error(
        ec::KDC_ERR_PREAUTH_REQUIRED,
        NOW.secs,
        Some(methods.to_der().unwrap()),
        None,
    )
}

#[test]
fn s2kparams_below_the_rfc_defaults_are_refused() {
    let rng = &mut Counter(0);
    let sha2 = AsOptions {
        enctypes: vec![Enctype::Aes256CtsHmacSha384192],
        ..options()
    };
    for (opts, etype, count, ok) in [
        (options(), 18, 1u32, false),
        (options(), 18, 4095, false),
        (options(), 18, 4096, true),
        (sha2.clone(), 20, 4096, false),
        (sha2.clone(), 20, 32767, false),
        (sha2.clone(), 20, 32768, true),
        // Configured lower for a KDC known to use fewer.
        (
            AsOptions {
                min_s2k_iterations: Some(1000),
                ..options()
            },
            18,
            1000,
            true,
        ),
    ] {
        let (mut ex, _) = AsExchange::new(opts, password(), NOW, rng).unwrap();
        let r = ex.step(
            &preauth_required_with(Some(count.to_be_bytes().to_vec()), etype),
            NOW,
            rng,
        );
        match (ok, r) {
            (true, Ok(AsStep::Send(_))) => {}
            (false, Err(e @ ExchangeError::WeakS2kParams { .. })) => {
                let m = e.to_string();
                assert!(
                    m.contains(&count.to_string()) && m.contains("ONPREM.LOCAL"),
                    "{m}"
                );
            }
            (ok, r) => panic!("etype {etype} count {count} ok={ok}: {r:?}"),
        }
    }
    // No s2kparams: the RFC default, accepted.
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    assert!(matches!(
        ex.step(&preauth_required_with(None, 18), NOW, rng),
        Ok(AsStep::Send(_))
    ));
}

#[test]
fn reply_times_are_checked() {
    let t = |s| KerberosTime::from_unix(s).unwrap();
    // Ends before it starts.
    let (_, outcome) = exchange_with(options(), |p| {
        p.starttime = Some(t(NOW.secs));
        p.endtime = t(NOW.secs - 1);
    });
    let e = outcome.unwrap_err().to_string();
    assert!(e.contains("before it starts"), "{e}");
    // Ends after the requested till.
    let (body, outcome) = exchange_with(options(), |p| p.endtime = t(NOW.secs + 36_001));
    assert_eq!(body.till.unix(), NOW.secs + 36_000);
    let e = outcome.unwrap_err().to_string();
    assert!(e.contains("after the requested end time"), "{e}");
    // Renewable beyond the requested rtime.
    let renewable = AsOptions {
        renew_lifetime: Duration::from_secs(86_400),
        ..options()
    };
    let (body, outcome) = exchange_with(renewable.clone(), |p| {
        p.flags.set(ticket_flags::RENEWABLE);
        p.renew_till = Some(t(NOW.secs + 86_401));
    });
    assert_eq!(body.rtime.map(|t| t.unix()), Some(NOW.secs + 86_400));
    let e = outcome.unwrap_err().to_string();
    assert!(e.contains("renewable until"), "{e}");
    let (_, outcome) = exchange_with(renewable, |p| {
        p.flags.set(ticket_flags::RENEWABLE);
        p.renew_till = Some(t(NOW.secs + 86_400));
    });
    assert_eq!(done(outcome).creds.renew_till, Some(NOW.secs + 86_400));
    // RENEWABLE-OK only: renewable no longer than the requested till.
    let (_, outcome) = exchange_with(options(), |p| {
        p.flags.set(ticket_flags::RENEWABLE);
        p.renew_till = Some(t(NOW.secs + 36_001));
    });
    assert!(outcome.is_err());
    // A start time in the past beyond the skew.
    let (_, outcome) = exchange_with(options(), |p| p.starttime = Some(t(NOW.secs - 301)));
    assert_eq!(
        outcome.unwrap_err().kdc_error().map(|e| e.code),
        Some(ec::KRB_AP_ERR_SKEW)
    );
}

#[test]
fn session_key_enctype_and_ticket_sname_must_match_the_request() {
    // A session key of an enctype the request did not offer.
    let (_, outcome) = exchange_with(options(), |p| p.key.keytype = 20);
    let e = outcome.unwrap_err().to_string();
    assert!(e.contains("did not offer"), "{e}");
    let (_, outcome) = exchange_with(options(), |p| {
        p.key = KeyBlock {
            keytype: 17,
            keyvalue: SecretOctets(zeroize::Zeroizing::new(vec![9; 16])),
        }
    });
    assert_eq!(
        done(outcome).creds.session_key.enctype(),
        Enctype::Aes128CtsHmacSha196
    );
}

#[test]
fn a_ticket_whose_cleartext_sname_differs_is_refused() {
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    let second = send(ex.step(&preauth_required(), NOW, rng).unwrap());
    let mut rep = crate::asn1::AsRep::decode(&as_rep(&second.bytes, 0)).unwrap();
    let mut ticket = rep.0.ticket.decode().unwrap();
    ticket.sname = PrincipalNameAsn1::from(&PrincipalName::krbtgt(&Realm::new("EVIL").unwrap()));
    rep.0.ticket = Raw::new(&ticket).unwrap();
    let e = ex
        .step(&rep.to_der().unwrap(), NOW, rng)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the ticket names server krbtgt/EVIL@ONPREM.LOCAL"),
        "{e}"
    );
}

#[test]
fn a_hostile_e_text_is_printed_escaped_and_cut() {
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    let mut e = KrbError::decode(&krb_error(
        ec::KDC_ERR_C_PRINCIPAL_UNKNOWN,
        NOW.secs,
        None,
        None,
    ))
    .unwrap();
    e.e_text = Some("\x1b]0;owned\x07\x1b[2J".repeat(700).as_str().into()); // ~10 KiB
    let err = ex
        .step(&e.to_der().unwrap(), NOW, rng)
        .unwrap_err()
        .to_string();
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err}");
    assert!(err.contains("\\x1b]0;owned\\x07"), "{err}");
    assert!(err.len() < 600, "{}", err.len());
    assert!(
        err.contains("KDC_ERR_C_PRINCIPAL_UNKNOWN") && err.contains("more bytes]"),
        "{err}"
    );
}
#[path = "as_req_fast_tests.rs"]
mod fast;

#[test]
fn the_password_expiry_comes_from_last_req_else_key_expiration() {
    fn lr(lr_type: i32, secs: i64) -> crate::asn1::LastReqEntry {
        crate::asn1::LastReqEntry {
            lr_type,
            lr_value: KerberosTime::from_unix(secs).unwrap(),
        }
    }
    let expiry = |tweak: fn(&mut EncKdcRepPart)| done(exchange_with(options(), tweak).1);
    // None sent: none.
    assert_eq!(expiry(|_| {}).password_expiry, None);
    // Account expiration (7, -7) and other types are not the password's.
    assert_eq!(
        expiry(|p| p.last_req = vec![lr(7, 1_000), lr(-7, 2_000), lr(1, 3_000)]).password_expiry,
        None
    );
    // Last-req type 6 or -6 (as Active Directory sends it), before key-expiration.
    let got = expiry(|p| {
        p.last_req = vec![lr(7, 1_000), lr(-6, 5_000)];
        p.key_expiration = Some(KerberosTime::from_unix(9_000).unwrap());
    })
    .password_expiry;
    assert_eq!(
        got,
        Some(PasswordExpiry {
            at: 5_000,
            from_last_req: true
        })
    );
    let got = expiry(|p| p.key_expiration = Some(KerberosTime::from_unix(9_000).unwrap()))
        .password_expiry;
    assert_eq!(
        got,
        Some(PasswordExpiry {
            at: 9_000,
            from_last_req: false
        })
    );
}
