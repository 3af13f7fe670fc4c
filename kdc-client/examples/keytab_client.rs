//! A long-running client with a keytab, as `k5start` keeps one going: before each round it
//! makes sure the cache holds a TGT valid for 15 more minutes (a new one from the keytab
//! otherwise), then gets its service ticket (from the cache while it is valid).
//!
//! ```sh
//! cargo run -p kdc-client --example keytab_client -- "$LAB_KT_USER_PRINCIPAL" "$LAB_KT_USER_KEYTAB" mariadb/db.ad.myaws.com 3
//! ```
#![forbid(unsafe_code)]

use std::time::Duration;

use kdc_client::{Principal, session::Session};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [user, keytab, spn, rounds] = args.as_slice() else {
        return Err("usage: PRINCIPAL KEYTAB SERVICE ROUNDS".into());
    };
    let (user, service) = (Principal::parse(user, None)?, Session::service_name(spn)?);
    let session = Session::from_env()?;
    for round in 1..=rounds.parse::<u32>()? {
        let renewed = session
            .refresh_with_keytab(&user, keytab.as_ref(), Duration::from_secs(15 * 60))
            .await?;
        let ticket = session.service_ticket(&service).await?;
        println!(
            "round {round}: new TGT: {renewed}; {} until {}",
            ticket.server, ticket.endtime
        );
    }
    Ok(())
}
