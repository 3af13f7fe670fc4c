//! Realms and principal names (RFC 4120 §5.2.2, §6.2) and MIT's string form
//! (`name/instance@REALM`, with `\/`, `\@`, `\\`, `\n`, `\t`, `\b` and `\0` escapes).

use std::fmt;

use crate::config::krb5conf::Krb5Conf;

/// Errors from parsing a principal or realm string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrincipalError {
    /// An empty name.
    #[error("empty principal name")]
    Empty,
    /// An empty realm.
    #[error("empty realm")]
    EmptyRealm,
    /// No realm, and no default realm to take.
    #[error("principal '{0}' has no realm and no default realm is known")]
    NoRealm(String),
    /// A name that does not parse: the name and the reason.
    #[error("malformed principal '{0}': {1}")]
    Malformed(String, &'static str),
}

/// A Kerberos realm (RFC 4120 §6.1). Never empty.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Realm(String);

impl Realm {
    /// A realm from its name; the name must not be empty nor contain NUL.
    pub fn new(name: impl Into<String>) -> Result<Self, PrincipalError> {
        let name = name.into();
        if name.is_empty() {
            return Err(PrincipalError::EmptyRealm);
        }
        if name.contains('\0') {
            return Err(PrincipalError::Malformed(name, "NUL in realm"));
        }
        Ok(Realm(name))
    }

    /// The empty "referral realm" MIT writes in credential caches for a service ticket
    /// obtained by referrals (`host/db.example.com@`, RFC 6806 §8). Only caches hold it; it
    /// is never sent to a KDC.
    pub fn referral() -> Self {
        Realm(String::new())
    }

    /// True for [`Realm::referral`].
    pub fn is_referral(&self) -> bool {
        self.0.is_empty()
    }

    /// The realm as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Realms and names come from peers (KDC replies, servers' SPNs): printed with control
/// characters escaped, and a realm bounded in length (`crate::peer_text`).
impl fmt::Display for Realm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::peer_text::escape_peer_text(&self.0, 256))
    }
}

impl fmt::Debug for Realm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Realm({:?})", self.0)
    }
}

/// Name types (RFC 4120 §6.2, RFC 6806 §5 for NT-ENTERPRISE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameType {
    /// NT-UNKNOWN (0).
    Unknown,
    /// NT-PRINCIPAL (1): users and the usual services.
    Principal,
    /// NT-SRV-INST (2): `krbtgt/REALM`.
    SrvInst,
    /// NT-SRV-HST (3): `service/host`.
    SrvHst,
    /// NT-SRV-XHST (4).
    SrvXhst,
    /// NT-UID (5).
    Uid,
    /// NT-X500-PRINCIPAL (6).
    X500,
    /// NT-SMTP-NAME (7).
    Smtp,
    /// NT-ENTERPRISE (10, RFC 6806 §5): `user@domain` as one component.
    Enterprise,
    /// NT-WELLKNOWN (11, RFC 6111).
    WellKnown,
    /// Any other value, kept as received.
    Other(i32),
}

impl NameType {
    /// The name type of a number (unknown numbers are kept).
    pub fn from_i32(v: i32) -> Self {
        match v {
            0 => Self::Unknown,
            1 => Self::Principal,
            2 => Self::SrvInst,
            3 => Self::SrvHst,
            4 => Self::SrvXhst,
            5 => Self::Uid,
            6 => Self::X500,
            7 => Self::Smtp,
            10 => Self::Enterprise,
            11 => Self::WellKnown,
            v => Self::Other(v),
        }
    }

    /// The number on the wire.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::Unknown => 0,
            Self::Principal => 1,
            Self::SrvInst => 2,
            Self::SrvHst => 3,
            Self::SrvXhst => 4,
            Self::Uid => 5,
            Self::X500 => 6,
            Self::Smtp => 7,
            Self::Enterprise => 10,
            Self::WellKnown => 11,
            Self::Other(v) => v,
        }
    }
}

/// A principal name without its realm: a name type and one or more components.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrincipalName {
    /// The name type.
    pub name_type: NameType,
    components: Vec<String>,
}

impl PrincipalName {
    /// A name from its components; at least one is required.
    pub fn new(name_type: NameType, components: Vec<String>) -> Result<Self, PrincipalError> {
        if components.is_empty() {
            return Err(PrincipalError::Empty);
        }
        Ok(Self {
            name_type,
            components,
        })
    }

    /// The name's components.
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// `krbtgt/REALM`, the name of a ticket-granting service (RFC 4120 §7.3).
    pub fn krbtgt(realm: &Realm) -> Self {
        Self {
            name_type: NameType::SrvInst,
            components: vec!["krbtgt".into(), realm.as_str().into()],
        }
    }

    /// True for `krbtgt/X`.
    pub fn is_krbtgt(&self) -> bool {
        self.components.len() == 2 && self.components[0] == "krbtgt"
    }

    /// The components joined by `/`, with MIT's escapes.
    pub fn to_escaped(&self) -> String {
        let mut out = String::new();
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            escape_into(&mut out, c, true);
        }
        out
    }
}

/// A principal: a name in a realm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// The name.
    pub name: PrincipalName,
    /// The realm.
    pub realm: Realm,
}

impl Principal {
    /// A principal of `name` in `realm`.
    pub fn new(name: PrincipalName, realm: Realm) -> Self {
        Self { name, realm }
    }

    /// Parse MIT's string form. A name without `@REALM` takes `default_realm`.
    /// The name type is NT-PRINCIPAL, as MIT's `krb5_parse_name` gives.
    pub fn parse(s: &str, default_realm: Option<&Realm>) -> Result<Self, PrincipalError> {
        Self::parse_as(s, NameType::Principal, default_realm)
    }

    /// Parse MIT's string form with a given name type.
    pub fn parse_as(
        s: &str,
        name_type: NameType,
        default_realm: Option<&Realm>,
    ) -> Result<Self, PrincipalError> {
        if s.is_empty() {
            return Err(PrincipalError::Empty);
        }
        let mut components = Vec::new();
        let mut cur = String::new();
        let mut realm: Option<String> = None;
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let e = chars
                        .next()
                        .ok_or_else(|| PrincipalError::Malformed(s.into(), "trailing backslash"))?;
                    let target = realm.as_mut().unwrap_or(&mut cur);
                    target.push(unescape(e));
                }
                '/' if realm.is_none() => components.push(std::mem::take(&mut cur)),
                '@' if realm.is_none() => realm = Some(String::new()),
                '@' => {
                    return Err(PrincipalError::Malformed(
                        s.into(),
                        "unescaped '@' in realm",
                    ));
                }
                c => realm.as_mut().unwrap_or(&mut cur).push(c),
            }
        }
        components.push(cur);
        let realm = match realm {
            Some(r) => Realm::new(r)?,
            None => default_realm
                .cloned()
                .ok_or_else(|| PrincipalError::NoRealm(s.into()))?,
        };
        if components.len() == 1 && components[0].is_empty() {
            return Err(PrincipalError::Empty);
        }
        Ok(Self {
            name: PrincipalName::new(name_type, components)?,
            realm,
        })
    }

    /// An enterprise name (RFC 6806 §5): the whole UPN `user@domain` is one component.
    pub fn enterprise(upn: &str, realm: Realm) -> Result<Self, PrincipalError> {
        if upn.is_empty() {
            return Err(PrincipalError::Empty);
        }
        Ok(Self {
            name: PrincipalName::new(NameType::Enterprise, vec![upn.into()])?,
            realm,
        })
    }

    /// True when `self` and `other` name the same principal: realm and components, not the
    /// name type, which KDCs rewrite (MIT's `krb5_principal_compare`, `lib/krb5/krb/princ_comp.c`).
    pub fn matches(&self, other: &Principal) -> bool {
        self.realm == other.realm && self.name.components() == other.name.components()
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = self.name.to_escaped();
        out.push('@');
        escape_into(&mut out, self.realm.as_str(), false);
        f.write_str(&out)
    }
}

/// The service to get a ticket for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceName {
    /// A principal with its realm (e.g. the SPN a MariaDB server sends,
    /// `mariadb/db.ad.myaws.com@AD.MYAWS.COM`): the realm is known.
    Principal(Principal),
    /// `service/host` (NT-SRV-HST) whose realm the client must find: `[domain_realm]`, else
    /// referrals from the home KDC (RFC 6806 §8), else the host's domain.
    HostBased {
        /// The service, e.g. `HTTP`.
        service: String,
        /// The host, lowercased.
        host: String,
    },
}

impl ServiceName {
    /// A host-based name; the host is lowercased and a trailing dot dropped, as MIT's
    /// `krb5_sname_to_principal` does without DNS canonicalisation.
    pub fn host_based(service: &str, host: &str) -> Self {
        Self::HostBased {
            service: service.to_owned(),
            host: host.trim_end_matches('.').to_ascii_lowercase(),
        }
    }

    /// A GSS-API host-based service name (RFC 2743 §4.1, `GSS_C_NT_HOSTBASED_SERVICE`):
    /// `service@host`, or a bare `service` (the host then is `local_host`).
    pub fn from_gss_hostbased(name: &str, local_host: &str) -> Option<Self> {
        let (service, host) = name.split_once('@').unwrap_or((name, local_host));
        (!service.is_empty() && !host.is_empty()).then(|| Self::host_based(service, host))
    }

    /// The service principal when its realm is known without asking a KDC: the explicit realm,
    /// or the host's `[domain_realm]` mapping. `None` means referrals decide.
    pub fn resolve(&self, conf: &Krb5Conf) -> Option<Principal> {
        match self {
            Self::Principal(p) => Some(p.clone()),
            Self::HostBased { service, host } => {
                let realm = conf.realm_for_host(host)?.clone();
                let name =
                    PrincipalName::new(NameType::SrvHst, vec![service.clone(), host.clone()])
                        .ok()?;
                Some(Principal::new(name, realm))
            }
        }
    }

    /// The name components (`[service, host]` for a host-based name).
    pub fn components(&self) -> Vec<String> {
        match self {
            Self::Principal(p) => p.name.components().to_vec(),
            Self::HostBased { service, host } => vec![service.clone(), host.clone()],
        }
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Principal(p) => write!(f, "{p}"),
            Self::HostBased { service, host } => write!(f, "{service}/{host}@"),
        }
    }
}

fn unescape(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        'b' => '\u{8}',
        '0' => '\0',
        c => c,
    }
}

fn escape_into(out: &mut String, s: &str, in_name: bool) {
    for c in s.chars() {
        match c {
            '/' if in_name => out.push_str("\\/"),
            '@' => out.push_str("\\@"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\0' => out.push_str("\\0"),
            // Other controls (ESC, ...) and bidi marks: escaped, never printed raw.
            c if crate::peer_text::push_escaped_char(out, c) => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn realm(s: &str) -> Realm {
        Realm::new(s).unwrap()
    }

    #[test]
    fn parses_and_prints_mit_forms() {
        let p = Principal::parse("HTTP/www.example.com@EXAMPLE.COM", None).unwrap();
        assert_eq!(p.name.components(), ["HTTP", "www.example.com"]);
        assert_eq!(p.realm.as_str(), "EXAMPLE.COM");
        assert_eq!(p.to_string(), "HTTP/www.example.com@EXAMPLE.COM");

        let p = Principal::parse(r"joedoe\@onprem.local@ONPREM.LOCAL", None).unwrap();
        assert_eq!(p.name.components(), ["joedoe@onprem.local"]);
        assert_eq!(p.to_string(), r"joedoe\@onprem.local@ONPREM.LOCAL");

        let p = Principal::parse(r"a\/b\\c/d", Some(&realm("R"))).unwrap();
        assert_eq!(p.name.components(), ["a/b\\c", "d"]);
        assert_eq!(p.to_string(), r"a\/b\\c/d@R");
    }

    #[test]
    fn rejects_bad_forms() {
        assert_eq!(Principal::parse("", None), Err(PrincipalError::Empty));
        assert!(matches!(
            Principal::parse("user", None),
            Err(PrincipalError::NoRealm(_))
        ));
        assert_eq!(
            Principal::parse("user@", None),
            Err(PrincipalError::EmptyRealm)
        );
        assert!(Principal::parse("user\\", Some(&realm("R"))).is_err());
        assert!(Principal::parse("a@B@C", None).is_err());
    }

    #[test]
    fn name_types_round_trip() {
        for v in [-1, 0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 99] {
            assert_eq!(NameType::from_i32(v).to_i32(), v);
        }
    }
}
