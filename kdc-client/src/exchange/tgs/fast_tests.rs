//! The armored TGS exchange (RFC 6113, implicit TGT armor) against a scripted KDC that checks
//! the request as MIT's KDC does (req-checksum over the PA-TGS-REQ's AP-REQ) and answers with
//! a strengthened reply key and KrbFastFinished; MIT's KDC itself is in kdc-client's
//! `lab_fast` test.

use super::*;
use crate::asn1::{
    ApReq, Authenticator, KerberosString, KeyBlock, Microseconds, PrincipalNameAsn1, SecretOctets,
    msg_type,
};
use crate::asn1::{
    KrbError, KrbFastArmoredRep, KrbFastFinished, KrbFastReq, KrbFastResponse, MethodData,
    PaFxFastReply, PaFxFastRequest,
};
use crate::error_code as ec;

const NOW: Timestamp = Timestamp {
    secs: 1_700_000_100,
    usec: 0,
};
const STRENGTHEN: [u8; 32] = [0x77; 32];

fn fast_opts() -> TgsOptions {
    TgsOptions {
        fast: true,
        ..opts(false)
    }
}

/// The KDC's view of an armored TGS-REQ: the subkey, the armor key, the KrbFastReq.
struct Seen {
    subkey: EncryptionKey,
    armor_key: EncryptionKey,
    fast: KrbFastReq,
    nonce: u32,
}

fn kdc_unwrap(tgt: &Credentials, req: &KdcRequest) -> Seen {
    let req = TgsReq::decode(&req.bytes).unwrap().0;
    let padata = req.padata.clone().unwrap();
    let kinds: Vec<i32> = padata.iter().map(|p| p.padata_type).collect();
    assert_eq!(kinds, vec![pa_type::TGS_REQ, pa_type::FX_FAST]);
    let ap = ApReq::decode(&padata[0].padata_value).unwrap();
    let auth = crypto::decrypt(
        &tgt.session_key,
        KeyUsage::TGS_REQ_AUTHENTICATOR,
        &ap.authenticator.cipher,
    )
    .unwrap();
    let sk = Authenticator::decode(&auth).unwrap().subkey.unwrap();
    let subkey = EncryptionKey::new(Enctype::Aes256CtsHmacSha196, sk.keyvalue.as_bytes()).unwrap();
    let armor_key = crypto::cf2(&subkey, &tgt.session_key, b"subkeyarmor", b"ticketarmor").unwrap();
    let PaFxFastRequest::ArmoredData(armored) =
        PaFxFastRequest::decode(&padata[1].padata_value).unwrap();
    assert!(armored.armor.is_none(), "implicit armor: no armor field");
    let kind = crypto::ChecksumType::from_i32(armored.req_checksum.cksumtype).unwrap();
    crypto::verify_checksum(
        &armor_key,
        KeyUsage::FAST_REQ_CHKSUM,
        kind,
        &padata[0].padata_value,
        &armored.req_checksum.checksum,
    )
    .expect("req-checksum over the AP-REQ");
    let plain =
        crypto::decrypt(&armor_key, KeyUsage::FAST_ENC, &armored.enc_fast_req.cipher).unwrap();
    let fast = KrbFastReq::decode(&plain).unwrap();
    let body = req.req_body.decode().unwrap();
    assert_eq!(fast.req_body, body);
    assert!(fast.padata.is_empty());
    Seen {
        subkey,
        armor_key,
        fast,
        nonce: body.nonce.0,
    }
}

fn fast_padata(armor_key: &EncryptionKey, resp: &KrbFastResponse) -> PaData {
    let cipher = crypto::encrypt(
        armor_key,
        KeyUsage::FAST_REP,
        &resp.to_der().unwrap(),
        &mut OsRandom,
    )
    .unwrap();
    let rep = PaFxFastReply::ArmoredData(KrbFastArmoredRep {
        enc_fast_rep: EncryptedData {
            etype: 18,
            kvno: None,
            cipher: cipher.into(),
        },
    });
    PaData {
        padata_type: pa_type::FX_FAST,
        padata_value: rep.to_der().unwrap().into(),
    }
}

/// The armored TGS-REP; `spoil_ticket` makes the finished checksum cover other bytes.
fn armored_reply(
    tgt: &Credentials,
    req: &KdcRequest,
    server: &Principal,
    spoil_ticket: bool,
) -> Vec<u8> {
    let seen = kdc_unwrap(tgt, req);
    let strengthen = EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &STRENGTHEN).unwrap();
    let reply_key = crypto::cf2(&strengthen, &seen.subkey, b"strengthenkey", b"replykey").unwrap();
    reply_with(
        tgt,
        req,
        server,
        (&reply_key, KeyUsage::TGS_REP_ENC_PART_SUBKEY),
        |ticket| {
            let mut covered = ticket.to_vec();
            if spoil_ticket {
                covered.push(0);
            }
            let finished = KrbFastFinished {
                timestamp: KerberosTime::from_unix(NOW.secs).unwrap(),
                usec: Microseconds::new(0).unwrap(),
                crealm: KerberosString::from(&tgt.client.realm),
                cname: PrincipalNameAsn1::from(&tgt.client.name),
                ticket_checksum: Checksum {
                    cksumtype: crypto::ChecksumType::for_enctype(seen.armor_key.enctype()).to_i32(),
                    checksum: crypto::checksum(&seen.armor_key, KeyUsage::FAST_FINISHED, &covered)
                        .unwrap()
                        .into(),
                },
            };
            let resp = KrbFastResponse {
                padata: Vec::new(),
                strengthen_key: Some(KeyBlock {
                    keytype: 18,
                    keyvalue: SecretOctets(zeroize::Zeroizing::new(STRENGTHEN.to_vec())),
                }),
                finished: Some(finished),
                nonce: seen.nonce.into(),
            };
            Some(vec![fast_padata(&seen.armor_key, &resp)])
        },
    )
}

#[test]
fn armored_tgs_with_implicit_armor_and_strengthened_reply_key() {
    let tgt = tgt();
    let server = princ("host/db.onprem.local@ONPREM.LOCAL");
    let (ex, req) = TgsExchange::new(&tgt, &server, &fast_opts(), NOW, &mut OsRandom).unwrap();
    let seen = kdc_unwrap(&tgt, &req);
    assert_eq!(seen.fast.fast_options, KerberosFlags::default());
    let creds = ex
        .step(&armored_reply(&tgt, &req, &server, false))
        .expect("armored TGS-REP");
    assert_eq!(creds.server, server);
}

#[test]
fn armored_tgs_replies_fail_closed() {
    let tgt = tgt();
    let server = princ("host/db.onprem.local@ONPREM.LOCAL");
    let (ex, req) = TgsExchange::new(&tgt, &server, &fast_opts(), NOW, &mut OsRandom).unwrap();
    let err = ex
        .step(&armored_reply(&tgt, &req, &server, true))
        .unwrap_err();
    assert!(
        matches!(&err, ExchangeError::Armor { detail, .. } if detail.contains("ticket was modified")),
        "{err}"
    );
    // An unarmored reply is taken only under the subkey: not under the session key.
    assert!(ex.step(&reply(&tgt, &req, &server)).is_err());
    // An armored reply stripped of its PA-FX-FAST: under the strengthened key, so it does not
    // decrypt with the subkey.
    let mut stripped = TgsRep::decode(&armored_reply(&tgt, &req, &server, false))
        .unwrap()
        .0;
    stripped.padata = None;
    let stripped = TgsRep(stripped).to_der().unwrap();
    assert!(ex.step(&stripped).is_err());
}

#[test]
fn an_unarmored_reply_under_the_subkey_is_taken_like_mit() {
    // Heimdal 7.8's KDC ignores PA-FX-FAST in TGS requests and answers under the subkey
    // (lab test `lab_heimdal`); MIT's library accepts that reply.
    let tgt = tgt();
    let server = princ("host/db.onprem.local@ONPREM.LOCAL");
    let (ex, req) = TgsExchange::new(&tgt, &server, &fast_opts(), NOW, &mut OsRandom).unwrap();
    let seen = kdc_unwrap(&tgt, &req);
    let rep = reply_with(
        &tgt,
        &req,
        &server,
        (&seen.subkey, KeyUsage::TGS_REP_ENC_PART_SUBKEY),
        |_| None,
    );
    assert_eq!(ex.step(&rep).expect("unarmored TGS-REP").server, server);
}

#[test]
fn armored_tgs_errors_are_unwrapped() {
    let tgt = tgt();
    let server = princ("host/nobody@ONPREM.LOCAL");
    let (ex, req) = TgsExchange::new(&tgt, &server, &fast_opts(), NOW, &mut OsRandom).unwrap();
    let seen = kdc_unwrap(&tgt, &req);
    let error = |code, e_data: Option<Vec<u8>>| KrbError {
        pvno: 5,
        msg_type: msg_type::KRB_ERROR,
        ctime: None,
        cusec: None,
        stime: KerberosTime::from_unix(NOW.secs).unwrap(),
        susec: Microseconds::new(0).unwrap(),
        error_code: code,
        crealm: None,
        cname: None,
        realm: "ONPREM.LOCAL".into(),
        sname: PrincipalNameAsn1::from(&server.name),
        e_text: None,
        e_data: e_data.map(Into::into),
    };
    let inner = error(ec::KDC_ERR_S_PRINCIPAL_UNKNOWN, None);
    let resp = KrbFastResponse {
        padata: vec![PaData {
            padata_type: pa_type::FX_ERROR,
            padata_value: inner.to_der().unwrap().into(),
        }],
        strengthen_key: None,
        finished: None,
        nonce: seen.nonce.into(),
    };
    let e_data = MethodData(vec![fast_padata(&seen.armor_key, &resp)]);
    // Another outer code: the one inside the FAST reply counts.
    let outer = error(ec::KDC_ERR_PREAUTH_FAILED, Some(e_data.to_der().unwrap()));
    let err = ex.step(&outer.to_der().unwrap()).unwrap_err();
    assert_eq!(
        err.kdc_error().map(|e| e.code),
        Some(ec::KDC_ERR_S_PRINCIPAL_UNKNOWN),
        "{err}"
    );
}

/// An unarmored TGS request answered with a KRB-ERROR naming PA-FX-FAST in its METHOD-DATA
/// asks for FAST (the client then retries once armored); other errors, other e-data and
/// armored exchanges do not.
#[test]
fn an_error_with_pa_fx_fast_asks_an_unarmored_request_for_fast() {
    let tgt = tgt();
    let server = princ("host/db@ONPREM.LOCAL");
    let (plain, _) = TgsExchange::new(&tgt, &server, &opts(false), NOW, &mut OsRandom).unwrap();
    let (armored, _) = TgsExchange::new(&tgt, &server, &fast_opts(), NOW, &mut OsRandom).unwrap();
    let error = |code, e_data: Option<Vec<u8>>| {
        KrbError {
            pvno: 5,
            msg_type: msg_type::KRB_ERROR,
            ctime: None,
            cusec: None,
            stime: KerberosTime::from_unix(NOW.secs).unwrap(),
            susec: Microseconds::new(0).unwrap(),
            error_code: code,
            crealm: None,
            cname: None,
            realm: "ONPREM.LOCAL".into(),
            sname: PrincipalNameAsn1::from(&server.name),
            e_text: None,
            e_data: e_data.map(Into::into),
        }
        .to_der()
        .unwrap()
    };
    let pa = |t| PaData {
        padata_type: t,
        padata_value: Vec::new().into(),
    };
    let fast = MethodData(vec![pa(pa_type::FX_FAST)]).to_der().unwrap();
    let fast_and_more = MethodData(vec![pa(pa_type::ETYPE_INFO2), pa(pa_type::FX_FAST)])
        .to_der()
        .unwrap();
    let other = MethodData(vec![pa(pa_type::ETYPE_INFO2)]).to_der().unwrap();
    // KDC_ERR_POLICY (12), KDC_ERR_PREAUTH_REQUIRED.
    for code in [12, ec::KDC_ERR_PREAUTH_REQUIRED] {
        assert!(
            plain.fast_demanded(&error(code, Some(fast.clone()))),
            "{code}"
        );
        assert!(plain.fast_demanded(&error(code, Some(fast_and_more.clone()))));
        assert!(!armored.fast_demanded(&error(code, Some(fast.clone()))));
        assert!(!plain.fast_demanded(&error(code, Some(other.clone()))));
        assert!(!plain.fast_demanded(&error(code, None)));
        assert!(!plain.fast_demanded(&error(code, Some(b"\x30\x80junk".to_vec()))));
    }
    assert!(!plain.fast_demanded(b""));
    assert!(!plain.fast_demanded(b"\x7e\x03junk"));
    assert!(!plain.fast_demanded(b"\x6d\x00"));
}
