//! The proxy's shared credentials against the lab's REAL MIT KDCs: with a keytab the TGT is
//! re-acquired when it nears its end (forced here with a margin longer than its life); with a
//! credential cache that holds nothing newer, the TGT in memory is kept, with the service
//! tickets logins stored.
//! `#[ignore]`d: run with the lab up and its `env.sh` sourced.
#![cfg(feature = "proxy")]

use kdc_client::ccache::{CacheEntry, Ccache, CcacheHandle};
use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use mysql_auth::kerberos::CacheSource;
use mysql_auth::proxy::credentials::{SharedCredentials, TgtSource};

fn lab(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} unset: source the lab's env.sh"))
}

fn client() -> Client {
    Client::new(Krb5Conf::load(Some(&lab("KRB5_CONFIG"))).unwrap())
}

fn tgt(c: &Ccache) -> CacheEntry {
    c.credentials
        .iter()
        .find(|x| x.server.name.is_krbtgt())
        .unwrap()
        .clone()
}

const A_YEAR: i64 = 365 * 86_400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn keytab_tgt_is_reacquired_and_a_cache_tgt_kept() {
    let unused = CacheSource::new(CcacheHandle::file("/nonexistent/cache"));
    let kt = TgtSource::Keytab(lab("LAB_KT_USER_KEYTAB").into());
    let creds = SharedCredentials::new(client(), unused, kt).await.unwrap();
    assert_eq!(
        creds.principal().unwrap().to_string(),
        lab("LAB_KT_USER_PRINCIPAL")
    );
    let first = tgt(&creds.snapshot().unwrap());
    // Far from its end: nothing happens.
    creds.refresh().await.unwrap();
    assert_eq!(tgt(&creds.snapshot().unwrap()), first);
    // "Near" its end: a new AS exchange with the keytab (a new ticket and session key).
    creds.refresh_within(A_YEAR).await.unwrap();
    let second = tgt(&creds.snapshot().unwrap());
    assert_ne!(second.ticket, first.ticket);
    assert!(second.endtime >= first.endtime);

    // A cache: the same TGT on disk, so the one in memory stays (with its service tickets).
    let dir = std::env::temp_dir().join(format!("kerb-proxy-creds-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cc");
    let mut c = Ccache::new(creds.principal().unwrap());
    c.store(second.clone());
    c.write_file(&path).unwrap();
    let cache = CacheSource::new(CcacheHandle::file(&path));
    let from_cache = SharedCredentials::new(client(), cache, TgtSource::Cache)
        .await
        .unwrap();
    // A service ticket a login stored (in memory only).
    let before = from_cache.snapshot();
    let mut after = before.clone().unwrap();
    let mut st = second.clone();
    st.server = kdc_client::Principal::parse(&lab("LAB_MARIADB_SPN"), None).unwrap();
    after.store(st.clone());
    from_cache.merge(&before, Some(&after));
    from_cache.refresh_within(A_YEAR).await.unwrap();
    let kept = from_cache.snapshot().unwrap();
    assert_eq!(tgt(&kept), second);
    assert_eq!(kept.retrieve(&st.server), Some(&st));
    std::fs::remove_dir_all(&dir).unwrap();
}
