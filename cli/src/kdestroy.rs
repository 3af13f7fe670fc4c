//! `kerb kdestroy`: MIT kdestroy for FILE and KEYRING caches.

use std::ffi::OsString;
use std::process::ExitCode;

use kdc_client::ccache::CcacheHandle;

use crate::common;

const PROG: &str = "kdestroy";

const USAGE: &str = "\
Usage: kdestroy [-A] [-q] [-c cache_name] [-p princ_name]
\t-A destroy all credential caches in collection
\t-q quiet mode
\t-c specify name of credentials cache
\t-p specify principal name within collection
";

/// Parsed `kdestroy` options.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KdestroyArgs {
    pub cache: Option<String>,
    pub all: bool,
    pub quiet: bool,
    /// `-p`: the cache of the collection whose principal this is.
    pub principal: Option<String>,
}

pub fn parse_args(args: Vec<OsString>) -> Result<KdestroyArgs, String> {
    use lexopt::Arg::Short;
    let mut p = common::parser(args);
    let mut a = KdestroyArgs::default();
    while let Some(arg) = common::next_arg(PROG, &mut p)? {
        match arg {
            Short('A') => a.all = true,
            Short('p') => {
                let v = p.value().map_err(|e| common::getopt_message(PROG, &e))?;
                a.principal = Some(v.to_string_lossy().into_owned());
            }
            Short('q') => a.quiet = true,
            Short('c') => {
                let v = p.value().map_err(|e| common::getopt_message(PROG, &e))?;
                if a.cache.is_some() {
                    return Err("Only one -c option allowed".into());
                }
                a.cache = Some(v.to_string_lossy().into_owned());
            }
            other => {
                return Err(format!(
                    "{PROG}: invalid option -- '{}'",
                    common::opt_name(&other)
                ));
            }
        }
    }
    Ok(a)
}

/// `kerb kdestroy`. `-A` destroys every cache of the collection (for FILE, the one cache),
/// `-p` the collection's cache of that principal. Like MIT, a missing FILE cache is reported
/// but exits 0 (KCM too: the daemon reports it), and a missing KEYRING cache is silently fine.
pub fn run(args: Vec<OsString>) -> ExitCode {
    let a = match parse_args(args) {
        Ok(a) => a,
        Err(m) => {
            eprintln!("{m}");
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let conf = common::load_config().ok();
    let handle = match common::open_ccache(a.cache.as_deref(), conf.as_ref()) {
        Ok(h) => h,
        Err(e) => {
            let m = e.generic_message();
            return common::fail(PROG, format!("{m} while resolving ccache"));
        }
    };
    if a.all {
        let caches = match handle.collection() {
            Ok(c) => c,
            Err(e) => return common::fail(PROG, format!("{e} while listing credential caches")),
        };
        for cache in caches {
            if let Err(e) = cache.destroy()
                && !e.is_not_found()
            {
                eprintln!("{PROG}: {e} while destroying cache {}", cache.name());
            }
        }
        return ExitCode::SUCCESS;
    }
    let target = match &a.principal {
        None => handle,
        Some(name) => match find_by_principal(&handle, name, conf.as_ref()) {
            Ok(h) => h,
            Err(m) => return common::fail(PROG, format!("{m} while finding cache for {name}")),
        },
    };
    match target.destroy() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_not_found() => {
            // MIT prints this even with -q.
            eprintln!("{PROG}: No credentials cache found while destroying cache");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{PROG}: {e} while destroying cache");
            if a.quiet {
                eprintln!("Ticket cache NOT destroyed!");
            } else {
                eprintln!("Ticket cache \x07NOT\x07 destroyed!");
            }
            ExitCode::from(1)
        }
    }
}

/// MIT's `krb5_cc_cache_match` for `-p`.
fn find_by_principal(
    handle: &CcacheHandle,
    name: &str,
    conf: Option<&kdc_client::config::Krb5Conf>,
) -> Result<CcacheHandle, String> {
    let realm = conf.and_then(|c| c.default_realm.as_ref());
    let client = kdc_client::Principal::parse(name, realm).map_err(|e| e.to_string())?;
    match handle.find_in_collection(&client) {
        Ok(Some(h)) => Ok(h),
        Ok(None) => Err("Matching credential not found".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<KdestroyArgs, String> {
        parse_args(v.iter().map(OsString::from).collect())
    }

    #[test]
    fn parses() {
        let a = args(&["-A", "-q", "-c", "FILE:/x"]).unwrap();
        assert!(a.all && a.quiet);
        assert_eq!(a.cache.as_deref(), Some("FILE:/x"));
        let a = args(&["-p", "alice@R"]).unwrap();
        assert_eq!(a.principal.as_deref(), Some("alice@R"));
        assert!(args(&["-c"]).unwrap_err().contains("requires an argument"));
        assert!(args(&["-Z"]).unwrap_err().contains("invalid option -- 'Z'"));
        assert!(args(&["extra"]).is_err());
    }
}
