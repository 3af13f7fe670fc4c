//! Integration tests against the loopback lab's real MIT KDCs (`lab/up.sh`; the variables
//! come from `lab/state/env.sh`). They are `#[ignore]`d so that `cargo test` needs no lab;
//! `scripts/test.sh` starts the lab and runs them with `--ignored`.

use std::sync::Arc;
use std::time::Duration;

use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use kdc_client::error_code as ec;
use kdc_client::exchange::{Secret, Timestamp};
use kdc_client::keytab::Keytab;
use kdc_client::transport::{Transport, TransportConfig};
use kdc_client::unstable::asn1::{
    KerberosString, KerberosTime, KrbError, Microseconds, PrincipalNameAsn1,
};
use kdc_client::{NameType, Principal, PrincipalName, Realm};
use zeroize::Zeroizing;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: source lab/state/env.sh"))
}

fn conf_text(extra_libdefaults: &str, onprem_kdcs: &[String]) -> String {
    let base = std::fs::read_to_string(env("LAB_KRB5_CONFIG")).expect("lab krb5.conf");
    let mut out = base.replacen(
        "[libdefaults]",
        &format!("[libdefaults]\n\t{extra_libdefaults}"),
        1,
    );
    if !onprem_kdcs.is_empty() {
        let kdcs: String = onprem_kdcs
            .iter()
            .map(|k| format!("\t\tkdc = {k}\n"))
            .collect();
        out = out.replacen(
            "\tONPREM.LOCAL = {\n",
            &format!("\tONPREM.LOCAL = {{\n{kdcs}"),
            1,
        );
    }
    out
}

fn client_with(extra: &str, onprem_kdcs: &[String]) -> Client {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("kerb-lab-{}-{n}.conf", std::process::id()));
    std::fs::write(&path, conf_text(extra, onprem_kdcs)).unwrap();
    let conf = Krb5Conf::load(path.to_str()).expect("lab krb5.conf is valid");
    let _ = std::fs::remove_file(&path);
    Client::new(conf)
}

fn client() -> Client {
    client_with("", &[])
}

fn user() -> Principal {
    Principal::parse(&env("LAB_USER_PRINCIPAL"), None).unwrap()
}

fn password(v: &str) -> Secret {
    Secret::Password(Zeroizing::new(env(v)))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
#[ignore = "needs the lab"]
fn password_as_with_preauth_then_cross_realm_service_ticket_and_renewal() {
    let rt = runtime();
    let c = client_with("renew_lifetime = 2d", &[]);
    let init = rt
        .block_on(c.get_initial_creds(c.initial_options(user()), password("LAB_USER_PASSWORD")))
        .expect("AS exchange");
    let tgt = init.creds;
    assert_eq!(tgt.client, user());
    assert_eq!(tgt.server.to_string(), "krbtgt/ONPREM.LOCAL@ONPREM.LOCAL");
    assert!(tgt.flags.pre_authent());
    assert!(tgt.renewable_at(tgt.authtime));

    // Explicit service realm over the direct one-way trust: krbtgt/AD.MYAWS.COM@ONPREM.LOCAL,
    // then the service ticket from the AD.MYAWS.COM KDC.
    let ad = Realm::new("AD.MYAWS.COM").unwrap();
    let cross = Principal::new(PrincipalName::krbtgt(&ad), tgt.server.realm.clone());
    let opts = c.tgs_options();
    let xtgt = rt
        .block_on(c.tgs(&tgt, &cross, &opts))
        .expect("cross-realm TGT");
    assert_eq!(xtgt.server.to_string(), "krbtgt/AD.MYAWS.COM@ONPREM.LOCAL");
    let spn = Principal::parse_as(&env("LAB_MARIADB_SPN"), NameType::SrvHst, None).unwrap();
    let svc = rt
        .block_on(c.tgs(&xtgt, &spn, &opts))
        .expect("service ticket");
    assert_eq!(svc.server.to_string(), env("LAB_MARIADB_SPN"));
    assert_eq!(svc.client, user());

    let renewed = rt.block_on(c.renew(&tgt)).expect("renewal");
    assert_eq!(renewed.server, tgt.server);
    assert_ne!(renewed.session_key, tgt.session_key);
}

#[test]
#[ignore = "needs the lab"]
fn keytab_as() {
    let rt = runtime();
    let c = client();
    let principal = Principal::parse(&env("LAB_KT_USER_PRINCIPAL"), None).unwrap();
    let kt = Keytab::read_file(std::path::Path::new(&env("LAB_KT_USER_KEYTAB"))).unwrap();
    let keys = kt
        .entries
        .iter()
        .filter(|e| e.principal == principal)
        .filter_map(|e| e.encryption_key())
        .collect();
    let init = rt
        .block_on(c.get_initial_creds(c.initial_options(principal.clone()), Secret::Keys(keys)))
        .expect("keytab AS exchange");
    assert_eq!(init.creds.client, principal);
}

#[test]
#[ignore = "needs the lab"]
fn wrong_password_and_unknown_principal_name_the_kerberos_error() {
    let rt = runtime();
    let c = client();
    let err = rt
        .block_on(c.get_initial_creds(
            c.initial_options(user()),
            Secret::Password(Zeroizing::new("not-the-password".into())),
        ))
        .unwrap_err();
    assert_eq!(
        err.kdc_error_code(),
        Some(ec::KDC_ERR_PREAUTH_FAILED),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("KDC_ERR_PREAUTH_FAILED") && msg.contains("ONPREM.LOCAL"),
        "{msg}"
    );
    assert!(msg.contains(&env("LAB_KDC_ONPREM")), "names the KDC: {msg}");

    let nobody = Principal::parse("nobody-here@ONPREM.LOCAL", None).unwrap();
    let err = rt
        .block_on(c.get_initial_creds(c.initial_options(nobody), password("LAB_USER_PASSWORD")))
        .unwrap_err();
    assert_eq!(
        err.kdc_error_code(),
        Some(ec::KDC_ERR_C_PRINCIPAL_UNKNOWN),
        "{err}"
    );
}

#[test]
#[ignore = "needs the lab"]
fn client_clock_one_hour_off_is_corrected_by_the_skew_retry() {
    let rt = runtime();
    let c = client().with_clock(Arc::new(|| Timestamp::now().offset(3600)));
    let init = rt
        .block_on(c.get_initial_creds(c.initial_options(user()), password("LAB_USER_PASSWORD")))
        .expect("AS exchange after the skew retry");
    assert!(
        (init.kdc_offset + 3600).abs() <= 5,
        "offset {}",
        init.kdc_offset
    );
}

#[test]
#[ignore = "needs the lab"]
fn udp_preference_limit_1_forces_tcp() {
    let rt = runtime();
    let c = client_with("udp_preference_limit = 1", &[]);
    let (_, req) = kdc_client::exchange::AsExchange::new(
        c.initial_options(user()),
        password("LAB_USER_PASSWORD"),
        c.now(),
        &mut kdc_client::crypto::OsRandom,
    )
    .unwrap();
    let reply = rt.block_on(c.send(&req)).expect("KDC reply");
    assert_eq!(reply.transport, Transport::Tcp);
    let c = client();
    let reply = rt.block_on(c.send(&req)).expect("KDC reply");
    assert_eq!(reply.transport, Transport::Udp);
}

/// A first KDC that never answers is skipped; then a UDP peer that answers every request with
/// a real KRB_ERR_RESPONSE_TOO_BIG makes the client retry over TCP on the same address,
/// where a relay passes the request to the real KDC.
#[test]
#[ignore = "needs the lab"]
fn silent_kdc_skipped_and_response_too_big_switches_to_tcp() {
    let rt = runtime();
    let real = env("LAB_KDC_ONPREM");
    let (silent, too_big) = rt.block_on(async {
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = udp.local_addr().unwrap().port();
        let tcp = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((_, from)) = udp.recv_from(&mut buf).await {
                udp.send_to(&response_too_big(), from).await.unwrap();
            }
        });
        let real = real.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = tcp.accept().await {
                let real = real.clone();
                tokio::spawn(async move {
                    let mut outbound = tokio::net::TcpStream::connect(real).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        (silent, port)
    });
    let silent_port = silent.local_addr().unwrap().port();
    let mut transport = TransportConfig::default();
    transport.kdc_timeout = Duration::from_millis(300);
    let c = client_with(
        "",
        &[
            format!("127.0.0.1:{silent_port}"),
            format!("127.0.0.1:{too_big}"),
        ],
    )
    .with_transport(transport);
    // The lab file's own KDC entry comes after ours; ours answer first.
    let init = rt
        .block_on(c.get_initial_creds(c.initial_options(user()), password("LAB_USER_PASSWORD")))
        .expect("AS exchange through the relay");
    assert_eq!(init.creds.client, user());
    drop(silent);
}

fn response_too_big() -> Vec<u8> {
    KrbError {
        pvno: 5,
        msg_type: 30,
        ctime: None,
        cusec: None,
        stime: KerberosTime::from_unix(Timestamp::now().secs).unwrap(),
        susec: Microseconds::new(0).unwrap(),
        error_code: ec::KRB_ERR_RESPONSE_TOO_BIG,
        crealm: None,
        cname: None,
        realm: KerberosString::from("ONPREM.LOCAL"),
        sname: PrincipalNameAsn1::from(&PrincipalName::krbtgt(
            &Realm::new("ONPREM.LOCAL").unwrap(),
        )),
        e_text: None,
        e_data: None,
    }
    .to_der()
    .unwrap()
}
