//! Acceptance tests against MIT's GSS-API (the lab's `gss_acceptor.py` on python3-gssapi,
//! MIT krb5 1.20) and MIT's KDCs. `#[ignore]`d: run with `--ignored` after `lab/up.sh` and
//! sourcing `lab/state/env.sh`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use gss_mech::{
    Acceptor, AcceptorOptions, ChannelBindings, ContextFlags, GssError, InitiatorContext,
    InitiatorOptions, SecurityContext,
};
use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use kdc_client::crypto::OsRandom;
use kdc_client::exchange::{Credentials, Secret, Timestamp};
use kdc_client::keytab::Keytab;
use kdc_client::{NameType, Principal, PrincipalName};
use zeroize::Zeroizing;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: source lab/state/env.sh"))
}

/// A runtime, a client on the lab's krb5.conf and a fresh TGT for the lab user.
fn fresh_tgt() -> (tokio::runtime::Runtime, Client, Credentials) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = Krb5Conf::load(Some(&env("LAB_KRB5_CONFIG"))).expect("lab krb5.conf");
    let c = Client::new(conf);
    let user = Principal::parse(&env("LAB_USER_PRINCIPAL"), None).unwrap();
    let pw = Secret::Password(Zeroizing::new(env("LAB_USER_PASSWORD")));
    let tgt = rt
        .block_on(c.get_initial_creds(c.initial_options(user), pw))
        .expect("AS")
        .creds;
    (rt, c, tgt)
}

/// A service ticket for `spn` from the lab KDCs: AS for the user, the cross-realm TGT
/// `krbtgt/AD.MYAWS.COM@ONPREM.LOCAL`, then the service ticket from AD.MYAWS.COM.
fn service_ticket(spn: &str) -> Credentials {
    let (rt, c, tgt) = fresh_tgt();
    let spn = Principal::parse_as(spn, NameType::SrvHst, None).unwrap();
    let cross = Principal::new(PrincipalName::krbtgt(&spn.realm), tgt.server.realm.clone());
    let opts = c.tgs_options();
    let xtgt = rt
        .block_on(c.tgs(&tgt, &cross, &opts))
        .expect("cross-realm TGT");
    rt.block_on(c.tgs(&xtgt, &spn, &opts))
        .expect("service ticket")
}

/// MIT's peer process, driven by its line protocol.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn spawn(args: &[&str], envs: &[(&str, String)]) -> Self {
        let mut cmd = Command::new(env("LAB_PYTHON"));
        cmd.arg(env("LAB_GSS_ACCEPTOR")).args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start gss_acceptor.py");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// MIT's acceptor with the keytab of `keytab_var`.
    fn acceptor(keytab_var: &str, extra: &[&str]) -> Self {
        Self::spawn(
            extra,
            &[("KRB5_KTNAME", format!("FILE:{}", env(keytab_var)))],
        )
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn line(&mut self) -> String {
        let mut s = String::new();
        self.stdout.read_line(&mut s).unwrap();
        s.trim().to_owned()
    }

    /// The exit status and stderr after closing stdin.
    fn finish(self) -> (i32, String) {
        drop(self.stdin);
        let out = self.child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Send a command and return the JSON reply's `key` string (the reply must be ok).
    fn cmd(&mut self, line: &str, key: &str) -> String {
        self.send(line);
        let reply = self.line();
        assert!(reply.contains("\"ok\": true"), "{line:.40} -> {reply}");
        json_str(&reply, key).unwrap_or_else(|| panic!("no {key} in {reply}"))
    }
}

/// The string value of `"key": "..."` in a flat JSON line (the peer's values are hex or
/// principal names: no escapes).
fn json_str(line: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\": \"");
    let start = line.find(&pat)? + pat.len();
    let end = line.get(start..)?.find('"')? + start;
    line.get(start..end).map(str::to_owned)
}

fn init(
    creds: &Credentials,
    flags: ContextFlags,
    cb: Option<ChannelBindings>,
) -> (InitiatorContext, Vec<u8>) {
    let mut opts = InitiatorOptions::default().with_flags(flags);
    opts.channel_bindings = cb;
    InitiatorContext::new(creds, &opts, Timestamp::now(), &mut OsRandom).expect("initial token")
}

/// A Wrap token with its body rotated right by `rrc` and the RRC field set (RFC 4121 §4.2.5).
fn rotate(tok: &[u8], rrc: u16) -> Vec<u8> {
    let mut out = tok.to_vec();
    out[6..8].copy_from_slice(&rrc.to_be_bytes());
    let body = &mut out[16..];
    let n = body.len();
    body.rotate_right(usize::from(rrc) % n);
    out
}

/// Per-message tokens both ways between our context and the MIT peer.
fn exchange_messages(ours: &mut SecurityContext, peer: &mut Peer) {
    for conf in [true, false] {
        let msg = if conf {
            "sealed message from MIT"
        } else {
            "integrity-only from MIT"
        };
        let line = format!(
            "wrap {}{}",
            hex::encode(msg),
            if conf { "" } else { " noconf" }
        );
        let tok = hex::decode(peer.cmd(&line, "token")).unwrap();
        let u = ours.unwrap(&tok).expect("our unwrap of MIT's Wrap token");
        assert_eq!((u.data.as_slice(), u.confidential), (msg.as_bytes(), conf));

        let msg = if conf {
            "sealed message from Rust"
        } else {
            "integrity-only from Rust"
        };
        let tok = ours.wrap(msg.as_bytes(), conf, &mut OsRandom).unwrap();
        let back = peer.cmd(&format!("unwrap {}", hex::encode(&tok)), "message");
        assert_eq!(hex::decode(back).unwrap(), msg.as_bytes());

        // The same with the body rotated right by RRC = 28 (as Windows sends): MIT undoes
        // the rotation, so our rotation direction matches RFC 4121 §4.2.5 as MIT reads it.
        let tok = ours.wrap(b"rotated", conf, &mut OsRandom).unwrap();
        let back = peer.cmd(
            &format!("unwrap {}", hex::encode(rotate(&tok, 28))),
            "message",
        );
        assert_eq!(hex::decode(back).unwrap(), b"rotated");
    }
    let mic =
        hex::decode(peer.cmd(&format!("mic {}", hex::encode("mic from MIT")), "token")).unwrap();
    ours.verify_mic(b"mic from MIT", &mic)
        .expect("our VerifyMIC of MIT's MIC");
    assert!(matches!(
        ours.verify_mic(b"mic from MIT", &mic),
        Err(GssError::Duplicate(_))
    ));
    let mic = ours.get_mic(b"mic from Rust").unwrap();
    peer.send(&format!(
        "verify {} {}",
        hex::encode("mic from Rust"),
        hex::encode(&mic)
    ));
    let reply = peer.line();
    assert!(reply.contains("\"ok\": true"), "{reply}");
    // A corrupted MIC is refused by MIT.
    let mut bad = ours.get_mic(b"x").unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    peer.send(&format!(
        "verify {} {}",
        hex::encode("x"),
        hex::encode(&bad)
    ));
    let reply = peer.line();
    assert!(reply.contains("\"ok\": false"), "{reply}");
}

#[test]
#[ignore = "needs the lab"]
fn our_initiator_is_accepted_by_mit_with_mutual_auth_and_messages() {
    let creds = service_ticket(&env("LAB_MARIADB_SPN"));
    let user = env("LAB_USER_PRINCIPAL");
    let mut peer = Peer::acceptor("LAB_MARIADB_KEYTAB", &["--expect-initiator", &user]);
    let (ini, tok) = init(&creds, ContextFlags::ALL, None);
    peer.send(&hex::encode(&tok));
    let ap_rep = hex::decode(peer.line()).expect("MIT's AP-REP token");
    assert_eq!(&ap_rep[..2], &[0x60, ap_rep[1]]);
    let est = peer.line();
    assert_eq!(
        json_str(&est, "initiator").as_deref(),
        Some(user.as_str()),
        "{est}"
    );
    assert!(
        est.contains("\"mutual\": true") && est.contains("\"sequence\": true"),
        "{est}"
    );
    let mut ctx = ini.step(&ap_rep).expect("MIT's AP-REP verifies");
    exchange_messages(&mut ctx, &mut peer);
    let (code, err) = peer.finish();
    assert_eq!(code, 0, "{err}");
}

#[test]
#[ignore = "needs the lab"]
fn our_initiator_without_mutual_and_with_channel_bindings() {
    let creds = service_ticket(&env("LAB_MARIADB_SPN"));
    let user = env("LAB_USER_PRINCIPAL");
    // MIT's acceptor has no bindings: it accepts our non-zero Bnd (RFC 4121 §4.1.1.2).
    let cb = ChannelBindings::tls_server_end_point(&[0x5a; 32]);
    let mut peer = Peer::acceptor("LAB_MARIADB_KEYTAB", &["--expect-initiator", &user]);
    let (ini, tok) = init(
        &creds,
        ContextFlags(ContextFlags::REPLAY | ContextFlags::SEQUENCE),
        Some(cb),
    );
    assert!(!ini.needs_reply());
    peer.send(&hex::encode(&tok));
    let est = peer.line();
    assert!(
        est.contains("\"established\"") && est.contains("\"mutual\": false"),
        "{est}"
    );
    let mut ctx = ini.complete().unwrap();
    exchange_messages(&mut ctx, &mut peer);
    assert_eq!(peer.finish().0, 0);
}

/// A ccache with the user's TGT made by MIT `kinit`.
fn mit_ccache(tag: &str) -> String {
    let path = format!(
        "{}/ccache/gss-test-{tag}-{}",
        env("LAB_STATE"),
        std::process::id()
    );
    let name = format!("FILE:{path}");
    let mut k = Command::new("kinit")
        .arg(env("LAB_USER_PRINCIPAL"))
        .env("KRB5CCNAME", &name)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("MIT kinit");
    writeln!(k.stdin.take().unwrap(), "{}", env("LAB_USER_PASSWORD")).unwrap();
    assert!(k.wait().unwrap().success(), "kinit failed");
    name
}

fn our_acceptor(keytab_var: &str, spn_var: &str, cb: Option<ChannelBindings>) -> Acceptor {
    let kt = Keytab::read_file(std::path::Path::new(&env(keytab_var))).expect("keytab");
    let service = Principal::parse(&env(spn_var), None).unwrap();
    let mut opts = AcceptorOptions::default().with_service(service);
    opts.channel_bindings = cb;
    Acceptor::new(kt, opts)
}

#[test]
#[ignore = "needs the lab"]
fn mit_initiator_is_accepted_by_our_acceptor_and_verifies_our_ap_rep() {
    let cc = mit_ccache("mutual");
    let spn = env("LAB_MARIADB_SPN");
    let mut peer = Peer::spawn(&["--initiate", &spn, "--ccache", &cc], &[]);
    let tok = hex::decode(peer.line()).expect("MIT's initial token");
    let mut acc = our_acceptor("LAB_MARIADB_KEYTAB", "LAB_MARIADB_SPN", None);
    let a = acc
        .accept(&tok, Timestamp::now(), &mut OsRandom)
        .expect("our acceptor accepts MIT's token");
    assert_eq!(a.initiator.to_string(), env("LAB_USER_PRINCIPAL"));
    assert_eq!(a.service.to_string(), spn);
    for f in [
        ContextFlags::MUTUAL,
        ContextFlags::REPLAY,
        ContextFlags::SEQUENCE,
        ContextFlags::CONF,
        ContextFlags::INTEG,
    ] {
        assert!(a.flags.has(f), "{:?}", a.flags);
    }
    // Replay of MIT's token.
    assert!(matches!(
        acc.accept(&tok, Timestamp::now(), &mut OsRandom),
        Err(GssError::Replay)
    ));
    peer.send(&hex::encode(a.output_token.as_ref().expect("AP-REP")));
    let est = peer.line();
    assert!(
        est.contains("\"established\"") && est.contains("\"mutual\": true"),
        "MIT refused our AP-REP: {est}"
    );
    let mut ctx = a.context;
    exchange_messages(&mut ctx, &mut peer);
    assert_eq!(peer.finish().0, 0);
}

#[test]
#[ignore = "needs the lab"]
fn mit_initiator_without_mutual_and_acceptor_with_bindings() {
    // MIT's peer passes no channel bindings (zero Bnd): accepted even by an acceptor that has
    // bindings, as MIT does.
    let cc = mit_ccache("nomutual");
    let mut peer = Peer::spawn(
        &[
            "--initiate",
            &env("LAB_MARIADB_SPN"),
            "--ccache",
            &cc,
            "--flags",
            "replay,sequence",
        ],
        &[],
    );
    let tok = hex::decode(peer.line()).unwrap();
    let est = peer.line();
    assert!(est.contains("\"established\""), "{est}");
    let cb = ChannelBindings::tls_server_end_point(&[1; 32]);
    let mut acc = our_acceptor("LAB_MARIADB_KEYTAB", "LAB_MARIADB_SPN", Some(cb));
    let a = acc
        .accept(&tok, Timestamp::now(), &mut OsRandom)
        .expect("accepted");
    assert!(a.output_token.is_none() && !a.flags.has(ContextFlags::MUTUAL));
    let mut ctx = a.context;
    exchange_messages(&mut ctx, &mut peer);
    assert_eq!(peer.finish().0, 0);
}

#[test]
#[ignore = "needs the lab"]
fn rejections_replay_other_service_corruption_bindings() {
    let creds = service_ticket(&env("LAB_MARIADB_SPN"));
    // Replay to MIT's acceptor (its rcache in KRB5RCACHEDIR).
    let (_, tok) = init(&creds, ContextFlags(0), None);
    let mut p1 = Peer::acceptor("LAB_MARIADB_KEYTAB", &[]);
    p1.send(&hex::encode(&tok));
    assert!(p1.line().contains("established"));
    assert_eq!(p1.finish().0, 0);
    let mut p2 = Peer::acceptor("LAB_MARIADB_KEYTAB", &[]);
    p2.send(&hex::encode(&tok));
    let (code, err) = p2.finish();
    assert_eq!(code, 2, "MIT accepted a replay: {err}");
    assert!(err.to_lowercase().contains("replay"), "{err}");

    // A token for another service: MIT with the host/ keytab, and our acceptor.
    let (_, tok) = init(&creds, ContextFlags(0), None);
    let mut p3 = Peer::acceptor("LAB_HOST_KEYTAB", &[]);
    p3.send(&hex::encode(&tok));
    let (code, err) = p3.finish();
    assert_eq!(code, 2, "{err}");
    let mut ours = our_acceptor("LAB_HOST_KEYTAB", "LAB_HOST_SPN", None);
    let e = ours
        .accept(&tok, Timestamp::now(), &mut OsRandom)
        .unwrap_err();
    assert!(matches!(e, GssError::WrongService { .. }), "{e}");
    let kt = Keytab::read_file(std::path::Path::new(&env("LAB_HOST_KEYTAB"))).unwrap();
    let e = Acceptor::new(kt, AcceptorOptions::default())
        .accept(&tok, Timestamp::now(), &mut OsRandom)
        .unwrap_err();
    assert!(matches!(e, GssError::NoKey { .. }), "{e}");

    // A corrupted authenticator: refused by MIT and by us.
    let (_, mut tok) = init(&creds, ContextFlags(0), None);
    let n = tok.len() - 5;
    tok[n] ^= 0x01;
    let mut p4 = Peer::acceptor("LAB_MARIADB_KEYTAB", &[]);
    p4.send(&hex::encode(&tok));
    let (code, err) = p4.finish();
    assert_eq!(code, 2, "{err}");
    let mut ours = our_acceptor("LAB_MARIADB_KEYTAB", "LAB_MARIADB_SPN", None);
    let e = ours
        .accept(&tok, Timestamp::now(), &mut OsRandom)
        .unwrap_err();
    assert!(matches!(e, GssError::Crypto { .. }), "{e}");

    // Wrong channel bindings (real ticket, our acceptor with bindings).
    let good = ChannelBindings::tls_server_end_point(&[7; 32]);
    let bad = ChannelBindings::tls_server_end_point(&[8; 32]);
    let mut ours = our_acceptor("LAB_MARIADB_KEYTAB", "LAB_MARIADB_SPN", Some(good.clone()));
    let (_, tok) = init(&creds, ContextFlags::ALL, Some(bad));
    let e = ours
        .accept(&tok, Timestamp::now(), &mut OsRandom)
        .unwrap_err();
    assert!(matches!(e, GssError::ChannelBindings), "{e}");
    let (_, tok) = init(&creds, ContextFlags::ALL, Some(good));
    ours.accept(&tok, Timestamp::now(), &mut OsRandom)
        .expect("matching bindings");

    // A KRB-ERROR token from MIT's acceptor (if it produced one) is typed.
    let (ini, mut tok) = init(&creds, ContextFlags::ALL, None);
    let n = tok.len() - 5;
    tok[n] ^= 0x01;
    let mut p5 = Peer::acceptor("LAB_MARIADB_KEYTAB", &[]);
    p5.send(&hex::encode(&tok));
    let first = p5.line();
    if let Ok(err_tok) = hex::decode(&first) {
        let e = ini.step(&err_tok).unwrap_err();
        assert!(matches!(e, GssError::KrbError { .. }), "{e}");
        eprintln!("MIT error token decoded: {e}");
    }
    let _ = p5.finish();
}

#[test]
#[ignore = "needs the lab"]
fn our_error_token_is_understood_by_mit_initiator() {
    let cc = mit_ccache("error");
    let mut peer = Peer::spawn(
        &["--initiate", &env("LAB_MARIADB_SPN"), "--ccache", &cc],
        &[],
    );
    let tok = hex::decode(peer.line()).unwrap();
    // An acceptor for another service refuses it: KRB_AP_ERR_NOT_US.
    let mut acc = our_acceptor("LAB_HOST_KEYTAB", "LAB_HOST_SPN", None);
    let err = acc
        .accept(&tok, Timestamp::now(), &mut OsRandom)
        .unwrap_err();
    assert!(matches!(err, GssError::WrongService { .. }), "{err}");
    let et = acc
        .error_token(&tok, &err, Timestamp::now())
        .expect("error token");
    peer.send(&hex::encode(&et));
    let (code, stderr) = peer.finish();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("isn't for us") || stderr.contains("NOT_US"),
        "{stderr}"
    );
}

/// A service ticket reached by the library's walker (referrals or `[capaths]`), from a fresh
/// TGT, as `kerb kvno` and `kerb mysql` obtain it.
fn walked_ticket(service: &kdc_client::ServiceName) -> Credentials {
    let (rt, c, tgt) = fresh_tgt();
    let mut cache = kdc_client::ccache::Ccache::new(tgt.client.clone());
    cache.store(tgt.to_ccache());
    rt.block_on(c.get_service_creds(&mut cache, service, &c.tgs_options()))
        .expect("service ticket through the walker")
}

/// The service tickets of each cross-realm path (issue: the forest-trust path) are accepted
/// by MIT's acceptor holding the service's keytab, which reports our client principal.
#[test]
#[ignore = "needs the lab"]
fn tickets_from_referrals_and_capaths_are_accepted_by_mit() {
    use kdc_client::ServiceName;
    let user = env("LAB_USER_PRINCIPAL");
    let apps = Principal::parse_as(&env("LAB_APPS_SPN"), NameType::SrvHst, None).unwrap();
    let cases = [
        // Referral chasing from a host-based name (no client-side [domain_realm]).
        (
            ServiceName::host_based("mariadb", &env("LAB_SERVICE_HOST")),
            "LAB_MARIADB_KEYTAB",
        ),
        // The two-hop [capaths] path ONPREM.LOCAL -> HUB.LOCAL -> APPS.LOCAL.
        (ServiceName::Principal(apps), "LAB_APPS_KEYTAB"),
    ];
    for (service, keytab) in cases {
        let creds = walked_ticket(&service);
        let mut peer = Peer::acceptor(keytab, &["--expect-initiator", &user]);
        let (_ini, tok) = init(&creds, ContextFlags(0), None);
        peer.send(&hex::encode(&tok));
        let est = peer.line();
        assert_eq!(
            json_str(&est, "initiator").as_deref(),
            Some(user.as_str()),
            "{service:?}: {est}"
        );
        let (code, err) = peer.finish();
        assert_eq!(code, 0, "{service:?}: {err}");
    }
}
