//! One TCP exchange with one KDC (RFC 4120 §7.2.2): each message is preceded by its length as
//! 4 bytes in network byte order; the high bit of the length is reserved and must be zero.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{AttemptError, Payload};

/// The largest message length a TCP length prefix can carry (the high bit is reserved).
pub(super) const MAX_TCP_MESSAGE: usize = 0x7fff_ffff;

/// `request` preceded by its 4-byte big-endian length, or `None` if it is longer than
/// [`MAX_TCP_MESSAGE`].
pub(super) fn frame(request: &[u8]) -> Option<Vec<u8>> {
    let len = u32::try_from(request.len())
        .ok()
        .filter(|&len| len as usize <= MAX_TCP_MESSAGE)?;
    let mut framed = Vec::with_capacity(request.len() + 4);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(request);
    Some(framed)
}

/// Sends the payload, [`frame`]d, to `kdc` and reads one length-prefixed reply of at most
/// `max_reply_len` bytes. The reply is read incrementally: a hostile length prefix is rejected
/// before anything is allocated, and a short stream allocates only what was received.
pub(super) async fn exchange(
    kdc: SocketAddr,
    payload: &mut Payload<'_>,
    max_reply_len: usize,
) -> Result<Vec<u8>, AttemptError> {
    tracing::debug!(kdc = %kdc, "Initiating TCP connection to stream {kdc}");
    let mut stream = TcpStream::connect(kdc).await?;
    let request = payload.for_local(stream.local_addr()?)?;
    let framed_request = frame(&request).ok_or(AttemptError::Io("request too long".into()))?;
    tracing::debug!(kdc = %kdc, request_len = framed_request.len().saturating_sub(4),
        "Sending TCP request to stream {kdc}");
    stream.write_all(&framed_request).await?;
    let mut prefix = [0; 4];
    stream.read_exact(&mut prefix).await?;
    let len = u32::from_be_bytes(prefix);
    if u64::from(len) > max_reply_len as u64 {
        return Err(AttemptError::ReplyTooLong {
            len: len.into(),
            max: max_reply_len,
        });
    }
    if len == 0 {
        return Err(AttemptError::EmptyReply);
    }
    let mut reply = Vec::new();
    (&mut stream)
        .take(len.into())
        .read_to_end(&mut reply)
        .await?;
    if reply.len() as u64 != u64::from(len) {
        return Err(AttemptError::Truncated);
    }
    tracing::debug!(kdc = %kdc, reply_len = reply.len(),
        "Received answer ({} bytes) from stream {kdc}", reply.len());
    tracing::debug!(kdc = %kdc, "Terminating TCP connection to stream {kdc}");
    Ok(reply)
}
