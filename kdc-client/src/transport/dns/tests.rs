use super::*;
use crate::dns::UriRecord;

/// Canned answers by name and type; any other query has no records.
struct FakeDns(Vec<(&'static str, Result<Vec<Record>, DnsError>)>);

impl DnsResolver for FakeDns {
    async fn query(&self, name: &str, rtype: RecordType) -> Result<Vec<Record>, DnsError> {
        let answer = self.0.iter().find(|(n, a)| {
            *n == name
                && a.as_ref().map_or(true, |records| {
                    records.iter().all(|r| match r {
                        Record::Txt(_) => rtype == RecordType::Txt,
                        Record::Srv(_) => rtype == RecordType::Srv,
                        Record::Uri(_) => rtype == RecordType::Uri,
                    })
                })
        });
        answer.map_or(Ok(Vec::new()), |(_, a)| a.clone())
    }
}

fn srv(priority: u16, weight: u16, port: u16, target: &str) -> Record {
    Record::Srv(SrvRecord {
        priority,
        weight,
        port,
        target: target.into(),
    })
}

fn uri(priority: u16, weight: u16, target: &str) -> Record {
    Record::Uri(UriRecord {
        priority,
        weight,
        target: target.into(),
    })
}

fn realm() -> Realm {
    Realm::new("EXAMPLE.COM").unwrap()
}

async fn kdcs(dns: &FakeDns, uri_lookup: bool) -> Result<(Vec<String>, RecordType), DnsError> {
    let found = locate(&realm(), Service::Kdc, false, uri_lookup, dns).await?;
    let list = found.servers.iter().map(ToString::to_string).collect();
    Ok((list, found.from))
}

#[tokio::test]
async fn udp_then_tcp_by_priority_and_weight() {
    let dns = FakeDns(vec![
        (
            "_kerberos._udp.EXAMPLE.COM.",
            Ok(vec![
                srv(10, 0, 88, "kdc3.example.com"),
                srv(0, 5, 88, "kdc2.example.com"),
                srv(0, 50, 750, "kdc1.example.com"),
                srv(0, 0, 88, ""),
            ]),
        ),
        (
            "_kerberos._tcp.EXAMPLE.COM.",
            Ok(vec![srv(0, 0, 88, "kdc1.example.com")]),
        ),
    ]);
    let (list, from) = kdcs(&dns, true).await.unwrap();
    assert_eq!(
        list,
        [
            "udp/kdc1.example.com:750",
            "udp/kdc2.example.com:88",
            "udp/kdc3.example.com:88",
            "tcp/kdc1.example.com:88"
        ]
    );
    assert_eq!(from, RecordType::Srv);
}

#[tokio::test]
async fn uri_records_come_first_in_their_order() {
    let dns = FakeDns(vec![
        (
            "_kerberos.EXAMPLE.COM.",
            Ok(vec![
                uri(20, 0, "krb5srv::udp:kdc3.example.com"),
                uri(10, 1, "krb5srv:m:tcp:kdc1.example.com:8888"),
                uri(10, 9, "KRB5SRV::UDP:[2001:db8::1]:89"),
                uri(0, 0, "krb5srv::sctp:kdc9.example.com"),
                uri(0, 0, "https://kdc9.example.com"),
            ]),
        ),
        (
            "_kerberos._udp.EXAMPLE.COM.",
            Ok(vec![srv(0, 0, 88, "srv.example.com")]),
        ),
    ]);
    let (list, from) = kdcs(&dns, true).await.unwrap();
    assert_eq!(
        list,
        [
            "udp/[2001:db8::1]:89",
            "tcp/kdc1.example.com:8888",
            "udp/kdc3.example.com:88"
        ]
    );
    assert_eq!(from, RecordType::Uri);
    // dns_uri_lookup = false: SRV only.
    let (list, from) = kdcs(&dns, false).await.unwrap();
    assert_eq!(
        (list.as_slice(), from),
        (&["udp/srv.example.com:88".to_owned()][..], RecordType::Srv)
    );
    // Only unusable URIs: SRV records.
    let dns = FakeDns(vec![
        (
            "_kerberos.EXAMPLE.COM.",
            Ok(vec![uri(0, 0, "krb5srv::x:y")]),
        ),
        (
            "_kerberos._tcp.EXAMPLE.COM.",
            Ok(vec![srv(0, 0, 88, "srv.example.com")]),
        ),
    ]);
    assert_eq!(
        kdcs(&dns, true).await.unwrap().0,
        ["tcp/srv.example.com:88"]
    );
}

#[tokio::test]
async fn tcp_only_kadmin_lookup() {
    let dns = FakeDns(vec![
        (
            "_kerberos-adm.EXAMPLE.COM.",
            Ok(vec![uri(0, 0, "krb5srv::udp:adm-udp.example.com")]),
        ),
        (
            "_kerberos-adm._udp.EXAMPLE.COM.",
            Ok(vec![srv(0, 0, 749, "not-asked.example.com")]),
        ),
        (
            "_kerberos-adm._tcp.EXAMPLE.COM.",
            Ok(vec![srv(0, 0, 749, "adm.example.com")]),
        ),
    ]);
    let found = locate(&realm(), Service::Kadmin, true, true, &dns)
        .await
        .unwrap();
    assert_eq!(found.servers.len(), 1);
    assert_eq!(found.servers[0].to_string(), "tcp/adm.example.com:749");
    assert_eq!(found.from, RecordType::Srv);
}

#[tokio::test]
async fn a_refused_query_keeps_the_other_answers() {
    let refused = DnsError {
        name: "_kerberos._tcp.EXAMPLE.COM.".into(),
        reason: "Query Refused".into(),
    };
    let dns = FakeDns(vec![
        (
            "_kerberos._udp.EXAMPLE.COM.",
            Ok(vec![srv(0, 0, 88, "kdc1.example.com")]),
        ),
        ("_kerberos._tcp.EXAMPLE.COM.", Err(refused.clone())),
    ]);
    assert_eq!(
        kdcs(&dns, true).await.unwrap().0,
        ["udp/kdc1.example.com:88"]
    );
    // Both refused: the error is reported.
    let dns = FakeDns(vec![
        ("_kerberos._udp.EXAMPLE.COM.", Err(refused.clone())),
        ("_kerberos._tcp.EXAMPLE.COM.", Err(refused.clone())),
    ]);
    assert_eq!(kdcs(&dns, false).await, Err(refused));
}

#[test]
fn krb5srv_uris_like_mit() {
    let p = |u| parse_krb5srv(u, 88).map(|a| a.to_string());
    assert_eq!(
        p("krb5srv:m:udp:kdc.example.com").as_deref(),
        Some("udp/kdc.example.com:88")
    );
    assert_eq!(
        p("krb5srv::tcp:10.0.0.1:750").as_deref(),
        Some("tcp/10.0.0.1:750")
    );
    assert_eq!(
        p("krb5srv:xyz:tcp:2001:db8::2").as_deref(),
        Some("tcp/[2001:db8::2]:88")
    );
    #[cfg(feature = "https")]
    assert_eq!(
        p("krb5srv::kkdcp:https://proxy.example.com/KdcProxy").as_deref(),
        Some("https://proxy.example.com:443/KdcProxy")
    );
    for bad in [
        "krb5srv:",
        "krb5srv::udp",
        "krb5srv::udp:",
        "krb5srv::udp:host:0",
        "krb5srv::udp:host:99999",
        "krb5srv::udp:host:+88",
        "krb5srv::udp:[::1",
        "krb5srv::udp:a b",
        "krb5srv::kkdcp:http://proxy.example.com/",
        "krb5:m:udp:kdc",
        "",
    ] {
        assert_eq!(p(bad), None, "{bad}");
    }
}

#[tokio::test]
async fn realm_from_the_host_or_a_parent_domain() {
    let txt = |s: &[u8]| Ok(vec![Record::Txt(vec![s.to_vec(), b"ignored".to_vec()])]);
    let dns = FakeDns(vec![
        ("_kerberos.example.com.", txt(b"EXAMPLE.COM.")),
        ("_kerberos.odd.example.com.", txt(b"")),
        ("_kerberos.esc.example.com.", txt(b"EVIL\x1b[2J.COM")),
    ]);
    let realm = |h| realm_from_txt(h, &dns);
    assert_eq!(realm("www.sub.example.com").await, Some(self::realm()));
    assert_eq!(realm("example.com.").await, Some(self::realm()));
    // A record that is no realm name is skipped like a missing one.
    assert_eq!(realm("odd.example.com").await, Some(self::realm()));
    // So is one with control characters (a terminal escape), which is never a realm name.
    assert_eq!(realm("esc.example.com").await, Some(self::realm()));
    assert_eq!(realm("example.org").await, None);
    assert_eq!(realm("127.0.0.1").await, None);
    assert_eq!(realm("::1").await, None);
}

#[test]
fn resolv_conf_like_glibc() {
    let c = ResolvConf::parse(
        "# comment\nsearch example.com\nnameserver 10.0.0.1\nnameserver bogus\n\
         nameserver ::1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n\
         options ndots:2 timeout:3 attempts:9 rotate\n",
    );
    let ns: Vec<String> = c.nameservers.iter().map(ToString::to_string).collect();
    assert_eq!(ns, ["10.0.0.1:53", "[::1]:53", "10.0.0.2:53"]);
    assert_eq!(c.timeout, Duration::from_secs(3));
    assert_eq!(c.attempts, 5);
    assert!(c.rotate);
    let c = ResolvConf::parse("");
    assert_eq!(c.nameservers, [SocketAddr::from(([127, 0, 0, 1], 53))]);
    assert_eq!(
        (c.timeout, c.attempts, c.rotate),
        (Duration::from_secs(5), 2, false)
    );
    assert_eq!(
        ResolvConf::parse("options timeout:0").timeout,
        Duration::from_secs(1)
    );
}

/// A reply to `query` (the bytes our resolver sent) with `flags` and one SRV record, or none.
fn reply_to(query: &[u8], flags: [u8; 2], record: Option<&SrvRecord>) -> Vec<u8> {
    let mut m = query.to_vec();
    m[2..4].copy_from_slice(&flags);
    if let Some(r) = record {
        m[7] = 1;
        m.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60]);
        let mut rdata = r.priority.to_be_bytes().to_vec();
        rdata.extend_from_slice(&r.weight.to_be_bytes());
        rdata.extend_from_slice(&r.port.to_be_bytes());
        for label in r.target.split('.') {
            rdata.push(u8::try_from(label.len()).unwrap());
            rdata.extend_from_slice(label.as_bytes());
        }
        rdata.push(0);
        m.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
        m.extend_from_slice(&rdata);
    }
    m
}

/// A nameserver on loopback: a stray datagram and a truncated reply over UDP, the answer over
/// TCP on the same port; before it in the list, a nameserver that refuses.
#[tokio::test]
async fn truncated_udp_reply_is_asked_again_over_tcp_after_a_refusal() {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
    let refusing = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let refusing_addr = refusing.local_addr().unwrap();
    let refuser = tokio::spawn(async move {
        let mut buf = [0; 512];
        let (n, peer) = refusing.recv_from(&mut buf).await.unwrap();
        let reply = reply_to(&buf[..n], [0x81, 0x85], None);
        refusing.send_to(&reply, peer).await.unwrap();
    });
    let record = SrvRecord {
        priority: 0,
        weight: 0,
        port: 88,
        target: "kdc.example.com".into(),
    };
    let expected = record.clone();
    let server = tokio::spawn(async move {
        let mut buf = [0; 512];
        let (n, peer) = udp.recv_from(&mut buf).await.unwrap();
        let query = buf[..n].to_vec();
        // A reply with another id first: ignored.
        let mut stray = reply_to(&query, [0x81, 0x80], Some(&record));
        stray[0] ^= 0xff;
        udp.send_to(&stray, peer).await.unwrap();
        udp.send_to(&reply_to(&query, [0x83, 0x80], None), peer)
            .await
            .unwrap();
        let (mut stream, _) = tcp.accept().await.unwrap();
        let len = usize::from(stream.read_u16().await.unwrap());
        let mut query = vec![0; len];
        stream.read_exact(&mut query).await.unwrap();
        let reply = reply_to(&query, [0x81, 0x80], Some(&record));
        let mut frame = u16::try_from(reply.len()).unwrap().to_be_bytes().to_vec();
        frame.extend_from_slice(&reply);
        stream.write_all(&frame).await.unwrap();
    });
    let resolver = SystemResolver::new(ResolvConf {
        nameservers: vec![refusing_addr, addr],
        timeout: Duration::from_secs(10),
        attempts: 1,
        rotate: false,
    });
    let got = resolver
        .query("_kerberos._udp.EXAMPLE.COM.", RecordType::Srv)
        .await
        .unwrap();
    assert_eq!(got, [Record::Srv(expected)]);
    server.await.unwrap();
    refuser.await.unwrap();
    // A silent nameserver: the error names it.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let resolver = SystemResolver::new(ResolvConf {
        nameservers: vec![silent.local_addr().unwrap()],
        timeout: Duration::from_millis(50),
        attempts: 2,
        rotate: true,
    });
    let e = resolver
        .query("x.example.", RecordType::Txt)
        .await
        .unwrap_err();
    assert!(e.reason.contains("no answer from 127.0.0.1:"), "{e}");
}

#[tokio::test]
async fn primary_kdcs_from_flagged_uris_else_kerberos_master_srv() {
    let primaries = |dns: FakeDns, uri_lookup| async move {
        let found = locate(&realm(), Service::PrimaryKdc, false, uri_lookup, &dns)
            .await
            .unwrap();
        let list: Vec<String> = found.servers.iter().map(ToString::to_string).collect();
        (list, found.from)
    };
    let records = || {
        vec![
            (
                "_kerberos.EXAMPLE.COM.",
                Ok(vec![
                    uri(0, 0, "krb5srv::udp:replica.example.com"),
                    uri(1, 0, "krb5srv:M:tcp:primary.example.com"),
                    uri(0, 0, "krb5srv:m:udp:primary.example.com:8888"),
                ]),
            ),
            (
                "_kerberos-master._udp.EXAMPLE.COM.",
                Ok(vec![srv(0, 0, 88, "primary-srv.example.com")]),
            ),
            (
                "_kerberos-master._tcp.EXAMPLE.COM.",
                Ok(vec![srv(0, 0, 88, "primary-srv.example.com")]),
            ),
            (
                "_kerberos._udp.EXAMPLE.COM.",
                Ok(vec![srv(0, 0, 88, "replica.example.com")]),
            ),
        ]
    };
    assert_eq!(
        primaries(FakeDns(records()), true).await,
        (
            vec![
                "udp/primary.example.com:8888".to_owned(),
                "tcp/primary.example.com:88".to_owned()
            ],
            RecordType::Uri
        )
    );
    // Without URI lookups, or when no URI has the flag: the `_kerberos-master` SRV records.
    let srv_only = (
        vec![
            "udp/primary-srv.example.com:88".to_owned(),
            "tcp/primary-srv.example.com:88".to_owned(),
        ],
        RecordType::Srv,
    );
    assert_eq!(primaries(FakeDns(records()), false).await, srv_only);
    let mut unflagged = records();
    unflagged[0].1 = Ok(vec![uri(0, 0, "krb5srv::udp:replica.example.com")]);
    assert_eq!(primaries(FakeDns(unflagged), true).await, srv_only);
    // The replica's own records never name a primary.
    assert_eq!(
        primaries(FakeDns(records().split_off(3)), true).await,
        (vec![], RecordType::Srv)
    );
}

#[test]
fn krb5srv_primary_flag() {
    assert!(krb5srv_is_primary("krb5srv:m:udp:kdc"));
    assert!(krb5srv_is_primary("KRB5SRV:xM:tcp:kdc:88"));
    assert!(!krb5srv_is_primary("krb5srv::udp:kdc"));
    assert!(!krb5srv_is_primary("krb5srv:x:udp:m"));
    assert!(!krb5srv_is_primary("krb5:m:udp:kdc"));
    assert!(!krb5srv_is_primary("krb5srv:m"));
}

#[tokio::test]
async fn default_realm_from_the_local_host_then_the_global_record() {
    let txt = |s: &[u8]| Ok(vec![Record::Txt(vec![s.to_vec()])]);
    let dns = FakeDns(vec![
        ("_kerberos.corp.example.com.", txt(b"CORP.EXAMPLE.COM")),
        ("_kerberos.", txt(b"GLOBAL.EXAMPLE")),
    ]);
    let realm = |h| default_realm_from_txt(h, &dns);
    let corp = Realm::new("CORP.EXAMPLE.COM").unwrap();
    assert_eq!(realm("ws1.corp.example.com").await, Some(corp.clone()));
    assert_eq!(realm("corp.example.com.").await, Some(corp));
    // No record for the host or its parents: the global `_kerberos.` record.
    let global = Some(Realm::new("GLOBAL.EXAMPLE").unwrap());
    assert_eq!(realm("ws1.example.org").await, global);
    assert_eq!(realm("ws1").await, global);
    let none = FakeDns(vec![(
        "_kerberos.",
        Err(DnsError {
            name: "_kerberos.".into(),
            reason: "SERVFAIL".into(),
        }),
    )]);
    assert_eq!(default_realm_from_txt("ws1.example.org", &none).await, None);
}

#[test]
fn fully_qualified_local_name_from_the_hosts_file() {
    let hosts =
        "127.0.0.1 localhost\n# 10.0.0.9 ws1\n10.0.0.5 ws1.corp.example.com WS1 alias # c\n";
    assert_eq!(fq_local_hostname("ws1\n", hosts), "ws1.corp.example.com");
    assert_eq!(fq_local_hostname("alias", hosts), "ws1.corp.example.com");
    assert_eq!(
        fq_local_hostname("other.example.com", hosts),
        "other.example.com"
    );
    assert_eq!(fq_local_hostname("ws2", ""), "ws2");
}
