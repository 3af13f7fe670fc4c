//! The AS exchange driven by a scripted KDC written with the crate's own ASN.1 and crypto.

use super::*;
use crate::asn1::{
    AsReq, EncAsRepPart, EncKdcRepPart, EncryptedData, EtypeInfo2, EtypeInfo2Entry, KdcRep,
    KerberosFlags, KerberosTime, KeyBlock, KrbError, MethodData, Microseconds, PaData, PaEncTsEnc,
    PrincipalNameAsn1, Raw, SecretOctets, Ticket, msg_type, pa_type,
};
use crate::crypto::{self, CryptoError, CryptoPolicy, Enctype, KeyUsage, RandomSource};
use crate::error_code as ec;
use crate::exchange::{AsStep, ExchangeError, Timestamp};
use crate::{Principal, PrincipalName, Realm};

/// A deterministic byte stream (tests only).
struct Counter(u8);

impl RandomSource for Counter {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        for b in buf {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
        Ok(())
    }
}

const NOW: Timestamp = Timestamp {
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

fn options() -> AsOptions {
    AsOptions {
        client: user(),
        enctypes: vec![Enctype::Aes256CtsHmacSha196, Enctype::Aes128CtsHmacSha196],
        lifetime: 36_000,
        renew_lifetime: 0,
        forwardable: true,
        proxiable: false,
        canonicalize: false,
        clockskew: 300,
        policy: CryptoPolicy::default(),
    }
}

fn password() -> Secret {
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

fn krb_error(code: i32, stime: i64, e_data: Option<Vec<u8>>, crealm: Option<&str>) -> Vec<u8> {
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

fn preauth_required() -> Vec<u8> {
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
fn as_rep(request: &[u8], nonce_delta: u32) -> Vec<u8> {
    let req = AsReq::decode(request).unwrap().0;
    let body = req.req_body.decode().unwrap();
    let tgs = PrincipalNameAsn1::from(&PrincipalName::krbtgt(&realm()));
    let ticket = Ticket {
        tkt_vno: 5,
        realm: "ONPREM.LOCAL".into(),
        sname: tgs.clone(),
        enc_part: EncryptedData {
            etype: 18,
            kvno: None,
            cipher: vec![0u8; 40].into(),
        },
    };
    let part = EncAsRepPart(EncKdcRepPart {
        key: KeyBlock {
            keytype: 18,
            keyvalue: SecretOctets(zeroize::Zeroizing::new(vec![9; 32])),
        },
        last_req: Vec::new(),
        nonce: (body.nonce.0.wrapping_add(nonce_delta)).into(),
        key_expiration: None,
        flags: KerberosFlags(0x4000_0000),
        authtime: KerberosTime::from_unix(NOW.secs).unwrap(),
        starttime: None,
        endtime: KerberosTime::from_unix(NOW.secs + 36_000).unwrap(),
        renew_till: None,
        srealm: "ONPREM.LOCAL".into(),
        sname: tgs,
        caddr: None,
        encrypted_pa_data: None,
    });
    let cipher = crypto::encrypt(
        &user_key(),
        KeyUsage::AS_REP_ENC_PART,
        &part.to_der().unwrap(),
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

fn padata_of(request: &[u8], kind: i32) -> Option<Vec<u8>> {
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
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
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
