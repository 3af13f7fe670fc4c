//! MS-KKDCP: `kerb kinit` and a cross-realm `kerb kvno` through FreeIPA's `kdcproxy` (from
//! PyPI) behind the lab's TLS WSGI server, with MIT's kinit and kvno (Debian's krb5-k5tls)
//! on the same profile as the control; a proxy certificate from another CA is refused by
//! both. `#[ignore]`d: run with the lab up and `lab/state/env.sh` sourced.

mod common;

use std::process::{Command, Output};

use common::{KERB, lab, ok};

fn cache(name: &str) -> String {
    common::cache("lab-kdcproxy", name)
}

/// `program args` with the profile `conf`, cache `cc` and `input` on stdin.
fn run(program: &str, args: &[&str], conf: &str, cc: &str, input: &str) -> Output {
    run_traced(program, args, conf, cc, input, None)
}

/// [`run`], with `KRB5_TRACE` to `trace` when given.
fn run_traced(
    program: &str,
    args: &[&str],
    conf: &str,
    cc: &str,
    input: &str,
    trace: Option<&std::path::Path>,
) -> Output {
    let mut cmd = Command::new(program);
    cmd.env_remove("KRB5_TRACE");
    if let Some(t) = trace {
        cmd.env("KRB5_TRACE", t);
    }
    cmd.args(args)
        .env("KRB5_CONFIG", conf)
        .env("KRB5CCNAME", cc);
    common::feed(&mut cmd, input)
}

/// The trace file of one run, emptied.
fn trace(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!(
        "kerb-lab-kdcproxy-{}-{name}.trace",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&p);
    p
}

/// Replies received from the proxy, by the trace lines MIT's library and ours both write.
fn proxied_replies(trace: &std::path::Path) -> usize {
    let from = format!("from https 127.0.0.1:{}", lab("LAB_KDCPROXY_PORT"));
    std::fs::read_to_string(trace)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("Received answer") && l.contains(&from))
        .count()
}

#[test]
#[ignore = "needs the lab"]
fn kinit_and_cross_realm_kvno_through_the_proxy_like_mit() {
    let conf = lab("LAB_KRB5_CONFIG_KDCPROXY");
    let profile = std::fs::read_to_string(&conf).unwrap();
    assert!(
        profile.contains(&format!("kdc = {}", lab("LAB_KDCPROXY_URL"))),
        "every KDC of the profile is the proxy"
    );
    assert!(!profile.contains(&format!("kdc = {}", lab("LAB_KDC_ONPREM"))));
    let user = lab("LAB_USER_PRINCIPAL");
    let password = format!("{}\n", lab("LAB_USER_PASSWORD"));
    let spn = lab("LAB_MARIADB_SPN");
    for program in [KERB, "kinit"] {
        let cc = cache(if program == KERB { "ours" } else { "mit" });
        let t = trace(&format!("{}-kinit", program.len()));
        let kinit_args: &[&str] = if program == KERB {
            &["kinit", &user]
        } else {
            &[&user]
        };
        ok(&run_traced(
            program,
            kinit_args,
            &conf,
            &cc,
            &password,
            Some(&t),
        ));
        // AS-REQ without and with pre-authentication: two replies through the proxy.
        assert_eq!(
            proxied_replies(&t),
            2,
            "{program}: the AS exchange went through the proxy"
        );
        let kvno = if program == KERB { KERB } else { "kvno" };
        let kvno_args: &[&str] = if program == KERB {
            &["kvno", &spn]
        } else {
            &[&spn]
        };
        let t = trace(&format!("{}-kvno", program.len()));
        let out = ok(&run_traced(kvno, kvno_args, &conf, &cc, "", Some(&t)));
        assert_eq!(out.trim(), format!("{spn}: kvno = 1"), "{program}");
        // The cross-realm TGT from ONPREM.LOCAL, then the service ticket from AD.MYAWS.COM.
        assert_eq!(
            proxied_replies(&t),
            2,
            "{program}: the TGS exchanges went through the proxy"
        );
    }
    // MIT's klist lists the service ticket our kvno got through the proxy.
    let listing = ok(&run("klist", &[], &conf, &cache_keep("ours"), ""));
    assert!(listing.contains(&spn), "{listing}");
}

/// The cache of a test above, without removing it.
fn cache_keep(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kerb-lab-kdcproxy-{}", std::process::id()));
    format!("FILE:{}", dir.join(name).display())
}

#[test]
#[ignore = "needs the lab"]
fn a_proxy_certificate_from_another_ca_is_refused_like_mit() {
    // The profile trusting only the lab's MariaDB CA, which did not issue the proxy's
    // certificate.
    let profile = std::fs::read_to_string(lab("LAB_KRB5_CONFIG_KDCPROXY"))
        .unwrap()
        .replace(
            &format!("http_anchors = FILE:{}", lab("LAB_KDCPROXY_CA")),
            &format!("http_anchors = FILE:{}", lab("LAB_CA")),
        );
    assert!(profile.contains(&lab("LAB_CA")));
    let conf = std::env::temp_dir().join(format!(
        "kerb-kdcproxy-wrong-ca-{}.conf",
        std::process::id()
    ));
    std::fs::write(&conf, profile).unwrap();
    let conf = conf.to_str().unwrap();
    let user = lab("LAB_USER_PRINCIPAL");
    let password = format!("{}\n", lab("LAB_USER_PASSWORD"));
    let ours = run(
        KERB,
        &["kinit", &user],
        conf,
        &cache("wrong-ours"),
        &password,
    );
    let err = String::from_utf8_lossy(&ours.stderr);
    assert_eq!(ours.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(
            "kinit: Cannot contact any KDC for realm 'ONPREM.LOCAL' (tried https://127.0.0.1:"
        ) && err.contains("TLS: invalid peer certificate: UnknownIssuer"),
        "{err}"
    );
    // No password was asked for: the request never reached a KDC.
    assert_eq!(String::from_utf8_lossy(&ours.stdout), "");
    let mit = run("kinit", &[&user], conf, &cache("wrong-mit"), &password);
    assert_eq!(mit.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&mit.stderr),
        "kinit: Cannot contact any KDC for realm 'ONPREM.LOCAL' while getting initial credentials\n"
    );
}

#[test]
#[ignore = "needs the lab"]
fn a_dead_proxy_fails_over_to_the_next_kdc_entry() {
    // A port nobody listens on: bound, then released.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = lab("LAB_KDCPROXY_URL");
    let profile = std::fs::read_to_string(lab("LAB_KRB5_CONFIG_KDCPROXY"))
        .unwrap()
        .replacen(
            &format!("kdc = {url}"),
            &format!("kdc = https://127.0.0.1:{dead}/KdcProxy\n\t\tkdc = {url}"),
            1,
        );
    let conf = std::env::temp_dir().join(format!(
        "kerb-kdcproxy-failover-{}.conf",
        std::process::id()
    ));
    std::fs::write(&conf, profile).unwrap();
    let t = trace("failover");
    let user = lab("LAB_USER_PRINCIPAL");
    let o = run_traced(
        KERB,
        &["kinit", &user],
        conf.to_str().unwrap(),
        &cache("failover"),
        &format!("{}\n", lab("LAB_USER_PASSWORD")),
        Some(&t),
    );
    ok(&o);
    let text = std::fs::read_to_string(&t).unwrap();
    assert!(
        text.contains(&format!(
            "Error contacting https://127.0.0.1:{dead}/KdcProxy: connection refused"
        )),
        "{text}"
    );
    assert_eq!(proxied_replies(&t), 2, "{text}");
}

/// kpasswd through the proxy (its kdcproxy.conf maps ONPREM.LOCAL's kpasswd to kadmind), with
/// MIT's kpasswd as the control. Here client and proxy share 127.0.0.1, so the KRB-PRIV's
/// sender address (the client's socket address, which kadmind compares with the proxy's) is
/// not put to the test.
#[test]
#[ignore = "needs the lab"]
fn kpasswd_through_the_proxy_like_mit() {
    let url = lab("LAB_KDCPROXY_URL");
    let profile = std::fs::read_to_string(lab("LAB_KRB5_CONFIG_KDCPROXY"))
        .unwrap()
        .replace(
            &format!("kdc = {url}"),
            &format!("kdc = {url}\n\t\tkpasswd_server = {url}"),
        );
    let conf =
        std::env::temp_dir().join(format!("kerb-kdcproxy-kpasswd-{}.conf", std::process::id()));
    std::fs::write(&conf, profile).unwrap();
    let conf = conf.to_str().unwrap();
    let input = "Old-Passw0rd-1\nNew-Passw0rd-22\nNew-Passw0rd-22\n";
    let mut outputs = Vec::new();
    for (program, tag) in [(KERB, "o"), ("kpasswd", "m")] {
        let name = format!(
            "kpwproxy-{tag}-{}@{}",
            std::process::id(),
            lab("LAB_USER_REALM")
        );
        common::kadmin_local(&format!(
            "addprinc -policy {} -pw Old-Passw0rd-1 {name}",
            lab("LAB_KPW_POLICY")
        ));
        let t = trace(&format!("kpasswd-{tag}"));
        let args: &[&str] = if program == KERB {
            &["kpasswd", &name]
        } else {
            &[&name]
        };
        let o = run_traced(
            program,
            args,
            conf,
            &cache(&format!("kpw-{tag}")),
            input,
            Some(&t),
        );
        outputs.push((ok(&o).replace(&name, "P"), o.status.code()));
        // The AS exchange for kadmin/changepw and the password change, all through the proxy.
        assert_eq!(proxied_replies(&t), 2, "{program}");
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(outputs[0].0.ends_with("Password changed.\n"));
}
