//! Fake KDCs on 127.0.0.1 (port 0 only). No test asserts on elapsed time.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

use super::*;

const AS_REP: &[u8] = &[0x6b, 0x03, 0x02, 0x01, 0x05];
const TOO_BIG: &[u8] = &[0x7e, 0x03, 0x02, 0x01, 0x34];
const REQUEST: &[u8] = &[0x6a, 0x03, 0x02, 0x01, 0x05];

fn realm() -> Realm {
    Realm::new("EXAMPLE.COM").unwrap()
}

fn cfg() -> TransportConfig {
    TransportConfig {
        kdc_timeout: Duration::from_millis(200),
        retries: 0,
        ..TransportConfig::default()
    }
}

fn kdc(transport: &str, addr: SocketAddr) -> KdcAddr {
    KdcAddr {
        transport: match transport {
            "udp/" => Some(Transport::Udp),
            "tcp/" => Some(Transport::Tcp),
            _ => None,
        },
        host: addr.ip().to_string(),
        port: addr.port(),
        path: None,
    }
}

async fn send(kdcs: &[KdcAddr], cfg: &TransportConfig) -> Result<KdcReply, TransportError> {
    send_to_realm(&realm(), kdcs, REQUEST, cfg, |r| r == TOO_BIG).await
}

/// A UDP KDC answering every datagram with `replies`, in order.
async fn udp_kdc_on(socket: UdpSocket, replies: Vec<&'static [u8]>) -> SocketAddr {
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0; 2048];
        while let Ok((_, peer)) = socket.recv_from(&mut buf).await {
            for reply in &replies {
                socket.send_to(reply, peer).await.unwrap();
            }
        }
    });
    addr
}

async fn udp_kdc(replies: Vec<&'static [u8]>) -> SocketAddr {
    udp_kdc_on(UdpSocket::bind("127.0.0.1:0").await.unwrap(), replies).await
}

/// A TCP KDC that reads one length-prefixed request, checks it, and writes `raw` verbatim.
async fn tcp_kdc_on(listener: TcpListener, raw: Vec<u8>) -> SocketAddr {
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let len = stream.read_u32().await.unwrap();
            let mut request = vec![0; len as usize];
            stream.read_exact(&mut request).await.unwrap();
            assert_eq!(request, REQUEST);
            stream.write_all(&raw).await.unwrap();
        }
    });
    addr
}

async fn tcp_kdc(raw: Vec<u8>) -> SocketAddr {
    tcp_kdc_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), raw).await
}

fn framed(reply: &[u8]) -> Vec<u8> {
    tcp::frame(reply).unwrap()
}

/// An address on which nothing listens (bound, then closed).
async fn closed_tcp_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
}

fn cannot_contact(result: Result<KdcReply, TransportError>) -> Vec<Attempt> {
    match result {
        Err(TransportError::CannotContact { realm: r, attempts }) => {
            assert_eq!(r, realm());
            attempts
        }
        other => panic!("expected CannotContact, got {other:?}"),
    }
}

#[tokio::test]
async fn udp_reply() {
    let addr = udp_kdc(vec![AS_REP]).await;
    let reply = send(&[kdc("", addr)], &cfg()).await.unwrap();
    assert_eq!(
        reply,
        KdcReply {
            bytes: AS_REP.to_vec(),
            kdc: addr,
            transport: Transport::Udp
        }
    );
}

#[tokio::test]
async fn udp_ignores_non_kerberos_datagrams() {
    let addr = udp_kdc(vec![b"junk", &[], AS_REP]).await;
    let reply = send(&[kdc("udp/", addr)], &cfg()).await.unwrap();
    assert_eq!(reply.bytes, AS_REP);
}

#[tokio::test]
async fn udp_preference_limit_one_forces_tcp() {
    let addr = tcp_kdc(framed(AS_REP)).await;
    let cfg = TransportConfig {
        udp_preference_limit: 1,
        ..cfg()
    };
    let reply = send(&[kdc("", addr)], &cfg).await.unwrap();
    assert_eq!((reply.transport, reply.kdc), (Transport::Tcp, addr));
    assert_eq!(reply.bytes, AS_REP);
}

#[tokio::test]
async fn tcp_prefix_forces_tcp() {
    let addr = tcp_kdc(framed(AS_REP)).await;
    let reply = send(&[kdc("tcp/", addr)], &cfg()).await.unwrap();
    assert_eq!(reply.transport, Transport::Tcp);
}

#[tokio::test]
async fn response_too_big_retries_same_kdc_over_tcp() {
    // TCP and UDP on the same port; retry if another process holds the UDP port.
    let (listener, udp) = loop {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        if let Ok(udp) = UdpSocket::bind(listener.local_addr().unwrap()).await {
            break (listener, udp);
        }
    };
    let addr = udp_kdc_on(udp, vec![TOO_BIG]).await;
    tcp_kdc_on(listener, framed(AS_REP)).await;
    let reply = send(&[kdc("", addr)], &cfg()).await.unwrap();
    assert_eq!(reply.transport, Transport::Tcp);
    assert_eq!(reply.kdc, addr);
    assert_eq!(reply.bytes, AS_REP);
}

#[tokio::test]
async fn silent_kdc_is_skipped() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let answering = udp_kdc(vec![AS_REP]).await;
    let reply = send(&[kdc("", silent_addr), kdc("", answering)], &cfg())
        .await
        .unwrap();
    assert_eq!(reply.kdc, answering);
    drop(silent);
}

#[tokio::test]
async fn refused_connection_moves_on() {
    let closed = closed_tcp_port().await;
    let answering = tcp_kdc(framed(AS_REP)).await;
    let reply = send(&[kdc("tcp/", closed), kdc("tcp/", answering)], &cfg())
        .await
        .unwrap();
    assert_eq!(reply.kdc, answering);
}

#[tokio::test]
async fn closed_udp_port_moves_on() {
    let closed = UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let answering = udp_kdc(vec![AS_REP]).await;
    let reply = send(&[kdc("udp/", closed), kdc("udp/", answering)], &cfg())
        .await
        .unwrap();
    assert_eq!(reply.kdc, answering);
}

#[tokio::test]
async fn hostile_length_prefix_is_rejected() {
    let addr = tcp_kdc(vec![0x7f, 0xff, 0xff, 0xff, 0x6b]).await;
    let attempts = cannot_contact(send(&[kdc("tcp/", addr)], &cfg()).await);
    assert_eq!(
        attempts,
        [Attempt {
            kdc: kdc("tcp/", addr),
            error: AttemptError::ReplyTooLong {
                len: 0x7fff_ffff,
                max: 1 << 20
            }
        }]
    );
}

#[tokio::test]
async fn truncated_and_empty_tcp_replies_are_errors() {
    let mut truncated = framed(AS_REP);
    truncated.pop();
    let truncated = tcp_kdc(truncated).await;
    let short_prefix = tcp_kdc(vec![0, 0]).await;
    let empty = tcp_kdc(vec![0, 0, 0, 0]).await;
    let kdcs = [
        kdc("tcp/", truncated),
        kdc("tcp/", short_prefix),
        kdc("tcp/", empty),
    ];
    let errors: Vec<_> = cannot_contact(send(&kdcs, &cfg()).await)
        .into_iter()
        .map(|a| a.error)
        .collect();
    assert_eq!(
        errors,
        [
            AttemptError::Truncated,
            AttemptError::Truncated,
            AttemptError::EmptyReply
        ]
    );
}

#[tokio::test]
async fn all_kdcs_dead_names_each() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let closed = closed_tcp_port().await;
    let result = send(&[kdc("udp/", silent_addr), kdc("tcp/", closed)], &cfg()).await;
    let message = result.as_ref().unwrap_err().to_string();
    let attempts = cannot_contact(result);
    assert_eq!(
        attempts,
        [
            Attempt {
                kdc: kdc("udp/", silent_addr),
                error: AttemptError::Timeout
            },
            Attempt {
                kdc: kdc("tcp/", closed),
                error: AttemptError::ConnectionRefused
            },
        ]
    );
    assert_eq!(
        message,
        format!(
            "Cannot contact any KDC for realm 'EXAMPLE.COM' \
             (tried udp/{silent_addr}: timeout; tcp/{closed}: connection refused)"
        )
    );
    drop(silent);
}

#[tokio::test]
async fn retries_walk_the_list_again() {
    let closed = closed_tcp_port().await;
    let cfg = TransportConfig {
        retries: 2,
        ..cfg()
    };
    let attempts = cannot_contact(send(&[kdc("tcp/", closed)], &cfg).await);
    assert_eq!(attempts.len(), 3);
}

#[tokio::test]
async fn overall_deadline_stops_the_walk() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let cfg = TransportConfig {
        kdc_timeout: Duration::from_secs(3600),
        deadline: Duration::from_millis(100),
        retries: 5,
        ..cfg()
    };
    let attempts = cannot_contact(send(&[kdc("", silent_addr), kdc("", silent_addr)], &cfg).await);
    assert_eq!(
        attempts,
        [Attempt {
            kdc: kdc("udp/", silent_addr),
            error: AttemptError::DeadlineExceeded
        }]
    );
    drop(silent);
}

#[tokio::test]
async fn host_names_are_resolved() {
    let answering = udp_kdc(vec![AS_REP]).await;
    // "localhost" comes from the hosts file; if it also yields ::1, that address is refused.
    let by_name = KdcAddr {
        host: "localhost".into(),
        ..kdc("", answering)
    };
    let reply = send(&[by_name], &cfg()).await.unwrap();
    assert_eq!(reply.kdc, answering);
}

#[tokio::test]
async fn no_kdcs() {
    assert_eq!(
        send(&[], &cfg()).await,
        Err(TransportError::NoKdcs { realm: realm() })
    );
    assert_eq!(
        TransportError::NoKdcs { realm: realm() }.to_string(),
        "Cannot find KDC for realm 'EXAMPLE.COM'"
    );
}

#[test]
fn krb_error_tag() {
    assert!(looks_like_krb_error(TOO_BIG));
    assert!(!looks_like_krb_error(AS_REP));
    assert!(!looks_like_krb_error(&[]));
    assert!(looks_like_kdc_reply(AS_REP) && looks_like_kdc_reply(TOO_BIG));
    assert!(!looks_like_kdc_reply(b"junk") && !looks_like_kdc_reply(&[]));
}

#[test]
fn send_to_realm_future_is_send() {
    fn assert_send<T: Send>(_: T) {}
    let (realm, cfg) = (realm(), cfg());
    assert_send(send_to_realm(
        &realm,
        &[],
        REQUEST,
        &cfg,
        looks_like_krb_error,
    ));
}

/// `send_built` builds one request per attempt, for the attempt's socket: a silent server,
/// then an answering one over UDP, then over TCP after a "response too big".
#[tokio::test]
async fn built_requests_are_made_per_attempt_for_the_local_address() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    // Answers the kpasswd-like frame with TOO_BIG over UDP, so the same server is asked
    // again over TCP on the same port.
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = udp.local_addr().unwrap().port();
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let answering = udp_kdc_on(udp, vec![TOO_BIG]).await;
    tokio::spawn(async move {
        if let Ok((mut stream, peer)) = listener.accept().await {
            let len = stream.read_u32().await.unwrap();
            let mut request = vec![0; len as usize];
            stream.read_exact(&mut request).await.unwrap();
            // The request names the client's port as the builder saw it.
            assert_eq!(request, peer.port().to_be_bytes());
            stream
                .write_all(&tcp::frame(AS_REP).unwrap())
                .await
                .unwrap();
        }
    });
    let mut locals = Vec::new();
    let mut build = |local: SocketAddr| {
        locals.push(local);
        Ok(local.port().to_be_bytes().to_vec())
    };
    let servers = [kdc("", silent_addr), kdc("", answering)];
    let reply = send_built(
        &realm(),
        &servers,
        &mut build,
        2,
        &cfg(),
        |_| true,
        |r: &[u8]| r == TOO_BIG,
    )
    .await
    .unwrap();
    assert_eq!(reply.bytes, AS_REP);
    assert_eq!(reply.transport, Transport::Tcp);
    assert_eq!(locals.len(), 3, "{locals:?}");
    assert!(locals.iter().all(|l| l.ip().is_loopback() && l.port() != 0));
    drop(silent);
}

/// A builder's failure is an attempt's failure, recorded with the server.
#[tokio::test]
async fn a_failing_builder_fails_the_attempt() {
    let answering = udp_kdc(vec![AS_REP]).await;
    let mut build = |_: SocketAddr| Err(AttemptError::Io("cannot build".into()));
    let err = send_built(
        &realm(),
        &[kdc("udp/", answering)],
        &mut build,
        2,
        &cfg(),
        |_| true,
        |_: &[u8]| false,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cannot build"), "{err}");
}
