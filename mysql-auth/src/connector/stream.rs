//! The byte stream (plain TCP or TLS) and packet framing over it, shared with the test
//! server and the proxy.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Error;
use crate::error::ProtocolError;
use crate::packet::{Packet, PacketDecoder};

pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::TlsStream<TcpStream>>),
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            Self::Tls(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl Stream {
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf).await,
            Self::Tls(s) => s.read(buf).await,
        }
    }
    pub(crate) async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Plain(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
            Self::Tls(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
        }
    }
    pub(crate) async fn shutdown(&mut self) -> std::io::Result<()> {
        match self {
            Self::Plain(s) => s.shutdown().await,
            Self::Tls(s) => s.shutdown().await,
        }
    }
}

/// A packet stream: framing over plain TCP or TLS.
pub(crate) struct PacketIo {
    pub(crate) stream: Stream,
    pub(crate) decoder: PacketDecoder,
}

impl PacketIo {
    pub(crate) fn new(tcp: TcpStream, max_packet: usize) -> Self {
        Self {
            stream: Stream::Plain(tcp),
            decoder: PacketDecoder::new(max_packet),
        }
    }

    pub(crate) async fn read_packet(&mut self) -> Result<Packet, Error> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(p) = self.decoder.next_packet()? {
                return Ok(p);
            }
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            // n <= buf.len() by the read contract.
            self.decoder.extend(&buf[..n]);
        }
    }

    /// Read one single-chunk packet without reading past its end (the peer may follow it
    /// with a TLS ClientHello right away; used by the test server after the greeting).
    #[cfg(feature = "test-server")]
    pub(crate) async fn read_packet_exact(&mut self) -> Result<Packet, Error> {
        if let Some(p) = self.decoder.next_packet()? {
            return Ok(p);
        }
        let mut hdr = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            let n = self.stream.read(&mut hdr[got..]).await?;
            if n == 0 {
                return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            got += n;
        }
        // hdr is a fixed [u8; 4]; got < 4 / got < len keep the slices in bounds.
        let len = usize::from(hdr[0]) | usize::from(hdr[1]) << 8 | usize::from(hdr[2]) << 16;
        let mut body = vec![0u8; len];
        let mut got = 0;
        while got < len {
            let n = self.stream.read(&mut body[got..]).await?;
            if n == 0 {
                return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            got += n;
        }
        self.decoder.extend(&hdr);
        self.decoder.extend(&body);
        self.decoder
            .next_packet()?
            .ok_or(Error::Protocol(ProtocolError::Truncated("packet")))
    }

    pub(crate) async fn write_packet(&mut self, p: &Packet) -> Result<(), Error> {
        self.stream.write_all(&p.encode()).await?;
        Ok(())
    }

    /// Take the TCP stream for the TLS switch; fails if the peer already sent bytes past the
    /// SSLRequest point (they would bypass TLS).
    pub(crate) fn take_plain(self) -> Result<TcpStream, Error> {
        if self.decoder.buffered() != 0 {
            return Err(ProtocolError::Unexpected(
                "peer sent data before the TLS handshake".into(),
            )
            .into());
        }
        match self.stream {
            Stream::Plain(s) => Ok(s),
            Stream::Tls(_) => Err(Error::Tls("TLS already established".into())),
        }
    }

    pub(crate) fn with_tls(tls: tokio_rustls::TlsStream<TcpStream>, max_packet: usize) -> Self {
        Self {
            stream: Stream::Tls(Box::new(tls)),
            decoder: PacketDecoder::new(max_packet),
        }
    }
}

/// Run `f`, failing with [`Error::Timeout`] naming `what` after `d` (None = unbounded).
pub(crate) async fn timed<T, F>(d: Option<Duration>, what: &'static str, f: F) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    match d {
        Some(d) => tokio::time::timeout(d, f)
            .await
            .map_err(|_| Error::Timeout(what))?,
        None => f.await,
    }
}
