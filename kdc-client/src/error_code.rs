//! KRB-ERROR error codes (RFC 4120 §7.5.9, RFC 4556 §3.1.3 PKINIT, RFC 6113 §5.4.4 FAST,
//! RFC 8636) with short messages for the common ones.

/// `(code, name, message)`, sorted by code.
const TABLE: &[(i32, &str, Option<&str>)] = &[
    (0, "KDC_ERR_NONE", Some("No error")),
    (
        1,
        "KDC_ERR_NAME_EXP",
        Some("Client's entry in database has expired"),
    ),
    (
        2,
        "KDC_ERR_SERVICE_EXP",
        Some("Server's entry in database has expired"),
    ),
    (
        3,
        "KDC_ERR_BAD_PVNO",
        Some("Requested protocol version not supported"),
    ),
    (4, "KDC_ERR_C_OLD_MAST_KVNO", None),
    (5, "KDC_ERR_S_OLD_MAST_KVNO", None),
    (
        6,
        "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        Some("Client not found in Kerberos database"),
    ),
    (
        7,
        "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        Some("Server not found in Kerberos database"),
    ),
    (8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE", None),
    (9, "KDC_ERR_NULL_KEY", None),
    (
        10,
        "KDC_ERR_CANNOT_POSTDATE",
        Some("Ticket is ineligible for postdating"),
    ),
    (
        11,
        "KDC_ERR_NEVER_VALID",
        Some("Requested effective lifetime is negative or too short"),
    ),
    (12, "KDC_ERR_POLICY", Some("KDC policy rejects request")),
    (
        13,
        "KDC_ERR_BADOPTION",
        Some("KDC can't fulfill requested option"),
    ),
    (
        14,
        "KDC_ERR_ETYPE_NOSUPP",
        Some("KDC has no support for encryption type"),
    ),
    (
        15,
        "KDC_ERR_SUMTYPE_NOSUPP",
        Some("KDC has no support for checksum type"),
    ),
    (
        16,
        "KDC_ERR_PADATA_TYPE_NOSUPP",
        Some("KDC has no support for padata type"),
    ),
    (
        17,
        "KDC_ERR_TRTYPE_NOSUPP",
        Some("KDC has no support for transited type"),
    ),
    (
        18,
        "KDC_ERR_CLIENT_REVOKED",
        Some("Client's credentials have been revoked"),
    ),
    (
        19,
        "KDC_ERR_SERVICE_REVOKED",
        Some("Credentials for server have been revoked"),
    ),
    (20, "KDC_ERR_TGT_REVOKED", Some("TGT has been revoked")),
    (21, "KDC_ERR_CLIENT_NOTYET", Some("Client not yet valid")),
    (22, "KDC_ERR_SERVICE_NOTYET", Some("Server not yet valid")),
    (23, "KDC_ERR_KEY_EXPIRED", Some("Password has expired")),
    (
        24,
        "KDC_ERR_PREAUTH_FAILED",
        Some("Preauthentication failed"),
    ),
    (
        25,
        "KDC_ERR_PREAUTH_REQUIRED",
        Some("Additional pre-authentication required"),
    ),
    (
        26,
        "KDC_ERR_SERVER_NOMATCH",
        Some("Requested server and ticket don't match"),
    ),
    (
        27,
        "KDC_ERR_MUST_USE_USER2USER",
        Some("Server principal valid for user2user only"),
    ),
    (
        28,
        "KDC_ERR_PATH_NOT_ACCEPTED",
        Some("KDC policy rejects transited path"),
    ),
    (
        29,
        "KDC_ERR_SVC_UNAVAILABLE",
        Some("A required service is not available"),
    ),
    (
        31,
        "KRB_AP_ERR_BAD_INTEGRITY",
        Some("Decrypt integrity check failed"),
    ),
    (32, "KRB_AP_ERR_TKT_EXPIRED", Some("Ticket expired")),
    (33, "KRB_AP_ERR_TKT_NYV", Some("Ticket not yet valid")),
    (34, "KRB_AP_ERR_REPEAT", Some("Request is a replay")),
    (35, "KRB_AP_ERR_NOT_US", Some("The ticket isn't for us")),
    (
        36,
        "KRB_AP_ERR_BADMATCH",
        Some("Ticket/authenticator don't match"),
    ),
    (37, "KRB_AP_ERR_SKEW", Some("Clock skew too great")),
    (38, "KRB_AP_ERR_BADADDR", Some("Incorrect net address")),
    (
        39,
        "KRB_AP_ERR_BADVERSION",
        Some("Protocol version mismatch"),
    ),
    (40, "KRB_AP_ERR_MSG_TYPE", Some("Invalid message type")),
    (41, "KRB_AP_ERR_MODIFIED", Some("Message stream modified")),
    (42, "KRB_AP_ERR_BADORDER", Some("Message out of order")),
    (
        44,
        "KRB_AP_ERR_BADKEYVER",
        Some("Key version is not available"),
    ),
    (45, "KRB_AP_ERR_NOKEY", Some("Service key not available")),
    (
        46,
        "KRB_AP_ERR_MUT_FAIL",
        Some("Mutual authentication failed"),
    ),
    (
        47,
        "KRB_AP_ERR_BADDIRECTION",
        Some("Incorrect message direction"),
    ),
    (
        48,
        "KRB_AP_ERR_METHOD",
        Some("Alternative authentication method required"),
    ),
    (
        49,
        "KRB_AP_ERR_BADSEQ",
        Some("Incorrect sequence number in message"),
    ),
    (
        50,
        "KRB_AP_ERR_INAPP_CKSUM",
        Some("Inappropriate type of checksum in message"),
    ),
    (
        51,
        "KRB_AP_PATH_NOT_ACCEPTED",
        Some("Policy rejects transited path"),
    ),
    (
        52,
        "KRB_ERR_RESPONSE_TOO_BIG",
        Some("Response too big for UDP, retry with TCP"),
    ),
    (60, "KRB_ERR_GENERIC", Some("Generic error (see e-text)")),
    (
        61,
        "KRB_ERR_FIELD_TOOLONG",
        Some("Field is too long for this implementation"),
    ),
    (62, "KDC_ERR_CLIENT_NOT_TRUSTED", None),
    (63, "KDC_ERR_KDC_NOT_TRUSTED", None),
    (64, "KDC_ERR_INVALID_SIG", None),
    (65, "KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED", None),
    (66, "KDC_ERR_CERTIFICATE_MISMATCH", None),
    (67, "KRB_AP_ERR_NO_TGT", Some("No ticket granting ticket")),
    (68, "KDC_ERR_WRONG_REALM", Some("Realm not local to KDC")),
    (
        69,
        "KRB_AP_ERR_USER_TO_USER_REQUIRED",
        Some("User to user required"),
    ),
    (70, "KDC_ERR_CANT_VERIFY_CERTIFICATE", None),
    (71, "KDC_ERR_INVALID_CERTIFICATE", None),
    (72, "KDC_ERR_REVOKED_CERTIFICATE", None),
    (73, "KDC_ERR_REVOCATION_STATUS_UNKNOWN", None),
    (74, "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE", None),
    (75, "KDC_ERR_CLIENT_NAME_MISMATCH", None),
    (76, "KDC_ERR_KDC_NAME_MISMATCH", None),
    (77, "KDC_ERR_INCONSISTENT_KEY_PURPOSE", None),
    (78, "KDC_ERR_DIGEST_IN_CERT_NOT_ACCEPTED", None),
    (79, "KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED", None),
    (80, "KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED", None),
    (81, "KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED", None),
    (
        90,
        "KDC_ERR_PREAUTH_EXPIRED",
        Some("Preauthentication expired"),
    ),
    (
        91,
        "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED",
        Some("More preauthentication data is required"),
    ),
    (92, "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET", None),
    (
        93,
        "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS",
        Some("Unsupported critical FAST option"),
    ),
    (100, "KDC_ERR_NO_ACCEPTABLE_KDF", None),
];

fn entry(code: i32) -> Option<&'static (i32, &'static str, Option<&'static str>)> {
    TABLE
        .binary_search_by_key(&code, |e| e.0)
        .ok()
        .and_then(|i| TABLE.get(i))
}

/// The standard name of a KRB-ERROR error-code, e.g. `KDC_ERR_PREAUTH_FAILED` for 24.
pub fn error_name(code: i32) -> Option<&'static str> {
    entry(code).map(|e| e.1)
}

/// A short human-readable message for the common codes (MIT style).
pub fn error_message(code: i32) -> Option<&'static str> {
    entry(code).and_then(|e| e.2)
}

/// KDC_ERR_C_PRINCIPAL_UNKNOWN: the client is not in the KDC's database.
pub const KDC_ERR_C_PRINCIPAL_UNKNOWN: i32 = 6;
/// KDC_ERR_S_PRINCIPAL_UNKNOWN: the server is not in the KDC's database.
pub const KDC_ERR_S_PRINCIPAL_UNKNOWN: i32 = 7;
/// KDC_ERR_ETYPE_NOSUPP: no requested enctype is usable.
pub const KDC_ERR_ETYPE_NOSUPP: i32 = 14;
/// KDC_ERR_KEY_EXPIRED: the client's password has expired; change it (RFC 3244).
pub const KDC_ERR_KEY_EXPIRED: i32 = 23;
/// KDC_ERR_PREAUTH_FAILED: pre-authentication (e.g. the encrypted timestamp) failed.
pub const KDC_ERR_PREAUTH_FAILED: i32 = 24;
/// KDC_ERR_PREAUTH_REQUIRED: the e-data lists the pre-authentication methods.
pub const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;
/// KRB_AP_ERR_SKEW: the clocks differ by more than the allowed skew.
pub const KRB_AP_ERR_SKEW: i32 = 37;
/// KRB_ERR_RESPONSE_TOO_BIG: retry over TCP (RFC 4120 §7.2.1).
pub const KRB_ERR_RESPONSE_TOO_BIG: i32 = 52;
/// KDC_ERR_WRONG_REALM: the client belongs to another realm (RFC 6806 §7).
pub const KDC_ERR_WRONG_REALM: i32 = 68;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_named() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(error_name(0), Some("KDC_ERR_NONE"));
        assert_eq!(error_name(24), Some("KDC_ERR_PREAUTH_FAILED"));
        assert_eq!(error_name(25), Some("KDC_ERR_PREAUTH_REQUIRED"));
        assert_eq!(error_name(37), Some("KRB_AP_ERR_SKEW"));
        assert_eq!(error_name(52), Some("KRB_ERR_RESPONSE_TOO_BIG"));
        assert_eq!(error_name(68), Some("KDC_ERR_WRONG_REALM"));
        assert_eq!(
            error_name(93),
            Some("KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS")
        );
        assert_eq!(error_name(30), None);
        assert_eq!(error_name(-1), None);
        assert_eq!(error_message(37), Some("Clock skew too great"));
        assert!((62..=77).all(|c| error_name(c).is_some()));
    }
}
