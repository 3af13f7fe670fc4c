//! `kerb kinit`: MIT kinit's options and flow. The AS exchange itself belongs to
//! `kdc_client::client::Client` and is called at the `// WIRE: client call` spot.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use kdc_client::ccache::{Ccache, CcacheHandle, Credential, KdcOffset};
use kdc_client::client::Client;
use kdc_client::config::Krb5Conf;
use kdc_client::config::krb5conf::parse_duration;
use kdc_client::crypto::Enctype;
use kdc_client::exchange::{self, Credentials};
use kdc_client::keytab::Keytab;
use kdc_client::{NameType, Principal};
use zeroize::Zeroizing;

use crate::common;

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

/// Parsed `kinit` options (MIT meanings). `None` means "the krb5.conf default".
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KinitArgs {
    pub verbose: bool,
    pub cache: Option<String>,
    pub use_keytab: bool,
    /// `-i`: the default client keytab.
    pub client_keytab: bool,
    pub keytab: Option<String>,
    pub lifetime: Option<Duration>,
    pub renew_life: Option<Duration>,
    pub forwardable: Option<bool>,
    pub proxiable: Option<bool>,
    pub canonicalize: bool,
    pub enterprise: bool,
    pub renew: bool,
    pub service: Option<String>,
    pub principal: Option<String>,
}

/// Parse the arguments after `kinit`. `Err` holds the lines for stderr (usage included).
pub fn parse_args(args: Vec<OsString>) -> Result<KinitArgs, String> {
    use lexopt::Arg::{Short, Value};
    let mut p = common::parser(args);
    let mut a = KinitArgs::default();
    let mut errors = Vec::new();
    let val = |p: &mut lexopt::Parser| -> Result<String, String> {
        let v = p.value().map_err(|e| common::getopt_message(PROG, &e))?;
        v.into_string()
            .map_err(|_| format!("{PROG}: argument is not UTF-8"))
    };
    loop {
        let arg = match p.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => return Err(usage(&common::getopt_message(PROG, &e))),
        };
        match arg {
            Short('V') => a.verbose = true,
            Short('c') => a.cache = Some(val(&mut p).map_err(|e| usage(&e))?),
            Short('k') => a.use_keytab = true,
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
                    _ => errors.push(format!("Bad renewable time value {v}")),
                }
            }
            Short('f') => set_once(&mut a.forwardable, true, "-f and -F", &mut errors),
            Short('F') => set_once(&mut a.forwardable, false, "-f and -F", &mut errors),
            Short('p') => set_once(&mut a.proxiable, true, "-p and -P", &mut errors),
            Short('P') => set_once(&mut a.proxiable, false, "-p and -P", &mut errors),
            Short('C') => a.canonicalize = true,
            Short('E') => a.enterprise = true,
            Short('R') => a.renew = true,
            Short('S') => a.service = Some(val(&mut p).map_err(|e| usage(&e))?),
            Value(v) if a.principal.is_none() => {
                a.principal = Some(
                    v.into_string()
                        .map_err(|_| usage(&format!("{PROG}: principal is not UTF-8")))?,
                );
            }
            other => {
                let msg = match other {
                    Value(_) => format!("{PROG}: extra arguments"),
                    o => format!("{PROG}: invalid option -- '{}'", common::opt_name(&o)),
                };
                return Err(usage(&msg));
            }
        }
    }
    if a.renew && a.use_keytab {
        errors.push("Only one of -x, -k, -R, and -v allowed".to_owned());
    }
    if a.client_keytab && a.keytab.is_some() {
        errors.push("Only one of -t and -i allowed".to_owned());
    }
    if errors.is_empty() {
        Ok(a)
    } else {
        Err(usage(&errors.join("\n")))
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

/// What the AS exchange needs; built by [`run_kinit`], consumed at the wiring spot.
#[allow(dead_code)] // read by the client call once it is wired
pub struct InitialRequest {
    pub conf: Krb5Conf,
    pub client: Principal,
    pub secret: Secret,
    pub lifetime: Option<Duration>,
    pub renew_life: Option<Duration>,
    pub forwardable: Option<bool>,
    pub proxiable: Option<bool>,
    pub canonicalize: bool,
    /// `-S`: the service of the initial ticket (default `krbtgt/REALM@REALM`).
    pub service: Option<Principal>,
}

/// How the client proves its identity.
pub enum Secret {
    Password(Zeroizing<String>),
    Keytab(Keytab),
}

/// Errors of the flow, printed MIT-style.
pub enum Failure {
    /// `kinit: <message> while <context>`.
    Krb(String),
}

/// `kerb kinit`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    match parse_args(args) {
        Ok(a) => run_kinit(a),
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
    let conf = common::load_config()
        .map_err(|e| Failure::Krb(format!("{e} while initializing Kerberos 5 library")))?;
    let target = choose_cache(args, &conf)?;
    let client = target.client.clone();
    let handle = target.handle;
    if args.verbose {
        eprintln!("Using principal: {client}");
    }
    let service = match &args.service {
        Some(s) => Some(
            Principal::parse(s, Some(&client.realm))
                .map_err(|e| Failure::Krb(format!("{e} while parsing service name {s}")))?,
        ),
        None => None,
    };
    if args.renew {
        let cache = handle.load().map_err(|e| {
            let msg = if e.is_not_found() {
                common::ccache_not_found(&handle.name())
            } else {
                e.to_string()
            };
            Failure::Krb(format!("{msg} while renewing credentials"))
        })?;
        let cred = renew_credentials(&conf, &cache, &client)?;
        return save(&handle, &client, cred, 0, args.verbose);
    }
    let secret = if args.use_keytab {
        let name = if args.client_keytab {
            common::client_keytab_name(None, Some(&conf))
        } else {
            common::keytab_name(args.keytab.as_deref(), Some(&conf))
        };
        let kt_path = kdc_client::keytab::resolve_name(&name)
            .map_err(|e| Failure::Krb(format!("{e} while resolving keytab {name}")))?;
        if args.verbose {
            eprintln!("Using keytab: {}", common::keytab_display(&name));
        }
        let kt = Keytab::read_file(&kt_path)
            .map_err(|e| Failure::Krb(format!("{e} while getting initial credentials")))?;
        if kt.find(&client, None, &[]).is_none() {
            return Err(Failure::Krb(format!(
                "Keytab contains no suitable keys for {client} while getting initial credentials"
            )));
        }
        Secret::Keytab(kt)
    } else {
        let pw = common::read_password(&format!("Password for {client}"))
            .map_err(|e| Failure::Krb(format!("{e} while getting initial credentials")))?;
        Secret::Password(pw)
    };
    let req = InitialRequest {
        lifetime: args.lifetime,
        renew_life: args.renew_life,
        forwardable: args.forwardable,
        proxiable: args.proxiable,
        canonicalize: args.canonicalize || args.enterprise,
        service,
        client: client.clone(),
        secret,
        conf,
    };
    let (cred, kdc_offset) = get_initial_credentials(&req)?;
    // The KDC may canonicalize the client name: the cache is initialised with the reply's.
    let client = cred.client.clone();
    save(&handle, &client, cred, kdc_offset, args.verbose)?;
    if target.switch {
        handle
            .switch_to()
            .map_err(|e| Failure::Krb(format!("{e} while switching to new ccache")))?;
    }
    Ok(())
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
    let open = |name: Option<&str>| {
        common::open_ccache(name, Some(conf))
            .map_err(|e| Failure::Krb(format!("{e} while resolving ccache")))
    };
    let default = open(None)?;
    let default_principal = default.principal().ok();
    let named = match &args.cache {
        Some(n) => Some(open(Some(n))?),
        None => None,
    };
    let existing = match &named {
        Some(h) => h.principal().ok(),
        None => default_principal.clone(),
    };
    let client = client_principal(args, conf, existing.as_ref())?;
    if let Some(handle) = named {
        if args.verbose {
            eprintln!(
                "Using specified cache: {}",
                common::ccache_residual(&handle.name())
            );
        }
        return Ok(Target {
            handle,
            client,
            switch: false,
        });
    }
    let from_default = args.principal.is_none()
        && !(args.use_keytab && args.client_keytab)
        && default_principal.is_some();
    if default.supports_switch() && !from_default {
        let found = default
            .find_in_collection(&client)
            .map_err(|e| Failure::Krb(format!("{e} while searching for ccache for {client}")))?;
        let (handle, how) = match found {
            Some(h) => (h, "existing"),
            None if default_principal.is_some() => {
                let fresh = default
                    .new_unique()
                    .map_err(|e| Failure::Krb(format!("{e} while generating new ccache")))?;
                (fresh.unwrap_or(default), "new")
            }
            None => (default, "default"),
        };
        if args.verbose {
            eprintln!(
                "Using {how} cache: {}",
                common::ccache_residual(&handle.name())
            );
        }
        let switch = how != "default";
        return Ok(Target {
            handle,
            client,
            switch,
        });
    }
    if args.verbose {
        eprintln!(
            "Using default cache: {}",
            common::ccache_residual(&default.name())
        );
    }
    Ok(Target {
        handle: default,
        client,
        switch: false,
    })
}

/// The AS exchange. Expected from the client: the credential to cache (client principal as
/// the KDC returned it, session key, times, flags, ticket bytes verbatim); a failure as a
/// message MIT-style, e.g. `Password incorrect`.
fn get_initial_credentials(req: &InitialRequest) -> Result<(Credential, i64), Failure> {
    tracing::debug!("Getting initial credentials for {}", req.client);
    let failed =
        |e: &dyn std::fmt::Display| Failure::Krb(format!("{e} while getting initial credentials"));
    if let Some(service) = &req.service {
        return Err(failed(&format!(
            "initial tickets for {service} (-S) are not supported by this build"
        )));
    }
    let client = Client::new(req.conf.clone());
    let mut opts = client.as_options(req.client.clone());
    if let Some(l) = req.lifetime {
        opts.lifetime = secs(l);
    }
    if let Some(r) = req.renew_life {
        opts.renew_lifetime = secs(r);
    }
    if let Some(f) = req.forwardable {
        opts.forwardable = f;
    }
    if let Some(p) = req.proxiable {
        opts.proxiable = p;
    }
    opts.canonicalize |= req.canonicalize;
    let secret = match &req.secret {
        Secret::Password(pw) => exchange::Secret::Password(pw.clone()),
        Secret::Keytab(kt) => exchange::Secret::Keys(
            Enctype::ALL
                .iter()
                .filter_map(|&e| kt.find(&req.client, None, &[e]))
                .collect(),
        ),
    };
    let init = common::block_on(client.get_initial_creds(opts, secret))
        .map_err(|e| failed(&e))?
        .map_err(|e| failed(&e))?;
    Ok((init.creds.to_ccache(), init.kdc_offset))
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// `kinit -R`: renew the TGT of `cache`.
fn renew_credentials(
    conf: &Krb5Conf,
    cache: &Ccache,
    client: &Principal,
) -> Result<Credential, Failure> {
    let tgt = local_tgt(client);
    let tgt = cache
        .retrieve(&tgt)
        .and_then(Credentials::from_ccache)
        .ok_or_else(|| {
            Failure::Krb(format!(
                "Matching credential not found while renewing credentials for {client}"
            ))
        })?;
    let failed =
        |e: &dyn std::fmt::Display| Failure::Krb(format!("{e} while renewing credentials"));
    let client = Client::new(conf.clone());
    let renewed = common::block_on(client.renew(&tgt))
        .map_err(|e| failed(&e))?
        .map_err(|e| failed(&e))?;
    Ok(renewed.to_ccache())
}

fn local_tgt(client: &Principal) -> Principal {
    Principal::new(
        kdc_client::PrincipalName::krbtgt(&client.realm),
        client.realm.clone(),
    )
}

fn save(
    handle: &CcacheHandle,
    client: &Principal,
    cred: Credential,
    kdc_offset: i64,
    verbose: bool,
) -> Result<(), Failure> {
    let mut cache = Ccache::new(client.clone());
    // Like MIT, remember the KDC's clock offset learned from a skew retry.
    if let Ok(seconds @ (i32::MIN..=-1 | 1..=i32::MAX)) = i32::try_from(kdc_offset) {
        cache.kdc_offset = Some(KdcOffset {
            seconds,
            microseconds: 0,
        });
    }
    cache.store(cred);
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
    let realm = conf.default_realm.as_ref();
    let no_realm =
        || Failure::Krb("Cannot find default realm while getting default ccache".to_owned());
    if let Some(name) = &args.principal {
        if args.enterprise {
            let realm = realm.cloned().ok_or_else(no_realm)?;
            return Principal::enterprise(name, realm)
                .map_err(|e| Failure::Krb(format!("{e} when parsing name {name}")));
        }
        return Principal::parse(name, realm)
            .map_err(|e| Failure::Krb(format!("{e} when parsing name {name}")));
    }
    if args.use_keytab && args.client_keytab {
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
    if args.use_keytab {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_ascii_lowercase())
            .map_err(|e| Failure::Krb(e.to_string()))?;
        let realm = conf
            .realm_for_host(&host)
            .or(realm)
            .cloned()
            .ok_or_else(no_realm)?;
        let name = kdc_client::PrincipalName::new(NameType::SrvHst, vec!["host".into(), host])
            .map_err(|e| Failure::Krb(e.to_string()))?;
        return Ok(Principal::new(name, realm));
    }
    let user = common::user_name().ok_or_else(|| {
        Failure::Krb("Unable to identify user while getting default ccache".to_owned())
    })?;
    Principal::parse(&user, Some(&realm.cloned().ok_or_else(no_realm)?))
        .map_err(|e| Failure::Krb(format!("{e} when parsing name {user}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<KinitArgs, String> {
        parse_args(v.iter().map(OsString::from).collect())
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
        assert!(a.verbose && a.canonicalize && !a.use_keytab);
        assert_eq!(a.cache.as_deref(), Some("FILE:/tmp/x"));
        assert_eq!(a.lifetime, Some(Duration::from_secs(36000)));
        assert_eq!(a.renew_life, Some(Duration::from_secs(7 * 86400)));
        assert_eq!(a.forwardable, Some(true));
        assert_eq!(a.proxiable, Some(false));
        assert_eq!(a.service.as_deref(), Some("kadmin/admin"));
        assert_eq!(a.principal.as_deref(), Some("joedoe@ONPREM.LOCAL"));

        let a = args(&["-kt", "/etc/kt", "svc"]).unwrap();
        assert!(a.use_keytab);
        assert_eq!(a.keytab.as_deref(), Some("/etc/kt"));
        let a = args(&["-R"]).unwrap();
        assert!(a.renew && a.principal.is_none());
        let a = args(&["-E", "joe@corp.example"]).unwrap();
        assert!(a.enterprise);
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
            &["-k", "-R"],
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
}
