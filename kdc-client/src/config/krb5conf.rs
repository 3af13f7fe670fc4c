//! The typed view of `krb5.conf` (MIT `krb5.conf(5)`): `[libdefaults]`, `[realms]`,
//! `[domain_realm]` and `[capaths]`, with MIT's defaults for unset values. Unknown tags are
//! ignored; a value that does not parse is an error naming its file and line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::profile::{ConfigError, FsSource, Origin, Profile, Source, config_files};
use crate::crypto::Enctype;
use crate::principal::Realm;

/// How to reach a KDC, from a `tcp/` or `udp/` prefix (`Any`: the client decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP first, then TCP (no prefix).
    Any,
    /// UDP only (`udp/` prefix).
    Udp,
    /// TCP only (`tcp/` prefix).
    Tcp,
}

/// A `kdc` or `admin_server` value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdcServer {
    /// `[tcp/|udp/]host[:port]`, `[v6addr][:port]` or a bare IPv6 address.
    Host {
        /// The transport the entry names.
        transport: Transport,
        /// The host name or address.
        host: String,
        /// The port, when the entry names one.
        port: Option<u16>,
    },
    /// An MS-KKDCP proxy URL (`https://...`), kept as written.
    Https(String),
}

impl KdcServer {
    /// Parse a server as MIT's `k5_parse_host_string` does, after the transport prefix.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() > 8 && s.get(..8)?.eq_ignore_ascii_case("https://") {
            return Some(Self::Https(s.to_owned()));
        }
        let prefix = s.get(..4).map(str::to_ascii_lowercase);
        let (transport, rest) = match prefix.as_deref() {
            Some("tcp/") => (Transport::Tcp, s.get(4..)?),
            Some("udp/") => (Transport::Udp, s.get(4..)?),
            _ => (Transport::Any, s),
        };
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        } else {
            match rest.split_once(':') {
                Some((h, p)) if !p.contains(':') => (h, Some(p)),
                _ => (rest, None), // no colon, or a bare IPv6 address
            }
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().ok().filter(|&p| p != 0)?),
            None => None,
        };
        if host.is_empty()
            || host
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "/[]".contains(c))
        {
            return None;
        }
        Some(Self::Host {
            transport,
            host: host.to_owned(),
            port,
        })
    }
}

/// One realm of `[realms]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RealmConfig {
    /// The realm's `kdc` entries, in order.
    pub kdc: Vec<KdcServer>,
    /// The realm's `admin_server` entries (kpasswd falls back to them).
    pub admin_server: Vec<KdcServer>,
    /// `kpasswd_server`: the password-change servers (RFC 3244); unset means the
    /// `admin_server` hosts on port 464, as MIT's `locate_kpasswd`.
    pub kpasswd_server: Vec<KdcServer>,
    /// `primary_kdc` (else the older `master_kdc`): the realm's primary KDCs, asked again
    /// when an AS exchange with a replica fails (MIT's `locate_service_primary_kdc`).
    pub primary_kdc: Vec<KdcServer>,
    /// `http_anchors`: the CAs for MS-KKDCP proxies' certificates (`FILE:`, `DIR:`, `ENV:`).
    pub http_anchors: Vec<String>,
    /// `disable_encrypted_timestamp`: never answer with PA-ENC-TIMESTAMP, so the password
    /// is proven only inside FAST (MIT 1.17; default false).
    pub disable_encrypted_timestamp: bool,
}

/// The settings the client uses, with MIT's defaults where unset.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Krb5Conf {
    /// `default_realm`.
    pub default_realm: Option<Realm>,
    /// `dns_lookup_kdc`: find KDCs with DNS SRV records.
    pub dns_lookup_kdc: bool,
    /// `dns_lookup_realm`: find a host's realm in DNS TXT records.
    pub dns_lookup_realm: bool,
    /// `dns_uri_lookup`: look up URI records (`_kerberos.REALM`, MIT's `krb5srv:` form) before
    /// SRV records when [`Krb5Conf::dns_lookup_kdc`] is on (MIT 1.15; default true).
    pub dns_uri_lookup: bool,
    /// `rdns`: canonicalise host names with reverse DNS.
    pub rdns: bool,
    /// `forwardable`: ask for forwardable tickets.
    pub forwardable: bool,
    /// `proxiable`: ask for proxiable tickets.
    pub proxiable: bool,
    /// `canonicalize`: set the canonicalize option in AS requests.
    pub canonicalize: bool,
    /// `allow_weak_crypto`: allow weak enctypes (rc4-hmac).
    pub allow_weak_crypto: bool,
    /// `ticket_lifetime` (default one day).
    pub ticket_lifetime: Duration,
    /// Zero when unset: no renewable tickets are requested.
    pub renew_lifetime: Duration,
    /// `clockskew` (default 300 s).
    pub clockskew: Duration,
    /// `kdc_timeout` (default 1 s per attempt).
    pub kdc_timeout: Duration,
    /// `udp_preference_limit`: requests larger than this go over TCP.
    pub udp_preference_limit: u32,
    /// `default_tkt_enctypes`, in order of preference.
    pub default_tkt_enctypes: Vec<Enctype>,
    /// `default_tgs_enctypes`, in order of preference.
    pub default_tgs_enctypes: Vec<Enctype>,
    /// `permitted_enctypes`.
    pub permitted_enctypes: Vec<Enctype>,
    /// `default_ccache_name`.
    pub default_ccache_name: Option<String>,
    /// `default_keytab_name`.
    pub default_keytab_name: Option<String>,
    /// `default_client_keytab_name`.
    pub default_client_keytab_name: Option<String>,
    /// `kcm_socket`: the KCM daemon's socket (`-`: none); unset means MIT's default.
    pub kcm_socket: Option<String>,
    /// `[realms]`, by realm name.
    pub realms: BTreeMap<String, RealmConfig>,
    /// `[domain_realm]`: host or `.domain` (lowercase) to realm; earlier files win.
    pub domain_realm: BTreeMap<String, Realm>,
    /// `[capaths]`: client realm, then server realm, then the intermediate realms in order.
    pub capaths: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Krb5Conf {
    /// Load the files named by `krb5_config` (the `KRB5_CONFIG` value, colon-separated) or
    /// `/etc/krb5.conf`.
    pub fn load(krb5_config: Option<&str>) -> Result<Self, ConfigError> {
        Self::load_from(&config_files(krb5_config), &FsSource)
    }

    /// Load `files` in order through `source`.
    pub fn load_from(files: &[PathBuf], source: &dyn Source) -> Result<Self, ConfigError> {
        Self::from_profile(&Profile::load(files, source)?)
    }

    /// The typed view of a profile.
    pub fn from_profile(p: &Profile) -> Result<Self, ConfigError> {
        let allow_weak_crypto = lib(p, "allow_weak_crypto", false, "a boolean", parse_bool)?;
        let enctypes = |tag| {
            lib(p, tag, default_enctypes(), "an enctype list", |s| {
                Some(parse_enctypes(s, allow_weak_crypto))
            })
        };
        let secs = Duration::from_secs;
        let string = |tag| p.value(&["libdefaults", tag]).map(|(v, _)| v.to_owned());
        let dns_fallback = lib(p, "dns_fallback", None, "a boolean", |s| {
            parse_bool(s).map(Some)
        })?;
        Ok(Self {
            default_realm: lib(p, "default_realm", None, "a realm", |s| {
                Realm::new(s).ok().map(Some)
            })?,
            // MIT's `maybe_use_dns`: an unset `dns_lookup_kdc`/`dns_lookup_realm` takes
            // `dns_fallback`, then the default.
            dns_lookup_kdc: lib(
                p,
                "dns_lookup_kdc",
                dns_fallback.unwrap_or(true),
                "a boolean",
                parse_bool,
            )?,
            dns_lookup_realm: lib(
                p,
                "dns_lookup_realm",
                dns_fallback.unwrap_or(false),
                "a boolean",
                parse_bool,
            )?,
            dns_uri_lookup: lib(p, "dns_uri_lookup", true, "a boolean", parse_bool)?,
            rdns: lib(p, "rdns", true, "a boolean", parse_bool)?,
            forwardable: lib(p, "forwardable", false, "a boolean", parse_bool)?,
            proxiable: lib(p, "proxiable", false, "a boolean", parse_bool)?,
            canonicalize: lib(p, "canonicalize", false, "a boolean", parse_bool)?,
            allow_weak_crypto,
            ticket_lifetime: lib(
                p,
                "ticket_lifetime",
                secs(86400),
                "a duration",
                parse_duration,
            )?,
            renew_lifetime: lib(p, "renew_lifetime", secs(0), "a duration", parse_duration)?,
            clockskew: lib(p, "clockskew", secs(300), "a duration", parse_duration)?,
            kdc_timeout: lib(p, "kdc_timeout", secs(1), "a duration", parse_duration)?,
            udp_preference_limit: lib(p, "udp_preference_limit", 1465, "a number", |s| {
                s.parse().ok()
            })?,
            default_tkt_enctypes: enctypes("default_tkt_enctypes")?,
            default_tgs_enctypes: enctypes("default_tgs_enctypes")?,
            permitted_enctypes: enctypes("permitted_enctypes")?,
            default_ccache_name: string("default_ccache_name"),
            default_keytab_name: string("default_keytab_name"),
            default_client_keytab_name: string("default_client_keytab_name"),
            kcm_socket: string("kcm_socket"),
            realms: realms(p)?,
            domain_realm: domain_realm(p)?,
            capaths: capaths(p)?,
        })
    }

    /// The realm of `host` from `[domain_realm]`, by MIT's walk: the host itself, then each
    /// suffix with and without its leading dot (`a.b.c`, `.b.c`, `b.c`, `.c`, `c`).
    pub fn realm_for_host(&self, host: &str) -> Option<&Realm> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let mut rest = host.as_str();
        loop {
            if let Some(r) = self.domain_realm.get(rest) {
                return Some(r);
            }
            rest = match rest.strip_prefix('.') {
                Some(tail) => tail,
                None => &rest[rest.find('.')?..],
            };
        }
    }

    /// The `[capaths]` route from `client` to `server`: `None` if not configured, else the
    /// intermediate realms in order (empty for a direct trust, written `.`).
    pub fn capath(&self, client: &str, server: &str) -> Option<Vec<&str>> {
        let route = self.capaths.get(client)?.get(server)?;
        Some(
            route
                .iter()
                .map(String::as_str)
                .filter(|r| *r != ".")
                .collect(),
        )
    }
}

/// A `[libdefaults]` value through `parse`, or `default` when unset.
fn lib<T>(
    p: &Profile,
    tag: &str,
    default: T,
    expected: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ConfigError> {
    match p.value(&["libdefaults", tag]) {
        None => Ok(default),
        Some((v, origin)) => parse(v).ok_or_else(|| bad(tag, v, origin, expected)),
    }
}

fn bad(tag: &str, value: &str, origin: &Origin, expected: &'static str) -> ConfigError {
    ConfigError::Value {
        file: origin.file.clone(),
        line: origin.line,
        tag: tag.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

fn realms(p: &Profile) -> Result<BTreeMap<String, RealmConfig>, ConfigError> {
    let mut out = BTreeMap::new();
    for realm in p.names(&["realms"]) {
        let servers = |tag| {
            p.values(&["realms", realm, tag])
                .into_iter()
                .map(|(v, o)| KdcServer::parse(v).ok_or_else(|| bad(tag, v, o, "host[:port]")))
                .collect::<Result<Vec<_>, _>>()
        };
        let config = RealmConfig {
            kdc: servers("kdc")?,
            admin_server: servers("admin_server")?,
            kpasswd_server: servers("kpasswd_server")?,
            // MIT reads `master_kdc` only when the realm has no `primary_kdc` relation.
            primary_kdc: match servers("primary_kdc")? {
                v if v.is_empty() => servers("master_kdc")?,
                v => v,
            },
            http_anchors: p
                .values(&["realms", realm, "http_anchors"])
                .into_iter()
                .map(|(v, _)| v.trim().to_owned())
                .collect(),
            disable_encrypted_timestamp: match p.value(&[
                "realms",
                realm,
                "disable_encrypted_timestamp",
            ]) {
                None => false,
                Some((v, o)) => parse_bool(v)
                    .ok_or_else(|| bad("disable_encrypted_timestamp", v, o, "a boolean"))?,
            },
        };
        out.insert(realm.to_owned(), config);
    }
    Ok(out)
}

fn domain_realm(p: &Profile) -> Result<BTreeMap<String, Realm>, ConfigError> {
    let mut out = BTreeMap::new();
    for domain in p.names(&["domain_realm"]) {
        if let Some((v, origin)) = p.value(&["domain_realm", domain]) {
            let realm = Realm::new(v).map_err(|_| bad(domain, v, origin, "a realm"))?;
            out.insert(domain.to_ascii_lowercase(), realm);
        }
    }
    Ok(out)
}

fn capaths(p: &Profile) -> Result<BTreeMap<String, BTreeMap<String, Vec<String>>>, ConfigError> {
    let mut out = BTreeMap::new();
    for client in p.names(&["capaths"]) {
        let mut routes = BTreeMap::new();
        for server in p.names(&["capaths", client]) {
            let mut hops = Vec::new();
            for (v, origin) in p.values(&["capaths", client, server]) {
                Realm::new(v).map_err(|_| bad(server, v, origin, "a realm or '.'"))?;
                hops.push(v.to_owned());
            }
            routes.insert(server.to_owned(), hops);
        }
        out.insert(client.to_owned(), routes);
    }
    Ok(out)
}

/// MIT's booleans: `y`, `yes`, `true`, `t`, `1`, `on` and their negatives, any case.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "t" | "1" | "on" => Some(true),
        "n" | "no" | "false" | "nil" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// MIT's durations (`krb5_string_to_deltat`): seconds (`36000`), units in order
/// (`1d`, `10h`, `1h30m`, `2m 5s`), or `h:m` / `h:m:s` (`10:00`, `1:00:00`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().map(Duration::from_secs);
    }
    if s.contains(':') {
        let parts: Vec<u64> = s
            .split(':')
            .map(|p| p.trim().parse().ok())
            .collect::<Option<_>>()?;
        let (h, m, sec) = match parts[..] {
            [h, m] => (h, m, 0),
            [h, m, sec] => (h, m, sec),
            _ => return None,
        };
        if m > 59 || sec > 59 {
            return None;
        }
        return h
            .checked_mul(3600)?
            .checked_add(m * 60 + sec)
            .map(Duration::from_secs);
    }
    let units = [('d', 86400u64), ('h', 3600), ('m', 60), ('s', 1)];
    let mut total = 0u64;
    let mut next_unit = 0; // units must appear in order, each at most once
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: u64 = rest[..digits].parse().ok()?;
        let after = rest[digits..].trim_start();
        let unit = after.chars().next()?;
        let pos = units.iter().position(|(u, _)| *u == unit)?;
        if pos < next_unit {
            return None;
        }
        next_unit = pos + 1;
        total = total.checked_add(n.checked_mul(units[pos].1)?)?;
        rest = after[1..].trim_start();
    }
    Some(Duration::from_secs(total))
}

/// MIT's default enctype list (`DEFAULT`): 18 17 20 19.
pub fn default_enctypes() -> Vec<Enctype> {
    Enctype::ALL.into_iter().filter(|e| !e.is_weak()).collect()
}

/// An enctype list as MIT parses it: names separated by blanks or commas, `DEFAULT` for the
/// default list, `-name` to remove, `+name` or `name` to add. Unknown names are ignored, and
/// weak enctypes are dropped unless `allow_weak`.
pub fn parse_enctypes(s: &str, allow_weak: bool) -> Vec<Enctype> {
    let mut out: Vec<Enctype> = Vec::new();
    for item in s.split(|c: char| c == ',' || c.is_whitespace()) {
        let (remove, name) = match item.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, item.strip_prefix('+').unwrap_or(item)),
        };
        let list = if name.eq_ignore_ascii_case("DEFAULT") {
            default_enctypes()
        } else {
            Enctype::parse_list_item(name)
        };
        for e in list {
            if remove {
                out.retain(|x| *x != e);
            } else if !out.contains(&e) && (allow_weak || !e.is_weak()) {
                out.push(e);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
