//! Receive-side sequence-number tracking for per-message tokens (RFC 4121 §4.2.3, RFC 2743
//! §1.2.3), modelled on MIT's `g_seqstate`: a 64-token window below the next expected number.

use crate::GssError;

/// Window size: how far back a late token can still be checked for replay.
const WINDOW: u64 = 64;

/// The ordering of an accepted token (RFC 2743 supplementary status), informational only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeqStatus {
    /// The expected next token.
    InOrder,
    /// Later than expected: tokens were skipped (GSS_S_GAP_TOKEN).
    Gap,
    /// Earlier than expected but not seen before (GSS_S_UNSEQ_TOKEN).
    Unseq,
    /// Neither replay nor sequence detection is on: not checked.
    Unchecked,
}

/// The state: sequence numbers are kept relative to the first one, so wrap-around of the
/// 64-bit counter is harmless.
#[derive(Debug, Clone)]
pub(crate) struct SeqState {
    base: u64,
    /// The next expected relative number.
    next: u64,
    /// Bit i set: relative number `next - 1 - i` was received.
    received: u64,
    check: bool,
}

impl SeqState {
    pub(crate) fn new(base: u64, check: bool) -> Self {
        Self {
            base,
            next: 0,
            received: 0,
            check,
        }
    }

    /// Record `seq` and classify it. Duplicates and tokens older than the window are errors
    /// (when checking is on); gaps and out-of-order tokens are reported, not refused.
    pub(crate) fn check(&mut self, seq: u64) -> Result<SeqStatus, GssError> {
        if !self.check {
            return Ok(SeqStatus::Unchecked);
        }
        let rel = seq.wrapping_sub(self.base);
        if rel == self.next {
            self.received = (self.received << 1) | 1;
            self.next = self.next.wrapping_add(1);
            return Ok(SeqStatus::InOrder);
        }
        let ahead = rel.wrapping_sub(self.next);
        if ahead < (1 << 63) {
            // Later than expected: shift past the gap.
            let shift = ahead.saturating_add(1);
            self.received = if shift >= WINDOW {
                1
            } else {
                (self.received << shift) | 1
            };
            self.next = rel.wrapping_add(1);
            return Ok(SeqStatus::Gap);
        }
        let behind = self.next.wrapping_sub(rel); // >= 1
        if behind > WINDOW {
            return Err(GssError::OldToken(seq));
        }
        let bit = 1u64 << (behind - 1);
        if self.received & bit != 0 {
            return Err(GssError::Duplicate(seq));
        }
        self.received |= bit;
        Ok(SeqStatus::Unseq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_gap_unseq_duplicate_old() {
        let mut s = SeqState::new(u64::MAX - 1, true); // wraps around
        assert_eq!(s.check(u64::MAX - 1).unwrap(), SeqStatus::InOrder);
        assert_eq!(s.check(u64::MAX).unwrap(), SeqStatus::InOrder);
        assert_eq!(s.check(0).unwrap(), SeqStatus::InOrder);
        assert!(matches!(s.check(0), Err(GssError::Duplicate(0))));
        assert_eq!(s.check(3).unwrap(), SeqStatus::Gap);
        assert_eq!(s.check(1).unwrap(), SeqStatus::Unseq);
        assert!(matches!(s.check(1), Err(GssError::Duplicate(1))));
        assert_eq!(s.check(2).unwrap(), SeqStatus::Unseq);
        assert_eq!(s.check(4).unwrap(), SeqStatus::InOrder);
        assert_eq!(s.check(200).unwrap(), SeqStatus::Gap);
        assert!(matches!(s.check(5), Err(GssError::OldToken(5))));
        assert_eq!(s.check(150).unwrap(), SeqStatus::Unseq);
        let mut off = SeqState::new(7, false);
        assert_eq!(off.check(7).unwrap(), SeqStatus::Unchecked);
        assert_eq!(off.check(7).unwrap(), SeqStatus::Unchecked);
    }
}
