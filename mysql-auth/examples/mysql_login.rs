//! A Kerberos login to MySQL or MariaDB with the default cache's TGT (`kerb kinit` first),
//! TLS verified, then one query, as `kerb mysql -e` does.
//!
//! ```sh
//! cargo run -p mysql-auth --example mysql_login -- "$LAB_MARIADB_HOST" "$LAB_MARIADB_PORT" joedoe "$LAB_CA"
//! ```
#![forbid(unsafe_code)]

use kdc_client::session::Session;
use mysql_auth::KerberosPlugin;
use mysql_auth::connector::{ConnectOptions, Connection, SslMode};
use mysql_auth::kerberos::KerberosInitiator;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, port, user, ca] = args.as_slice() else {
        return Err("usage: HOST PORT ACCOUNT CA_FILE".into());
    };
    let opts = ConnectOptions::new(host.clone(), user.clone(), KerberosPlugin::MysqlKerberos)
        .with_port(port.parse()?)
        .with_ssl_mode(SslMode::VerifyIdentity)
        .with_ssl_ca(ca);
    let mut kerberos = KerberosInitiator::from_session(&Session::from_env()?)?;
    let mut conn = Connection::connect(&opts, &mut kerberos).await?;
    let result = conn.query("SELECT CURRENT_USER()").await?;
    let user = String::from_utf8_lossy(result.value(0, 0).unwrap_or_default());
    println!("logged in as {user} with {}", conn.authenticated().plugin);
    Ok(())
}
