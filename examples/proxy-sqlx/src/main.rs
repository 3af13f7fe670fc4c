//! sqlx and mysql_async, which have no Kerberos plugin, log in to the lab's MariaDB with
//! Kerberos through the in-process bridge, `mysql_auth::proxy::LocalProxy`, on a private
//! Unix socket: a `sqlx::MySqlPool` of 16 connections and a `mysql_async::Pool`, every result
//! checked. Exits 0 and prints `ok ...` when all checks pass.
//!
//! ```sh
//! lab/up.sh && . lab/state/env.sh && kerb kinit joedoe@ONPREM.LOCAL
//! cargo run --manifest-path examples/proxy-sqlx/Cargo.toml
//! ```
//! Environment: the lab's `LAB_MARIADB_HOST`, `LAB_MARIADB_PORT`, `LAB_CA`; `KRB5_CONFIG` and
//! `KRB5CCNAME` as for `kerb`; `PROXY_USER` (default `joedoe`), `PROXY_DATABASE` (`labdb`).
#![forbid(unsafe_code)]

use std::error::Error;
use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;

use kdc_client::ccache::CcacheName;
use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use mysql_async::prelude::Queryable as _;
use mysql_auth::connector::{ConnectOptions, SslMode};
use mysql_auth::kerberos::CacheSource;
use mysql_auth::plugin::KerberosPlugin;
use mysql_auth::proxy::credentials::{SharedCredentials, TgtSource};
use mysql_auth::proxy::{LocalProxy, ProxyConfig};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

fn env(name: &str) -> Res<String> {
    std::env::var(name).map_err(|_| format!("{name} is not set: source the lab's env.sh").into())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let user = std::env::var("PROXY_USER").unwrap_or_else(|_| "joedoe".into());
    let db = std::env::var("PROXY_DATABASE").unwrap_or_else(|_| "labdb".into());

    // The bridge: Kerberos credentials from the cache, TLS to the server verified.
    let conf = Krb5Conf::load(std::env::var("KRB5_CONFIG").ok().as_deref())?;
    let uid = kdc_client::config::current_uid()?;
    let name = CcacheName::resolve(
        std::env::var("KRB5CCNAME").ok().as_deref(),
        conf.default_ccache_name.as_deref(),
        uid,
    )?;
    let cache = CacheSource::new(name.open_with_kcm_socket(uid, conf.kcm_socket.as_deref())?);
    let creds = Arc::new(SharedCredentials::new(Client::new(conf), cache, TgtSource::Cache).await?);
    let upstream = ConnectOptions::new(
        env("LAB_MARIADB_HOST")?,
        String::new(),
        KerberosPlugin::MysqlKerberos,
    )
    .with_port(env("LAB_MARIADB_PORT")?.parse()?)
    .with_ssl_mode(SslMode::VerifyIdentity)
    .with_ssl_ca(env("LAB_CA")?);
    let dir = std::env::temp_dir().join(format!("proxy-sqlx-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let proxy = LocalProxy::start(dir.join("db.sock"), ProxyConfig::new(upstream), creds).await?;
    let socket = proxy.path().to_owned();

    // sqlx: a pool of 16, 64 tasks x 50 prepared statements, every result checked.
    let opts = MySqlConnectOptions::new()
        .socket(&socket)
        .username(&user)
        .database(&db);
    let pool = MySqlPoolOptions::new()
        .min_connections(16)
        .max_connections(16)
        .connect_with(opts)
        .await?;
    let (who,): (String,) = sqlx::query_as("SELECT CURRENT_USER()")
        .fetch_one(&pool)
        .await?;
    assert_eq!(who, format!("{user}@%"));
    let (name2,): (String,) = sqlx::query_as("SELECT name FROM proxy_rows WHERE id = ?")
        .bind(2)
        .fetch_one(&pool)
        .await?;
    assert_eq!(name2, "ünïcødé ✓");
    let mut tasks = Vec::new();
    for t in 0..64i64 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            for k in 0..50i64 {
                let (a, b): (i64, String) = sqlx::query_as("SELECT ? * ?, CONCAT('t', ?, '-', ?)")
                    .bind(t)
                    .bind(k)
                    .bind(t)
                    .bind(k)
                    .fetch_one(&pool)
                    .await?;
                assert_eq!((a, b), (t * k, format!("t{t}-{k}")));
            }
            Ok::<_, sqlx::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let sqlx_size = pool.size();
    pool.close().await;

    // mysql_async: a pool over the same socket, text and binary protocol.
    let mopts = mysql_async::OptsBuilder::default()
        .socket(Some(socket.to_string_lossy()))
        .user(Some(user.clone()))
        .db_name(Some(db.clone()));
    let mpool = mysql_async::Pool::new(mopts);
    let mut tasks = Vec::new();
    for t in 0..16u64 {
        let mpool = mpool.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = mpool.get_conn().await?;
            for k in 0..50u64 {
                let r: Option<(u64, String)> = c
                    .exec_first("SELECT ? + ?, CONCAT('m', ?)", (t, k, k))
                    .await?;
                assert_eq!(r, Some((t + k, format!("m{k}"))));
            }
            let rows: Vec<(i32, Option<String>)> = c
                .query("SELECT id, note FROM proxy_rows ORDER BY id")
                .await?;
            assert_eq!(
                rows,
                vec![
                    (1, None),
                    (2, Some("tab\there".to_owned())),
                    (3, Some("line\nbreak".to_owned()))
                ]
            );
            Ok::<_, mysql_async::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    mpool.disconnect().await?;

    proxy.shutdown().await?;
    let _ = std::fs::remove_dir(&dir);
    println!(
        "ok: sqlx pool of {sqlx_size}: 3200 prepared queries checked; mysql_async: 816 queries checked"
    );
    Ok(())
}
