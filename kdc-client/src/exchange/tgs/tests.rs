//! TGS-REPs scripted with the asn1 types and `crypto::encrypt`: the reply is encrypted under
//! the TGT session key (usage 8, RFC 4120 §5.4.2), which the exchange accepts as MIT does.

use super::*;
use crate::asn1::{
    EncKdcRepPart, EncTgsRepPart, EncryptedData, KdcRep, KerberosFlags, KerberosTime, Ticket,
};
use crate::crypto::OsRandom;

fn princ(s: &str) -> Principal {
    Principal::parse(s, None).unwrap()
}

fn ticket(server: &Principal) -> Raw<Ticket> {
    Raw::new(&Ticket {
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
}

fn tgt() -> Credentials {
    let server = princ("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL");
    Credentials {
        client: princ("joedoe@ONPREM.LOCAL"),
        ticket: ticket(&server),
        server,
        session_key: EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[1; 32]).unwrap(),
        flags: KerberosFlags(0),
        authtime: 1_700_000_000,
        starttime: None,
        endtime: 1_700_036_000,
        renew_till: None,
    }
}

fn opts(canonicalize: bool) -> TgsOptions {
    TgsOptions {
        enctypes: vec![Enctype::Aes256CtsHmacSha196],
        canonicalize,
        renew: false,
        policy: CryptoPolicy::default(),
    }
}

/// A TGS-REP for `req` whose ticket is for `server`.
fn reply(tgt: &Credentials, req: &KdcRequest, server: &Principal) -> Vec<u8> {
    let body = TgsReq::decode(&req.bytes)
        .unwrap()
        .0
        .req_body
        .decode()
        .unwrap();
    let t = |s| KerberosTime::from_unix(s).unwrap();
    let part = EncTgsRepPart(EncKdcRepPart {
        key: KeyBlock {
            keytype: 18,
            keyvalue: SecretOctets(zeroize::Zeroizing::new(vec![2; 32])),
        },
        last_req: Vec::new(),
        nonce: body.nonce,
        key_expiration: None,
        flags: KerberosFlags(0),
        authtime: t(tgt.authtime),
        starttime: None,
        endtime: t(tgt.endtime),
        renew_till: None,
        srealm: KerberosString::from(&server.realm),
        sname: PrincipalNameAsn1::from(&server.name),
        caddr: None,
        encrypted_pa_data: None,
    });
    let cipher = crypto::encrypt(
        &tgt.session_key,
        KeyUsage::TGS_REP_ENC_PART_SESSION_KEY,
        &part.to_der().unwrap(),
        &mut OsRandom,
    )
    .unwrap();
    TgsRep(KdcRep {
        pvno: 5,
        msg_type: msg_type::TGS_REP,
        padata: None,
        crealm: KerberosString::from(&tgt.client.realm),
        cname: PrincipalNameAsn1::from(&tgt.client.name),
        ticket: ticket(server),
        enc_part: EncryptedData {
            etype: 18,
            kvno: None,
            cipher: cipher.into(),
        },
    })
    .to_der()
    .unwrap()
}

fn run(asked: &str, canonicalize: bool, got: &str) -> Result<Credentials, ExchangeError> {
    let tgt = tgt();
    let (ex, req) = TgsExchange::new(
        &tgt,
        &princ(asked),
        &opts(canonicalize),
        Timestamp {
            secs: 1_700_000_100,
            usec: 0,
        },
        &mut OsRandom,
    )
    .unwrap();
    assert_eq!(req.realm.as_str(), "ONPREM.LOCAL");
    ex.step(&reply(&tgt, &req, &princ(got)))
}

#[test]
fn the_ticket_asked_for() {
    let c = run(
        "host/h.onprem.local@ONPREM.LOCAL",
        false,
        "host/h.onprem.local@ONPREM.LOCAL",
    );
    assert_eq!(
        c.unwrap().server.to_string(),
        "host/h.onprem.local@ONPREM.LOCAL"
    );
}

#[test]
fn a_tgt_for_a_nearer_realm_when_a_tgt_was_asked_for() {
    // MIT's KDC answers krbtgt/APPS.LOCAL with krbtgt/HUB.LOCAL per its [capaths].
    let c = run(
        "krbtgt/APPS.LOCAL@ONPREM.LOCAL",
        false,
        "krbtgt/HUB.LOCAL@ONPREM.LOCAL",
    );
    assert_eq!(
        c.unwrap().server.to_string(),
        "krbtgt/HUB.LOCAL@ONPREM.LOCAL"
    );
}

#[test]
fn a_referral_only_with_canonicalize() {
    let asked = "mariadb/db.ad.myaws.com@ONPREM.LOCAL";
    let referral = "krbtgt/AD.MYAWS.COM@ONPREM.LOCAL";
    assert!(run(asked, true, referral).is_ok());
    assert!(matches!(
        run(asked, false, referral),
        Err(ExchangeError::Mismatch(_))
    ));
}

#[test]
fn a_tgt_issued_by_another_realm_or_another_service_is_refused() {
    assert!(matches!(
        run(
            "krbtgt/APPS.LOCAL@ONPREM.LOCAL",
            false,
            "krbtgt/APPS.LOCAL@HUB.LOCAL"
        ),
        Err(ExchangeError::Mismatch(_))
    ));
    assert!(matches!(
        run(
            "host/h.onprem.local@ONPREM.LOCAL",
            true,
            "host/other.onprem.local@ONPREM.LOCAL"
        ),
        Err(ExchangeError::Mismatch(_))
    ));
}
