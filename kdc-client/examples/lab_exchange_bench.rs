//! In-process timing of the AS and TGS exchanges against the lab's MIT KDCs.
//!
//! ```sh
//! lab/up.sh && . lab/state/env.sh
//! cargo run --release -p kdc-client --example lab_exchange_bench -- 200
//! ```
//! Prints medians of wall time per operation and the client CPU per operation (from
//! `/proc/self/stat`, summed over all iterations). Never run as a test: figures go to
//! BENCHMARKS.md.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use kdc_client::exchange::{Credentials, Secret};
use kdc_client::{NameType, Principal, PrincipalName, Realm};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("{name} is not set: run lab/up.sh and source lab/state/env.sh");
        std::process::exit(2)
    })
}

/// User plus system CPU of this process, from /proc/self/stat (clock ticks of 10 ms).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn report(name: &str, walls: Vec<Duration>, cpu: Duration) {
    let n = walls.len() as u32;
    println!(
        "{name:<40} median wall {:>8.3} ms   client CPU {:>8.3} ms/op   (n = {n})",
        median(walls).as_secs_f64() * 1e3,
        (cpu / n).as_secs_f64() * 1e3
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100)
        .max(1);
    let conf = Krb5Conf::load(Some(&env("KRB5_CONFIG"))).expect("krb5.conf");
    let client = Client::new(conf);
    let user = Principal::parse(&env("LAB_USER_PRINCIPAL"), None).expect("principal");
    let password = env("LAB_USER_PASSWORD");
    let spn = Principal::parse_as(&env("LAB_MARIADB_SPN"), NameType::SrvHst, None).unwrap();
    let ad = Realm::new(spn.realm.as_str()).unwrap();
    let cross = Principal::new(PrincipalName::krbtgt(&ad), user.realm.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let as_once = || {
        let secret = Secret::Password(zeroize::Zeroizing::new(password.clone()));
        rt.block_on(client.get_initial_creds(client.initial_options(user.clone()), secret))
            .expect("AS exchange")
            .creds
    };
    let tgt = as_once();
    let opts = client.tgs_options();
    let service = |tgt: &Credentials| -> Credentials {
        rt.block_on(async {
            let x = client
                .tgs(tgt, &cross, &opts)
                .await
                .expect("cross-realm TGT");
            client.tgs(&x, &spn, &opts).await.expect("service ticket")
        })
    };

    let (mut walls, c0) = (Vec::with_capacity(n), cpu());
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(as_once());
        walls.push(t.elapsed());
    }
    report("AS exchange (password, pre-auth)", walls, cpu() - c0);

    let (mut walls, c0) = (Vec::with_capacity(n), cpu());
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(service(&tgt));
        walls.push(t.elapsed());
    }
    report("cross-realm service ticket (2 TGS)", walls, cpu() - c0);

    let concurrent = 64u32;
    let (t, c0) = (Instant::now(), cpu());
    rt.block_on(async {
        let tasks: Vec<_> = (0..concurrent)
            .map(|_| {
                let (client, tgt, cross, opts) =
                    (client.clone(), tgt.clone(), cross.clone(), opts.clone());
                tokio::spawn(async move { client.tgs(&tgt, &cross, &opts).await })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("TGS exchange");
        }
    });
    let (wall, used) = (t.elapsed(), cpu() - c0);
    println!(
        "{:<40} total wall {:>8.3} ms   client CPU {:>8.3} ms/op   ({concurrent} concurrent)",
        "concurrent TGS from one TGT",
        wall.as_secs_f64() * 1e3,
        (used / concurrent).as_secs_f64() * 1e3
    );
}
