//! The options `kerb mysql` and `kerb proxy` share: which server, and how far to trust it
//! (TLS per the mysql client's `--ssl-mode`, the SPN policy).

use std::path::PathBuf;

use mysql_auth::connector::{ConnectOptions, Error, SslMode};
use mysql_auth::{KerberosPlugin, SpnPolicy};

use crate::common;

/// `-h`, `-P`, `--ssl-mode`, `--ssl-ca`, `--spn`, `--allow-any-spn`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ServerArgs {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub ssl_mode: Option<SslMode>,
    pub ssl_ca: Option<PathBuf>,
    pub spn_policy: SpnPolicy,
}

/// One of the [`ServerArgs`] options, owned (the parser's `Arg` borrows the parser, which
/// must then give the option's value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerOpt {
    Host,
    Port,
    SslMode,
    SslCa,
    Spn,
    AllowAnySpn,
}

impl ServerOpt {
    /// The option `arg` names, if it is one of these.
    pub fn of(arg: &lexopt::Arg<'_>) -> Option<Self> {
        use lexopt::Arg::{Long, Short};
        Some(match arg {
            Short('h') | Long("host") => Self::Host,
            Short('P') | Long("port") => Self::Port,
            Long("ssl-mode") => Self::SslMode,
            Long("ssl-ca") => Self::SslCa,
            Long("spn") => Self::Spn,
            Long("allow-any-spn") => Self::AllowAnySpn,
            _ => return None,
        })
    }
}

impl ServerArgs {
    /// Take option `opt`, its value from `p`. `usage` adds the command's usage text to the
    /// messages that want it.
    pub fn take(
        &mut self,
        prog: &str,
        opt: ServerOpt,
        p: &mut lexopt::Parser,
        usage: impl Fn(&str) -> String,
    ) -> Result<(), String> {
        let val = |p: &mut lexopt::Parser| common::option_value(prog, p).map_err(|m| usage(&m));
        let policy = |current: &SpnPolicy, new| {
            common::spn_policy_option(prog, current, new).map_err(|m| usage(&m))
        };
        match opt {
            ServerOpt::Host => self.host = Some(val(p)?),
            ServerOpt::Port => {
                let v = val(p)?;
                let port = v
                    .parse()
                    .map_err(|_| format!("{prog}: invalid port '{v}'\n"))?;
                self.port = Some(port);
            }
            ServerOpt::SslMode => {
                let v = val(p)?;
                self.ssl_mode = Some(v.parse().map_err(|e: Error| format!("{prog}: {e}\n"))?);
            }
            ServerOpt::SslCa => self.ssl_ca = Some(PathBuf::from(val(p)?)),
            ServerOpt::Spn => {
                self.spn_policy = policy(&self.spn_policy, SpnPolicy::Exact(val(p)?))?;
            }
            ServerOpt::AllowAnySpn => {
                self.spn_policy = policy(&self.spn_policy, SpnPolicy::AnyExceptKdc)?;
            }
        }
        Ok(())
    }

    /// Connection options for `user` on this server: port 3306 unless `-P`; `--ssl-mode` as
    /// the mysql client defaults it (`VERIFY_CA` with `--ssl-ca`, else `PREFERRED`).
    pub fn connect_options(&self, user: String) -> ConnectOptions {
        let host = self.host.clone().unwrap_or_default();
        let mut opts = ConnectOptions::new(host, user, KerberosPlugin::MysqlKerberos);
        opts.port = self.port.unwrap_or(3306);
        opts.ssl_ca = self.ssl_ca.clone();
        opts.ssl_mode = match (self.ssl_mode, &self.ssl_ca) {
            (Some(m), _) => m,
            (None, Some(_)) => SslMode::VerifyCa,
            (None, None) => SslMode::Preferred,
        };
        opts.spn_policy = self.spn_policy.clone();
        opts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options as `kerb mysql` and `kerb proxy` read them (their own options refused).
    fn parse(v: &[&str]) -> Result<ServerArgs, String> {
        let mut p = common::parser(v.iter().map(std::ffi::OsString::from).collect());
        let mut a = ServerArgs::default();
        while let Some(arg) = common::next_arg("t", &mut p)? {
            let opt = ServerOpt::of(&arg).ok_or("not a server option")?;
            a.take("t", opt, &mut p, |m| format!("{m}usage"))?;
        }
        Ok(a)
    }

    #[test]
    fn options_and_their_errors() {
        let a = parse(&["-h", "db", "-P", "13306", "--ssl-mode", "verify_identity"]).unwrap();
        assert_eq!(a.host.as_deref(), Some("db"));
        assert_eq!(a.port, Some(13306));
        assert_eq!(a.ssl_mode, Some(SslMode::VerifyIdentity));
        assert_eq!(a.spn_policy, SpnPolicy::DatabaseServices);
        let pin = parse(&["--spn", "mysql/db@R"]).unwrap();
        assert_eq!(pin.spn_policy, SpnPolicy::Exact("mysql/db@R".into()));
        let any = parse(&["--allow-any-spn"]).unwrap();
        assert_eq!(any.spn_policy, SpnPolicy::AnyExceptKdc);
        for bad in [
            &["-P", "99999"][..],
            &["--ssl-mode", "bogus"],
            &["-h"],
            &["--spn", "a/b", "--allow-any-spn"],
            &["--allow-any-spn", "--spn", "a/b"],
            &["--spn", "a/b", "--spn", "c/d"],
            &["--spn", ""],
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.ends_with('\n') || e.ends_with("usage"), "{bad:?}: {e:?}");
        }
    }

    #[test]
    fn connect_options_default_tls_as_the_mysql_client() {
        let opts = |v: &[&str]| parse(v).unwrap().connect_options("joe".into());
        let o = opts(&["-h", "db"]);
        assert_eq!((o.host.as_str(), o.port), ("db", 3306));
        assert_eq!(o.ssl_mode, SslMode::Preferred);
        assert_eq!(opts(&["--ssl-ca", "/ca.pem"]).ssl_mode, SslMode::VerifyCa);
        let o = opts(&[
            "--ssl-ca",
            "/ca.pem",
            "--ssl-mode",
            "required",
            "--spn",
            "m/h@R",
        ]);
        assert_eq!(o.ssl_mode, SslMode::Required);
        assert_eq!(o.spn_policy, SpnPolicy::Exact("m/h@R".into()));
    }
}
