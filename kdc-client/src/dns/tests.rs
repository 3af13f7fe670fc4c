//! Hand-built DNS messages: each byte written out so the test shows what the wire holds.

use super::*;

const ID: u16 = 0x1234;
const QNAME: &str = "_kerberos._udp.EXAMPLE.COM";

/// `_kerberos._udp.EXAMPLE.COM` as labels.
fn qname_wire() -> Vec<u8> {
    let mut v = vec![9];
    v.extend_from_slice(b"_kerberos");
    v.push(4);
    v.extend_from_slice(b"_udp");
    v.push(7);
    v.extend_from_slice(b"EXAMPLE");
    v.push(3);
    v.extend_from_slice(b"COM");
    v.push(0);
    v
}

/// A response header: `flags` (QR set by the caller), one question, `ancount` answers.
fn header(id: u16, flags: u16, ancount: u16) -> Vec<u8> {
    let mut v = id.to_be_bytes().to_vec();
    v.extend_from_slice(&flags.to_be_bytes());
    v.extend_from_slice(&[0, 1]);
    v.extend_from_slice(&ancount.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v
}

/// Header and question for `rtype` (the question's name starts at offset 12).
fn reply(flags: u16, ancount: u16, rtype: RecordType) -> Vec<u8> {
    let mut v = header(ID, flags, ancount);
    v.extend(qname_wire());
    v.extend_from_slice(&rtype.code().to_be_bytes());
    v.extend_from_slice(&[0, 1]);
    v
}

/// An answer at the question name (pointer to offset 12) with `rdata`.
fn answer(v: &mut Vec<u8>, rtype: u16, rdata: &[u8]) {
    v.extend_from_slice(&[0xc0, 12]);
    v.extend_from_slice(&rtype.to_be_bytes());
    v.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
    v.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
    v.extend_from_slice(rdata);
}

fn srv_rdata(priority: u16, weight: u16, port: u16, target: &[u8]) -> Vec<u8> {
    let mut v = priority.to_be_bytes().to_vec();
    v.extend_from_slice(&weight.to_be_bytes());
    v.extend_from_slice(&port.to_be_bytes());
    v.extend_from_slice(target);
    v
}

/// `kdc1.example.com.` as labels.
const KDC1: &[u8] = b"\x04kdc1\x07example\x03com\x00";

#[test]
fn query_has_header_question_and_rd() {
    let q = encode_query(ID, "_kerberos._udp.EXAMPLE.COM.", RecordType::Srv).unwrap();
    let mut want = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    want.extend(qname_wire());
    want.extend_from_slice(&[0, 33, 0, 1]);
    assert_eq!(q, want);
    // The trailing dot is optional; URI is type 256.
    let q = encode_query(ID, QNAME, RecordType::Uri).unwrap();
    assert_eq!(q[q.len() - 4..], [1, 0, 0, 1]);
}

#[test]
fn query_names_are_bounded() {
    for bad in ["a..b", ".a", &"x".repeat(64), &["abc"; 64].join(".")] {
        assert!(matches!(
            encode_query(1, bad, RecordType::Txt),
            Err(DnsMessageError::BadName(_))
        ));
    }
    let longest = [
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61),
    ]
    .join(".");
    assert!(encode_query(1, &longest, RecordType::Txt).is_ok());
}

#[test]
fn srv_answers_with_compressed_and_plain_targets() {
    let mut m = reply(0x8180, 2, RecordType::Srv);
    answer(&mut m, 33, &srv_rdata(0, 5, 88, KDC1));
    // The second target reuses `example.com` of the first (offset of its `example` label).
    let example_at = m.len() - KDC1.len() + 5;
    let ptr = [
        4,
        b'k',
        b'd',
        b'c',
        b'2',
        0xc0,
        u8::try_from(example_at).unwrap(),
    ];
    answer(&mut m, 33, &srv_rdata(10, 0, 750, &ptr));
    let got = parse_response(ID, QNAME, RecordType::Srv, &m).unwrap();
    assert_eq!(
        got,
        Answer::Records(vec![
            Record::Srv(SrvRecord {
                priority: 0,
                weight: 5,
                port: 88,
                target: "kdc1.example.com".into()
            }),
            Record::Srv(SrvRecord {
                priority: 10,
                weight: 0,
                port: 750,
                target: "kdc2.example.com".into()
            }),
        ])
    );
}

#[test]
fn txt_and_uri_answers() {
    let mut m = reply(0x8180, 1, RecordType::Txt);
    answer(&mut m, 16, b"\x0cEXAMPLE.COM.\x00");
    let got = parse_response(ID, QNAME, RecordType::Txt, &m).unwrap();
    assert_eq!(
        got,
        Answer::Records(vec![Record::Txt(vec![b"EXAMPLE.COM.".to_vec(), vec![]])])
    );

    let mut m = reply(0x8180, 1, RecordType::Uri);
    answer(
        &mut m,
        256,
        b"\x00\x01\x00\x02krb5srv:m:tcp:kdc.example.com",
    );
    let got = parse_response(ID, QNAME, RecordType::Uri, &m).unwrap();
    assert_eq!(
        got,
        Answer::Records(vec![Record::Uri(UriRecord {
            priority: 1,
            weight: 2,
            target: "krb5srv:m:tcp:kdc.example.com".into()
        })])
    );
}

#[test]
fn other_types_and_names_are_skipped_and_cnames_followed() {
    let mut m = reply(0x8180, 4, RecordType::Srv);
    // An A record at the question name: skipped.
    answer(&mut m, 1, &[127, 0, 0, 1]);
    // A CNAME from the question name to `kdc1.example.com`, then an SRV record there.
    answer(&mut m, 5, KDC1);
    let cname_target = m.len() - KDC1.len();
    m.extend_from_slice(&[
        0xc0,
        u8::try_from(cname_target).unwrap(),
        0,
        33,
        0,
        1,
        0,
        0,
        0,
        0,
    ]);
    let rdata = srv_rdata(0, 0, 88, b"\x00");
    m.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
    m.extend_from_slice(&rdata);
    // An SRV record at an unrelated name: skipped.
    m.extend_from_slice(b"\x05other\x00\x00\x21\x00\x01\x00\x00\x00\x00\x00\x07");
    m.extend_from_slice(&srv_rdata(0, 0, 1, b"\x00"));
    let got = parse_response(ID, QNAME, RecordType::Srv, &m).unwrap();
    let Answer::Records(records) = got else {
        panic!("{got:?}")
    };
    assert_eq!(
        records,
        [Record::Srv(SrvRecord {
            priority: 0,
            weight: 0,
            port: 88,
            target: String::new()
        })]
    );
}

#[test]
fn rcodes_tc_and_nodata() {
    let m = reply(0x8183, 0, RecordType::Srv);
    assert_eq!(
        parse_response(ID, QNAME, RecordType::Srv, &m),
        Ok(Answer::NoSuchName)
    );
    let m = reply(0x8180, 0, RecordType::Srv);
    assert_eq!(
        parse_response(ID, QNAME, RecordType::Srv, &m),
        Ok(Answer::Records(vec![]))
    );
    // TC: the rest is not read (here it is missing).
    let m = header(ID, 0x8380, 3);
    assert_eq!(
        parse_response(ID, QNAME, RecordType::Srv, &m),
        Ok(Answer::Truncated)
    );
    // REFUSED without a question.
    let mut m = header(ID, 0x8185, 0);
    m[5] = 0;
    assert_eq!(
        parse_response(ID, QNAME, RecordType::Srv, &m),
        Err(DnsMessageError::Rcode(5))
    );
}

#[test]
fn replies_to_other_queries_are_refused() {
    let m = reply(0x8180, 0, RecordType::Srv);
    let mismatch = |r| matches!(r, Err(DnsMessageError::Mismatch(_)));
    assert!(mismatch(parse_response(ID + 1, QNAME, RecordType::Srv, &m)));
    assert!(mismatch(parse_response(ID, QNAME, RecordType::Txt, &m)));
    assert!(mismatch(parse_response(
        ID,
        "_kerberos._tcp.EXAMPLE.COM",
        RecordType::Srv,
        &m
    )));
    // The name compares case-insensitively (RFC 4343).
    assert!(parse_response(ID, "_KERBEROS._UDP.example.com.", RecordType::Srv, &m).is_ok());
    // A query is not a response.
    let m = reply(0x0100, 0, RecordType::Srv);
    assert!(mismatch(parse_response(ID, QNAME, RecordType::Srv, &m)));
}

#[test]
fn pointers_only_backwards_and_bounded() {
    // A pointer to itself (offset 12): a loop.
    let mut m = header(ID, 0x8180, 0);
    m.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1]);
    assert_eq!(
        parse_response(ID, QNAME, RecordType::Srv, &m),
        Err(DnsMessageError::Malformed(
            "compression pointer not backwards"
        ))
    );
    // A forward pointer in an answer name.
    let mut m = reply(0x8180, 1, RecordType::Srv);
    let at = m.len();
    m.extend_from_slice(&[0xc0, u8::try_from(at + 2).unwrap()]);
    assert!(parse_response(ID, QNAME, RecordType::Srv, &m).is_err());
    // A chain of pointers, each to the one before, kept in a skipped A record's data; the
    // second answer's owner starts at its end: 17 hops back to the question name.
    let mut m = reply(0x8180, 2, RecordType::Srv);
    let first_stub = m.len() + 12;
    let mut stubs = vec![0xc0, 12];
    for i in 0..15 {
        stubs.extend_from_slice(&[0xc0, u8::try_from(first_stub + 2 * i).unwrap()]);
    }
    answer(&mut m, 1, &stubs);
    let last_stub = m.len() - 2;
    m.extend_from_slice(&[0xc0, u8::try_from(last_stub).unwrap()]);
    m.extend_from_slice(&[0, 33, 0, 1, 0, 0, 0, 0, 0, 7]);
    m.extend_from_slice(&srv_rdata(0, 0, 1, b"\x00"));
    assert_eq!(
        parse_response(ID, QNAME, RecordType::Srv, &m),
        Err(DnsMessageError::Malformed("too many compression pointers"))
    );
    // One stub fewer (16 hops): accepted.
    let mut m = reply(0x8180, 2, RecordType::Srv);
    answer(&mut m, 1, &stubs[..30]);
    let last_stub = m.len() - 2;
    m.extend_from_slice(&[0xc0, u8::try_from(last_stub).unwrap()]);
    m.extend_from_slice(&[0, 33, 0, 1, 0, 0, 0, 0, 0, 7]);
    m.extend_from_slice(&srv_rdata(0, 0, 1, b"\x00"));
    let got = parse_response(ID, QNAME, RecordType::Srv, &m).unwrap();
    assert!(matches!(got, Answer::Records(r) if r.len() == 1));
}

#[test]
fn lengths_are_bounded() {
    // An rdlength past the end.
    let mut m = reply(0x8180, 1, RecordType::Srv);
    answer(&mut m, 33, &srv_rdata(0, 0, 88, KDC1));
    let len_at = m.len() - KDC1.len() - 6 - 2;
    m[len_at + 1] += 1;
    assert!(parse_response(ID, QNAME, RecordType::Srv, &m).is_err());
    // An SRV target running past its rdata.
    let mut m = reply(0x8180, 1, RecordType::Srv);
    answer(&mut m, 33, &srv_rdata(0, 0, 88, &KDC1[..5]));
    m.extend_from_slice(&KDC1[5..]);
    assert!(parse_response(ID, QNAME, RecordType::Srv, &m).is_err());
    // A TXT string longer than its record.
    let mut m = reply(0x8180, 1, RecordType::Txt);
    answer(&mut m, 16, b"\x05abc");
    assert!(parse_response(ID, QNAME, RecordType::Txt, &m).is_err());
    // A URI record without a target, and one that is not UTF-8.
    for rdata in [&b"\x00\x01\x00\x02"[..], b"\x00\x01\x00\x02\xff"] {
        let mut m = reply(0x8180, 1, RecordType::Uri);
        answer(&mut m, 256, rdata);
        assert!(parse_response(ID, QNAME, RecordType::Uri, &m).is_err());
    }
    // More answers than kept.
    let m = reply(0x8180, 65, RecordType::Srv);
    assert!(parse_response(ID, QNAME, RecordType::Srv, &m).is_err());
    // A name longer than 255 bytes (five 63-byte labels), and a reserved label type.
    let mut m = header(ID, 0x8180, 0);
    for _ in 0..5 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 33, 0, 1]);
    assert_eq!(
        parse_response(ID, QNAME, RecordType::Srv, &m),
        Err(DnsMessageError::Malformed("name longer than 255 bytes"))
    );
    let mut m = header(ID, 0x8180, 0);
    m.extend_from_slice(&[0x40, 0, 0, 33, 0, 1]);
    assert!(parse_response(ID, QNAME, RecordType::Srv, &m).is_err());
    // Every prefix of a good reply is an error, never a panic.
    let mut m = reply(0x8180, 1, RecordType::Srv);
    answer(&mut m, 33, &srv_rdata(0, 0, 88, KDC1));
    for end in 0..m.len() {
        assert!(
            parse_response(ID, QNAME, RecordType::Srv, &m[..end]).is_err(),
            "{end}"
        );
    }
}

#[test]
fn odd_label_bytes_are_escaped() {
    let mut m = reply(0x8180, 1, RecordType::Srv);
    answer(&mut m, 33, &srv_rdata(0, 0, 88, b"\x04a.b\n\x00"));
    let got = parse_response(ID, QNAME, RecordType::Srv, &m).unwrap();
    let Answer::Records(r) = got else { panic!() };
    assert_eq!(
        r,
        [Record::Srv(SrvRecord {
            priority: 0,
            weight: 0,
            port: 88,
            target: "a\\046b\\010".into()
        })]
    );
}
