//! Logins per second from one process against the lab's MariaDB, with the service ticket
//! already in the credential cache (after the first login), so no KDC is involved: the cost
//! of a Kerberos login itself (AP-REQ, auth_gssapi exchange, OK) plus TCP connect and quit.
//!
//! ```sh
//! lab/up.sh && . lab/state/env.sh
//! printf '%s\n' "$LAB_USER_PASSWORD" | target/release/kerb kinit "$LAB_USER_PRINCIPAL"
//! cargo run --release -p mysql-auth --example lab_logins -- 500
//! ```
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Instant;

use kdc_client::ccache::CcacheHandle;
use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use mysql_auth::KerberosPlugin;
use mysql_auth::connector::{ConnectOptions, Connection};
use mysql_auth::kerberos::{CacheSource, KerberosInitiator};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("{name} is not set: run lab/up.sh and source lab/state/env.sh");
        std::process::exit(2)
    })
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        .max(1);
    let conf = Krb5Conf::load(Some(&env("KRB5_CONFIG"))).expect("krb5.conf");
    let client = Client::new(conf);
    let path = PathBuf::from(env("KRB5CCNAME").trim_start_matches("FILE:"));
    let opts = ConnectOptions::new(
        env("LAB_MARIADB_HOST"),
        env("LAB_MARIADB_USER"),
        KerberosPlugin::MysqlKerberos,
    )
    .with_port(env("LAB_MARIADB_PORT").parse().expect("port"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let login = || {
        rt.block_on(async {
            let cache = CacheSource::new(CcacheHandle::file(path.clone()));
            let mut init = KerberosInitiator::new(client.clone(), cache).expect("ccache");
            let conn = Connection::connect(&opts, &mut init).await.expect("login");
            conn.quit().await.expect("quit");
        })
    };
    login(); // walks the trust once and caches the service ticket
    let t = Instant::now();
    for _ in 0..n {
        login();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{n} sequential logins (TLS {:?}, cached service ticket): {:.0} logins/s, {:.3} ms each",
        opts.ssl_mode,
        f64::from(n) / secs,
        secs * 1e3 / f64::from(n)
    );
}
