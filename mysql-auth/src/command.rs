//! The command phase as a sans-IO reader: COM_QUERY's text result sets and COM_PING's reply.
//!
//! A query's response (MySQL manual, client/server protocol, "COM_QUERY Response" and
//! "Text Resultset"; MariaDB's `sql/protocol.cc`) is an OK, an ERR, a LOCAL INFILE request
//! (refused here), or a result set: column count, that many column definitions, an EOF
//! unless CLIENT_DEPRECATE_EOF, rows, and an EOF or OK terminator whose status says whether
//! another result set follows (SERVER_MORE_RESULTS_EXISTS). [`QueryReader`] takes the server's
//! packets one by one and says what the driver must do ([`ReadStep`]); the connector drives it.

use crate::error::ProtocolError;
use crate::messages::{
    ErrPacket, OkPacket, SERVER_MORE_RESULTS_EXISTS, caps, is_result_terminator, parse_column_name,
    parse_text_row, terminator_status,
};
use crate::packet::{Packet, Reader};

/// Bound on a result set's column count (MySQL's own limit is 4096 columns per table).
pub const MAX_COLUMNS: u64 = 4096;

/// A text result (or the OK of a statement without a result set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryResult {
    /// Column names (empty for statements without a result set).
    pub columns: Vec<String>,
    /// Rows; `None` is SQL NULL.
    pub rows: Vec<Vec<Option<Vec<u8>>>>,
    /// Affected rows (OK packet).
    pub affected_rows: u64,
    /// Last insert id (OK packet).
    pub last_insert_id: u64,
    /// Warning count.
    pub warnings: u16,
}

impl QueryResult {
    /// The value at `row` and `column` as sent (text protocol); `None` for SQL NULL or a
    /// position past the result.
    pub fn value(&self, row: usize, column: usize) -> Option<&[u8]> {
        self.rows.get(row)?.get(column)?.as_deref()
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The server answered with ERR (code, SQLSTATE, message verbatim).
    #[error(transparent)]
    Server(ErrPacket),
    /// Malformed or unexpected packet, or the result set exceeds its memory bound.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
}

/// What the driver of a [`QueryReader`] must do next.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadStep {
    /// Read the next server packet and give it to [`QueryReader::handle_packet`].
    Read,
    /// Write this packet (the refusal of a LOCAL INFILE request), then read the next one.
    Send(Packet),
    /// The response is complete: the first result (further result sets were read and
    /// dropped).
    Done(QueryResult),
}

#[derive(Debug)]
enum State {
    /// The first packet of a response: OK, ERR, LOCAL INFILE or a column count.
    Response,
    /// The server's answer to the refused LOCAL INFILE request.
    InfileRefused,
    /// Column definitions still to come.
    Columns { left: usize },
    /// The EOF after the column definitions (without CLIENT_DEPRECATE_EOF).
    ColumnsEof,
    /// Rows until the terminator.
    Rows,
    /// An error was returned; nothing more is accepted.
    Failed,
}

/// Reads the response to one COM_QUERY (its packets start at sequence id 1).
#[derive(Debug)]
pub struct QueryReader {
    state: State,
    seq: u8,
    deprecate_eof: bool,
    max_result_bytes: usize,
    /// The first result, once complete (later result sets are only checked).
    first: Option<QueryResult>,
    /// The result set being read.
    current: QueryResult,
    columns: usize,
    /// The memory the current result set holds (see [`QueryReader::new`]).
    bytes: usize,
}

impl QueryReader {
    /// A reader for a response on a connection with the negotiated `capabilities`. Each
    /// result set may hold at most `max_result_bytes` of memory: field bytes plus the
    /// per-field and per-row bookkeeping, so NULL-only rows count their real cost.
    pub fn new(capabilities: u32, max_result_bytes: usize) -> Self {
        Self {
            state: State::Response,
            seq: 1,
            deprecate_eof: capabilities & caps::DEPRECATE_EOF != 0,
            max_result_bytes,
            first: None,
            current: QueryResult::default(),
            columns: 0,
            bytes: 0,
        }
    }

    /// Handle one server packet.
    pub fn handle_packet(&mut self, p: &Packet) -> Result<ReadStep, CommandError> {
        let r = self.on_packet(p);
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    fn on_packet(&mut self, p: &Packet) -> Result<ReadStep, CommandError> {
        if p.seq != self.seq {
            return Err(ProtocolError::SequenceMismatch {
                expected: self.seq,
                got: p.seq,
            }
            .into());
        }
        self.seq = p.next_seq();
        let payload = &p.payload[..];
        if payload.first() == Some(&0xFF) && !matches!(self.state, State::Failed) {
            return Err(CommandError::Server(ErrPacket::parse(payload)?));
        }
        match self.state {
            State::Response => self.on_response(payload),
            State::InfileRefused => {
                Err(ProtocolError::Unexpected("LOCAL INFILE is not supported".into()).into())
            }
            State::Columns { left } => {
                self.current.columns.push(parse_column_name(payload)?);
                self.state = match left - 1 {
                    0 if self.deprecate_eof => State::Rows,
                    0 => State::ColumnsEof,
                    left => State::Columns { left },
                };
                Ok(ReadStep::Read)
            }
            State::ColumnsEof => {
                if !is_result_terminator(payload, false) {
                    return Err(ProtocolError::Unexpected(
                        "missing EOF after column definitions".into(),
                    )
                    .into());
                }
                self.state = State::Rows;
                Ok(ReadStep::Read)
            }
            State::Rows => self.on_row(payload),
            State::Failed => Err(ProtocolError::Unexpected(
                "server packet after the command failed".into(),
            )
            .into()),
        }
    }

    fn on_response(&mut self, payload: &[u8]) -> Result<ReadStep, CommandError> {
        match payload.first() {
            Some(0x00) => {
                let ok = OkPacket::parse(payload)?;
                let res = QueryResult {
                    affected_rows: ok.affected_rows,
                    last_insert_id: ok.last_insert_id,
                    warnings: ok.warnings,
                    ..QueryResult::default()
                };
                return Ok(self.result_done(res, ok.status));
            }
            Some(0xFB) => {
                // LOCAL INFILE request: refuse with an empty packet, then read OK/ERR.
                self.state = State::InfileRefused;
                let refusal = Packet::new(self.seq, Vec::new());
                self.seq = refusal.next_seq();
                return Ok(ReadStep::Send(refusal));
            }
            _ => {}
        }
        let n = Reader::new(payload, "column count").lenenc_int()?;
        if n == 0 || n > MAX_COLUMNS {
            return Err(ProtocolError::Malformed("column count", "not in 1..=4096").into());
        }
        self.columns = n as usize; // <= MAX_COLUMNS
        self.bytes = 0;
        self.current = QueryResult::default();
        self.state = State::Columns { left: self.columns };
        Ok(ReadStep::Read)
    }

    fn on_row(&mut self, payload: &[u8]) -> Result<ReadStep, CommandError> {
        if is_result_terminator(payload, self.deprecate_eof) {
            let status = terminator_status(payload, self.deprecate_eof)?;
            if self.deprecate_eof {
                self.current.warnings = OkPacket::parse(payload)?.warnings;
            }
            let res = std::mem::take(&mut self.current);
            return Ok(self.result_done(res, status));
        }
        // The memory the row will hold, not its wire size: a NULL is one byte on the wire
        // but an `Option<Vec<u8>>` (24 bytes) here, plus the row's own `Vec`.
        self.bytes = self
            .bytes
            .saturating_add(payload.len())
            .saturating_add(
                self.columns
                    .saturating_mul(std::mem::size_of::<Option<Vec<u8>>>()),
            )
            .saturating_add(std::mem::size_of::<Vec<Option<Vec<u8>>>>());
        if self.bytes > self.max_result_bytes {
            return Err(ProtocolError::PacketTooLarge {
                len: self.bytes,
                max: self.max_result_bytes,
            }
            .into());
        }
        let row = parse_text_row(payload, self.columns)?;
        if self.first.is_none() {
            self.current.rows.push(row);
        }
        Ok(ReadStep::Read)
    }

    /// One result set (or OK) is complete: done, or on to the next one.
    fn result_done(&mut self, res: QueryResult, status: u16) -> ReadStep {
        let first = self.first.get_or_insert(res);
        if status & SERVER_MORE_RESULTS_EXISTS == 0 {
            let first = std::mem::take(first);
            self.state = State::Failed;
            return ReadStep::Done(first);
        }
        self.state = State::Response;
        ReadStep::Read
    }
}

/// COM_PING's reply (MySQL manual, "COM_PING"): OK, or the server's ERR.
pub fn ping_reply(p: &Packet) -> Result<(), CommandError> {
    if p.seq != 1 {
        return Err(ProtocolError::SequenceMismatch {
            expected: 1,
            got: p.seq,
        }
        .into());
    }
    match p.payload.first() {
        Some(0x00) => Ok(()),
        Some(0xFF) => Err(CommandError::Server(ErrPacket::parse(&p.payload)?)),
        _ => Err(ProtocolError::Unexpected("reply to COM_PING".into()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_position_with_null_and_out_of_range() {
        let r = QueryResult {
            rows: vec![vec![Some(b"joe@%".to_vec()), None]],
            ..QueryResult::default()
        };
        assert_eq!(r.value(0, 0), Some(&b"joe@%"[..]));
        assert_eq!(r.value(0, 1), None, "SQL NULL");
        assert_eq!(r.value(0, 2), None);
        assert_eq!(r.value(1, 0), None);
    }

    fn ok(status: u16) -> Vec<u8> {
        let mut p = vec![0, 1, 0];
        p.extend_from_slice(&status.to_le_bytes());
        p.extend_from_slice(&[0, 0]);
        p
    }

    fn eof(status: u16) -> Vec<u8> {
        let mut p = vec![0xFE, 0, 0];
        p.extend_from_slice(&status.to_le_bytes());
        p
    }

    fn column(name: &str) -> Vec<u8> {
        let mut p = Vec::new();
        for s in ["def", "", "", "", name, name] {
            p.push(s.len() as u8);
            p.extend_from_slice(s.as_bytes());
        }
        p.extend_from_slice(&[0x0c, 0x21, 0, 0, 1, 0, 0, 0xFD, 0, 0, 0, 0, 0]);
        p
    }

    fn row(fields: &[Option<&str>]) -> Vec<u8> {
        let mut p = Vec::new();
        for f in fields {
            match f {
                Some(s) => {
                    p.push(s.len() as u8);
                    p.extend_from_slice(s.as_bytes());
                }
                None => p.push(0xFB),
            }
        }
        p
    }

    /// Feed `packets` (sequence ids from 1) until the reader is done or fails.
    fn read(
        caps: u32,
        max: usize,
        packets: &[Vec<u8>],
    ) -> (Result<QueryResult, CommandError>, usize) {
        let mut r = QueryReader::new(caps, max);
        let mut seq = 1u8;
        for (i, p) in packets.iter().enumerate() {
            match r.handle_packet(&Packet::new(seq, p.clone())) {
                Ok(ReadStep::Read) => seq = seq.wrapping_add(1),
                Ok(ReadStep::Send(s)) => seq = s.seq.wrapping_add(1),
                Ok(ReadStep::Done(res)) => return (Ok(res), i + 1),
                Err(e) => return (Err(e), i + 1),
            }
        }
        panic!("reader wants more than {} packets", packets.len())
    }

    #[test]
    fn result_set_with_and_without_deprecate_eof() {
        for deprecate in [false, true] {
            let caps = if deprecate { caps::DEPRECATE_EOF } else { 0 };
            let mut ps = vec![vec![2], column("a"), column("b")];
            if !deprecate {
                ps.push(eof(2));
            }
            ps.push(row(&[Some("1"), None]));
            ps.push(row(&[Some("x"), Some("")]));
            ps.push(if deprecate {
                let mut t = ok(2);
                t[0] = 0xFE;
                t
            } else {
                eof(2)
            });
            let (r, used) = read(caps, 1 << 20, &ps);
            let r = r.unwrap();
            assert_eq!(used, ps.len());
            assert_eq!(r.columns, ["a", "b"]);
            assert_eq!(
                r.rows,
                vec![
                    vec![Some(b"1".to_vec()), None],
                    vec![Some(b"x".to_vec()), Some(Vec::new())]
                ]
            );
        }
    }

    #[test]
    fn ok_err_and_more_results() {
        let (r, _) = read(0, 1 << 20, &[ok(2)]);
        assert_eq!(r.unwrap().affected_rows, 1);
        // The first result is kept; the second is read and dropped.
        let ps = [
            vec![1],
            column("a"),
            eof(0x0A),
            row(&[Some("1")]),
            eof(0x0A),
            vec![1],
            column("b"),
            eof(2),
            row(&[Some("2")]),
            eof(2),
        ];
        let (r, used) = read(0, 1 << 20, &ps);
        let r = r.unwrap();
        assert_eq!(used, ps.len());
        assert_eq!(r.columns, ["a"]);
        assert_eq!(r.rows, vec![vec![Some(b"1".to_vec())]]);
        let err = ErrPacket {
            code: 1146,
            sql_state: "42S02".into(),
            message: "Table 't' doesn't exist".into(),
        };
        for at in [0, 2, 4] {
            let mut ps = vec![vec![1], column("a"), eof(2), row(&[Some("1")])];
            ps.truncate(at);
            ps.push(err.encode());
            match read(0, 1 << 20, &ps).0 {
                Err(CommandError::Server(e)) => assert_eq!(e, err),
                r => panic!("{r:?}"),
            }
        }
    }

    #[test]
    fn local_infile_is_refused() {
        let mut r = QueryReader::new(0, 1 << 20);
        let Ok(ReadStep::Send(s)) = r.handle_packet(&Packet::new(1, b"\xFB/etc/passwd".to_vec()))
        else {
            panic!()
        };
        assert_eq!(s, Packet::new(2, Vec::new()));
        assert!(matches!(
            r.handle_packet(&Packet::new(3, ok(2))),
            Err(CommandError::Protocol(ProtocolError::Unexpected(_)))
        ));
    }

    /// The memory bound counts what a row holds, so NULL-only rows are not free.
    #[test]
    fn memory_budget_counts_null_rows() {
        let cols = 100;
        let mut ps = vec![vec![cols as u8]];
        ps.extend((0..cols).map(|i| column(&format!("c{i}"))));
        ps.push(eof(2));
        let nulls = row(&[None; 100]);
        ps.extend(std::iter::repeat_n(nulls, 1000));
        ps.push(eof(2));
        let per_row = 100 + cols * 24 + 24;
        let (r, _) = read(0, per_row * 10, &ps);
        assert!(
            matches!(
                r,
                Err(CommandError::Protocol(ProtocolError::PacketTooLarge { .. }))
            ),
            "{r:?}"
        );
        let (r, _) = read(0, per_row * 1000, &ps);
        assert_eq!(r.unwrap().rows.len(), 1000);
    }

    #[test]
    fn hostile_shapes_are_errors() {
        for bad in [
            vec![vec![0xFC, 0x01, 0x10]],        // 4097 columns
            vec![vec![]],                        // empty
            vec![vec![1], column("a"), vec![1]], // no EOF after the columns
            vec![vec![1], column("a"), eof(2), row(&[Some("1"), Some("2")])],
        ] {
            assert!(read(0, 1 << 20, &bad).0.is_err(), "{bad:?}");
        }
        let mut r = QueryReader::new(0, 1 << 20);
        assert!(matches!(
            r.handle_packet(&Packet::new(2, ok(2))),
            Err(CommandError::Protocol(
                ProtocolError::SequenceMismatch { .. }
            ))
        ));
        assert!(r.handle_packet(&Packet::new(1, ok(2))).is_err());
        assert!(ping_reply(&Packet::new(1, ok(2))).is_ok());
        assert!(ping_reply(&Packet::new(2, ok(2))).is_err());
        assert!(ping_reply(&Packet::new(1, vec![0xFE])).is_err());
    }
}
