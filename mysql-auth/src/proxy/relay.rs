//! The command phase of a proxy session: both directions in one future, polled by the session's
//! task (feature `proxy`).
//!
//! Server to client passes byte for byte; client to server through the [`CommandFilter`]
//! (COM_CHANGE_USER refused). Each direction reads into a buffer allocated when its source has
//! data and dropped once the source would block and all it read is written: an idle session
//! holds no relay buffer, only its two sockets (and the upstream TLS state).

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::UnixStream;

use super::local::{CommandFilter, Refused, err_packet};
use crate::connector::Stream;

/// Size of a relay read: 8 KiB, like `tokio::io::copy`.
const CHUNK: usize = 8 * 1024;

/// How long the server's last bytes may take to drain after the client has gone.
const DRAIN: Duration = Duration::from_secs(5);

/// A source whose readiness can be awaited without a buffer.
trait Source: AsyncRead + Unpin {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

impl Source for UnixStream {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_read_ready(cx)
    }
}

impl Source for Stream {
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Stream::Plain(s) => s.poll_read_ready(cx),
            // Only awaited after a read returned Pending, so rustls holds no plaintext: the
            // next bytes come from the socket.
            Stream::Tls(s) => s.get_ref().0.poll_read_ready(cx),
        }
    }
}

/// How a direction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Its source closed (after everything read was written).
    Eof,
    /// The client sent a command the proxy refuses (everything before it was written).
    Refused(Refused),
}

/// One direction: the bytes read and not yet written, and whether its source is known to
/// have nothing (then its readiness is awaited before a buffer is allocated).
#[derive(Default)]
struct Pump {
    /// Read buffer (empty, with no capacity, while idle).
    chunk: Vec<u8>,
    /// Bytes to write: `out[pos..]`.
    out: Vec<u8>,
    pos: usize,
    /// The writes since the last flush.
    unflushed: bool,
    /// The last read returned Pending.
    drained: bool,
    /// What ends this direction once `out` is written.
    end: Option<End>,
}

impl Pump {
    /// Move bytes from `src` to `dst` until one of them would block (Pending) or the
    /// direction ends; `filter` (client to server) sees every byte read.
    fn poll<R: Source, W: AsyncWrite + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut R,
        dst: &mut W,
        mut filter: Option<&mut CommandFilter>,
    ) -> Poll<io::Result<End>> {
        loop {
            while self.pos < self.out.len() {
                let n = ready!(Pin::new(&mut *dst).poll_write(cx, &self.out[self.pos..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.pos += n;
                self.unflushed = true;
            }
            if self.unflushed {
                // A no-op on TCP and Unix sockets; rustls may still hold records.
                ready!(Pin::new(&mut *dst).poll_flush(cx))?;
                self.unflushed = false;
            }
            if let Some(end) = self.end {
                return Poll::Ready(Ok(end));
            }
            if self.drained {
                if src.poll_ready(cx)?.is_pending() {
                    // Idle: hold no buffer.
                    self.chunk = Vec::new();
                    self.out = Vec::new();
                    self.pos = 0;
                    return Poll::Pending;
                }
                self.drained = false;
            }
            if self.chunk.len() != CHUNK {
                self.chunk = vec![0; CHUNK];
            }
            let mut rb = ReadBuf::new(&mut self.chunk);
            match Pin::new(&mut *src).poll_read(cx, &mut rb) {
                Poll::Pending => {
                    self.drained = true;
                    continue;
                }
                // MariaDB closes a TLS session after COM_QUIT without close_notify: rustls
                // reports that as UnexpectedEof; the session ended normally all the same.
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.end = Some(End::Eof);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    let read = rb.filled();
                    self.out.clear();
                    self.pos = 0;
                    if read.is_empty() {
                        self.end = Some(End::Eof);
                    } else if let Some(f) = filter.as_deref_mut() {
                        if let Err(r) = f.feed(read, &mut self.out) {
                            self.end = Some(End::Refused(r));
                        }
                    } else {
                        self.out.extend_from_slice(read);
                    }
                }
            }
        }
    }
}

/// Relay the command phase until either side closes or the client sends a refused command.
/// `local_pending` and `upstream_pending` are bytes each side sent past its last handshake
/// packet.
pub(super) async fn relay(
    mut local: UnixStream,
    mut upstream: Stream,
    local_pending: Vec<u8>,
    upstream_pending: Vec<u8>,
) -> Result<(), String> {
    let mut filter = CommandFilter::default();
    let mut up = Pump::default();
    let mut down = Pump {
        out: upstream_pending,
        ..Pump::default()
    };
    if let Err(r) = filter.feed(&local_pending, &mut up.out) {
        up.end = Some(End::Refused(r));
    }
    drop(local_pending);
    // Both directions in one future: no task or lock per direction, and a wake-up polls
    // only socket readiness on the idle side.
    let (end, client_side) = poll_fn(|cx| {
        if let Poll::Ready(r) = down.poll(cx, &mut upstream, &mut local, None) {
            return Poll::Ready(r.map(|e| (e, false)));
        }
        up.poll(cx, &mut local, &mut upstream, Some(&mut filter))
            .map_ok(|e| (e, true))
    })
    .await
    .map_err(|e| e.to_string())?;
    match (end, client_side) {
        (End::Eof, false) => {
            let _ = local.shutdown().await;
            Ok(())
        }
        (End::Eof, true) => {
            // The client is gone; let the server's last bytes (if any) drain, bounded.
            let _ = upstream.shutdown().await;
            let drain = poll_fn(|cx| down.poll(cx, &mut upstream, &mut local, None));
            let _ = tokio::time::timeout(DRAIN, drain).await;
            Ok(())
        }
        (End::Refused(r), _) => {
            let msg = "kerb proxy: COM_CHANGE_USER is not supported (the proxy logs in with \
                       Kerberos once per connection); open a new connection as the other account";
            let _ = local
                .write_all(&err_packet(1, 1235, "42000", msg).encode())
                .await;
            let _ = local.shutdown().await;
            Err(format!("refused command {:#04x}", r.command))
        }
    }
}
