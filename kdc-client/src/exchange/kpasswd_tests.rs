//! The change-password exchange against a scripted server written with the asn1 types and
//! `crypto`: it opens the request as MIT's kadmind does (AP-REQ under the session key, the
//! KRB-PRIV under the authenticator's subkey) and answers with AP-REP + KRB-PRIV.

use super::*;
use crate::Principal;
use crate::asn1::{
    ApReq, Authenticator, KerberosString, Microseconds, PrincipalNameAsn1, msg_type,
};
use crate::asn1::{EncryptedData, KerberosTime, Raw, Ticket, addr_type};
use crate::crypto::Counter;

fn princ(s: &str) -> Principal {
    Principal::parse(s, None).unwrap()
}

fn creds() -> Credentials {
    let server = princ("kadmin/changepw@ONPREM.LOCAL");
    Credentials {
        client: princ("joedoe@ONPREM.LOCAL"),
        ticket: Raw::new(&Ticket {
            tkt_vno: 5,
            realm: KerberosString::from(&server.realm),
            sname: PrincipalNameAsn1::from(&server.name),
            enc_part: EncryptedData {
                etype: 18,
                kvno: None,
                cipher: vec![0u8; 32].into(),
            },
        })
        .unwrap()
        .into(),
        server,
        session_key: EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[7; 32]).unwrap(),
        flags: crate::exchange::TicketFlags::default(),
        authtime: 1_700_000_000,
        starttime: None,
        endtime: 1_700_000_300,
        renew_till: None,
        addresses: Vec::new(),
    }
}

fn sender() -> HostAddress {
    HostAddress {
        addr_type: addr_type::IPV4,
        address: vec![127, 0, 0, 1].into(),
    }
}

const NOW: Timestamp = Timestamp {
    secs: 1_700_000_010,
    usec: 4242,
};

/// What the server learns from a request.
pub(crate) struct Opened {
    authenticator: Authenticator,
    subkey: EncryptionKey,
    pub(crate) part: EncKrbPrivPart,
}

pub(crate) fn open(req: &[u8], session: &EncryptionKey) -> Opened {
    assert_eq!(usize::from(be16(req, 0).unwrap()), req.len());
    assert_eq!(be16(req, 2), Some(1));
    let ap_len = usize::from(be16(req, 4).unwrap());
    let ap_req = ApReq::decode(&req[6..6 + ap_len]).unwrap();
    let plain = crypto::decrypt(
        session,
        KeyUsage::AP_REQ_AUTHENTICATOR,
        &ap_req.authenticator.cipher,
    )
    .unwrap();
    let authenticator = Authenticator::decode(&plain).unwrap();
    let subkey = key_from_block(authenticator.subkey.as_ref().unwrap()).unwrap();
    let krb_priv = KrbPriv::decode(&req[6 + ap_len..]).unwrap();
    let plain = crypto::decrypt(
        &subkey,
        KeyUsage::KRB_PRIV_ENC_PART,
        &krb_priv.enc_part.cipher,
    )
    .unwrap();
    let part = EncKrbPrivPart::decode(&plain).unwrap();
    Opened {
        authenticator,
        subkey,
        part,
    }
}

/// The server's reply frame: AP-REP (echoing the authenticator's time) and a KRB-PRIV with
/// `code` and `text`.
pub(crate) fn answer(o: &Opened, session: &EncryptionKey, code: u16, text: &[u8]) -> Vec<u8> {
    let rng = &mut Counter(9);
    let server_seq = 77;
    let rep_part = EncApRepPart {
        ctime: o.authenticator.ctime,
        cusec: o.authenticator.cusec,
        subkey: None,
        seq_number: Some(UInt32Lenient(server_seq)),
    };
    let ap_rep = ApRep {
        pvno: 5,
        msg_type: msg_type::AP_REP,
        enc_part: encrypt_data(
            session,
            KeyUsage::AP_REP_ENC_PART,
            &rep_part.to_der().unwrap(),
            rng,
        )
        .unwrap(),
    }
    .to_der()
    .unwrap();
    let mut data = code.to_be_bytes().to_vec();
    data.extend_from_slice(text);
    let part = EncKrbPrivPart {
        user_data: data.into(),
        timestamp: None,
        usec: None,
        seq_number: Some(UInt32Lenient(server_seq)),
        s_address: sender(),
        r_address: None,
    };
    let krb_priv = KrbPriv {
        pvno: 5,
        msg_type: msg_type::KRB_PRIV,
        enc_part: encrypt_data(
            &o.subkey,
            KeyUsage::KRB_PRIV_ENC_PART,
            &part.to_der().unwrap(),
            rng,
        )
        .unwrap(),
    }
    .to_der()
    .unwrap();
    frame(1, &ap_rep, &krb_priv)
}

fn frame(version: u16, ap: &[u8], rest: &[u8]) -> Vec<u8> {
    let total = 6 + ap.len() + rest.len();
    let mut out = (total as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(ap.len() as u16).to_be_bytes());
    out.extend_from_slice(ap);
    out.extend_from_slice(rest);
    out
}

fn krb_error(code: i32, e_data: Option<Vec<u8>>) -> Vec<u8> {
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
        realm: KerberosString::from(&creds().server.realm),
        sname: PrincipalNameAsn1::from(&creds().server.name),
        e_text: None,
        e_data: e_data.map(Into::into),
    }
    .to_der()
    .unwrap()
}

#[test]
fn request_carries_password_sequence_and_sender() {
    let c = creds();
    let (_, req) =
        KpasswdExchange::new(&c, "N3w-Passw0rd", &sender(), NOW, &mut Counter(1)).unwrap();
    let o = open(&req, &c.session_key);
    assert_eq!(o.part.user_data.as_ref(), b"N3w-Passw0rd");
    assert_eq!(o.part.s_address, sender());
    assert_eq!(o.part.seq_number, o.authenticator.seq_number);
    assert!(o.authenticator.seq_number.unwrap().0 < 1 << 30);
    assert_eq!(o.authenticator.ctime.unix(), NOW.secs);
    assert_eq!(
        o.authenticator.cname,
        PrincipalNameAsn1::from(&c.client.name)
    );
    assert!(o.part.timestamp.is_none());
}

#[test]
fn hand_encoding_matches_der_for_long_passwords() {
    for len in [0usize, 1, 100, 127, 128, 255, 256, 1023] {
        let pw = vec![b'x'; len];
        let ours = enc_priv_part(&pw, 0x3fff_ffff, &sender()).unwrap();
        let reference = EncKrbPrivPart {
            user_data: pw.clone().into(),
            timestamp: None,
            usec: None,
            seq_number: Some(UInt32Lenient(0x3fff_ffff)),
            s_address: sender(),
            r_address: None,
        }
        .to_der()
        .unwrap();
        assert_eq!(
            ours.as_slice(),
            reference.as_slice(),
            "password of {len} bytes"
        );
        assert_eq!(ours.capacity(), ours.len());
    }
}

#[test]
fn success_and_rejection_are_results() {
    let c = creds();
    let (ex, req) = KpasswdExchange::new(&c, "pw", &sender(), NOW, &mut Counter(1)).unwrap();
    let o = open(&req, &c.session_key);
    let ok = ex.step(&answer(&o, &c.session_key, 0, b"")).unwrap();
    assert!(ok.is_success());
    let no = ex
        .step(&answer(&o, &c.session_key, 4, b"Password is too short"))
        .unwrap();
    assert_eq!(no.code, ResultCode::SoftError);
    assert_eq!(
        no.to_string(),
        "Password change rejected: Password is too short"
    );
    // Heimdal's kpasswdd: the reason with its C string's NUL.
    let heimdal = ex
        .step(&answer(&o, &c.session_key, 4, b"Password too short\0"))
        .unwrap();
    assert_eq!(heimdal.message(), "Password too short");
    let inner_nul = ex
        .step(&answer(&o, &c.session_key, 4, b"Pass\0word\0"))
        .unwrap();
    assert_eq!(
        inner_nul.message(),
        "Try a more complex password, or contact your administrator."
    );
    let binary = ex
        .step(&answer(&o, &c.session_key, 4, &[0, 0, 0, 7]))
        .unwrap();
    assert_eq!(
        binary.message(),
        "Try a more complex password, or contact your administrator."
    );
    let escaped = ex
        .step(&answer(&o, &c.session_key, 2, b"a\x1b[2Jb"))
        .unwrap();
    assert_eq!(escaped.message(), "a\\x1b[2Jb");
}

#[test]
fn ap_rep_must_echo_the_authenticator() {
    let c = creds();
    let (ex, req) = KpasswdExchange::new(&c, "pw", &sender(), NOW, &mut Counter(1)).unwrap();
    let mut o = open(&req, &c.session_key);
    o.authenticator.cusec = Microseconds::new(1).unwrap();
    let err = ex.step(&answer(&o, &c.session_key, 0, b"")).unwrap_err();
    assert!(matches!(err, ExchangeError::Mismatch(_)), "{err}");
    // A reply under another session key does not decrypt.
    let o = open(&req, &c.session_key);
    let other = EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[8; 32]).unwrap();
    let err = ex.step(&answer(&o, &other, 0, b"")).unwrap_err();
    assert!(matches!(err, ExchangeError::Crypto(_)), "{err}");
}

#[test]
fn krb_errors_bare_or_framed() {
    let c = creds();
    let (ex, _) = KpasswdExchange::new(&c, "pw", &sender(), NOW, &mut Counter(1)).unwrap();
    // MIT's kadmind: an empty AP-REP and a KRB-ERROR whose e-data is the result.
    let mut e_data = 3u16.to_be_bytes().to_vec();
    e_data.extend_from_slice(b"Failed reading application request");
    let framed = frame(1, &[], &krb_error(60, Some(e_data)));
    let r = ex.step(&framed).unwrap();
    assert_eq!(r.code, ResultCode::AuthError);
    assert_eq!(
        r.to_string(),
        "Authentication error: Failed reading application request"
    );
    // Without e-data the KRB-ERROR is the error.
    let err = ex.step(&krb_error(41, None)).unwrap_err();
    assert_eq!(err.kdc_error().map(|e| e.code), Some(41));
}

#[test]
fn malformed_frames_are_typed_errors() {
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0, 6, 0, 1, 0],
        vec![0, 7, 0, 1, 0, 0],
        vec![0, 6, 0, 2, 0, 0],
        vec![0, 8, 0, 1, 0, 9, 1, 2],
        vec![0, 8, 0, 1, 0, 2, 1, 2],
        vec![0, 6, 0, 1, 0, 0],
        vec![0x7e, 0x00],
    ];
    for c in cases {
        assert!(KpasswdReply::decode(&c).is_err(), "{c:?}");
    }
    assert!(matches!(
        decode_result(&[0]),
        Err(KpasswdDecodeError::ShortResult(1))
    ));
    assert!(matches!(
        decode_result(&[0, 8]),
        Err(KpasswdDecodeError::ResultCode(8))
    ));
    let long = [&[0u8, 4][..], &[b'a'; 5000][..]].concat();
    assert_eq!(decode_result(&long).unwrap().string.len(), 4096);
}

#[test]
fn overlong_passwords_are_refused() {
    let pw = "x".repeat(MAX_PASSWORD_LEN + 1);
    let err = KpasswdExchange::new(&creds(), &pw, &sender(), NOW, &mut Counter(1)).unwrap_err();
    assert!(err.to_string().contains("longer than"), "{err}");
}
