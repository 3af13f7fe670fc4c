//! KDC discovery by DNS SRV records against a real DNS server: the lab's dnsmasq answers the
//! realms' `_kerberos._udp`/`_kerberos._tcp` records (ONPREM.LOCAL's first UDP target has no
//! KDC behind it). Each client runs in a private mount namespace whose `/etc/resolv.conf` names
//! only that server, with `LAB_KRB5_CONFIG_DNS`: a krb5.conf that lists no KDC at all.
//! MIT's kinit and kvno run in the same setup as the control.
//! Needs the lab (`. lab/state/env.sh`) and root (the mount namespace).

mod common;

use std::process::{Command, Output, Stdio};

use common::{KERB, lab, ok};

/// `program args` in a mount namespace where the lab's resolv.conf is `/etc/resolv.conf`,
/// with the DNS-only krb5.conf, cache `cc`, `stdin` fed verbatim.
fn in_dns_namespace(program: &str, args: &[&str], cc: &str, stdin: Option<&str>) -> Output {
    let mut child = Command::new("unshare")
        .args(["-m", "--", "sh", "-c"])
        .arg(r#"mount --bind "$0" /etc/resolv.conf && exec "$@""#)
        .arg(lab("LAB_DNS_RESOLV"))
        .arg(program)
        .args(args)
        .env("KRB5_CONFIG", lab("LAB_KRB5_CONFIG_DNS"))
        .env("KRB5CCNAME", cc)
        .env("LC_ALL", "C")
        .env_remove("KRB5_TRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare runs");
    let mut input = child.stdin.take().expect("piped stdin");
    if let Some(s) = stdin {
        use std::io::Write as _;
        let _ = input.write_all(s.as_bytes());
    }
    drop(input);
    child.wait_with_output().expect("unshare finishes")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn password() -> String {
    format!("{}\n", lab("LAB_USER_PASSWORD"))
}

/// The profile really lists no KDC: whatever is found comes from DNS.
fn assert_no_kdc_in_profile() {
    let conf = std::fs::read_to_string(lab("LAB_KRB5_CONFIG_DNS")).unwrap();
    assert!(
        !conf.lines().any(|l| l.trim_start().starts_with("kdc")),
        "{conf}"
    );
    assert!(conf.contains("dns_lookup_kdc = true"), "{conf}");
}

#[test]
#[ignore = "needs the lab"]
fn kdcs_found_by_srv_records_with_failover() {
    assert_no_kdc_in_profile();
    let user = lab("LAB_USER_PRINCIPAL");
    let cc = common::cache("dns", "kerb");
    let o = in_dns_namespace(KERB, &["kinit", "-V", &user], &cc, Some(&password()));
    let trace = stderr(&o);
    ok(&o);
    // The SRV answer, in priority order, and the failover from the dead first target.
    let port = lab("LAB_KDC_PORT_ONPREM");
    let kdcs = format!(
        "KDCs of ONPREM.LOCAL from DNS SRV records: [\"udp/kdc-down.onprem.local:{port}\", \
         \"udp/kdc.onprem.local:{port}\", \"tcp/kdc.onprem.local:{port}\"]"
    );
    assert!(trace.contains(&kdcs), "{trace}");
    let dead = trace
        .find(&format!("Error contacting udp/127.0.0.9:{port}"))
        .unwrap_or_else(|| panic!("the dead target was not tried first:\n{trace}"));
    let live = trace
        .find(&format!(
            "Sending initial UDP request to dgram 127.0.0.1:{port}"
        ))
        .unwrap_or_else(|| panic!("no failover to the live target:\n{trace}"));
    assert!(dead < live, "{trace}");

    // Across the trust (a referral to AD.MYAWS.COM) and the two-hop capaths path to
    // APPS.LOCAL: every realm's KDC comes from DNS.
    let spn = lab("LAB_MARIADB_SPN");
    let apps = lab("LAB_APPS_SPN");
    let host = lab("LAB_SERVICE_HOST");
    let o = in_dns_namespace(KERB, &["kvno", "-S", "mariadb", &host], &cc, None);
    assert_eq!(ok(&o), "mariadb/db.ad.myaws.com@: kvno = 1\n");
    let o = in_dns_namespace(KERB, &["kvno", "-V", &spn, &apps], &cc, None);
    let trace = stderr(&o);
    assert_eq!(ok(&o), format!("{spn}: kvno = 1\n{apps}: kvno = 1\n"));
    for realm in ["HUB.LOCAL", "APPS.LOCAL"] {
        assert!(
            trace.contains(&format!("KDCs of {realm} from DNS SRV records")),
            "{trace}"
        );
    }
    // MIT verifies the ticket obtained through DNS with the service's key.
    common::mit_verifies_service_ticket(&cc);

    // The queries reached the lab's DNS server.
    let log = std::fs::read_to_string(lab("LAB_DNS_LOG")).unwrap();
    for name in [
        "_kerberos._udp.onprem.local",
        "_kerberos._udp.ad.myaws.com",
        "_kerberos._udp.apps.local",
    ] {
        assert!(log.to_ascii_lowercase().contains(name), "{name} not asked");
    }
}

#[test]
#[ignore = "needs the lab"]
fn mit_tools_find_the_same_kdcs() {
    assert_no_kdc_in_profile();
    let user = lab("LAB_USER_PRINCIPAL");
    let cc = common::cache("dns", "mit");
    ok(&in_dns_namespace("kinit", &[&user], &cc, Some(&password())));
    let spn = lab("LAB_MARIADB_SPN");
    let apps = lab("LAB_APPS_SPN");
    let o = in_dns_namespace("kvno", &[&spn, &apps], &cc, None);
    assert_eq!(ok(&o), format!("{spn}: kvno = 1\n{apps}: kvno = 1\n"));
    // Our kvno uses the cache MIT filled through DNS, and gets what MIT got.
    let o = in_dns_namespace(KERB, &["kvno", &spn, &apps], &cc, None);
    assert_eq!(ok(&o), format!("{spn}: kvno = 1\n{apps}: kvno = 1\n"));
}

#[test]
#[ignore = "needs the lab"]
fn a_realm_without_srv_records_has_no_kdc_like_mit() {
    let cc = common::cache("dns", "none");
    // dnsmasq answers NXDOMAIN for names under .local it does not know.
    let ours = in_dns_namespace(KERB, &["kinit", "nobody@NOWHERE.LOCAL"], &cc, None);
    let mit = in_dns_namespace("kinit", &["nobody@NOWHERE.LOCAL"], &cc, None);
    assert_eq!(
        stderr(&ours),
        "kinit: Cannot find KDC for realm \"NOWHERE.LOCAL\" while getting initial credentials\n"
    );
    assert_eq!(stderr(&ours), stderr(&mit));
    assert_eq!(ours.status.code(), mit.status.code());
}
