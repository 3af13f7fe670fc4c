//! The armored AS exchange (RFC 6113) against a scripted FAST KDC written with the crate's
//! own ASN.1 and crypto. The scripted KDC is given the armor TGT's session key instead of
//! decrypting the ticket with a TGS key; everything else it checks and builds as RFC 6113
//! §5.4 says (and as MIT's KDC was seen to do in the lab: `cli/tests/lab_fast.rs`).

use super::*;
use crate::asn1::{
    ApReq, Authenticator, KrbFastArmoredRep, KrbFastFinished, KrbFastReq, KrbFastResponse,
    PaFxFastReply, PaFxFastRequest,
};
use crate::crypto::EncryptionKey;
use crate::exchange::Credentials;

/// The armor TGT's session key, known to the scripted KDC.
fn armor_session() -> EncryptionKey {
    EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[0x51; 32]).unwrap()
}

/// The host's TGT, `krbtgt/ONPREM.LOCAL@ONPREM.LOCAL`, as `kinit -k` would cache it.
fn armor_tgt(realm_of_tgs: &str) -> Credentials {
    let tgs = PrincipalName::krbtgt(&Realm::new(realm_of_tgs).unwrap());
    let ticket = Ticket {
        tkt_vno: 5,
        realm: "ONPREM.LOCAL".into(),
        sname: PrincipalNameAsn1::from(&tgs),
        enc_part: EncryptedData {
            etype: 18,
            kvno: Some(1.into()),
            cipher: vec![0x33; 64].into(),
        },
    };
    Credentials {
        client: Principal::parse("host/client.onprem.local@ONPREM.LOCAL", None).unwrap(),
        server: Principal::new(tgs, realm()),
        session_key: armor_session(),
        flags: TicketFlags::default(),
        authtime: NOW.secs,
        starttime: None,
        endtime: NOW.secs + 36_000,
        renew_till: None,
        addresses: Vec::new(),
        ticket: Raw::new(&ticket).unwrap().into(),
    }
}

fn armored_options() -> AsOptions {
    AsOptions {
        armor: Some(armor_tgt("ONPREM.LOCAL")),
        ..options()
    }
}

/// What the scripted KDC reads from an armored AS-REQ.
struct Unwrapped {
    armor_key: EncryptionKey,
    outer_padata: Vec<PaData>,
    fast: KrbFastReq,
    outer_body: KdcReqBody,
}

/// The KDC's side of RFC 6113 §5.4.1-5.4.2: the armor AP-REQ's subkey, the armor key, the
/// req-checksum over the outer body, the KrbFastReq.
fn kdc_unwrap(request: &[u8]) -> Unwrapped {
    kdc_unwrap_at(request, NOW.secs)
}

/// [`kdc_unwrap`] of a request whose armor authenticator should say `ctime`.
fn kdc_unwrap_at(request: &[u8], ctime: i64) -> Unwrapped {
    let req = AsReq::decode(request).unwrap().0;
    let outer_padata = req.padata.clone().unwrap();
    let fx = outer_padata
        .iter()
        .find(|p| p.padata_type == pa_type::FX_FAST)
        .expect("PA-FX-FAST");
    let PaFxFastRequest::ArmoredData(armored) = PaFxFastRequest::decode(&fx.padata_value).unwrap();
    let armor = armored.armor.expect("armor in the AS-REQ");
    assert_eq!(armor.armor_type, 1);
    let ap = ApReq::decode(&armor.armor_value).unwrap();
    let auth = crypto::decrypt(
        &armor_session(),
        KeyUsage::AP_REQ_AUTHENTICATOR,
        &ap.authenticator.cipher,
    )
    .unwrap();
    let auth = Authenticator::decode(&auth).unwrap();
    assert_eq!(auth.ctime.unix(), ctime);
    let sk = auth.subkey.expect("armor subkey");
    let subkey = EncryptionKey::new(
        Enctype::from_i32(sk.keytype).unwrap(),
        sk.keyvalue.as_bytes(),
    )
    .unwrap();
    let armor_key = crypto::cf2(&subkey, &armor_session(), b"subkeyarmor", b"ticketarmor").unwrap();
    let kind = crypto::ChecksumType::from_i32(armored.req_checksum.cksumtype).unwrap();
    crypto::verify_checksum(
        &armor_key,
        KeyUsage::FAST_REQ_CHKSUM,
        kind,
        req.req_body.as_bytes(),
        &armored.req_checksum.checksum,
    )
    .expect("req-checksum over the outer body");
    let plain =
        crypto::decrypt(&armor_key, KeyUsage::FAST_ENC, &armored.enc_fast_req.cipher).unwrap();
    Unwrapped {
        armor_key,
        outer_padata,
        fast: KrbFastReq::decode(&plain).unwrap(),
        outer_body: req.req_body.decode().unwrap(),
    }
}

fn pa(kind: i32, value: Vec<u8>) -> PaData {
    PaData {
        padata_type: kind,
        padata_value: value.into(),
    }
}

/// PA-FX-FAST holding `resp` encrypted with the armor key (usage 52).
fn fast_reply(armor_key: &EncryptionKey, resp: &KrbFastResponse) -> PaData {
    let cipher = crypto::encrypt(
        armor_key,
        KeyUsage::FAST_REP,
        &resp.to_der().unwrap(),
        &mut Counter(7),
    )
    .unwrap();
    let rep = PaFxFastReply::ArmoredData(KrbFastArmoredRep {
        enc_fast_rep: EncryptedData {
            etype: armor_key.enctype().to_i32(),
            kvno: None,
            cipher: cipher.into(),
        },
    });
    pa(pa_type::FX_FAST, rep.to_der().unwrap())
}

fn etype_info2() -> PaData {
    let info = EtypeInfo2(vec![EtypeInfo2Entry {
        etype: 18,
        salt: Some(SALT.into()),
        s2kparams: None,
    }]);
    pa(pa_type::ETYPE_INFO2, info.to_der().unwrap())
}

/// MIT's armored KDC_ERR_PREAUTH_REQUIRED: the real error in PA-FX-ERROR, the methods and
/// cookie beside it in the KrbFastResponse, the outer error carrying only PA-FX-FAST.
fn armored_error(u: &Unwrapped, code: i32, methods: Vec<PaData>, nonce_delta: u32) -> Vec<u8> {
    let inner = krb_error(code, NOW.secs, None, None);
    let mut padata = vec![pa(pa_type::FX_ERROR, inner)];
    padata.extend(methods);
    let resp = KrbFastResponse {
        padata,
        strengthen_key: None,
        finished: None,
        nonce: u.outer_body.nonce.0.wrapping_add(nonce_delta).into(),
    };
    let e_data = MethodData(vec![fast_reply(&u.armor_key, &resp)]);
    krb_error(code, NOW.secs, Some(e_data.to_der().unwrap()), None)
}

fn preauth_methods() -> Vec<PaData> {
    vec![
        etype_info2(),
        pa(pa_type::ENCRYPTED_CHALLENGE, Vec::new()),
        pa(pa_type::FX_COOKIE, b"MIT-cookie".to_vec()),
    ]
}

const STRENGTHEN: [u8; 32] = [0x77; 32];

/// How the scripted KDC's armored AS-REP is spoiled, or made as Heimdal's KDC makes it.
#[derive(Default)]
struct Spoil {
    ticket_checksum: bool,
    nonce: bool,
    no_kdc_challenge: bool,
    unarmored: bool,
    /// The KDC challenge under a key made with a pepper of neither kind.
    bad_kdc_challenge: bool,
    /// As Heimdal 7.8's KDC (kdc/kerberos5.c, fast.c): its challenge under the client
    /// challenge key, no strengthen key, the outer cname and crealm left empty.
    heimdal7: bool,
}

/// The armored AS-REP for the pre-authenticated `request`: the enc-part under the reply key
/// strengthened (RFC 6113 §5.4.3), KrbFastFinished over the ticket, the KDC's encrypted
/// challenge.
fn armored_as_rep(request: &[u8], spoil: Spoil) -> Vec<u8> {
    let u = kdc_unwrap(request);
    let plain_rep = crate::asn1::AsRep::decode(&as_rep(request, 0)).unwrap();
    let mut rep = plain_rep.0;
    let part =
        crypto::decrypt(&user_key(), KeyUsage::AS_REP_ENC_PART, &rep.enc_part.cipher).unwrap();
    let strengthen = EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &STRENGTHEN).unwrap();
    let reply_key = if spoil.heimdal7 {
        user_key()
    } else {
        crypto::cf2(&strengthen, &user_key(), b"strengthenkey", b"replykey").unwrap()
    };
    rep.enc_part.cipher = crypto::encrypt(
        &reply_key,
        KeyUsage::AS_REP_ENC_PART,
        &part,
        &mut Counter(3),
    )
    .unwrap()
    .into();
    let mut ticket_bytes = rep.ticket.as_bytes().to_vec();
    if spoil.ticket_checksum {
        ticket_bytes.push(0);
    }
    let finished = KrbFastFinished {
        timestamp: KerberosTime::from_unix(NOW.secs).unwrap(),
        usec: Microseconds::new(0).unwrap(),
        crealm: "ONPREM.LOCAL".into(),
        cname: PrincipalNameAsn1::from(&user().name),
        ticket_checksum: crate::asn1::Checksum {
            cksumtype: crypto::ChecksumType::for_enctype(u.armor_key.enctype()).to_i32(),
            checksum: crypto::checksum(&u.armor_key, KeyUsage::FAST_FINISHED, &ticket_bytes)
                .unwrap()
                .into(),
        },
    };
    let pepper: &[u8] = match (spoil.heimdal7, spoil.bad_kdc_challenge) {
        (_, true) => b"otherchallengearmor",
        (true, false) => b"clientchallengearmor",
        (false, false) => b"kdcchallengearmor",
    };
    let kdc_key = crypto::cf2(&u.armor_key, &user_key(), pepper, b"challengelongterm").unwrap();
    let ts = PaEncTsEnc {
        patimestamp: KerberosTime::from_unix(NOW.secs).unwrap(),
        pausec: None,
    };
    let challenge = EncryptedData {
        etype: 18,
        kvno: None,
        cipher: crypto::encrypt(
            &kdc_key,
            KeyUsage::ENC_CHALLENGE_KDC,
            &ts.to_der().unwrap(),
            &mut Counter(5),
        )
        .unwrap()
        .into(),
    };
    let mut padata = Vec::new();
    if !spoil.no_kdc_challenge {
        padata.push(pa(
            pa_type::ENCRYPTED_CHALLENGE,
            challenge.to_der().unwrap(),
        ));
    }
    let resp = KrbFastResponse {
        padata,
        strengthen_key: (!spoil.heimdal7).then(|| KeyBlock {
            keytype: 18,
            keyvalue: SecretOctets(zeroize::Zeroizing::new(STRENGTHEN.to_vec())),
        }),
        finished: Some(finished),
        nonce: u
            .outer_body
            .nonce
            .0
            .wrapping_add(u32::from(spoil.nonce))
            .into(),
    };
    rep.padata = (!spoil.unarmored).then(|| vec![fast_reply(&u.armor_key, &resp)]);
    if spoil.heimdal7 {
        rep.crealm = "".into();
        rep.cname = PrincipalNameAsn1 {
            name_type: 0,
            name_string: Vec::new(),
        };
    }
    crate::asn1::AsRep(rep).to_der().unwrap()
}

/// Armored first request, the armored PREAUTH_REQUIRED, the second request.
fn to_second_request() -> (AsExchange, KdcRequest, Counter) {
    let mut rng = Counter(0);
    let (mut ex, first) = AsExchange::new(armored_options(), password(), NOW, &mut rng).unwrap();
    let u = kdc_unwrap(&first.bytes);
    let err = armored_error(&u, ec::KDC_ERR_PREAUTH_REQUIRED, preauth_methods(), 0);
    let second = send(ex.step(&err, NOW, &mut rng).unwrap());
    (ex, second, rng)
}

#[test]
fn armored_exchange_with_encrypted_challenge_and_strengthened_reply_key() {
    let mut rng = Counter(0);
    let (mut ex, first) = AsExchange::new(armored_options(), password(), NOW, &mut rng).unwrap();
    // Outside: only PA-FX-FAST; inside: the real padata and the same body.
    let u = kdc_unwrap(&first.bytes);
    assert_eq!(u.outer_padata.len(), 1);
    assert_eq!(u.fast.req_body, u.outer_body);
    let inner: Vec<i32> = u.fast.padata.iter().map(|p| p.padata_type).collect();
    assert_eq!(inner, vec![pa_type::REQ_ENC_PA_REP]);

    let err = armored_error(&u, ec::KDC_ERR_PREAUTH_REQUIRED, preauth_methods(), 0);
    let second = send(ex.step(&err, NOW, &mut rng).unwrap());
    let u2 = kdc_unwrap(&second.bytes);
    assert_eq!(u2.outer_padata.len(), 1);
    let find = |k| u2.fast.padata.iter().find(|p| p.padata_type == k);
    assert!(
        find(pa_type::ENC_TIMESTAMP).is_none(),
        "no encrypted timestamp inside FAST"
    );
    assert_eq!(
        &find(pa_type::FX_COOKIE).unwrap().padata_value[..],
        b"MIT-cookie"
    );
    // The KDC's side of RFC 6113 §5.4.6: the client challenge key opens the timestamp.
    let enc =
        EncryptedData::decode(&find(pa_type::ENCRYPTED_CHALLENGE).unwrap().padata_value).unwrap();
    let client_key = crypto::cf2(
        &u2.armor_key,
        &user_key(),
        b"clientchallengearmor",
        b"challengelongterm",
    )
    .unwrap();
    let ts = crypto::decrypt(&client_key, KeyUsage::ENC_CHALLENGE_CLIENT, &enc.cipher).unwrap();
    assert_eq!(
        PaEncTsEnc::decode(&ts).unwrap().patimestamp.unix(),
        NOW.secs
    );

    let creds = done(ex.step(
        &armored_as_rep(&second.bytes, Spoil::default()),
        NOW,
        &mut rng,
    ));
    assert_eq!(creds.creds.client, user());
    assert!(creds.creds.is_tgt());
}

#[test]
fn heimdal7_armored_reply_is_taken() {
    // The client's name from KrbFastFinished, the unstrengthened reply key, the KDC's
    // challenge under the client challenge key (lab test `lab_heimdal` has the real KDC).
    let (mut ex, second, mut rng) = to_second_request();
    let spoil = Spoil {
        heimdal7: true,
        ..Spoil::default()
    };
    let creds = done(ex.step(&armored_as_rep(&second.bytes, spoil), NOW, &mut rng));
    assert_eq!(creds.creds.client, user());
    // A KDC challenge under any other key still fails.
    let (mut ex, second, mut rng) = to_second_request();
    let spoil = Spoil {
        heimdal7: true,
        bad_kdc_challenge: true,
        ..Spoil::default()
    };
    let err = match ex.step(&armored_as_rep(&second.bytes, spoil), NOW, &mut rng) {
        Err(e) => e,
        Ok(_) => panic!("a KDC challenge under another key was accepted"),
    };
    assert!(matches!(err, ExchangeError::BadReplyKey), "{err}");
}

#[test]
fn armored_reply_checks_fail_closed() {
    let cases: [(Spoil, &str); 4] = [
        (
            Spoil {
                ticket_checksum: true,
                ..Spoil::default()
            },
            "ticket was modified",
        ),
        (
            Spoil {
                nonce: true,
                ..Spoil::default()
            },
            "nonce",
        ),
        (
            Spoil {
                no_kdc_challenge: true,
                ..Spoil::default()
            },
            "PA-ENCRYPTED-CHALLENGE",
        ),
        (
            Spoil {
                unarmored: true,
                ..Spoil::default()
            },
            "not armored",
        ),
    ];
    for (spoil, says) in cases {
        let (mut ex, second, mut rng) = to_second_request();
        let err = match ex.step(&armored_as_rep(&second.bytes, spoil), NOW, &mut rng) {
            Err(e) => e,
            Ok(_) => panic!("a spoiled reply ({says}) was accepted"),
        };
        assert!(
            matches!(&err, ExchangeError::Armor { detail: m, .. } if m.contains(says)),
            "{says}: {err}"
        );
        // The message names the realm and, once the driver adds it, the KDC.
        let text = err.with_kdc("127.0.0.1:88").to_string();
        assert!(
            text.starts_with("FAST armor, realm ONPREM.LOCAL, KDC 127.0.0.1:88: "),
            "{text}"
        );
    }
}

#[test]
fn armored_errors_are_unwrapped_and_checked() {
    // A wrong password: KDC_ERR_PREAUTH_FAILED inside the FAST reply.
    let (mut ex, second, mut rng) = to_second_request();
    let u = kdc_unwrap(&second.bytes);
    let err = ex
        .step(
            &armored_error(&u, ec::KDC_ERR_PREAUTH_FAILED, Vec::new(), 0),
            NOW,
            &mut rng,
        )
        .unwrap_err();
    assert_eq!(
        err.kdc_error().map(|e| e.code),
        Some(ec::KDC_ERR_PREAUTH_FAILED)
    );

    // Another nonce in the FAST reply.
    let mut rng = Counter(0);
    let (mut ex, first) = AsExchange::new(armored_options(), password(), NOW, &mut rng).unwrap();
    let u = kdc_unwrap(&first.bytes);
    let bad = armored_error(&u, ec::KDC_ERR_PREAUTH_REQUIRED, preauth_methods(), 1);
    let err = ex.step(&bad, NOW, &mut rng).unwrap_err();
    assert!(
        matches!(&err, ExchangeError::Armor { detail: m, .. } if m.contains("nonce")),
        "{err}"
    );

    // An unarmored PREAUTH_REQUIRED could have come from anyone: refused.
    let (mut ex, _) = AsExchange::new(armored_options(), password(), NOW, &mut rng).unwrap();
    let err = ex.step(&preauth_required(), NOW, &mut rng).unwrap_err();
    assert!(
        matches!(&err, ExchangeError::Armor { detail: m, .. } if m.contains("unarmored")),
        "{err}"
    );

    // Armored, but no encrypted challenge offered: MIT's client, too, sends no encrypted
    // timestamp inside FAST.
    let (mut ex, first) = AsExchange::new(armored_options(), password(), NOW, &mut rng).unwrap();
    let u = kdc_unwrap(&first.bytes);
    let only_ts = vec![etype_info2(), pa(pa_type::ENC_TIMESTAMP, Vec::new())];
    let err = ex
        .step(
            &armored_error(&u, ec::KDC_ERR_PREAUTH_REQUIRED, only_ts, 0),
            NOW,
            &mut rng,
        )
        .unwrap_err();
    assert!(matches!(err, ExchangeError::PreauthUnavailable(_)), "{err}");
}

#[test]
fn an_unarmored_request_to_a_fast_only_kdc_says_to_use_armor() {
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(options(), password(), NOW, rng).unwrap();
    // What MIT's KDC sends with encrypted timestamp disabled.
    let methods = MethodData(vec![
        pa(pa_type::FX_FAST, Vec::new()),
        etype_info2(),
        pa(pa_type::FX_COOKIE, b"MIT".to_vec()),
    ]);
    let reply = krb_error(
        ec::KDC_ERR_PREAUTH_REQUIRED,
        NOW.secs,
        Some(methods.to_der().unwrap()),
        None,
    );
    let err = ex
        .step(&reply, NOW, rng)
        .unwrap_err()
        .with_kdc("127.0.0.1:88");
    assert_eq!(err.kdc_error_code(), Some(ec::KDC_ERR_PREAUTH_REQUIRED));
    let text = err.to_string();
    assert!(
        text.contains("the KDC requires FAST armor: use -T with a machine TGT")
            && text.contains("ONPREM.LOCAL")
            && text.contains("127.0.0.1:88"),
        "{text}"
    );
}

#[test]
fn disable_encrypted_timestamp_never_sends_one() {
    let rng = &mut Counter(0);
    let opts = AsOptions {
        disable_encrypted_timestamp: true,
        ..options()
    };
    let (mut ex, _) = AsExchange::new(opts, password(), NOW, rng).unwrap();
    let err = ex.step(&preauth_required(), NOW, rng).unwrap_err();
    match err {
        ExchangeError::PreauthUnavailable(p) => {
            assert!(p.enc_timestamp_disabled && !p.needs_armor);
            assert!(p.to_string().contains("disable_encrypted_timestamp"));
        }
        e => panic!("{e}"),
    }
}

#[test]
fn armor_must_be_the_tgt_of_the_request_realm() {
    let opts = AsOptions {
        armor: Some(armor_tgt("AD.MYAWS.COM")),
        ..options()
    };
    let err = match AsExchange::new(opts, password(), NOW, &mut Counter(0)) {
        Err(e) => e,
        Ok(_) => panic!("armor of another realm accepted"),
    };
    assert!(
        matches!(&err, ExchangeError::Armor { detail: m, .. } if m.contains("krbtgt/ONPREM.LOCAL")),
        "{err}"
    );
}

#[test]
fn a_skew_error_rebuilds_the_armor_with_the_kdc_time() {
    // The KDC could not check the armor authenticator's time: an unarmored KRB_AP_ERR_SKEW.
    let rng = &mut Counter(0);
    let (mut ex, _) = AsExchange::new(armored_options(), password(), NOW, rng).unwrap();
    let kdc_time = NOW.secs + 3_600;
    let skew = krb_error(ec::KRB_AP_ERR_SKEW, kdc_time, None, None);
    let retry = send(ex.step(&skew, NOW, rng).unwrap());
    let u = kdc_unwrap_at(&retry.bytes, kdc_time);
    assert_eq!(u.fast.req_body, u.outer_body);
}
