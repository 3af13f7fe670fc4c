//! `kerb kdestroy`: MIT kdestroy for FILE caches.

use std::ffi::OsString;
use std::process::ExitCode;

use kdc_client::ccache::{Ccache, CcacheError};

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
}

pub fn parse_args(args: Vec<OsString>) -> Result<KdestroyArgs, String> {
    use lexopt::Arg::Short;
    let mut p = common::parser(args);
    let mut a = KdestroyArgs::default();
    loop {
        match p.next() {
            Ok(None) => break,
            Ok(Some(Short('A'))) => a.all = true,
            Ok(Some(Short('q'))) => a.quiet = true,
            Ok(Some(Short('c'))) => {
                let v = p.value().map_err(|e| common::getopt_message(PROG, &e))?;
                if a.cache.is_some() {
                    return Err("Only one -c option allowed".into());
                }
                a.cache = Some(v.to_string_lossy().into_owned());
            }
            Ok(Some(other)) => {
                return Err(format!(
                    "{PROG}: invalid option -- '{}'",
                    common::opt_name(&other)
                ));
            }
            Err(e) => return Err(common::getopt_message(PROG, &e)),
        }
    }
    Ok(a)
}

/// `kerb kdestroy`. With FILE caches the collection is the one default cache, so `-A`
/// destroys that cache. Like MIT, a missing cache is reported but exits 0.
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
    let path = match common::ccache_path(a.cache.as_deref(), conf.as_ref()) {
        Ok(p) => p,
        Err(m) => return common::fail(PROG, format!("{m} while resolving ccache")),
    };
    match Ccache::destroy_file(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CcacheError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
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
        assert!(args(&["-c"]).unwrap_err().contains("requires an argument"));
        assert!(args(&["-Z"]).unwrap_err().contains("invalid option -- 'Z'"));
        assert!(args(&["extra"]).is_err());
    }
}
