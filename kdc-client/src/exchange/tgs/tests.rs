//! TGS-REPs scripted with the asn1 types and `crypto::encrypt`: the reply is encrypted under
//! the TGT session key (usage 8, RFC 4120 §5.4.2), which the exchange accepts as MIT does.

use std::time::Duration;

use super::*;
use crate::asn1::{
    EncKdcRepPart, EncTgsRepPart, EncryptedData, KdcRep, KerberosFlags, KerberosTime, Ticket,
};
use crate::asn1::{KerberosString, KeyBlock, PrincipalNameAsn1, SecretOctets, msg_type};
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
        ticket: ticket(&server).into(),
        server,
        session_key: EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[1; 32]).unwrap(),
        flags: TicketFlags::default(),
        authtime: 1_700_000_000,
        starttime: None,
        endtime: 1_700_036_000,
        renew_till: None,
        addresses: Vec::new(),
    }
}

fn opts(canonicalize: bool) -> TgsOptions {
    TgsOptions {
        enctypes: vec![Enctype::Aes256CtsHmacSha196],
        canonicalize,
        renew: false,
        validate: false,
        policy: CryptoPolicy::default(),
        clockskew: Duration::from_secs(300),
        fast: false,
    }
}

/// A plain TGS-REP for `req` whose ticket is for `server`.
fn reply(tgt: &Credentials, req: &KdcRequest, server: &Principal) -> Vec<u8> {
    reply_tweaked(tgt, req, server, |_| {})
}

/// [`reply`] with the encrypted part changed by `tweak`.
fn reply_tweaked(
    tgt: &Credentials,
    req: &KdcRequest,
    server: &Principal,
    tweak: impl FnOnce(&mut EncKdcRepPart),
) -> Vec<u8> {
    let session = (&tgt.session_key, KeyUsage::TGS_REP_ENC_PART_SESSION_KEY);
    reply_full(tgt, req, server, session, |_| None, tweak)
}

/// A TGS-REP for `req` whose ticket is for `server`, its enc-part under `key` with `usage`,
/// its padata made by `padata` from the ticket's bytes.
fn reply_with(
    tgt: &Credentials,
    req: &KdcRequest,
    server: &Principal,
    key_usage: (&EncryptionKey, KeyUsage),
    padata: impl FnOnce(&[u8]) -> Option<Vec<PaData>>,
) -> Vec<u8> {
    reply_full(tgt, req, server, key_usage, padata, |_| {})
}

/// [`reply_with`], the encrypted part changed by `tweak`.
fn reply_full(
    tgt: &Credentials,
    req: &KdcRequest,
    server: &Principal,
    (key, usage): (&EncryptionKey, KeyUsage),
    padata: impl FnOnce(&[u8]) -> Option<Vec<PaData>>,
    tweak: impl FnOnce(&mut EncKdcRepPart),
) -> Vec<u8> {
    let body = TgsReq::decode(&req.bytes)
        .unwrap()
        .0
        .req_body
        .decode()
        .unwrap();
    let t = |s| KerberosTime::from_unix(s).unwrap();
    let mut part = EncKdcRepPart {
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
    };
    tweak(&mut part);
    let part = EncTgsRepPart(part);
    let cipher = crypto::encrypt(key, usage, &part.to_der().unwrap(), &mut OsRandom).unwrap();
    let ticket = ticket(server);
    TgsRep(KdcRep {
        pvno: 5,
        msg_type: msg_type::TGS_REP,
        padata: padata(ticket.as_bytes()),
        crealm: KerberosString::from(&tgt.client.realm),
        cname: PrincipalNameAsn1::from(&tgt.client.name),
        ticket,
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

fn body_of(req: &KdcRequest) -> KdcReqBody {
    TgsReq::decode(&req.bytes)
        .unwrap()
        .0
        .req_body
        .decode()
        .unwrap()
}

fn validate_opts() -> TgsOptions {
    TgsOptions {
        validate: true,
        ..opts(false)
    }
}

const LATER: Timestamp = Timestamp {
    secs: 1_700_000_700,
    usec: 0,
};

/// A postdated TGT as the KDC issues it for `kinit -s 10m`: may-postdate, postdated, invalid,
/// forwardable, renewable, proxiable; with the addresses of `kinit -a`.
fn postdated_tgt() -> Credentials {
    Credentials {
        flags: TicketFlags::FORWARDABLE
            .union(TicketFlags::PROXIABLE)
            .union(TicketFlags::MAY_POSTDATE)
            .union(TicketFlags::POSTDATED)
            .union(TicketFlags::INVALID)
            .union(TicketFlags::RENEWABLE)
            .union(TicketFlags::INITIAL),
        starttime: Some(1_700_000_600),
        renew_till: Some(1_700_100_000),
        addresses: vec![HostAddress {
            addr_type: HostAddress::IPV4,
            address: vec![192, 0, 2, 2],
        }],
        ..tgt()
    }
}

#[test]
fn kinit_v_sends_validate_with_the_ticket_flags_and_addresses() {
    let tgt = postdated_tgt();
    let (ex, req) =
        TgsExchange::new(&tgt, &tgt.server, &validate_opts(), LATER, &mut OsRandom).unwrap();
    assert_eq!(req.realm.as_str(), "ONPREM.LOCAL");
    let body = body_of(&req);
    // MIT: VALIDATE plus the ticket's flags under KDC_TKT_COMMON_MASK (0x54800000).
    assert_eq!(body.kdc_options.0, 0x5480_0001);
    assert_eq!(body.sname, Some(PrincipalNameAsn1::from(&tgt.server.name)));
    assert_eq!(body.till.unix(), tgt.endtime);
    assert_eq!(body.from, None);
    assert_eq!(body.rtime, None);
    let sent: Vec<HostAddress> = body
        .addresses
        .iter()
        .flatten()
        .map(HostAddress::from_asn1)
        .collect();
    assert_eq!(sent, tgt.addresses);
    let creds = ex.step(&reply(&tgt, &req, &tgt.server)).unwrap();
    assert_eq!(creds.server, tgt.server);

    // The reply must be the ticket sent, not a referral to another TGS.
    let (ex, req) =
        TgsExchange::new(&tgt, &tgt.server, &validate_opts(), LATER, &mut OsRandom).unwrap();
    let other = princ("krbtgt/HUB.LOCAL@ONPREM.LOCAL");
    assert!(matches!(
        ex.step(&reply(&tgt, &req, &other)),
        Err(ExchangeError::Mismatch(_))
    ));
}

#[test]
fn a_plain_tgs_request_has_no_validate_and_no_addresses_without_them() {
    let tgt = tgt();
    let server = princ("host/h.onprem.local@ONPREM.LOCAL");
    let (_, req) = TgsExchange::new(&tgt, &server, &opts(false), LATER, &mut OsRandom).unwrap();
    let body = body_of(&req);
    assert!(!body.kdc_options.is_set(kdc_options::VALIDATE));
    assert_eq!(body.addresses, None);
    // An address-bearing TGT sends its addresses again, as MIT does.
    let tgt = postdated_tgt();
    let (_, req) = TgsExchange::new(&tgt, &server, &opts(false), LATER, &mut OsRandom).unwrap();
    assert!(body_of(&req).addresses.is_some());
}

#[test]
fn a_service_ticket_is_validated_in_its_realm_but_not_used_as_a_tgt() {
    // `kinit -S kadmin/admin -s 10m` then `kinit -v -S kadmin/admin`.
    let svc = princ("kadmin/admin@ONPREM.LOCAL");
    let ticket = Credentials {
        ticket: ticket(&svc).into(),
        server: svc.clone(),
        ..postdated_tgt()
    };
    let (ex, req) =
        TgsExchange::new(&ticket, &svc, &validate_opts(), LATER, &mut OsRandom).unwrap();
    assert_eq!(req.realm.as_str(), "ONPREM.LOCAL");
    assert_eq!(ex.step(&reply(&ticket, &req, &svc)).unwrap().server, svc);
    let host = princ("host/h.onprem.local@ONPREM.LOCAL");
    assert!(matches!(
        TgsExchange::new(&ticket, &host, &opts(false), LATER, &mut OsRandom),
        Err(ExchangeError::Mismatch(_))
    ));
}

#[test]
fn renewal_repeats_the_common_flags_too() {
    let tgt = postdated_tgt();
    let o = TgsOptions {
        renew: true,
        ..opts(false)
    };
    let (_, req) = TgsExchange::new(&tgt, &tgt.server, &o, LATER, &mut OsRandom).unwrap();
    let body = body_of(&req);
    // forwardable, proxiable, allow-postdate, renewable, renew.
    assert_eq!(body.kdc_options.0, 0x5480_0002);
    assert_eq!(body.till.unix(), 1_700_100_000);
}

/// Run a plain TGS exchange for a host ticket at `LATER` against a reply changed by `tweak`.
fn run_tweaked(
    tgt: &Credentials,
    tweak: impl FnOnce(&mut EncKdcRepPart),
) -> Result<Credentials, ExchangeError> {
    let server = princ("host/h.onprem.local@ONPREM.LOCAL");
    let (ex, req) = TgsExchange::new(tgt, &server, &opts(false), LATER, &mut OsRandom).unwrap();
    ex.step(&reply_tweaked(tgt, &req, &server, tweak))
}

#[test]
fn tgs_reply_times_are_checked_as_mit_does_or_stricter() {
    let t = |s| KerberosTime::from_unix(s).unwrap();
    let tgt = tgt();
    // The usual MIT reply: starts now, ends with the TGT.
    let c = run_tweaked(&tgt, |p| p.starttime = Some(t(LATER.secs))).unwrap();
    assert_eq!(c.endtime, tgt.endtime);
    // Beyond the requested till (the TGT's end time).
    let e = run_tweaked(&tgt, |p| p.endtime = t(tgt.endtime + 1))
        .unwrap_err()
        .to_string();
    assert!(e.contains("after the requested end time"), "{e}");
    // Ends before it starts.
    let e = run_tweaked(&tgt, |p| {
        p.starttime = Some(t(LATER.secs));
        p.endtime = t(LATER.secs - 1);
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("before it starts"), "{e}");
    // A start time outside the skew of the request time.
    for start in [LATER.secs - 301, LATER.secs + 301] {
        let e = run_tweaked(&tgt, |p| p.starttime = Some(t(start))).unwrap_err();
        assert_eq!(
            e.kdc_error().map(|k| k.code),
            Some(crate::error_code::KRB_AP_ERR_SKEW)
        );
    }
    // Renewable beyond the TGT's renew-till.
    let renewable = Credentials {
        flags: TicketFlags::RENEWABLE,
        renew_till: Some(1_700_100_000),
        ..tgt.clone()
    };
    let e = run_tweaked(&renewable, |p| {
        p.flags = KerberosFlags::from_bits(&[crate::asn1::ticket_flags::RENEWABLE]);
        p.renew_till = Some(t(1_700_100_001));
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("renewable until"), "{e}");
    assert!(
        run_tweaked(&renewable, |p| {
            p.flags = KerberosFlags::from_bits(&[crate::asn1::ticket_flags::RENEWABLE]);
            p.renew_till = Some(t(1_700_100_000));
        })
        .is_ok()
    );
}

#[test]
fn tgs_session_enctype_must_be_offered() {
    let e = run_tweaked(&tgt(), |p| p.key.keytype = 20)
        .unwrap_err()
        .to_string();
    assert!(e.contains("did not offer"), "{e}");
}

#[test]
fn tgs_ticket_cleartext_sname_must_match() {
    let tgt = tgt();
    let server = princ("host/h.onprem.local@ONPREM.LOCAL");
    let (ex, req) = TgsExchange::new(&tgt, &server, &opts(false), LATER, &mut OsRandom).unwrap();
    let mut rep = TgsRep::decode(&reply(&tgt, &req, &server)).unwrap();
    rep.0.ticket = ticket(&princ("ldap/h.onprem.local@ONPREM.LOCAL"));
    let e = ex.step(&rep.to_der().unwrap()).unwrap_err().to_string();
    assert!(e.contains("the ticket names server ldap/"), "{e}");
}
#[path = "fast_tests.rs"]
mod fast;
