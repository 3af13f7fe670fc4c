//! `kerb proxy`: a login proxy on a Unix socket, so MySQL/MariaDB clients and drivers with no
//! Kerberos plugin log in with the proxy owner's Kerberos credentials (see
//! `mysql_auth::proxy` for the protocol and the security model).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use kdc_client::client::Client;
use mysql_auth::kerberos::CacheSource;
use mysql_auth::proxy::credentials::{SharedCredentials, TgtSource};
use mysql_auth::proxy::{LocalProxy, ProxyConfig};

use crate::common;
use crate::server_args::{ServerArgs, ServerOpt};

const PROG: &str = "proxy";

const USAGE: &str = "\
usage: kerb proxy -h host [-P port] --socket path [--ssl-mode mode] [--ssl-ca file]
\t[--spn spn | --allow-any-spn] [-k [-t keytab]] [-c ccache] [-V]
\t-h, --host           server host name or IP address
\t-P, --port           TCP port (3306)
\t--socket             Unix socket to listen on (mode 0600; only this uid may connect)
\t--ssl-mode           DISABLED, PREFERRED (default), REQUIRED, VERIFY_CA, VERIFY_IDENTITY
\t--ssl-ca             CA certificate file (implies VERIFY_CA unless --ssl-mode is given)
\t--spn                the server's service principal, exactly; a login fails if the server
\t                     names another one (default: any mysql/HOST or mariadb/HOST)
\t--allow-any-spn      accept any SPN the server names (never krbtgt, kadmin, kpasswd)
\t-k                   get the TGT with a keytab (renewed before it expires)
\t-t                   the keytab (default: KRB5_CLIENT_KTNAME or the default client keytab)
\t-c                   credential cache with the TGT (default: KRB5CCNAME); read, never written
\t-V                   trace, with one line per session (also KRB5_TRACE)
";

/// Parsed `kerb proxy` options.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProxyArgs {
    /// The server and how far to trust it.
    pub server: ServerArgs,
    pub socket: Option<PathBuf>,
    pub keytab_login: bool,
    pub keytab: Option<String>,
    pub cache: Option<String>,
    pub verbose: bool,
}

pub fn parse_args(args: Vec<OsString>) -> Result<ProxyArgs, String> {
    use lexopt::Arg::{Long, Short};
    let mut p = common::parser(args);
    let mut a = ProxyArgs::default();
    let val = |p: &mut lexopt::Parser| common::option_value(PROG, p);
    while let Some(arg) = common::next_arg(PROG, &mut p).map_err(|m| usage(&m))? {
        if let Some(opt) = ServerOpt::of(&arg) {
            a.server.take(PROG, opt, &mut p, usage)?;
            continue;
        }
        match arg {
            Long("socket") | Short('S') => a.socket = Some(PathBuf::from(val(&mut p)?)),
            Short('k') => a.keytab_login = true,
            Short('t') => a.keytab = Some(val(&mut p)?),
            Short('c') => a.cache = Some(val(&mut p)?),
            Short('V') | Long("verbose") => a.verbose = true,
            Long("help") => return Err(USAGE.to_owned()),
            other => {
                return Err(usage(&format!(
                    "{PROG}: invalid option -- '{}'",
                    common::opt_name(&other)
                )));
            }
        }
    }
    if a.server.host.is_none() {
        return Err(usage(&format!("{PROG}: no host given (-h)")));
    }
    if a.socket.is_none() {
        return Err(usage(&format!("{PROG}: no socket given (--socket)")));
    }
    if a.keytab.is_some() && !a.keytab_login {
        return Err(usage(&format!("{PROG}: -t needs -k")));
    }
    Ok(a)
}

fn usage(msg: &str) -> String {
    format!("{msg}\n{USAGE}")
}

/// `kerb proxy`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    common::run_parsed(parse_args(args), USAGE, run_proxy)
}

fn run_proxy(args: ProxyArgs) -> ExitCode {
    crate::trace::init(args.verbose);
    let (conf, cache) = match common::config_and_cache(PROG, args.cache.as_deref()) {
        Ok(both) => both,
        Err(code) => return code,
    };
    let source = if args.keytab_login {
        let name = common::client_keytab_name(args.keytab.as_deref(), Some(&conf));
        match kdc_client::keytab::resolve_name(&name) {
            Ok(p) => TgtSource::Keytab(p),
            Err(e) => return common::fail(PROG, format!("{e} while resolving keytab {name}")),
        }
    } else {
        TgtSource::Cache
    };
    let client = Client::new(conf);
    let mut upstream = args.server.connect_options(String::new());
    // Fail early on a bad --ssl-ca, and build the TLS configuration once for all sessions.
    if let Err(e) = upstream.prepare_tls() {
        return common::fail(PROG, e);
    }
    let config = ProxyConfig::new(upstream);
    let socket = args.socket.clone().unwrap_or_default();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return common::fail(PROG, format!("cannot start the I/O runtime: {e}")),
    };
    rt.block_on(async move {
        let cache = CacheSource::new(cache);
        let creds = match SharedCredentials::new(client, cache, source).await {
            Ok(c) => Arc::new(c),
            Err(e) => return common::fail(PROG, e),
        };
        let proxy = match LocalProxy::start(&socket, config, creds.clone()).await {
            Ok(p) => p,
            Err(e) => {
                return common::fail(PROG, format!("{e} while listening on {}", socket.display()));
            }
        };
        tracing::info!(
            "kerb proxy: listening on {} as {}",
            socket.display(),
            creds
                .principal()
                .map_or_else(|| "-".to_owned(), |p| p.to_string())
        );
        wait_for_signal().await;
        tracing::info!("kerb proxy: stopping");
        match proxy.shutdown().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => common::fail(PROG, format!("{e} while removing {}", socket.display())),
        }
    })
}

/// SIGTERM or SIGINT.
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_auth::SpnPolicy;
    use mysql_auth::connector::SslMode;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn options() {
        let a = parse_args(args(&[
            "-h",
            "db",
            "-P",
            "13306",
            "--socket",
            "/run/p.sock",
            "--ssl-mode",
            "verify_identity",
            "--ssl-ca",
            "/ca.pem",
            "--spn",
            "mysql/db@R",
            "-k",
            "-t",
            "/kt",
            "-V",
        ]))
        .unwrap();
        assert_eq!(a.server.host.as_deref(), Some("db"));
        assert_eq!(a.server.port, Some(13306));
        assert_eq!(
            a.socket.as_deref(),
            Some(std::path::Path::new("/run/p.sock"))
        );
        assert_eq!(a.server.ssl_mode, Some(SslMode::VerifyIdentity));
        assert_eq!(a.server.spn_policy, SpnPolicy::Exact("mysql/db@R".into()));
        assert!(a.keytab_login && a.verbose);
        assert_eq!(a.keytab.as_deref(), Some("/kt"));
        assert!(parse_args(args(&["-h", "x"])).is_err());
        assert!(parse_args(args(&["--socket", "/s"])).is_err());
        assert!(parse_args(args(&["-h", "x", "--socket", "/s", "-t", "/kt"])).is_err());
        assert!(parse_args(args(&["-h", "x", "--socket", "/s", "-Z"])).is_err());
    }
}
