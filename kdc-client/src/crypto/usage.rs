//! Key usage numbers (RFC 4120 §7.5.1, RFC 4121 §2, RFC 6113 §5.4).

/// A key usage number: it separates the keys derived for different purposes (RFC 3961 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyUsage(pub u32);

impl KeyUsage {
    /// PA-ENC-TIMESTAMP padata timestamp, encrypted with the client key.
    pub const PA_ENC_TIMESTAMP: Self = Self(1);
    /// Ticket (EncTicketPart), encrypted with the service key.
    pub const TICKET: Self = Self(2);
    /// AS-REP encrypted part, encrypted with the client key.
    pub const AS_REP_ENC_PART: Self = Self(3);
    /// TGS-REQ KDC-REQ-BODY AuthorizationData, encrypted with the TGS session key.
    pub const TGS_REQ_AUTH_DATA_SESSION_KEY: Self = Self(4);
    /// TGS-REQ KDC-REQ-BODY AuthorizationData, encrypted with the authenticator subkey.
    pub const TGS_REQ_AUTH_DATA_SUBKEY: Self = Self(5);
    /// TGS-REQ PA-TGS-REQ AP-REQ Authenticator checksum, keyed with the TGS session key.
    pub const TGS_REQ_AUTHENTICATOR_CKSUM: Self = Self(6);
    /// TGS-REQ PA-TGS-REQ AP-REQ Authenticator, encrypted with the TGS session key.
    pub const TGS_REQ_AUTHENTICATOR: Self = Self(7);
    /// TGS-REP encrypted part, encrypted with the TGS session key.
    pub const TGS_REP_ENC_PART_SESSION_KEY: Self = Self(8);
    /// TGS-REP encrypted part, encrypted with the authenticator subkey.
    pub const TGS_REP_ENC_PART_SUBKEY: Self = Self(9);
    /// AP-REQ Authenticator checksum, keyed with the application session key.
    pub const AP_REQ_AUTHENTICATOR_CKSUM: Self = Self(10);
    /// AP-REQ Authenticator, encrypted with the application session key.
    pub const AP_REQ_AUTHENTICATOR: Self = Self(11);
    /// AP-REP encrypted part (EncAPRepPart), encrypted with the application session key.
    pub const AP_REP_ENC_PART: Self = Self(12);
    /// KRB-PRIV encrypted part.
    pub const KRB_PRIV_ENC_PART: Self = Self(13);
    /// KRB-CRED encrypted part.
    pub const KRB_CRED_ENC_PART: Self = Self(14);
    /// KRB-SAFE checksum.
    pub const KRB_SAFE_CKSUM: Self = Self(15);
    /// RFC 4121 §2: acceptor's Wrap tokens with confidentiality (KG-USAGE-ACCEPTOR-SEAL).
    pub const GSS_ACCEPTOR_SEAL: Self = Self(22);
    /// RFC 4121 §2: acceptor's MIC and Wrap checksums (KG-USAGE-ACCEPTOR-SIGN).
    pub const GSS_ACCEPTOR_SIGN: Self = Self(23);
    /// RFC 4121 §2: initiator's Wrap tokens with confidentiality (KG-USAGE-INITIATOR-SEAL).
    pub const GSS_INITIATOR_SEAL: Self = Self(24);
    /// RFC 4121 §2: initiator's MIC and Wrap checksums (KG-USAGE-INITIATOR-SIGN).
    pub const GSS_INITIATOR_SIGN: Self = Self(25);
    /// RFC 6113 §5.4.1: FAST request checksum (KEY_USAGE_FAST_REQ_CHKSUM).
    pub const FAST_REQ_CHKSUM: Self = Self(50);
    /// RFC 6113 §5.4.2: FAST armored request (KEY_USAGE_FAST_ENC).
    pub const FAST_ENC: Self = Self(51);
    /// RFC 6113 §5.4.3: FAST armored reply (KEY_USAGE_FAST_REP).
    pub const FAST_REP: Self = Self(52);
    /// RFC 6113 §5.4.3: FAST reply `KrbFastFinished` checksum (KEY_USAGE_FAST_FINISHED).
    pub const FAST_FINISHED: Self = Self(53);
    /// RFC 6113 §5.4.6: encrypted challenge from the client (KEY_USAGE_ENC_CHALLENGE_CLIENT).
    pub const ENC_CHALLENGE_CLIENT: Self = Self(54);
    /// RFC 6113 §5.4.6: encrypted challenge from the KDC (KEY_USAGE_ENC_CHALLENGE_KDC).
    pub const ENC_CHALLENGE_KDC: Self = Self(55);
    /// RFC 6113 §5.4.3 / RFC 6806: PA-REQ-ENC-PA-REP checksum over the AS-REQ (KEY_USAGE_AS_REQ).
    pub const AS_REQ: Self = Self(56);
}
