//! `kerb kswitch`: make a cache its collection's primary (MIT kswitch). Only KEYRING caches
//! have collections; switching to a FILE cache succeeds and changes nothing, as with MIT.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::common;

const PROG: &str = "kswitch";

const USAGE: &str = "\
Usage: kswitch {-c cache_name | -p principal}
\t-c specify name of credentials cache
\t-p specify name of principal
";

/// What to switch to.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    Cache(String),
    Principal(String),
}

/// Parse the arguments after `kswitch`; `Err` is what MIT prints before exiting with 2.
pub fn parse_args(args: Vec<OsString>) -> Result<Target, String> {
    use lexopt::Arg::Short;
    let mut p = common::parser(args);
    let mut target = None;
    while let Some(arg) = common::next_arg(PROG, &mut p).map_err(|m| format!("{m}\n"))? {
        let value = |p: &mut lexopt::Parser| {
            p.value()
                .map(|v| v.to_string_lossy().into_owned())
                .map_err(|e| format!("{}\n{USAGE}", common::getopt_message(PROG, &e)))
        };
        let next = match arg {
            Short('c') => Target::Cache(value(&mut p)?),
            Short('p') => Target::Principal(value(&mut p)?),
            // MIT reports the option, then that neither -c nor -p was taken.
            Short(_) | lexopt::Arg::Long(_) => {
                let msg = common::getopt_message(PROG, &arg.unexpected());
                return Err(format!("{msg}\nOne of -c or -p must be specified\n{USAGE}"));
            }
            lexopt::Arg::Value(_) => break,
        };
        if target.replace(next).is_some() {
            return Err(format!("Only one -c or -p option allowed\n{USAGE}"));
        }
    }
    target.ok_or_else(|| format!("One of -c or -p must be specified\n{USAGE}"))
}

/// `kerb kswitch`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    let target = match parse_args(args) {
        Ok(t) => t,
        Err(m) => {
            eprint!("{m}");
            return ExitCode::from(2);
        }
    };
    let conf = common::load_config().ok();
    let handle = match &target {
        Target::Cache(name) => match common::open_ccache(Some(name), conf.as_ref()) {
            Ok(h) => h,
            Err(e) => {
                let m = e.generic_message();
                return common::fail(PROG, format!("{m} while resolving {name}"));
            }
        },
        Target::Principal(name) => {
            let realm = conf.as_ref().and_then(|c| c.default_realm.as_ref());
            let client = match kdc_client::Principal::parse(name, realm) {
                Ok(p) => p,
                Err(e) => return common::fail(PROG, format!("{e} while parsing principal name")),
            };
            let found = common::open_ccache(None, conf.as_ref())
                .and_then(|d| d.find_in_collection(&client));
            match found {
                Ok(Some(h)) => h,
                Ok(None) => {
                    return common::fail(
                        PROG,
                        format!(
                            "Matching credential not found while searching for ccache for {name}"
                        ),
                    );
                }
                Err(e) => {
                    return common::fail(
                        PROG,
                        format!("{e} while searching for ccache for {name}"),
                    );
                }
            }
        }
    };
    match handle.switch_to() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => common::fail(PROG, format!("{e} while switching to credential cache")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<Target, String> {
        parse_args(v.iter().map(OsString::from).collect())
    }

    #[test]
    fn parses_like_mit() {
        assert_eq!(
            args(&["-c", "KEYRING:user:x"]),
            Ok(Target::Cache("KEYRING:user:x".into()))
        );
        assert_eq!(
            args(&["-p", "alice"]),
            Ok(Target::Principal("alice".into()))
        );
        assert!(
            args(&[])
                .unwrap_err()
                .starts_with("One of -c or -p must be specified\n")
        );
        assert!(args(&["extra"]).unwrap_err().starts_with("One of -c or -p"));
        assert!(
            args(&["-c", "a", "-p", "b"])
                .unwrap_err()
                .starts_with("Only one -c or -p")
        );
        assert!(
            args(&["-Z"])
                .unwrap_err()
                .starts_with("kswitch: invalid option -- 'Z'\nOne of")
        );
    }
}
