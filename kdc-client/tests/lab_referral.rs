//! Cross-realm walks against the loopback lab's real MIT KDCs (`lab/up.sh`, then
//! `. lab/state/env.sh`): explicit realm over the direct one-way trust, referral chasing from a
//! host-based name, the two-hop `[capaths]` route, cache reuse, enterprise client names, and
//! MIT's `klist`/`kvno` reading the cache we write. `#[ignore]`d: they need the lab.

use std::path::{Path, PathBuf};
use std::process::Command;

use kdc_client::ServiceName;
use kdc_client::ccache::Ccache;
use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use kdc_client::error_code as ec;
use kdc_client::exchange::Secret;
use kdc_client::{NameType, Principal, Realm};
use zeroize::Zeroizing;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: source lab/state/env.sh"))
}

fn client_for(config: &str) -> Client {
    Client::new(Krb5Conf::load(Some(&env(config))).expect("lab krb5.conf is valid"))
}

/// The lab's client config: no service host in `[domain_realm]`, so host-based names need referrals.
fn client() -> Client {
    client_for("LAB_KRB5_CONFIG")
}

fn user() -> Principal {
    Principal::parse(&env("LAB_USER_PRINCIPAL"), None).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// kinit: a cache holding the user's TGT.
fn kinit(rt: &tokio::runtime::Runtime, c: &Client) -> Ccache {
    let init = rt
        .block_on(c.get_initial_creds(
            c.initial_options(user()),
            Secret::Password(Zeroizing::new(env("LAB_USER_PASSWORD"))),
        ))
        .expect("AS exchange");
    let mut cache = Ccache::new(init.creds.client.clone());
    cache.store(init.creds.to_ccache());
    cache
}

fn spn(var: &str) -> ServiceName {
    ServiceName::Principal(Principal::parse_as(&env(var), NameType::SrvHst, None).unwrap())
}

fn servers(cache: &Ccache) -> Vec<String> {
    cache
        .credentials
        .iter()
        .filter(|c| !c.is_config())
        .map(|c| c.server.to_string())
        .collect()
}

fn temp_ccache(tag: &str) -> PathBuf {
    let dir = std::env::var("LAB_CCACHE_DIR").map_or_else(|_| std::env::temp_dir(), PathBuf::from);
    dir.join(format!("referral-{tag}-{}", std::process::id()))
}

fn mit(cmd: &str, args: &[&str], ccache: &Path) -> (bool, String) {
    let out = Command::new(cmd)
        .args(args)
        .env("KRB5_CONFIG", env("LAB_KRB5_CONFIG"))
        .env("KRB5CCNAME", format!("FILE:{}", ccache.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
#[ignore = "needs the lab"]
fn explicit_realm_over_the_direct_trust_then_reuse_of_the_cross_realm_tgt() {
    let rt = runtime();
    let c = client();
    let mut cache = kinit(&rt, &c);
    let opts = c.tgs_options();

    let before = c.kdc_exchanges();
    let svc = rt
        .block_on(c.get_service_creds(&mut cache, &spn("LAB_MARIADB_SPN"), &opts))
        .expect("service ticket over the direct trust");
    assert_eq!(svc.server.to_string(), env("LAB_MARIADB_SPN"));
    assert_eq!(svc.client, user());
    assert_eq!(
        c.kdc_exchanges() - before,
        2,
        "cross-realm TGT + service ticket"
    );
    assert!(
        servers(&cache).contains(&"krbtgt/AD.MYAWS.COM@ONPREM.LOCAL".to_owned()),
        "{:?}",
        servers(&cache)
    );

    // A second service in the same realm: the cached krbtgt/AD.MYAWS.COM@ONPREM.LOCAL is reused.
    let before = c.kdc_exchanges();
    let host = rt
        .block_on(c.get_service_creds(&mut cache, &spn("LAB_HOST_SPN"), &opts))
        .expect("second service ticket");
    assert_eq!(host.server.to_string(), env("LAB_HOST_SPN"));
    assert_eq!(c.kdc_exchanges() - before, 1, "exactly one TGS exchange");

    // The same service again comes from the cache: no exchange.
    let before = c.kdc_exchanges();
    let again = rt
        .block_on(c.get_service_creds(&mut cache, &spn("LAB_HOST_SPN"), &opts))
        .unwrap();
    assert_eq!(again, host);
    assert_eq!(c.kdc_exchanges(), before);

    // MIT's klist reads the cache we write, and MIT's kvno uses its TGTs.
    let path = temp_ccache("direct");
    cache.write_file(&path).unwrap();
    let (ok, out) = mit("klist", &["-c", &format!("FILE:{}", path.display())], &path);
    assert!(ok, "{out}");
    for s in [
        "krbtgt/ONPREM.LOCAL@ONPREM.LOCAL",
        "krbtgt/AD.MYAWS.COM@ONPREM.LOCAL",
        &env("LAB_MARIADB_SPN"),
        &env("LAB_HOST_SPN"),
    ] {
        assert!(out.contains(s), "klist lacks {s}:\n{out}");
    }
    let (ok, out) = mit("kvno", &[&env("LAB_MYSQL_SPN")], &path);
    assert!(ok && out.contains("kvno = 1"), "{out}");
    let (ok, out) = mit("kvno", &[&env("LAB_MARIADB_SPN")], &path);
    assert!(ok && out.contains("kvno = 1"), "{out}");
    let _ = std::fs::remove_file(&path);
}

#[test]
#[ignore = "needs the lab"]
fn referral_chasing_from_a_host_based_name() {
    let rt = runtime();
    let c = client();
    assert!(
        c.config()
            .realm_for_host(&env("LAB_SERVICE_HOST"))
            .is_none(),
        "lab config maps no service host in [domain_realm]"
    );
    let mut cache = kinit(&rt, &c);
    let opts = c.tgs_options();
    let service = ServiceName::host_based("mariadb", &env("LAB_SERVICE_HOST"));
    let before = c.kdc_exchanges();
    let svc = rt
        .block_on(c.get_service_creds(&mut cache, &service, &opts))
        .expect("service ticket by referral");
    assert_eq!(svc.server.to_string(), env("LAB_MARIADB_SPN"));
    assert_eq!(c.kdc_exchanges() - before, 2, "referral + service ticket");
    // The referral TGT is kept, so an explicit-realm ticket through the trust costs one exchange.
    assert!(servers(&cache).contains(&"krbtgt/AD.MYAWS.COM@ONPREM.LOCAL".to_owned()));
    let before = c.kdc_exchanges();
    rt.block_on(c.get_service_creds(&mut cache, &spn("LAB_HOST_SPN"), &opts))
        .expect("second service ticket");
    assert_eq!(c.kdc_exchanges() - before, 1);
    // The host-based name is found in the cache again.
    let before = c.kdc_exchanges();
    let again = rt
        .block_on(c.get_service_creds(&mut cache, &service, &opts))
        .unwrap();
    assert_eq!(again, svc);
    assert_eq!(c.kdc_exchanges(), before);
}

#[test]
#[ignore = "needs the lab"]
fn host_based_name_with_client_domain_realm_goes_direct() {
    let rt = runtime();
    let c = client_for("LAB_KRB5_CONFIG_DOMAIN_REALM");
    let mut cache = kinit(&rt, &c);
    let service = ServiceName::host_based("host", &env("LAB_APPS_HOST"));
    let svc = rt
        .block_on(c.get_service_creds(&mut cache, &service, &c.tgs_options()))
        .expect("service ticket via [domain_realm] and [capaths]");
    assert_eq!(svc.server.to_string(), env("LAB_APPS_SPN"));
}

#[test]
#[ignore = "needs the lab"]
fn two_hop_capaths_route_then_reuse() {
    let rt = runtime();
    let c = client();
    let mut cache = kinit(&rt, &c);
    let opts = c.tgs_options();
    let before = c.kdc_exchanges();
    let svc = rt
        .block_on(c.get_service_creds(&mut cache, &spn("LAB_APPS_SPN"), &opts))
        .expect("service ticket over ONPREM -> HUB -> APPS");
    assert_eq!(svc.server.to_string(), env("LAB_APPS_SPN"));
    // ONPREM answers krbtgt/APPS.LOCAL with krbtgt/HUB.LOCAL (its [capaths]); HUB gives
    // krbtgt/APPS.LOCAL@HUB.LOCAL; APPS issues.
    assert_eq!(c.kdc_exchanges() - before, 3);
    let s = servers(&cache);
    assert!(
        s.contains(&"krbtgt/HUB.LOCAL@ONPREM.LOCAL".to_owned()),
        "{s:?}"
    );
    assert!(
        s.contains(&"krbtgt/APPS.LOCAL@HUB.LOCAL".to_owned()),
        "{s:?}"
    );

    // Drop the service ticket: the next request starts from krbtgt/APPS.LOCAL@HUB.LOCAL.
    cache.remove(&svc.server);
    let before = c.kdc_exchanges();
    rt.block_on(c.get_service_creds(&mut cache, &spn("LAB_APPS_SPN"), &opts))
        .expect("service ticket again");
    assert_eq!(c.kdc_exchanges() - before, 1);

    let path = temp_ccache("capaths");
    cache.write_file(&path).unwrap();
    let (ok, out) = mit("klist", &["-c", &format!("FILE:{}", path.display())], &path);
    assert!(ok, "{out}");
    assert!(out.contains("krbtgt/APPS.LOCAL@HUB.LOCAL") && out.contains(&env("LAB_APPS_SPN")));
    let _ = std::fs::remove_file(&path);
}

#[test]
#[ignore = "needs the lab"]
fn host_based_referral_two_hops_through_the_transit_realm() {
    let rt = runtime();
    let c = client();
    let mut cache = kinit(&rt, &c);
    let service = ServiceName::host_based("host", &env("LAB_APPS_HOST"));
    let before = c.kdc_exchanges();
    let svc = rt
        .block_on(c.get_service_creds(&mut cache, &service, &c.tgs_options()))
        .expect("ONPREM refers to HUB, HUB to APPS");
    assert_eq!(svc.server.to_string(), env("LAB_APPS_SPN"));
    assert_eq!(c.kdc_exchanges() - before, 3);
}

#[test]
#[ignore = "needs the lab"]
fn unknown_service_names_the_error_and_the_path() {
    let rt = runtime();
    let c = client();
    let mut cache = kinit(&rt, &c);
    let opts = c.tgs_options();
    // Explicit realm, unknown service: AD's KDC answers S_PRINCIPAL_UNKNOWN.
    let nobody = ServiceName::Principal(
        Principal::parse_as(
            "nosuch/db.ad.myaws.com@AD.MYAWS.COM",
            NameType::SrvHst,
            None,
        )
        .unwrap(),
    );
    let err = rt
        .block_on(c.get_service_creds(&mut cache, &nobody, &opts))
        .unwrap_err();
    assert_eq!(err.kdc_error_code(), Some(ec::KDC_ERR_S_PRINCIPAL_UNKNOWN));
    let msg = err.to_string();
    assert!(
        msg.contains("ONPREM.LOCAL -> AD.MYAWS.COM") && msg.contains("KDC_ERR_S_PRINCIPAL_UNKNOWN"),
        "{msg}"
    );
    // Host-based, no referral for an unknown host: fallback to the host's domain realm
    // (NOSUCH.EXAMPLE), which has no KDC in krb5.conf.
    let err = rt
        .block_on(c.get_service_creds(
            &mut cache,
            &ServiceName::host_based("host", "db.nosuch.example"),
            &opts,
        ))
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("NOSUCH.EXAMPLE"), "{msg}");
}

/// RFC 6806 §5: what MIT 1.20's KDC does with NT-ENTERPRISE client names (DB2 back end, no
/// aliases): a UPN whose text is not a principal of the realm is CLIENT_NOT_FOUND; a UPN that
/// is the bare user name is found and canonicalised to the NT-PRINCIPAL name.
#[test]
#[ignore = "needs the lab"]
fn enterprise_client_names_against_mit() {
    let rt = runtime();
    let c = client();
    let realm = Realm::new(env("LAB_USER_REALM")).unwrap();
    let password = || Secret::Password(Zeroizing::new(env("LAB_USER_PASSWORD")));

    let upn = Principal::enterprise("joedoe@onprem.local", realm.clone()).unwrap();
    assert_eq!(upn.to_string(), "joedoe\\@onprem.local@ONPREM.LOCAL");
    let err = rt
        .block_on(c.get_initial_creds(c.initial_options(upn), password()))
        .unwrap_err();
    assert_eq!(
        err.kdc_error_code(),
        Some(ec::KDC_ERR_C_PRINCIPAL_UNKNOWN),
        "{err}"
    );

    let bare = Principal::enterprise(&env("LAB_USER"), realm).unwrap();
    let init = rt
        .block_on(c.get_initial_creds(c.initial_options(bare), password()))
        .expect("enterprise name equal to the principal name");
    assert_eq!(init.creds.client, user());
    assert_eq!(init.creds.client.name.name_type, NameType::Principal);
    assert_eq!(
        init.creds.server.to_string(),
        "krbtgt/ONPREM.LOCAL@ONPREM.LOCAL"
    );
}

/// Records the debug events of the walk (a minimal subscriber; `kerb -V` installs a real one).
#[derive(Default, Clone)]
struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

struct Line<'a>(&'a mut String);

impl tracing::field::Visit for Line<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = String::new();
        event.record(&mut Line(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
#[ignore = "needs the lab"]
fn each_hop_is_logged_with_realm_kdc_and_ticket() {
    let rt = runtime();
    let c = client();
    let mut cache = kinit(&rt, &c);
    let rec = Recorder::default();
    let service = ServiceName::host_based("host", &env("LAB_APPS_HOST"));
    tracing::subscriber::with_default(rec.clone(), || {
        rt.block_on(c.get_service_creds(&mut cache, &service, &c.tgs_options()))
            .expect("service ticket");
    });
    let log = rec.0.lock().unwrap().join("\n");
    for needle in [
        "TGS hop realm=ONPREM.LOCAL server=host/app.apps.local@ONPREM.LOCAL",
        "TGS hop realm=HUB.LOCAL",
        "TGS hop realm=APPS.LOCAL",
        &format!("realm=ONPREM.LOCAL kdc={}", env("LAB_KDC_ONPREM")),
        &format!("realm=HUB.LOCAL kdc={}", env("LAB_KDC_HUB")),
        "to=HUB.LOCAL ticket=krbtgt/HUB.LOCAL@ONPREM.LOCAL",
        "to=APPS.LOCAL ticket=krbtgt/APPS.LOCAL@HUB.LOCAL",
        "path=ONPREM.LOCAL -> HUB.LOCAL -> APPS.LOCAL",
    ] {
        assert!(log.contains(needle), "no {needle:?} in\n{log}");
    }
}

/// A KDC that does not answer on the way: the transport error names the path walked.
#[test]
#[ignore = "needs the lab"]
fn silent_kdc_on_the_route_names_the_path() {
    let rt = runtime();
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let text = std::fs::read_to_string(env("LAB_KRB5_CONFIG"))
        .unwrap()
        .replace(
            &format!("kdc = {}", env("LAB_KDC_AD")),
            &format!("kdc = udp/127.0.0.1:{port}"),
        );
    let path = temp_ccache("silent-conf");
    std::fs::write(&path, text).unwrap();
    let conf = Krb5Conf::load(path.to_str()).unwrap();
    let _ = std::fs::remove_file(&path);
    let mut transport = kdc_client::transport::TransportConfig::default();
    transport.kdc_timeout = std::time::Duration::from_millis(200);
    let c = Client::new(conf).with_transport(transport);
    let mut cache = kinit(&rt, &c);
    let err = rt
        .block_on(c.get_service_creds(&mut cache, &spn("LAB_MARIADB_SPN"), &c.tgs_options()))
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("path walked: ONPREM.LOCAL -> AD.MYAWS.COM"),
        "{msg}"
    );
    // The cross-realm TGT obtained before the failure is kept in the caller's cache.
    assert!(servers(&cache).contains(&"krbtgt/AD.MYAWS.COM@ONPREM.LOCAL".to_owned()));
    drop(silent);
}
