//! `kerb kvno`: MIT kvno's options and flow. The TGS exchange (with referrals) belongs to
//! `kdc_client::client::Client` and is called at the `// WIRE: client call` spot.

use std::ffi::OsString;
use std::fmt;
use std::process::ExitCode;

use kdc_client::ServiceName;
use kdc_client::ccache::{Ccache, CcacheHandle};
use kdc_client::client::{CacheUse, Client, ClientError};
use kdc_client::config::Krb5Conf;
use kdc_client::crypto::Enctype;
use kdc_client::exchange::Credentials;
use kdc_client::session::{Session, SessionError};
use kdc_client::unstable::asn1::Ticket;
use kdc_client::{NameType, Principal, PrincipalName, Realm};

use crate::common;

const PROG: &str = "kvno";

const USAGE: &str = "\
usage: kvno [-c ccache] [-e etype] [-k keytab] [-q] [-u | -S sname]
\t[[{-F cert_file | {-I | -U} for_user} [-P]] | --u2u ccache]
\t[--cached-only] [--no-store] [--out-cache] service1 service2 ...
";

/// Parsed `kvno` options.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KvnoArgs {
    pub verbose: bool,
    pub cache: Option<String>,
    /// `-e`: the enctype number asked for.
    pub etype: Option<i32>,
    pub quiet: bool,
    pub keytab: Option<String>,
    /// `-S`: the service; the positional arguments are then host names.
    pub service: Option<String>,
    /// `-u`: send the names with the unknown name type (NT-UNKNOWN); not with `-S`.
    pub unknown: bool,
    /// `--cached-only`: only look in the cache, never ask a KDC (MIT's `KRB5_GC_CACHED`).
    pub cached_only: bool,
    /// `--no-store`: do not store the service tickets in the cache (`KRB5_GC_NO_STORE`).
    pub no_store: bool,
    /// `--out-cache CCACHE`: write the service tickets to this new cache instead (only when
    /// every name succeeded); implies `--no-store`.
    pub out_cache: Option<String>,
    pub names: Vec<String>,
}

/// MIT's message for `-u` with `-S`, in either order.
const U_AND_S: &str = "Options -u and -S are mutually exclusive";

/// kvno's long options (getopt_long also takes unambiguous prefixes).
const LONG_OPTIONS: [&str; 4] = ["cached-only", "no-store", "out-cache", "u2u"];

pub fn parse_args(args: Vec<OsString>) -> Result<KvnoArgs, String> {
    use lexopt::Arg::{Long, Short, Value};
    let mut p = common::parser(args);
    let mut a = KvnoArgs::default();
    let val = |p: &mut lexopt::Parser| common::option_value(PROG, p);
    while let Some(arg) = common::next_arg(PROG, &mut p).map_err(|m| usage(&m))? {
        match arg {
            Short('V') => a.verbose = true,
            Short('q') => a.quiet = true,
            Short('c') => a.cache = Some(val(&mut p).map_err(|e| usage(&e))?),
            Short('k') => a.keytab = Some(val(&mut p).map_err(|e| usage(&e))?),
            Short('S') => {
                a.service = Some(val(&mut p).map_err(|e| usage(&e))?);
                if a.unknown {
                    return Err(usage(U_AND_S));
                }
            }
            Short('u') => {
                a.unknown = true;
                if a.service.is_some() {
                    return Err(usage(U_AND_S));
                }
            }
            Long(name) => {
                let given = name.to_owned();
                let mut matches = LONG_OPTIONS.iter().filter(|o| o.starts_with(&given));
                let option = match (matches.next(), matches.next()) {
                    (Some(o), None) => *o,
                    (Some(_), Some(_)) => {
                        return Err(usage(&format!("{PROG}: option '--{given}' is ambiguous")));
                    }
                    (None, _) => {
                        return Err(usage(&format!("{PROG}: unrecognized option '--{given}'")));
                    }
                };
                let value = |p: &mut lexopt::Parser| {
                    let missing =
                        || usage(&format!("{PROG}: option '--{option}' requires an argument"));
                    p.value()
                        .map_err(|_| missing())?
                        .into_string()
                        .map_err(|_| usage(&format!("{PROG}: argument is not UTF-8")))
                };
                match option {
                    "cached-only" => a.cached_only = true,
                    "no-store" => a.no_store = true,
                    "out-cache" => a.out_cache = Some(value(&mut p)?),
                    _ => {
                        // --u2u CCACHE: user-to-user tickets are not implemented.
                        value(&mut p)?;
                        return Err(format!(
                            "{PROG}: --u2u (user-to-user tickets) is not supported by this build\n"
                        ));
                    }
                }
            }
            Short('e') => {
                let v = val(&mut p).map_err(|e| usage(&e))?;
                let e = match Enctype::parse_list_item(&v)[..] {
                    [one] => one.to_i32(),
                    _ => match v.parse::<i32>() {
                        Ok(n) => n,
                        Err(_) => {
                            return Err(format!("{PROG}: Invalid argument while converting etype"));
                        }
                    },
                };
                a.etype = Some(e);
            }
            Value(v) => a.names.push(
                v.into_string()
                    .map_err(|_| usage(&format!("{PROG}: argument is not UTF-8")))?,
            ),
            other => {
                return Err(usage(&format!(
                    "{PROG}: invalid option -- '{}'",
                    common::opt_name(&other)
                )));
            }
        }
    }
    if a.names.is_empty() {
        return Err(USAGE.to_owned());
    }
    Ok(a)
}

fn usage(msg: &str) -> String {
    format!("{msg}\n{USAGE}")
}

/// A service name to ask for. With `-S` the realm is unknown unless `[domain_realm]` maps
/// the host: it is then found by referral and printed empty (`host/db.example.com@`), as MIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: PrincipalName,
    pub realm: Option<Realm>,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.realm {
            Some(r) => Principal::new(self.name.clone(), r.clone()).fmt(f),
            None => write!(f, "{}@", self.name.to_escaped()),
        }
    }
}

/// The targets of the arguments: `SERVICE/host` (NT-SRV-HST, lowercased host) with `-S`,
/// else each name parsed with the default realm.
pub fn targets(a: &KvnoArgs, conf: &Krb5Conf) -> Result<Vec<Target>, String> {
    a.names
        .iter()
        .map(|n| match &a.service {
            Some(svc) => {
                let host = n.to_ascii_lowercase();
                let realm = conf.realm_for_host(&host).cloned();
                let name = PrincipalName::new(NameType::SrvHst, vec![svc.clone(), host])
                    .map_err(|e| format!("{e} while parsing principal name {n}"))?;
                Ok(Target { name, realm })
            }
            None => {
                let mut p = Principal::parse(n, conf.default_realm.as_ref())
                    .map_err(|e| format!("{e} while parsing principal name {n}"))?;
                if a.unknown {
                    p.name.name_type = NameType::Unknown;
                }
                Ok(Target {
                    name: p.name,
                    realm: Some(p.realm),
                })
            }
        })
        .collect()
}

/// `kerb kvno`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    match parse_args(args) {
        Ok(a) => run_kvno(a),
        Err(m) => {
            eprint!("{m}");
            ExitCode::from(1)
        }
    }
}

/// MIT kvno's flow around the TGS exchanges.
pub fn run_kvno(args: KvnoArgs) -> ExitCode {
    crate::trace::init(args.verbose);
    let conf = match common::load_config() {
        Ok(c) => c,
        Err(e) => return common::fail(PROG, format!("{e} while initializing krb5 library")),
    };
    let targets = match targets(&args, &conf) {
        Ok(t) => t,
        Err(e) => return common::fail(PROG, e),
    };
    let handle = match common::open_ccache(args.cache.as_deref(), Some(&conf)) {
        Ok(h) => h,
        Err(e) => return common::fail(PROG, format!("{e} while opening ccache")),
    };
    // The cache's client, read once; each ticket then goes through the session, which reads
    // the cache (its FAST note included) and stores what the walk obtained, as MIT's
    // krb5_get_credentials does per name.
    let cache = match handle.load() {
        Ok(c) => c,
        Err(e) if e.is_not_found() => {
            let missing = common::ccache_not_found(&handle.name());
            return common::fail(
                PROG,
                format!("{missing} while getting client principal name"),
            );
        }
        Err(e) => {
            return common::fail(PROG, format!("{e} while getting client principal name"));
        }
    };
    let mut failed = false;
    let out = match &args.out_cache {
        Some(name) => match common::open_ccache(Some(name), Some(&conf)) {
            Ok(h) => Some(h),
            Err(e) => return common::fail(PROG, format!("{e} while resolving output ccache")),
        },
        None => None,
    };
    let not_cached = common::ccache_no_match(&handle.name());
    let session = Session::new(Client::new(conf), handle);
    let lookup = Lookup {
        etype: args.etype,
        keytab: args.keytab.as_deref(),
        cache_use: CacheUse::default()
            .with_cached_only(args.cached_only)
            .with_no_store(args.no_store || out.is_some()),
        not_cached,
    };
    let mut obtained = Vec::new();
    for t in &targets {
        match get_service_ticket(&session, &cache.default_principal, t, &lookup) {
            Ok(creds) => {
                let kvno = Ticket::decode(creds.ticket.as_bytes())
                    .ok()
                    .and_then(|tk| tk.enc_part.kvno)
                    .map_or(0, |k| k.0);
                if !args.quiet {
                    println!("{t}: kvno = {kvno}");
                }
                obtained.push(creds);
            }
            Err(Failure::Store(m)) => {
                failed = true;
                eprintln!("{PROG}: {m} while storing credentials for {t}");
            }
            Err(Failure::Krb(m)) => {
                failed = true;
                eprintln!("{PROG}: {m} while getting credentials for {t}");
            }
        }
    }
    if let Some(out) = &out
        && !failed
        && let Err(e) = write_out_cache(out, &obtained)
    {
        return common::fail(PROG, format!("{e} while writing output ccache"));
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Errors of the flow.
pub enum Failure {
    /// `kvno: <message> while getting credentials for <name>`.
    Krb(String),
    /// `kvno: <message> while storing credentials for <name>`.
    Store(String),
}

/// How [`get_service_ticket`] looks for a ticket: `-e`, `-k`, `--cached-only`,
/// `--no-store`/`--out-cache`, and MIT's message when `--cached-only` finds nothing.
struct Lookup<'a> {
    etype: Option<i32>,
    keytab: Option<&'a str>,
    cache_use: CacheUse,
    not_cached: String,
}

/// `--out-cache`: the cache `out` replaced by one holding `creds`, initialised with the first
/// one's client, as MIT's kvno does (and left alone when no ticket was obtained).
fn write_out_cache(out: &CcacheHandle, creds: &[Credentials]) -> Result<(), String> {
    let Some(first) = creds.first() else {
        return Ok(());
    };
    let mut cache = Ccache::new(first.client.clone());
    for c in creds {
        cache.store(c.to_ccache());
    }
    out.save(&cache).map_err(|e| e.to_string())
}

/// The service ticket for `target`, from the cache or by walking from its TGTs across
/// trusts ([`Session::service_ticket_with`]); new tickets are stored in the session's cache,
/// the service ticket unless `--no-store`. `-e` restricts the session-key enctype; with `-k`
/// the ticket must decrypt with that keytab.
fn get_service_ticket(
    session: &Session,
    client: &Principal,
    target: &Target,
    lookup: &Lookup<'_>,
) -> Result<Credentials, Failure> {
    let (etype, keytab) = (lookup.etype, lookup.keytab);
    tracing::debug!(
        "Getting credentials {client} -> {target} (etype {etype:?}, keytab {keytab:?})"
    );
    let failed = |e: &dyn fmt::Display| Failure::Krb(e.to_string());
    let enctype = match etype {
        Some(e) => Some(
            Enctype::from_i32(e).ok_or_else(|| failed(&format!("enctype {e} is not supported")))?,
        ),
        None => None,
    };
    let service = match &target.realm {
        Some(realm) => ServiceName::Principal(Principal::new(target.name.clone(), realm.clone())),
        None => match target.name.components() {
            [service, host] => ServiceName::host_based(service, host),
            _ => ServiceName::Principal(Principal::new(target.name.clone(), client.realm.clone())),
        },
    };
    let only = |opts: &mut kdc_client::exchange::TgsOptions| {
        if let Some(e) = enctype {
            opts.enctypes = vec![e];
        }
    };
    let creds = common::block_on(session.service_ticket_with(&service, lookup.cache_use, only))
        .map_err(|e| failed(&e))?
        .map_err(|e| match e {
            SessionError::Client(ClientError::NotCached) => Failure::Krb(lookup.not_cached.clone()),
            SessionError::Cache(e) => Failure::Store(e.to_string()),
            e => failed(&e),
        })?;
    if let Some(kt) = keytab {
        verify_with_keytab(&creds, kt)?;
    }
    Ok(creds)
}

/// `kvno -k`: the service ticket must decrypt with a key of the keytab.
fn verify_with_keytab(creds: &Credentials, keytab: &str) -> Result<(), Failure> {
    let path = kdc_client::keytab::resolve_name(keytab).map_err(|e| Failure::Krb(e.to_string()))?;
    let kt =
        kdc_client::keytab::Keytab::read_file(&path).map_err(|e| Failure::Krb(e.to_string()))?;
    let ticket =
        Ticket::decode(creds.ticket.as_bytes()).map_err(|e| Failure::Krb(e.to_string()))?;
    let etype = Enctype::from_i32(ticket.enc_part.etype)
        .ok_or_else(|| Failure::Krb(format!("ticket enctype {}", ticket.enc_part.etype)))?;
    let key = kt
        .find(&creds.server, ticket.enc_part.kvno.map(|k| k.0), &[etype])
        .ok_or_else(|| Failure::Krb("No key table entry found for the ticket's server".into()))?;
    kdc_client::crypto::decrypt(
        &key,
        kdc_client::crypto::KeyUsage::TICKET,
        &ticket.enc_part.cipher,
    )
    .map(drop)
    .map_err(|_| Failure::Krb("Ticket does not decrypt with the keytab's key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<KvnoArgs, String> {
        parse_args(v.iter().map(OsString::from).collect())
    }

    fn conf() -> Krb5Conf {
        let text = "[libdefaults]\n default_realm = ONPREM.LOCAL\n[domain_realm]\n .apps.local = APPS.LOCAL\n";
        let mut m = std::collections::BTreeMap::new();
        m.insert(std::path::PathBuf::from("/k"), text.to_owned());
        Krb5Conf::load_from(&["/k".into()], &kdc_client::config::MemSource(m)).unwrap()
    }

    #[test]
    fn parses_mit_options() {
        let a = args(&[
            "-q",
            "-c",
            "/tmp/cc",
            "-e",
            "aes256-cts",
            "-k",
            "/kt",
            "a",
            "b",
        ])
        .unwrap();
        assert!(a.quiet);
        assert_eq!(a.etype, Some(18));
        assert_eq!(a.names, ["a", "b"]);
        assert_eq!(args(&["-e", "26", "x"]).unwrap().etype, Some(26));
        assert!(args(&["-e", "nonsense", "x"]).is_err());
        assert!(args(&[]).unwrap_err().starts_with("usage: kvno"));
        assert!(
            args(&["-Z", "x"])
                .unwrap_err()
                .starts_with("kvno: invalid option -- 'Z'")
        );
        assert!(
            args(&["x", "-c"])
                .unwrap_err()
                .contains("requires an argument")
        );
    }

    #[test]
    fn targets_like_mit() {
        let c = conf();
        let a = args(&["-S", "host", "DB.ad.myaws.com", "app.apps.local"]).unwrap();
        let t = targets(&a, &c).unwrap();
        assert_eq!(t[0].to_string(), "host/db.ad.myaws.com@");
        assert_eq!(t[0].name.name_type, NameType::SrvHst);
        assert_eq!(t[1].to_string(), "host/app.apps.local@APPS.LOCAL");
        let a = args(&["mariadb/db.ad.myaws.com@AD.MYAWS.COM", "HTTP/web"]).unwrap();
        let t = targets(&a, &c).unwrap();
        assert_eq!(t[0].to_string(), "mariadb/db.ad.myaws.com@AD.MYAWS.COM");
        assert_eq!(t[1].to_string(), "HTTP/web@ONPREM.LOCAL");
    }

    #[test]
    fn u_and_s_are_mutually_exclusive_in_either_order() {
        for v in [&["-u", "-S", "host", "x"][..], &["-S", "host", "-u", "x"]] {
            let e = args(v).unwrap_err();
            assert!(
                e.starts_with("Options -u and -S are mutually exclusive\nusage: kvno"),
                "{e}"
            );
        }
        let a = args(&["-u", "host/db.ad.myaws.com@AD.MYAWS.COM", "x"]).unwrap();
        assert!(a.unknown);
        let t = targets(&a, &conf()).unwrap();
        assert_eq!(t[0].name.name_type, NameType::Unknown);
        assert_eq!(t[0].to_string(), "host/db.ad.myaws.com@AD.MYAWS.COM");
        assert_eq!(t[1].to_string(), "x@ONPREM.LOCAL");
        let a = args(&["host/db.ad.myaws.com@AD.MYAWS.COM"]).unwrap();
        assert_eq!(
            targets(&a, &conf()).unwrap()[0].name.name_type,
            NameType::Principal
        );
    }

    #[test]
    fn long_options_like_getopt_long() {
        let a = args(&["--cached-only", "--no-store", "--out-cache", "FILE:/o", "x"]).unwrap();
        assert!(a.cached_only && a.no_store);
        assert_eq!(a.out_cache.as_deref(), Some("FILE:/o"));
        // `--name=value` and unambiguous prefixes.
        let a = args(&["--out-cache=FILE:/p", "--cached", "--no", "x"]).unwrap();
        assert!(a.cached_only && a.no_store);
        assert_eq!(a.out_cache.as_deref(), Some("FILE:/p"));
        assert!(
            args(&["--out-cache"])
                .unwrap_err()
                .starts_with("kvno: option '--out-cache' requires an argument\nusage: kvno")
        );
        assert!(
            args(&["--bogus", "x"])
                .unwrap_err()
                .starts_with("kvno: unrecognized option '--bogus'\nusage: kvno")
        );
        assert!(
            args(&["--u2u", "FILE:/c", "x"])
                .unwrap_err()
                .contains("not supported")
        );
        // Without names: the usage alone, as MIT.
        assert!(
            args(&["--no-store"])
                .unwrap_err()
                .starts_with("usage: kvno")
        );
    }

    #[test]
    fn out_cache_holds_the_tickets_under_the_first_client() {
        let dir = std::env::temp_dir().join(format!("kerb-kvno-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out");
        let out = CcacheHandle::file(&path);
        // Nothing obtained: nothing written.
        write_out_cache(&out, &[]).unwrap();
        assert!(!path.exists());
        let cred = |server: &str| {
            let c = kdc_client::ccache::CacheEntry::config(
                Principal::parse("joedoe@ONPREM.LOCAL", None).unwrap(),
                "x",
                None,
                b"",
            );
            let mut c = c;
            c.server = Principal::parse(server, None).unwrap();
            c.key = kdc_client::ccache::Keyblock {
                enctype: 18,
                bytes: zeroize::Zeroizing::new(vec![1; 32]),
            };
            c.ticket = vec![0x61, 0x00];
            c.endtime = 2_000_000_000;
            Credentials::from_ccache(&c).unwrap()
        };
        let creds = [cred("a/b@AD.MYAWS.COM"), cred("c/d@APPS.LOCAL")];
        write_out_cache(&out, &creds).unwrap();
        let cc = out.load().unwrap();
        assert_eq!(cc.default_principal.to_string(), "joedoe@ONPREM.LOCAL");
        let servers: Vec<String> = cc
            .credentials
            .iter()
            .map(|c| c.server.to_string())
            .collect();
        assert_eq!(servers, ["a/b@AD.MYAWS.COM", "c/d@APPS.LOCAL"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
