//! DNS messages for Kerberos discovery, sans-IO (RFC 1035 §4): a query builder and a response
//! parser for the three record types Kerberos clients use, SRV (RFC 2782, KDCs and kpasswd
//! servers, RFC 4120 §7.2.3.2), TXT (the realm of a host, MIT's `dns_lookup_realm`) and URI
//! (RFC 7553, MIT's `krb5srv:` KDC records). The socket side is `transport::dns`.
//!
//! Every response is hostile: the header, question and each answer are bounded by the message,
//! answer counts by [`MAX_ANSWERS`], compression pointers (RFC 1035 §4.1.4) must point strictly
//! backwards and are followed at most [`MAX_POINTER_HOPS`] times, names are at most 255 bytes on
//! the wire. The reply must carry the query's id and repeat its question. Authority and
//! additional sections are not read.

use std::fmt;

/// Answers kept from one response at most; a longer answer section is an error.
pub const MAX_ANSWERS: usize = 64;
/// Compression pointers followed at most while reading one name.
pub const MAX_POINTER_HOPS: usize = 16;
/// CNAME records followed at most from the question name to the records (RFC 1034 §3.6.2).
pub const MAX_CNAME_CHAIN: usize = 8;
/// The longest name on the wire (RFC 1035 §2.3.4).
const MAX_NAME_WIRE: usize = 255;
/// The longest label (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
const HEADER_LEN: usize = 12;
const CLASS_IN: u16 = 1;
const TYPE_CNAME: u16 = 5;

/// The record types asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordType {
    /// TXT (RFC 1035 §3.3.14), type 16.
    Txt,
    /// SRV (RFC 2782), type 33.
    Srv,
    /// URI (RFC 7553), type 256.
    Uri,
}

impl RecordType {
    /// The type code on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::Txt => 16,
            Self::Srv => 33,
            Self::Uri => 256,
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Txt => "TXT",
            Self::Srv => "SRV",
            Self::Uri => "URI",
        })
    }
}

/// One SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative weight among records of one priority.
    pub weight: u16,
    /// The service's port on the target.
    pub port: u16,
    /// The target host name without its trailing dot (bytes outside `[!-~]`, `.` inside a
    /// label and `\` escaped as `\DDD`); empty for `.`, "no such service here".
    pub target: String,
}

/// One URI record (RFC 7553 §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative weight among records of one priority.
    pub weight: u16,
    /// The URI (UTF-8, at least one byte).
    pub target: String,
}

/// The data of one answer record of the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// The character-strings of a TXT record, in order.
    Txt(Vec<Vec<u8>>),
    /// An SRV record.
    Srv(SrvRecord),
    /// A URI record.
    Uri(UriRecord),
}

/// What a well-formed response says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// The records of the type asked for at the question name (after CNAMEs); empty when the
    /// name exists without such records (NOERROR, "NODATA").
    Records(Vec<Record>),
    /// The name does not exist (RCODE 3, NXDOMAIN).
    NoSuchName,
    /// The server truncated the reply (TC): ask again over TCP (RFC 7766 §5).
    Truncated,
}

/// Why a response (or a name to query) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsMessageError {
    /// The name cannot be sent: an empty or over-long label, or over 255 bytes in all.
    #[error("\"{0}\" is not a valid DNS name")]
    BadName(String),
    /// The message ends inside a field.
    #[error("DNS message truncated at byte {0}")]
    Short(usize),
    /// Not a reply to our query: another id, not a response, or another question.
    #[error("DNS reply does not match the query ({0})")]
    Mismatch(&'static str),
    /// The server answered with an error RCODE (2 SERVFAIL, 4 NOTIMP, 5 REFUSED, ...).
    #[error("DNS server answered RCODE {0} ({name})", name = rcode_name(*.0))]
    Rcode(u8),
    /// A malformed name, record or count.
    #[error("malformed DNS reply: {0}")]
    Malformed(&'static str),
}

fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        1 => "FORMERR",
        2 => "SERVFAIL",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "error",
    }
}

/// The wire form of a query for `name` (absolute; a trailing dot is optional) and `rtype`,
/// class IN, recursion desired (RFC 1035 §4.1.1), with id `id` (random, chosen by the caller).
pub fn encode_query(id: u16, name: &str, rtype: RecordType) -> Result<Vec<u8>, DnsMessageError> {
    let mut out = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    out.extend_from_slice(&id.to_be_bytes());
    // QR=0, OPCODE=0, RD=1; QDCOUNT=1, no other records.
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(name, &mut out)?;
    out.extend_from_slice(&rtype.code().to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsMessageError> {
    let bad = || DnsMessageError::BadName(crate::escape_peer_text(name, 300));
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let start = out.len();
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            let len = u8::try_from(label.len()).map_err(|_| bad())?;
            if label.is_empty() || usize::from(len) > MAX_LABEL {
                return Err(bad());
            }
            out.push(len);
            out.extend_from_slice(label.as_bytes());
        }
    }
    out.push(0);
    if out.len() - start > MAX_NAME_WIRE {
        return Err(bad());
    }
    Ok(())
}

/// Parse `msg`, the reply to the query [`encode_query`]`(id, name, rtype)`: the id, the
/// response bit, opcode 0 and the question are checked; a TC reply is [`Answer::Truncated`]
/// without reading further; answers of other types or names are skipped.
pub fn parse_response(
    id: u16,
    name: &str,
    rtype: RecordType,
    msg: &[u8],
) -> Result<Answer, DnsMessageError> {
    let header = msg
        .get(..HEADER_LEN)
        .ok_or(DnsMessageError::Short(msg.len()))?;
    if u16::from_be_bytes([header[0], header[1]]) != id {
        return Err(DnsMessageError::Mismatch("another id"));
    }
    let (flags1, flags2) = (header[2], header[3]);
    if flags1 & 0x80 == 0 {
        return Err(DnsMessageError::Mismatch("not a response"));
    }
    if (flags1 >> 3) & 0x0f != 0 {
        return Err(DnsMessageError::Mismatch("another opcode"));
    }
    if flags1 & 0x02 != 0 {
        return Ok(Answer::Truncated);
    }
    let rcode = flags2 & 0x0f;
    let qdcount = u16::from_be_bytes([header[4], header[5]]);
    let ancount = usize::from(u16::from_be_bytes([header[6], header[7]]));
    // FORMERR, NOTIMP and REFUSED replies may omit the question: the RCODE is what matters.
    if rcode != 0 && rcode != 3 {
        return Err(DnsMessageError::Rcode(rcode));
    }
    if qdcount != 1 {
        return Err(DnsMessageError::Mismatch("not one question"));
    }
    let mut r = Reader {
        msg,
        pos: HEADER_LEN,
    };
    let qname = r.name()?;
    let qtype = r.u16()?;
    let qclass = r.u16()?;
    let wanted = name.strip_suffix('.').unwrap_or(name);
    if !qname.eq_ignore_ascii_case(wanted) || qtype != rtype.code() || qclass != CLASS_IN {
        return Err(DnsMessageError::Mismatch("another question"));
    }
    if rcode == 3 {
        return Ok(Answer::NoSuchName);
    }
    if ancount > MAX_ANSWERS {
        return Err(DnsMessageError::Malformed("too many answers"));
    }
    // The names the records may be at: the question, then each CNAME target in turn.
    let mut owners = vec![qname];
    let mut records = Vec::new();
    for _ in 0..ancount {
        let owner = r.name()?;
        let (rr_type, rr_class) = (r.u16()?, r.u16()?);
        r.take(4)?; // TTL: records are used once, not cached.
        let rdlen = usize::from(r.u16()?);
        let rdata_start = r.pos;
        let rdata_end = rdata_start + rdlen;
        if rdata_end > msg.len() {
            return Err(DnsMessageError::Short(msg.len()));
        }
        let at_owner = owners.iter().any(|o| o.eq_ignore_ascii_case(&owner));
        if rr_class == CLASS_IN && at_owner {
            if rr_type == TYPE_CNAME {
                if owners.len() > MAX_CNAME_CHAIN {
                    return Err(DnsMessageError::Malformed("CNAME chain too long"));
                }
                let target = r.name_within(rdata_end)?;
                owners.push(target);
            } else if rr_type == rtype.code() {
                records.push(r.rdata(rtype, rdata_end)?);
            }
        }
        r.pos = rdata_end;
    }
    Ok(Answer::Records(records))
}

/// A cursor over a message; names may point back into the whole message.
struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DnsMessageError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.msg.len());
        let end = end.ok_or(DnsMessageError::Short(self.msg.len()))?;
        let bytes = &self.msg[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn u16(&mut self) -> Result<u16, DnsMessageError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A name at the cursor (RFC 1035 §4.1.4); the cursor moves past its in-place part.
    fn name(&mut self) -> Result<String, DnsMessageError> {
        self.name_within(self.msg.len())
    }

    /// A name whose in-place part must end by `end` (the end of the record's data).
    fn name_within(&mut self, end: usize) -> Result<String, DnsMessageError> {
        let malformed = DnsMessageError::Malformed;
        let mut out = String::new();
        let mut wire_len = 0;
        let mut hops = 0;
        let mut pos = self.pos;
        // Where the cursor resumes: after the first pointer, or after the final zero byte.
        let mut resume = None;
        // Every pointer must go strictly before the label sequence it was found in.
        let mut floor = pos;
        loop {
            let limit = if resume.is_none() {
                end
            } else {
                self.msg.len()
            };
            let &len = self
                .msg
                .get(pos)
                .filter(|_| pos < limit)
                .ok_or(DnsMessageError::Short(self.msg.len()))?;
            match len & 0xc0 {
                0x00 => {
                    let len = usize::from(len);
                    wire_len += len + 1;
                    if wire_len > MAX_NAME_WIRE {
                        return Err(malformed("name longer than 255 bytes"));
                    }
                    if len == 0 {
                        resume.get_or_insert(pos + 1);
                        break;
                    }
                    let label = self
                        .msg
                        .get(pos + 1..pos + 1 + len)
                        .filter(|_| pos + 1 + len <= limit)
                        .ok_or(DnsMessageError::Short(self.msg.len()))?;
                    if !out.is_empty() {
                        out.push('.');
                    }
                    push_label(&mut out, label);
                    pos += 1 + len;
                }
                0xc0 => {
                    let &low = self
                        .msg
                        .get(pos + 1)
                        .filter(|_| pos + 1 < limit)
                        .ok_or(DnsMessageError::Short(self.msg.len()))?;
                    let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                    hops += 1;
                    if hops > MAX_POINTER_HOPS {
                        return Err(malformed("too many compression pointers"));
                    }
                    if target >= floor {
                        return Err(malformed("compression pointer not backwards"));
                    }
                    resume.get_or_insert(pos + 2);
                    floor = target;
                    pos = target;
                }
                _ => return Err(malformed("unknown label type")),
            }
        }
        // `resume` is set on every path out of the loop.
        self.pos = resume.unwrap_or(pos);
        if self.pos > end {
            return Err(malformed("name runs past its record"));
        }
        Ok(out)
    }

    /// The data of a record of type `rtype` ending at `end`.
    fn rdata(&mut self, rtype: RecordType, end: usize) -> Result<Record, DnsMessageError> {
        let malformed = DnsMessageError::Malformed;
        let rdata = self.msg.get(self.pos..end).ok_or(malformed("bad length"))?;
        match rtype {
            RecordType::Txt => {
                let mut strings = Vec::new();
                let mut rest = rdata;
                while let Some((&len, tail)) = rest.split_first() {
                    let len = usize::from(len);
                    let s = tail
                        .get(..len)
                        .ok_or(malformed("TXT string past its record"))?;
                    strings.push(s.to_vec());
                    rest = &tail[len..];
                }
                if strings.is_empty() {
                    return Err(malformed("empty TXT record"));
                }
                Ok(Record::Txt(strings))
            }
            RecordType::Srv => {
                let (fixed, _) = rdata
                    .split_at_checked(6)
                    .ok_or(malformed("short SRV record"))?;
                self.pos += 6;
                let priority = u16::from_be_bytes([fixed[0], fixed[1]]);
                let weight = u16::from_be_bytes([fixed[2], fixed[3]]);
                let port = u16::from_be_bytes([fixed[4], fixed[5]]);
                let target = self.name_within(end)?;
                if self.pos != end {
                    return Err(malformed("SRV record longer than its target"));
                }
                Ok(Record::Srv(SrvRecord {
                    priority,
                    weight,
                    port,
                    target,
                }))
            }
            RecordType::Uri => {
                let (fixed, target) = rdata
                    .split_at_checked(4)
                    .ok_or(malformed("short URI record"))?;
                if target.is_empty() {
                    return Err(malformed("empty URI"));
                }
                let target = std::str::from_utf8(target)
                    .map_err(|_| malformed("URI not UTF-8"))?
                    .to_owned();
                Ok(Record::Uri(UriRecord {
                    priority: u16::from_be_bytes([fixed[0], fixed[1]]),
                    weight: u16::from_be_bytes([fixed[2], fixed[3]]),
                    target,
                }))
            }
        }
    }
}

/// A label as text: printable ASCII as is, anything else (and `.`, `\`) as `\DDD`, the
/// presentation format of RFC 1035 §5.1, so a peer's label cannot alter the name's structure.
fn push_label(out: &mut String, label: &[u8]) {
    for &b in label {
        if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\{b:03}"));
        }
    }
}

#[cfg(test)]
mod tests;
