//! DNS SRV discovery of KDCs (RFC 4120 §7.2.3.2, RFC 2782): `_kerberos._udp.REALM.` and
//! `_kerberos._tcp.REALM.`, as MIT does when krb5.conf has `dns_lookup_kdc = true` and lists
//! no `kdc` for the realm. Feature `dns`.

use std::cmp::Reverse;
use std::future::Future;

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;

use super::{KdcAddr, Transport};
use crate::Realm;

/// One SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// The SRV priority (lower first).
    pub priority: u16,
    /// The SRV weight among equal priorities.
    pub weight: u16,
    /// The port.
    pub port: u16,
    /// The target host name; `.` means "no such service here".
    pub target: String,
}

/// A failed SRV query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DNS lookup of {name} failed: {reason}")]
pub struct DnsError {
    /// The name looked up.
    pub name: String,
    /// Why the lookup failed.
    pub reason: String,
}

/// Answers SRV queries: [`SystemSrvResolver`] asks the system's DNS servers; tests use a fake.
pub trait SrvResolver {
    /// The SRV records of the fully qualified `name`; empty if the name has none or does not exist.
    fn srv(&self, name: &str) -> impl Future<Output = Result<Vec<SrvRecord>, DnsError>> + Send;
}

/// The KDCs of `realm` from DNS: the `_kerberos._udp` targets, then the `_kerberos._tcp`
/// ones, each set ordered by priority, then by descending weight (no random weighting).
///
/// Returns an empty list without any query when `dns_lookup_kdc` (the krb5.conf setting) is
/// false, so callers can pass the setting straight through. A failed query is an error only
/// when no other query found a KDC.
pub async fn locate_kdcs(
    realm: &Realm,
    dns_lookup_kdc: bool,
    resolver: &impl SrvResolver,
) -> Result<Vec<KdcAddr>, DnsError> {
    if !dns_lookup_kdc {
        return Ok(Vec::new());
    }
    let mut kdcs = Vec::new();
    let mut failure = None;
    for (transport, service) in [
        (Transport::Udp, "_kerberos._udp"),
        (Transport::Tcp, "_kerberos._tcp"),
    ] {
        let name = format!("{service}.{}.", realm.as_str().trim_end_matches('.'));
        // Each query stands alone (as in MIT's locate_kdc.c): a server that refuses the TCP
        // name does not void the UDP answers.
        let mut records = match resolver.srv(&name).await {
            Ok(records) => records,
            Err(e) => {
                tracing::debug!(realm = %realm, "{e}");
                failure = Some(e);
                continue;
            }
        };
        tracing::debug!(realm = %realm, records = records.len(), "SRV lookup of {name}");
        records.sort_by_key(|r| (r.priority, Reverse(r.weight)));
        kdcs.extend(records.into_iter().filter_map(|r| {
            let host = r.target.trim_end_matches('.');
            (!host.is_empty() && r.port != 0).then(|| KdcAddr {
                transport: Some(transport),
                host: host.to_owned(),
                port: r.port,
                path: None,
            })
        }));
    }
    match failure {
        Some(e) if kdcs.is_empty() => Err(e),
        _ => Ok(kdcs),
    }
}

/// An [`SrvResolver`] using hickory-resolver with the system configuration (`/etc/resolv.conf`).
pub struct SystemSrvResolver(TokioResolver);

impl SystemSrvResolver {
    /// Reads the system resolver configuration.
    pub fn new() -> Result<Self, DnsError> {
        TokioResolver::builder_tokio()
            .and_then(|builder| builder.build())
            .map(Self)
            .map_err(|e| DnsError {
                name: "the system resolver configuration".into(),
                reason: e.to_string(),
            })
    }
}

impl SrvResolver for SystemSrvResolver {
    async fn srv(&self, name: &str) -> Result<Vec<SrvRecord>, DnsError> {
        match self.0.srv_lookup(name).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::SRV(srv) => Some(SrvRecord {
                        priority: srv.priority,
                        weight: srv.weight,
                        port: srv.port,
                        target: srv.target.to_ascii(),
                    }),
                    _ => None,
                })
                .collect()),
            Err(e) if e.is_no_records_found() => Ok(Vec::new()),
            Err(e) => Err(DnsError {
                name: name.to_owned(),
                reason: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Canned answers; any other name has no records.
    struct FakeDns(Vec<(&'static str, Result<Vec<SrvRecord>, DnsError>)>);

    impl SrvResolver for FakeDns {
        async fn srv(&self, name: &str) -> Result<Vec<SrvRecord>, DnsError> {
            let answer = self.0.iter().find(|(n, _)| *n == name);
            answer.map_or(Ok(Vec::new()), |(_, a)| a.clone())
        }
    }

    fn srv(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        }
    }

    fn realm() -> Realm {
        Realm::new("EXAMPLE.COM").unwrap()
    }

    #[tokio::test]
    async fn udp_then_tcp_by_priority_and_weight() {
        let dns = FakeDns(vec![
            (
                "_kerberos._udp.EXAMPLE.COM.",
                Ok(vec![
                    srv(10, 0, 88, "kdc3.example.com."),
                    srv(0, 5, 88, "kdc2.example.com."),
                    srv(0, 50, 750, "kdc1.example.com."),
                    srv(0, 0, 88, "."),
                ]),
            ),
            (
                "_kerberos._tcp.EXAMPLE.COM.",
                Ok(vec![srv(0, 0, 88, "kdc1.example.com.")]),
            ),
        ]);
        let kdcs: Vec<String> = locate_kdcs(&realm(), true, &dns)
            .await
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            kdcs,
            [
                "udp/kdc1.example.com:750",
                "udp/kdc2.example.com:88",
                "udp/kdc3.example.com:88",
                "tcp/kdc1.example.com:88"
            ]
        );
    }

    #[tokio::test]
    async fn disabled_makes_no_query() {
        let error = DnsError {
            name: "x".into(),
            reason: "must not be asked".into(),
        };
        let dns = FakeDns(vec![("_kerberos._udp.EXAMPLE.COM.", Err(error.clone()))]);
        assert_eq!(locate_kdcs(&realm(), false, &dns).await, Ok(Vec::new()));
        assert_eq!(locate_kdcs(&realm(), true, &dns).await, Err(error));
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
                Ok(vec![srv(0, 0, 88, "kdc1.example.com.")]),
            ),
            ("_kerberos._tcp.EXAMPLE.COM.", Err(refused.clone())),
        ]);
        let kdcs = locate_kdcs(&realm(), true, &dns).await.unwrap();
        assert_eq!(kdcs.len(), 1);
        assert_eq!(kdcs[0].to_string(), "udp/kdc1.example.com:88");
        // Both refused: the error is reported.
        let dns = FakeDns(vec![
            ("_kerberos._udp.EXAMPLE.COM.", Err(refused.clone())),
            ("_kerberos._tcp.EXAMPLE.COM.", Err(refused.clone())),
        ]);
        assert_eq!(locate_kdcs(&realm(), true, &dns).await, Err(refused));
    }
}
