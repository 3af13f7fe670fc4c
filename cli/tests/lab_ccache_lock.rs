//! Concurrent writers of one FILE cache against the lab's REAL MIT KDC: 20 `kerb kvno` of
//! different services and, at the same time, 5 of MIT's `kvno`, all storing into one cache.
//! Every writer holds MIT's `fcntl` lock around its read-modify-write, so no ticket is lost.
//! `#[ignore]`d: run with the lab up and its `env.sh` sourced.

mod common;

use std::process::{Command, Stdio};

use common::{KERB, lab, ok};

#[test]
#[ignore = "needs the lab"]
fn twenty_kerb_kvno_and_five_mit_kvno_into_one_cache_lose_no_ticket() {
    let cc = common::cache("lab-lock", "shared");
    let pw = format!("{}\n", lab("LAB_USER_PASSWORD"));
    ok(&common::run(
        KERB,
        &["kinit", &lab("LAB_USER_PRINCIPAL")],
        &cc,
        Some(&pw),
    ));
    let pattern = lab("LAB_CONC_SERVICE_PATTERN");
    let service = |i: usize| pattern.replace("NN", &format!("{i:02}"));
    let spawn = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .env("KRB5CCNAME", &cc)
            .env_remove("KRB5_TRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e}"))
    };
    // All 25 started before any is waited for: they run at the same time.
    let children: Vec<_> = (1..=25)
        .map(|i| {
            let svc = service(i);
            if i <= 20 {
                ("kerb kvno", spawn(KERB, &["kvno", &svc]))
            } else {
                ("MIT kvno", spawn("kvno", &[&svc]))
            }
        })
        .collect();
    for (what, c) in children {
        let o = c.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let listing = ok(&common::run("klist", &[], &cc, None));
    for i in 1..=25 {
        assert!(
            listing.contains(&service(i)),
            "{} lost:\n{listing}",
            service(i)
        );
    }
    assert!(
        listing.contains("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL"),
        "{listing}"
    );
}
