//! `PrincipalName` (RFC 4120 §5.2.2) and conversions to the domain types in
//! [`crate::principal`].

use rasn::prelude::*;

use super::{Asn1Error, KerberosString};
use crate::principal::{NameType, Principal, PrincipalName, Realm};

/// `PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF
/// KerberosString }` (RFC 4120 §5.2.2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrincipalNameAsn1 {
    #[rasn(tag(explicit(0)))]
    pub name_type: i32,
    #[rasn(tag(explicit(1)))]
    pub name_string: Vec<KerberosString>,
}

impl TryFrom<&PrincipalNameAsn1> for PrincipalName {
    type Error = Asn1Error;

    /// Fails on a non-UTF-8 component or an empty name.
    fn try_from(n: &PrincipalNameAsn1) -> Result<Self, Asn1Error> {
        let components = n
            .name_string
            .iter()
            .map(|c| c.to_str().map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PrincipalName::new(
            NameType::from_i32(n.name_type),
            components,
        )?)
    }
}

impl From<&PrincipalName> for PrincipalNameAsn1 {
    fn from(n: &PrincipalName) -> Self {
        Self {
            name_type: n.name_type.to_i32(),
            name_string: n.components().iter().map(|c| c.as_str().into()).collect(),
        }
    }
}

impl TryFrom<&KerberosString> for Realm {
    type Error = Asn1Error;

    /// Fails on a non-UTF-8, empty or NUL-containing realm.
    fn try_from(r: &KerberosString) -> Result<Self, Asn1Error> {
        Ok(Realm::new(r.to_str()?)?)
    }
}

impl From<&Realm> for KerberosString {
    fn from(r: &Realm) -> Self {
        r.as_str().into()
    }
}

impl PrincipalNameAsn1 {
    /// The domain principal for this name in `realm`.
    pub fn to_principal(&self, realm: &KerberosString) -> Result<Principal, Asn1Error> {
        Ok(Principal::new(self.try_into()?, realm.try_into()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_and_from_domain_types() {
        let p = Principal::parse("HTTP/db.example.com@EXAMPLE.COM", None).unwrap();
        let n = PrincipalNameAsn1::from(&p.name);
        let r = KerberosString::from(&p.realm);
        assert_eq!(n.name_type, 1);
        assert_eq!(n.to_principal(&r).unwrap(), p);

        let bad = KerberosString(vec![0xFF, b'A']);
        assert!(matches!(n.to_principal(&bad), Err(Asn1Error::NotUtf8)));
        assert!(Realm::try_from(&KerberosString::default()).is_err());
        let empty = PrincipalNameAsn1 {
            name_type: 1,
            name_string: vec![],
        };
        assert!(PrincipalName::try_from(&empty).is_err());
    }
}
