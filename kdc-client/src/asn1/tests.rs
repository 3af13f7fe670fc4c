//! Validation-pass, lenient-integer and raw-bytes tests on top of the MIT vectors.

use super::*;

fn mit(name: &str) -> Vec<u8> {
    vectors::load("mit-reference-encode.txt")
        .into_iter()
        .find(|r| r.get("name") == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
        .hex("der")
}

/// A DER TLV with a short or one-byte long length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    match content.len() {
        n @ 0..=127 => v.push(n as u8),
        n => v.extend([0x81, n as u8]),
    }
    v.extend_from_slice(content);
    v
}

fn field(n: u8, content: Vec<u8>) -> Vec<u8> {
    tlv(0xA0 + n, &content)
}

/// A minimal KRB-ERROR with the given pvno, msg-type, stime text and susec INTEGER content.
fn krb_error(pvno: u8, msg_type: u8, stime: &str, susec: &[u8]) -> Vec<u8> {
    let sname = tlv(
        0x30,
        &[
            field(0, tlv(2, &[2])),
            field(1, tlv(0x30, &tlv(0x1B, b"krbtgt"))),
        ]
        .concat(),
    );
    let body = [
        field(0, tlv(2, &[pvno])),
        field(1, tlv(2, &[msg_type])),
        field(4, tlv(0x18, stime.as_bytes())),
        field(5, tlv(2, susec)),
        field(6, tlv(2, &[24])),
        field(9, tlv(0x1B, b"EXAMPLE.COM")),
        field(10, sname),
    ]
    .concat();
    tlv(0x7E, &tlv(0x30, &body))
}

const STIME: &str = "20260102030405Z";

#[test]
fn minimal_krb_error_decodes_and_displays() {
    let der = krb_error(5, 30, STIME, &[0]);
    let e = KrbError::decode(&der).unwrap();
    assert_eq!(e.stime.unix(), 1_767_323_045);
    assert_eq!(e.to_der().unwrap(), der);
    assert_eq!(
        e.to_string(),
        "KDC_ERR_PREAUTH_FAILED (24) from realm EXAMPLE.COM: Preauthentication failed"
    );
    let e = KrbError::decode(&mit("encode_krb5_error")).unwrap();
    assert_eq!(
        e.to_string(),
        "KRB_ERR_GENERIC (60) from realm ATHENA.MIT.EDU: Generic error (see e-text) \
         (e-text: krb5data)"
    );
}

#[test]
fn validation_rejects_bad_headers_times_and_microseconds() {
    assert!(matches!(
        KrbError::decode(&krb_error(4, 30, STIME, &[0])),
        Err(Asn1Error::Pvno(4))
    ));
    assert!(matches!(
        KrbError::decode(&krb_error(5, 11, STIME, &[0])),
        Err(Asn1Error::MsgType {
            expected: 30,
            got: 11
        })
    ));
    for bad in [
        "20260102030405",
        "20260102030405.5Z",
        "20261302030405Z",
        "2026010203040Z",
        "20260102030405+0000",
    ] {
        assert!(
            matches!(
                KrbError::decode(&krb_error(5, 30, bad, &[0])),
                Err(Asn1Error::Decode(_))
            ),
            "{bad}"
        );
    }
    // susec 1000000 and -1.
    for susec in [&[0x0F, 0x42, 0x40][..], &[0xFF]] {
        assert!(KrbError::decode(&krb_error(5, 30, STIME, susec)).is_err());
    }
    assert!(KrbError::decode(&krb_error(5, 30, STIME, &[0x0F, 0x42, 0x3F])).is_ok());
}

#[test]
fn validation_checks_application_tag_against_msg_type() {
    // The MIT AS-REP body under the TGS-REP tag: msg-type 11 no longer matches.
    let mut der = mit("encode_krb5_as_rep");
    assert_eq!(der[0], 0x6B);
    der[0] = 0x6D;
    assert!(matches!(
        TgsRep::decode(&der),
        Err(Asn1Error::MsgType {
            expected: 13,
            got: 11
        })
    ));
    // A ticket with tkt-vno 4 inside an AP-REQ is caught by the nested check.
    let der = mit("encode_krb5_ap_req");
    let pos = der
        .windows(7)
        .position(|w| w == [0x61, 0x5C, 0x30, 0x5A, 0xA0, 0x03, 0x02]);
    let mut bad = der.clone();
    bad[pos.unwrap() + 8] = 4;
    assert!(matches!(ApReq::decode(&bad), Err(Asn1Error::Pvno(4))));
}

#[test]
fn rejects_trailing_bytes_and_indefinite_length() {
    let mut der = krb_error(5, 30, STIME, &[0]);
    der.extend([0, 0]);
    assert!(KrbError::decode(&der).is_err());

    // An indefinite-length KDC-REQ-BODY inside an otherwise fine AS-REQ.
    let body = mit("encode_krb5_kdc_req_body");
    let mut indef = vec![0x30, 0x80];
    indef.extend_from_slice(&body[4..]);
    indef.extend([0, 0]);
    assert_eq!(&body[..4], [0x30, 0x82, 0x01, 0xA6]);
    let req = AsReq::new(None, Raw::from_der_unchecked(indef))
        .to_der()
        .unwrap();
    assert!(AsReq::decode(&req).is_err());

    let der = mit("encode_krb5_pa_enc_ts");
    assert!(PaEncTsEnc::decode(&der).is_ok());
    let mut indef = vec![0x30, 0x80];
    indef.extend_from_slice(&der[2..]);
    indef.extend([0, 0]);
    assert!(PaEncTsEnc::decode(&indef).is_err());
}

#[test]
fn tolerates_non_minimal_lengths_and_integers() {
    // PA-ENC-TS-ENC with pausec as 02 02 00 05 and the outer length as 81 xx.
    let ts = field(0, tlv(0x18, STIME.as_bytes()));
    let body = [ts, field(1, vec![2, 2, 0, 5])].concat();
    let mut der = vec![0x30, 0x81, body.len() as u8];
    der.extend_from_slice(&body);
    let v = PaEncTsEnc::decode(&der).unwrap();
    assert_eq!(v.pausec.map(Microseconds::get), Some(5));
}

#[test]
fn enc_kdc_rep_part_under_either_tag() {
    let tgs = mit("encode_krb5_enc_kdc_rep_part");
    let part = EncKdcRepPart::decode_either(&tgs).unwrap();
    let mut as_tag = tgs.clone();
    as_tag[0] = 0x79;
    assert_eq!(EncKdcRepPart::decode_either(&as_tag).unwrap(), part);
    assert_eq!(EncAsRepPart(part).to_der().unwrap(), as_tag);
    assert!(EncKdcRepPart::decode_either(&[]).is_err());
}

#[test]
fn lenient_kvno_vectors() {
    let msb = EncryptedData::decode(&mit("encode_krb5_enc_data(MSB-set kvno)")).unwrap();
    assert_eq!(msb.kvno, Some(UInt32Lenient(0xFF00_0000)));
    let minus1 = mit("encode_krb5_enc_data(kvno=-1)");
    let v = EncryptedData::decode(&minus1).unwrap();
    assert_eq!(v.kvno, Some(UInt32Lenient(0xFFFF_FFFF)));
    assert_eq!(v.to_der().unwrap(), minus1);
}

#[test]
fn raw_req_body_and_ticket_are_verbatim() {
    let der = mit("encode_krb5_tgs_req");
    let req = TgsReq::decode(&der).unwrap();
    let body = req.0.req_body.as_bytes();
    assert!(der.windows(body.len()).any(|w| w == body));
    assert_eq!(body, mit("encode_krb5_kdc_req_body"));
    let typed = req.0.req_body.decode().unwrap();
    assert_eq!(typed.realm.to_str().unwrap(), "ATHENA.MIT.EDU");

    let rep = AsRep::decode(&mit("encode_krb5_as_rep")).unwrap();
    assert_eq!(rep.0.ticket.as_bytes(), mit("encode_krb5_ticket"));
    assert_eq!(rep.0.ticket.decode().unwrap().tkt_vno, 5);
}

#[test]
fn builds_an_as_req_around_req_body_bytes() {
    let client = crate::Principal::parse("alice@EXAMPLE.COM", None).unwrap();
    let till = KerberosTime::from_unix(1_767_323_045).unwrap();
    let body = KdcReqBody {
        kdc_options: KdcOptions::from_bits(&[kdc_options::FORWARDABLE, kdc_options::CANONICALIZE]),
        cname: Some((&client.name).into()),
        realm: (&client.realm).into(),
        sname: Some((&crate::PrincipalName::krbtgt(&client.realm)).into()),
        from: None,
        till,
        rtime: None,
        nonce: UInt32Lenient(0x1234_5678),
        etype: vec![18, 17],
        addresses: None,
        enc_authorization_data: None,
        additional_tickets: None,
    };
    let raw = Raw::new(&body).unwrap();
    let pac = PaData {
        padata_type: pa_type::PAC_REQUEST,
        padata_value: PaPacRequest { include_pac: true }.to_der().unwrap().into(),
    };
    let der = AsReq::new(Some(vec![pac]), raw.clone()).to_der().unwrap();
    let back = AsReq::decode(&der).unwrap();
    assert_eq!(back.0.req_body.as_bytes(), raw.as_bytes());
    assert_eq!(back.0.req_body.decode().unwrap(), body);
    let cname = back.0.req_body.decode().unwrap().cname.unwrap();
    assert_eq!(cname.to_principal(&body.realm).unwrap(), client);
}

#[test]
fn new_types_encode_as_specified() {
    let opts = PaPacOptions {
        options: KerberosFlags::from_bits(&[3]),
    };
    assert_eq!(
        opts.to_der().unwrap(),
        [
            0x30, 0x09, 0xA0, 0x07, 0x03, 0x05, 0x00, 0x10, 0x00, 0x00, 0x00
        ]
    );
    let pac = PaPacRequest { include_pac: true }.to_der().unwrap();
    assert_eq!(pac, [0x30, 0x05, 0xA0, 0x03, 0x01, 0x01, 0xFF]);
    let referral = PaSvrReferralInfo {
        referred_name: None,
        referred_realm: "AD.EXAMPLE.COM".into(),
    };
    let der = referral.to_der().unwrap();
    assert_eq!(PaSvrReferralInfo::decode(&der).unwrap(), referral);
}

#[test]
fn key_block_debug_is_redacted() {
    let k = KeyBlock::decode(&mit("encode_krb5_keyblock")).unwrap();
    let s = format!("{k:?}");
    assert!(
        s.contains("redacted") && !s.contains("12345678") && !s.contains("49"),
        "{s}"
    );
}

#[test]
fn non_utf8_realm_is_kept_as_bytes() {
    let der = krb_error(5, 30, STIME, &[0]);
    let pos = der.windows(11).position(|w| w == b"EXAMPLE.COM").unwrap();
    let mut bad = der.clone();
    bad[pos] = 0xC3;
    let e = KrbError::decode(&bad).unwrap();
    assert_eq!(e.realm.as_bytes()[0], 0xC3);
    assert!(matches!(
        e.sname.to_principal(&e.realm),
        Err(Asn1Error::NotUtf8)
    ));
    assert!(e.to_string().contains("XAMPLE.COM"));
}
