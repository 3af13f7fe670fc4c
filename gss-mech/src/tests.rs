//! Our initiator against our acceptor (no network), and the invalid-token classes of MIT's
//! `t_invalid.c` applied to RFC 4121 tokens.

use kdc_client::Principal;
use kdc_client::crypto::{self, CryptoError, EncryptionKey, Enctype, KeyUsage, RandomSource};
use kdc_client::exchange::{Credentials, Timestamp};
use kdc_client::keytab::{Keytab, KeytabEntry};
use kdc_client::unstable::asn1::{
    EncTicketPart, EncryptedData, KerberosFlags, KerberosString, KerberosTime, KeyBlock,
    PrincipalNameAsn1, Raw, SecretOctets, Ticket, TransitedEncoding, UInt32Lenient,
};
use zeroize::Zeroizing;

use crate::token::{self, FLAG_ACCEPTOR_SUBKEY, FLAG_SENT_BY_ACCEPTOR, HEADER_LEN, TOK_AP_REP};
use crate::*;

/// A deterministic random source.
pub(crate) struct Counter(pub u8);

impl RandomSource for Counter {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        for b in buf {
            self.0 = self.0.wrapping_mul(31).wrapping_add(7);
            *b = self.0;
        }
        Ok(())
    }
}

const NOW: i64 = 1_764_000_000;

fn now() -> Timestamp {
    Timestamp {
        secs: NOW,
        usec: 123_456,
    }
}

fn client() -> Principal {
    Principal::parse("joedoe@ONPREM.LOCAL", None).unwrap()
}

fn service() -> Principal {
    Principal::parse("mariadb/db.ad.myaws.com@AD.MYAWS.COM", None).unwrap()
}

/// A service ticket for `service()` (encrypted in a keytab key) and the matching keytab.
fn ticket_and_keytab(enctype: Enctype, svc: &Principal) -> (Credentials, Keytab) {
    let mut rng = Counter(1);
    let svc_key = crypto::generate_key(enctype, &mut rng).unwrap();
    let session_key = crypto::generate_key(enctype, &mut rng).unwrap();
    let c = client();
    let part = EncTicketPart {
        flags: KerberosFlags::default(),
        key: KeyBlock {
            keytype: enctype.to_i32(),
            keyvalue: SecretOctets(Zeroizing::new(session_key.as_bytes().to_vec())),
        },
        crealm: KerberosString::from(&c.realm),
        cname: PrincipalNameAsn1::from(&c.name),
        transited: TransitedEncoding {
            tr_type: 1,
            contents: Vec::new().into(),
        },
        authtime: KerberosTime::from_unix(NOW - 60).unwrap(),
        starttime: None,
        endtime: KerberosTime::from_unix(NOW + 36_000).unwrap(),
        renew_till: None,
        caddr: None,
        authorization_data: None,
    };
    let enc = crypto::encrypt(
        &svc_key,
        KeyUsage::TICKET,
        &part.to_der().unwrap(),
        &mut rng,
    )
    .unwrap();
    let ticket = Ticket {
        tkt_vno: 5,
        realm: KerberosString::from(&svc.realm),
        sname: PrincipalNameAsn1::from(&svc.name),
        enc_part: EncryptedData {
            etype: enctype.to_i32(),
            kvno: Some(UInt32Lenient(3)),
            cipher: enc.into(),
        },
    };
    let creds = Credentials {
        client: c,
        server: svc.clone(),
        session_key,
        flags: kdc_client::exchange::TicketFlags::default(),
        authtime: NOW - 60,
        starttime: None,
        endtime: NOW + 36_000,
        renew_till: None,
        addresses: Vec::new(),
        ticket: Raw::new(&ticket).unwrap().into(),
    };
    let kt = Keytab {
        entries: vec![KeytabEntry {
            principal: svc.clone(),
            timestamp: 0,
            kvno: 3,
            enctype: enctype.to_i32(),
            key: Zeroizing::new(svc_key.as_bytes().to_vec()),
        }],
    };
    (creds, kt)
}

fn establish(enctype: Enctype, flags: ContextFlags) -> (SecurityContext, SecurityContext) {
    let (creds, kt) = ticket_and_keytab(enctype, &service());
    let mut rng = Counter(9);
    let opts = InitiatorOptions {
        flags,
        channel_bindings: None,
        ..InitiatorOptions::default()
    };
    let (ini, tok) = InitiatorContext::new(&creds, &opts, now(), &mut rng).unwrap();
    let mut acc = Acceptor::new(
        kt,
        AcceptorOptions {
            service: Some(service()),
            ..Default::default()
        },
    );
    let a = acc.accept(&tok, now(), &mut rng).unwrap();
    assert_eq!(a.initiator, client());
    let ini = if ini.needs_reply() {
        ini.step(a.output_token.as_deref().unwrap()).unwrap()
    } else {
        assert!(a.output_token.is_none());
        ini.complete().unwrap()
    };
    (ini, a.context)
}

#[test]
fn initial_token_layout() {
    let (creds, _) = ticket_and_keytab(Enctype::Aes256CtsHmacSha196, &service());
    let (ctx, tok) =
        InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut Counter(3))
            .unwrap();
    assert_eq!(tok[0], 0x60);
    let f = token::unframe(&tok).unwrap();
    assert_eq!(f.tok_id, [1, 0]);
    assert_eq!(f.inner[0], 0x6e);
    assert_eq!(ctx.flags(), ContextFlags(0x3e));
    assert!(ctx.needs_reply());
    let req = kdc_client::unstable::asn1::ApReq::decode(f.inner).unwrap();
    assert!(
        req.ap_options
            .is_set(kdc_client::unstable::asn1::ap_options::MUTUAL_REQUIRED)
    );
    let plain = crypto::decrypt(
        &creds.session_key,
        KeyUsage::AP_REQ_AUTHENTICATOR,
        &req.authenticator.cipher,
    )
    .unwrap();
    let auth = kdc_client::unstable::asn1::Authenticator::decode(&plain).unwrap();
    let ck = auth.cksum.unwrap();
    assert_eq!(ck.cksumtype, 0x8003);
    assert_eq!(
        &ck.checksum[..],
        &[&[16u8, 0, 0, 0][..], &[0; 16], &[0x3e, 0, 0, 0]].concat()[..]
    );
    assert_eq!(auth.subkey.unwrap().keytype, 18);
    assert!(auth.seq_number.unwrap().0 < 1 << 30);
    assert_eq!(auth.cusec.get(), 123_456);
    let no_mutual = InitiatorOptions {
        flags: ContextFlags(0),
        channel_bindings: None,
        ..InitiatorOptions::default()
    };
    let (ctx, tok) = InitiatorContext::new(&creds, &no_mutual, now(), &mut Counter(3)).unwrap();
    assert_eq!(ctx.flags(), ContextFlags(0x30));
    let req =
        kdc_client::unstable::asn1::ApReq::decode(token::unframe(&tok).unwrap().inner).unwrap();
    assert!(
        !req.ap_options
            .is_set(kdc_client::unstable::asn1::ap_options::MUTUAL_REQUIRED)
    );
}

#[test]
fn per_message_tokens_both_ways_all_enctypes() {
    for e in [
        Enctype::Aes128CtsHmacSha196,
        Enctype::Aes256CtsHmacSha196,
        Enctype::Aes128CtsHmacSha256128,
        Enctype::Aes256CtsHmacSha384192,
    ] {
        for flags in [
            ContextFlags::ALL,
            ContextFlags(ContextFlags::REPLAY | ContextFlags::SEQUENCE),
        ] {
            let (mut i, mut a) = establish(e, flags);
            assert_eq!(
                i.flags().has(ContextFlags::MUTUAL),
                a.flags().has(ContextFlags::MUTUAL)
            );
            exercise(&mut i, &mut a);
            exercise(&mut a, &mut i);
        }
    }
}

fn exercise(s: &mut SecurityContext, r: &mut SecurityContext) {
    let mut rng = Counter(5);
    for conf in [true, false] {
        let t = s.wrap(b"hello world", conf, &mut rng).unwrap();
        let u = r.unwrap(&t).unwrap();
        assert_eq!(
            (u.data.as_slice(), u.confidential, u.seq),
            (&b"hello world"[..], conf, SeqStatus::InOrder)
        );
        assert!(matches!(r.unwrap(&t), Err(GssError::Duplicate(_))));
        // Our own token back to ourselves: wrong direction.
        assert!(matches!(s.unwrap(&t), Err(GssError::Direction)));
    }
    let m = s.get_mic(b"msg").unwrap();
    assert_eq!(r.verify_mic(b"msg", &m).unwrap(), SeqStatus::InOrder);
    assert!(matches!(
        r.verify_mic(b"msg", &m),
        Err(GssError::Duplicate(_))
    ));
    let m = s.get_mic(b"").unwrap();
    assert!(matches!(
        r.verify_mic(b"other", &m),
        Err(GssError::BadSignature)
    ));
    let t = s.wrap(b"", true, &mut rng).unwrap();
    assert_eq!(r.unwrap(&t).unwrap().seq, SeqStatus::Gap);
}

#[test]
fn acceptor_subkey_flag_is_used_with_mutual() {
    let (mut i, mut a) = establish(Enctype::Aes128CtsHmacSha196, ContextFlags::ALL);
    let t = a.get_mic(b"x").unwrap();
    assert_eq!(t[2], FLAG_SENT_BY_ACCEPTOR | FLAG_ACCEPTOR_SUBKEY);
    let t2 = i.get_mic(b"x").unwrap();
    assert_eq!(t2[2], FLAG_ACCEPTOR_SUBKEY);
    i.verify_mic(b"x", &t).unwrap();
    a.verify_mic(b"x", &t2).unwrap();
    // Without mutual there is no acceptor subkey: tokens asserting it are refused.
    let (mut i, _a) = establish(Enctype::Aes128CtsHmacSha196, ContextFlags(0));
    let mut t = t;
    t[2] = FLAG_SENT_BY_ACCEPTOR | FLAG_ACCEPTOR_SUBKEY;
    assert!(matches!(
        i.verify_mic(b"x", &t),
        Err(GssError::NoAcceptorSubkey)
    ));
}

/// Rotate the body of a Wrap token right by `rrc` and set the RRC field (RFC 4121 §4.2.5).
fn rotate(t: &[u8], rrc: u16) -> Vec<u8> {
    let mut out = t.to_vec();
    out[6..8].copy_from_slice(&rrc.to_be_bytes());
    let body = &mut out[HEADER_LEN..];
    let n = body.len();
    body.rotate_right(usize::from(rrc) % n);
    out
}

#[test]
fn rrc_rotation_any_value() {
    let (mut i, mut a) = establish(
        Enctype::Aes256CtsHmacSha196,
        ContextFlags(ContextFlags::REPLAY),
    );
    let mut rng = Counter(1);
    for rrc in [0u16, 1, 12, 16, 28, 44, 60, 1000, u16::MAX] {
        for conf in [true, false] {
            let t = i.wrap(b"rotated message", conf, &mut rng).unwrap();
            let u = a.unwrap(&rotate(&t, rrc)).unwrap();
            assert_eq!(u.data, b"rotated message", "rrc {rrc} conf {conf}");
        }
    }
}

#[test]
fn invalid_wrap_tokens() {
    let (mut i, mut a) = establish(Enctype::Aes256CtsHmacSha196, ContextFlags::ALL);
    let mut rng = Counter(2);
    let key = |c: &SecurityContext| format!("{c:?}");
    assert!(key(&i).contains("redacted") && !key(&i).contains("bytes: ["));
    // Short tokens: every prefix of a valid token is refused, none panics.
    for conf in [true, false] {
        let t = i.wrap(b"message", conf, &mut rng).unwrap();
        for n in 0..t.len() {
            assert!(a.unwrap(&t[..n]).is_err(), "prefix {n}");
        }
        // Every single-byte change is refused.
        for n in 0..t.len() {
            let mut b = t.clone();
            b[n] ^= 0x01;
            if (6..8).contains(&n) {
                continue; // RRC: a different rotation of the same body, still refused below
            }
            assert!(a.unwrap(&b).is_err(), "byte {n} conf {conf}");
        }
        assert_eq!(a.unwrap(&t).unwrap().data, b"message");
    }
    // EC mismatch between the outer header and the encrypted copy (t_invalid.c case 2).
    let mut t = i.wrap(b"message", true, &mut rng).unwrap();
    t[5] = 3;
    assert!(matches!(a.unwrap(&t), Err(GssError::Defective(_))));
    // A sealed token whose EC exceeds the plaintext (case 4): build it with the right key.
    let sub = i_send_key(&i);
    let hdr = token::PerMsgHeader {
        tok_id: token::TOK_WRAP,
        flags: 0x02,
        ec: 40,
        rrc: 0,
        seq: 99,
    };
    let mut pt = b"abcd".to_vec();
    pt.extend_from_slice(&hdr.to_bytes());
    let ct = crypto::encrypt(&sub, KeyUsage::GSS_INITIATOR_SEAL, &pt, &mut rng).unwrap();
    let mut tok = hdr.to_bytes().to_vec();
    tok.extend_from_slice(&ct);
    assert!(matches!(a.unwrap(&tok), Err(GssError::Defective(_))));
    // Plaintext shorter than the header copy (case 3).
    let ct = crypto::encrypt(&sub, KeyUsage::GSS_INITIATOR_SEAL, b"x", &mut rng).unwrap();
    let hdr0 = token::PerMsgHeader { ec: 0, ..hdr };
    let mut tok = hdr0.to_bytes().to_vec();
    tok.extend_from_slice(&ct);
    assert!(matches!(a.unwrap(&tok), Err(GssError::Defective(_))));
    // Integrity-only with EC larger than the message, and EC not the checksum length.
    let mut t = i.wrap(b"m", false, &mut rng).unwrap();
    t[4..6].copy_from_slice(&100u16.to_be_bytes());
    assert!(matches!(a.unwrap(&t), Err(GssError::Defective(_))));
    let mut t = i.wrap(b"", false, &mut rng).unwrap();
    t.truncate(HEADER_LEN + 5);
    assert!(a.unwrap(&t).is_err());
    // Bad TOK_ID, bad filler, unknown flags, framed (RFC 2743) per-message tokens.
    let t = i.wrap(b"m", true, &mut rng).unwrap();
    for (pos, val) in [(0usize, 0x04u8), (1, 0x05), (3, 0x00), (2, 0x0e), (2, 0x86)] {
        let mut b = t.clone();
        b[pos] = val;
        assert!(a.unwrap(&b).is_err(), "{pos} {val}");
    }
    assert!(a.unwrap(&token::frame([5, 4], &t[2..])).is_err());
    // RFC 1964 (pre-CFX) tokens given to a CFX context (t_invalid.c case 1): refused by TOK_ID.
    for id in [[0x01u8, 0x01], [0x02, 0x01], [0x01, 0x02]] {
        let mut b = t.clone();
        b[..2].copy_from_slice(&id);
        assert!(matches!(a.unwrap(&b), Err(GssError::TokId { .. })));
        assert!(matches!(
            a.verify_mic(b"m", &b),
            Err(GssError::TokId { .. })
        ));
    }
    assert_eq!(i.endtime(), NOW + 36_000);
    // A MIC token given to unwrap and vice versa.
    let m = i.get_mic(b"m").unwrap();
    assert!(matches!(a.unwrap(&m), Err(GssError::TokId { .. })));
    assert!(matches!(
        a.verify_mic(b"m", &t),
        Err(GssError::TokId { .. })
    ));
}

/// The initiator subkey of [`establish`]: the first key drawn from `Counter(9)`.
fn i_send_key(_: &SecurityContext) -> EncryptionKey {
    crypto::generate_key(Enctype::Aes256CtsHmacSha196, &mut Counter(9)).unwrap()
}

#[test]
fn invalid_mic_tokens() {
    let (mut i, mut a) = establish(Enctype::Aes128CtsHmacSha256128, ContextFlags::ALL);
    let t = i.get_mic(b"message").unwrap();
    for n in 0..t.len() {
        assert!(a.verify_mic(b"message", &t[..n]).is_err());
        let mut b = t.clone();
        b[n] = b[n].wrapping_add(1);
        assert!(a.verify_mic(b"message", &b).is_err(), "byte {n}");
    }
    let mut longer = t.clone();
    longer.push(0);
    assert!(a.verify_mic(b"message", &longer).is_err());
    for n in 0..7 {
        let mut m = b"message".to_vec();
        m[n] += 1;
        assert!(matches!(a.verify_mic(&m, &t), Err(GssError::BadSignature)));
    }
    a.verify_mic(b"message", &t).unwrap();
}

#[test]
fn acceptor_rejections() {
    let (creds, kt) = ticket_and_keytab(Enctype::Aes256CtsHmacSha196, &service());
    let mut rng = Counter(4);
    let (_, tok) =
        InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
    let mut acc = Acceptor::new(kt.clone(), AcceptorOptions::default());
    acc.accept(&tok, now(), &mut rng).unwrap();
    // Replay.
    assert!(matches!(
        acc.accept(&tok, now(), &mut rng),
        Err(GssError::Replay)
    ));
    // After the skew window the entry is forgotten, but then the skew check refuses it.
    assert!(matches!(
        acc.accept(&tok, now().offset(400), &mut rng),
        Err(GssError::Skew(-400))
    ));
    // A wider limit set with the builder takes the same token 400 s late.
    let wide = AcceptorOptions::default().with_max_skew(std::time::Duration::from_secs(500));
    let mut acc_wide = Acceptor::new(kt.clone(), wide);
    acc_wide.accept(&tok, now().offset(400), &mut rng).unwrap();
    // Another service.
    let other = Principal::parse("host/db.ad.myaws.com@AD.MYAWS.COM", None).unwrap();
    let mut acc2 = Acceptor::new(
        kt.clone(),
        AcceptorOptions {
            service: Some(other.clone()),
            ..Default::default()
        },
    );
    assert!(matches!(
        acc2.accept(&tok, now(), &mut rng),
        Err(GssError::WrongService { .. })
    ));
    // No key (a keytab for another principal).
    let (_, kt_other) = ticket_and_keytab(Enctype::Aes256CtsHmacSha196, &other);
    let mut acc3 = Acceptor::new(kt_other, AcceptorOptions::default());
    assert!(matches!(
        acc3.accept(&tok, now(), &mut rng),
        Err(GssError::NoKey { .. })
    ));
    // Corrupted: every byte of the token flipped in turn is refused (never a panic).
    let mut acc4 = Acceptor::new(kt.clone(), AcceptorOptions::default());
    let opts_at = tok
        .windows(5)
        .position(|w| w == [0xa2, 0x07, 0x03, 0x05, 0x00])
        .unwrap()
        + 5;
    let nt_at = opts_at
        + tok[opts_at..]
            .windows(5)
            .position(|w| w == [0xa0, 3, 2, 1, 1])
            .unwrap()
        + 4;
    for n in 0..tok.len() {
        // ap-options are not integrity-protected in Kerberos (RFC 4120 §5.5.1); only the
        // use-session-key bit (0x40 of the first octet) changes the outcome.
        // Likewise the ticket's outer sname name-type (keys are looked up by components).
        if (opts_at + 1..opts_at + 4).contains(&n) || n == nt_at {
            continue;
        }
        let mut b = tok.clone();
        b[n] ^= 0x40;
        assert!(acc4.accept(&b, now(), &mut rng).is_err(), "byte {n}");
    }
    for n in 0..tok.len() {
        assert!(acc4.accept(&tok[..n], now(), &mut rng).is_err());
    }
    // Expired ticket.
    assert!(matches!(
        acc4.accept(&tok, now().offset(40_000), &mut rng),
        Err(GssError::TicketExpired)
    ));
}

#[test]
fn channel_bindings() {
    let (creds, kt) = ticket_and_keytab(Enctype::Aes256CtsHmacSha196, &service());
    let mut rng = Counter(6);
    let cb = ChannelBindings::tls_server_end_point(&[0xab; 32]);
    let with = |cb: Option<ChannelBindings>| InitiatorOptions {
        flags: ContextFlags::ALL,
        channel_bindings: cb,
        ..InitiatorOptions::default()
    };
    let acc_opts = AcceptorOptions {
        channel_bindings: Some(cb.clone()),
        ..Default::default()
    };
    let mut acc = Acceptor::new(kt.clone(), acc_opts);
    let (_, tok) = InitiatorContext::new(&creds, &with(Some(cb.clone())), now(), &mut rng).unwrap();
    acc.accept(&tok, now(), &mut rng).unwrap();
    let (_, tok) = InitiatorContext::new(&creds, &with(None), now(), &mut rng).unwrap();
    acc.accept(&tok, now(), &mut rng).unwrap();
    let wrong = ChannelBindings::tls_server_end_point(&[0xac; 32]);
    let (_, tok) = InitiatorContext::new(&creds, &with(Some(wrong)), now(), &mut rng).unwrap();
    let err = acc.accept(&tok, now(), &mut rng).unwrap_err();
    assert!(matches!(err, GssError::ChannelBindings), "{err}");
    let mut plain = Acceptor::new(kt, AcceptorOptions::default());
    plain.accept(&tok, now(), &mut rng).unwrap();
}

#[test]
fn ap_rep_forms_and_errors() {
    let (creds, kt) = ticket_and_keytab(Enctype::Aes128CtsHmacSha196, &service());
    let mut rng = Counter(8);
    let mut acc = Acceptor::new(kt, AcceptorOptions::default());
    let (ini, tok) =
        InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
    let rep = acc
        .accept(&tok, now(), &mut rng)
        .unwrap()
        .output_token
        .unwrap();
    let f = token::unframe(&rep).unwrap();
    assert_eq!(f.tok_id, TOK_AP_REP);
    // Raw (unframed) AP-REP, as MariaDB sends it.
    let raw = f.inner.to_vec();
    ini.step(&raw).unwrap();
    // A reply answering another authenticator: decrypts but ctime/cusec differ.
    let (ini2, _) = InitiatorContext::new(
        &creds,
        &InitiatorOptions::default(),
        now().offset(1),
        &mut rng,
    )
    .unwrap();
    assert!(matches!(ini2.step(&rep), Err(GssError::ApRepMismatch)));
    // needs_reply / complete.
    let (ini3, _) =
        InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
    assert!(matches!(ini3.complete(), Err(GssError::NeedsReply)));
    // KRB-ERROR token.
    let err = kdc_client::unstable::asn1::KrbError {
        pvno: 5,
        msg_type: 30,
        ctime: None,
        cusec: None,
        stime: KerberosTime::from_unix(NOW).unwrap(),
        susec: kdc_client::unstable::asn1::Microseconds::new(0).unwrap(),
        error_code: 34,
        crealm: None,
        cname: None,
        realm: KerberosString::from("AD.MYAWS.COM"),
        sname: PrincipalNameAsn1::from(&service().name),
        e_text: Some(KerberosString::from("Request is a replay")),
        e_data: None,
    };
    let der = err.to_der().unwrap();
    for t in [token::frame([3, 0], &der), der.clone()] {
        let (ini, _) =
            InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
        let e = ini.step(&t).unwrap_err();
        assert!(
            matches!(
                &e,
                GssError::KrbError {
                    code: 34,
                    name: "KRB_AP_ERR_REPEAT",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("Request is a replay"));
    }
    // Garbage and truncations.
    for n in 0..rep.len() {
        let (ini, _) =
            InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
        assert!(ini.step(&rep[..n]).is_err());
    }
    let (ini, _) =
        InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
    assert!(matches!(ini.step(&tok), Err(GssError::TokId { .. })));
}

#[test]
fn debug_output_never_shows_keys() {
    let (creds, kt) = ticket_and_keytab(Enctype::Aes256CtsHmacSha196, &service());
    let secrets = [
        format!("{:?}", creds.session_key.as_bytes()),
        format!("{:?}", kt.entries[0].key.as_slice()),
        format!("{:?}", &creds.session_key.as_bytes()[..4])
            .trim_end_matches(']')
            .to_owned(),
    ];
    let mut rng = Counter(3);
    let (ini, tok) =
        InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
    let mut acc = Acceptor::new(kt, AcceptorOptions::default());
    let a = acc.accept(&tok, now(), &mut rng).unwrap();
    let ctx = ini.step(a.output_token.as_deref().unwrap()).unwrap();
    for d in [format!("{acc:?}"), format!("{a:?}"), format!("{ctx:?}")] {
        for s in &secrets {
            assert!(!d.contains(s.as_str()), "{d}");
        }
    }
}

#[test]
fn acceptor_error_tokens_reach_the_initiator_typed() {
    let (creds, kt) = ticket_and_keytab(Enctype::Aes256CtsHmacSha196, &service());
    let mut rng = Counter(12);
    let mut acc = Acceptor::new(kt, AcceptorOptions::default());
    let (_, tok) =
        InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
    acc.accept(&tok, now(), &mut rng).unwrap();
    let err = acc.accept(&tok, now(), &mut rng).unwrap_err();
    let et = acc.error_token(&tok, &err, now()).unwrap();
    assert_eq!(token::unframe(&et).unwrap().tok_id, [3, 0]);
    let (ini, _) =
        InitiatorContext::new(&creds, &InitiatorOptions::default(), now(), &mut rng).unwrap();
    let e = ini.step(&et).unwrap_err();
    assert!(
        matches!(&e, GssError::KrbError { code: 34, name: "KRB_AP_ERR_REPEAT", e_text: Some(t) } if t == "Request is a replay"),
        "{e}"
    );
    // Garbage with no configured service: nothing to name in the error.
    assert!(
        acc.error_token(b"junk", &GssError::Defective("x"), now())
            .is_none()
    );
    // A per-message error is not an AP failure.
    assert!(
        acc.error_token(&tok, &GssError::Duplicate(1), now())
            .is_none()
    );
}

/// The real acceptor's AP-REP for `opts`, re-encrypted with a subkey of `keytype` (and
/// `len` key bytes) in its EncAPRepPart, as a server choosing its subkey would send it.
fn ap_rep_with_subkey(
    opts: &InitiatorOptions,
    keytype: i32,
    len: usize,
) -> Result<SecurityContext, GssError> {
    use kdc_client::unstable::asn1::{ApRep, EncApRepPart};
    let (creds, kt) = ticket_and_keytab(Enctype::Aes256CtsHmacSha196, &service());
    let mut rng = Counter(9);
    let mut acc = Acceptor::new(kt, AcceptorOptions::default());
    let (ini, tok) = InitiatorContext::new(&creds, opts, now(), &mut rng).unwrap();
    let rep = acc
        .accept(&tok, now(), &mut rng)
        .unwrap()
        .output_token
        .unwrap();
    let f = token::unframe(&rep).unwrap();
    let mut ap = ApRep::decode(f.inner).unwrap();
    let plain = crypto::decrypt(
        &creds.session_key,
        KeyUsage::AP_REP_ENC_PART,
        &ap.enc_part.cipher,
    )
    .unwrap();
    let mut part = EncApRepPart::decode(&plain).unwrap();
    part.subkey = Some(KeyBlock {
        keytype,
        keyvalue: SecretOctets(Zeroizing::new(vec![7; len])),
    });
    let cipher = crypto::encrypt(
        &creds.session_key,
        KeyUsage::AP_REP_ENC_PART,
        &part.to_der().unwrap(),
        &mut rng,
    )
    .unwrap();
    ap.enc_part = EncryptedData {
        cipher: cipher.into(),
        ..ap.enc_part
    };
    ini.step(&ap.to_der().unwrap())
}

#[test]
fn the_acceptor_subkey_must_be_within_the_crypto_policy() {
    let default = InitiatorOptions::default();
    // Permitted (the defaults): another enctype than ours is the server's choice, and fine.
    for (e, len) in [
        (Enctype::Aes256CtsHmacSha196, 32),
        (Enctype::Aes128CtsHmacSha196, 16),
        (Enctype::Aes256CtsHmacSha384192, 32),
    ] {
        ap_rep_with_subkey(&default, e.to_i32(), len).unwrap_or_else(|x| panic!("{e}: {x}"));
    }
    // Not in permitted_enctypes (krb5.conf `permitted_enctypes = aes256-cts`).
    let aes256_only = InitiatorOptions {
        permitted_enctypes: vec![Enctype::Aes256CtsHmacSha196],
        ..InitiatorOptions::default()
    };
    ap_rep_with_subkey(&aes256_only, 18, 32).unwrap();
    let e = ap_rep_with_subkey(&aes256_only, 17, 16).unwrap_err();
    assert!(matches!(e, GssError::SubkeyNotPermitted(_)), "{e}");
    assert!(
        e.to_string().contains("(17)") && e.to_string().contains("permitted_enctypes"),
        "{e}"
    );
    // Weak (rc4-hmac, 23): refused by default, and even when listed without allow_weak_crypto.
    let e = ap_rep_with_subkey(&default, 23, 16).unwrap_err();
    assert!(matches!(e, GssError::SubkeyNotPermitted(_)), "{e}");
    let listed_not_allowed = InitiatorOptions {
        permitted_enctypes: vec![Enctype::Aes256CtsHmacSha196, Enctype::Rc4Hmac],
        ..InitiatorOptions::default()
    };
    let e = ap_rep_with_subkey(&listed_not_allowed, 23, 16).unwrap_err();
    assert!(matches!(e, GssError::SubkeyNotPermitted(_)), "{e}");
    // Unknown enctypes (a number no RFC assigns, a negative one, DES): refused by name.
    for keytype in [99, -128, 1, 3] {
        let e = ap_rep_with_subkey(&default, keytype, 16).unwrap_err();
        assert!(
            matches!(e, GssError::SubkeyNotPermitted(_)),
            "{keytype}: {e}"
        );
        assert!(e.to_string().contains(&keytype.to_string()), "{e}");
    }
}
