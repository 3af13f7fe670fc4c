//! Which service principal the server may make the client fetch a ticket for.
//!
//! The database server names the SPN in its plugin data (wire-protocols.md §2.1, §3.1), and an
//! AP-REQ for that SPN is what the client sends it. A hostile or impersonated server could name
//! `krbtgt/…`, `HTTP/…` or `ldap/…` and relay the fresh AP-REQ to that service, so the SPN is
//! checked against a [`SpnPolicy`] before any ticket is fetched or any token is built.
//!
//! Service classes the database servers actually use (the default allow-list):
//! * MySQL Enterprise `authentication_kerberos`: `authentication_kerberos_service_principal`,
//!   default `mysql/host_name@realm_name` (MySQL 8.0 Reference Manual, "Kerberos Pluggable
//!   Authentication"; wire-protocols.md §2.1 [DOC D1]).
//! * Aurora MySQL / RDS for MySQL: the same server plugin; AWS does not publish the SPN string
//!   (wire-protocols.md §2.1 marks it unconfirmed), so it is assumed to keep MySQL's `mysql`
//!   class. A deployment that differs pins its SPN with `--spn` ([`SpnPolicy::Exact`]).
//! * MariaDB `auth_gssapi`: `gssapi_principal_name`, default
//!   `krb5_sname_to_principal(ctx, NULL, "mariadb", KRB5_NT_SRV_HST)`, i.e.
//!   `mariadb/<fqdn>@REALM` (MariaDB server `plugin/auth_gssapi/gssapi_server.cc`;
//!   wire-protocols.md §3.1 [SRC R4]).
//!
//! The class is compared ASCII-case-insensitively (Active Directory SPNs are
//! case-insensitive, e.g. `MySQL/db.corp`); the name must have exactly two components
//! (`class/host`), as both defaults do.

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
    /// What the policy found wrong.
    pub reason: &'static str,
    hint: &'static str,
}

impl SpnRejected {
    fn new(spn: &str, reason: &'static str, hint: &'static str) -> Self {
        // Plugin data is bounded (519 / 1024 bytes); cut further so the message stays short.
        let spn = match spn.char_indices().nth(256) {
            Some((i, _)) => format!("{}...", &spn[..i]),
            None => spn.to_owned(),
        };
        Self { spn, reason, hint }
    }
}

const HINT_DEFAULT: &str = " (if this is the database's real service principal, pin it with \
     --spn SPN, or accept any database SPN with --allow-any-spn)";
const HINT_EXACT: &str = " (it differs from the SPN pinned with --spn)";

/// The components of an SPN up to its realm: splits at unescaped `/`, stops at an unescaped
/// `@` (RFC 1964 §2.1.1 string form, as MIT's `krb5_parse_name`).
fn components(spn: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut esc = false;
    for c in spn.chars() {
        match c {
            _ if esc => {
                esc = false;
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
            '\\' => esc = true,
            '/' => out.push(String::new()),
            '@' => break,
            _ => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

impl SpnPolicy {
    /// Check the SPN the server asked for; `Ok` means a ticket may be fetched for it.
    pub fn check(&self, spn: &str) -> Result<(), SpnRejected> {
        let comps = components(spn);
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
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_allows_database_classes_only() {
        let p = SpnPolicy::default();
        for ok in [
            "mysql/db.example.com@EXAMPLE.COM",
            "mariadb/db.ad.myaws.com@AD.MYAWS.COM",
            "MySQL/db.corp.example.com@CORP.EXAMPLE.COM",
            "mysql/db.example.com",
        ] {
            assert_eq!(p.check(ok), Ok(()), "{ok}");
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
            let e = p.check(bad).unwrap_err();
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
                let e = policy.check(bad).unwrap_err();
                assert!(e.reason.contains("infrastructure"), "{policy:?} {bad}: {e}");
                assert!(e.to_string().contains(bad), "{e}");
                assert!(e.to_string().contains("neither --spn"), "{e}");
            }
        }
    }

    #[test]
    fn exact_pin_and_opt_out() {
        let pin = SpnPolicy::Exact("host/db.example.com@EXAMPLE.COM".into());
        assert_eq!(pin.check("host/db.example.com@EXAMPLE.COM"), Ok(()));
        let e = pin
            .check("mysql/db.example.com@EXAMPLE.COM")
            .unwrap_err()
            .to_string();
        assert!(e.contains("mysql/db.example.com@EXAMPLE.COM") && e.contains("--spn"));
        assert!(pin.check("host/db.example.com@OTHER.COM").is_err());
        let any = SpnPolicy::AnyExceptKdc;
        assert_eq!(any.check("HTTP/www.example.com@EXAMPLE.COM"), Ok(()));
        assert_eq!(any.check("svc_db@EXAMPLE.COM"), Ok(()));
    }

    #[test]
    fn message_is_escaped_and_bounded() {
        let spn = format!("ldap/\x1b[2J{}@R", "a".repeat(2000));
        let e = SpnPolicy::default().check(&spn).unwrap_err().to_string();
        assert!(!e.contains('\x1b'), "{e}");
        assert!(e.len() < 1000, "{}", e.len());
        assert_eq!(components("a\\@b/c@R"), vec!["a@b", "c"]);
    }
}
