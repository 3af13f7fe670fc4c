//! A TGT from a password into the default cache, as `kinit PRINCIPAL` does.
//!
//! ```sh
//! lab/up.sh && . lab/state/env.sh
//! printf '%s\n' "$LAB_USER_PASSWORD" | cargo run -p kdc-client --example tgt_from_password -- "$LAB_USER_PRINCIPAL"
//! ```
#![forbid(unsafe_code)]

use kdc_client::{Principal, session::Session};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let user = Principal::parse(&std::env::args().nth(1).ok_or("usage: PRINCIPAL")?, None)?;
    // Reserved up front: reading the line never reallocates (and copies) the password.
    let mut password = zeroize::Zeroizing::new(String::with_capacity(1024));
    std::io::stdin().read_line(&mut password)?;
    let len = password.trim_end_matches(['\r', '\n']).len();
    password.truncate(len);
    let tgt = Session::from_env()?
        .login_with_password(&user, password)
        .await?;
    println!(
        "{} for {}, valid until {}",
        tgt.server, tgt.client, tgt.endtime
    );
    Ok(())
}
