//! A service ticket from the cache's TGT, across trusts by referrals or `[capaths]`, stored in
//! the cache, as `kvno SERVICE` does. `SERVICE` is `service/host` (the realm found by
//! referral) or `service/host@REALM`.
//!
//! ```sh
//! cargo run -p kdc-client --example service_ticket -- mariadb/db.ad.myaws.com
//! ```
#![forbid(unsafe_code)]

use kdc_client::session::Session;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spn = std::env::args().nth(1).ok_or("usage: SERVICE")?;
    let session = Session::from_env()?;
    let ticket = session
        .service_ticket(&Session::service_name(&spn)?)
        .await?;
    println!(
        "{} for {}, valid until {}",
        ticket.server, ticket.client, ticket.endtime
    );
    Ok(())
}
