//! Which service principal the server may make the client fetch a ticket for.
//!
//! The database server names the SPN in its plugin data (MySQL:
//! `libmysql/authentication_kerberos/auth_kerberos_client_io.cc`; MariaDB:
//! `plugin/auth_gssapi/client_plugin.cc`; see [`crate::plugin`]), and an AP-REQ for that SPN
//! is what the client sends it. A hostile or impersonated server could name
//! `krbtgt/…`, `HTTP/…` or `ldap/…` and relay the fresh AP-REQ to that service, so the SPN is
//! checked against a [`SpnPolicy`] before any ticket is fetched or any token is built.
//!
//! Service classes the database servers actually use (the default allow-list):
//! * MySQL Enterprise `authentication_kerberos`: `authentication_kerberos_service_principal`,
//!   default `mysql/host_name@realm_name` (MySQL 8.0 Reference Manual, "Kerberos Pluggable
//!   Authentication").
//! * Aurora MySQL / RDS for MySQL: the same server plugin; AWS does not publish the SPN string
//!   (unconfirmed), so it is assumed to keep MySQL's `mysql`
//!   class. A deployment that differs pins its SPN with `--spn` ([`SpnPolicy::Exact`]).
//! * MariaDB `auth_gssapi`: `gssapi_principal_name`, default
//!   `krb5_sname_to_principal(ctx, NULL, "mariadb", KRB5_NT_SRV_HST)`, i.e.
//!   `mariadb/<fqdn>@REALM` (MariaDB server `plugin/auth_gssapi/gssapi_server.cc`).
//!
//! The class is compared ASCII-case-insensitively (Active Directory SPNs are
//! case-insensitive, e.g. `MySQL/db.corp`); the name must have exactly two components
//! (`class/host`), as both defaults do.
//!
//! # The realm
//!
//! The realm of the SPN is the server's word too, so the default policy also checks it against
//! what the client itself knows ([`SpnContext`]), deciding the realm the way MIT decides a
//! host's realm (`krb5_get_host_realm`). A realm is accepted if
//! 1. the SPN names none (the client's own lookup and the KDC's referrals decide), or
//! 2. it is the realm the host the client **dialed** (`-h`) maps to in krb5.conf
//!    `[domain_realm]` (MIT's walk: the host itself, then each parent domain as `.domain`
//!    and `domain`, longest first; [`Krb5Conf::realm_for_host`]), or
//! 3. when `[domain_realm]` maps that host to nothing: it equals, ASCII-case-insensitively,
//!    the DNS domain of the dialed host or one of its parent domains of two labels or more
//!    (`db.corp.example.com` -> `CORP.EXAMPLE.COM` or `EXAMPLE.COM`): Active Directory's
//!    convention that a realm is its DNS domain in upper case (MIT's `domain` fallback also
//!    guesses the host's domain); never for an IP address, or
//! 4. it is the client principal's own realm.
//!
//! Anything else (a database SPN in a realm the client has no reason to trust for that host)
//! is refused before any ticket is fetched; `--spn SPN` pins it exactly, a `[domain_realm]`
//! entry for the host names its realm, and `--allow-any-spn` opts out.

use std::net::IpAddr;

use kdc_client::config::krb5conf::Krb5Conf;
use kdc_client::escape_peer_text;

/// Service classes of the database servers' default SPNs (see the module documentation).
pub const DATABASE_SERVICE_CLASSES: &[&str] = &["mysql", "mariadb"];

/// First components that are never acceptable: the KDC's own services (a ticket-granting or
/// password-changing AP-REQ relayed by a server is worth far more than a database login).
pub const FORBIDDEN_SERVICE_CLASSES: &[&str] = &["krbtgt", "kadmin", "kpasswd", "changepw"];

/// What the client accepts as the server's SPN.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SpnPolicy {
    /// Only `class/host[@REALM]` with a class in [`DATABASE_SERVICE_CLASSES`] (the default).
    #[default]
    DatabaseServices,
    /// Exactly this SPN, byte for byte as the server sends it (`kerb mysql --spn`).
    Exact(String),
    /// Any SPN except the [`FORBIDDEN_SERVICE_CLASSES`] (`kerb mysql --allow-any-spn`), for
    /// unusual deployments.
    AnyExceptKdc,
}

/// What the client knows to judge the realm of the SPN a server names (see the module
/// documentation): the host it dialed, the realm that host maps to, its own realm. Built by
/// the connector from [`ConnectOptions::host`](crate::connector::ConnectOptions::host) and the
/// initiator's configuration and cache (`GssInitiator::spn_context`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpnContext {
    /// The host the client dialed (a name or an address), lowercased, no trailing dot.
    host: String,
    /// The realm `host` maps to through `[domain_realm]`.
    host_realm: Option<String>,
    /// The client principal's realm.
    client_realm: Option<String>,
}

impl SpnContext {
    /// The context for a connection to `host`, which `[domain_realm]` maps to `host_realm`,
    /// made by a client of `client_realm`. `SpnContext::default()` knows nothing: only SPNs
    /// without a realm pass the realm check.
    pub fn new(host: &str, host_realm: Option<String>, client_realm: Option<String>) -> Self {
        Self {
            host: host.trim_end_matches('.').to_ascii_lowercase(),
            host_realm,
            client_realm,
        }
    }

    /// [`SpnContext::new`] with the host's realm looked up in `conf`'s `[domain_realm]`.
    pub fn from_config(host: &str, conf: &Krb5Conf, client_realm: Option<&str>) -> Self {
        let host_realm = conf.realm_for_host(host).map(|r| r.as_str().to_owned());
        Self::new(host, host_realm, client_realm.map(str::to_owned))
    }

    /// The host the client dialed, normalised.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The realm the dialed host maps to through `[domain_realm]`.
    pub fn host_realm(&self) -> Option<&str> {
        self.host_realm.as_deref()
    }

    /// The client principal's realm.
    pub fn client_realm(&self) -> Option<&str> {
        self.client_realm.as_deref()
    }

    /// The DNS domains of the dialed host of two labels or more, longest first (none for an
    /// address or a single-label name).
    fn dns_domains(&self) -> Vec<&str> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        if host.parse::<IpAddr>().is_ok() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut rest = host;
        while let Some((_, parent)) = rest.split_once('.') {
            if parent.contains('.') && !parent.starts_with('.') {
                out.push(parent);
            }
            rest = parent;
        }
        out
    }

    /// Whether a database SPN in `realm` fits what the client knows (rules 2-4).
    fn accepts(&self, realm: &str) -> bool {
        if self.client_realm.as_deref() == Some(realm) {
            return true;
        }
        match &self.host_realm {
            Some(mapped) => mapped == realm,
            None => self
                .dns_domains()
                .iter()
                .any(|d| d.eq_ignore_ascii_case(realm)),
        }
    }

    /// Why `realm` does not fit, for the error.
    fn mismatch(&self, realm: &str) -> String {
        let realm = escape_peer_text(realm, 256);
        let host = if self.host.is_empty() {
            "the host the client dialed is unknown".to_owned()
        } else {
            match &self.host_realm {
                Some(m) => format!(
                    "the host '{}' the client dialed maps to {m} ([domain_realm])",
                    escape_peer_text(&self.host, 256)
                ),
                None => format!(
                    "the host '{}' the client dialed maps to no realm ([domain_realm]) and {realm} \
                     is not its DNS domain",
                    escape_peer_text(&self.host, 256)
                ),
            }
        };
        let client = match &self.client_realm {
            Some(c) => format!(", and the client's realm is {c}"),
            None => String::new(),
        };
        format!("in realm {realm}, but {host}{client}")
    }
}

/// Why an SPN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the server asked for a ticket to '{}', {reason}; refusing to send it a Kerberos \
     authenticator{hint}",
    kdc_client::escape_peer_text(spn, 256)
)]
pub struct SpnRejected {
    /// The SPN the server asked for (as sent, cut to 256 characters; `Display` escapes it).
    pub spn: String,
    /// What the policy found wrong (peer text in it already escaped).
    pub reason: String,
    hint: &'static str,
}

impl SpnRejected {
    fn new(spn: &str, reason: impl Into<String>, hint: &'static str) -> Self {
        // Plugin data is bounded (519 / 1024 bytes); cut further so the message stays short.
        let spn = match spn.char_indices().nth(256) {
            Some((i, _)) => format!("{}...", &spn[..i]),
            None => spn.to_owned(),
        };
        Self {
            spn,
            reason: reason.into(),
            hint,
        }
    }
}

const HINT_DEFAULT: &str = " (if this is the database's real service principal, pin it with \
     --spn SPN, or accept any database SPN with --allow-any-spn)";
const HINT_EXACT: &str = " (it differs from the SPN pinned with --spn)";
const HINT_REALM: &str = " (if this is the database's real service principal, pin it with \
     --spn SPN, map the host to its realm in krb5.conf [domain_realm], or accept any SPN \
     with --allow-any-spn)";

/// The components of an SPN and its realm: splits at unescaped `/` up to the first unescaped
/// `@`, after which comes the realm (RFC 1964 §2.1.1 string form, as MIT's `krb5_parse_name`).
fn split(spn: &str) -> (Vec<String>, Option<String>) {
    let mut comps = vec![String::new()];
    let mut realm: Option<String> = None;
    let mut esc = false;
    for c in spn.chars() {
        let in_name = realm.is_none();
        match c {
            '\\' if !esc => {
                esc = true;
                continue;
            }
            '/' if !esc && in_name => comps.push(String::new()),
            '@' if !esc && in_name => realm = Some(String::new()),
            _ => {
                if let Some(part) = realm.as_mut().or(comps.last_mut()) {
                    part.push(c);
                }
            }
        }
        esc = false;
    }
    (comps, realm)
}

impl SpnPolicy {
    /// Check the SPN the server asked for on a connection described by `ctx`; `Ok` means a
    /// ticket may be fetched for it.
    pub fn check(&self, spn: &str, ctx: &SpnContext) -> Result<(), SpnRejected> {
        let (comps, realm) = split(spn);
        let class = comps.first().map(String::as_str).unwrap_or("");
        if FORBIDDEN_SERVICE_CLASSES
            .iter()
            .any(|f| f.eq_ignore_ascii_case(class))
        {
            return Err(SpnRejected::new(
                spn,
                "a Kerberos infrastructure service (krbtgt, kadmin, kpasswd), never a database",
                " (neither --spn nor --allow-any-spn allows it)",
            ));
        }
        match self {
            Self::AnyExceptKdc => Ok(()),
            Self::Exact(pin) if pin == spn => Ok(()),
            Self::Exact(_) => Err(SpnRejected::new(spn, "not the expected SPN", HINT_EXACT)),
            Self::DatabaseServices => {
                let db_class = DATABASE_SERVICE_CLASSES
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(class));
                if !db_class {
                    return Err(SpnRejected::new(
                        spn,
                        "which is not a database service (mysql/HOST or mariadb/HOST)",
                        HINT_DEFAULT,
                    ));
                }
                if comps.len() != 2 || comps[1].is_empty() {
                    return Err(SpnRejected::new(
                        spn,
                        "which is not of the form SERVICE/HOST",
                        HINT_DEFAULT,
                    ));
                }
                match realm {
                    Some(r) if !ctx.accepts(&r) => {
                        Err(SpnRejected::new(spn, ctx.mismatch(&r), HINT_REALM))
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client of EXAMPLE.COM that dialed db.example.com, which maps to EXAMPLE.COM.
    fn ex() -> SpnContext {
        SpnContext::new(
            "db.example.com",
            Some("EXAMPLE.COM".into()),
            Some("EXAMPLE.COM".into()),
        )
    }

    fn conf(text: &str) -> Krb5Conf {
        use kdc_client::config::profile::{MemSource, Profile};
        let p = Profile::parse(text, "krb5.conf", &MemSource::default()).unwrap();
        Krb5Conf::from_profile(&p).unwrap()
    }

    #[test]
    fn realm_of_the_dialed_host_by_domain_realm_like_mit() {
        let c = conf(
            "[domain_realm]\n .ad.myaws.com = AD.MYAWS.COM\n special.ad.myaws.com = OTHER.ORG\n \
             127.0.0.1 = AD.MYAWS.COM\n",
        );
        let p = SpnPolicy::default();
        let spn = "mariadb/db.ad.myaws.com@AD.MYAWS.COM";
        // The lab: the user of ONPREM.LOCAL dials the database's address, mapped to its realm.
        let lab = SpnContext::from_config("127.0.0.1", &c, Some("ONPREM.LOCAL"));
        assert_eq!(lab.host_realm(), Some("AD.MYAWS.COM"));
        assert_eq!(p.check(spn, &lab), Ok(()));
        // The `.parent` entry; case and a trailing dot of the host do not matter.
        let by_name = SpnContext::from_config("DB.ad.myaws.com.", &c, Some("ONPREM.LOCAL"));
        assert_eq!(by_name.host(), "db.ad.myaws.com");
        assert_eq!(p.check(spn, &by_name), Ok(()));
        // The exact host entry wins over the parent's: the server cannot pick the parent's.
        let special = SpnContext::from_config("special.ad.myaws.com", &c, Some("ONPREM.LOCAL"));
        assert_eq!(special.host_realm(), Some("OTHER.ORG"));
        let e = p.check(spn, &special).unwrap_err().to_string();
        for part in [
            spn,
            "in realm AD.MYAWS.COM",
            "maps to OTHER.ORG",
            "ONPREM.LOCAL",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
        for way_out in ["--spn SPN", "[domain_realm]", "--allow-any-spn"] {
            assert!(e.contains(way_out), "{way_out}: {e}");
        }
        // A mapping is exact about the realm's case (realms are case-sensitive).
        assert!(
            p.check("mariadb/db.ad.myaws.com@ad.myaws.com", &by_name)
                .is_err()
        );
        // Mapped: the DNS-domain rule does not apply any more.
        let mapped_elsewhere = SpnContext::new("db.corp.example.com", Some("X.ORG".into()), None);
        assert!(
            p.check(
                "mysql/db.corp.example.com@CORP.EXAMPLE.COM",
                &mapped_elsewhere
            )
            .is_err()
        );
        assert_eq!(
            p.check("mysql/db.corp.example.com@X.ORG", &mapped_elsewhere),
            Ok(())
        );
    }

    #[test]
    fn unmapped_hosts_accept_their_dns_domains() {
        let p = SpnPolicy::default();
        let ctx = SpnContext::new("db.corp.example.com", None, None);
        assert_eq!(ctx.dns_domains(), vec!["corp.example.com", "example.com"]);
        for ok in [
            "mysql/db.corp.example.com@CORP.EXAMPLE.COM",
            "mysql/db.corp.example.com@EXAMPLE.COM",
            "mysql/db.corp.example.com@corp.Example.com",
            "mysql/other.host@CORP.EXAMPLE.COM",
        ] {
            assert_eq!(p.check(ok, &ctx), Ok(()), "{ok}");
        }
        for bad in [
            // Not the host's domain: a one-label parent, the host itself, another domain.
            "mysql/db.corp.example.com@COM",
            "mysql/db.corp.example.com@DB.CORP.EXAMPLE.COM",
            "mysql/db.corp.example.com@EVIL.ORG",
            "mysql/db.corp.example.com@",
        ] {
            let e = p.check(bad, &ctx).unwrap_err().to_string();
            assert!(
                e.contains("maps to no realm") && e.contains("not its DNS domain"),
                "{e}"
            );
        }
        // Addresses and single labels have no DNS domain.
        for host in ["127.0.0.1", "::1", "[::1]", "localhost", ""] {
            let ctx = SpnContext::new(host, None, None);
            assert!(ctx.dns_domains().is_empty(), "{host}");
            assert!(p.check("mysql/db@EXAMPLE.COM", &ctx).is_err(), "{host}");
        }
    }

    #[test]
    fn no_realm_and_the_clients_own_realm_always_pass() {
        let p = SpnPolicy::default();
        let nothing = SpnContext::default();
        assert_eq!(p.check("mysql/db.example.com", &nothing), Ok(()));
        let e = p
            .check("mysql/db.example.com@EXAMPLE.COM", &nothing)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("the host the client dialed is unknown"),
            "{e}"
        );
        let own = SpnContext::new("127.0.0.1", None, Some("EXAMPLE.COM".into()));
        assert_eq!(p.check("mysql/db.example.com@EXAMPLE.COM", &own), Ok(()));
        assert!(p.check("mysql/db.example.com@OTHER.COM", &own).is_err());
        // Only the default policy checks the realm: a pin is exact, the opt-out is the opt-out.
        let other = "mysql/db.example.com@OTHER.COM";
        assert_eq!(
            SpnPolicy::Exact(other.into()).check(other, &nothing),
            Ok(())
        );
        assert_eq!(SpnPolicy::AnyExceptKdc.check(other, &nothing), Ok(()));
    }

    #[test]
    fn realm_in_the_message_is_escaped() {
        let ctx = SpnContext::new("h\x1b.example.com", None, None);
        let e = SpnPolicy::default()
            .check("mysql/db@\x1b]0;x\x07", &ctx)
            .unwrap_err()
            .to_string();
        assert!(!e.chars().any(|c| c.is_control()), "{e:?}");
    }

    #[test]
    fn default_allows_database_classes_only() {
        let p = SpnPolicy::default();
        for ok in [
            "mysql/db.example.com@EXAMPLE.COM",
            "mariadb/db.example.com@EXAMPLE.COM",
            "MySQL/db.corp.example.com@EXAMPLE.COM",
            "mysql/db.example.com",
        ] {
            assert_eq!(p.check(ok, &ex()), Ok(()), "{ok}");
        }
        for bad in [
            "host/db.example.com@EXAMPLE.COM",
            "HTTP/www.example.com@EXAMPLE.COM",
            "ldap/dc.example.com",
            "mysql@EXAMPLE.COM",
            "mysql/@EXAMPLE.COM",
            "mysql/a/b@EXAMPLE.COM",
            "mysql\\/db@EXAMPLE.COM",
            "",
            "@",
        ] {
            let e = p.check(bad, &ex()).unwrap_err();
            assert!(e.to_string().contains("--spn SPN"), "{e}");
            assert!(e.to_string().contains("--allow-any-spn"), "{e}");
        }
    }

    #[test]
    fn kdc_services_never() {
        for policy in [
            SpnPolicy::DatabaseServices,
            SpnPolicy::AnyExceptKdc,
            SpnPolicy::Exact("krbtgt/EXAMPLE.COM@EXAMPLE.COM".into()),
        ] {
            for bad in [
                "krbtgt/EXAMPLE.COM@EXAMPLE.COM",
                "KRBTGT/OTHER.REALM@EXAMPLE.COM",
                "kadmin/admin@EXAMPLE.COM",
                "kadmin/changepw",
                "kpasswd/dc.example.com@EXAMPLE.COM",
                "kpasswd@EXAMPLE.COM",
            ] {
                let e = policy.check(bad, &ex()).unwrap_err();
                assert!(e.reason.contains("infrastructure"), "{policy:?} {bad}: {e}");
                assert!(e.to_string().contains(bad), "{e}");
                assert!(e.to_string().contains("neither --spn"), "{e}");
            }
        }
    }

    #[test]
    fn exact_pin_and_opt_out() {
        let pin = SpnPolicy::Exact("host/db.example.com@EXAMPLE.COM".into());
        assert_eq!(pin.check("host/db.example.com@EXAMPLE.COM", &ex()), Ok(()));
        let e = pin
            .check("mysql/db.example.com@EXAMPLE.COM", &ex())
            .unwrap_err()
            .to_string();
        assert!(e.contains("mysql/db.example.com@EXAMPLE.COM") && e.contains("--spn"));
        assert!(pin.check("host/db.example.com@OTHER.COM", &ex()).is_err());
        let any = SpnPolicy::AnyExceptKdc;
        assert_eq!(any.check("HTTP/www.example.com@EXAMPLE.COM", &ex()), Ok(()));
        assert_eq!(any.check("svc_db@EXAMPLE.COM", &ex()), Ok(()));
    }

    #[test]
    fn message_is_escaped_and_bounded() {
        let spn = format!("ldap/\x1b[2J{}@R", "a".repeat(2000));
        let e = SpnPolicy::default()
            .check(&spn, &ex())
            .unwrap_err()
            .to_string();
        assert!(!e.contains('\x1b'), "{e}");
        assert!(e.len() < 1000, "{}", e.len());
        assert_eq!(
            split("a\\@b/c@R\\@S"),
            (
                vec!["a@b".to_owned(), "c".to_owned()],
                Some("R@S".to_owned())
            )
        );
        assert_eq!(split("a/b"), (vec!["a".to_owned(), "b".to_owned()], None));
    }
}
