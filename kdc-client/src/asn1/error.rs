//! KRB-ERROR (RFC 4120 §5.9.1).

use std::fmt;

use rasn::prelude::*;

use super::{
    KerberosString, KerberosTime, Microseconds, PrincipalNameAsn1, check_header, msg_type,
};
use crate::error_code;

/// `KRB-ERROR ::= [APPLICATION 30] SEQUENCE { ... }` (RFC 4120 §5.9.1). `Display` gives the
/// standard error name, code, realm and e-text.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 30)))]
pub struct KrbError {
    #[rasn(tag(explicit(0)))]
    pub pvno: i32,
    #[rasn(tag(explicit(1)))]
    pub msg_type: i32,
    #[rasn(tag(explicit(2)))]
    pub ctime: Option<KerberosTime>,
    #[rasn(tag(explicit(3)))]
    pub cusec: Option<Microseconds>,
    #[rasn(tag(explicit(4)))]
    pub stime: KerberosTime,
    #[rasn(tag(explicit(5)))]
    pub susec: Microseconds,
    #[rasn(tag(explicit(6)))]
    pub error_code: i32,
    #[rasn(tag(explicit(7)))]
    pub crealm: Option<KerberosString>,
    #[rasn(tag(explicit(8)))]
    pub cname: Option<PrincipalNameAsn1>,
    #[rasn(tag(explicit(9)))]
    pub realm: KerberosString,
    #[rasn(tag(explicit(10)))]
    pub sname: PrincipalNameAsn1,
    #[rasn(tag(explicit(11)))]
    pub e_text: Option<KerberosString>,
    #[rasn(tag(explicit(12)))]
    pub e_data: Option<OctetString>,
}

super::message! {
    KrbError => |m| check_header(m.pvno, m.msg_type, msg_type::KRB_ERROR);
}

impl fmt::Display for KrbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = error_code::error_name(self.error_code).unwrap_or("unknown error");
        write!(f, "{name} ({}) from realm {}", self.error_code, self.realm)?;
        if let Some(msg) = error_code::error_message(self.error_code) {
            write!(f, ": {msg}")?;
        }
        if let Some(t) = self.e_text.as_ref().filter(|t| !t.as_bytes().is_empty()) {
            write!(f, " (e-text: {t})")?;
        }
        Ok(())
    }
}
