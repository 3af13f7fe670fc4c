//! Our stub resolver and DNS codec against a real DNS server, the lab's dnsmasq
//! (`LAB_DNS_ADDR`, `lab/README.md`): SRV, URI and TXT answers as dnsmasq encodes them,
//! NXDOMAIN, and a reply too long for UDP that dnsmasq truncates and we ask again over TCP.
//! Needs the lab (`. lab/state/env.sh`) and the `dns` feature.
#![cfg(feature = "dns")]

use std::net::SocketAddr;

use kdc_client::Realm;
use kdc_client::dns::{Record, RecordType, SrvRecord, UriRecord};
use kdc_client::transport::dns::{DnsResolver, ResolvConf, Service, SystemResolver, locate};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: source lab/state/env.sh"))
}

/// A resolver asking only the lab's dnsmasq (no mount namespace needed: the nameserver is
/// given, not read from /etc/resolv.conf).
fn lab_resolver() -> SystemResolver {
    let conf = ResolvConf::parse(&format!(
        "nameserver {}\noptions timeout:2 attempts:2\n",
        env("LAB_DNS_ADDR")
    ));
    let expected: SocketAddr = format!("{}:53", env("LAB_DNS_ADDR")).parse().unwrap();
    assert_eq!(conf.nameservers, [expected]);
    SystemResolver::new(conf)
}

#[tokio::test]
#[ignore = "needs the lab"]
async fn srv_uri_and_txt_answers_from_dnsmasq() {
    let dns = lab_resolver();
    let onprem_port: u16 = env("LAB_KDC_PORT_ONPREM").parse().unwrap();
    let mut srv = dns
        .query("_kerberos._udp.ONPREM.LOCAL.", RecordType::Srv)
        .await
        .unwrap();
    srv.sort_by_key(|r| match r {
        Record::Srv(s) => s.priority,
        _ => u16::MAX,
    });
    assert_eq!(
        srv,
        [
            Record::Srv(SrvRecord {
                priority: 0,
                weight: 0,
                port: onprem_port,
                target: "kdc-down.onprem.local".into()
            }),
            Record::Srv(SrvRecord {
                priority: 10,
                weight: 0,
                port: onprem_port,
                target: "kdc.onprem.local".into()
            }),
        ]
    );
    let fast_port = env("LAB_KDC_PORT_FAST");
    let uri = dns
        .query("_kerberos.FAST.LOCAL.", RecordType::Uri)
        .await
        .unwrap();
    assert!(
        uri.contains(&Record::Uri(UriRecord {
            priority: 1,
            weight: 0,
            target: format!("krb5srv:m:tcp:kdc.fast.local:{fast_port}")
        })),
        "{uri:?}"
    );
    let txt = dns
        .query("_kerberos.hosted.local.", RecordType::Txt)
        .await
        .unwrap();
    assert_eq!(txt, [Record::Txt(vec![b"APPS.LOCAL".to_vec()])]);
    // A name under the lab's domains without records: NXDOMAIN, no records, no error.
    let none = dns
        .query("_kerberos._udp.NOWHERE.LOCAL.", RecordType::Srv)
        .await
        .unwrap();
    assert!(none.is_empty());
    // The realm's servers as the client orders them: URI first for FAST.LOCAL.
    let realm = Realm::new("FAST.LOCAL").unwrap();
    let found = locate(&realm, Service::Kdc, false, true, &dns)
        .await
        .unwrap();
    let servers: Vec<String> = found.servers.iter().map(ToString::to_string).collect();
    assert_eq!(servers, [format!("tcp/kdc.fast.local:{fast_port}")]);
    assert_eq!(found.from, RecordType::Uri);
}

#[tokio::test]
#[ignore = "needs the lab"]
async fn a_truncated_udp_answer_is_asked_again_over_tcp() {
    let dns = lab_resolver();
    let asked = || {
        let log = std::fs::read_to_string(env("LAB_DNS_LOG")).unwrap();
        let lines = log.lines();
        lines
            .filter(|l| l.contains("query[TXT] long.hosted.local"))
            .count()
    };
    let before = asked();
    let txt = dns
        .query("long.hosted.local.", RecordType::Txt)
        .await
        .unwrap();
    let strings: Vec<Vec<u8>> = [b'a', b'b', b'c'].iter().map(|&c| vec![c; 250]).collect();
    assert_eq!(txt, [Record::Txt(strings)]);
    // dnsmasq saw the question twice: over UDP (answered truncated), then over TCP.
    assert_eq!(asked() - before, 2);
}

/// MIT's DNS records for a realm's primary KDC (`locate_service_primary_kdc`) and the default
/// realm (`hostrealm_dns.c`), as dnsmasq serves them: FAST.LOCAL's `_kerberos` URI record
/// with the `m` flag; ONPREM.LOCAL has none (no `m` URI, no `_kerberos-master` SRV); the TXT
/// record of the lab client host's domain names ONPREM.LOCAL.
#[tokio::test]
#[ignore = "needs the lab"]
async fn primary_kdcs_and_default_realm_from_dnsmasq() {
    use kdc_client::transport::dns::default_realm_from_txt;
    let dns = lab_resolver();
    let fast_port = env("LAB_KDC_PORT_FAST");
    let fast = Realm::new("FAST.LOCAL").unwrap();
    let found = locate(&fast, Service::PrimaryKdc, false, true, &dns)
        .await
        .unwrap();
    let servers: Vec<String> = found.servers.iter().map(ToString::to_string).collect();
    assert_eq!(servers, [format!("tcp/kdc.fast.local:{fast_port}")]);
    assert_eq!(found.from, RecordType::Uri);
    let onprem = Realm::new("ONPREM.LOCAL").unwrap();
    let found = locate(&onprem, Service::PrimaryKdc, false, true, &dns)
        .await
        .unwrap();
    assert!(found.servers.is_empty(), "{found:?}");
    let host = env("LAB_DNS_CLIENT_HOST");
    assert_eq!(default_realm_from_txt(&host, &dns).await, Some(onprem));
    // No record for the host, its parents or the root (dnsmasq refuses `_kerberos.`).
    assert_eq!(
        default_realm_from_txt("ws1.nowhere.local", &dns).await,
        None
    );
}
