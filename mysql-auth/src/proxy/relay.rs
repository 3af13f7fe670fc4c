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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::encode_packet;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    /// A relay between a Unix socket pair's far end (the "client") and a loopback TCP
    /// connection's far end (the "server"), with the relay's own pending bytes.
    async fn harness(
        local_pending: Vec<u8>,
        upstream_pending: Vec<u8>,
    ) -> (
        UnixStream,
        TcpStream,
        tokio::task::JoinHandle<Result<(), String>>,
    ) {
        let (client, local) = UnixStream::pair().unwrap();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let up = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (server, _) = l.accept().await.unwrap();
        let task = tokio::spawn(relay(
            local,
            Stream::Plain(up),
            local_pending,
            upstream_pending,
        ));
        (client, server, task)
    }

    async fn read_n<R: AsyncRead + Unpin>(r: &mut R, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        r.read_exact(&mut v).await.unwrap();
        v
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn relays_both_ways_byte_for_byte_then_ends_with_the_server() {
        rt().block_on(async {
            let early = encode_packet(0, b"\x03SELECT 0");
            let (mut client, mut server, task) = harness(early.clone(), b"rest".to_vec()).await;
            assert_eq!(read_n(&mut client, 4).await, b"rest");
            assert_eq!(read_n(&mut server, early.len()).await, early);
            // More than one relay chunk each way, written in pieces.
            let query = encode_packet(0, &[b'q'; 3 * CHUNK]);
            let reply: Vec<u8> = (0..5 * CHUNK).map(|i| i as u8).collect();
            for part in query.chunks(1000) {
                client.write_all(part).await.unwrap();
            }
            assert_eq!(read_n(&mut server, query.len()).await, query);
            server.write_all(&reply).await.unwrap();
            assert_eq!(read_n(&mut client, reply.len()).await, reply);
            drop(server);
            assert_eq!(task.await.unwrap(), Ok(()));
            let mut rest = Vec::new();
            client.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty());
        });
    }

    #[test]
    fn a_client_that_leaves_lets_the_server_finish() {
        rt().block_on(async {
            let (mut client, mut server, task) = harness(Vec::new(), Vec::new()).await;
            let quit = encode_packet(0, b"\x01");
            client.write_all(&quit).await.unwrap();
            client.shutdown().await.unwrap();
            assert_eq!(read_n(&mut server, quit.len()).await, quit);
            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await.unwrap(); // the relay shut its write side
            assert!(rest.is_empty());
            server.write_all(b"last").await.unwrap();
            assert_eq!(read_n(&mut client, 4).await, b"last");
            drop(server);
            assert_eq!(task.await.unwrap(), Ok(()));
        });
    }

    #[test]
    fn change_user_is_answered_with_err_1235_and_never_reaches_the_server() {
        rt().block_on(async {
            let (mut client, mut server, task) = harness(Vec::new(), Vec::new()).await;
            let ping = encode_packet(0, b"\x0e");
            let mut wire = ping.clone();
            wire.extend(encode_packet(0, b"\x11joedoe\0"));
            client.write_all(&wire).await.unwrap();
            let mut answer = Vec::new();
            client.read_to_end(&mut answer).await.unwrap();
            assert_eq!(answer[3], 1); // sequence id
            assert_eq!(answer[4], 0xFF); // ERR
            assert_eq!(u16::from_le_bytes([answer[5], answer[6]]), 1235);
            assert_eq!(task.await.unwrap(), Err("refused command 0x11".into()));
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, ping);
        });
    }
}
