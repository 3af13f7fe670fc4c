//! MySQL packet framing and the little readers every payload parser uses.
//!
//! Framing (MySQL protocol docs, "MySQL Packets"): every packet is a
//! 3-byte little-endian payload length, a 1-byte sequence id and the payload. A payload of
//! 0xFFFFFF bytes or more is split into chunks of exactly 0xFFFFFF bytes followed by a final
//! shorter (possibly empty) chunk; each chunk carries its own sequence id.

use crate::error::ProtocolError;

/// Largest payload length a single physical packet can carry (2^24 - 1).
pub const MAX_CHUNK: usize = 0x00FF_FFFF;

/// Default bound on a reassembled logical payload (16 MiB, like the mysql client's default
/// `max_allowed_packet`).
pub const DEFAULT_MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// One logical packet: a sequence id and its (reassembled) payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Sequence id of the first physical chunk.
    pub seq: u8,
    /// Payload bytes (header stripped, split chunks joined).
    pub payload: Vec<u8>,
}

impl Packet {
    /// A packet with the given sequence id and payload.
    pub fn new(seq: u8, payload: Vec<u8>) -> Self {
        Self { seq, payload }
    }

    /// Frame this packet for the wire (splitting at 0xFFFFFF).
    pub fn encode(&self) -> Vec<u8> {
        encode_packet(self.seq, &self.payload)
    }

    /// Sequence id of the packet that follows this one (after its split chunks).
    pub fn next_seq(&self) -> u8 {
        let chunks = self.payload.len() / MAX_CHUNK + 1;
        // chunks fits comfortably: truncation to u8 is the intended wrap-around.
        self.seq.wrapping_add((chunks % 256) as u8)
    }
}

/// Frame `payload` with sequence id `seq`, splitting it into 0xFFFFFF-byte chunks when needed
/// (a payload of exactly a multiple of 0xFFFFFF is followed by an empty chunk).
pub fn encode_packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 4 * (payload.len() / MAX_CHUNK + 1));
    let mut seq = seq;
    let mut rest = payload;
    loop {
        let n = rest.len().min(MAX_CHUNK);
        let len = (n as u32).to_le_bytes();
        out.extend_from_slice(&[len[0], len[1], len[2], seq]);
        let (chunk, tail) = rest.split_at(n);
        out.extend_from_slice(chunk);
        rest = tail;
        seq = seq.wrapping_add(1);
        if n < MAX_CHUNK {
            break;
        }
    }
    out
}

/// Incremental decoder of framed packets with a bound on the reassembled payload size.
///
/// Feed bytes with [`PacketDecoder::extend`] and pull complete logical packets with
/// [`PacketDecoder::next_packet`]. Chunks of a split payload must carry consecutive sequence ids.
#[derive(Debug)]
pub struct PacketDecoder {
    buf: Vec<u8>,
    max_payload: usize,
}

impl Default for PacketDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PAYLOAD)
    }
}

impl PacketDecoder {
    /// A decoder refusing logical payloads larger than `max_payload` bytes.
    pub fn new(max_payload: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_payload,
        }
    }

    /// Append received bytes.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered but not yet returned as packets.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Take buffered bytes that are not part of any packet yet (used after the TLS switch:
    /// there must be none).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// The next complete logical packet, `Ok(None)` if more bytes are needed.
    pub fn next_packet(&mut self) -> Result<Option<Packet>, ProtocolError> {
        let mut pos = 0usize;
        let mut first_seq = None;
        let mut expect_seq = 0u8;
        let mut total = 0usize;
        // First pass: find out whether the whole logical packet is buffered.
        loop {
            let Some(hdr) = self.buf.get(pos..pos + 4) else {
                return Ok(None);
            };
            let len = usize::from(hdr[0]) | usize::from(hdr[1]) << 8 | usize::from(hdr[2]) << 16;
            let seq = hdr[3];
            match first_seq {
                None => first_seq = Some(seq),
                Some(_) if seq != expect_seq => {
                    return Err(ProtocolError::SequenceMismatch {
                        expected: expect_seq,
                        got: seq,
                    });
                }
                Some(_) => {}
            }
            expect_seq = seq.wrapping_add(1);
            total = total.saturating_add(len);
            if total > self.max_payload {
                return Err(ProtocolError::PacketTooLarge {
                    len: total,
                    max: self.max_payload,
                });
            }
            if self.buf.len() < pos + 4 + len {
                return Ok(None);
            }
            pos += 4 + len;
            if len < MAX_CHUNK {
                break;
            }
        }
        // Second pass: copy the payload out.
        let mut payload = Vec::with_capacity(total);
        let mut p = 0usize;
        while p < pos {
            let hdr = &self.buf[p..p + 4]; // within `pos`, checked above
            let len = usize::from(hdr[0]) | usize::from(hdr[1]) << 8 | usize::from(hdr[2]) << 16;
            payload.extend_from_slice(&self.buf[p + 4..p + 4 + len]); // checked above
            p += 4 + len;
        }
        self.buf.drain(..pos);
        Ok(Some(Packet {
            // first_seq is Some: the loop ran at least once and set it.
            seq: first_seq.unwrap_or(0),
            payload,
        }))
    }
}

/// A bounds-checked cursor over a payload. Every read returns [`ProtocolError::Truncated`]
/// instead of panicking when the payload is too short.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Read `buf`; `what` names the structure in error messages.
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Self { buf, what }
    }

    fn truncated(&self) -> ProtocolError {
        ProtocolError::Truncated(self.what)
    }

    /// Remaining bytes.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Take everything that is left.
    pub fn take_rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// Take `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        if self.buf.len() < n {
            return Err(self.truncated());
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, ProtocolError> {
        let (&b, rest) = self.buf.split_first().ok_or_else(|| self.truncated())?;
        self.buf = rest;
        Ok(b)
    }

    /// Little-endian u16.
    pub fn u16le(&mut self) -> Result<u16, ProtocolError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// Little-endian u24.
    pub fn u24le(&mut self) -> Result<u32, ProtocolError> {
        let b = self.take(3)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], 0]))
    }

    /// Little-endian u32.
    pub fn u32le(&mut self) -> Result<u32, ProtocolError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Little-endian u64.
    pub fn u64le(&mut self) -> Result<u64, ProtocolError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A NUL-terminated string (the NUL is consumed, not returned).
    pub fn null_str(&mut self) -> Result<&'a [u8], ProtocolError> {
        let i = self
            .buf
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| self.truncated())?;
        let s = self.take(i)?;
        self.take(1)?;
        Ok(s)
    }

    /// A NUL-terminated string whose NUL may be missing at the end of the packet
    /// (tolerated for the last field of some packets).
    pub fn null_str_or_eof(&mut self) -> &'a [u8] {
        match self.buf.iter().position(|&b| b == 0) {
            Some(i) => {
                let (s, rest) = self.buf.split_at(i);
                self.buf = rest.get(1..).unwrap_or_default();
                s
            }
            None => self.take_rest(),
        }
    }

    /// A length-encoded integer (MySQL docs "Integer Types": `<0xFB` 1 byte, `0xFC` +2,
    /// `0xFD` +3, `0xFE` +8). `0xFB` (NULL) and `0xFF` are errors here.
    pub fn lenenc_int(&mut self) -> Result<u64, ProtocolError> {
        match self.lenenc_int_or_null()? {
            Some(v) => Ok(v),
            None => Err(ProtocolError::Malformed(
                self.what,
                "unexpected NULL (0xFB)",
            )),
        }
    }

    /// A length-encoded integer, `None` for the NULL marker `0xFB`.
    pub fn lenenc_int_or_null(&mut self) -> Result<Option<u64>, ProtocolError> {
        let b = self.u8()?;
        Ok(Some(match b {
            0..=0xFA => u64::from(b),
            0xFB => return Ok(None),
            0xFC => u64::from(self.u16le()?),
            0xFD => u64::from(self.u24le()?),
            0xFE => self.u64le()?,
            0xFF => {
                return Err(ProtocolError::Malformed(
                    self.what,
                    "invalid length-encoded integer 0xFF",
                ));
            }
        }))
    }

    /// A length-encoded string.
    pub fn lenenc_bytes(&mut self) -> Result<&'a [u8], ProtocolError> {
        let n = self.lenenc_int()?;
        let n = usize::try_from(n).map_err(|_| self.truncated())?;
        self.take(n)
    }

    /// A length-encoded string or NULL (`0xFB`).
    pub fn lenenc_bytes_or_null(&mut self) -> Result<Option<&'a [u8]>, ProtocolError> {
        match self.lenenc_int_or_null()? {
            None => Ok(None),
            Some(n) => {
                let n = usize::try_from(n).map_err(|_| self.truncated())?;
                Ok(Some(self.take(n)?))
            }
        }
    }
}

/// Append a length-encoded integer.
pub fn put_lenenc_int(out: &mut Vec<u8>, v: u64) {
    if v < 0xFB {
        out.push(v as u8);
    } else if v <= 0xFFFF {
        out.push(0xFC);
        out.extend_from_slice(&(v as u16).to_le_bytes());
    } else if v <= 0xFF_FFFF {
        out.push(0xFD);
        out.extend_from_slice(&(v as u32).to_le_bytes()[..3]);
    } else {
        out.push(0xFE);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Append a length-encoded string.
pub fn put_lenenc_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_lenenc_int(out, b.len() as u64);
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_roundtrip_small() {
        let wire = encode_packet(3, b"abc");
        assert_eq!(wire, [3, 0, 0, 3, b'a', b'b', b'c']);
        let mut d = PacketDecoder::default();
        for b in &wire[..wire.len() - 1] {
            d.extend(&[*b]);
            assert_eq!(d.next_packet().unwrap(), None);
        }
        d.extend(&wire[wire.len() - 1..]);
        assert_eq!(
            d.next_packet().unwrap(),
            Some(Packet::new(3, b"abc".to_vec()))
        );
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn frame_split_exact_multiple() {
        let payload = vec![7u8; MAX_CHUNK];
        let wire = encode_packet(255, &payload);
        assert_eq!(wire.len(), MAX_CHUNK + 8);
        assert_eq!(&wire[MAX_CHUNK + 4..], &[0, 0, 0, 0]); // empty chunk with seq 0
        let mut d = PacketDecoder::new(MAX_CHUNK + 10);
        d.extend(&wire);
        let p = d.next_packet().unwrap().unwrap();
        assert_eq!(p.seq, 255);
        assert_eq!(p.payload.len(), MAX_CHUNK);
        assert_eq!(Packet::new(255, payload).next_seq(), 1);
    }

    #[test]
    fn frame_split_bad_seq_and_bound() {
        let mut wire = encode_packet(0, &vec![1u8; MAX_CHUNK + 5]);
        let mut d = PacketDecoder::new(MAX_CHUNK - 1);
        d.extend(&wire[..4]);
        assert!(matches!(
            d.next_packet(),
            Err(ProtocolError::PacketTooLarge { .. })
        ));
        wire[MAX_CHUNK + 4 + 3] = 9;
        let mut d = PacketDecoder::new(usize::MAX);
        d.extend(&wire);
        assert!(matches!(
            d.next_packet(),
            Err(ProtocolError::SequenceMismatch {
                expected: 1,
                got: 9
            })
        ));
    }

    #[test]
    fn lenenc() {
        for v in [
            0u64,
            0xFA,
            0xFB,
            0xFFFF,
            0x10000,
            0xFF_FFFF,
            0x100_0000,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_lenenc_int(&mut out, v);
            let mut r = Reader::new(&out, "t");
            assert_eq!(r.lenenc_int().unwrap(), v);
            assert!(r.is_empty());
            for cut in 0..out.len() {
                assert!(Reader::new(&out[..cut], "t").lenenc_int().is_err());
            }
        }
        assert_eq!(
            Reader::new(&[0xFB], "t").lenenc_int_or_null().unwrap(),
            None
        );
        assert!(Reader::new(&[0xFF], "t").lenenc_int().is_err());
        assert!(
            Reader::new(&[0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "t")
                .lenenc_bytes()
                .is_err()
        );
    }
}
