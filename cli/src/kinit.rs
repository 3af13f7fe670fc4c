//! `kerb kinit`: MIT kinit's options, the choice of the output cache and the messages, around
//! a `kdc_client::session::Session`: its `login` makes the AS exchange (the lazy password
//! prompt and the expired-password change included); `-R` and `-v` use its client's
//! `renew`/`validate`.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use kdc_client::ccache::{CacheEntry, Ccache, CcacheHandle};
use kdc_client::client::Client;
use kdc_client::config::Krb5Conf;
use kdc_client::config::krb5conf::parse_duration;
use kdc_client::exchange::{self, Credentials, TicketStart};
use kdc_client::keytab::Keytab;
use kdc_client::session::{Armor, KeySource, LoginOptions, Session, SessionError};
use kdc_client::{NameType, Principal, PrincipalName};

use crate::{common, prompt};

const PROG: &str = "kinit";

/// MIT kinit's usage text, verbatim (options this build does not implement are refused).
pub const USAGE: &str = "\
Usage: kinit [-V] [-l lifetime] [-s start_time] [-r renewable_life]
\t[-f | -F] [-p | -P] [-n] [-a | -A] [-C] [-E]
\t[--request-pac | --no-request-pac]
\t[-v] [-R] [-k [-i|-t keytab_file]] [-c cachename]
\t[-S service_name] [-I input_ccache] [-T ticket_armor_cache]
\t[-X <attribute>[=<value>]] [principal]

    options:
\t-V verbose
\t-l lifetime
\t-s start time
\t-r renewable lifetime
\t-f forwardable
\t-F not forwardable
\t-p proxiable
\t-P not proxiable
\t-n anonymous
\t-a include addresses
\t-A do not include addresses
\t-v validate
\t-R renew
\t-C canonicalize
\t-E client is enterprise principal name
\t-k use keytab
\t-i use default client keytab (with -k)
\t-t filename of keytab to use
\t-c Kerberos 5 cache name
\t-S service
\t-I input credential cache
\t-T armor credential cache
\t-X <attribute>[=<value>]
\t--{,no}-request-pac request KDC include/exclude a PAC
";

/// What kinit does: MIT's `action_type`. The last of `-k`, `-R` and `-v` wins, and `-t` or
/// `-i` force `-k`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An AS exchange with a password (the default).
    #[default]
    Password,
    /// `-k`: an AS exchange with a keytab.
    Keytab,
    /// `-R`: renew the cached ticket.
    Renew,
    /// `-v`: validate the cached (postdated) ticket.
    Validate,
}

/// Parsed `kinit` options (MIT meanings). `None` means "the krb5.conf default".
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KinitArgs {
    pub verbose: bool,
    pub cache: Option<String>,
    pub action: Action,
    /// `-i`: the default client keytab.
    pub client_keytab: bool,
    pub keytab: Option<String>,
    pub lifetime: Option<Duration>,
    pub renew_life: Option<Duration>,
    /// `-s`: the start time, in seconds from now (see [`crate::starttime`]).
    pub start_time: Option<i64>,
    pub forwardable: Option<bool>,
    pub proxiable: Option<bool>,
    /// `-a` (`Some(true)`) or `-A` (`Some(false)`); none is MIT's `noaddresses` default.
    pub addresses: Option<bool>,
    /// `-n`: anonymous PKINIT, refused (no PKINIT in this build).
    pub anonymous: bool,
    pub canonicalize: bool,
    pub enterprise: bool,
    pub service: Option<String>,
    /// `-T`: the armor ccache, whose TGT armors the AS exchange with FAST (RFC 6113).
    pub armor_ccache: Option<String>,
    pub principal: Option<String>,
    /// Notices MIT prints while parsing without failing (`keytab specified, forcing -k`).
    pub notices: Vec<String>,
}

impl KinitArgs {
    fn use_keytab(&self) -> bool {
        self.action == Action::Keytab
    }
}

/// Parse the arguments after `kinit`. `Err` holds the lines for stderr (usage included).
pub fn parse_args(args: Vec<OsString>) -> Result<KinitArgs, String> {
    use lexopt::Arg::{Short, Value};
    let mut p = common::parser(args);
    let mut a = KinitArgs::default();
    let mut errors = Vec::new();
    let val = |p: &mut lexopt::Parser| common::option_value(PROG, p);
    while let Some(arg) = common::next_arg(PROG, &mut p).map_err(|m| usage(&m))? {
        match arg {
            Short('V') => a.verbose = true,
            Short('c') => {
                if a.cache.is_some() {
                    errors.push("Only one -c option allowed".to_owned());
                }
                a.cache = Some(val(&mut p).map_err(|e| usage(&e))?);
            }
            Short('k') => a.action = Action::Keytab,
            Short('R') => a.action = Action::Renew,
            Short('v') => a.action = Action::Validate,
            Short('i') => a.client_keytab = true,
            Short('t') => {
                if a.keytab.is_some() {
                    errors.push("Only one -t option allowed.".to_owned());
                }
                a.keytab = Some(val(&mut p).map_err(|e| usage(&e))?);
            }
            Short('l') => {
                let v = val(&mut p).map_err(|e| usage(&e))?;
                match parse_duration(&v) {
                    Some(d) if !d.is_zero() => a.lifetime = Some(d),
                    _ => errors.push(format!("Bad lifetime value {v}")),
                }
            }
            Short('r') => {
                let v = val(&mut p).map_err(|e| usage(&e))?;
                match parse_duration(&v) {
                    Some(d) if !d.is_zero() => a.renew_life = Some(d),
                    // MIT 1.20 says "lifetime" for -r too.
                    _ => errors.push(format!("Bad lifetime value {v}")),
                }
            }
            Short('s') => {
                let v = val(&mut p).map_err(|e| usage(&e))?;
                let zone = crate::timefmt::LocalZone::load();
                match crate::starttime::parse(&v, crate::timefmt::now(), &zone) {
                    Some(offset) => a.start_time = Some(offset),
                    None => errors.push(format!("Bad start time value {v}")),
                }
            }
            Short('a') => set_once(&mut a.addresses, true, "-a and -A", &mut errors),
            Short('A') => set_once(&mut a.addresses, false, "-a and -A", &mut errors),
            Short('n') => a.anonymous = true,
            Short('f') => set_once(&mut a.forwardable, true, "-f and -F", &mut errors),
            Short('F') => set_once(&mut a.forwardable, false, "-f and -F", &mut errors),
            Short('p') => set_once(&mut a.proxiable, true, "-p and -P", &mut errors),
            Short('P') => set_once(&mut a.proxiable, false, "-p and -P", &mut errors),
            Short('C') => a.canonicalize = true,
            Short('E') => a.enterprise = true,
            Short('S') => a.service = Some(val(&mut p).map_err(|e| usage(&e))?),
            Short('T') => a.armor_ccache = Some(val(&mut p).map_err(|e| usage(&e))?),
            Value(v) if a.principal.is_none() => {
                a.principal = Some(
                    v.into_string()
                        .map_err(|_| usage(&format!("{PROG}: principal is not UTF-8")))?,
                );
            }
            Value(v) => errors.push(format!(
                "Extra arguments (starting with \"{}\").",
                v.to_string_lossy()
            )),
            other => {
                let msg = format!("{PROG}: invalid option -- '{}'", common::opt_name(&other));
                return Err(usage(&msg));
            }
        }
    }
    if a.client_keytab && a.keytab.is_some() {
        errors.push("Only one of -t and -i allowed".to_owned());
    }
    if (a.keytab.is_some() || a.client_keytab) && a.action != Action::Keytab {
        a.action = Action::Keytab;
        a.notices.push("keytab specified, forcing -k".to_owned());
    }
    if errors.is_empty() {
        Ok(a)
    } else {
        let mut lines = a.notices;
        lines.extend(errors);
        Err(usage(&lines.join("\n")))
    }
}

fn set_once(slot: &mut Option<bool>, v: bool, what: &str, errors: &mut Vec<String>) {
    if slot.is_some_and(|old| old != v) {
        errors.push(format!("Only one of {what} allowed"));
    }
    *slot = Some(v);
}

fn usage(msg: &str) -> String {
    format!("{msg}\n{USAGE}")
}

/// Errors of the flow, printed MIT-style.
pub enum Failure {
    /// `kinit: <message> while <context>`.
    Krb(String),
}

/// `kerb kinit`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    match parse_args(args) {
        Ok(a) => {
            for n in &a.notices {
                eprintln!("{n}");
            }
            run_kinit(a)
        }
        Err(m) => {
            eprint!("{m}");
            ExitCode::from(2)
        }
    }
}

/// MIT kinit's flow around the AS exchange.
pub fn run_kinit(args: KinitArgs) -> ExitCode {
    crate::trace::init(args.verbose);
    match kinit(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Krb(m)) => common::fail(PROG, m),
    }
}

fn kinit(args: &KinitArgs) -> Result<(), Failure> {
    if args.anonymous {
        // MIT sends an AS request for WELLKNOWN/ANONYMOUS with the request-anonymous option;
        // the reply key then comes from PKINIT (RFC 8062), which this build does not have.
        return Err(Failure::Krb(
            "Anonymous PKINIT (-n) is not supported: this build has no PKINIT (RFC 8062) \
             while getting initial credentials"
                .to_owned(),
        ));
    }
    let conf = common::load_config()
        .map_err(|e| Failure::Krb(format!("{e} while initializing Kerberos 5 library")))?;
    let target = choose_cache(args, &conf)?;
    let client = target.client.clone();
    let session = Session::new(Client::new(conf), target.handle.clone());
    let (conf, handle) = (session.client().config(), &target.handle);
    if args.verbose {
        eprintln!("Using principal: {client}");
    }
    let doing = match args.action {
        Action::Password | Action::Keytab => "getting initial credentials",
        Action::Renew => "renewing credentials",
        Action::Validate => "validating credentials",
    };
    let service = match &args.service {
        Some(s) => Some(service_name(s).map_err(|e| Failure::Krb(format!("{e} while {doing}")))?),
        None => None,
    };
    if args.action == Action::Validate || args.action == Action::Renew {
        let how = if args.action == Action::Validate {
            Refresh::Validate
        } else {
            Refresh::Renew
        };
        let cache = handle.load().map_err(|e| {
            let msg = if e.is_not_found() {
                common::ccache_not_found(&handle.name())
            } else {
                e.to_string()
            };
            Failure::Krb(format!("{msg} while {doing}"))
        })?;
        let cred = refresh_credentials(&session, &cache, &client, service, how)?;
        let mut fresh = Ccache::new(client.clone());
        fresh.store(cred);
        return save(handle, fresh, args.verbose);
    }
    let addresses = match args.addresses {
        Some(true) => crate::localaddr::local_addresses()
            .map_err(|e| Failure::Krb(format!("{e} getting local addresses")))?,
        _ => Vec::new(),
    };
    let keytab = if args.use_keytab() {
        let name = if args.client_keytab {
            common::client_keytab_name(None, Some(conf))
        } else {
            common::keytab_name(args.keytab.as_deref(), Some(conf))
        };
        let kt_path = kdc_client::keytab::resolve_name(&name)
            .map_err(|e| Failure::Krb(format!("{e} while resolving keytab {name}")))?;
        if args.verbose {
            eprintln!("Using keytab: {}", common::keytab_display(&name));
        }
        Some(kt_path)
    } else {
        None
    };
    let mut opts = LoginOptions::default()
        .with_canonicalize(args.canonicalize || args.enterprise)
        .with_start(TicketStart::from_offset_secs(args.start_time.unwrap_or(0)))
        .with_addresses(addresses);
    if let Some(l) = args.lifetime {
        opts = opts.with_lifetime(l);
    }
    if let Some(r) = args.renew_life {
        opts = opts.with_renew_lifetime(r);
    }
    if let Some(f) = args.forwardable {
        opts = opts.with_forwardable(f);
    }
    if let Some(p) = args.proxiable {
        opts = opts.with_proxiable(p);
    }
    if let Some(s) = service {
        opts = opts.with_service(s);
    }
    // `-T`: every AS request armored with the armor cache's TGT (FAST), or none sent.
    let armor = match &args.armor_ccache {
        Some(name) => Some(
            common::open_ccache(Some(name), Some(conf))
                .map_err(|e| Failure::Krb(format!("{e} resolving ccache {name}")))?,
        ),
        None => None,
    };
    let session = match &armor {
        Some(armor) => session.clone().with_armor(Armor::Cache(armor.clone())),
        None => session.clone(),
    };
    let key = match &keytab {
        Some(path) => KeySource::Keytab(path),
        None => KeySource::Password(&prompt::Terminal),
    };
    tracing::debug!("Getting initial credentials for {client}");
    // The KDC may canonicalize the client name: the cache is initialised with the reply's.
    let login = common::block_on(session.login(&client, key, &opts))
        .map_err(|e| Failure::Krb(format!("{e} while getting initial credentials")))?
        .map_err(|e| login_failure(e, &client, armor.as_ref()))?;
    let zone = crate::timefmt::LocalZone::load();
    if let Some(w) = expiry_warning(login.password_expiry, crate::timefmt::now(), &zone) {
        println!("{w}");
    }
    if args.verbose {
        eprintln!("Authenticated to Kerberos v5");
    }
    if target.switch {
        handle
            .switch_to()
            .map_err(|e| Failure::Krb(format!("{e} while switching to new ccache")))?;
    }
    Ok(())
}

/// A failed [`Session::login`] as MIT's kinit words it.
fn login_failure(e: SessionError, client: &Principal, armor: Option<&CcacheHandle>) -> Failure {
    let doing = "while getting initial credentials";
    Failure::Krb(match e {
        SessionError::NoKeytabKey { .. } => {
            format!("Keytab contains no suitable keys for {client} {doing}")
        }
        // Only the new credentials are written during a login.
        SessionError::Cache(e) => format!("{e} while storing credentials"),
        SessionError::Armor(e) => match (*e, armor) {
            (SessionError::Cache(e), Some(h)) if e.is_not_found() => {
                format!("{} {doing}", common::ccache_not_found(&h.name()))
            }
            (e, _) => format!("{e} {doing}"),
        },
        e => format!("{e} {doing}"),
    })
}

/// The output cache and client, chosen as MIT's kinit does (`k5_begin`).
struct Target {
    handle: CcacheHandle,
    client: Principal,
    /// Make `handle` its collection's primary once the credentials are stored.
    switch: bool,
}

/// `-c` names the output cache. Otherwise the default cache is used, except in a collection
/// (KEYRING): the collection's cache of the client when there is one, else a new cache when
/// the default cache belongs to someone else; either then becomes the primary.
fn choose_cache(args: &KinitArgs, conf: &Krb5Conf) -> Result<Target, Failure> {
    // MIT's order and wording: the named cache, then the default one.
    let named = match &args.cache {
        Some(n) => Some(
            common::open_ccache(Some(n), Some(conf))
                .map_err(|e| Failure::Krb(format!("{e} resolving ccache {n}")))?,
        ),
        None => None,
    };
    let default = common::open_ccache(None, Some(conf))
        .map_err(|e| Failure::Krb(format!("{e} while getting default ccache")))?;
    let default_principal = default.principal().ok();
    let existing = match &named {
        Some(h) => h.principal().ok(),
        None => default_principal.clone(),
    };
    let client = client_principal(args, conf, existing.as_ref())?;
    if let Some(handle) = named {
        if args.verbose {
            eprintln!("Using specified cache: {}", handle.name().residual());
        }
        return Ok(Target {
            handle,
            client,
            switch: false,
        });
    }
    let from_default = args.principal.is_none()
        && !(args.use_keytab() && args.client_keytab)
        && default_principal.is_some();
    if default.supports_switch() && !from_default {
        let found = default
            .find_in_collection(&client)
            .map_err(|e| Failure::Krb(format!("{e} while searching for ccache for {client}")))?;
        let (handle, how, switch) = match found {
            Some(h) => (h, "existing", true),
            None if default_principal.is_some() => {
                let fresh = default
                    .new_unique()
                    .map_err(|e| Failure::Krb(format!("{e} while generating new ccache")))?;
                (fresh.unwrap_or(default), "new", true)
            }
            None => (default, "default", false),
        };
        if args.verbose {
            eprintln!("Using {how} cache: {}", handle.name().residual());
        }
        return Ok(Target {
            handle,
            client,
            switch,
        });
    }
    if args.verbose {
        eprintln!("Using default cache: {}", default.name().residual());
    }
    Ok(Target {
        handle: default,
        client,
        switch: false,
    })
}

/// MIT's kinit warning that the password expires (its `warn_pw_expiry`, for a password
/// login other than a `kadmin/changepw` ticket): whenever the KDC sent the expiry as a
/// last-req entry (Active Directory does while the password can expire), for
/// `key-expiration` only within a week.
fn expiry_warning(
    expiry: Option<exchange::PasswordExpiry>,
    now: i64,
    zone: &crate::timefmt::LocalZone,
) -> Option<String> {
    let expiry = expiry.filter(|e| e.at != 0)?;
    if !expiry.from_last_req && expiry.at > now.saturating_add(7 * 86400) {
        return None;
    }
    let when = zone.format_c(expiry.at);
    let delta = expiry.at.saturating_sub(now);
    let left = if delta < 3600 {
        "less than one hour".to_owned()
    } else if delta < 2 * 86400 {
        let hours = delta / 3600;
        format!("{hours} hour{}", if hours == 1 { "" } else { "s" })
    } else {
        format!("{} days", delta / 86400)
    };
    Some(format!(
        "Warning: Your password will expire in {left} on {when}"
    ))
}

/// What `-R` and `-v` do to a cached ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refresh {
    Renew,
    Validate,
}

/// `kinit -R` / `kinit -v` (MIT's `krb5_get_renewed_creds` / `krb5_get_validated_creds`):
/// renew or validate the cached ticket of `client` for `service` (`-S`, in the client's realm)
/// or for the client realm's TGT.
fn refresh_credentials(
    session: &Session,
    cache: &Ccache,
    client: &Principal,
    service: Option<PrincipalName>,
    how: Refresh,
) -> Result<CacheEntry, Failure> {
    let doing = match how {
        Refresh::Renew => "renewing credentials",
        Refresh::Validate => "validating credentials",
    };
    let server = match service {
        Some(name) => Principal::new(name, client.realm.clone()),
        None => local_tgt(client),
    };
    // MIT's krb5_cc_retrieve_cred: client and server match, of an enctype this build has.
    let ticket = cache
        .credentials
        .iter()
        .filter(|c| !c.is_config())
        .filter(|c| c.client.matches(client))
        .filter(|c| c.server.matches(&server))
        .find_map(Credentials::from_ccache)
        .ok_or_else(|| {
            let missing = common::ccache_no_match(&session.cache().name());
            Failure::Krb(format!("{missing} while {doing}"))
        })?;
    let failed = |e: &dyn std::fmt::Display| Failure::Krb(format!("{e} while {doing}"));
    let client = session.client();
    let new = match how {
        Refresh::Renew => common::block_on(client.renew(&ticket)),
        Refresh::Validate => common::block_on(client.validate(&ticket)),
    }
    .map_err(|e| failed(&e))?
    .map_err(|e| failed(&e))?;
    Ok(new.to_ccache())
}

/// `-S service_name` as MIT's `build_in_tkt_name` reads it: a principal name whose realm, if
/// any, is ignored (the request always names the client's realm), its name type inferred as
/// `krb5_parse_name` does (NT-SRV-INST for `krbtgt/X`, NT-WELLKNOWN for `WELLKNOWN/...`,
/// else NT-PRINCIPAL). An empty name is sent as is, for the KDC to refuse.
fn service_name(s: &str) -> Result<PrincipalName, String> {
    // Cut at the first unescaped '@'; a second one is malformed.
    let mut escaped = false;
    let mut at = None;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '@' if at.is_none() => at = Some(i),
            '@' => return Err("Malformed representation of principal".to_owned()),
            _ => {}
        }
    }
    let name = at.map_or(s, |i| &s[..i]);
    let placeholder = kdc_client::Realm::referral();
    let mut parsed = if name.is_empty() {
        PrincipalName::new(NameType::Principal, vec![String::new()]).map_err(|e| e.to_string())?
    } else {
        Principal::parse(name, Some(&placeholder))
            .map_err(|_| "Malformed representation of principal".to_owned())?
            .name
    };
    parsed.name_type = match parsed.components() {
        [first, _] if first == "krbtgt" => NameType::SrvInst,
        [first, _, ..] if first == "WELLKNOWN" => NameType::WellKnown,
        _ => NameType::Principal,
    };
    Ok(parsed)
}

fn local_tgt(client: &Principal) -> Principal {
    Principal::new(
        kdc_client::PrincipalName::krbtgt(&client.realm),
        client.realm.clone(),
    )
}

/// Store `cache` (a fresh one holding the renewed or validated credential).
fn save(handle: &CcacheHandle, cache: Ccache, verbose: bool) -> Result<(), Failure> {
    handle
        .save(&cache)
        .map_err(|e| Failure::Krb(format!("{e} while storing credentials")))?;
    if verbose {
        eprintln!("Authenticated to Kerberos v5");
    }
    Ok(())
}

/// MIT's choice of client: the argument (with `-E` an enterprise name), else with `-k`
/// `host/<hostname>`, else the cache's default principal, else the login name, all in the
/// default realm when none is given.
fn client_principal(
    args: &KinitArgs,
    conf: &Krb5Conf,
    existing: Option<&Principal>,
) -> Result<Principal, Failure> {
    // MIT's krb5_get_default_realm, asked only when a name needs it: `default_realm`, else
    // (with `dns_lookup_realm`) the local host's `_kerberos` TXT record.
    let default_realm = std::cell::OnceCell::new();
    let realm = || {
        default_realm
            .get_or_init(|| match &conf.default_realm {
                Some(realm) => Some(realm.clone()),
                None => common::block_on(Client::new(conf.clone()).default_realm())
                    .ok()
                    .flatten(),
            })
            .as_ref()
    };
    let no_realm =
        || Failure::Krb("Cannot find default realm while getting default ccache".to_owned());
    if let Some(name) = &args.principal {
        if args.enterprise {
            let realm = realm().cloned().ok_or_else(no_realm)?;
            return Principal::enterprise(name, realm)
                .map_err(|e| Failure::Krb(format!("{e} when parsing name {name}")));
        }
        // The default realm (a DNS query with `dns_lookup_realm`) only for a name without one.
        let parsed = match Principal::parse(name, None) {
            Err(kdc_client::PrincipalError::NoRealm(_)) => Principal::parse(name, realm()),
            parsed => parsed,
        };
        return parsed.map_err(|e| Failure::Krb(format!("{e} when parsing name {name}")));
    }
    if args.use_keytab() && args.client_keytab {
        // MIT: the first principal of the default client keytab.
        let name = common::client_keytab_name(None, Some(conf));
        let first = kdc_client::keytab::resolve_name(&name)
            .ok()
            .and_then(|p| Keytab::read_file(&p).ok())
            .and_then(|kt| kt.entries.first().map(|e| e.principal.clone()));
        return first.ok_or_else(|| {
            Failure::Krb(format!(
                "No suitable keys in {} while getting initial credentials",
                common::keytab_display(&name)
            ))
        });
    }
    if let Some(p) = existing {
        return Ok(p.clone());
    }
    if args.use_keytab() {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_ascii_lowercase())
            .map_err(|e| Failure::Krb(e.to_string()))?;
        let realm = conf
            .realm_for_host(&host)
            .or_else(realm)
            .cloned()
            .ok_or_else(no_realm)?;
        let name = kdc_client::PrincipalName::new(NameType::SrvHst, vec!["host".into(), host])
            .map_err(|e| Failure::Krb(e.to_string()))?;
        return Ok(Principal::new(name, realm));
    }
    let user = common::user_name().ok_or_else(|| {
        Failure::Krb("Unable to identify user while getting default ccache".to_owned())
    })?;
    Principal::parse(&user, Some(&realm().cloned().ok_or_else(no_realm)?))
        .map_err(|e| Failure::Krb(format!("{e} when parsing name {user}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<KinitArgs, String> {
        parse_args(v.iter().map(OsString::from).collect())
    }

    #[test]
    fn warns_of_password_expiry_like_mit() {
        let zone = crate::timefmt::LocalZone::utc();
        let now = 1_796_389_328; // Fri Dec  4 13:02:08 2026 UTC
        let warn = |secs: i64, from_last_req| {
            let e = exchange::PasswordExpiry {
                at: now + secs,
                from_last_req,
            };
            expiry_warning(Some(e), now, &zone)
        };
        let day = 86400;
        assert_eq!(
            warn(42 * day, true).as_deref(),
            Some("Warning: Your password will expire in 42 days on Fri Jan 15 13:02:08 2027")
        );
        assert_eq!(
            warn(3 * day - 60, true).as_deref(),
            Some("Warning: Your password will expire in 2 days on Mon Dec  7 13:01:08 2026")
        );
        assert!(
            warn(2 * day - 1, true)
                .unwrap()
                .contains(" in 47 hours on ")
        );
        assert!(warn(7199, true).unwrap().contains(" in 1 hour on "));
        assert!(
            warn(3599, true)
                .unwrap()
                .contains(" in less than one hour on ")
        );
        // key-expiration alone: only within a week.
        assert_eq!(warn(8 * day, false), None);
        assert!(warn(6 * day, false).unwrap().contains(" in 6 days on "));
        assert_eq!(expiry_warning(None, now, &zone), None);
    }

    #[test]
    fn parses_mit_options() {
        let a = args(&[
            "-V",
            "-c",
            "FILE:/tmp/x",
            "-l",
            "10h",
            "-r",
            "7d",
            "-f",
            "-P",
            "-C",
            "-S",
            "kadmin/admin",
            "joedoe@ONPREM.LOCAL",
        ])
        .unwrap();
        assert!(a.verbose && a.canonicalize && !a.use_keytab());
        assert_eq!(a.cache.as_deref(), Some("FILE:/tmp/x"));
        assert_eq!(a.lifetime, Some(Duration::from_secs(36000)));
        assert_eq!(a.renew_life, Some(Duration::from_secs(7 * 86400)));
        assert_eq!(a.forwardable, Some(true));
        assert_eq!(a.proxiable, Some(false));
        assert_eq!(a.service.as_deref(), Some("kadmin/admin"));
        assert_eq!(a.principal.as_deref(), Some("joedoe@ONPREM.LOCAL"));

        let a = args(&["-kt", "/etc/kt", "svc"]).unwrap();
        assert!(a.use_keytab());
        assert_eq!(a.keytab.as_deref(), Some("/etc/kt"));
        let a = args(&["-R"]).unwrap();
        assert!(a.action == Action::Renew && a.principal.is_none());
        let a = args(&["-E", "joe@corp.example"]).unwrap();
        assert!(a.enterprise);
        let a = args(&["-T", "FILE:/tmp/armor", "joedoe"]).unwrap();
        assert_eq!(a.armor_ccache.as_deref(), Some("FILE:/tmp/armor"));
        assert_eq!(a.principal.as_deref(), Some("joedoe"));
    }

    #[test]
    fn refuses_bad_input_with_usage() {
        for bad in [
            &["-Z"][..],
            &["-l"],
            &["-l", "forever"],
            &["-l", "0"],
            &["-r", "x"],
            &["-f", "-F"],
            &["-p", "-P"],
            &["-a", "-A"],
            &["-s", "bad"],
            &["-s", "0"],
            &["-c", "x", "-c", "y"],
            &["a", "b"],
            &["--long"],
        ] {
            let e = args(bad).unwrap_err();
            assert!(e.contains("Usage: kinit"), "{bad:?}: {e}");
        }
        assert!(
            args(&["-Z"])
                .unwrap_err()
                .starts_with("kinit: invalid option -- 'Z'")
        );
        assert!(
            args(&["-l", "x"])
                .unwrap_err()
                .starts_with("Bad lifetime value x")
        );
        assert!(
            args(&["-l"])
                .unwrap_err()
                .contains("requires an argument -- 'l'")
        );
    }

    #[test]
    fn client_from_argument_and_default_realm() {
        let mut conf = Krb5Conf::load_from(&[], &kdc_client::config::MemSource::default()).unwrap();
        conf.default_realm = Some(kdc_client::Realm::new("ONPREM.LOCAL").unwrap());
        let a = args(&["joedoe"]).unwrap();
        let p = client_principal(&a, &conf, None).ok().unwrap();
        assert_eq!(p.to_string(), "joedoe@ONPREM.LOCAL");
        let a = args(&["-E", "joe@corp.example"]).unwrap();
        let p = client_principal(&a, &conf, None).ok().unwrap();
        assert_eq!(p.to_string(), "joe\\@corp.example@ONPREM.LOCAL");
        let cached = Principal::parse("alice@X.Y", None).unwrap();
        let p = client_principal(&args(&[]).unwrap(), &conf, Some(&cached))
            .ok()
            .unwrap();
        assert_eq!(p.to_string(), "alice@X.Y");
    }

    #[test]
    fn new_options_parse_like_mit() {
        let a = args(&["-s", "5m", "-A", "-n", "joedoe"]).unwrap();
        assert_eq!(a.start_time, Some(300));
        assert_eq!(a.addresses, Some(false));
        assert!(a.anonymous);
        assert_eq!(args(&["-a"]).unwrap().addresses, Some(true));
        assert_eq!(args(&["-a", "-a"]).unwrap().addresses, Some(true));
        assert_eq!(args(&[]).unwrap().addresses, None);
        assert_eq!(args(&["-v"]).unwrap().action, Action::Validate);
        // MIT 1.20: the last of -k, -R, -v wins; -t or -i force -k with a notice.
        assert_eq!(args(&["-k", "-R"]).unwrap().action, Action::Renew);
        assert_eq!(args(&["-R", "-v"]).unwrap().action, Action::Validate);
        assert_eq!(args(&["-v", "-k"]).unwrap().action, Action::Keytab);
        let a = args(&["-t", "/kt", "-v"]).unwrap();
        assert_eq!(a.action, Action::Keytab);
        assert_eq!(a.notices, ["keytab specified, forcing -k"]);
        assert!(args(&["-k", "-t", "/kt"]).unwrap().notices.is_empty());
        assert_eq!(
            args(&["-a", "-A"]).unwrap_err().lines().next(),
            Some("Only one of -a and -A allowed")
        );
        assert_eq!(
            args(&["-s", "soon"]).unwrap_err().lines().next(),
            Some("Bad start time value soon")
        );
        assert_eq!(
            args(&["-r", "x"]).unwrap_err().lines().next(),
            Some("Bad lifetime value x")
        );
        assert_eq!(
            args(&["a", "b"]).unwrap_err().lines().next(),
            Some("Extra arguments (starting with \"b\").")
        );
        // The forcing notice comes before the errors, as MIT prints it while parsing.
        let e = args(&["-t", "/kt", "-R", "a", "b"]).unwrap_err();
        let lines: Vec<&str> = e.lines().take(2).collect();
        assert_eq!(
            lines,
            [
                "keytab specified, forcing -k",
                "Extra arguments (starting with \"b\")."
            ]
        );
    }

    #[test]
    fn service_names_like_build_in_tkt_name() {
        let n = service_name("kadmin/admin").unwrap();
        assert_eq!(n.components(), ["kadmin", "admin"]);
        assert_eq!(n.name_type, NameType::Principal);
        // The realm is ignored: the request always names the client's realm.
        assert_eq!(
            service_name("kadmin/admin@AD.MYAWS.COM").unwrap(),
            service_name("kadmin/admin@").unwrap()
        );
        assert_eq!(service_name("kadmin/admin@").unwrap(), n);
        let t = service_name("krbtgt/AD.MYAWS.COM@X").unwrap();
        assert_eq!(t.name_type, NameType::SrvInst);
        assert_eq!(t.components(), ["krbtgt", "AD.MYAWS.COM"]);
        assert_eq!(
            service_name("WELLKNOWN/ANONYMOUS").unwrap().name_type,
            NameType::WellKnown
        );
        // Escaped '@' belongs to the name; an empty name goes to the KDC, as MIT sends it.
        assert_eq!(service_name("a\\@b@R").unwrap().components(), ["a@b"]);
        assert_eq!(service_name("@").unwrap().components(), [""]);
        assert_eq!(service_name("").unwrap().components(), [""]);
        for bad in ["a@b@c", "a\\"] {
            assert_eq!(
                service_name(bad).unwrap_err(),
                "Malformed representation of principal",
                "{bad:?}"
            );
        }
    }
}
