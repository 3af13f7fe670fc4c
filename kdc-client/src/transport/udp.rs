//! One UDP exchange with one KDC (RFC 4120 §7.2.1): one request datagram, one reply datagram.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::UdpSocket;

use super::{AttemptError, Payload};

/// Receive buffer size: the largest UDP payload (the length field is 16 bits).
const MAX_DATAGRAM: usize = 65_536;

/// Sends the payload (built for the socket's local address) to `kdc` and returns the first
/// datagram that `accept` takes for a reply (for KDCs, [`looks_like_kdc_reply`]).
///
/// Other datagrams are ignored (see [`looks_like_kdc_reply`]). Never returns on its own if the
/// KDC stays silent: the caller bounds it with a timeout.
pub(super) async fn exchange(
    kdc: SocketAddr,
    payload: &mut Payload<'_>,
    max_reply_len: usize,
    accept: fn(&[u8]) -> bool,
) -> Result<Vec<u8>, AttemptError> {
    let local: SocketAddr = if kdc.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).await?;
    // A connected socket only receives datagrams from `kdc`, and an ICMP port-unreachable
    // surfaces as ConnectionRefused, so a closed port fails fast instead of timing out.
    socket.connect(kdc).await?;
    let request = payload.for_local(socket.local_addr()?)?;
    tracing::debug!(kdc = %kdc, request_len = request.len(),
        "Sending initial UDP request to dgram {kdc}");
    socket.send(&request).await?;
    let mut buf = vec![0; MAX_DATAGRAM];
    loop {
        let len = socket.recv(&mut buf).await?;
        let Some(reply) = buf.get(..len) else {
            continue;
        };
        if !accept(reply) {
            tracing::debug!(kdc = %kdc, reply_len = len,
                "Ignoring a datagram from dgram {kdc} that is not a KDC reply");
            continue;
        }
        if len > max_reply_len {
            return Err(AttemptError::ReplyTooLong {
                len: len as u64,
                max: max_reply_len,
            });
        }
        tracing::debug!(kdc = %kdc, reply_len = len, "Received answer ({len} bytes) from dgram {kdc}");
        return Ok(reply.to_vec());
    }
}

/// True if `reply` starts like an AS-REP (`[APPLICATION 11]`, 0x6b), a TGS-REP
/// (`[APPLICATION 13]`, 0x6d) or a KRB-ERROR (`[APPLICATION 30]`, 0x7e) (RFC 4120 §5.4.2, §5.9.1).
pub fn looks_like_kdc_reply(reply: &[u8]) -> bool {
    matches!(reply.first(), Some(0x6b | 0x6d | 0x7e))
}
