//! `kerb kinit` against a scripted hostile KDC on 127.0.0.1 (a UDP socket of this test, not a
//! real KDC): its KRB-ERRORs carry a 10 KiB e-text of terminal escape sequences, or
//! ETYPE-INFO2 asking for one string-to-key iteration. The error is printed escaped and cut;
//! the weak parameters are refused before any pre-authentication is sent.

mod common;

use std::net::UdpSocket;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kdc_client::unstable::asn1::{
    EtypeInfo2, EtypeInfo2Entry, KerberosTime, KrbError, MethodData, Microseconds, PaData,
    PrincipalNameAsn1, pa_type,
};
use kdc_client::{PrincipalName, Realm};

const KERB: &str = env!("CARGO_BIN_EXE_kerb");

fn krb_error(code: i32, e_text: Option<&str>, e_data: Option<Vec<u8>>) -> Vec<u8> {
    let realm = Realm::new("EVIL.TEST").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    KrbError {
        pvno: 5,
        msg_type: 30,
        ctime: None,
        cusec: None,
        stime: KerberosTime::from_unix(now).unwrap(),
        susec: Microseconds::new(0).unwrap(),
        error_code: code,
        crealm: None,
        cname: None,
        realm: "EVIL.TEST".into(),
        sname: PrincipalNameAsn1::from(&PrincipalName::krbtgt(&realm)),
        e_text: e_text.map(Into::into),
        e_data: e_data.map(Into::into),
    }
    .to_der()
    .unwrap()
}

/// Answer every UDP request with `reply`; count the requests.
fn kdc(reply: Vec<u8>) -> (u16, Arc<AtomicUsize>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while let Ok((_, from)) = sock.recv_from(&mut buf) {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = sock.send_to(&reply, from);
        }
    });
    (port, n)
}

fn kinit(port: u16, name: &str) -> (String, String, bool) {
    let dir = std::env::temp_dir().join(format!("kerb-hostile-kdc-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("krb5.conf");
    std::fs::write(
        &conf,
        format!(
            "[libdefaults]\n default_realm = EVIL.TEST\n dns_lookup_kdc = false\n\
             [realms]\n EVIL.TEST = {{\n  kdc = 127.0.0.1:{port}\n }}\n"
        ),
    )
    .unwrap();
    let o = common::feed(
        Command::new(KERB)
            .args(["kinit", "user"])
            .env("KRB5_CONFIG", &conf)
            .env("KRB5CCNAME", format!("FILE:{}", dir.join("cc").display()))
            .env_remove("KRB5_TRACE"),
        "Passw0rd\n",
    );
    let _ = std::fs::remove_dir_all(&dir);
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.success(),
    )
}

#[test]
fn a_10_kib_e_text_of_escapes_is_printed_escaped_and_cut() {
    let text = "\x1b]0;owned\x07\x1b[2J\x1b[1;31m".repeat(512); // ~10 KiB
    let (port, _) = kdc(krb_error(6, Some(&text), None));
    let (out, err, ok) = kinit(port, "etext");
    assert!(!ok);
    assert!(
        !out.contains('\x1b') && !err.contains('\x1b') && !err.contains('\x07'),
        "{err}"
    );
    assert!(err.contains("KDC_ERR_C_PRINCIPAL_UNKNOWN"), "{err}");
    assert!(err.contains("\\x1b]0;owned\\x07"), "{err}");
    assert!(err.len() < 800, "{} bytes: {err}", err.len());
}

#[test]
fn one_s2k_iteration_is_refused_before_preauthentication() {
    let info = EtypeInfo2(vec![EtypeInfo2Entry {
        etype: 18,
        salt: Some("EVIL.TESTuser".into()),
        s2kparams: Some(vec![0, 0, 0, 1].into()),
    }])
    .to_der()
    .unwrap();
    let methods = MethodData(vec![
        PaData {
            padata_type: pa_type::ETYPE_INFO2,
            padata_value: info.into(),
        },
        PaData {
            padata_type: pa_type::ENC_TIMESTAMP,
            padata_value: Vec::new().into(),
        },
    ])
    .to_der()
    .unwrap();
    let (port, requests) = kdc(krb_error(25, None, Some(methods)));
    let (_, err, ok) = kinit(port, "s2k");
    assert!(!ok);
    assert!(
        err.contains("asked for 1 string-to-key iterations"),
        "{err}"
    );
    // Only the first, unauthenticated AS-REQ went out: no PA-ENC-TIMESTAMP to guess from.
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}
