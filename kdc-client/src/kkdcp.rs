//! MS-KKDCP, the Kerberos KDC proxy over HTTPS, sans-IO: the KDC-PROXY-MESSAGE (MS-KKDCP
//! §2.2.2), the HTTP/1.1 POST that carries it (§2.2.1, `Content-Type: application/kerberos`)
//! and a bounded parser of the HTTP response. The transport (`transport::https`, feature
//! `https`) only moves these bytes over TLS.
//!
//! ```text
//! KDC-PROXY-MESSAGE ::= SEQUENCE {
//!     kerb-message   [0] OCTET STRING,      -- the message with its 4-byte TCP length prefix
//!     target-domain  [1] KERB-REALM OPTIONAL,
//!     dclocator-hint [2] INTEGER OPTIONAL }
//! ```

use std::borrow::Cow;

use rasn::prelude::*;

use crate::Realm;
use crate::asn1::{Asn1Error, KerberosString};

/// Longest HTTP response header block accepted, bytes (also the bound of a chunked body's
/// trailer section).
pub const MAX_HEADER_LEN: usize = 16 * 1024;

/// Longest chunk-size line of a chunked body (size, extensions and CRLF), bytes.
pub const MAX_CHUNK_LINE: usize = 1024;

/// `KDC-PROXY-MESSAGE` (MS-KKDCP §2.2.2), explicit tags.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KdcProxyMessage {
    #[rasn(tag(explicit(0)))]
    pub kerb_message: OctetString,
    #[rasn(tag(explicit(1)))]
    pub target_domain: Option<KerberosString>,
    #[rasn(tag(explicit(2)))]
    pub dclocator_hint: Option<i32>,
}

crate::asn1::message! {
    KdcProxyMessage;
}

/// Why a proxy exchange's bytes could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KkdcpError {
    #[error("malformed KDC-PROXY-MESSAGE: {0}")]
    Asn1(String),
    #[error("the proxied message's length prefix {prefix} does not match its {actual} bytes")]
    Prefix { prefix: u64, actual: usize },
    #[error("the proxied message is empty")]
    Empty,
    #[error("malformed HTTP response: {0}")]
    Http(&'static str),
    #[error("HTTP status {0} from the KDC proxy")]
    Status(u16),
    #[error("HTTP response body of {len} bytes exceeds the limit of {max}")]
    TooLong { len: u64, max: usize },
    #[error("the request does not fit a KDC-PROXY-MESSAGE")]
    RequestTooLong,
}

impl From<Asn1Error> for KkdcpError {
    fn from(e: Asn1Error) -> Self {
        Self::Asn1(e.to_string())
    }
}

/// The KDC-PROXY-MESSAGE for a Kerberos request to `realm`, DER (as MIT: the message with its
/// TCP length prefix, the realm as target-domain, no dclocator-hint).
pub fn encode_request(message: &[u8], realm: &Realm) -> Result<Vec<u8>, KkdcpError> {
    let len = u32::try_from(message.len()).map_err(|_| KkdcpError::RequestTooLong)?;
    let mut framed = Vec::with_capacity(message.len() + 4);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(message);
    Ok(KdcProxyMessage {
        kerb_message: framed.into(),
        target_domain: Some(KerberosString::from(realm)),
        dclocator_hint: None,
    }
    .to_der()?)
}

/// The Kerberos reply inside a KDC-PROXY-MESSAGE, its length prefix checked and removed.
pub fn decode_reply(body: &[u8]) -> Result<Vec<u8>, KkdcpError> {
    let msg = KdcProxyMessage::decode(body)?;
    let framed = msg.kerb_message.as_ref();
    let (Some(prefix), Some(rest)) = (framed.get(..4), framed.get(4..)) else {
        return Err(KkdcpError::Prefix {
            prefix: 0,
            actual: framed.len(),
        });
    };
    let prefix = u64::from(u32::from_be_bytes([
        prefix[0], prefix[1], prefix[2], prefix[3],
    ]));
    if prefix != rest.len() as u64 {
        return Err(KkdcpError::Prefix {
            prefix,
            actual: rest.len(),
        });
    }
    if rest.is_empty() {
        return Err(KkdcpError::Empty);
    }
    Ok(rest.to_vec())
}

/// The HTTP/1.1 POST of `body` to `path` on `host` (the `Host` header: host, and the port
/// when not 443), closing the connection after the reply.
pub fn http_request(host: &str, port: u16, path: &str, body: &[u8]) -> Vec<u8> {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let host = if port == 443 {
        host
    } else {
        format!("{host}:{port}")
    };
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/kerberos\r\n\
         Content-Length: {}\r\nCache-Control: no-cache\r\nPragma: no-cache\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Parse the HTTP response received so far. `Ok(None)`: more bytes are needed (headers not
/// complete, or a body shorter than its Content-Length or its chunks, or no length and no
/// `eof` yet). `Ok(Some(body))` for a complete 200 response, its body as sent or, with
/// `Transfer-Encoding: chunked`, decoded (RFC 9112 §7.1); a non-200 status, another transfer
/// coding, both Content-Length and Transfer-Encoding (RFC 9112 §6.3), a malformed response,
/// or a body over `max_body` is an error.
pub fn parse_http_response(
    buf: &[u8],
    eof: bool,
    max_body: usize,
) -> Result<Option<Cow<'_, [u8]>>, KkdcpError> {
    let Some(end) = find(buf, b"\r\n\r\n") else {
        if buf.len() > MAX_HEADER_LEN {
            return Err(KkdcpError::Http("header block too long"));
        }
        return if eof {
            Err(KkdcpError::Http("connection closed in the headers"))
        } else {
            Ok(None)
        };
    };
    if end > MAX_HEADER_LEN {
        return Err(KkdcpError::Http("header block too long"));
    }
    let head = std::str::from_utf8(buf.get(..end).unwrap_or_default())
        .map_err(|_| KkdcpError::Http("headers are not text"))?;
    let body = buf.get(end + 4..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let mut parts = status.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(KkdcpError::Http("not an HTTP/1.x status line"));
    }
    let code: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or(KkdcpError::Http("bad status code"))?;
    if code != 200 {
        return Err(KkdcpError::Status(code));
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or(KkdcpError::Http("header line without a colon"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let v: u64 = value
                .parse()
                .map_err(|_| KkdcpError::Http("bad Content-Length"))?;
            if length.is_some_and(|l| l != v) {
                return Err(KkdcpError::Http("conflicting Content-Length headers"));
            }
            length = Some(v);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only `chunked` alone (a list or repeated header naming another coding is not).
            if chunked || !value.eq_ignore_ascii_case("chunked") {
                return Err(KkdcpError::Http(
                    "transfer codings other than chunked are not supported",
                ));
            }
            chunked = true;
        }
    }
    if chunked {
        if length.is_some() {
            return Err(KkdcpError::Http(
                "both Content-Length and Transfer-Encoding (RFC 9112 §6.3)",
            ));
        }
        return Ok(dechunk(body, eof, max_body)?.map(Cow::Owned));
    }
    match length {
        Some(len) if len > max_body as u64 => Err(KkdcpError::TooLong { len, max: max_body }),
        Some(len) => match body.get(..len as usize) {
            Some(b) if body.len() as u64 == len => Ok(Some(Cow::Borrowed(b))),
            Some(_) => Err(KkdcpError::Http("more bytes than Content-Length")),
            None if eof => Err(KkdcpError::Http("connection closed in the body")),
            None => Ok(None),
        },
        None if body.len() > max_body => Err(KkdcpError::TooLong {
            len: body.len() as u64,
            max: max_body,
        }),
        None if eof => Ok(Some(Cow::Borrowed(body))),
        None => Ok(None),
    }
}

/// Decode a chunked body (RFC 9112 §7.1): `chunk-size [;ext] CRLF data CRLF` ..., then
/// `0 [;ext] CRLF`, trailer fields and CRLF. Chunk extensions and trailers are read and
/// ignored. `Ok(None)`: incomplete (an error at `eof`). Bounded: the decoded size by
/// `max_body` (checked on each announced size, before the data is taken), a size line by
/// [`MAX_CHUNK_LINE`], the trailers by [`MAX_HEADER_LEN`]; no bytes may follow.
fn dechunk(mut rest: &[u8], eof: bool, max_body: usize) -> Result<Option<Vec<u8>>, KkdcpError> {
    let incomplete = |what| {
        if eof {
            Err(KkdcpError::Http(what))
        } else {
            Ok(None)
        }
    };
    let mut out = Vec::new();
    loop {
        let Some(end) = find(rest, b"\r\n") else {
            if rest.len() > MAX_CHUNK_LINE {
                return Err(KkdcpError::Http("chunk size line too long"));
            }
            return incomplete("connection closed in a chunk size line");
        };
        if end > MAX_CHUNK_LINE {
            return Err(KkdcpError::Http("chunk size line too long"));
        }
        let line = rest.get(..end).unwrap_or_default();
        let size = line.split(|&b| b == b';').next().unwrap_or_default();
        let size = size
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t'))
            .map_or(&[][..], |last| size.get(..=last).unwrap_or_default());
        if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
            return Err(KkdcpError::Http("bad chunk size"));
        }
        let size = std::str::from_utf8(size)
            .ok()
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .ok_or(KkdcpError::Http("bad chunk size"))?;
        rest = rest.get(end + 2..).unwrap_or_default();
        if size == 0 {
            return trailers(rest, eof).map(|done| done.then_some(out));
        }
        let total = (out.len() as u64).saturating_add(size);
        if total > max_body as u64 {
            return Err(KkdcpError::TooLong {
                len: total,
                max: max_body,
            });
        }
        // `size` <= max_body: it fits a usize.
        let size = usize::try_from(size).map_err(|_| KkdcpError::Http("bad chunk size"))?;
        let (Some(data), Some(crlf)) = (rest.get(..size), rest.get(size..size.saturating_add(2)))
        else {
            return incomplete("connection closed in a chunk");
        };
        if crlf != b"\r\n" {
            return Err(KkdcpError::Http("chunk data not followed by CRLF"));
        }
        out.extend_from_slice(data);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

/// The trailer section after the last chunk, up to its empty line: `Ok(true)` when complete
/// and nothing follows it.
fn trailers(rest: &[u8], eof: bool) -> Result<bool, KkdcpError> {
    let end = if rest.starts_with(b"\r\n") {
        Some(2)
    } else {
        find(rest, b"\r\n\r\n").map(|e| e + 4)
    };
    let Some(end) = end else {
        if rest.len() > MAX_HEADER_LEN {
            return Err(KkdcpError::Http("trailer section too long"));
        }
        return if eof {
            Err(KkdcpError::Http("connection closed in the trailer section"))
        } else {
            Ok(false)
        };
    };
    if end > MAX_HEADER_LEN {
        return Err(KkdcpError::Http("trailer section too long"));
    }
    if rest.len() > end {
        return Err(KkdcpError::Http("bytes after the chunked body"));
    }
    Ok(true)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn realm() -> Realm {
        Realm::new("ONPREM.LOCAL").unwrap()
    }

    #[test]
    fn request_round_trips_with_prefix_and_realm() {
        let der = encode_request(&[0x6a, 1, 2], &realm()).unwrap();
        let msg = KdcProxyMessage::decode(&der).unwrap();
        assert_eq!(msg.kerb_message.as_ref(), &[0, 0, 0, 3, 0x6a, 1, 2]);
        assert_eq!(msg.target_domain.unwrap().as_bytes(), b"ONPREM.LOCAL");
        assert_eq!(msg.dclocator_hint, None);
        // The reply decoder takes the same shape back.
        assert_eq!(decode_reply(&der).unwrap(), vec![0x6a, 1, 2]);
    }

    /// An MS-KKDCP reply from the protocol's ASN.1 by hand: SEQUENCE { [0] OCTET STRING }.
    #[test]
    fn decodes_a_hand_written_reply_and_checks_the_prefix() {
        let ok = [0x30, 0x0b, 0xa0, 0x09, 0x04, 0x07, 0, 0, 0, 3, 0x6b, 0, 0];
        assert_eq!(decode_reply(&ok).unwrap(), vec![0x6b, 0, 0]);
        let bad = [0x30, 0x0b, 0xa0, 0x09, 0x04, 0x07, 0, 0, 0, 4, 0x6b, 0, 0];
        assert_eq!(
            decode_reply(&bad),
            Err(KkdcpError::Prefix {
                prefix: 4,
                actual: 3
            })
        );
        let empty = [0x30, 0x08, 0xa0, 0x06, 0x04, 0x04, 0, 0, 0, 0];
        assert_eq!(decode_reply(&empty), Err(KkdcpError::Empty));
        assert!(decode_reply(&[0x30, 0x02, 0xa0, 0x00]).is_err());
        assert!(decode_reply(&[]).is_err());
    }

    #[test]
    fn http_request_names_host_path_and_length() {
        let r = http_request("proxy.example", 8443, "/KdcProxy", b"ab");
        let text = String::from_utf8(r).unwrap();
        assert!(text.starts_with("POST /KdcProxy HTTP/1.1\r\nHost: proxy.example:8443\r\n"));
        assert!(text.contains("Content-Type: application/kerberos\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\nCache-Control: no-cache\r\nPragma: no-cache\r\nConnection: close\r\n\r\nab"));
        let r = http_request("::1", 443, "/", b"");
        assert!(String::from_utf8(r).unwrap().contains("Host: [::1]\r\n"));
    }

    #[test]
    fn http_responses_are_parsed_bounded() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Type: application/kerberos\r\nContent-Length: 3\r\n\r\nabc";
        let ok = |b: &'static [u8]| Ok(Some(Cow::Borrowed(b)));
        assert_eq!(parse_http_response(full, false, 10), ok(b"abc"));
        assert_eq!(
            parse_http_response(&full[..full.len() - 1], false, 10),
            Ok(None)
        );
        assert!(parse_http_response(&full[..full.len() - 1], true, 10).is_err());
        assert_eq!(
            parse_http_response(full, false, 2),
            Err(KkdcpError::TooLong { len: 3, max: 2 })
        );
        let no_len = b"HTTP/1.0 200 OK\r\n\r\nab";
        assert_eq!(parse_http_response(no_len, false, 10), Ok(None));
        assert_eq!(parse_http_response(no_len, true, 10), ok(b"ab"));
        assert_eq!(
            parse_http_response(b"HTTP/1.1 503 Remote unavailable\r\n\r\n", true, 10),
            Err(KkdcpError::Status(503))
        );
        for bad in [
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab",
            b"SSH-2.0\r\n\r\n",
            b"HTTP/1.1 2x0 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nbroken\r\n\r\n",
        ] {
            assert!(parse_http_response(bad, true, 10).is_err(), "{bad:?}");
        }
        let huge = vec![b'a'; MAX_HEADER_LEN + 1];
        assert!(parse_http_response(&huge, false, 10).is_err());
    }

    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

    fn chunked(body: &[u8], eof: bool, max: usize) -> Result<Option<Vec<u8>>, KkdcpError> {
        let mut r = CHUNKED.to_vec();
        r.extend_from_slice(body);
        parse_http_response(&r, eof, max).map(|b| b.map(Cow::into_owned))
    }

    #[test]
    fn chunked_bodies_are_decoded() {
        let whole = |b: &[u8]| Ok(Some(b.to_vec()));
        assert_eq!(chunked(b"3\r\nabc\r\n0\r\n\r\n", false, 10), whole(b"abc"));
        // Several chunks, upper-case hex, extensions, whitespace before them, trailers.
        let body =
            b"2;name=v\r\nab\r\nA \t;x\r\n0123456789\r\n0;end\r\nX-Trailer: 1\r\nY: 2\r\n\r\n";
        assert_eq!(chunked(body, true, 12), whole(b"ab0123456789"));
        // Only the last chunk: an empty body.
        assert_eq!(chunked(b"0\r\n\r\n", false, 10), whole(b""));
        // The header name and value in any case.
        let r = b"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n";
        assert_eq!(
            parse_http_response(r, false, 10).unwrap().as_deref(),
            Some(&b"z"[..])
        );
    }

    #[test]
    fn chunked_bodies_wait_for_every_byte() {
        let body = b"3;e=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n";
        for cut in 0..body.len() {
            assert_eq!(chunked(&body[..cut], false, 100), Ok(None), "cut at {cut}");
            assert!(chunked(&body[..cut], true, 100).is_err(), "cut at {cut}");
        }
        assert_eq!(
            chunked(body, false, 100),
            Ok(Some(b"abc0123456789abcdef".to_vec()))
        );
    }

    #[test]
    fn chunked_bodies_are_bounded_and_strict() {
        // The announced size counts before its data arrives.
        assert_eq!(
            chunked(b"5\r\nab", false, 4),
            Err(KkdcpError::TooLong { len: 5, max: 4 })
        );
        assert_eq!(
            chunked(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", false, 4),
            Err(KkdcpError::TooLong { len: 5, max: 4 })
        );
        // A size over 64 bits, or u64::MAX, never wraps.
        assert!(chunked(b"10000000000000000\r\n", false, 4).is_err());
        assert_eq!(
            chunked(b"ffffffffffffffff\r\n", false, 4),
            Err(KkdcpError::TooLong {
                len: u64::MAX,
                max: 4
            })
        );
        let long_line = [b"1;".as_slice(), &[b'x'; MAX_CHUNK_LINE]].concat();
        assert!(chunked(&long_line, false, 4).is_err());
        let long_trailer = [b"0\r\nT: ".as_slice(), &[b'x'; MAX_HEADER_LEN]].concat();
        assert!(chunked(&long_trailer, false, 4).is_err());
        for bad in [
            &b"\r\n"[..],
            b"x\r\n",
            b"-1\r\n",
            b"+1\r\na\r\n0\r\n\r\n",
            b"0x1\r\na\r\n0\r\n\r\n",
            b" 1\r\na\r\n0\r\n\r\n",
            b"1\r\nab\r\n0\r\n\r\n",
            b"1\r\na\n0\r\n\r\n",
            b"0\r\n\r\nextra",
            b"0\r\n\r\nT: v\r\n\r\n",
        ] {
            assert!(chunked(bad, true, 10).is_err(), "{bad:?}");
            assert!(chunked(bad, false, 10).is_err(), "{bad:?}");
        }
        // Smuggling shapes: both framings, or another coding with chunked.
        for head in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            let r = [head, b"3\r\nabc\r\n0\r\n\r\n"].concat();
            assert!(parse_http_response(&r, true, 10).is_err(), "{head:?}");
        }
    }
}
